/**
 * The compact coin encoding of Core's chainstate, byte for byte:
 *
 * - VARINT: Core's MSB-first base-128 integer with the "minus one"
 *   continuation (serialize.h `WriteVarInt`/`ReadVarInt`), not CompactSize.
 *   It is order preserving, which is why Core puts it in database keys.
 * - Amount compression: compressor.cpp `CompressAmount`/`DecompressAmount`.
 * - Script compression: compressor.cpp `CompressScript`/`DecompressScript`/
 *   `GetSpecialScriptSize` and compressor.h `ScriptCompression`: P2PKH → 0x00
 *   + 20 bytes, P2SH → 0x01 + 20, compressed P2PK → 0x02/0x03 + x,
 *   uncompressed P2PK with a fully valid key → 0x04 | (y & 1) + x; any other
 *   script is VARINT(size + 6) then its bytes (6 = nSpecialScripts). A
 *   stored size above MAX_SCRIPT_SIZE decodes as a lone OP_RETURN, as Core.
 *   A 0x04/0x05 form whose x is not on the curve throws CorruptCoinError
 *   (Core's DecompressScript returns false and leaves the script empty; we
 *   only ever write such forms for fully valid keys, so it means corruption).
 * - `TxOutCompression` (VARINT(compressed amount), compressed script) and
 *   coins.h `Coin::Serialize`: VARINT(height * 2 + coinbase) then the TxOut.
 */
import { Reader } from '@node/wire'
import { isPoint, pointCompress } from 'tiny-secp256k1'
import { CorruptCoinError } from './errors.ts'
import type { Coin } from './types.ts'

/** script/script.h MAX_SCRIPT_SIZE. */
export const MAX_SCRIPT_SIZE = 10_000
/** compressor.h ScriptCompression::nSpecialScripts. */
const SPECIAL_SCRIPTS = 6

// --- VARINT ------------------------------------------------------------------

/** Bytes VARINT(n) takes; n a non-negative safe integer. */
export function varIntLength(n: number): number {
  let len = 1
  while (n > 0x7f) {
    n = Math.floor(n / 128) - 1
    len++
  }
  return len
}

/** Write VARINT(n) at `pos`; returns the position after it. n ≤ 2^53 − 1. */
export function writeVarInt(out: Uint8Array, pos: number, n: number): number {
  const tmp: number[] = []
  let first = true
  for (;;) {
    tmp.push((n % 128) | (first ? 0 : 0x80))
    first = false
    if (n <= 0x7f) break
    n = Math.floor(n / 128) - 1
  }
  for (let i = tmp.length - 1; i >= 0; i--) out[pos++] = tmp[i]!
  return pos
}

/** VARINT(n) as bytes. */
export function encodeVarInt(n: number): Uint8Array {
  const out = new Uint8Array(varIntLength(n))
  writeVarInt(out, 0, n)
  return out
}

/**
 * Read a VARINT of at most `max` (Core ReadVarInt's "size too large" check;
 * default 2^53 − 1, the largest we hold in a number exactly).
 */
export function readVarInt(r: Reader, what = 'varint', max = Number.MAX_SAFE_INTEGER): number {
  let n = 0
  for (;;) {
    const ch = r.u8(what)
    if (n > Math.floor(max / 128)) throw new CorruptCoinError(`${what}: VARINT is larger than ${max}.`)
    n = n * 128 + (ch & 0x7f)
    if (ch & 0x80) {
      if (n === max) throw new CorruptCoinError(`${what}: VARINT is larger than ${max}.`)
      n++
    } else {
      return n
    }
  }
}

/** VARINT of a uint64 (compressed amounts near MAX_MONEY exceed 2^53). */
export function encodeVarIntBig(n: bigint): Uint8Array {
  const tmp: number[] = []
  let first = true
  for (;;) {
    tmp.push(Number(n & 0x7fn) | (first ? 0 : 0x80))
    first = false
    if (n <= 0x7fn) break
    n = (n >> 7n) - 1n
  }
  return Uint8Array.from(tmp.reverse())
}

