/**
 * The in-memory coins cache over {@link CoinsDB}: Core's CCoinsViewCache
 * (coins.h/.cpp) with its DIRTY/FRESH entry flags, and the flush policy of
 * validation.cpp `Chainstate::FlushStateToDisk`.
 *
 * - DIRTY: the entry differs from the database. FRESH: the database has no
 *   unspent coin here, so spending a FRESH coin just drops the entry: a coin
 *   created and spent between two flushes never touches the disk
 *   (coins.cpp `SpendCoin`, `AddCoin`).
 * - `prefetch(outpoints)` loads a block's inputs with one multi-get, so the
 *   synchronous `get`/`spend` of block connection find them in memory; a
 *   miss falls back to a synchronous database read (Core's FetchCoin).
 * - Undo data of blocks connected since the last flush is held here (encoded,
 *   counted in `usage()`) and written by the flush in the same batch as the
 *   coins and the best-block marker.
 * - `flush()` writes every DIRTY entry, the held undo records and the marker
 *   atomically (db.ts), then either empties the cache (Core `Flush`, when it
 *   is over its limit) or keeps the clean entries (Core `Sync`, periodic).
 * - Size: `-dbcache` MiB is split as Core's kernel/caches.h `CacheSizes`:
 *   the block-tree DB gets min(1/8, 2 MiB), LevelDB's own block cache gets
 *   min(half the rest, 8 MiB), and everything else is this cache, because
 *   every coin held here is a database read and write saved during sync,
 *   while LevelDB's cache only saves decompressing blocks already read
 *   (Core: "the rest goes to the coins cache"). See {@link coinsCacheBytes}.
 */
import { type Logger, silentLogger } from '@node/runtime'
import type { Hash } from '@node/wire'
import { isUnspendable } from '../validation/update.ts'
import type { CoinChange, CoinsDB } from './db.ts'
import { CacheFlushingError, CoinOverwriteError } from './errors.ts'
import { type BlockUndo, type Coin, outpointKey, type UtxoView } from './types.ts'
import { decodeBlockUndo, encodeBlockUndo } from './undo.ts'

/** Core DEFAULT_DB_CACHE (kernel/caches.h DEFAULT_KERNEL_CACHE), MiB. */
export const DEFAULT_DB_CACHE = 450
/** Core MIN_DB_CACHE, MiB. */
export const MIN_DB_CACHE = 4
/** Core validation.cpp DATABASE_WRITE_INTERVAL_MIN / _MAX: periodic flushes 50–70 min apart, randomized. */
export const DATABASE_WRITE_INTERVAL_MIN_MS = 50 * 60_000
export const DATABASE_WRITE_INTERVAL_MAX_MS = 70 * 60_000
/** Core validation.cpp MAX_BLOCK_COINSDB_USAGE_BYTES: headroom one block may need. */
const MAX_BLOCK_COINSDB_USAGE_BYTES = 10 << 20

/**
 * Bytes one cached coin costs beyond its script bytes: the 36-byte key
 * string, the Map slot, the entry, the Coin object, its bigint and its
 * Uint8Array. Measured by bench/coins.bench.ts (`measureCacheMemory`, V8
 * heap + array buffers after GC): 207 B per coin over 1 M coins with a
 * 25-byte mean script, 227 B over 300 k (Map growth steps); 200 + script
 * bytes errs on the high side, so the cache flushes early rather than late.
 */
export const CACHE_ENTRY_OVERHEAD = 200
/** Bytes a held undo record costs beyond its encoded length. */
const UNDO_OVERHEAD = 200

const DIRTY = 1
const FRESH = 2

interface Entry {
  /** undefined: spent. */
  coin: Coin | undefined
  flags: number
}

