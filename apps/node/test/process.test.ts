/**
 * The framework as a process, the way an operator meets it: real argv, real
 * signals, exit codes and stderr. Uses a tiny entry script run through tsx.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../../..')
const script = join(here, 'fixtures', 'run-daemon.ts')

let dir: string
const children: ChildProcess[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btcnode-proc-'))
})
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

function launch(args: string[]): {
  child: ChildProcess
  out: () => string
  err: () => string
  done: Promise<number | null>
} {
  const child = spawn(process.execPath, ['--conditions=@node/source', '--import', 'tsx', script, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const done = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  return { child, out: () => out, err: () => err, done }
}

describe('daemon process', () => {
  it('exits 1 with one line on stderr for an unknown flag', async () => {
    const p = launch(['-regtest', '-frobnicate=1'])
    expect(await p.done).toBe(1)
    expect(p.err()).toBe('Error: Invalid parameter -frobnicate, see btcnode -help for a list of options.\n')
    expect(p.out()).toBe('')
  })

  it('exits 1 with one line for a malformed value', async () => {
    const p = launch(['-regtest', `-datadir=${dir}`, '-maxconnections=lots'])
    expect(await p.done).toBe(1)
    expect(p.err()).toBe(
      'Error: Invalid value for -maxconnections in command line: "lots" (expected an integer).\n',
    )
  })

  it('runs until SIGTERM, then stops cleanly with exit code 0', async () => {
    const p = launch(['-regtest', `-datadir=${dir}`, '-rpcport=0', '-printtoconsole'])
    for (let i = 0; i < 600 && !p.out().includes('Started; waiting'); i++)
      await new Promise((r) => setTimeout(r, 25))
    expect(p.out()).toContain('Started; waiting')
    // Console output is JSON when stdout is not a terminal.
    const first = JSON.parse(p.out().split('\n')[0] ?? '') as { msg: string; component: string }
    expect(first).toMatchObject({ component: 'init', msg: expect.stringMatching(/^Starting btcnode/) })
    await stat(join(dir, 'regtest', '.lock'))
    p.child.kill('SIGTERM')
    expect(await p.done).toBe(0)
    expect(p.err()).toBe('')
    expect(p.out()).toContain('"msg":"Stopped."')
    await expect(stat(join(dir, 'regtest', '.lock'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
