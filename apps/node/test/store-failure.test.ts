/**
 * A node whose block store cannot write stops, as bitcoind aborts on any
 * failure to write its block or chain state: one clear line, a clean stop,
 * exit code 1. And a data directory it cannot write to refuses to start.
 *
 * Tests may run as root, where a read-only directory does not stop writes:
 * the running daemon's blocks/ directory is replaced by a file (every new
 * file in it then fails, for root too), and the unwritable data directory
 * is tried by a daemon running as `nobody` when we are root.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePorts } from '@node/testkit'
import Client from 'bitcoin-core'
import * as bitcoin from 'bitcoinjs-lib'
import { afterEach, describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../../..')
const bin = join(root, 'apps/node/src/bin.ts')
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
const ADDRESS = bitcoin.payments.p2wpkh({
  hash: Buffer.alloc(20, 7),
  network: { ...bitcoin.networks.regtest },
}).address!

const children: ChildProcess[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) {
    await chmod(d, 0o700).catch(() => {})
    await chmod(join(d, 'regtest'), 0o700).catch(() => {})
    await chmod(join(d, 'regtest', 'blocks'), 0o700).catch(() => {})
    await rm(d, { recursive: true, force: true })
  }
})

function spawnDaemon(args: string[], asUid?: number) {
  const child = spawn(
    process.execPath,
    ['--conditions=@node/source', '--import', 'tsx', bin, '-regtest', ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asUid === undefined ? {} : { uid: asUid, gid: asUid }),
    },
  )
  children.push(child)
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => void (err += d.toString()))
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  return { child, out: () => out, err: () => err, exited }
}

describe('store write failures stop the daemon', () => {
  it('a block store that cannot write: generatetoaddress fails, the daemon logs one line, stops and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'btcnode-storefail-'))
    dirs.push(dir)
    const [p2p, rpcPort] = await freePorts(2)
    const d = spawnDaemon([
      `-datadir=${dir}`,
      `-port=${p2p}`,
      '-bind=127.0.0.1',
      `-rpcport=${rpcPort}`,
      '-printtoconsole',
    ])
    const cookie = join(dir, 'regtest', '.cookie')
    const end = Date.now() + 30_000
    while (!existsSync(cookie)) {
      if (Date.now() > end || d.child.exitCode !== null) throw new Error(`daemon did not start:\n${d.err()}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    const [username, password] = (await readFile(cookie, 'utf8')).split(':') as [string, string]
    const client = new Client({ host: `http://127.0.0.1:${rpcPort}`, username, password, logger: quiet })
    expect(await client.command('generatetoaddress', 1, ADDRESS)).toHaveLength(1)

    // blocks/ becomes a file: open block files still take writes, but the
    // tip (written to a new file, then renamed) cannot be stored.
    const blocks = join(dir, 'regtest', 'blocks')
    await rename(blocks, `${blocks}.moved`)
    await writeFile(blocks, 'not a directory')
    await expect(client.command('generatetoaddress', 1, ADDRESS)).rejects.toThrow(/block store/)

    expect(await d.exited).toBe(1)
    const line =
      /^Error: Failed to write the chain tip \(height 2\) to the block store \(ENOTDIR: not a directory, open '.*tip\.dat\.tmp'\); the node must stop\.\n$/
    expect(d.err()).toMatch(line)
    // In the log: the failure once at fatal level, then a clean stop.
    const records = d
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string | number; msg: string })
    const fatal = records.filter((r) => r.msg.startsWith('Error: Failed to write'))
    expect(fatal).toHaveLength(1)
    expect(records[records.length - 1]!.msg).toBe('Stopped.')
    expect(existsSync(join(dir, 'regtest', '.lock'))).toBe(false)
  }, 60_000)

  /** As root, a daemon that runs as nobody (root writes through any mode). */
  const asUser = process.getuid?.() === 0 ? 65534 : undefined
  /**
   * nobody must be able to read the daemon's sources: a clone inside a
   * private directory (mode 700, as `mktemp -d` makes) hides them. Then these
   * two tests cannot run as root and are skipped, saying why.
   */
  const canRunAsUser =
    asUser === undefined ||
    spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(bin)})`], {
      uid: asUser,
      gid: asUser,
      stdio: 'ignore',
    }).status === 0

  it.skipIf(!canRunAsUser)(
    'refuses to start, with one line and exit 1, when the data directory is not writable (skipped as root when nobody cannot read the repository)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'btcnode-rodir-'))
      dirs.push(dir)
      await mkdir(join(dir, 'regtest'))
      await chmod(join(dir, 'regtest'), 0o555)
      await chmod(dir, 0o555)
      const d = spawnDaemon([`-datadir=${dir}`, '-rpcport=0'], asUser)
      expect(await d.exited).toBe(1)
      expect(d.err()).toMatch(
        new RegExp(`^Error: Cannot write to data directory ${join(dir, 'regtest')}: EACCES: [^\\n]*\\n$`),
      )
      expect(d.out()).toBe('')
    },
    60_000,
  )

  it.skipIf(!canRunAsUser)(
    'refuses to start when blocks/ is not writable, even with a stale LOCK file it can overwrite (skipped as root when nobody cannot read the repository)',
    async () => {
      // What an operator hit: the node started, mined, and only then failed to store its tip.
      const dir = await mkdtemp(join(tmpdir(), 'btcnode-roblocks-'))
      dirs.push(dir)
      const blocks = join(dir, 'regtest', 'blocks')
      if (asUser !== undefined) await chown(dir, asUser, asUser)
      // A first run makes every file of the store, and stops cleanly.
      const first = spawnDaemon([`-datadir=${dir}`, '-rpcport=0', '-listen=0', '-printtoconsole'], asUser)
      for (let i = 0; i < 1200 && !first.out().includes('Started; waiting'); i++)
        await new Promise((r) => setTimeout(r, 25))
      expect(first.out()).toContain('Started; waiting')
      first.child.kill('SIGTERM')
      expect(await first.exited).toBe(0)
      // Then blocks/ loses write permission, with a LOCK a crash left behind (its file writable).
      await writeFile(join(blocks, 'LOCK'), '999999\n', { mode: 0o644 })
      if (asUser !== undefined) await chown(join(blocks, 'LOCK'), asUser, asUser)
      await chmod(blocks, 0o555)
      const d = spawnDaemon([`-datadir=${dir}`, '-rpcport=0', '-listen=0', '-printtoconsole=0'], asUser)
      const late = new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000).unref())
      expect(await Promise.race([d.exited, late])).toBe(1)
      expect(d.err()).toBe(
        `Error: Cannot write to the block store directory "${blocks}"; check permissions (EACCES).\n`,
      )
    },
    60_000,
  )
})
