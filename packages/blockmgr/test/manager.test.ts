import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BlockStore, guessVerificationProgress, mineBlock } from '@node/chain'
import {
  blockHash,
  decodeBlock,
  decodeFrame,
  encodeMessage,
  frame,
  type Hash,
  hashToHex,
  type Message,
  makeCompactBlock,
  networks,
  type ProtocolError,
  Tx,
  toHex,
} from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { BlockManager, type BlockManagerInit, type PeerBlockEvent, type SyncPeer } from '../src/index.ts'

const net = networks.regtest
const magic = net.magic
const dirs: string[] = []
const stops: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function makeNode(init: Partial<BlockManagerInit> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'blockmgr-'))
  dirs.push(dir)
  const store = new BlockStore({}, { dir })
  await store.start()
  const mgr = new BlockManager({ store }, { network: net, progressInterval: 0, ...init })
  await mgr.start()
  stops.push(async () => {
    await mgr.stop()
    await store.stop()
  })
  return { mgr, store, dir }
}

/** Mine `n` blocks on a manager's tip through submitBlock. */
async function mine(mgr: BlockManager, n: number, extra = 0): Promise<void> {
  for (let i = 0; i < n; i++) {
    const tip = mgr.chain.tip
    const b = mineBlock({
      network: net,
      prev: { hash: tip.hash, height: tip.height, time: tip.time },
      payTo: Uint8Array.of(0x51),
      time: Math.max(tip.time + 1, Math.floor(Date.now() / 1000) - 3600 + tip.height),
      extraNonce: extra,
    })
    await mgr.submitBlock(b)
  }
}

interface LinkEnd extends SyncPeer {
  readonly sent: Message[]
  readonly misbehaviour: ProtocolError[]
  readonly disconnects: string[]
  mute: boolean
}

let nextId = 1
/**
 * Connect two managers with an in-memory link. Every message is framed and
 * decoded with the wire codec, and delivered asynchronously.
 */
