/**
 * End to end, as an operator meets it: the real daemon (from the sources,
 * through tsx) as child processes on regtest with temporary data
 * directories, queried with `bitcoin-core` (an RPC client we did not write),
 * stopped with SIGTERM, killed with SIGKILL, and restarted.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { freePorts } from '@node/testkit'
import * as bitcoin from 'bitcoinjs-lib'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDaemons, datadir, launch, until } from './helpers/daemon.ts'

// A regtest P2WPKH address for a fixed public key hash.
const ADDRESS = bitcoin.payments.p2wpkh({
  hash: Buffer.alloc(20, 7),
  network: { ...bitcoin.networks.regtest },
}).address!

afterEach(cleanupDaemons)

describe('btcnode end to end (regtest)', () => {
  it('mines, syncs a second daemon, answers bitcoind RPC, stops on SIGTERM with exit 0, and restarts with its chain and peers', async () => {
    const [pa, ra, pb, rb] = await freePorts(4)
    const dirA = await datadir()
    const dirB = await datadir()
    const a = await launch(dirA, [pa!, ra!])
    const hashes = (await a.client.command('generatetoaddress', 110, ADDRESS)) as string[]
    expect(hashes).toHaveLength(110)
    expect(await a.client.command('getblockcount')).toBe(110)

    const b = await launch(dirB, [pb!, rb!], [`-connect=127.0.0.1:${pa}`])
    await until(async () => (await b.client.command('getblockcount')) === 110, 60_000)
    expect(await b.client.command('getbestblockhash')).toBe(hashes[109])

    const info = (await b.client.command('getblockchaininfo')) as Record<string, unknown>
    expect(info).toMatchObject({ chain: 'regtest', blocks: 110, headers: 110, bestblockhash: hashes[109] })
    const peers = (await a.client.command('getpeerinfo')) as { inbound: boolean; subver: string }[]
    expect(peers).toHaveLength(1)
    expect(peers[0]!.inbound).toBe(true)
    expect(peers[0]!.subver).toMatch(/^\/btcnode:/)
    const block = (await a.client.command('getblock', hashes[0], 1)) as { height: number; tx: string[] }
    expect(block.height).toBe(1)
    expect(block.tx).toHaveLength(1)
    expect(await a.client.command('getconnectioncount')).toBe(1)

    // A new block on A reaches B.
    const [next] = (await a.client.command('generatetoaddress', 1, ADDRESS)) as string[]
    await until(async () => (await b.client.command('getbestblockhash')) === next, 30_000)

    // getpeerinfo after a full sync: B's view of A is real sync state, and both
    // sides report their own end of the socket.
    const [ofA] = (await b.client.command('getpeerinfo')) as Record<string, unknown>[]
    expect(ofA).toMatchObject({ synced_headers: 111, synced_blocks: 111, inflight: [] })
    expect(ofA!['addrbind']).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(ofA!['last_block']).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60)
    const [ofB] = (await a.client.command('getpeerinfo')) as Record<string, unknown>[]
    expect(ofB!['addrbind']).toBe(`127.0.0.1:${pa}`)

    // SIGTERM: orderly stop, exit 0.
    a.child.kill('SIGTERM')
    b.child.kill('SIGTERM')
    expect(await a.exited).toBe(0)
    expect(await b.exited).toBe(0)
    expect(existsSync(join(dirA, 'regtest', 'peers.dat'))).toBe(true)
    expect(existsSync(join(dirA, 'regtest', '.lock'))).toBe(false)

    // Restart A: the chain is still there.
    const a2 = await launch(dirA, [pa!, ra!])
    expect(await a2.client.command('getblockcount')).toBe(111)
    expect(await a2.client.command('getbestblockhash')).toBe(next)
    a2.child.kill('SIGTERM')
    expect(await a2.exited).toBe(0)
  }, 180_000)

  it('a daemon killed with SIGKILL mid-sync restarts and finishes without refetching what it stored', async () => {
    const [pa, ra, pb, rb] = await freePorts(4)
    const a = await launch(await datadir(), [pa!, ra!])
    await a.client.command('generatetoaddress', 1500, ADDRESS)
    const dirB = await datadir()
    const b = await launch(dirB, [pb!, rb!], [`-connect=127.0.0.1:${pa}`])
    await until(async () => ((await b.client.command('getblockcount')) as number) >= 300, 60_000)
    b.child.kill('SIGKILL')
    await b.exited
    const b2 = await launch(dirB, [pb!, rb!], ['-connect=0'])
    // With no peer, the blocks it stored are connected from disk (the UTXO set was
    // last flushed before them; Core replays them the same way at start).
    await until(async () => ((await b2.client.command('getblockcount')) as number) >= 300, 60_000)
    const stored = (await b2.client.command('getblockcount')) as number
    b2.child.kill('SIGTERM')
    expect(await b2.exited).toBe(0)
    const b3 = await launch(dirB, [pb!, rb!], [`-connect=127.0.0.1:${pa}`])
    await until(async () => (await b3.client.command('getblockcount')) === 1500, 90_000)
    const [peer] = (await b3.client.command('getpeerinfo')) as { bytesrecv_per_msg: Record<string, number> }[]
    // Blocks received after the restart cover what was missing, not what was stored.
    const blockBytes = peer!.bytesrecv_per_msg['block'] ?? 0
    const perBlock = 24 + 250 // frame header + a coinbase-only regtest block (about 250 bytes)
    expect(blockBytes).toBeLessThan((1500 - stored + 20) * perBlock)
    b3.child.kill('SIGTERM')
    expect(await b3.exited).toBe(0)
  }, 240_000)
})
