/**
 * Core's regtest test RPCs driving two real daemons (child processes over
 * TCP on 127.0.0.1) with `bitcoin-core`: `addconnection` opens the link,
 * and `setmocktime` alone moves the node's clock far enough for a ping
 * timeout (Core TIMEOUT_INTERVAL, 20 min) and a stale-tip check (3 block
 * intervals, 30 min) to happen, within seconds of real time.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
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
const ADDRESS = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 3), network: bitcoin.networks.regtest })
  .address!

interface Daemon {
  child: ChildProcess
  client: Client
  log: () => Promise<string>
}

const children: ChildProcess[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGCONT')
      c.kill('SIGKILL')
    }
  }
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function launch(p2pPort: number, rpcPort: number, extra: string[] = []): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'btcnode-mock-'))
  dirs.push(dir)
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
    '-connect=0',
    ...extra,
  ]
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let out = ''
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => void (out += d.toString()))
  const cookieFile = join(dir, 'regtest', '.cookie')
  const end = Date.now() + 30_000
  while (!existsSync(cookieFile)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`daemon did not start:\n${out}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const [username, password] = (await readFile(cookieFile, 'utf8')).split(':') as [string, string]
  const client = new Client({
    host: `http://127.0.0.1:${rpcPort}`,
    username,
    password,
    logger: quiet,
    timeout: 30_000,
  })
  return { child, client, log: () => readFile(join(dir, 'regtest', 'debug.log'), 'utf8') }
}

async function until(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}

type PeerJson = { id: number; connection_type: string; version: number; pingwait?: number }

describe('setmocktime drives two daemons (issue 13)', () => {
  it('a ping timeout and a stale-tip check happen on the mocked clock, not after 20 and 30 minutes', async () => {
    const started = Date.now()
    const [pa, ra, pb, rb] = await freePorts(4)
    const a = await launch(pa!, ra!)
    const b = await launch(pb!, rb!)
    await a.client.command('generatetoaddress', 1, ADDRESS)

    expect(await a.client.command('addconnection', `127.0.0.1:${pb}`, 'outbound-full-relay', false)).toEqual({
      address: `127.0.0.1:${pb}`,
      connection_type: 'outbound-full-relay',
    })
    let peers: PeerJson[] = []
    await until(async () => {
      peers = (await a.client.command('getpeerinfo')) as PeerJson[]
      return peers.length === 1 && peers[0]!.version > 0
    }, 20_000)
    expect(peers[0]!.connection_type).toBe('outbound-full-relay')
    await until(async () => ((await b.client.command('getpeerinfo')) as PeerJson[]).length === 1, 20_000)

    const t = Math.floor(Date.now() / 1000)
    await a.client.command('setmocktime', t)
    // B hangs: it reads nothing and answers nothing from here on.
    b.child.kill('SIGSTOP')
    // Two minutes later (Core PING_INTERVAL) A pings B; the ping is outstanding.
    await a.client.command('setmocktime', t + 121)
    peers = (await a.client.command('getpeerinfo')) as PeerJson[]
    expect(peers[0]?.pingwait).toBe(0)
    // Twenty minutes and a second after the ping: A drops B for the ping timeout.
    await a.client.command('setmocktime', t + 121 + 20 * 60 + 1)
    await until(async () => ((await a.client.command('getpeerinfo')) as PeerJson[]).length === 0, 5_000)
    await until(async () => (await a.log()).includes('"reason":"PING_TIMEOUT"'), 5_000)

    // The tip (mined just before t) is older than 30 minutes on A's clock: stale.
    expect(await a.log()).not.toContain('The tip looks stale')
    await a.client.command('setmocktime', t + 31 * 60)
    await until(async () => (await a.log()).includes('The tip looks stale'), 5_000)
    // Back on the system clock.
    await a.client.command('setmocktime', 0)
    b.child.kill('SIGCONT')
    expect(Date.now() - started).toBeLessThan(120_000)
  }, 150_000)
})
