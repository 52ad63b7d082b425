/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF"),
 * with an incremental hasher shaped like Bitcoin Core's `CSipHasher`: write
 * 64-bit words and bytes, copy a partly fed hasher, finalize to a 64-bit
 * number. BIP152 short transaction ids use it, and Core keys several of its
 * "deterministic randomizers" with it (address-relay targets, keyed network
 * groups for eviction).
 *
 * The state is kept as 32-bit halves so no BigInt is created per round;
 * `finalize()` returns a bigint (the only allocation of a hash).
 */
import { NodeError } from '@node/runtime'

/** A SipHash key must be 16 bytes (a caller bug, not a peer's). */
export class BadSipHashKeyError extends NodeError {
  constructor(length: number) {
    super('BAD_SIPHASH_KEY', `A SipHash key has 16 bytes, not ${length}.`)
    this.name = 'BadSipHashKeyError'
  }
}

/** A SipHash key: two little-endian 64-bit words, as Core's `CSipHasher(k0, k1)` takes. */
export interface SipKey {
  readonly k0: bigint
  readonly k1: bigint
}

/** Split a 16-byte key into its two little-endian words (the reference implementation's layout). */
export function sipKeyFromBytes(key: Uint8Array): SipKey {
  if (key.length !== 16) throw new BadSipHashKeyError(key.length)
  const view = new DataView(key.buffer, key.byteOffset, 16)
  return { k0: view.getBigUint64(0, true), k1: view.getBigUint64(8, true) }
}

/** Incremental SipHash-2-4. Feed it with `writeU64` and `write`, then `finalize()` (repeatable). */
export class SipHasher {
  // v0..v3 as [lo, hi] pairs.
  readonly #v = new Uint32Array(8)
  // Bytes of a partial word, low byte first, and the total length fed.
  #tmpLo = 0
  #tmpHi = 0
  #count = 0

  constructor(key: SipKey) {
    const k0 = BigInt.asUintN(64, key.k0)
    const k1 = BigInt.asUintN(64, key.k1)
    const k0lo = Number(k0 & 0xffffffffn)
    const k0hi = Number(k0 >> 32n)
    const k1lo = Number(k1 & 0xffffffffn)
    const k1hi = Number(k1 >> 32n)
    const v = this.#v
    // "somepseudorandomlygeneratedbytes"
    v[0] = k0lo ^ 0x70736575
    v[1] = k0hi ^ 0x736f6d65
    v[2] = k1lo ^ 0x6e646f6d
    v[3] = k1hi ^ 0x646f7261
    v[4] = k0lo ^ 0x6e657261
    v[5] = k0hi ^ 0x6c796765
    v[6] = k1lo ^ 0x79746573
    v[7] = k1hi ^ 0x74656462
  }

  /** A copy in the same state (Core copies a `CSipHasher` to share a prefix). */
  clone(): SipHasher {
    const c = new SipHasher({ k0: 0n, k1: 0n })
    c.#v.set(this.#v)
    c.#tmpLo = this.#tmpLo
    c.#tmpHi = this.#tmpHi
    c.#count = this.#count
    return c
  }

  /** Absorb one 64-bit word, little-endian (Core `CSipHasher::Write(uint64_t)`). */
  writeU64(value: bigint | number): this {
    const x = BigInt.asUintN(64, BigInt(value))
    const lo = Number(x & 0xffffffffn)
    const hi = Number(x >> 32n)
    if ((this.#count & 7) === 0) {
      this.#absorb(lo, hi)
      this.#count += 8
      return this
    }
    const b = new Uint8Array(8)
    const view = new DataView(b.buffer)
    view.setUint32(0, lo, true)
    view.setUint32(4, hi, true)
    return this.write(b)
  }

  /** Absorb bytes (Core `CSipHasher::Write(span)`). */
  write(data: Uint8Array): this {
    let count = this.#count
    let lo = this.#tmpLo
    let hi = this.#tmpHi
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!
      const pos = count & 7
      if (pos < 4) lo |= byte << (pos * 8)
      else hi |= byte << ((pos - 4) * 8)
      count++
      if ((count & 7) === 0) {
        this.#absorb(lo >>> 0, hi >>> 0)
        lo = 0
        hi = 0
      }
    }
    this.#count = count
    this.#tmpLo = lo >>> 0
    this.#tmpHi = hi >>> 0
    return this
  }

