/**
 * @node/blockmgr: headers-first sync, header and block checks, parallel block
 * download, a crash-safe block store and relay.
 *
 * ```ts
 * import { BlockStore, HeaderChain } from '@node/blockmgr'
 * import { networks } from '@node/wire'
 *
 * const chain = new HeaderChain({ network: networks.regtest })
 * chain.addHeaders(headers)               // throws a typed ValidationError on a bad header
 * const store = new BlockStore({ logger }, { dir: join(dataDir, 'blocks') })
 * await store.start()                     // opens, repairs a torn tail after a crash
 * await store.putBlock(hash, bytes, { height })  // resolves once durable
 * ```
 */
export const PACKAGE = '@node/blockmgr'

export {
  type AddHeadersResult,
  DEFAULT_MAX_SIDE_HEADERS,
  HeaderChain,
  type HeaderChainInit,
  HeaderEntry,
  MAX_FUTURE_BLOCK_TIME,
  MAX_TIMEWARP,
  type TipChange,
} from './chain.ts'
export {
  type BlockValidator,
  bip34HeightPush,
  checkBlock,
  contextualCheckBlock,
} from './checks.ts'
export {
  BLOCK_DOWNLOAD_TIMEOUT_BASE,
  BLOCK_DOWNLOAD_TIMEOUT_PER_PEER,
  BLOCK_DOWNLOAD_WINDOW,
  BLOCK_STALLING_TIMEOUT_DEFAULT,
  BLOCK_STALLING_TIMEOUT_MAX,
  HEADERS_DOWNLOAD_TIMEOUT_BASE,
  HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER,
  MAX_BLOCKS_IN_FLIGHT_PER_PEER,
  MAX_BLOCKS_TO_ANNOUNCE,
  MAX_GETBLOCKS_RESULTS,
  MAX_HEADERS_RESULTS,
  MAX_TIP_AGE,
  MAX_UNCONNECTING_HEADERS,
  MIN_BLOCKS_TO_KEEP,
  PROGRESS_INTERVAL,
  STALE_RELAY_AGE_LIMIT_SECONDS,
  TICK_INTERVAL,
} from './constants.ts'
export {
  BadBlockError,
  BadDifficultyError,
  BadProofOfWorkError,
  BadVersionError,
  CheckpointMismatchError,
  FatalStoreError,
  HeaderLimitError,
  InvalidAncestorError,
  NonContinuousHeadersError,
  OrphanHeaderError,
  TimeTooNewError,
  TimeTooOldError,
  TimewarpError,
  ValidationError,
} from './errors.ts'
export {
  BlockManager,
  type BlockManagerComponents,
  type BlockManagerEvents,
  type BlockManagerInit,
  type ChainStore,
  type PeerBlockEvent,
  type PeerSyncState,
  type SyncPeer,
} from './manager.ts'
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
