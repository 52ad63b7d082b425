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
  type BlockValidator,
  bip34HeightPush,
  checkBlock,
  contextualCheckBlock,
} from './checks.ts'
export type { BlockUndo, Coin, TxUndo, UtxoView } from './coins/types.ts'
export { outpointKey } from './coins/types.ts'
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
export {
  blockSubsidy,
  type MineOptions,
  mineBlock,
} from './miner.ts'
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
export { guessVerificationProgress } from './verification-progress.ts'
