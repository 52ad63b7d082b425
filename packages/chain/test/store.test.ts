import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BlockStore, MAX_PENDING_WRITES, MAX_STORED_BLOCK_SIZE } from '../src/index.ts'
import { hex, makeBlock, pseudoBytes, sha256, tempDir } from './store-helpers.ts'

let dir: string
let cleanup: () => Promise<void>
const open: BlockStore[] = []

async function openStore(init: { maxFileSize?: number } = {}): Promise<BlockStore> {
  const s = new BlockStore({}, { dir, ...init })
  open.push(s)
  await s.start()
  return s
}

beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
})

afterEach(async () => {
  for (const s of open.splice(0)) await s.stop()
  await cleanup()
})

function header(i: number): { hash: Uint8Array; header80: Uint8Array; height: number } {
  const header80 = pseudoBytes(100_000 + i, 80)
  return { hash: sha256(header80), header80, height: i }
}

describe('BlockStore blocks', () => {
  it('round-trips a block with its metadata', async () => {
    const s = await openStore()
    const b = makeBlock(1)
    expect(s.hasBlock(b.hash)).toBe(false)
    expect(await s.getBlock(b.hash)).toBeUndefined()
    await s.putBlock(b.hash, b.bytes, { height: 42, flags: 5 })
    expect(s.hasBlock(b.hash)).toBe(true)
    expect(await s.getBlock(b.hash)).toEqual(b.bytes)
    expect(s.getBlockInfo(b.hash)).toEqual({ size: b.bytes.length, height: 42, flags: 5 })
    expect(s.blockCount).toBe(1)
  })

  it('keeps blocks, heights and flags across a reopen', async () => {
    let s = await openStore()
    const blocks = Array.from({ length: 20 }, (_, i) => makeBlock(i))
    for (const [i, b] of blocks.entries())
      await s.putBlock(b.hash, b.bytes, i % 2 ? { height: i } : undefined)
    await s.stop()
    s = await openStore()
    expect(s.blockCount).toBe(20)
    for (const [i, b] of blocks.entries()) {
      expect(await s.getBlock(b.hash)).toEqual(b.bytes)
      expect(s.getBlockInfo(b.hash)?.height).toBe(i % 2 ? i : undefined)
    }
    expect(s.lastRecovery).toEqual({
      truncated: [],
      reindexedBlocks: 0,
      droppedIndexEntries: 0,
      corruptBlockRecords: 0,
      corruptHeaderRecords: 0,
      tipLost: false,
    })
  })

  it('stores many blocks written concurrently, rolling over to new block files', async () => {
    let s = await openStore({ maxFileSize: 64 * 1024 })
    const blocks = Array.from({ length: 300 }, (_, i) => makeBlock(1000 + i, 500 + ((i * 37) % 4000)))
    await Promise.all(blocks.map((b) => s.putBlock(b.hash, b.bytes)))
    const files = (await readdir(dir)).filter((n) => n.startsWith('blk0')).sort()
    expect(files.length).toBeGreaterThan(5)
    for (const f of files) expect((await stat(join(dir, f))).size).toBeLessThanOrEqual(64 * 1024)
    await s.stop()
    s = await openStore({ maxFileSize: 64 * 1024 })
    expect(s.blockCount).toBe(300)
    for (const b of blocks) expect(hex(sha256((await s.getBlock(b.hash))!))).toBe(hex(b.hash))
    // Appends continue in the last file.
    const more = makeBlock(5000)
    await s.putBlock(more.hash, more.bytes)
    expect(await s.getBlock(more.hash)).toEqual(more.bytes)
  })

  it('keeps the transaction count of each block in the index across a reopen', async () => {
    let s = await openStore()
    const a = makeBlock(3001)
    const b = makeBlock(3002)
    await s.putBlock(a.hash, a.bytes, { height: 1, txCount: 2345 })
    await s.putBlock(b.hash, b.bytes, { height: 2 })
    expect(s.getBlockInfo(a.hash)?.txCount).toBe(2345)
    expect(s.getBlockInfo(b.hash)?.txCount).toBeUndefined()
    await s.stop()
    s = await openStore()
    expect(s.getBlockInfo(a.hash)?.txCount).toBe(2345)
    expect(s.getBlockInfo(b.hash)?.txCount).toBeUndefined()
  })

  it('reports the bytes of its block files as sizeOnDisk, across file rollover and a reopen', async () => {
    const onDisk = async () => {
      let total = 0
      for (const f of await readdir(dir))
        if (/^blk\d+\.dat$/.test(f)) total += (await stat(join(dir, f))).size
      return total
    }
    let s = await openStore({ maxFileSize: 16 * 1024 })
    expect(s.sizeOnDisk).toBe(0)
    const blocks = Array.from({ length: 40 }, (_, i) => makeBlock(2000 + i, 1000 + i * 10))
    for (const b of blocks) await s.putBlock(b.hash, b.bytes)
    const expected = blocks.reduce((n, b) => n + 56 + b.bytes.length, 0)
    expect(s.sizeOnDisk).toBe(expected)
    expect(await onDisk()).toBe(expected)
    await s.stop()
    s = await openStore({ maxFileSize: 16 * 1024 })
    expect(s.sizeOnDisk).toBe(expected)
  })

  it('stores a block only once when it is put twice, even concurrently', async () => {
    const s = await openStore()
    const b = makeBlock(7)
    await Promise.all([s.putBlock(b.hash, b.bytes), s.putBlock(b.hash, b.bytes)])
    await s.putBlock(b.hash, b.bytes)
    const size = (await stat(join(dir, 'blk00000.dat'))).size
    expect(size).toBe(56 + b.bytes.length)
    expect(s.blockCount).toBe(1)
  })

  it('accepts a block of the maximum size and refuses a larger or empty one', async () => {
    const s = await openStore()
    const big = pseudoBytes(9, MAX_STORED_BLOCK_SIZE)
    await s.putBlock(sha256(big), big)
    expect((await s.getBlock(sha256(big)))?.length).toBe(MAX_STORED_BLOCK_SIZE)
    const tooBig = new Uint8Array(MAX_STORED_BLOCK_SIZE + 1)
    await expect(s.putBlock(new Uint8Array(32), tooBig)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(s.putBlock(new Uint8Array(32), new Uint8Array(0))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('rejects malformed hashes and metadata with typed errors', async () => {
    const s = await openStore()
    const b = makeBlock(3)
    await expect(s.putBlock(new Uint8Array(31), b.bytes)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(s.putBlock(b.hash, b.bytes, { height: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(s.putBlock(b.hash, b.bytes, { height: 1.5 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(s.putBlock(b.hash, b.bytes, { flags: 2 ** 32 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(s.getBlock(new Uint8Array(33))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(() => s.hasBlock(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(s.blockCount).toBe(0)
  })

  it(`refuses more than ${MAX_PENDING_WRITES} writes waiting at once with StoreBusyError`, async () => {
    const s = await openStore()
    const puts: Promise<void>[] = []
    for (let i = 0; i < MAX_PENDING_WRITES; i++) {
      const b = makeBlock(20_000 + i, 64)
      puts.push(s.putBlock(b.hash, b.bytes))
    }
    const extra = makeBlock(99_999, 64)
    await expect(s.putBlock(extra.hash, extra.bytes)).rejects.toMatchObject({ code: 'STORE_BUSY' })
    await Promise.all(puts)
    expect(s.blockCount).toBe(MAX_PENDING_WRITES)
    await s.putBlock(extra.hash, extra.bytes)
    expect(s.hasBlock(extra.hash)).toBe(true)
  })

  it('makes writes accepted before stop() durable, and refuses calls after it', async () => {
    const s = new BlockStore({}, { dir })
    await s.start()
    const blocks = Array.from({ length: 10 }, (_, i) => makeBlock(300 + i))
    const puts = blocks.map((b) => s.putBlock(b.hash, b.bytes))
    const stopped = s.stop()
    await Promise.all(puts)
    await stopped
    await expect(s.putBlock(blocks[0]!.hash, blocks[0]!.bytes)).rejects.toMatchObject({
      code: 'STORE_CLOSED',
    })
    await expect(s.getBlock(blocks[0]!.hash)).rejects.toMatchObject({ code: 'STORE_CLOSED' })
    expect(() => s.hasBlock(blocks[0]!.hash)).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }))
    await expect(s.loadHeaders()).rejects.toMatchObject({ code: 'STORE_CLOSED' })
    const again = await openStore()
    for (const b of blocks) expect(await again.getBlock(b.hash)).toEqual(b.bytes)
  })
})

describe('BlockStore headers', () => {
  it('round-trips header records across a reopen, in insertion order', async () => {
    let s = await openStore()
    const recs = Array.from({ length: 5000 }, (_, i) => header(i))
    for (let i = 0; i < recs.length; i += 2000) await s.putHeaders(recs.slice(i, i + 2000))
    await s.stop()
    s = await openStore()
    const loaded = await s.loadHeaders()
    expect(loaded.length).toBe(5000)
    for (const [i, r] of loaded.entries()) {
      expect(hex(r.hash)).toBe(hex(recs[i]!.hash))
      expect(hex(r.header80)).toBe(hex(recs[i]!.header80))
      expect(r.height).toBe(i)
      expect(r.status).toBe(0)
    }
  })

  it('lets a later record for the same hash replace the earlier one', async () => {
    const s = await openStore()
    const a = header(1)
    const b = header(2)
    await s.putHeaders([a, b])
    await s.putHeaders([{ ...a, status: 9 }])
    const loaded = await s.loadHeaders()
    expect(loaded.map((r) => [hex(r.hash), r.status])).toEqual([
      [hex(a.hash), 9],
      [hex(b.hash), 0],
    ])
  })

  it('compacts a header log holding mostly superseded records', async () => {
    let s = await openStore()
    const recs = Array.from({ length: 4000 }, (_, i) => header(i))
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < recs.length; i += 2000) {
        await s.putHeaders(recs.slice(i, i + 2000).map((r) => ({ ...r, status: round })))
      }
    }
    expect((await stat(join(dir, 'headers.dat'))).size).toBe(16_000 * 128)
    const loaded = await s.loadHeaders()
    expect(loaded.length).toBe(4000)
    expect(loaded.every((r) => r.status === 3)).toBe(true)
    expect((await stat(join(dir, 'headers.dat'))).size).toBe(4000 * 128)
    await s.putHeaders([header(4000)])
    await s.stop()
    s = await openStore()
    const again = await s.loadHeaders()
    expect(again.length).toBe(4001)
    expect(again[4000]!.height).toBe(4000)
  })

  it('rejects malformed header records without writing any of the batch', async () => {
    const s = await openStore()
    const good = header(1)
    await expect(s.putHeaders([good, { ...header(2), header80: new Uint8Array(79) }])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(s.putHeaders([{ ...good, height: -5 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await s.loadHeaders()).toEqual([])
  })
})

describe('BlockStore tip', () => {
  it('has no tip at first and keeps the last one set across a reopen', async () => {
    let s = await openStore()
    expect(s.getTip()).toBeUndefined()
    await s.setTip(sha256(Uint8Array.of(1)), 10)
    await s.setTip(sha256(Uint8Array.of(2)), 11)
    expect(s.getTip()).toEqual({ hash: sha256(Uint8Array.of(2)), height: 11 })
    await s.stop()
    s = await openStore()
    expect(s.getTip()).toEqual({ hash: sha256(Uint8Array.of(2)), height: 11 })
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })
})