/** Read a uint64 VARINT (Core ReadVarInt for uint64_t). */
export function readVarIntBig(r: Reader, what = 'varint'): bigint {
  const max = (1n << 64n) - 1n
  let n = 0n
  for (;;) {
    const ch = r.u8(what)
    if (n > max >> 7n) throw new CorruptCoinError(`${what}: VARINT is larger than 2^64 - 1.`)
    n = (n << 7n) | BigInt(ch & 0x7f)
    if (ch & 0x80) {
      if (n === max) throw new CorruptCoinError(`${what}: VARINT is larger than 2^64 - 1.`)
      n++
    } else {
      return n
    }
  }
}

// --- amounts -----------------------------------------------------------------

/** compressor.cpp CompressAmount, in uint64 arithmetic as Core. */
export function compressAmount(value: bigint): bigint {
  let n = BigInt.asUintN(64, value)
  if (n === 0n) return 0n
  let e = 0n
  while (n % 10n === 0n && e < 9n) {
    n /= 10n
    e++
  }
  if (e < 9n) {
    const d = n % 10n
    n /= 10n
    return BigInt.asUintN(64, 1n + (n * 9n + d - 1n) * 10n + e)
  }
  return BigInt.asUintN(64, 1n + (n - 1n) * 10n + 9n)
}

/** compressor.cpp DecompressAmount. */
export function decompressAmount(x: bigint): bigint {
  if (x === 0n) return 0n
  x--
  let e = x % 10n
  x /= 10n
  let n: bigint
  if (e < 9n) {
    const d = (x % 9n) + 1n
    x /= 9n
    n = x * 10n + d
  } else {
    n = x + 1n
  }
  while (e > 0n) {
    n *= 10n
    e--
  }
  return BigInt.asUintN(64, n)
}

// --- scripts -----------------------------------------------------------------

const OP_DUP = 0x76
const OP_HASH160 = 0xa9
const OP_EQUALVERIFY = 0x88
const OP_EQUAL = 0x87
const OP_CHECKSIG = 0xac
const OP_RETURN = 0x6a

/** compressor.cpp CompressScript: the special form, or undefined. */
export function compressScript(s: Uint8Array): Uint8Array | undefined {
  // script.cpp IsPayToPubKeyHash
  if (
    s.length === 25 &&
    s[0] === OP_DUP &&
    s[1] === OP_HASH160 &&
    s[2] === 20 &&
    s[23] === OP_EQUALVERIFY &&
    s[24] === OP_CHECKSIG
  ) {
    const out = new Uint8Array(21)
    out.set(s.subarray(3, 23), 1)
    return out
  }
  // script.cpp IsPayToScriptHash
  if (s.length === 23 && s[0] === OP_HASH160 && s[1] === 20 && s[22] === OP_EQUAL) {
    const out = new Uint8Array(21)
    out[0] = 0x01
    out.set(s.subarray(2, 22), 1)
    return out
  }
  // IsCompressedPayToPubKey with an even/odd tag
  if (s.length === 35 && s[0] === 33 && s[34] === OP_CHECKSIG && (s[1] === 0x02 || s[1] === 0x03)) {
    return s.slice(1, 34)
  }
  // Uncompressed P2PK, only when the key is fully valid (else it cannot be rebuilt)
  if (s.length === 67 && s[0] === 65 && s[66] === OP_CHECKSIG && s[1] === 0x04) {
    const pub = s.subarray(1, 66)
    if (!isPoint(pub)) return undefined
    const out = new Uint8Array(33)
    out[0] = 0x04 | (pub[64]! & 1)
    out.set(pub.subarray(1, 33), 1)
    return out
  }
  return undefined
}

/** compressor.cpp GetSpecialScriptSize. */
function specialScriptSize(n: number): number {
  return n < 2 ? 20 : 32
}

