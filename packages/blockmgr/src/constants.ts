/** Block download and sync constants, with their source. */

/** Core MAX_BLOCKS_IN_TRANSIT_PER_PEER. */
export const MAX_BLOCKS_IN_FLIGHT_PER_PEER = 16
/** Core BLOCK_DOWNLOAD_WINDOW: how far beyond the block tip we download. */
export const BLOCK_DOWNLOAD_WINDOW = 1024
/** Core BLOCK_STALLING_TIMEOUT_DEFAULT: 2 s, doubling per stall up to 64 s. */
export const BLOCK_STALLING_TIMEOUT_DEFAULT = 2_000
export const BLOCK_STALLING_TIMEOUT_MAX = 64_000
/** Core BLOCK_DOWNLOAD_TIMEOUT_BASE / _PER_PEER, in units of the target spacing. */
export const BLOCK_DOWNLOAD_TIMEOUT_BASE = 1
export const BLOCK_DOWNLOAD_TIMEOUT_PER_PEER = 0.5
/** Core MAX_HEADERS_RESULTS. */
export const MAX_HEADERS_RESULTS = 2000
/** Core MAX_BLOCKS_TO_ANNOUNCE: more new blocks than this are announced by inv of the tip. */
export const MAX_BLOCKS_TO_ANNOUNCE = 8
/** Core: a tip older than this means initial block download (DEFAULT_MAX_TIP_AGE, 24 h). */
export const MAX_TIP_AGE = 24 * 60 * 60
/** Core MAX_NUM_UNCONNECTING_HEADERS_MSGS (before v28 made it a soft rule): then misbehaving. */
export const MAX_UNCONNECTING_HEADERS = 10
/** Core MAX_BLOCKS_IN_TRANSIT... getblocks answers at most 500 inventory entries. */
export const MAX_GETBLOCKS_RESULTS = 500
/** Core: a headers request unanswered for this long (initial sync: 15 min + 1 ms per header) is a stall. */
export const HEADERS_DOWNLOAD_TIMEOUT_BASE = 15 * 60 * 1000
export const HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER = 1
/** How often the sync progress line is logged. */
export const PROGRESS_INTERVAL = 5_000
/** How often timeouts are checked. */
export const TICK_INTERVAL = 500
/** Core MIN_BLOCKS_TO_KEEP: an unrequested block more than this far above our tip is not stored (AcceptBlock). */
export const MIN_BLOCKS_TO_KEEP = 288
