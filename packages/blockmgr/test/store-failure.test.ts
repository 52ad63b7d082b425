/**
 * A store that cannot write stops the block manager: bitcoind aborts on any
 * failure to write its block or chain state. The failure is reported once as
 * a typed FatalStoreError through the `fatal` event, and the tip never gets
 * ahead of what is stored.
 *
 * Tests may run as root, where a read-only directory does not stop writes, so
 * the failures are injected: in the store the manager is given (the errors
 * have the shape Node's fs gives: a code and an errno), and for real by
 * replacing the store's directory with a file while it runs.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BlockStore, FatalStoreError, mineBlock, StoreWriteError } from '@node/chain'
import { blockHash, networks } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { BlockManager, type ChainStore, type SyncPeer } from '../src/index.ts'

const net = networks.regtest
const dirs: string[] = []
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const ERRNO: Record<string, number> = { EACCES: -13, ENOSPC: -28, EIO: -5 }

/** An error as Node's fs raises it. */
function fsError(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, ${syscall} '${file}'`), {
    code,
    errno: ERRNO[code],
    syscall,
    path: file,
  })
}

type Op = 'putBlock' | 'setTip' | 'putHeaders'

/** The real store, with writes of one kind failing from `failing.from` on. */
function failingStore(store: BlockStore, op: Op, code: string): { chainStore: ChainStore; arm: () => void } {
  let armed = false
  const fail = (what: string) =>
    Promise.reject(new StoreWriteError(`Writing ${what} failed.`, { cause: fsError(code, 'write', what) }))
  const chainStore: ChainStore = {
    putBlock: (h, b, m) => (armed && op === 'putBlock' ? fail('blk00000.dat') : store.putBlock(h, b, m)),
    setTip: (h, n) => (armed && op === 'setTip' ? fail('tip.dat.tmp') : store.setTip(h, n)),
    putHeaders: (r) => (armed && op === 'putHeaders' ? fail('headers.dat') : store.putHeaders(r)),
    getBlock: (h) => store.getBlock(h),
    hasBlock: (h) => store.hasBlock(h),
    getBlockInfo: (h) => store.getBlockInfo(h),
    loadHeaders: () => store.loadHeaders(),
  }
  return { chainStore, arm: () => void (armed = true) }
}

async function node(chainStore?: (s: BlockStore) => ChainStore) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'blockmgr-fail-'))
  dirs.push(dir)
  const blocksDir = path.join(dir, 'blocks')
  const store = new BlockStore({}, { dir: blocksDir })
  await store.start()
  const mgr = new BlockManager(
    { store: chainStore ? chainStore(store) : store },
    { network: net, progressInterval: 0 },
  )
  const fatals: FatalStoreError[] = []
  mgr.on('fatal', (e) => fatals.push(e))
  await mgr.start()
  stops.push(async () => {
    await mgr.stop()
    await store.stop()
  })
  return { mgr, store, fatals, blocksDir }
}

function nextBlock(mgr: BlockManager, extra = 0) {
  const tip = mgr.chain.tip
  return mineBlock({
    network: net,
    prev: { hash: tip.hash, height: tip.height, time: tip.time },
    payTo: Uint8Array.of(0x51),
    time: Math.floor(Date.now() / 1000) - 3600 + tip.height,
    extraNonce: extra,
  })
}

function fakePeer(): SyncPeer & { sent: string[] } {
  const sent: string[] = []
  return {
    id: 1,
    label: 'fake',
    inbound: true,
    startHeight: 0,
    prefersHeaders: false,
    sent,
    send: (m) => void sent.push(m.command),
    sendBlock: () => void sent.push('block'),
    hasInventory: () => false,
    addInventory: () => {},
    misbehaving: () => {},
    disconnect: () => {},
  }
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 50))
}

describe('a store write failure is fatal', () => {
  for (const code of ['EACCES', 'ENOSPC', 'EIO']) {
    it(`${code} writing a block: fatal reported once, the block is refused, the tip stays at what is stored`, async () => {
      let arm!: () => void
      const n = await node((s) => {
        const f = failingStore(s, 'putBlock', code)
        arm = f.arm
        return f.chainStore
      })
      await n.mgr.submitBlock(nextBlock(n.mgr))
      expect(n.mgr.chain.tip.height).toBe(1)
      arm()
      const b2 = nextBlock(n.mgr)
      const err = await n.mgr.submitBlock(b2).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(FatalStoreError)
      expect(err).toMatchObject({ code: 'FATAL_STORE_WRITE', errno: code })
      expect((err as Error).message).toContain(code)
      expect(n.fatals).toHaveLength(1)
      expect(n.fatals[0]).toBe(err)
      expect(n.mgr.fatalError).toBe(err)
      // The tip did not move past the last stored block.
      expect(n.mgr.chain.tip.height).toBe(1)
      expect(n.store.hasBlock(blockHash(b2.header))).toBe(false)
      expect(n.store.getTip()?.height).toBe(1)
      // Nothing more is taken in: a later block is refused at once, and one from a peer is ignored.
      await expect(n.mgr.submitBlock(b2)).rejects.toBe(err)
      const peer = fakePeer()
      n.mgr.addPeer(peer)
      const other = nextBlock(n.mgr, 1)
      n.mgr.onMessage(peer, { command: 'headers', headers: [other.header] })
      await settle()
      expect(n.mgr.chain.has(blockHash(other.header))).toBe(false)
      expect(peer.sent).not.toContain('getdata')
      expect(n.fatals).toHaveLength(1)
    })
  }

  it('a failure to write the tip fails the block submission and is reported', async () => {
    let arm!: () => void
    const n = await node((s) => {
      const f = failingStore(s, 'setTip', 'EACCES')
      arm = f.arm
      return f.chainStore
    })
    await n.mgr.submitBlock(nextBlock(n.mgr))
    arm()
    await expect(n.mgr.submitBlock(nextBlock(n.mgr))).rejects.toMatchObject({
      code: 'FATAL_STORE_WRITE',
      errno: 'EACCES',
    })
    expect(n.fatals).toHaveLength(1)
    expect(n.fatals[0]!.message).toMatch(/chain tip/)
    expect(n.store.getTip()?.height).toBe(1)
  })

  it('a failure to write headers from a peer is reported', async () => {
    let arm!: () => void
    const n = await node((s) => {
      const f = failingStore(s, 'putHeaders', 'ENOSPC')
      arm = f.arm
      return f.chainStore
    })
    arm()
    const peer = fakePeer()
    n.mgr.addPeer(peer)
    n.mgr.onMessage(peer, { command: 'headers', headers: [nextBlock(n.mgr).header] })
    await settle()
    expect(n.fatals).toHaveLength(1)
    expect(n.fatals[0]).toMatchObject({ errno: 'ENOSPC' })
  })

  it('for real: with the blocks directory replaced by a file, the next block fails and is reported', async () => {
    const n = await node()
    await n.mgr.submitBlock(nextBlock(n.mgr))
    // Open block files keep working; creating tip.dat.tmp in the directory cannot.
    renameSync(n.blocksDir, `${n.blocksDir}.moved`)
    writeFileSync(n.blocksDir, 'not a directory')
    const err = await n.mgr.submitBlock(nextBlock(n.mgr)).catch((e: unknown) => e)
    // Put the directory back so that the store can release its lock.
    rmSync(n.blocksDir)
    renameSync(`${n.blocksDir}.moved`, n.blocksDir)
    expect(err).toBeInstanceOf(FatalStoreError)
    expect(err).toMatchObject({ errno: 'ENOTDIR' })
    expect((err as Error).message).toContain('ENOTDIR')
    expect(n.fatals).toEqual([err])
    expect(n.store.getTip()?.height).toBe(1)
  })
})
