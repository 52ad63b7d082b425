/**
 * Limits and on-disk layout of the block store. See README "Storage".
 */
import { MAX_PROTOCOL_MESSAGE_LENGTH } from '@node/wire'

/**
 * Largest block file before a new one is started: 128 MiB, as Core's
 * MAX_BLOCKFILE_SIZE (validation.h / node/blockstorage.h). Offsets inside a
 * file therefore fit in 32 bits.
 */
export const BLOCK_FILE_MAX_SIZE = 0x0800_0000

/**
 * Largest block the store accepts. A block arrives in one `block` message, so
 * it cannot exceed the largest payload (4,000,000 bytes, Core
 * MAX_PROTOCOL_MESSAGE_LENGTH, which equals MAX_BLOCK_SERIALIZED_SIZE).
 */
export const MAX_STORED_BLOCK_SIZE = MAX_PROTOCOL_MESSAGE_LENGTH

/**
 * Bound on block writes queued but not yet durable (count and bytes). Beyond
 * it putBlock() rejects with StoreBusyError instead of buffering without limit.
 * 1,024 matches the block download window (Core BLOCK_DOWNLOAD_WINDOW), so a
 * well-behaved downloader never hits it.
 */
export const MAX_PENDING_WRITES = 1024
export const MAX_PENDING_BYTES = 512 * 1024 * 1024

/** Largest number of header records accepted by one putHeaders() call. */
export const MAX_HEADERS_PER_CALL = 100_000

/**
 * The header log is rewritten on load when it holds more than this many
 * records and more than twice as many records as distinct headers (status
 * updates append a new record for the same hash).
 */
export const HEADER_LOG_COMPACT_MIN = 10_000

/** Height stored for "unknown". */
export const NO_HEIGHT = 0xffff_ffff

/** Size of the chunks files are read in when scanning them at open. */
export const SCAN_CHUNK_SIZE = 4 * 1024 * 1024

// --- file names ----------------------------------------------------------------

export const LOCK_FILE = 'LOCK'
export const INDEX_FILE = 'blkindex.dat'
export const HEADERS_FILE = 'headers.dat'
export const TIP_FILE = 'tip.dat'

/** Block file name, as Core's blk%05u.dat. */
export function blockFileName(n: number): string {
  return `blk${String(n).padStart(5, '0')}.dat`
}

export const BLOCK_FILE_RE = /^blk(\d{5,})\.dat$/

// --- record layouts (all integers little-endian) ---------------------------------

/**
 * Block record in a blk file: header, then the block bytes.
 *
 *   0  magic    4  "NBK1"
 *   4  size     4  length of the block bytes
 *   8  hash    32  block hash, wire order
 *  40  height   4  NO_HEIGHT when unknown
 *  44  flags    4  caller's bits
 *  48  check    8  first 8 bytes of SHA-256(record[4..48] || block)
 *  56  block bytes
 */
export const BLOCK_MAGIC = 0x314b_424e // "NBK1" read little-endian
export const BLOCK_RECORD_HEADER = 56

/**
 * Index record in blkindex.dat, one per stored block (or tombstone):
 *
 *   0  hash    32
 *  32  file     4
 *  36  offset   4  of the block record in its file
 *  40  size     4  block bytes; TOMBSTONE means "forget this hash"
 *  44  height   4
 *  48  flags    4
 *  52  txcount  4  transactions in the block; 0 when unknown (older records)
 *  56  reserved 4  zero
 *  60  crc32    4  of bytes 0..60
 */
export const INDEX_RECORD = 64
export const TOMBSTONE = 0xffff_ffff

/**
 * Header record in headers.dat:
 *
 *   0  hash     32
 *  32  header   80
 * 112  height    4
 * 116  status    4  caller's bits
 * 120  reserved  4  zero
 * 124  crc32     4  of bytes 0..124
 */
export const HEADER_RECORD = 128

/**
 * tip.dat, replaced atomically (write, fsync, rename, fsync directory):
 *
 *   0  magic    4  "NTP1"
 *   4  hash    32
 *  36  height   4
 *  40  reserved 4
 *  44  crc32    4  of bytes 0..44
 */
export const TIP_MAGIC = 0x3150_544e // "NTP1"
export const TIP_RECORD = 48
