/**
 * A heavier chain is never refused because of the cap on side-branch headers.
 *
 * The scenario an operator hit: on regtest at height 2,200, one peer sent 10
 * side branches of 2,000 valid minimum-difficulty headers off genesis
 * (20,000 side headers, the cap); then a 20-block branch off height 2,190,
 * with more work than our chain, was refused, and the node never asked for
 * its blocks. Now the least-work side branches are evicted to make room, the
 * node switches to the heavier chain, and the peer that fed the evicted
 * branches is disconnected.
 */
import { createHash } from 'node:crypto'
import { DEFAULT_MAX_SIDE_HEADERS, mineBlock } from '@node/chain'
import {
  type Block,
  type BlockHeader,
  blockHash,
  type Hash,
  type Message,
  networks,
  type ProtocolError,
  toHex,
} from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { BlockManager, type ChainStore, type SyncPeer } from '../src/index.ts'

const net = networks.regtest
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const s of stops.splice(0)) await s()
})

/** An in-memory ChainStore: this test is about the header tree, not the disk. */
function memoryStore(): ChainStore {
  const blocks = new Map<string, Uint8Array>()
  return {
    putBlock: async (hash: Hash, bytes: Uint8Array) => void blocks.set(toHex(hash), bytes),
    getBlock: async (hash: Hash) => blocks.get(toHex(hash)),
    hasBlock: (hash: Hash) => blocks.has(toHex(hash)),
    putHeaders: async () => {},
    loadHeaders: async () => [],
    setTip: async () => {},
  } as unknown as ChainStore
}

interface FakePeer extends SyncPeer {
  readonly sent: Message[]
  readonly misbehaviour: ProtocolError[]
  readonly disconnects: string[]
}

let nextId = 1
function fakePeer(mgr: BlockManager): FakePeer {
  const inv = new Set<string>()
  const p: FakePeer = {
    id: nextId++,
    label: `fake#${nextId}`,
    inbound: true,
    startHeight: 0,
    prefersHeaders: false,
    sent: [],
    misbehaviour: [],
    disconnects: [],
    send: (m) => void p.sent.push(m),
    sendBlock: () => {},
    hasInventory: (t, h) => inv.has(`${t}:${toHex(h)}`),
    addInventory: (t, h) => void inv.add(`${t}:${toHex(h)}`),
    misbehaving: (e) => void p.misbehaviour.push(e),
    disconnect: (r) => {
      p.disconnects.push(r)
      mgr.removePeer(p)
    },
  }
  mgr.addPeer(p)
  return p
}

function sha256d(b: Uint8Array): Buffer {
  return createHash('sha256').update(createHash('sha256').update(b).digest()).digest()
}

/**
 * `n` valid minimum-difficulty headers after `prev`. Ground with node:crypto
 * directly (200,000 of them for the 100-branch case): on regtest a hash whose
 * top byte is below 0x7f always meets the target, about one try in two.
 */
function grindHeaders(prev: { hash: Hash; time: number }, n: number, tag: number): BlockHeader[] {
  const out: BlockHeader[] = []
  const raw = Buffer.alloc(80)
  let prevHash: Buffer = Buffer.from(prev.hash)
  for (let i = 0; i < n; i++) {
    const merkleRoot = Buffer.alloc(32)
    merkleRoot.writeUInt32LE(tag, 0)
    merkleRoot.writeUInt32LE(i, 4)
    const time = prev.time + 1 + i
    raw.writeInt32LE(0x20000000, 0)
    prevHash.copy(raw, 4)
    merkleRoot.copy(raw, 36)
    raw.writeUInt32LE(time, 68)
    raw.writeUInt32LE(net.powLimitBits, 72)
    for (let nonce = 0; ; nonce++) {
      raw.writeUInt32LE(nonce, 76)
      const hash = sha256d(raw)
      if (hash[31]! < 0x7f) {
        out.push({
          version: 0x20000000,
          prevBlock: new Uint8Array(prevHash),
          merkleRoot: new Uint8Array(merkleRoot),
          time,
          bits: net.powLimitBits,
          nonce,
        })
        prevHash = hash
        break
      }
    }
  }
  return out
}

