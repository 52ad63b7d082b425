/**
 * @node/blockmgr: the network side of the chain. Headers-first sync,
 * parallel block download, serving our chain to peers, relay and compact
 * blocks, on top of `@node/chain` (the header tree, block checks and block
 * store it drives).
 *
 * ```ts
 * import { BlockStore } from '@node/chain'
 * import { BlockManager } from '@node/blockmgr'
 * import { networks } from '@node/wire'
 *
 * const store = new BlockStore({ logger }, { dir: join(dataDir, 'blocks') })
 * const blocks = new BlockManager({ store, logger }, { network: networks.regtest })
 * await store.start()
 * await blocks.start()                 // loads the stored headers; peers are attached by the server
 * ```
 */
export const PACKAGE = '@node/blockmgr'

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
  TICK_INTERVAL,
} from './constants.ts'
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
