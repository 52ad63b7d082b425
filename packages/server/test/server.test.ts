import { hashToHex } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { Server, ServerInit } from '../src/index.ts'
import { cleanup, mine, startServer, until as waitUntil } from './helpers.ts'

afterEach(cleanup)

const node = (init: Partial<ServerInit> = {}): Promise<Server> => startServer(init)

const until = (cond: () => boolean, ms = 20_000) => waitUntil(cond, ms)

describe('Server', () => {
  it('two nodes over loopback: the second syncs the first, and a new block is relayed', async () => {
    const a = await node()
    await mine(a, 120)
    const b = await node({ connect: [`127.0.0.1:${a.ports[0]}`] })
    await until(() => b.blockManager.chain.tip.height === 120)
    expect(hashToHex(b.blockManager.chain.tip.hash)).toBe(hashToHex(a.blockManager.chain.tip.hash))
    await mine(a, 1)
    await until(() => b.blockManager.chain.tip.height === 121)
    expect(a.connectionCount).toBe(1)
    expect(b.connectionCount).toBe(1)
  })

  it('follows a reorganisation over loopback to a chain with more work', async () => {
    const a = await node()
    await mine(a, 10, 1)
    const b = await node({ connect: [`127.0.0.1:${a.ports[0]}`] })
    await until(() => b.blockManager.chain.tip.height === 10)
    const c = await node()
    await mine(c, 14, 2)
    const disconnected: number[] = []
    b.blockManager.on('tip', (ch) => disconnected.push(ch.disconnected.length))
    b.addNode(`127.0.0.1:${c.ports[0]}`, 'onetry')
    await until(() => b.blockManager.chain.tip.height === 14)
    expect(hashToHex(b.blockManager.chain.tip.hash)).toBe(hashToHex(c.blockManager.chain.tip.hash))
    expect(Math.max(...disconnected)).toBe(10)
    // a learns the longer chain from b, and reorganises too.
    await until(() => a.blockManager.chain.tip.height === 14)
  })

  it('BIP152: the peer that first gives us a new block becomes high-bandwidth and pushes the next one as a compact block', async () => {
    const a = await node()
    await mine(a, 5)
    const b = await node({ connect: [`127.0.0.1:${a.ports[0]}`] })
    await until(() => b.blockManager.chain.tip.height === 5)
    // Block 6 arrives the usual way (headers, getdata, block) and makes a high-bandwidth.
    await mine(a, 1)
    await until(() => b.blockManager.chain.tip.height === 6)
    const fromA = () => b.peerInfo()[0]!.stats.received
    await until(() => a.peerInfo()[0]!.stats.received['sendcmpct']?.messages === 2)
    // Block 7 is pushed as a compact block: no getdata for it.
    const getdataBefore = b.peerInfo()[0]!.stats.sent['getdata']?.messages ?? 0
    await mine(a, 1)
    await until(() => b.blockManager.chain.tip.height === 7)
    expect(fromA()['cmpctblock']?.messages).toBe(1)
    expect(b.peerInfo()[0]!.stats.sent['getdata']?.messages ?? 0).toBe(getdataBefore)
  })
})
