/**
 * @node/chain: the chain state. The header tree, proof of work, block
 * checks, headers presync and the block store; the UTXO set, connecting and
 * disconnecting blocks and reorganisations on top of them.
 *
 * ```ts
 * import { BlockStore, HeaderChain } from '@node/chain'
 * import { networks } from '@node/wire'
 *
 * const chain = new HeaderChain({ network: networks.regtest })
 * chain.addHeaders(headers)               // throws a typed ValidationError on a bad header
 * const store = new BlockStore({ logger }, { dir: join(dataDir, 'blocks') })
 * await store.start()                     // opens, repairs a torn tail after a crash
 * await store.putBlock(hash, bytes, { height })  // resolves once durable
 * ```
 */
export const PACKAGE = '@node/chain'

export {
  type AddHeadersResult,
  BLOCK_FAILED_CHILD,
  BLOCK_FAILED_VALID,
  DEFAULT_MAX_SIDE_HEADERS,
  HeaderChain,
  type HeaderChainInit,
  HeaderEntry,
  MAX_FUTURE_BLOCK_TIME,
  MAX_TIMEWARP,
  STALE_RELAY_AGE_LIMIT_SECONDS,
  type TipChange,
} from './chain.ts'
export {
  type BlockSource,
  Chainstate,
  type ChainstateComponents,
  ChainstateError,
  type ChainstateEvents,
  type ChainstateInit,
} from './chainstate.ts'
export {
  bip34HeightPush,
  checkBlock,
  contextualCheckBlock,
} from './checks.ts'
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
} from './coins/cache.ts'

export {
  compressAmount,
  compressScript,
  decodeCoin,
  decompressAmount,
  encodeCoin,
  MAX_SCRIPT_SIZE,
} from './coins/compress.ts'
export { type CoinChange, type CoinsBatch, CoinsDB, type CoinsDBOptions, coinKey } from './coins/db.ts'
export {
  CacheFlushingError,
  CoinOverwriteError,
  CoinsStoreError,
  CorruptCoinError,
  CorruptUndoError,
} from './coins/errors.ts'
export { bogoSize, computeUtxoStats, MuHash3072, txOutSer, type UtxoStats } from './coins/stats.ts'
export type { BlockUndo, Coin, TxUndo, UtxoView } from './coins/types.ts'
export { outpointKey } from './coins/types.ts'
export { decodeBlockUndo, encodeBlockUndo } from './coins/undo.ts'
export {
  BadBlockError,
  BadDifficultyError,
  BadProofOfWorkError,
  BadVersionError,
  CheckpointMismatchError,
  FatalStoreError,
  HeaderLimitError,
  InvalidAncestorError,
  InvalidTipError,
  NonContinuousHeadersError,
  OrphanHeaderError,
  TimeTooNewError,
  TimeTooOldError,
  TimewarpError,
  ValidationError,
} from './errors.ts'
export { type MineOptions, mineBlock } from './miner.ts'
export {
  ancestor,
  blockProof,
  calculateNextWorkRequired,
  checkProofOfWork,
  medianTimePast,
  nextWorkRequired,
  type PowEntry,
  retargetInterval,
} from './pow.ts'
export {
  HeadersPresync,
  type PresyncPhase,
  type PresyncResult,
} from './presync.ts'
export type {
  BlockInfo,
  BlockMeta,
  BlockStoreComponents,
  BlockStoreInit,
  HeaderRecord,
  RecoveryReport,
  StoredHeader,
  Tip,
} from './store.ts'
export { BlockStore } from './store.ts'
export {
  BLOCK_FILE_MAX_SIZE,
  MAX_HEADERS_PER_CALL,
  MAX_PENDING_BYTES,
  MAX_PENDING_WRITES,
  MAX_STORED_BLOCK_SIZE,
} from './store-constants.ts'
export {
  BlockCorruptError,
  StoreArgumentError,
  StoreBusyError,
  StoreClosedError,
  StoreCorruptionError,
  StoreLockedError,
  StoreWriteError,
} from './store-errors.ts'
export {
  type AssumeValidEntry,
  type AssumeValidInput,
  blockProofEquivalentTime,
  scriptCheckReason,
  shouldCheckScripts,
} from './validation/assumevalid.ts'
export {
  BIP34_IMPLIES_BIP30_LIMIT,
  bip30Applies,
  isBip30Repeat,
  isBip30Unspendable,
} from './validation/bip30.ts'
export { type ConnectContext, type ConnectResult, connectBlock } from './validation/connect.ts'
export { type DisconnectResult, disconnectBlock } from './validation/disconnect.ts'
export { BlockConsensusError } from './validation/errors.ts'
export { LayeredView } from './validation/layered-view.ts'
export { blockSubsidy } from './validation/subsidy.ts'
export { COINBASE_MATURITY, checkTxInputs, type TxInputs } from './validation/txinputs.ts'
export { addCoins, isUnspendable, updateCoins } from './validation/update.ts'
export { guessVerificationProgress } from './verification-progress.ts'
