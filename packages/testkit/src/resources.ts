/**
 * Leak checks on `process.getActiveResourcesInfo()`, and free loopback ports.
 *
 * A baseline is taken before a component is built (settledResources()); after
 * it is stopped, every resource kind must be back to (at most) its baseline
 * count (expectNoLeaks()). The check is process-wide, so tests that use it
 * must not run concurrently in one worker.
 */
import { createServer, type Server } from 'node:net'
import { BASELINE_WINDOW_MS, LEAK_KINDS, LEAK_POLL_MS, LEAK_SETTLE_MS } from './constants.ts'
import { type Leak, LeakError } from './errors.ts'

/** Live resource counts by kind, e.g. `{ Timeout: 2, TCPSocketWrap: 1 }`. */
export type ResourceCounts = Readonly<Record<string, number>>

/** Count the active resources of the given kinds (default: {@link LEAK_KINDS}). */
export function activeResources(kinds: readonly string[] = LEAK_KINDS): ResourceCounts {
  const wanted = new Set(kinds)
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) {
    if (wanted.has(kind)) counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}

export interface SettleOptions {
  /** How long to sample (default {@link BASELINE_WINDOW_MS}). */
  windowMs?: number | undefined
  kinds?: readonly string[] | undefined
}

/**
 * A baseline that ignores short-lived resources: samples for `windowMs` and
 * keeps the smallest count of each kind. A one-off sample can catch someone
 * else's transient timer (vitest batches its reports with a 100 ms timer);
 * when that timer fires during the test it hides a real leak of the same kind.
 */
export async function settledResources(options: SettleOptions = {}): Promise<ResourceCounts> {
  const windowMs = options.windowMs ?? BASELINE_WINDOW_MS
  const kinds = options.kinds ?? LEAK_KINDS
  const min: Record<string, number> = { ...activeResources(kinds) }
  const end = Date.now() + windowMs
  while (Date.now() < end) {
    await new Promise<void>((resolve) => setTimeout(resolve, LEAK_POLL_MS))
    const now = activeResources(kinds)
    for (const kind of Object.keys(min)) min[kind] = Math.min(min[kind] ?? 0, now[kind] ?? 0)
  }
  return min
}

/** The kinds that have more live resources now than in `baseline`. Fewer is fine. */
export function leakDiff(baseline: ResourceCounts, now: ResourceCounts): Leak[] {
  const leaks: Leak[] = []
  for (const [kind, after] of Object.entries(now)) {
    const before = baseline[kind] ?? 0
    if (after > before) leaks.push({ kind, before, after })
  }
  return leaks.sort((a, b) => a.kind.localeCompare(b.kind))
}

export interface NoLeakOptions {
  /** How long to let handles finish closing before failing (default {@link LEAK_SETTLE_MS}). */
  timeoutMs?: number | undefined
  /** The kinds to compare (default: the kinds present in the baseline plus {@link LEAK_KINDS}). */
  kinds?: readonly string[] | undefined
}

/**
 * Resolve once every resource kind is back to its baseline count; reject with
 * a {@link LeakError} naming the kinds that are not after `timeoutMs`. Sockets
 * and servers close a tick or two after `stop()`, so this polls rather than
 * looking once. Uses real timers: do not call it under fake timers.
 */
export async function expectNoLeaks(baseline: ResourceCounts, options: NoLeakOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? LEAK_SETTLE_MS
  const kinds = options.kinds ?? [...new Set([...LEAK_KINDS, ...Object.keys(baseline)])]
  const started = Date.now()
  for (;;) {
    // Let pending close callbacks run before looking.
    await new Promise<void>((resolve) => setImmediate(resolve))
    const leaks = leakDiff(baseline, activeResources(kinds))
    if (leaks.length === 0) return
    const waited = Date.now() - started
    if (waited >= timeoutMs) throw new LeakError(leaks, waited)
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(LEAK_POLL_MS, timeoutMs - waited)))
  }
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: bind port 0, read the
 * port, close. For programs that cannot listen on port 0 themselves (bcoin);
 * our own servers should listen on port 0 and read the port back.
 */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1)
  return port as number
}

/** `n` distinct free ports: all are held open until every one is chosen. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject)
          resolve()
        })
      })
    }
    return servers.map((s) => {
      const addr = s.address()
      if (addr === null || typeof addr === 'string') throw new Error('A TCP server reported no port.')
      return addr.port
    })
  } finally {
    await Promise.all(
      servers.map(
        (s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())),
      ),
    )
  }
}
