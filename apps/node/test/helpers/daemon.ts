/**
 * The real daemon (from the sources, through tsx) as a child process on
 * regtest with a temporary data directory, queried with `bitcoin-core` (an
 * RPC client we did not write). Tests call {@link cleanupDaemons} after
 * each test: it SIGKILLs what is still running and removes the directories.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Client from 'bitcoin-core'

const here = dirname(fileURLToPath(import.meta.url))
export const root = resolve(here, '../../../..')
const bin = join(root, 'apps/node/src/bin.ts')
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

export interface Daemon {
  child: ChildProcess
  rpcPort: number
  p2pPort: number
  datadir: string
  output: () => string
  exited: Promise<number | null>
  client: Client
}

const children: ChildProcess[] = []
const dirs: string[] = []

/** SIGKILLs every daemon still running and removes every data directory made by {@link datadir}. */
export async function cleanupDaemons(): Promise<void> {
  const exits: Promise<unknown>[] = []
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      exits.push(new Promise((res) => c.once('exit', res)))
      c.kill('SIGKILL')
    }
  }
  await Promise.all(exits)
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
}

/** A fresh temporary data directory, removed by {@link cleanupDaemons}. */
export async function datadir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'btcnode-e2e-'))
  dirs.push(d)
  return d
}

/** Starts `btcnode -regtest` on `dir` and resolves once its RPC server is up (the cookie exists). */
export async function launch(dir: string, ports: [number, number], extra: string[] = []): Promise<Daemon> {
  const [p2pPort, rpcPort] = ports
  // A SIGKILLed daemon leaves its cookie behind; wait for the new one.
  await rm(join(dir, 'regtest', '.cookie'), { force: true })
  const args = [
    '--conditions=@node/source',
    '--import',
    'tsx',
    bin,
    '-regtest',
    `-datadir=${dir}`,
    `-port=${p2pPort}`,
    '-bind=127.0.0.1',
    `-rpcport=${rpcPort}`,
    '-printtoconsole=0',
    ...extra,
  ]
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let out = ''
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => void (out += d.toString()))
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  // Wait for the cookie: the RPC server is up.
  const cookieFile = join(dir, 'regtest', '.cookie')
  const end = Date.now() + 60_000
  while (!existsSync(cookieFile)) {
    if (Date.now() > end || child.exitCode !== null || child.signalCode !== null)
      throw new Error(`daemon did not start:\n${out}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const [username, password] = (await readFile(cookieFile, 'utf8')).split(':') as [string, string]
  const client = new Client({
    host: `http://127.0.0.1:${rpcPort}`,
    username,
    password,
    logger: quiet,
    timeout: 60_000,
  })
  return { child, rpcPort, p2pPort, datadir: dir, output: () => out, exited, client }
}

/** Polls `cond` every 100 ms until it holds; throws after `ms`. */
export async function until(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 100))
  }
}