async function nodeAt(height: number): Promise<BlockManager> {
  const mgr = new BlockManager({ store: memoryStore() }, { network: net, progressInterval: 0 })
  await mgr.start()
  stops.push(() => mgr.stop())
  const base = Math.floor(Date.now() / 1000) - 3 * 3600
  for (let i = 0; i < height; i++) {
    const tip = mgr.chain.tip
    await mgr.submitBlock(
      mineBlock({
        network: net,
        prev: { hash: tip.hash, height: tip.height, time: tip.time },
        payTo: Uint8Array.of(0x51),
        time: base + tip.height + 1,
      }),
    )
  }
  expect(mgr.chain.tip.height).toBe(height)
  return mgr
}

/** Blocks of a branch off `forkHeight` of `mgr`'s chain. */
function branchBlocks(mgr: BlockManager, forkHeight: number, n: number): Block[] {
  const out: Block[] = []
  const fork = mgr.chain.activeAtHeight(forkHeight)!
  let prev = { hash: fork.hash, height: fork.height, time: fork.time }
  for (let i = 0; i < n; i++) {
    const b = mineBlock({
      network: net,
      prev,
      payTo: Uint8Array.of(0x52),
      time: prev.time + 1,
      extraNonce: 77,
    })
    out.push(b)
    prev = { hash: blockHash(b.header), height: prev.height + 1, time: b.header.time }
  }
  return out
}

function requested(p: FakePeer): Set<string> {
  const out = new Set<string>()
  for (const m of p.sent) if (m.command === 'getdata') for (const i of m.inventory) out.add(toHex(i.hash))
  return out
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20))
}

describe('side-branch header cap', () => {
  for (const branches of [10, 100]) {
    it(`at height 2,200, after ${branches} side branches of 2,000 headers off genesis, a heavier 20-block branch off 2,190 is taken`, async () => {
      const mgr = await nodeAt(2200)
      const g = mgr.chain.genesis
      const flooder = fakePeer(mgr)
      const honest = fakePeer(mgr)
      for (let k = 0; k < branches; k++) {
        mgr.onMessage(flooder, { command: 'headers', headers: grindHeaders(g, 2000, k) })
        // Memory stays bounded throughout.
        expect(mgr.chain.sideHeaders).toBeLessThanOrEqual(DEFAULT_MAX_SIDE_HEADERS)
      }
      await settle()
      expect(mgr.chain.sideHeaders).toBe(DEFAULT_MAX_SIDE_HEADERS)
      expect(mgr.chain.bestHeader.height).toBe(2200)

      // 20 blocks off height 2,190: 2,210 blocks of work against our 2,200.
      const heavy = branchBlocks(mgr, 2190, 20)
      mgr.onMessage(honest, { command: 'headers', headers: heavy.map((b) => b.header) })
      expect(mgr.chain.sideHeaders).toBeLessThanOrEqual(DEFAULT_MAX_SIDE_HEADERS)
      expect(mgr.chain.bestHeader.height).toBe(2210)
      expect(toHex(mgr.chain.bestHeader.hash)).toBe(toHex(blockHash(heavy[19]!.header)))
      // The node asks the honest peer for the heavier chain's blocks ...
      const asked = requested(honest)
      expect(asked.has(toHex(blockHash(heavy[0]!.header)))).toBe(true)
      // ... and moves to it once they arrive.
      for (const b of heavy) {
        await until(() => requested(honest).has(toHex(blockHash(b.header))))
        mgr.onMessage(honest, { command: 'block', block: b })
      }
      await until(() => mgr.chain.tip.height === 2210)
      expect(toHex(mgr.chain.tip.hash)).toBe(toHex(blockHash(heavy[19]!.header)))
      // The peer that fed the evicted branch is disconnected; the honest one is not.
      await settle()
      expect(flooder.disconnects).toHaveLength(1)
      expect(honest.disconnects).toEqual([])
      expect(flooder.misbehaviour).toEqual([])
    }, 180_000)
  }
})

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}
