/**
 * The random source the address manager draws from, and a fast default
 * that reproduces Bitcoin Core's `FastRandomContext`: a ChaCha20 keystream
 * (from node:crypto) read 8 bytes at a time as little-endian 64-bit words,
 * with Core's bit buffer and rejection sampling. Seeded with 32 zero bytes
 * it gives the same numbers as Core's deterministic context, so Core's
 * deterministic test runs can be replayed draw for draw.
 */
import { createCipheriv, randomBytes } from 'node:crypto'

/** What the address manager needs from randomness. Inject your own for tests. */
export interface RandomSource {
  /** `bits` (0–32) uniformly random bits, as an unsigned number. */
  randbits(bits: number): number
  /** A uniform integer in [0, range), for 1 ≤ range ≤ 2^32. */
  randrange(range: number): number
  /** A fair coin. */
  randbool(): boolean
  /** `n` random bytes. */
  randbytes(n: number): Uint8Array
}

const CHUNK = 4096

/** Core's FastRandomContext over ChaCha20 (RFC 8439 block function, nonce 0, counter from 0). */
export class FastRandom implements RandomSource {
  readonly #cipher: ReturnType<typeof createCipheriv>
  readonly #zeros = new Uint8Array(CHUNK)
  #stream: Uint8Array = new Uint8Array(0)
  #pos = 0
  // Core's 64-bit bit buffer, as two 32-bit halves.
  #lo = 0
  #hi = 0
  #size = 0

  /** `seed`: the 32-byte ChaCha20 key. Omitted: 32 bytes from the OS. */
  constructor(seed?: Uint8Array) {
    const key = seed ?? randomBytes(32)
    if (key.length !== 32) throw new RangeError('A FastRandom seed has 32 bytes.')
    this.#cipher = createCipheriv('chacha20', key, new Uint8Array(16))
  }

  /** Core's deterministic FastRandomContext (fDeterministic = true): the all-zero key. */
  static deterministic(): FastRandom {
    return new FastRandom(new Uint8Array(32))
  }

  #keystream(n: number, out: Uint8Array, off: number): void {
    let done = 0
    while (done < n) {
      if (this.#pos === this.#stream.length) {
        this.#stream = this.#cipher.update(this.#zeros)
        this.#pos = 0
      }
      const take = Math.min(n - done, this.#stream.length - this.#pos)
      out.set(this.#stream.subarray(this.#pos, this.#pos + take), off + done)
      this.#pos += take
      done += take
    }
  }

  /** Core rand64(), as two unsigned 32-bit halves: [low, high]. */
  #rand64(): [number, number] {
    if (this.#stream.length - this.#pos < 8) {
      const b = new Uint8Array(8)
      this.#keystream(8, b, 0)
      return [
        (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0,
        (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0,
      ]
    }
    const s = this.#stream
    const p = this.#pos
    this.#pos = p + 8
    return [
      (s[p]! | (s[p + 1]! << 8) | (s[p + 2]! << 16) | (s[p + 3]! << 24)) >>> 0,
      (s[p + 4]! | (s[p + 5]! << 8) | (s[p + 6]! << 16) | (s[p + 7]! << 24)) >>> 0,
    ]
  }

  /** Core rand64() as a bigint. */
  rand64(): bigint {
    const [lo, hi] = this.#rand64()
    return (BigInt(hi) << 32n) | BigInt(lo)
  }

  randbits(bits: number): number {
    if (bits === 0) return 0
    if (bits > 32) throw new RangeError('randbits() takes at most 32 bits here.')
    if (this.#size < bits) {
      const [lo, hi] = this.#rand64()
      this.#lo = lo
      this.#hi = hi
      this.#size = 64
    }
    let ret: number
    if (bits === 32) {
      ret = this.#lo
      this.#lo = this.#hi
      this.#hi = 0
    } else {
      ret = this.#lo & ((1 << bits) - 1)
      this.#lo = ((this.#lo >>> bits) | (this.#hi << (32 - bits))) >>> 0
      this.#hi = this.#hi >>> bits
    }
    this.#size -= bits
    return ret >>> 0
  }

  randrange(range: number): number {
    const max = range - 1
    if (max <= 0) return 0
    const bits = max > 0xffffffff ? 33 : 32 - Math.clz32(max)
    for (;;) {
      const r = this.randbits(bits)
      if (r <= max) return r
    }
  }

  randbool(): boolean {
    return this.randbits(1) === 1
  }

  randbytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    this.#keystream(n, out, 0)
    return out
  }
}
