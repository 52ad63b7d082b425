/**
 * Every launcher process this test process has started and not yet seen exit.
 *
 * Two layers make sure a crashed test leaves no bcoin behind:
 * - here, a process `exit` hook SIGKILLs whatever is still tracked (this runs
 *   on process.exit() and a normal end, not on SIGKILL);
 * - in the launcher, `--exit-with-parent=1` closes the node when its stdin
 *   pipe reaches EOF, which happens however this process dies.
 */
import type { ChildProcess } from 'node:child_process'
import { NodeError } from '@node/runtime'
import { MAX_LIVE_BCOIN_NODES } from './constants.ts'

// Bounded by MAX_LIVE_BCOIN_NODES; entries leave when their process exits.
const live = new Set<ChildProcess>()
let hooked = false

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL')
    } catch {
      // Already gone.
    }
  }
}

/** Throw before spawning if too many are alive (a test is leaking nodes). */
export function assertCapacity(): void {
  if (live.size >= MAX_LIVE_BCOIN_NODES) {
    throw new NodeError(
      'TOO_MANY_NODES',
      `${live.size} bcoin nodes are already running in this process; stop some first.`,
    )
  }
}

/** Track `child` until it exits. */
export function track(child: ChildProcess): void {
  if (!hooked) {
    hooked = true
    process.once('exit', killAll)
  }
  live.add(child)
  child.once('exit', () => live.delete(child))
}

/** How many tracked launcher processes have not exited yet. */
export function liveChildren(): number {
  return live.size
}
