/**
 * Core's regtest test RPCs driving two real daemons (child processes over
 * TCP on 127.0.0.1) with `bitcoin-core`: `addconnection` opens the link,
 * and `setmocktime` alone moves the node's clock far enough for a ping
 * timeout (Core TIMEOUT_INTERVAL, 20 min) and a stale-tip check (3 block
 * intervals, 30 min) to happen, within seconds of real time.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { freePorts } from '@node/testkit'
import * as bitcoin from 'bitcoinjs-lib'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDaemons, type Daemon, datadir, launch, until } from './helpers/daemon.ts'

const ADDRESS = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 3), network: bitcoin.networks.regtest })
  .address!

afterEach(cleanupDaemons)

/** A daemon on a fresh data directory with no automatic peers, and its debug.log. */
async function start(p2pPort: number, rpcPort: number): Promise<Daemon & { log: () => Promise<string> }> {
  const d = await launch(await datadir(), [p2pPort, rpcPort], ['-connect=0'])
  return { ...d, log: () => readFile(join(d.datadir, 'regtest', 'debug.log'), 'utf8') }
}

type PeerJson = { id: number; connection_type: string; version: number; pingwait?: number }

describe('setmocktime drives two daemons (issue 13)', () => {
  it('a ping timeout and a stale-tip check happen on the mocked clock, not after 20 and 30 minutes', async () => {
    const started = Date.now()
    const [pa, ra, pb, rb] = await freePorts(4)
    const a = await start(pa!, ra!)
    const b = await start(pb!, rb!)
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
