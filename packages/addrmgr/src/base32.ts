/**
 * RFC 4648 base32 with Core's conventions (util/strencodings): lower-case
 * output, case-insensitive input, input length a multiple of 8 characters
 * (after the caller adds `=` padding), and leftover bits must be zero.
 */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const DECODE = new Int8Array(128).fill(-1)
for (let i = 0; i < 32; i++) {
  DECODE[ALPHABET.charCodeAt(i)] = i
  DECODE[ALPHABET.toUpperCase().charCodeAt(i)] = i
}

/** Encode `data`; with `pad`, append `=` up to a multiple of 8 characters. */
export function encodeBase32(data: Uint8Array, pad = true): string {
  let out = ''
  let acc = 0
  let bits = 0
  for (const byte of data) {
    acc = ((acc << 8) | byte) & 0xfff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += ALPHABET[(acc >>> bits) & 31]
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31]
  if (pad) while (out.length % 8 !== 0) out += '='
  return out
}

/**
 * Decode like Core's DecodeBase32: the length must be a multiple of 8, up to
 * six trailing `=` are dropped, and the leftover bits must be fewer than 5 and
 * zero. Returns undefined on any violation.
 */
export function decodeBase32(str: string): Uint8Array | undefined {
  if (str.length % 8 !== 0) return undefined
  let end = str.length
  for (let i = 0; i < 6 && end > 0 && str.charCodeAt(end - 1) === 0x3d; i++) end--
  const out = new Uint8Array(Math.floor((end * 5) / 8))
  let acc = 0
  let bits = 0
  let n = 0
  for (let i = 0; i < end; i++) {
    const c = str.charCodeAt(i)
    const v = c < 128 ? DECODE[c]! : -1
    if (v < 0) return undefined
    acc = ((acc << 5) | v) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[n++] = (acc >>> bits) & 0xff
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return undefined
  return out
}
