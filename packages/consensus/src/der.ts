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
  if (pos === len || input[pos] !== 0x30) return undefined
  pos++
  if (pos === len) return undefined
  let lenbyte = input[pos++]!
  if (lenbyte & 0x80) {
    lenbyte -= 0x80
    if (lenbyte > len - pos) return undefined
    pos += lenbyte
  }
  const readInt = (): { at: number; size: number } | undefined => {
    if (pos === len || input[pos] !== 0x02) return undefined
    pos++
    if (pos === len) return undefined
    let lb = input[pos++]!
    let size: number
    if (lb & 0x80) {
      lb -= 0x80
      if (lb > len - pos) return undefined
      while (lb > 0 && input[pos] === 0) {
        pos++
        lb--
      }
      if (lb >= 4) return undefined
      size = 0
      while (lb > 0) {
        size = size * 256 + input[pos]!
        pos++
        lb--
      }
    } else size = lb
    if (size > len - pos) return undefined
    return { at: pos, size }
  }
  const r = readInt()
  if (!r) return undefined
  pos += r.size
  const s = readInt()
  if (!s) return undefined
  const out = new Uint8Array(64)
  let overflow = false
  for (const [v, off] of [
    [r, 0],
    [s, 32],
  ] as const) {
    let at = v.at
    let size = v.size
    while (size > 0 && input[at] === 0) {
      size--
      at++
    }
    if (size > 32) overflow = true
    else out.set(input.subarray(at, at + size), off + 32 - size)
  }
  if (!overflow && (compare32(out, 0, ORDER) >= 0 || compare32(out, 32, ORDER) >= 0)) overflow = true
  if (overflow) out.fill(0)
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
