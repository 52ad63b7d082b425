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
import { createCipheriv, createHash } from 'node:crypto'
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
const ZERO_IV = new Uint8Array(16)
const ZEROS_384 = new Uint8Array(384)

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

/** Core MuHash3072::ToNum3072: SHA-256, then 384 bytes of ChaCha20 keystream, read LE. */
function toNum3072(data: Uint8Array): bigint {
  const key = sha256(data)
  // OpenSSL's chacha20 IV is the 32-bit block counter then the 96-bit nonce, both zero here
  const c = createCipheriv('chacha20', key, ZERO_IV)
  return fromLE(c.update(ZEROS_384))
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