function link(
  a: BlockManager,
  b: BlockManager,
  opts: { bHeaders?: boolean } = {},
): { onA: LinkEnd; onB: LinkEnd } {
  const known = (set: Set<string>) => ({
    hasInventory: (type: number, hash: Hash) => set.has(`${type}:${toHex(hash)}`),
    addInventory: (type: number, hash: Hash) => void set.add(`${type}:${toHex(hash)}`),
  })
  const make = (
    owner: BlockManager,
    other: () => { mgr: BlockManager; end: LinkEnd },
    inbound: boolean,
    prefersHeaders: boolean,
  ): LinkEnd => {
    const end: LinkEnd = {
      id: nextId++,
      label: `fake#${nextId}`,
      inbound,
      startHeight: 0,
      prefersHeaders,
      sent: [],
      misbehaviour: [],
      disconnects: [],
      mute: false,
      ...known(new Set()),
      send(msg) {
        end.sent.push(msg)
        const bytes = encodeMessage(magic, msg)
        setImmediate(() => {
          if (end.mute) return
          const ev = decodeFrame(magic, bytes)
          if (ev.kind === 'message') other().mgr.onMessage(other().end, ev.message, ev.payload)
        })
      },
      sendBlock(payload) {
        const bytes = frame(magic, 'block', payload)
        setImmediate(() => {
          if (end.mute) return
          const ev = decodeFrame(magic, bytes)
          if (ev.kind === 'message') {
            end.sent.push(ev.message)
            other().mgr.onMessage(other().end, ev.message, ev.payload)
          }
        })
      },
      misbehaving(err) {
        end.misbehaviour.push(err)
      },
      disconnect(reason) {
        end.disconnects.push(reason)
        owner.removePeer(end)
        other().mgr.removePeer(other().end)
      },
    }
    void owner
    return end
  }
  // onA is "the peer b as seen from a": what a sends through it reaches b.
  let onA!: LinkEnd
  let onB!: LinkEnd
  onA = make(a, () => ({ mgr: b, end: onB }), true, opts.bHeaders ?? false)
  onB = make(b, () => ({ mgr: a, end: onA }), false, false)
  a.addPeer(onA)
  b.addPeer(onB)
  return { onA, onB }
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('BlockManager', () => {
  it('syncs a chain headers-first from another node and stores every block', async () => {
    const a = await makeNode()
    await mine(a.mgr, 300)
    expect(a.mgr.chain.tip.height).toBe(300)
    const b = await makeNode()
    link(a.mgr, b.mgr)
    await until(() => b.mgr.chain.tip.height === 300)
    expect(hashToHex(b.mgr.chain.tip.hash)).toBe(hashToHex(a.mgr.chain.tip.hash))
    for (let h = 1; h <= 300; h++) expect(b.store.hasBlock(a.mgr.chain.atHeight(h)!.hash)).toBe(true)
  })

  it('reports the sync state of each peer: best header, last common block, blocks in flight, last new block', async () => {
    const a = await makeNode()
    await mine(a.mgr, 30)
    const b = await makeNode({ maxBlocksInFlightPerPeer: 4 })
    // a answers headers but holds every block back.
    const held = link(a.mgr, b.mgr)
    held.onA.sendBlock = () => {}
    await until(() => b.mgr.chain.bestHeader.height === 30 && b.mgr.blocksInFlight === 4)
    expect(b.mgr.peerSyncState(held.onB.id)).toEqual({
      bestKnownHeight: 30,
      lastCommonHeight: 0,
      inFlightHeights: [1, 2, 3, 4],
      lastBlockAt: 0,
    })
    expect(b.mgr.peerSyncState(9_999_999)).toBeUndefined()
    // A peer that serves: after the sync, everything in common and nothing in flight.
    const c = await makeNode()
    const before = Date.now()
    const served = link(a.mgr, c.mgr)
    await until(() => c.mgr.chain.tip.height === 30)
    const st = c.mgr.peerSyncState(served.onB.id)
    expect(st).toMatchObject({ bestKnownHeight: 30, lastCommonHeight: 30, inFlightHeights: [] })
    expect(st!.lastBlockAt).toBeGreaterThanOrEqual(before)
  })

  it('tells its listeners which peer gave it a block, new or not, whole or as a compact block', async () => {
    const a = await makeNode()
    await mine(a.mgr, 5)
    const b = await makeNode()
    const l = link(a.mgr, b.mgr)
    await until(() => b.mgr.chain.tip.height === 5)
    const events: PeerBlockEvent[] = []
    b.mgr.on('peer:block', (ev) => events.push(ev))
    const tip = b.mgr.chain.tip
    const block = mineBlock({
      network: net,
      prev: { hash: tip.hash, height: tip.height, time: tip.time },
      payTo: Uint8Array.of(0x51),
      time: tip.time + 1,
    })
    // Pushed as a compact block (BIP152 high-bandwidth): a new block from a.
    b.mgr.onMessage(l.onB, makeCompactBlock(block, 1n))
    await until(() => b.mgr.chain.tip.height === 6)
    // The same block again, whole: not new.
    b.mgr.onMessage(l.onB, { command: 'block', block })
    await until(() => events.length === 2)
    expect(events.map((e) => [e.peerId, e.entry.height, e.isNew, e.via])).toEqual([
      [l.onB.id, 6, true, 'cmpctblock'],
      [l.onB.id, 6, false, 'block'],
    ])
  })

  it('counts transactions per block and along the chain (Core nTx, nChainTx), across a restart', async () => {
    const a = await makeNode()
    await mine(a.mgr, 3)
    // A block with a second transaction (scripts are not checked).
    const tip = a.mgr.chain.tip
    const spend = new Tx({
      version: 2,
      inputs: [
        {
          prevHash: new Uint8Array(32).fill(1),
          prevIndex: 0,
          script: Uint8Array.of(0x51),
          sequence: 0,
          witness: [],
        },
      ],
      outputs: [{ value: 1n, script: Uint8Array.of(0x51) }],
      locktime: 0,
    })
    const b = mineBlock({
      network: net,
      prev: { hash: tip.hash, height: tip.height, time: tip.time },
      payTo: Uint8Array.of(0x51),
      txs: [spend],
      time: tip.time + 1,
    })
    await a.mgr.submitBlock(b)
    const chain = a.mgr.chain
    expect(await a.mgr.blockTxCount(chain.genesis)).toBe(1)
    expect(await a.mgr.blockTxCount(chain.tip)).toBe(2)
    // Genesis, three coinbase-only blocks, then two transactions.
    expect(await a.mgr.chainTxCount(chain.atHeight(3)!)).toBe(4)
    expect(await a.mgr.chainTxCount(chain.tip)).toBe(6)
    await mine(a.mgr, 2)
    expect(await a.mgr.chainTxCount(chain.tip)).toBe(8)
    // A header without its block has no count.
    const c = await makeNode()
    const h1 = c.mgr.chain.addHeaders([chain.atHeight(1)!.header]).last!
    expect(await c.mgr.blockTxCount(h1)).toBeUndefined()
    expect(await c.mgr.chainTxCount(h1)).toBeUndefined()
    // After a restart the counts come from the store's index.
    const store = new BlockStore({}, { dir: a.dir })
    await a.mgr.stop()
    await a.store.stop()
    await store.start()
    const again = new BlockManager({ store }, { network: net, progressInterval: 0 })
    await again.start()
    stops.push(async () => {
      await again.stop()
      await store.stop()
    })
    expect(again.chain.tip.height).toBe(6)
    expect(await again.chainTxCount(again.chain.tip)).toBe(8)
  })

  it('guesses verification progress as Core does, from the network tx statistics', () => {
    const data = { time: 1_700_000_000, txCount: 1_000_000, txRate: 2 }
    // Behind the statistics: measured against their count extrapolated to now.
    expect(guessVerificationProgress(data, 500_000, 1_600_000_000, 1_700_000_000)).toBe(0.5)
    expect(guessVerificationProgress(data, 500_000, 1_600_000_000, 1_700_250_000)).toBe(500_000 / 1_500_000)
    // Past them: extrapolated from our own tip.
    expect(guessVerificationProgress(data, 2_000_000, 1_700_100_000, 1_700_100_000)).toBe(1)
    expect(guessVerificationProgress(data, 2_000_000, 1_700_000_000, 1_700_500_000)).toBe(
      2_000_000 / 3_000_000,
    )
    // Mainnet at genesis is not done; regtest (no statistics) always is.
    const main = guessVerificationProgress(networks.mainnet.chainTxData, 1, 1231006505, 1_800_000_000)
    expect(main).toBeGreaterThan(0)
    expect(main).toBeLessThan(1e-8)
    expect(guessVerificationProgress(net.chainTxData, 5, 0, 1_800_000_000)).toBe(1)
    expect(guessVerificationProgress(data, 0, 0, 0)).toBe(0)
  })

  it('downloads from several peers in parallel', async () => {
    const a1 = await makeNode()
    await mine(a1.mgr, 200)
    const a2 = await makeNode()
    // a2 gets the same chain from a1.
    link(a1.mgr, a2.mgr)
    await until(() => a2.mgr.chain.tip.height === 200)
    const b = await makeNode({ maxBlocksInFlightPerPeer: 4 })
    const l1 = link(a1.mgr, b.mgr)
    const l2 = link(a2.mgr, b.mgr)
    await until(() => b.mgr.chain.tip.height === 200)
    const served = (end: LinkEnd) => end.sent.filter((m) => m.command === 'block').length
    expect(served(l1.onA)).toBeGreaterThan(0)
    expect(served(l2.onA)).toBeGreaterThan(0)
    expect(served(l1.onA) + served(l2.onA)).toBeGreaterThanOrEqual(200)
  })

  it('relays a new block to peers that do not have it, as headers to those that asked, never back to its source', async () => {
    const a = await makeNode()
    await mine(a.mgr, 5)
    const b = await makeNode()
    const c = await makeNode()
    const ab = link(a.mgr, b.mgr)
    const bc = link(b.mgr, c.mgr, { bHeaders: true })
    await until(() => c.mgr.chain.tip.height === 5)
    await mine(a.mgr, 1)
    await until(() => c.mgr.chain.tip.height === 6)
    const tipHash = toHex(a.mgr.chain.tip.hash)
    // b announced block 6 to c with headers (c asked for sendheaders)…
    expect(
      bc.onA.sent.some(
        (m) => m.command === 'headers' && m.headers.some((h) => toHex(blockHash(h)) === tipHash),
      ),
    ).toBe(true)
    // …and never back to a, where it came from.
    expect(
      ab.onB.sent.some((m) => m.command === 'inv' && m.inventory.some((i) => toHex(i.hash) === tipHash)),
    ).toBe(false)
    expect(
      ab.onB.sent.some(
        (m) => m.command === 'headers' && m.headers.some((h) => toHex(blockHash(h)) === tipHash),
      ),
    ).toBe(false)
  })

  it('follows a reorganisation to a chain with more work', async () => {
    const a = await makeNode()
    const b = await makeNode()
    await mine(a.mgr, 10, 1)
    link(a.mgr, b.mgr)
    await until(() => b.mgr.chain.tip.height === 10)
    // A separate node mines a longer chain from genesis.
    const c = await makeNode()
    await mine(c.mgr, 14, 2)
    const tips: number[] = []
    b.mgr.on('tip', (ch) => tips.push(ch.disconnected.length))
    link(c.mgr, b.mgr)
    await until(() => b.mgr.chain.tip.height === 14)
    expect(hashToHex(b.mgr.chain.tip.hash)).toBe(hashToHex(c.mgr.chain.tip.hash))
    expect(Math.max(...tips)).toBe(10)
  })

  it('disconnects a peer that holds back the download window, and gets the blocks elsewhere', async () => {
    const a = await makeNode()
    await mine(a.mgr, 60)
    const slow = await makeNode()
    link(a.mgr, slow.mgr)
    await until(() => slow.mgr.chain.tip.height === 60)
    const b = await makeNode({ downloadWindow: 8, maxBlocksInFlightPerPeer: 4, stallTimeout: 200 })
    // The slow peer answers headers but never sends blocks.
    const ls = link(slow.mgr, b.mgr)
    const origSendBlock = ls.onA.sendBlock
    ls.onA.sendBlock = () => {}
    void origSendBlock
    await until(() => b.mgr.chain.bestHeader.height === 60)
    link(a.mgr, b.mgr)
    await until(() => b.mgr.chain.tip.height === 60)
    expect(ls.onB.disconnects).toContain('stalling block download')
  })

  it('answers getheaders, getblocks (with the continuation inv) and getdata, with notfound for what it lacks', async () => {
    const a = await makeNode()
    await mine(a.mgr, 520)
    const { onA, onB } = link(a.mgr, await makeNode().then((n) => n.mgr))
    onB.mute = true
    a.mgr.onMessage(onA, {
      command: 'getblocks',
      version: 70016,
      locator: [net.genesisHash],
      hashStop: new Uint8Array(32),
    })
    const inv = onA.sent.find((m) => m.command === 'inv')
    expect(inv?.command === 'inv' && inv.inventory.length).toBe(500)
    const last = inv?.command === 'inv' ? inv.inventory[499]! : undefined
    a.mgr.onMessage(onA, {
      command: 'getdata',
      inventory: [
        { type: 0x40000002, hash: last!.hash },
        { type: 2, hash: new Uint8Array(32).fill(7) },
      ],
    })
    await until(() => onA.sent.some((m) => m.command === 'notfound'))
    expect(onA.sent.filter((m) => m.command === 'block')).toHaveLength(1)
    const cont = onA.sent.filter((m) => m.command === 'inv')
    expect(cont).toHaveLength(2)
    expect(cont[1]!.command === 'inv' && toHex(cont[1]!.inventory[0]!.hash)).toBe(toHex(a.mgr.chain.tip.hash))
  })

  it('reports an invalid block as misbehaviour and does not store it', async () => {
    const a = await makeNode()
    const b = await makeNode()
    const { onB } = link(a.mgr, b.mgr)
    onB.mute = true
    const g = b.mgr.chain.genesis
    const good = mineBlock({
      network: net,
      prev: { hash: g.hash, height: 0, time: g.time },
      payTo: Uint8Array.of(0x51),
      time: Math.floor(Date.now() / 1000),
    })
    // Swap in a coinbase from another block: the merkle root no longer matches.
    const other = mineBlock({
      network: net,
      prev: { hash: g.hash, height: 0, time: g.time },
      payTo: Uint8Array.of(0x52),
      time: Math.floor(Date.now() / 1000),
    })
    b.mgr.onMessage(onB, { command: 'headers', headers: [good.header] })
    b.mgr.onMessage(onB, { command: 'block', block: { header: good.header, txs: other.txs } })
    await new Promise((r) => setTimeout(r, 50))
    expect(onB.misbehaviour.map((e) => e.code)).toContain('BAD_BLOCK')
    expect(b.store.hasBlock(blockHash(good.header))).toBe(false)
  })

  it('keeps a block that failed marked invalid: sent again, even with the right transactions, or built on, it is refused and punished', async () => {
    const a = await makeNode()
    const b = await makeNode()
    const { onB } = link(a.mgr, b.mgr)
    onB.mute = true
    const g = b.mgr.chain.genesis
    const time = Math.floor(Date.now() / 1000)
    const good = mineBlock({
      network: net,
      prev: { hash: g.hash, height: 0, time: g.time },
      payTo: Uint8Array.of(0x51),
      time,
    })
    const other = mineBlock({
      network: net,
      prev: { hash: g.hash, height: 0, time: g.time },
      payTo: Uint8Array.of(0x52),
      time,
    })
    const hash = blockHash(good.header)
    b.mgr.onMessage(onB, { command: 'headers', headers: [good.header] })
    b.mgr.onMessage(onB, { command: 'block', block: { header: good.header, txs: other.txs } })
    await until(() => onB.misbehaviour.length === 1)
    const entry = b.mgr.chain.get(hash)!
    expect(b.mgr.chain.failed(entry)).toBe(true)
    expect(b.mgr.chain.isInvalid(hash)).toBe(true)
    // Core: a block whose header is known invalid is refused without being checked again.
    b.mgr.onMessage(onB, { command: 'block', block: good })
    const child = mineBlock({
      network: net,
      prev: { hash, height: 1, time },
      payTo: Uint8Array.of(0x51),
      time: time + 1,
    })
    b.mgr.onMessage(onB, { command: 'headers', headers: [child.header] })
    await until(() => onB.misbehaviour.length === 3)
    expect(onB.misbehaviour.map((e) => e.code)).toEqual(['BAD_BLOCK', 'BAD_PREVBLK', 'BAD_PREVBLK'])
    expect(b.store.hasBlock(hash)).toBe(false)
    expect(b.mgr.chain.tip).toBe(g)
    expect(b.mgr.chain.has(blockHash(child.header))).toBe(false)
  })

  it('resumes from the store after a restart without downloading stored blocks again', async () => {
    const a = await makeNode()
    await mine(a.mgr, 50)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'blockmgr-'))
    dirs.push(dir)
    let store = new BlockStore({}, { dir })
    await store.start()
    let b = new BlockManager({ store }, { network: net, progressInterval: 0 })
    await b.start()
    link(a.mgr, b)
    await until(() => b.chain.tip.height === 50)
    await b.stop()
    await store.stop()
    await mine(a.mgr, 10)
    store = new BlockStore({}, { dir })
    await store.start()
    b = new BlockManager({ store }, { network: net, progressInterval: 0 })
    await b.start()
    stops.push(async () => {
      await b.stop()
      await store.stop()
    })
    expect(b.chain.tip.height).toBe(50)
    const l = link(a.mgr, b)
    await until(() => b.chain.tip.height === 60)
    const requested = l.onB.sent
      .filter((m) => m.command === 'getdata')
      .flatMap((m) => (m.command === 'getdata' ? m.inventory : []))
    expect(requested).toHaveLength(10)
  })
})

