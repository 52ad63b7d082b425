/**
 * ECDSA signature encodings.
 *
 * - {@link isValidSignatureEncoding}: strict DER plus the hash-type byte
 *   (BIP66; Core's `IsValidSignatureEncoding` in src/script/interpreter.cpp).
 * - {@link parseDerLax}: Core's lax parser for every signature in a block
 *   (`ecdsa_signature_parse_der_lax` in src/pubkey.cpp). It accepts the
 *   historic encodings (negative R/S, excess padding, long-form and wrong
 *   length bytes) that BIP66 made invalid; R or S of more than 32 bytes, or
 *   not below the group order, give the all-zero signature, which no key
 *   verifies.
 */

/** The secp256k1 group order n, big-endian. */
const ORDER = Uint8Array.from(
  Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'),
)
/** n / 2, big-endian: an S above it is "high" (BIP62, Core's `CheckLowS`). */
const HALF_ORDER = Uint8Array.from(
  Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex'),
)

function compare32(a: Uint8Array, aOff: number, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[aOff + i]!
    const y = b[i]!
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** Strict DER with a trailing hash-type byte: the form BIP66 requires. */
export function isValidSignatureEncoding(sig: Uint8Array): boolean {
  const n = sig.length
  // Format: 0x30 [total-length] 0x02 [R-length] [R] 0x02 [S-length] [S] [sighash]
  if (n < 9 || n > 73) return false
  if (sig[0] !== 0x30) return false
  if (sig[1] !== n - 3) return false
  const lenR = sig[3]!
  if (5 + lenR >= n) return false
  const lenS = sig[5 + lenR]!
  if (lenR + lenS + 7 !== n) return false
  if (sig[2] !== 0x02) return false
  if (lenR === 0) return false
  if (sig[4]! & 0x80) return false // negative R
  if (lenR > 1 && sig[4] === 0x00 && !(sig[5]! & 0x80)) return false // excess padding
  if (sig[lenR + 4] !== 0x02) return false
  if (lenS === 0) return false
  if (sig[lenR + 6]! & 0x80) return false // negative S
  if (lenS > 1 && sig[lenR + 6] === 0x00 && !(sig[lenR + 7]! & 0x80)) return false
  return true
}

/**
 * Parse a DER signature (no hash-type byte) the lax way, into the 64-byte
 * compact form R ‖ S. Undefined when even the lax parser rejects it.
 */
export function parseDerLax(input: Uint8Array): Uint8Array | undefined {
  const len = input.length
  let pos = 0
  // Sequence tag and length (the length's value is not checked).
  if (pos === len || input[pos] !== 0x30) return undefined
  pos++
  if (pos === len) return undefined
  let lenbyte = input[pos++]!
  if (lenbyte & 0x80) {
    lenbyte -= 0x80
    if (lenbyte > len - pos) return undefined
    pos += lenbyte
  }
  // R: tag, length (long form with leading zero bytes allowed), value.
  if (pos === len || input[pos] !== 0x02) return undefined
  pos++
  if (pos === len) return undefined
  let rlen = input[pos++]!
  if (rlen & 0x80) {
    let lb = rlen - 0x80
    if (lb > len - pos) return undefined
    while (lb > 0 && input[pos] === 0) {
      pos++
      lb--
    }
    if (lb >= 4) return undefined
    rlen = 0
    while (lb > 0) {
      rlen = rlen * 256 + input[pos]!
      pos++
      lb--
    }
  }
  if (rlen > len - pos) return undefined
  let rpos = pos
  pos += rlen
  // S, the same way.
  if (pos === len || input[pos] !== 0x02) return undefined
  pos++
  if (pos === len) return undefined
  let slen = input[pos++]!
  if (slen & 0x80) {
    let lb = slen - 0x80
    if (lb > len - pos) return undefined
    while (lb > 0 && input[pos] === 0) {
      pos++
      lb--
    }
    if (lb >= 4) return undefined
    slen = 0
    while (lb > 0) {
      slen = slen * 256 + input[pos]!
      pos++
      lb--
    }
  }
  if (slen > len - pos) return undefined
  let spos = pos
  // Leading zeros of R and S are ignored; more than 32 bytes left is an overflow.
  while (rlen > 0 && input[rpos] === 0) {
    rlen--
    rpos++
  }
  while (slen > 0 && input[spos] === 0) {
    slen--
    spos++
  }
  const out = new Uint8Array(64)
  if (rlen > 32 || slen > 32) return out
  for (let i = 0; i < rlen; i++) out[32 - rlen + i] = input[rpos + i]!
  for (let i = 0; i < slen; i++) out[64 - slen + i] = input[spos + i]!
  if (compare32(out, 0, ORDER) >= 0 || compare32(out, 32, ORDER) >= 0) out.fill(0)
  return out
}

/** True when the compact signature's S is at most n/2. */
export function isLowS(compact: Uint8Array): boolean {
  return compare32(compact, 32, HALF_ORDER) <= 0
}

/**
 * Core's `IsLowDERSignature` test: a strictly encoded signature (with its
 * hash-type byte) whose S is low. Callers check the encoding first.
 */
export function isLowDerSignature(sigWithHashType: Uint8Array): boolean {
  const compact = parseDerLax(sigWithHashType.subarray(0, sigWithHashType.length - 1))
  if (!compact) return false
  return isLowS(compact)
}
