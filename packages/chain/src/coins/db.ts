/**
 * The coins database: `<datadir>/chainstate`, a LevelDB (`classic-level`)
 * opened by the node itself (Core txdb.cpp `CCoinsViewDB`). LevelDB was
 * chosen over LMDB by measurement (packages/chain/bench/coins.bench.ts; the
 * numbers are in the README's "UTXO set" section): durable batches of spends
 * and creations ~2.3× faster and ~2.5× less disk per coin, for ~1.5× slower
 * random reads, which the cache in front (cache.ts) absorbs.
 *
 * Records (txdb.cpp's prefixes where Core has one):
 * - 'C' + txid + VARINT(vout) → Coin::Serialize (compress.ts): Core's
 *   `CoinEntry` key, so iteration is in Core's order (txid bytes, then vout);
 * - 'B' → the hash of the block the coins represent (DB_BEST_BLOCK);
 * - 'U' + block hash → that block's undo record (undo.ts). Core keeps undo
 *   data in rev*.dat files; we keep it here so that one write batch carries
 *   the coins, the undo data and the best-block marker: after kill -9 the
 *   database is exactly the state at one block. Core needs DB_HEAD_BLOCKS
 *   and a replay for the same guarantee because its flush may span batches.
 *
 * Every batch is written with `sync: true` (LevelDB fsyncs its log before
 * acknowledging; a batch is one log record, so it is all or nothing).
 * Core's chainstate obfuscation key (DB_OBFUSCATE_KEY) is not used.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { type Logger, Service, silentLogger } from '@node/runtime'
import type { Hash } from '@node/wire'
import { Reader } from '@node/wire'
import { ClassicLevel } from 'classic-level'
import { decodeCoin, encodeCoin, readVarInt, varIntLength, writeVarInt } from './compress.ts'
import { CoinsStoreError } from './errors.ts'
import type { BlockUndo, Coin } from './types.ts'
import { decodeBlockUndo, encodeBlockUndo } from './undo.ts'

/** txdb.cpp DB_COIN: the prefix of coin records. */
export const DB_COIN = 0x43 // 'C'
/** txdb.cpp DB_BEST_BLOCK. */
export const DB_BEST_BLOCK = 0x42 // 'B'
/** Our undo records (Core: rev*.dat files). */
export const DB_UNDO = 0x55 // 'U'

/** txdb.cpp CoinEntry: 'C' + txid (wire order) + VARINT(vout); order preserving, as Core's. */
export function coinKey(txid: Uint8Array, vout: number): Uint8Array {
  const k = new Uint8Array(33 + varIntLength(vout))
  k[0] = DB_COIN
  k.set(txid, 1)
  writeVarInt(k, 33, vout)
  return k
}

function undoKey(hash: Hash): Uint8Array {
  const k = new Uint8Array(33)
  k[0] = DB_UNDO
  k.set(hash, 1)
  return k
}

const BEST_KEY = Uint8Array.of(DB_BEST_BLOCK)

/** One coin to write: `coin` undefined deletes it (it was spent). */
export interface CoinChange {
  readonly txid: Hash
  readonly vout: number
  readonly coin: Coin | undefined
}

/** What one atomic, durable flush writes. */
export interface CoinsBatch {
  readonly coins: Iterable<CoinChange>
  /** Undo records to add (block hash, undo data) and block hashes whose undo record to delete. */
  readonly undo?: {
    readonly put?: Iterable<readonly [Hash, BlockUndo | Uint8Array]>
    readonly delete?: Iterable<Hash>
  }
  /** The block the coins represent after this batch. */
  readonly bestBlock: Hash
}

export interface CoinsDBOptions {
  /** The node's data directory; the database lives in `<datadir>/chainstate`. */
  readonly datadir: string
  readonly logger?: Logger
  /** LevelDB's own block cache in bytes (Core: kernel/caches.h coins_db, at most 8 MiB). */
  readonly cacheSize?: number
  /** Delete the database at the first start (Core -reindex-chainstate): the set is rebuilt from the blocks. */
  readonly wipe?: boolean
}

/** Core CCoinsViewDB over LevelDB. */
export class CoinsDB extends Service {
  readonly #dir: string
  readonly #log: Logger
  readonly #cacheSize: number
  #db: ClassicLevel<Uint8Array, Uint8Array> | undefined
  #best: Hash | undefined
  /** Wipe at the next start (only the first: a restart of the same object keeps the rebuilt set). */
  #wipe: boolean

  constructor(opts: CoinsDBOptions) {
    super()
    this.#dir = join(opts.datadir, 'chainstate')
    this.#log = (opts.logger ?? silentLogger).child({ component: 'coinsdb' })
    this.#cacheSize = opts.cacheSize ?? 8 << 20
    this.#wipe = opts.wipe === true
  }

  /** Where the database lives. */
  get path(): string {
    return this.#dir
  }

