/**
 * Block headers and blocks: codec, block hash, merkle roots (with Core's
 * CVE-2012-2459 mutation check) and the BIP141 witness commitment.
 */
import { Reader, Writer } from './buffer.ts'
import { InvalidValueError } from './errors.ts'
import type { Hash } from './hash.ts'
import { bytesEqual, sha256d } from './hash.ts'
import { readTx, type Tx, writeTx } from './tx.ts'

export interface BlockHeader {
  readonly version: number
  /** Parent block hash, wire order. */
  readonly prevBlock: Hash
  readonly merkleRoot: Hash
  readonly time: number
  readonly bits: number
  readonly nonce: number
}

export interface Block {
  readonly header: BlockHeader
  readonly txs: readonly Tx[]
}

export const BLOCK_HEADER_SIZE = 80

export function readHeader(r: Reader): BlockHeader {
  r.need(80, 'block header')
  return {
    version: r.i32le(),
    prevBlock: r.bytes(32),
    merkleRoot: r.bytes(32),
    time: r.u32le(),
    bits: r.u32le(),
    nonce: r.u32le(),
  }
}

export function writeHeader(w: Writer, h: BlockHeader): void {
  w.i32le(h.version).bytes(h.prevBlock).bytes(h.merkleRoot).u32le(h.time).u32le(h.bits).u32le(h.nonce)
}

/** The 80-byte serialization of a header. */
export function encodeHeader(h: BlockHeader): Uint8Array {
  const w = new Writer(80)
  writeHeader(w, h)
  return w.finish()
}

/** Decode exactly 80 bytes as a header. */
export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const r = new Reader(bytes)
  const h = readHeader(r)
  if (r.remaining !== 0) throw new InvalidValueError(`${r.remaining} trailing bytes after the block header.`)
  return h
}

/** The block hash (double SHA-256 of the 80-byte header), wire order. */
export function blockHash(h: BlockHeader): Hash {
  return sha256d(encodeHeader(h))
}

/** Smallest possible transaction: version 4 ‖ 0 inputs 1 ‖ 0 outputs 1 ‖ locktime 4. */
const MIN_TX_SIZE = 10

export function readBlock(r: Reader): Block {
  const header = readHeader(r)
  const n = r.listLength('transaction count', MIN_TX_SIZE)
  const txs: Tx[] = new Array(n)
  for (let i = 0; i < n; i++) txs[i] = readTx(r)
  return { header, txs }
}

export function writeBlock(w: Writer, b: Block, witness = true): void {
  writeHeader(w, b.header)
  w.compactSize(b.txs.length)
  for (const tx of b.txs) {
    if (witness || !tx.hasWitness()) w.bytes(tx.toBytes(witness))
    else writeTx(w, tx, false)
  }
}

/** Decode a whole buffer as a block; trailing bytes are an error. Zero-copy. */
export function decodeBlock(bytes: Uint8Array): Block {
  const r = new Reader(bytes)
  const b = readBlock(r)
  if (r.remaining !== 0) throw new InvalidValueError(`${r.remaining} trailing bytes after the block.`)
  return b
}

export function encodeBlock(b: Block, witness = true): Uint8Array {
  const w = new Writer(1024)
  writeBlock(w, b, witness)
  return w.finish()
}

/**
 * Merkle root of `hashes` as Core computes it, and whether the tree is
 * "mutated": two identical sibling hashes at any level mean a different
 * transaction list could give the same root (CVE-2012-2459).
 */
export function merkleRoot(hashes: readonly Hash[]): { root: Hash; mutated: boolean } {
  if (hashes.length === 0) return { root: new Uint8Array(32), mutated: false }
  let level: Hash[] = hashes.slice()
  let mutated = false
  const pair = new Uint8Array(64)
  while (level.length > 1) {
    for (let i = 0; i + 1 < level.length; i += 2) {
      if (bytesEqual(level[i]!, level[i + 1]!)) mutated = true
    }
    if (level.length & 1) level.push(level[level.length - 1]!)
    const next: Hash[] = new Array(level.length / 2)
    for (let i = 0; i < level.length; i += 2) {
      pair.set(level[i]!, 0)
      pair.set(level[i + 1]!, 32)
      next[i / 2] = sha256d(pair)
    }
    level = next
  }
  return { root: level[0]!, mutated }
}

/** The block's merkle root from its txids. */
export function blockMerkleRoot(b: Block): { root: Hash; mutated: boolean } {
  return merkleRoot(b.txs.map((t) => t.txid()))
}

/** BIP141: merkle root of the wtxids, with the coinbase's taken as zero. */
export function witnessMerkleRoot(b: Block): Hash {
  const leaves = b.txs.map((t, i) => (i === 0 ? new Uint8Array(32) : t.wtxid()))
  return merkleRoot(leaves).root
}

const COMMITMENT_PREFIX = Uint8Array.from([0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed])

/**
 * Index of the coinbase output holding the witness commitment (the last one
 * whose script starts `OP_RETURN 0x24 aa21a9ed`), or -1 (Core
 * GetWitnessCommitmentIndex).
 */
export function witnessCommitmentIndex(b: Block): number {
  const cb = b.txs[0]
  if (!cb) return -1
  let found = -1
  cb.outputs.forEach((o, i) => {
    if (o.script.length >= 38 && bytesEqual(o.script.subarray(0, 6), COMMITMENT_PREFIX)) found = i
  })
  return found
}

/** The commitment value: SHA256d(witness merkle root ‖ witness reserved value). */
export function witnessCommitment(witnessRoot: Hash, reserved: Uint8Array): Hash {
  return sha256d(witnessRoot, reserved)
}

/** Block weight (BIP141) from its serialized sizes. */
export function blockWeight(b: Block): number {
  const full = encodeBlock(b, true).length
  const stripped = encodeBlock(b, false).length
  return stripped * 3 + full
}
