/**
 * The UTXO set: Core's compact coin encoding (compress.ts), block undo
 * records (undo.ts), the coins database (db.ts), the DIRTY/FRESH cache with
 * its flush policy (cache.ts) and gettxoutsetinfo's statistics (stats.ts).
 */
export {
  CACHE_ENTRY_OVERHEAD,
  CoinsCache,
  type CoinsCacheOptions,
  coinsCacheBytes,
  DATABASE_WRITE_INTERVAL_MAX_MS,
  DATABASE_WRITE_INTERVAL_MIN_MS,
  DEFAULT_DB_CACHE,
  type FlushReason,
  MIN_DB_CACHE,
} from './cache.ts'
export {
  compressAmount,
  compressScript,
  decodeCoin,
  decompressAmount,
  encodeCoin,
  MAX_SCRIPT_SIZE,
} from './compress.ts'
export { type CoinChange, type CoinsBatch, CoinsDB, type CoinsDBOptions, coinKey } from './db.ts'
export {
  CacheFlushingError,
  CoinOverwriteError,
  CoinsStoreError,
  CorruptCoinError,
  CorruptUndoError,
} from './errors.ts'
export { bogoSize, computeUtxoStats, MuHash3072, txOutSer, type UtxoStats } from './stats.ts'
export { type BlockUndo, type Coin, outpointKey, type TxUndo, type UtxoView } from './types.ts'
export { decodeBlockUndo, encodeBlockUndo } from './undo.ts'
