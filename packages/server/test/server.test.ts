import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { mineBlock } from '@node/blockmgr'
import { hashToHex, networks } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { Server, type ServerInit } from '../src/index.ts'

const net = networks.regtest
const dirs: string[] = []
const servers: Server[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function node(init: Partial<ServerInit> = {}): Promise<Server> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'server-'))
  dirs.push(dataDir)
  const s = new Server(
    { resolve: async () => [] },
    {
      network: net,
      dataDir,
      bind: ['127.0.0.1:0'],
      dnsSeed: false,
      fixedSeeds: false,
      localRoutable: true,
      progressIntervalMs: 0,
      ...init,
    },
  )
  servers.push(s)
  await s.start()
  return s
}

async function mine(s: Server, n: number, extra = 0): Promise<void> {
  for (let i = 0; i < n; i++) {
    const tip = s.blockManager.chain.tip
    const b = mineBlock({
      network: net,
      prev: { hash: tip.hash, height: tip.height, time: tip.time },
      payTo: Uint8Array.of(0x51),
      time: Math.max(tip.time + 1, Math.floor(Date.now() / 1000) - 7200 + tip.height),
      extraNonce: extra,
    })
    await s.blockManager.submitBlock(b)
  }
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

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