  /** The 64-bit hash of everything written so far. The hasher stays usable. */
  finalize(): bigint {
    const saved = new Uint32Array(this.#v)
    const lo = this.#tmpLo
    const hi = (this.#tmpHi | ((this.#count & 0xff) << 24)) >>> 0
    this.#absorb(lo, hi)
    const v = this.#v
    v[4] = (v[4]! ^ 0xff) >>> 0
    rounds(v, 4)
    const outLo = (v[0]! ^ v[2]! ^ v[4]! ^ v[6]!) >>> 0
    const outHi = (v[1]! ^ v[3]! ^ v[5]! ^ v[7]!) >>> 0
    this.#v.set(saved)
    return (BigInt(outHi) << 32n) | BigInt(outLo)
  }

  #absorb(mlo: number, mhi: number): void {
    const v = this.#v
    v[6] = v[6]! ^ mlo
    v[7] = v[7]! ^ mhi
    rounds(v, 2)
    v[0] = v[0]! ^ mlo
    v[1] = v[1]! ^ mhi
  }
}

/** `n` SipRounds over the state (v0..v3 as [lo, hi] pairs). */
function rounds(v: Uint32Array, n: number): void {
  let v0l = v[0]!
  let v0h = v[1]!
  let v1l = v[2]!
  let v1h = v[3]!
  let v2l = v[4]!
  let v2h = v[5]!
  let v3l = v[6]!
  let v3h = v[7]!
  let tl: number
  let th: number
  for (let r = 0; r < n; r++) {
    // v0 += v1
    tl = (v0l + v1l) >>> 0
    v0h = (v0h + v1h + (tl < v0l ? 1 : 0)) >>> 0
    v0l = tl
    // v1 = rotl(v1, 13) ^ v0
    th = ((v1h << 13) | (v1l >>> 19)) >>> 0
    tl = ((v1l << 13) | (v1h >>> 19)) >>> 0
    v1h = (th ^ v0h) >>> 0
    v1l = (tl ^ v0l) >>> 0
    // v0 = rotl(v0, 32)
    tl = v0l
    v0l = v0h
    v0h = tl
    // v2 += v3
    tl = (v2l + v3l) >>> 0
    v2h = (v2h + v3h + (tl < v2l ? 1 : 0)) >>> 0
    v2l = tl
    // v3 = rotl(v3, 16) ^ v2
    th = ((v3h << 16) | (v3l >>> 16)) >>> 0
    tl = ((v3l << 16) | (v3h >>> 16)) >>> 0
    v3h = (th ^ v2h) >>> 0
    v3l = (tl ^ v2l) >>> 0
    // v0 += v3
    tl = (v0l + v3l) >>> 0
    v0h = (v0h + v3h + (tl < v0l ? 1 : 0)) >>> 0
    v0l = tl
    // v3 = rotl(v3, 21) ^ v0
    th = ((v3h << 21) | (v3l >>> 11)) >>> 0
    tl = ((v3l << 21) | (v3h >>> 11)) >>> 0
    v3h = (th ^ v0h) >>> 0
    v3l = (tl ^ v0l) >>> 0
    // v2 += v1
    tl = (v2l + v1l) >>> 0
    v2h = (v2h + v1h + (tl < v2l ? 1 : 0)) >>> 0
    v2l = tl
    // v1 = rotl(v1, 17) ^ v2
    th = ((v1h << 17) | (v1l >>> 15)) >>> 0
    tl = ((v1l << 17) | (v1h >>> 15)) >>> 0
    v1h = (th ^ v2h) >>> 0
    v1l = (tl ^ v2l) >>> 0
    // v2 = rotl(v2, 32)
    tl = v2l
    v2l = v2h
    v2h = tl
  }
  v[0] = v0l
  v[1] = v0h
  v[2] = v1l
  v[3] = v1h
  v[4] = v2l
  v[5] = v2h
  v[6] = v3l
  v[7] = v3h
}

/** One-shot SipHash-2-4 of `data` under `key`, as an unsigned 64-bit bigint. */
export function siphash24(key: SipKey | Uint8Array, data: Uint8Array): bigint {
  const k = key instanceof Uint8Array ? sipKeyFromBytes(key) : key
  return new SipHasher(k).write(data).finalize()
}