/** The part of -dbcache (MiB) that goes to the coins cache, in bytes (Core kernel/caches.h CacheSizes). */
export function coinsCacheBytes(dbcacheMiB: number): { coins: number; coinsDb: number; blockTreeDb: number } {
  let total = Math.max(dbcacheMiB, MIN_DB_CACHE) * 2 ** 20
  const blockTreeDb = Math.min(total / 8, 2 * 2 ** 20)
  total -= blockTreeDb
  const coinsDb = Math.min(total / 2, 8 * 2 ** 20)
  total -= coinsDb
  return { coins: total, coinsDb, blockTreeDb }
}

/** Why a flush is due (Core FlushStateToDisk's fCacheCritical, fCacheLarge, fPeriodicWrite). */
export type FlushReason = 'critical' | 'large' | 'periodic'

export interface CoinsCacheOptions {
  readonly db: CoinsDB
  /** Byte limit of the cache (see {@link coinsCacheBytes}). */
  readonly maxBytes: number
  /** Milliseconds clock for the periodic flush. */
  readonly now?: () => number
  /** [0, 1) randomness for the periodic interval. */
  readonly random?: () => number
  readonly logger?: Logger
}

function keyOf(txid: Hash, vout: number): string {
  const k = outpointKey(txid, vout)
  return Buffer.from(k.buffer, k.byteOffset, k.length).toString('latin1')
}

function entryBytes(e: Entry): number {
  return CACHE_ENTRY_OVERHEAD + (e.coin ? e.coin.script.length : 0)
}

/** Core CCoinsViewCache over the coins database. */
export class CoinsCache implements UtxoView {
  readonly #db: CoinsDB
  readonly #max: number
  readonly #now: () => number
  readonly #random: () => number
  readonly #log: Logger
  /** Bounded by `maxBytes` through the flush policy: the node flushes when {@link shouldFlush} says so. */
  readonly #entries = new Map<string, Entry>()
  /** Undo records of blocks connected since the last flush, encoded; bounded with the entries. */
  readonly #undo = new Map<string, Uint8Array>()
  /** Undo records to delete at the next flush (blocks disconnected). */
  readonly #undoDeletes = new Map<string, Hash>()
  #usage = 0
  #dirty = 0
  #nextWrite: number | undefined
  /** Bumped when a flush starts and ends: a prefetch that overlapped one is dropped (its reads may predate the write). */
  #epoch = 0
  #flushing = false

  constructor(opts: CoinsCacheOptions) {
    this.#db = opts.db
    this.#max = opts.maxBytes
    this.#now = opts.now ?? Date.now
    this.#random = opts.random ?? Math.random
    this.#log = (opts.logger ?? silentLogger).child({ component: 'coinscache' })
  }

  /** Estimated bytes held: cached coins and held undo records (Core DynamicMemoryUsage). */
  usage(): number {
    return this.#usage
  }

  /** Entries cached, spent ones included (Core GetCacheSize). */
  get size(): number {
    return this.#entries.size
  }

  /** Entries not yet written (Core GetDirtyCount). */
  get dirtyCount(): number {
    return this.#dirty
  }

  get maxBytes(): number {
    return this.#max
  }

