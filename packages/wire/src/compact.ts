/**
 * BIP152 compact blocks: short transaction ids, building a `cmpctblock` from
 * a block, and putting a block back together from one.
 *
 * Short ids are SipHash-2-4 of the (w)txid, keyed with the first 16 bytes of
 * SHA256(header ‖ nonce), truncated to 6 bytes (version 2 uses wtxids).
 */
import { type Block, type BlockHeader, encodeHeader, merkleRoot } from './block.ts'
import { bytesEqual, type Hash, sha256 } from './hash.ts'
import type { MessageOf, PrefilledTx } from './messages.ts'
import { type SipKey, siphash24 } from './siphash.ts'
import type { Tx } from './tx.ts'

/** The SipHash key of a compact block: SHA256(header ‖ nonce LE64), first 16 bytes. */
export function shortIdKey(header: BlockHeader, nonce: bigint): SipKey {
  const buf = new Uint8Array(88)
  buf.set(encodeHeader(header), 0)
  new DataView(buf.buffer).setBigUint64(80, BigInt.asUintN(64, nonce), true)
  const h = sha256(buf)
  const v = new DataView(h.buffer, h.byteOffset, 16)
  return { k0: v.getBigUint64(0, true), k1: v.getBigUint64(8, true) }
}

/** The 6-byte short id of a transaction id (little-endian, as on the wire). */
export function shortId(key: SipKey, id: Hash): Uint8Array {
  const v = siphash24(key, id) & 0xffffffffffffn
  const out = new Uint8Array(6)
  for (let i = 0; i < 6; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn)
  return out
}

/** A `cmpctblock` for `block` with the coinbase prefilled (as Core builds them), version 2 (wtxid) short ids. */
export function makeCompactBlock(block: Block, nonce: bigint, version: 1 | 2 = 2): MessageOf<'cmpctblock'> {
  const key = shortIdKey(block.header, nonce)
  const shortIds = block.txs.slice(1).map((tx) => shortId(key, version === 2 ? tx.wtxid() : tx.txid()))
  const prefilled: PrefilledTx[] = block.txs.length > 0 ? [{ index: 0, tx: block.txs[0]! }] : []
  return { command: 'cmpctblock', header: block.header, nonce, shortIds, prefilled }
}

/**
 * Put a block back together from a compact block and the transactions we
 * have (`known`, looked up by short id hex). Returns the block, or the
 * indexes still missing (to ask for with `getblocktxn`). A result whose
 * merkle root does not match (a short-id collision) is reported as all
 * non-prefilled indexes missing.
 */
export function reconstructBlock(
  m: MessageOf<'cmpctblock'>,
  known?: (shortIdHex: string) => Tx | undefined,
): { block: Block } | { missing: number[] } {
  const total = m.shortIds.length + m.prefilled.length
  const txs: (Tx | undefined)[] = new Array(total)
  for (const p of m.prefilled) {
    if (p.index >= total) return { missing: [] }
    txs[p.index] = p.tx
  }
  const missing: number[] = []
  let s = 0
  for (let i = 0; i < total; i++) {
    if (txs[i]) continue
    const id = m.shortIds[s++]!
    const tx = known?.(Buffer.from(id).toString('hex'))
    if (tx) txs[i] = tx
    else missing.push(i)
  }
  if (missing.length > 0) return { missing }
  const block: Block = { header: m.header, txs: txs as Tx[] }
  const root = merkleRoot(block.txs.map((t) => t.txid())).root
  if (!bytesEqual(root, m.header.merkleRoot)) {
    return {
      missing: Array.from({ length: total }, (_, i) => i).filter(
        (i) => !m.prefilled.some((p) => p.index === i),
      ),
    }
  }
  return { block }
}
