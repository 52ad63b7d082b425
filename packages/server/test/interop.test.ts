/**
 * Our server against bcoin 1.0.2, a full node we did not write, on loopback
 * (through testkit's loopback-only launcher).
 */
import { mineBlock } from '@node/chain'
import { type BcoinNode, getBestBlockHash, mine, startBcoin, waitForHeight } from '@node/testkit'
import { hashToHex, networks } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { Server, ServerInit } from '../src/index.ts'
import { cleanup, startServer } from './helpers.ts'

const net = networks.regtest
const bcoins: BcoinNode[] = []

afterEach(async () => {
  await cleanup()
  await Promise.all(bcoins.splice(0).map((b) => b.stop()))
})

const node = (init: Partial<ServerInit> = {}): Promise<Server> => startServer(init)

/**
 * Dialling bcoin ourselves (-connect): v1 only. bcoin 1.0.2 reads our v2 key
 * and garbage as 24-byte v1 headers with a bad magic, answers each with a
 * reject and 10 ban points, and bans the address at 100 (from 240 bytes on),
 * so the reconnection over v1 that Core (and we) attempt after a failed v2
 * handshake is refused. Bitcoin Core with -v2transport has the same problem
 * with bcoin; such a link needs -v2transport=0. (bcoin dialling us is fine:
 * our listener tells v1 from v2 by the first bytes; see below.)
 */
const V1_TO_BCOIN = { v2Transport: false } as const

async function bcoin(connect: string[] = []): Promise<BcoinNode> {
  const b = await startBcoin({ connect, segwitGenesis: true })
  bcoins.push(b)
  return b
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('interop with bcoin 1.0.2 on loopback', () => {
  it('addresses go both ways: bcoin learns ours from our getaddr answer, and a second node of ours learns them from bcoin', async () => {
    // No outbound dialing: the public addresses below must never be dialled.
    const a = await node({
      localRoutable: false,
      addrTrickleIntervalMs: 200,
      maxOutbound: 0,
      maxBlockRelayOnly: 0,
    })
    const now = Math.floor(Date.now() / 1000)
    const { NetAddress } = await import('@node/addrmgr')
    const known = ['1.2.3.4', '5.6.7.8', '9.10.11.12', '13.14.15.16', '17.18.19.20']
    a.addrManager.addrman.add(
      known.map((ip) => ({ addr: NetAddress.parse(ip), port: 18444, time: now - 600, services: 9n })),
      NetAddress.parse('21.22.23.24'),
    )
    // bcoin connects to us and asks getaddr; we answer once (it is inbound).
    const b = await bcoin([`127.0.0.1:${a.ports[0]}`])
    await until(() => a.peerInfo().some((p) => (p.stats.sent['addr']?.messages ?? 0) > 0), 30_000)
    // A second node of ours connects to bcoin and asks it getaddr.
    const c = await node({ connect: [b.p2pAddress], localRoutable: false, ...V1_TO_BCOIN })
    await until(
      () =>
        known.some(
          (ip) =>
            c.addrManager.addrman.size() > 0 &&
            c.addrManager.addrman.find({ addr: NetAddress.parse(ip), port: 18444 }) !== undefined,
        ),
      30_000,
    )
  }, 60_000)

  it('our node syncs 2,000 blocks from bcoin, headers first', async () => {
    const b = await bcoin()
    await mine(b, 2000)
    const ours = await node({ connect: [b.p2pAddress], ...V1_TO_BCOIN })
    await until(() => ours.blockManager.chain.tip.height === 2000, 90_000)
    expect(hashToHex(ours.blockManager.chain.tip.hash)).toBe(await getBestBlockHash(b))
  }, 120_000)

  it('bcoin syncs 2,000 blocks from our node (getblocks → inv → getdata), our v2-capable listener falling back to v1', async () => {
    const ours = await node() // -v2transport on (the default)
    for (let i = 0; i < 2000; i++) {
      const tip = ours.blockManager.chain.tip
      const blk = mineBlock({
        network: net,
        prev: { hash: tip.hash, height: tip.height, time: tip.time },
        payTo: Uint8Array.of(0x51),
        time: Math.floor(Date.now() / 1000) - 4000 + i,
      })
      await ours.blockManager.submitBlock(blk)
    }
    const b = await bcoin([`127.0.0.1:${ours.ports[0]}`])
    await waitForHeight(b, 2000, { timeoutMs: 90_000 })
    expect(await getBestBlockHash(b)).toBe(hashToHex(ours.blockManager.chain.tip.hash))
    // bcoin's first bytes were a v1 version header: served over v1, no session id.
    expect(ours.peerInfo().map((p) => [p.transportProtocol, p.sessionId])).toEqual([['v1', '']])
  }, 150_000)

  it('a block mined on one bcoin reaches a second bcoin through our node', async () => {
    const a = await bcoin()
    await mine(a, 10)
    const ours = await node({ connect: [a.p2pAddress], ...V1_TO_BCOIN })
    await until(() => ours.blockManager.chain.tip.height === 10, 30_000)
    const c = await bcoin([`127.0.0.1:${ours.ports[0]}`])
    await waitForHeight(c, 10, { timeoutMs: 30_000 })
    await mine(a, 1)
    await waitForHeight(c, 11, { timeoutMs: 30_000 })
    expect(await getBestBlockHash(c)).toBe(await getBestBlockHash(a))
    // Pings were answered: both links are still up and ready.
    expect(ours.connectionCount).toBe(2)
  }, 90_000)
})