/** compressor.cpp DecompressScript for special form `n` (0–5). */
function decompressScript(n: number, data: Uint8Array): Uint8Array {
  switch (n) {
    case 0: {
      const s = new Uint8Array(25)
      s.set([OP_DUP, OP_HASH160, 20])
      s.set(data, 3)
      s[23] = OP_EQUALVERIFY
      s[24] = OP_CHECKSIG
      return s
    }
    case 1: {
      const s = new Uint8Array(23)
      s.set([OP_HASH160, 20])
      s.set(data, 2)
      s[22] = OP_EQUAL
      return s
    }
    case 2:
    case 3: {
      const s = new Uint8Array(35)
      s[0] = 33
      s[1] = n
      s.set(data, 2)
      s[34] = OP_CHECKSIG
      return s
    }
    default: {
      const comp = new Uint8Array(33)
      comp[0] = n - 2
      comp.set(data, 1)
      if (!isPoint(comp))
        throw new CorruptCoinError('A compressed P2PK coin holds an x that is not on the curve.')
      const full = pointCompress(comp, false)
      const s = new Uint8Array(67)
      s[0] = 65
      s.set(full, 1)
      s[66] = OP_CHECKSIG
      return s
    }
  }
}

// --- coins -------------------------------------------------------------------

/**
 * Serialize one compressed TxOut (compressor.h TxOutCompression), preceded by
 * the VARINTs in `prefix` (coin code, undo's version dummy).
 */
export function encodeCompressedTxOut(
  prefix: readonly number[],
  value: bigint,
  script: Uint8Array,
): Uint8Array {
  const amount = encodeVarIntBig(compressAmount(value))
  const special = compressScript(script)
  let size = amount.length
  for (const p of prefix) size += varIntLength(p)
  size += special ? special.length : varIntLength(script.length + SPECIAL_SCRIPTS) + script.length
  const out = new Uint8Array(size)
  let pos = 0
  for (const p of prefix) pos = writeVarInt(out, pos, p)
  out.set(amount, pos)
  pos += amount.length
  if (special) {
    out.set(special, pos)
  } else {
    pos = writeVarInt(out, pos, script.length + SPECIAL_SCRIPTS)
    out.set(script, pos)
  }
  return out
}

/** Read a compressed TxOut (compressor.h TxOutCompression / ScriptCompression). */
export function readCompressedTxOut(r: Reader): { value: bigint; script: Uint8Array } {
  const value = decompressAmount(readVarIntBig(r, 'coin amount'))
  const n = readVarInt(r, 'coin script size', 0xffffffff)
  if (n < SPECIAL_SCRIPTS) {
    return { value, script: decompressScript(n, r.bytes(specialScriptSize(n), 'special script')) }
  }
  const len = n - SPECIAL_SCRIPTS
  if (len > MAX_SCRIPT_SIZE) {
    r.bytes(len, 'oversized script')
    return { value, script: Uint8Array.of(OP_RETURN) }
  }
  return { value, script: new Uint8Array(r.bytes(len, 'coin script')) }
}

/** coins.h Coin::Serialize: VARINT(height * 2 + coinbase), compressed TxOut. */
export function encodeCoin(coin: Coin): Uint8Array {
  return encodeCompressedTxOut([coin.height * 2 + (coin.coinbase ? 1 : 0)], coin.value, coin.script)
}

/** coins.h Coin::Unserialize; throws CorruptCoinError on malformed or trailing bytes. */
export function decodeCoin(bytes: Uint8Array): Coin {
  const r = new Reader(bytes)
  const coin = readCoin(r, false)
  if (r.remaining !== 0) throw new CorruptCoinError(`${r.remaining} bytes follow a coin.`)
  return coin
}

/** Read one coin; `undo` reads undo.h TxInUndoFormatter's version dummy when height > 0. */
export function readCoin(r: Reader, undo: boolean): Coin {
  try {
    const code = readVarInt(r, 'coin code', 0xffffffff)
    const height = Math.floor(code / 2)
    if (undo && height > 0) readVarInt(r, 'undo version dummy', 0xffffffff)
    const { value, script } = readCompressedTxOut(r)
    return { value, script, height, coinbase: code % 2 === 1 }
  } catch (err) {
    if ((err as { code?: unknown }).code === 'CORRUPT_COIN') throw err
    throw new CorruptCoinError(`Coin bytes are malformed: ${(err as Error).message}`, { cause: err })
  }
}