  #set(key: string, e: Entry): void {
    const old = this.#entries.get(key)
    if (old) {
      this.#usage -= entryBytes(old)
      if (old.flags & DIRTY) this.#dirty--
    }
    this.#entries.set(key, e)
    this.#usage += entryBytes(e)
    if (e.flags & DIRTY) this.#dirty++
  }

  #delete(key: string): void {
    const old = this.#entries.get(key)
    if (!old) return
    this.#usage -= entryBytes(old)
    if (old.flags & DIRTY) this.#dirty--
    this.#entries.delete(key)
  }

  /** Core FetchCoin: the cached entry, else a synchronous database read (cached clean). */
  #fetch(txid: Hash, vout: number, key: string): Entry | undefined {
    const e = this.#entries.get(key)
    if (e) return e
    const coin = this.#db.getSync(txid, vout)
    if (!coin) return undefined
    const fresh: Entry = { coin, flags: 0 }
    this.#set(key, fresh)
    return fresh
  }

  /** Load these outpoints from the database (one multi-get) so the synchronous view finds them. */
  async prefetch(outpoints: readonly { readonly txid: Hash; readonly vout: number }[]): Promise<void> {
    const want: { txid: Hash; vout: number; key: string }[] = []
    const seen = new Set<string>()
    for (const o of outpoints) {
      const key = keyOf(o.txid, o.vout)
      if (this.#entries.has(key) || seen.has(key)) continue
      seen.add(key)
      want.push({ txid: o.txid, vout: o.vout, key })
    }
    if (want.length === 0) return
    const epoch = this.#epoch
    const coins = await this.#db.getMany(want)
    // a flush meanwhile may have written (and erased) a spend of one of these: the sync path reads again
    if (epoch !== this.#epoch) return
    for (let i = 0; i < want.length; i++) {
      const coin = coins[i]
      // a block connected meanwhile may have cached this outpoint: the cache wins
      if (coin && !this.#entries.has(want[i]!.key)) this.#set(want[i]!.key, { coin, flags: 0 })
    }
  }

  get(txid: Hash, vout: number): Coin | undefined {
    return this.#fetch(txid, vout, keyOf(txid, vout))?.coin
  }

  /** True when the outpoint has an unspent coin (Core HaveCoin). */
  has(txid: Hash, vout: number): boolean {
    return this.get(txid, vout) !== undefined
  }

  /** Core SpendCoin: a FRESH coin's entry is dropped, any other becomes a DIRTY spent entry. */
  spend(txid: Hash, vout: number): Coin | undefined {
    this.#assertNotFlushing()
    const key = keyOf(txid, vout)
    const e = this.#fetch(txid, vout, key)
    if (!e?.coin) return undefined
    const coin = e.coin
    if (e.flags & FRESH) this.#delete(key)
    else this.#set(key, { coin: undefined, flags: DIRTY })
    return coin
  }

  /**
   * Core AddCoin. Unspendable outputs (OP_RETURN, oversized scripts) are not
   * stored. Without `overwrite`, adding over an unspent coin throws; the new
   * entry is FRESH unless it replaces a DIRTY spent entry (whose spentness
   * the database has not seen yet).
   */
  add(txid: Hash, vout: number, coin: Coin, overwrite = false): void {
    this.#assertNotFlushing()
    if (isUnspendable(coin.script)) return
    const key = keyOf(txid, vout)
    const old = this.#entries.get(key)
    let fresh = false
    if (!overwrite) {
      if (old?.coin) throw new CoinOverwriteError(`Attempted to overwrite an unspent coin at vout ${vout}.`)
      fresh = !old || !(old.flags & DIRTY)
    }
    this.#set(key, {
      coin,
      flags: DIRTY | (fresh || (old !== undefined && (old.flags & FRESH) !== 0) ? FRESH : 0),
    })
  }

  /** Changes while a flush is writing would be marked clean unwritten: the chainstate awaits its flushes. */
  #assertNotFlushing(): void {
    if (this.#flushing) throw new CacheFlushingError()
  }

  /** Hold a connected block's undo data until the next flush. */
  addUndo(blockHash: Hash, undo: BlockUndo): void {
    this.#assertNotFlushing()
    const key = Buffer.from(blockHash).toString('latin1')
    const bytes = encodeBlockUndo(undo)
    const old = this.#undo.get(key)
    if (old) this.#usage -= old.length + UNDO_OVERHEAD
    this.#undo.set(key, bytes)
    this.#undoDeletes.delete(key)
    this.#usage += bytes.length + UNDO_OVERHEAD
  }

  /** Forget a disconnected block's undo data, held or stored. */
  deleteUndo(blockHash: Hash): void {
    this.#assertNotFlushing()
    const key = Buffer.from(blockHash).toString('latin1')
    const old = this.#undo.get(key)
    if (old) {
      this.#usage -= old.length + UNDO_OVERHEAD
      this.#undo.delete(key)
    }
    this.#undoDeletes.set(key, blockHash.slice())
  }

  /** A block's undo data: held in memory since the last flush, or stored. */
  async getUndo(blockHash: Hash): Promise<BlockUndo | undefined> {
    const key = Buffer.from(blockHash).toString('latin1')
    const held = this.#undo.get(key)
    if (held) return decodeBlockUndo(held)
    if (this.#undoDeletes.has(key)) return undefined
    return this.#db.getUndo(blockHash)
  }

  /**
   * Core FlushStateToDisk's decision for one tick: 'critical' when the cache
   * is over its limit (Core CoinsCacheSizeState::CRITICAL), 'large' when it
   * is within 10 % or 10 MiB of it (LARGE: flush now rather than mid-block),
   * 'periodic' when the randomized 50–70 minute write interval has passed;
   * undefined otherwise. The first call starts the interval.
   */
  shouldFlush(): FlushReason | undefined {
    const now = this.#now()
    if (this.#nextWrite === undefined) this.#nextWrite = now + this.#interval()
    if (this.#usage > this.#max) return 'critical'
    const large = Math.max((9 * this.#max) / 10, this.#max - MAX_BLOCK_COINSDB_USAGE_BYTES)
    if (this.#usage > large) return 'large'
    if (now >= this.#nextWrite) return 'periodic'
    return undefined
  }

  #interval(): number {
    return (
      DATABASE_WRITE_INTERVAL_MIN_MS +
      Math.floor(this.#random() * (DATABASE_WRITE_INTERVAL_MAX_MS - DATABASE_WRITE_INTERVAL_MIN_MS))
    )
  }

  /**
   * Write every DIRTY entry, the held undo records and `bestBlock` in one
   * durable batch. `erase` (Core Flush) then empties the cache; otherwise
   * (Core Sync) clean coins stay cached. If the write throws, the cache is
   * unchanged and the flush can be retried.
   */
  async flush(
    bestBlock: Hash,
    opts: { erase?: boolean } = {},
  ): Promise<{ written: number; deleted: number }> {
    this.#assertNotFlushing()
    this.#flushing = true
    this.#epoch++
    try {
      return await this.#flush(bestBlock, opts.erase === true)
    } finally {
      this.#flushing = false
      this.#epoch++
    }
  }

  async #flush(bestBlock: Hash, erase: boolean): Promise<{ written: number; deleted: number }> {
    const changes: CoinChange[] = []
    for (const [key, e] of this.#entries) {
      if (!(e.flags & DIRTY)) continue
      // FRESH spent entries do not exist: SpendCoin drops them
      const k = Buffer.from(key, 'latin1')
      changes.push({ txid: k.subarray(0, 32), vout: k.readUInt32LE(32), coin: e.coin })
    }
    const started = this.#now()
    const result = await this.#db.writeBatch({
      coins: changes,
      undo: {
        put: [...this.#undo].map(([k, v]) => [Uint8Array.from(Buffer.from(k, 'latin1')), v] as const),
        delete: [...this.#undoDeletes.values()],
      },
      bestBlock,
    })
    this.#undo.clear()
    this.#undoDeletes.clear()
    if (erase) {
      this.#entries.clear()
      this.#usage = 0
      this.#dirty = 0
    } else {
      for (const [key, e] of this.#entries) {
        if (!e.coin) this.#delete(key)
        else if (e.flags !== 0) {
          if (e.flags & DIRTY) this.#dirty--
          e.flags = 0
        }
      }
      this.#usage = 0
      for (const e of this.#entries.values()) this.#usage += entryBytes(e)
    }
    this.#nextWrite = this.#now() + this.#interval()
    this.#log.debug(
      { ...result, erase, ms: this.#now() - started, cached: this.#entries.size },
      'Coins cache flushed.',
    )
    return result
  }
}
