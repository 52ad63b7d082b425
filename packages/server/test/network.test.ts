import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { NetAddress } from '@node/addrmgr'
import { mineBlock } from '@node/chain'
import { networks } from '@node/wire'
import { afterAll, describe, expect, it } from 'vitest'
import type { Server, ServerInit } from '../src/index.ts'
import { makeServer, until as waitUntil } from './helpers.ts'

const net = networks.regtest
const N = 12
const dirs: string[] = []
const nodes: (Server | undefined)[] = []

afterAll(async () => {
  await Promise.all(nodes.map((s) => (s ? s.stop() : Promise.resolve())))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function make(dataDir: string, init: Partial<ServerInit> = {}): Server {
  return makeServer({ dataDir, ...init })
}

const until = (cond: () => boolean, ms = 60_000) => waitUntil(cond, ms)

function outbound(s: Server, type: string) {
  return s.peerInfo().filter((p) => p.connectionType === type && p.stats.status === 'ready')
}

/** Tell every node about every other node's listening address. */
function introduce(all: Server[]): void {
  const now = Math.floor(Date.now() / 1000)
  for (const s of all) {
    const addrs = all
      .filter((o) => o !== s)
      .map((o) => ({ addr: NetAddress.parse('127.0.0.1'), port: o.ports[0]!, time: now - 60, services: 9n }))
    s.addrManager.addrman.add(addrs, NetAddress.parse('127.0.0.2'))
  }
}

describe(`a network of ${N} nodes on loopback`, () => {
  it('each node keeps 8 full-relay and 2 block-relay-only outbound peers in distinct groups; blocks reach everyone; a stopped node is replaced; a restart dials its anchors first', async () => {
    for (let i = 0; i < N; i++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'net-'))
      dirs.push(dir)
      const s = make(dir)
      nodes.push(s)
      await s.start()
    }
    const all = [...nodes] as Server[]
    introduce(all)
    await until(() =>
      all.every(
        (s) =>
          outbound(s, 'outbound-full-relay').length === 8 && outbound(s, 'block-relay-only').length === 2,
      ),
    )
    for (const s of all) {
      const groups = s
        .peerInfo()
        .filter((p) => !p.inbound)
        .map((p) => p.addr)
      expect(new Set(groups).size).toBe(groups.length)
    }

    // A block made on one node reaches all.
    const miner = all[0]!
    const tip = miner.blockManager.chain.tip
    const b = mineBlock({
      network: net,
      prev: { hash: tip.hash, height: tip.height, time: tip.time },
      payTo: Uint8Array.of(0x51),
      time: Math.floor(Date.now() / 1000),
    })
    await miner.blockManager.submitBlock(b)
    await until(() => all.every((s) => s.blockManager.chain.tip.height === 1))

    // Stop one node mid-traffic: the others replace it and keep 8 full-relay peers.
    const victimIndex = 5
    const victim = all[victimIndex]!
    const victimAnchors = outbound(victim, 'block-relay-only').map((p) => p.addr)
    await victim.stop()
    nodes[victimIndex] = undefined
    const rest = all.filter((s) => s !== victim)
    await until(() => rest.every((s) => outbound(s, 'outbound-full-relay').length === 8))
    // Restart it on the same data directory: it dials its anchors (saved block-relay-only peers) first.
    const again = make(dirs[victimIndex]!)
    nodes[victimIndex] = again
    await again.start()
    await until(() => outbound(again, 'block-relay-only').length >= 1, 20_000)
    const firstBlockRelay = outbound(again, 'block-relay-only').map((p) => p.addr)
    expect(victimAnchors.length).toBe(2)
    expect(victimAnchors).toContain(firstBlockRelay[0])
  }, 180_000)
})