describe('BlockManager: low-work headers presync', () => {
  it('stores no headers from a chain below the minimum chain work', async () => {
    const a = await makeNode()
    await mine(a.mgr, 100)
    const minimum = a.mgr.chain.tip.chainWork + 300n
    const b = await makeNode({ minimumChainWork: minimum })
    const { onB } = link(a.mgr, b.mgr)
    await until(() => onB.sent.filter((m) => m.command === 'getheaders').length >= 1)
    await new Promise((r) => setTimeout(r, 300))
    expect(b.mgr.chain.size).toBe(1)
    expect(b.mgr.chain.bestHeader.height).toBe(0)
    expect(onB.misbehaviour).toEqual([])
  })

  it('presyncs, then downloads the headers again and stores them once they reach the minimum work', async () => {
    const a = await makeNode()
    await mine(a.mgr, 300)
    const b = await makeNode({ minimumChainWork: a.mgr.chain.atHeight(250)!.chainWork })
    link(a.mgr, b.mgr)
    await until(() => b.mgr.chain.tip.height === 300)
    expect(hashToHex(b.mgr.chain.tip.hash)).toBe(hashToHex(a.mgr.chain.tip.hash))
  })

  it('punishes a peer whose redownloaded headers differ from the presynced ones', async () => {
    const x = await makeNode()
    await mine(x.mgr, 300, 1)
    const y = await makeNode()
    await mine(y.mgr, 300, 2)
    const b = await makeNode({ minimumChainWork: x.mgr.chain.atHeight(250)!.chainWork })
    const { onB } = link(x.mgr, b.mgr)
    onB.mute = true
    const headersOf = (m: BlockManager) => m.chain.bestRange(0, 300).map((e) => e.header)
    b.mgr.onMessage(onB, { command: 'headers', headers: headersOf(x.mgr) })
    expect(b.mgr.chain.size).toBe(1)
    b.mgr.onMessage(onB, { command: 'headers', headers: headersOf(y.mgr) })
    expect(onB.misbehaviour.map((e) => e.code)).toContain('PRESYNC_MISMATCH')
    expect(b.mgr.chain.bestHeader.height).toBe(0)
  })
})

