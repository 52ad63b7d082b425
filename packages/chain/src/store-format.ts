/**
 * Encoding and checking of the store's fixed-size records, and the checksums
 * that let a torn or damaged record be told apart from a good one.
 */
import { createHash } from 'node:crypto'
import {
  BLOCK_MAGIC,
  BLOCK_RECORD_HEADER,
  HEADER_RECORD,
  INDEX_RECORD,
  NO_HEIGHT,
  TIP_MAGIC,
  TIP_RECORD,
} from './store-constants.ts'

const CRC_TABLE = (() => {
  const t = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  return t
})()

/** CRC-32 (IEEE 802.3), for the small records. Node 20 has no zlib.crc32. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = -1
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength)
}

export function heightToDisk(h: number | undefined): number {
  return h === undefined ? NO_HEIGHT : h
}

export function heightFromDisk(h: number): number | undefined {
  return h === NO_HEIGHT ? undefined : h
}

// --- block records -------------------------------------------------------------

/** The 8-byte check value of a block record: SHA-256 over header fields 4..48 and the block. */
function blockCheck(header: Uint8Array, block: Uint8Array): Buffer {
  return createHash('sha256').update(header.subarray(4, 48)).update(block).digest()
}

/** Build the 56-byte header that precedes `block` in a blk file. */
export function encodeBlockRecordHeader(
  hash: Uint8Array,
  block: Uint8Array,
  height: number,
  flags: number,
): Uint8Array {
  const h = new Uint8Array(BLOCK_RECORD_HEADER)
  const v = view(h)
  v.setUint32(0, BLOCK_MAGIC, true)
  v.setUint32(4, block.length, true)
  h.set(hash, 8)
  v.setUint32(40, height, true)
  v.setUint32(44, flags, true)
  h.set(blockCheck(h, block).subarray(0, 8), 48)
  return h
}

export interface BlockRecordHeader {
  size: number
  hash: Uint8Array
  height: number
  flags: number
}

/** Parse a block record header; undefined when the magic is wrong. */
export function decodeBlockRecordHeader(h: Uint8Array): BlockRecordHeader | undefined {
  if (h.length < BLOCK_RECORD_HEADER) return undefined
  const v = view(h)
  if (v.getUint32(0, true) !== BLOCK_MAGIC) return undefined
  return {
    size: v.getUint32(4, true),
    hash: h.subarray(8, 40),
    height: v.getUint32(40, true),
    flags: v.getUint32(44, true),
  }
}

/** True when the record's check value matches its header fields and block bytes. */
export function blockRecordIntact(header: Uint8Array, block: Uint8Array): boolean {
  const want = blockCheck(header, block)
  for (let i = 0; i < 8; i++) if (header[48 + i] !== want[i]) return false
  return true
}

// --- index records ---------------------------------------------------------------

export interface IndexEntry {
  hash: Uint8Array
  file: number
  offset: number
  /** Block bytes, or TOMBSTONE. */
  size: number
  height: number
  flags: number
  /** Transactions in the block; 0 when unknown (records of older stores, blocks found by a scan). */
  txCount: number
}

export function encodeIndexRecord(e: IndexEntry, out: Uint8Array, at: number): void {
  const r = out.subarray(at, at + INDEX_RECORD)
  r.fill(0)
  const v = view(r)
  r.set(e.hash, 0)
  v.setUint32(32, e.file, true)
  v.setUint32(36, e.offset, true)
  v.setUint32(40, e.size, true)
  v.setUint32(44, e.height, true)
  v.setUint32(48, e.flags, true)
  v.setUint32(52, e.txCount, true)
  v.setUint32(60, crc32(r, 0, 60), true)
}

/** Parse an index record; undefined when its CRC does not match (torn or damaged). */
export function decodeIndexRecord(r: Uint8Array): IndexEntry | undefined {
  const v = view(r)
  if (v.getUint32(60, true) !== crc32(r, 0, 60)) return undefined
  return {
    hash: r.subarray(0, 32),
    file: v.getUint32(32, true),
    offset: v.getUint32(36, true),
    size: v.getUint32(40, true),
    height: v.getUint32(44, true),
    flags: v.getUint32(48, true),
    txCount: v.getUint32(52, true),
  }
}

// --- header records ---------------------------------------------------------------

export function encodeHeaderRecord(
  hash: Uint8Array,
  header80: Uint8Array,
  height: number,
  status: number,
  out: Uint8Array,
  at: number,
): void {
  const r = out.subarray(at, at + HEADER_RECORD)
  r.fill(0)
  const v = view(r)
  r.set(hash, 0)
  r.set(header80, 32)
  v.setUint32(112, height, true)
  v.setUint32(116, status, true)
  v.setUint32(124, crc32(r, 0, 124), true)
}

export function headerRecordIntact(r: Uint8Array): boolean {
  return view(r).getUint32(124, true) === crc32(r, 0, 124)
}

// --- tip ---------------------------------------------------------------------------

export function encodeTip(hash: Uint8Array, height: number): Uint8Array {
  const r = new Uint8Array(TIP_RECORD)
  const v = view(r)
  v.setUint32(0, TIP_MAGIC, true)
  r.set(hash, 4)
  v.setUint32(36, height, true)
  v.setUint32(44, crc32(r, 0, 44), true)
  return r
}

export function decodeTip(r: Uint8Array): { hash: Uint8Array; height: number } | undefined {
  if (r.length !== TIP_RECORD) return undefined
  const v = view(r)
  if (v.getUint32(0, true) !== TIP_MAGIC || v.getUint32(44, true) !== crc32(r, 0, 44)) return undefined
  return { hash: new Uint8Array(r.subarray(4, 36)), height: v.getUint32(36, true) }
}
