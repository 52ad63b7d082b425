/** Hashing helpers: SHA-256, double SHA-256 (Core hash.h `Hash`), hash hex forms. */
import { createHash, hash as oneShot } from 'node:crypto'

export type Hash = Uint8Array

/**
 * SHA-256 of the concatenation of `parts`, with no copying. A single part
 * uses node:crypto's one-shot `hash()` (Node ≥ 20.12), which skips creating a
 * Hash object: for small messages that is a third of the framing cost.
 */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return oneShot('sha256', parts[0]!, 'buffer') as unknown as Uint8Array
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

/** Double SHA-256 of the concatenation of `parts`. */
export function sha256d(...parts: Uint8Array[]): Uint8Array {
  return oneShot('sha256', sha256(...parts), 'buffer') as unknown as Uint8Array
}

/** The first 4 bytes of SHA256d(payload), as a frame's checksum. */
export function checksum(payload: Uint8Array): Uint8Array {
  return sha256d(payload).subarray(0, 4)
}

/**
 * Lower-case hex of bytes in the order given. Built by Buffer in one flat
 * string: concatenating two-digit pieces would leave a rope of 32+ string
 * objects per hash (about 600 bytes each when kept as a map key).
 */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Bytes of a hex string; throws TypeError on odd length or bad digits (a caller bug). */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex))
    throw new TypeError(`Invalid hex string of length ${hex.length}.`)
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** Display (RPC, explorer) form of a wire-order hash: byte-reversed hex. */
export function hashToHex(hash: Uint8Array): string {
  return Buffer.from(hash).reverse().toString('hex')
}

/** Wire-order hash from its display (byte-reversed) hex form. */
export function hexToHash(hex: string): Hash {
  if (hex.length !== 64) throw new TypeError(`A hash is 64 hex digits, got ${hex.length}.`)
  return fromHex(hex).reverse()
}

/** Byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * A 32-byte hash of zeros (the "no stop hash" value, a coinbase's previous
 * output). A fresh array on each call: a shared mutable constant could be
 * written through by any user.
 */
export function zeroHash(): Hash {
  return new Uint8Array(32)
}
