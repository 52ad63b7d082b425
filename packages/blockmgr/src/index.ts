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

export * from './chain.ts'
export * from './check-transaction.ts'
export * from './checks.ts'
export * from './constants.ts'
export * from './errors.ts'
export * from './manager.ts'
export * from './miner.ts'
export * from './pow.ts'
export * from './presync.ts'
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
export * from './verification-progress.ts'