describe('syncPeerCount', () => {
  it('counts the peers that announced headers beyond our tip, with blocks in flight or not', async () => {
    const a = await makeNode()
    await mine(a.mgr, 10)
    const b = await makeNode()
    const headers = a.mgr.chain.bestRange(0, 10).map((e) => e.header)
    const ends = [link(a.mgr, b.mgr).onB, link(a.mgr, b.mgr).onB, link(a.mgr, b.mgr).onB]
    for (const e of ends) e.mute = true
    expect(b.mgr.syncPeerCount).toBe(0)
    for (const e of ends) b.mgr.onMessage(e, { command: 'headers', headers })
    expect(b.mgr.chain.bestHeader.height).toBe(10)
    // Ten blocks fit one peer's download window: the others have nothing in flight, yet we sync from all three.
    expect(ends.filter((e) => e.sent.some((m) => m.command === 'getdata'))).toHaveLength(1)
    expect(b.mgr.syncPeerCount).toBe(3)
    // Caught up (the blocks arrive another way): nobody is ahead of us any more.
    for (const e of a.mgr.chain.bestRange(0, 10))
      await b.mgr.submitBlock(decodeBlock((await a.store.getBlock(e.hash))!))
    expect(b.mgr.chain.tip.height).toBe(10)
    expect(b.mgr.syncPeerCount).toBe(0)
  })
})
