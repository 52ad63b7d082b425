/**
 * `gettxoutsetinfo` statistics as Core's kernel/coinstats.cpp computes them
 * (`ComputeUTXOStats`, `ApplyStats`, `ApplyHash`, `TxOutSer`, `GetBogoSize`):
 *
 * - coins are visited in the coins database's key order (txid bytes, then
 *   vout: db.ts `iterate`), grouped by txid; each group counts one
 *   transaction and its outputs are taken in vout order (Core's std::map);
 * - each coin is serialized as TxOutSer: the outpoint (32-byte txid, uint32
 *   vout LE), uint32 LE (height << 1 | coinbase), then the CTxOut (int64 LE
 *   value, CompactSize script length, script);
 * - `hash_serialized_3`: SHA256d (HashWriter::GetHash) over all of those in
 *   order; shown byte-reversed, as uint256::GetHex;
 * - `muhash`: MuHash3072 (crypto/muhash.cpp) of the set of those
 *   serializations: each is SHA-256'd, expanded to 384 bytes with ChaCha20
 *   (key = that digest, zero nonce, counter 0: Core `ToNum3072`), read as a
 *   little-endian 3072-bit number and multiplied in modulo 2^3072 − 1103717;
 *   `Finalize` divides numerator by denominator and SHA-256s the 384-byte LE
 *   result. Order-independent, so it can be updated coin by coin.
 */
import { createHash } from 'node:crypto'
import { sha256, Writer } from '@node/wire'
import type { Coin } from './types.ts'

/** crypto/muhash.h Num3072: 2^3072 − 1103717, the largest 3072-bit safe prime. */
const MODULUS = (1n << 3072n) - 1103717n
const MASK = (1n << 3072n) - 1n
const C = 1103717n

/**
 * x mod (2^3072 − C) for 0 ≤ x < 2^6144, by folding: 2^3072 ≡ C, so
 * x = hi·2^3072 + lo ≡ hi·C + lo (Core's Num3072 reduces the same way).
 * Shifts and masks instead of a 3072-bit division: about 4× faster.
 */
function reduce(x: bigint): bigint {
  x = (x >> 3072n) * C + (x & MASK)
  x = (x >> 3072n) * C + (x & MASK)
  return x >= MODULUS ? x - MODULUS : x
}