  protected async onStart(): Promise<void> {
    try {
      if (this.#wipe) {
        this.#wipe = false
        await rm(this.#dir, { recursive: true, force: true })
        this.#log.info(
          { path: this.#dir },
          'Deleted the UTXO set (-reindex-chainstate): it is rebuilt from the stored blocks.',
        )
      }
      await mkdir(this.#dir, { recursive: true })
      const db = new ClassicLevel<Uint8Array, Uint8Array>(this.#dir, {
        keyEncoding: 'view',
        valueEncoding: 'view',
        cacheSize: this.#cacheSize,
      })
      await db.open()
      this.#db = db
      const best = await db.get(BEST_KEY)
      this.#best = best ? new Uint8Array(best) : undefined
    } catch (err) {
      throw new CoinsStoreError(`Cannot open the coins database at ${this.#dir}: ${(err as Error).message}`, {
        cause: err,
      })
    }
    this.#log.info({ path: this.#dir, hasBestBlock: this.#best !== undefined }, 'Coins database opened.')
  }

  protected async onStop(): Promise<void> {
    const db = this.#db
    this.#db = undefined
    if (db) await db.close()
  }

  #open(): ClassicLevel<Uint8Array, Uint8Array> {
    if (!this.#db) throw new CoinsStoreError('The coins database is not open.')
    return this.#db
  }

  /** The hash of the block the stored coins represent (Core GetBestBlock); undefined when empty. */
  bestBlock(): Hash | undefined {
    return this.#best
  }

  /** The stored coin at this outpoint. */
  async get(txid: Hash, vout: number): Promise<Coin | undefined> {
    const v = await this.#read(() => this.#open().get(coinKey(txid, vout)))
    return v ? decodeCoin(v) : undefined
  }

  /** The stored coin, read synchronously (the cache's miss path, Core FetchCoin). */
  getSync(txid: Hash, vout: number): Coin | undefined {
    let v: Uint8Array | undefined
    try {
      v = this.#open().getSync(coinKey(txid, vout))
    } catch (err) {
      if ((err as { code?: unknown }).code === 'COINS_STORE') throw err
      throw new CoinsStoreError(`Coins database read failed: ${(err as Error).message}`, { cause: err })
    }
    return v ? decodeCoin(v) : undefined
  }

  /** The stored coins at these outpoints, in order (one LevelDB multi-get). */
  async getMany(
    outpoints: readonly { readonly txid: Hash; readonly vout: number }[],
  ): Promise<(Coin | undefined)[]> {
    if (outpoints.length === 0) return []
    const vs = await this.#read(() => this.#open().getMany(outpoints.map((o) => coinKey(o.txid, o.vout))))
    return vs.map((v) => (v ? decodeCoin(v) : undefined))
  }

  /** The stored undo record of a block. */
  async getUndo(blockHash: Hash): Promise<BlockUndo | undefined> {
    const v = await this.#read(() => this.#open().get(undoKey(blockHash)))
    return v ? decodeBlockUndo(v) : undefined
  }

  async #read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if ((err as { code?: unknown }).code === 'COINS_STORE') throw err
      throw new CoinsStoreError(`Coins database read failed: ${(err as Error).message}`, { cause: err })
    }
  }

  /**
   * Write coins, undo records and the best-block marker in one LevelDB batch,
   * fsynced before this resolves (Core CCoinsViewDB::BatchWrite). Throws
   * {@link CoinsStoreError} when the write fails; nothing of it is then applied.
   */
  async writeBatch(batch: CoinsBatch): Promise<{ written: number; deleted: number }> {
    const db = this.#open()
    const ops: ({ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array })[] = []
    let written = 0
    let deleted = 0
    for (const c of batch.coins) {
      const key = coinKey(c.txid, c.vout)
      if (c.coin) {
        ops.push({ type: 'put', key, value: encodeCoin(c.coin) })
        written++
      } else {
        ops.push({ type: 'del', key })
        deleted++
      }
    }
    for (const [hash, undo] of batch.undo?.put ?? []) {
      const value = undo instanceof Uint8Array ? undo : encodeBlockUndo(undo)
      ops.push({ type: 'put', key: undoKey(hash), value })
    }
    for (const hash of batch.undo?.delete ?? []) ops.push({ type: 'del', key: undoKey(hash) })
    ops.push({ type: 'put', key: BEST_KEY, value: batch.bestBlock.slice() })
    try {
      await db.batch(ops, { sync: true })
    } catch (err) {
      throw new CoinsStoreError(`Failed to write to the coins database: ${(err as Error).message}`, {
        cause: err,
      })
    }
    this.#best = new Uint8Array(batch.bestBlock)
    return { written, deleted }
  }

  /**
   * Every stored coin in key order (Core's CCoinsViewDBCursor): txid bytes,
   * then vout. The snapshot is taken when iteration starts.
   */
  async *iterate(): AsyncGenerator<{ txid: Hash; vout: number; coin: Coin }> {
    const db = this.#open()
    const it = db.iterator({ gte: Uint8Array.of(DB_COIN), lt: Uint8Array.of(DB_COIN + 1) })
    try {
      for await (const [k, v] of it) {
        const r = new Reader(k, 33)
        yield {
          txid: new Uint8Array(k.subarray(1, 33)),
          vout: readVarInt(r, 'coin key vout', 0xffffffff),
          coin: decodeCoin(v),
        }
      }
    } finally {
      await it.close()
    }
  }

  /** LevelDB's estimate of the bytes the coin records take on disk (Core EstimateSize). */
  async approximateSize(): Promise<number> {
    const db = this.#open()
    return db.approximateSize(Uint8Array.of(DB_COIN), Uint8Array.of(DB_COIN + 1))
  }
}
