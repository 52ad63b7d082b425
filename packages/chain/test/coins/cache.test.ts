/**
 * The coins cache over the coins database (Core coins.cpp CCoinsViewCache,
 * validation.cpp FlushStateToDisk), on a real LevelDB in a temp directory.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startableSuite } from '@node/testkit'
import { sha256d } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CACHE_ENTRY_OVERHEAD,
  type Coin,
  CoinsCache,
  CoinsDB,
  coinsCacheBytes,
  DATABASE_WRITE_INTERVAL_MAX_MS,
  DATABASE_WRITE_INTERVAL_MIN_MS,
} from '../../src/index.ts'

const dirs: string[] = []
const dbs: CoinsDB[] = []
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'coins-cache-'))
  dirs.push(d)
  return d
}

async function openDb(datadir: string): Promise<CoinsDB> {
  const db = new CoinsDB({ datadir })
  dbs.push(db)
  await db.start()
  return db
}

const txid = (i: number): Uint8Array => sha256d(Uint8Array.of(i, i >> 8))
const blk = (i: number): Uint8Array => new Uint8Array(sha256d(Uint8Array.of(0xb1, i)))
const coin = (v: number, height = 5): Coin => ({
  value: BigInt(v),
  script: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(v & 0xff)),
  height,
  coinbase: false,
})

startableSuite('CoinsDB', {
  setup: async () => ({ subject: new CoinsDB({ datadir: await tempDir() }) }),
})

describe('CoinsCache', () => {
  it('a coin created and spent before a flush never reaches the database', async () => {
    const db = await openDb(await tempDir())
    const cache = new CoinsCache({ db, maxBytes: 1 << 24 })
    cache.add(txid(1), 0, coin(10))
    expect(cache.dirtyCount).toBe(1)
    expect(cache.spend(txid(1), 0)).toEqual(coin(10))
    expect(cache.size).toBe(0)
    expect(cache.usage()).toBe(0)
    const r = await cache.flush(blk(1))
    expect(r).toEqual({ written: 0, deleted: 0 })
    expect(await db.get(txid(1), 0)).toBeUndefined()
    expect(db.bestBlock()).toEqual(blk(1))
  })

  it('spending a stored coin deletes it at the flush; re-adding it after is not FRESH', async () => {
    const db = await openDb(await tempDir())
    const cache = new CoinsCache({ db, maxBytes: 1 << 24 })
    cache.add(txid(2), 3, coin(20))
    await cache.flush(blk(1), { erase: true })
    expect(cache.size).toBe(0)
    await cache.prefetch([{ txid: txid(2), vout: 3 }])
    expect(cache.size).toBe(1)
    expect(cache.dirtyCount).toBe(0)
    expect(cache.spend(txid(2), 3)).toEqual(coin(20))
    expect(cache.spend(txid(2), 3)).toBeUndefined()
    // spent and DIRTY: re-adding cannot be FRESH, so spending it again must still delete on disk
    cache.add(txid(2), 3, coin(21))
    cache.spend(txid(2), 3)
    const r = await cache.flush(blk(2))
    expect(r.deleted).toBe(1)
    expect(await db.get(txid(2), 3)).toBeUndefined()
  })

  it('get falls back to a synchronous read when a coin was not prefetched', async () => {
    const db = await openDb(await tempDir())
    await db.writeBatch({ coins: [{ txid: txid(3), vout: 1, coin: coin(30) }], bestBlock: blk(1) })
    const cache = new CoinsCache({ db, maxBytes: 1 << 24 })
    expect(cache.get(txid(3), 1)).toEqual(coin(30))
    expect(cache.get(txid(3), 2)).toBeUndefined()
  })

  it('adding over an unspent coin throws unless overwrite; unspendable outputs are not stored', async () => {
    const db = await openDb(await tempDir())
    const cache = new CoinsCache({ db, maxBytes: 1 << 24 })
    cache.add(txid(4), 0, coin(40))
    expect(() => cache.add(txid(4), 0, coin(41))).toThrow(expect.objectContaining({ code: 'COIN_OVERWRITE' }))
    cache.add(txid(4), 0, coin(41), true)
    expect(cache.get(txid(4), 0)).toEqual(coin(41))
    cache.add(txid(4), 1, { ...coin(1), script: Uint8Array.of(0x6a, 0x01, 0x02) })
    expect(cache.get(txid(4), 1)).toBeUndefined()
  })

  it('a flush writes coins and the marker atomically: after reopening they match', async () => {
    const datadir = await tempDir()
    let db = await openDb(datadir)
    const cache = new CoinsCache({ db, maxBytes: 1 << 24 })
    for (let i = 0; i < 100; i++) cache.add(txid(i), 0, coin(i))
    cache.addUndo(blk(7), [[coin(1, 3)]])
    await cache.flush(blk(7))
    await db.stop()
    db = await openDb(datadir)
    expect(db.bestBlock()).toEqual(blk(7))
    let n = 0
    for await (const c of db.iterate()) {
      expect(c.coin.value).toBeLessThan(100n)
      n++
    }
    expect(n).toBe(100)
    expect(await db.getUndo(blk(7))).toEqual([[coin(1, 3)]])
  })

  it('holds undo data until the flush, readable before and after; deleted undo is gone', async () => {
    const db = await openDb(await tempDir())
    const cache = new CoinsCache({ db, maxBytes: 1 << 24 })
    const before = cache.usage()
    cache.addUndo(blk(1), [[coin(5, 1)], [coin(6, 2), coin(7, 0)]])
    expect(cache.usage()).toBeGreaterThan(before)
    expect(await cache.getUndo(blk(1))).toEqual([[coin(5, 1)], [coin(6, 2), coin(7, 0)]])
    expect(await db.getUndo(blk(1))).toBeUndefined()
    await cache.flush(blk(1))
    expect(cache.usage()).toBe(0)
    expect(await db.getUndo(blk(1))).toEqual([[coin(5, 1)], [coin(6, 2), coin(7, 0)]])
    expect(await cache.getUndo(blk(1))).toEqual([[coin(5, 1)], [coin(6, 2), coin(7, 0)]])
    cache.deleteUndo(blk(1))
    expect(await cache.getUndo(blk(1))).toBeUndefined()
    await cache.flush(blk(0))
    expect(await db.getUndo(blk(1))).toBeUndefined()
  })

  it('a failed write throws CoinsStoreError and leaves the cache dirty for a retry', async () => {
    const datadir = await tempDir()
    const db = await openDb(datadir)
    const cache = new CoinsCache({ db, maxBytes: 1 << 24 })
    cache.add(txid(9), 0, coin(9))
    await db.stop()
    await expect(cache.flush(blk(1))).rejects.toMatchObject({ code: 'COINS_STORE', name: 'CoinsStoreError' })
    expect(cache.dirtyCount).toBe(1)
    await db.start()
    await cache.flush(blk(1))
    expect(await db.get(txid(9), 0)).toEqual(coin(9))
  })

  it('refuses changes while a flush is writing (they would be marked clean unwritten)', async () => {
    const db = await openDb(await tempDir())
    const cache = new CoinsCache({ db, maxBytes: 1 << 24 })
    cache.add(txid(1), 0, coin(1))
    const flushing = cache.flush(blk(1))
    expect(() => cache.add(txid(2), 0, coin(2))).toThrow(expect.objectContaining({ code: 'CACHE_FLUSHING' }))
    expect(() => cache.spend(txid(1), 0)).toThrow(expect.objectContaining({ code: 'CACHE_FLUSHING' }))
    await expect(cache.flush(blk(2))).rejects.toMatchObject({ code: 'CACHE_FLUSHING' })
    await flushing
    cache.add(txid(2), 0, coin(2))
    expect(cache.get(txid(1), 0)).toEqual(coin(1))
  })

  it('a prefetch whose read overlapped a flush does not bring back a coin the flush deleted', async () => {
    const db = await openDb(await tempDir())
    await db.writeBatch({ coins: [{ txid: txid(5), vout: 0, coin: coin(50) }], bestBlock: blk(0) })
    // hold the multi-get's answer until the flush is done, as a slow disk read would
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const slow = Object.create(db) as CoinsDB
    slow.getMany = async (o) => {
      const read = await db.getMany(o)
      await gate
      return read
    }
    slow.getSync = (t, v) => db.getSync(t, v)
    slow.writeBatch = (b) => db.writeBatch(b)
    const cache = new CoinsCache({ db: slow, maxBytes: 1 << 24 })
    const prefetching = cache.prefetch([{ txid: txid(5), vout: 0 }])
    await new Promise((r) => setTimeout(r, 20))
    expect(cache.spend(txid(5), 0)).toEqual(coin(50)) // the synchronous path
    await cache.flush(blk(1), { erase: true })
    release()
    await prefetching
    expect(cache.get(txid(5), 0)).toBeUndefined()
  })

  it('counts memory per entry and says when to flush: over the limit, near it, periodically', async () => {
    const db = await openDb(await tempDir())
    let now = 1_000_000
    const maxBytes = 100 * (CACHE_ENTRY_OVERHEAD + 22)
    const cache = new CoinsCache({ db, maxBytes, now: () => now, random: () => 0.5 })
    expect(cache.shouldFlush()).toBeUndefined()
    now += DATABASE_WRITE_INTERVAL_MIN_MS - 1
    expect(cache.shouldFlush()).toBeUndefined()
    now += (DATABASE_WRITE_INTERVAL_MAX_MS - DATABASE_WRITE_INTERVAL_MIN_MS) / 2 + 1
    expect(cache.shouldFlush()).toBe('periodic')
    await cache.flush(blk(1))
    expect(cache.shouldFlush()).toBeUndefined()
    for (let i = 0; i < 50; i++) cache.add(txid(i), 0, coin(i))
    expect(cache.usage()).toBe(50 * (CACHE_ENTRY_OVERHEAD + 22))
    expect(cache.shouldFlush()).toBeUndefined()
    for (let i = 50; i < 95; i++) cache.add(txid(i), 0, coin(i))
    expect(cache.shouldFlush()).toBe('large')
    for (let i = 95; i < 101; i++) cache.add(txid(i), 0, coin(i))
    expect(cache.shouldFlush()).toBe('critical')
    await cache.flush(blk(2), { erase: true })
    expect(cache.usage()).toBe(0)
    expect(cache.shouldFlush()).toBeUndefined()
  })

  it('splits -dbcache as Core’s CacheSizes: the rest after the block-tree and LevelDB caches', () => {
    const s = coinsCacheBytes(450)
    expect(s.blockTreeDb).toBe(2 * 2 ** 20)
    expect(s.coinsDb).toBe(8 * 2 ** 20)
    expect(s.coins).toBe(440 * 2 ** 20)
  })
})