/** Little-endian bytes → bigint. */
function fromLE(b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`)
}

/** bigint → 384 little-endian bytes. */
function toLE384(n: bigint): Uint8Array {
  const hex = n.toString(16).padStart(768, '0')
  return Uint8Array.from(Buffer.from(hex, 'hex').reverse())
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n
  base %= mod
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % mod
    base = (base * base) % mod
    exp >>= 1n
  }
  return result
}

/**
 * The first 384 bytes of the ChaCha20 keystream for `key` with a zero nonce
 * and counter (Core crypto/chacha20.cpp ChaCha20Aligned::Keystream, RFC 8439
 * block function). Written out in JavaScript because creating a node:crypto
 * cipher per coin costs about 4× the 6 blocks themselves (measured: 2.6 µs
 * against 11 µs per coin); the MuHash vectors of Core's tests check it.
 */
function chacha20Keystream384(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(384)
  const ov = new DataView(out.buffer)
  const kv = new DataView(key.buffer, key.byteOffset, 32)
  const k0 = kv.getUint32(0, true)
  const k1 = kv.getUint32(4, true)
  const k2 = kv.getUint32(8, true)
  const k3 = kv.getUint32(12, true)
  const k4 = kv.getUint32(16, true)
  const k5 = kv.getUint32(20, true)
  const k6 = kv.getUint32(24, true)
  const k7 = kv.getUint32(28, true)
  const s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, k0, k1, k2, k3, k4, k5, k6, k7, 0, 0, 0, 0]
  for (let block = 0; block < 6; block++) {
    s[12] = block
    let x0 = s[0]! | 0
    let x1 = s[1]! | 0
    let x2 = s[2]! | 0
    let x3 = s[3]! | 0
    let x4 = s[4]! | 0
    let x5 = s[5]! | 0
    let x6 = s[6]! | 0
    let x7 = s[7]! | 0
    let x8 = s[8]! | 0
    let x9 = s[9]! | 0
    let x10 = s[10]! | 0
    let x11 = s[11]! | 0
    let x12 = block
    let x13 = 0
    let x14 = 0
    let x15 = 0
    for (let round = 0; round < 10; round++) {
      // column rounds: QR(0,4,8,12) QR(1,5,9,13) QR(2,6,10,14) QR(3,7,11,15)
      x0 = (x0 + x4) | 0
      x12 ^= x0
      x12 = (x12 << 16) | (x12 >>> 16)
      x8 = (x8 + x12) | 0
      x4 ^= x8
      x4 = (x4 << 12) | (x4 >>> 20)
      x0 = (x0 + x4) | 0
      x12 ^= x0
      x12 = (x12 << 8) | (x12 >>> 24)
      x8 = (x8 + x12) | 0
      x4 ^= x8
      x4 = (x4 << 7) | (x4 >>> 25)
      x1 = (x1 + x5) | 0
      x13 ^= x1
      x13 = (x13 << 16) | (x13 >>> 16)
      x9 = (x9 + x13) | 0
      x5 ^= x9
      x5 = (x5 << 12) | (x5 >>> 20)
      x1 = (x1 + x5) | 0
      x13 ^= x1
      x13 = (x13 << 8) | (x13 >>> 24)
      x9 = (x9 + x13) | 0
      x5 ^= x9
      x5 = (x5 << 7) | (x5 >>> 25)
      x2 = (x2 + x6) | 0
      x14 ^= x2
      x14 = (x14 << 16) | (x14 >>> 16)
      x10 = (x10 + x14) | 0
      x6 ^= x10
      x6 = (x6 << 12) | (x6 >>> 20)
      x2 = (x2 + x6) | 0
      x14 ^= x2
      x14 = (x14 << 8) | (x14 >>> 24)
      x10 = (x10 + x14) | 0
      x6 ^= x10
      x6 = (x6 << 7) | (x6 >>> 25)
      x3 = (x3 + x7) | 0
      x15 ^= x3
      x15 = (x15 << 16) | (x15 >>> 16)
      x11 = (x11 + x15) | 0
      x7 ^= x11
      x7 = (x7 << 12) | (x7 >>> 20)
      x3 = (x3 + x7) | 0
      x15 ^= x3
      x15 = (x15 << 8) | (x15 >>> 24)
      x11 = (x11 + x15) | 0
      x7 ^= x11
      x7 = (x7 << 7) | (x7 >>> 25)
      // diagonal rounds: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14)
      x0 = (x0 + x5) | 0
      x15 ^= x0
      x15 = (x15 << 16) | (x15 >>> 16)
      x10 = (x10 + x15) | 0
      x5 ^= x10
      x5 = (x5 << 12) | (x5 >>> 20)
      x0 = (x0 + x5) | 0
      x15 ^= x0
      x15 = (x15 << 8) | (x15 >>> 24)
      x10 = (x10 + x15) | 0
      x5 ^= x10
      x5 = (x5 << 7) | (x5 >>> 25)
      x1 = (x1 + x6) | 0
      x12 ^= x1
      x12 = (x12 << 16) | (x12 >>> 16)
      x11 = (x11 + x12) | 0
      x6 ^= x11
      x6 = (x6 << 12) | (x6 >>> 20)
      x1 = (x1 + x6) | 0
      x12 ^= x1
      x12 = (x12 << 8) | (x12 >>> 24)
      x11 = (x11 + x12) | 0
      x6 ^= x11
      x6 = (x6 << 7) | (x6 >>> 25)
      x2 = (x2 + x7) | 0
      x13 ^= x2
      x13 = (x13 << 16) | (x13 >>> 16)
      x8 = (x8 + x13) | 0
      x7 ^= x8
      x7 = (x7 << 12) | (x7 >>> 20)
      x2 = (x2 + x7) | 0
      x13 ^= x2
      x13 = (x13 << 8) | (x13 >>> 24)
      x8 = (x8 + x13) | 0
      x7 ^= x8
      x7 = (x7 << 7) | (x7 >>> 25)
      x3 = (x3 + x4) | 0
      x14 ^= x3
      x14 = (x14 << 16) | (x14 >>> 16)
      x9 = (x9 + x14) | 0
      x4 ^= x9
      x4 = (x4 << 12) | (x4 >>> 20)
      x3 = (x3 + x4) | 0
      x14 ^= x3
      x14 = (x14 << 8) | (x14 >>> 24)
      x9 = (x9 + x14) | 0
      x4 ^= x9
      x4 = (x4 << 7) | (x4 >>> 25)
    }
    const xs = [x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15]
    for (let i = 0; i < 16; i++) ov.setUint32(block * 64 + i * 4, (xs[i]! + s[i]!) >>> 0, true)
  }
  return out
}

/** Core MuHash3072::ToNum3072: SHA-256, then 384 bytes of ChaCha20 keystream, read LE. */
function toNum3072(data: Uint8Array): bigint {
  const bytes = chacha20Keystream384(sha256(data))
  // little-endian: reverse in place (the buffer is ours) and parse as hex
  return BigInt(`0x${Buffer.from(bytes.buffer).reverse().toString('hex')}`)
}

/** Core crypto/muhash.cpp MuHash3072: a running product of inserted elements over removed ones. */
export class MuHash3072 {
  #num = 1n
  #den = 1n

  /** Core Insert: multiply in the element of `data`. */
  insert(data: Uint8Array): this {
    this.#num = reduce(this.#num * toNum3072(data))
    return this
  }

  /** Core Remove: divide out the element of `data`. */
  remove(data: Uint8Array): this {
    this.#den = reduce(this.#den * toNum3072(data))
    return this
  }

  /** Core operator*=: combine two sets. */
  combine(other: MuHash3072): this {
    this.#num = reduce(this.#num * other.#num)
    this.#den = reduce(this.#den * other.#den)
    return this
  }

  /** Core operator/=: remove another set. */
  divide(other: MuHash3072): this {
    this.#num = reduce(this.#num * other.#den)
    this.#den = reduce(this.#den * other.#num)
    return this
  }

  /**
   * Load Core's serialized state (384-byte LE numerator, 384-byte LE
   * denominator; values may exceed the modulus, as in Core's overflow test).
   */
  static fromState(bytes: Uint8Array): MuHash3072 {
    if (bytes.length !== 768) throw new RangeError('A MuHash3072 state is 768 bytes.')
    const m = new MuHash3072()
    m.#num = fromLE(bytes.subarray(0, 384)) % MODULUS
    m.#den = fromLE(bytes.subarray(384)) % MODULUS
    return m
  }

  /** Core Finalize: SHA-256 of the 384-byte LE numerator / denominator (wire order, not reversed). */
  finalize(): Uint8Array {
    // modular inverse by Fermat: the modulus is prime
    const inv = modPow(this.#den, MODULUS - 2n, MODULUS)
    this.#num = reduce(this.#num * inv)
    this.#den = 1n
    return sha256(toLE384(this.#num))
  }
}

/** coinstats.cpp GetBogoSize: a database-independent size of one coin. */
export function bogoSize(script: Uint8Array): number {
  return 32 + 4 + 4 + 8 + 2 + script.length
}

/** coinstats.cpp TxOutSer: outpoint, uint32 (height << 1 | coinbase), CTxOut. */
export function txOutSer(txid: Uint8Array, vout: number, coin: Coin): Uint8Array {
  const w = new Writer()
  w.bytes(txid)
  w.u32le(vout)
  w.u32le(((coin.height * 2) >>> 0) + (coin.coinbase ? 1 : 0))
  w.u64le(coin.value)
  w.compactSize(coin.script.length)
  w.bytes(coin.script)
  return w.finish()
}

/** What `gettxoutsetinfo` reports about the coins (Core CCoinsStats). */
export interface UtxoStats {
  /** Transactions with at least one unspent output. */
  transactions: number
  txouts: number
  bogosize: number
  /** Satoshis. */
  totalAmount: bigint
  /** SHA256d, wire order (RPC shows it byte-reversed). */
  hashSerialized3: Uint8Array
  /** MuHash3072 digest, wire order (RPC shows it byte-reversed). */
  muhash: Uint8Array
}

/**
 * Compute the statistics over coins given in the database's key order
 * (`CoinsDB.iterate()`). Outputs of one txid are re-sorted by vout as Core's
 * std::map does, so the result does not depend on the key's vout encoding.
 * Call after a flush: the database is the set.
 */
export async function computeUtxoStats(
  coins:
    | AsyncIterable<{ txid: Uint8Array; vout: number; coin: Coin }>
    | Iterable<{ txid: Uint8Array; vout: number; coin: Coin }>,
  opts: { muhash?: boolean; hashSerialized?: boolean } = {},
): Promise<UtxoStats> {
  const doMu = opts.muhash !== false
  const doSer = opts.hashSerialized !== false
  // streamed: the whole set's serialization never sits in memory
  const ser = createHash('sha256')
  const mu = new MuHash3072()
  const stats = { transactions: 0, txouts: 0, bogosize: 0, totalAmount: 0n }
  let prev: Uint8Array | undefined
  let group: { vout: number; coin: Coin }[] = []
  const apply = (txid: Uint8Array): void => {
    group.sort((a, b) => a.vout - b.vout)
    stats.transactions++
    for (const { vout, coin } of group) {
      stats.txouts++
      stats.totalAmount += coin.value
      stats.bogosize += bogoSize(coin.script)
      if (doSer || doMu) {
        const bytes = txOutSer(txid, vout, coin)
        if (doSer) ser.update(bytes)
        if (doMu) mu.insert(bytes)
      }
    }
    group = []
  }
  for await (const { txid, vout, coin } of coins) {
    if (prev && Buffer.compare(prev, txid) !== 0) apply(prev)
    prev = txid
    group.push({ vout, coin })
  }
  if (prev) apply(prev)
  return {
    ...stats,
    hashSerialized3: doSer ? sha256(ser.digest()) : new Uint8Array(32),
    muhash: doMu ? mu.finalize() : new Uint8Array(32),
  }
}
