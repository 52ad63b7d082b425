/**
 * Rolling bloom filters: fixed memory whatever a peer sends, for the
 * high-volume case (transaction inventory, addresses).
 *
 * This is Bitcoin Core's CRollingBloomFilter (src/common/bloom.cpp): the
 * filter remembers at least the last `entries` insertions and at most 1.5×
 * that many; older ones fade out one generation at a time. Each bit position
 * holds a 2-bit generation number (1, 2 or 3; 0 is empty) split over two
 * parallel bit arrays. When a generation has taken `entries / 2` insertions
 * the next generation begins and every position still marked with its
 * number (the oldest) is cleared. The false-positive rate holds for the
 * `1.5 × entries` elements that may be present.
 *
 * Differences from Core, both deliberate: positions come from two keyed
 * MurmurHash3 values by double hashing (`h1 + i·h2`) rather than one
 * MurmurHash3 per hash function, so a lookup costs two hashes whatever `k`
 * is; and the 32-bit tweak comes from the injected random source. The tweak
 * is secret per filter, so a peer cannot craft hashes that collide in it.
 */
import { randomInt } from 'node:crypto'
import type { InvItem } from '@node/wire'
import {
  DEFAULT_ROLLING_ENTRIES,
  DEFAULT_ROLLING_FP_RATE,
  MAX_FP_RATE,
  MAX_HASH_FUNCS,
  MAX_ROLLING_ENTRIES,
  MIN_FP_RATE,
  SEED_MULTIPLIER,
} from './constants.ts'
import { InvalidCacheOptionError } from './errors.ts'
import type { FilterOptions, KnownInventory } from './inv-cache.ts'
import { normalizeInvType } from './key.ts'
import { murmur3, murmur3Inv } from './murmur.ts'

export interface RollingFilterComponents {
  /** A uniformly random unsigned 32-bit integer; used once, for the filter's tweak. */
  random32?: (() => number) | undefined
}

export interface RollingFilterInit {
  /** Insertions the filter is guaranteed to remember (default 50,000, Core's tx filter). */
  entries?: number | undefined
  /** False-positive rate over the elements it may hold (default 0.000001). */
  fpRate?: number | undefined
}

const defaultRandom32 = (): number => randomInt(0, 0x1_0000_0000)

/** The sizes Core derives from (entries, fpRate). */
export function rollingFilterParams(
  entries: number,
  fpRate: number,
): { hashFuncs: number; entriesPerGeneration: number; filterBits: number } {
  const logFpRate = Math.log(fpRate)
  const hashFuncs = Math.max(1, Math.min(Math.round(logFpRate / Math.log(0.5)), MAX_HASH_FUNCS))
  const entriesPerGeneration = Math.floor((entries + 1) / 2)
  const maxElements = entriesPerGeneration * 3
  const filterBits = Math.ceil((-1 * hashFuncs * maxElements) / Math.log(1 - Math.exp(logFpRate / hashFuncs)))
  return { hashFuncs, entriesPerGeneration, filterBits }
}

/**
 * A rolling bloom filter over byte strings.
 *
 * @example
 * ```ts
 * const known = new RollingBloomFilter({}, { entries: 5000, fpRate: 0.001 })
 * known.add(addrBytes)
 * known.has(addrBytes) // true
 * ```
 */
export class RollingBloomFilter {
  readonly entries: number
  readonly fpRate: number
  readonly hashFuncs: number
  /** Bits per generation plane (a multiple of 32). */
  readonly filterBits: number
  readonly #entriesPerGeneration: number
  readonly #seed1: number
  readonly #seed2: number
  // Fixed size, allocated lazily on first insert (Core does the same): two
  // planes of filterBits bits; together they hold a 2-bit generation per position.
  #lo: Uint32Array | undefined
  #hi: Uint32Array | undefined
  #generation = 1
  #inGeneration = 0
  #inserted = 0

  constructor(components: RollingFilterComponents = {}, init: RollingFilterInit = {}) {
    const entries = init.entries ?? DEFAULT_ROLLING_ENTRIES
    const fpRate = init.fpRate ?? DEFAULT_ROLLING_FP_RATE
    if (!Number.isInteger(entries) || entries < 1 || entries > MAX_ROLLING_ENTRIES) {
      throw new InvalidCacheOptionError(
        `Rolling filter entries must be an integer in [1, ${MAX_ROLLING_ENTRIES}], got ${entries}.`,
      )
    }
    if (!(fpRate >= MIN_FP_RATE && fpRate <= MAX_FP_RATE)) {
      throw new InvalidCacheOptionError(
        `Rolling filter fpRate must be in [${MIN_FP_RATE}, ${MAX_FP_RATE}], got ${fpRate}.`,
      )
    }
    const p = rollingFilterParams(entries, fpRate)
    this.entries = entries
    this.fpRate = fpRate
    this.hashFuncs = p.hashFuncs
    this.#entriesPerGeneration = p.entriesPerGeneration
    this.filterBits = Math.ceil(p.filterBits / 32) * 32
    const tweak = (components.random32 ?? defaultRandom32)() >>> 0
    this.#seed1 = tweak
    this.#seed2 = (tweak + SEED_MULTIPLIER) >>> 0
  }

  /** Bytes of the two planes once allocated (0 before the first insert). */
  get byteLength(): number {
    return this.#lo ? this.#lo.byteLength * 2 : 0
  }

  /**
   * Elements that may still be present: insertions in the current and two
   * previous generations, capped at 1.5 × entries. An estimate for
   * statistics; membership is what `has` says.
   */
  get size(): number {
    return Math.min(this.#inserted, 2 * this.#entriesPerGeneration + this.#inGeneration)
  }

  add(data: Uint8Array): void {
    this.#insert(murmur3(this.#seed1, data), murmur3(this.#seed2, data))
  }

  has(data: Uint8Array): boolean {
    return this.#contains(murmur3(this.#seed1, data), murmur3(this.#seed2, data))
  }

  clear(): void {
    this.#lo = undefined
    this.#hi = undefined
    this.#generation = 1
    this.#inGeneration = 0
    this.#inserted = 0
  }

  /** Remember an inventory item: (normalised type, hash), hashed in place. */
  addInv(item: InvItem): void {
    const t = normalizeInvType(item.type)
    this.#insert(murmur3Inv(this.#seed1, t, item.hash), murmur3Inv(this.#seed2, t, item.hash))
  }

  /** Membership of an inventory item. */
  hasInv(item: InvItem): boolean {
    const t = normalizeInvType(item.type)
    return this.#contains(murmur3Inv(this.#seed1, t, item.hash), murmur3Inv(this.#seed2, t, item.hash))
  }

  #insert(h1: number, h2: number): void {
    if (!this.#lo || !this.#hi) {
      this.#lo = new Uint32Array(this.filterBits / 32)
      this.#hi = new Uint32Array(this.filterBits / 32)
    }
    if (this.#inGeneration === this.#entriesPerGeneration) this.#nextGeneration()
    this.#inGeneration++
    this.#inserted++
    const lo = this.#lo
    const hi = this.#hi
    const genLo = this.#generation & 1 ? -1 : 0
    const genHi = this.#generation & 2 ? -1 : 0
    const bits = this.filterBits
    const step = h2 | 1
    let h = h1
    for (let i = 0; i < this.hashFuncs; i++) {
      // Lemire's fast range reduction of a 32-bit hash onto [0, bits).
      const pos = Math.floor(((h >>> 0) * bits) / 0x1_0000_0000)
      const w = pos >>> 5
      const mask = 1 << (pos & 31)
      lo[w] = (lo[w]! & ~mask) | (genLo & mask)
      hi[w] = (hi[w]! & ~mask) | (genHi & mask)
      h = (h + step) | 0
    }
  }

  #contains(h1: number, h2: number): boolean {
    const lo = this.#lo
    const hi = this.#hi
    if (!lo || !hi) return false
    const bits = this.filterBits
    const step = h2 | 1
    let h = h1
    for (let i = 0; i < this.hashFuncs; i++) {
      const pos = Math.floor(((h >>> 0) * bits) / 0x1_0000_0000)
      const w = pos >>> 5
      const mask = 1 << (pos & 31)
      if (((lo[w]! | hi[w]!) & mask) === 0) return false
      h = (h + step) | 0
    }
    return true
  }

  /** Start the next generation (1 → 2 → 3 → 1) and wipe the positions that carry its number. */
  #nextGeneration(): void {
    this.#inGeneration = 0
    this.#generation = this.#generation === 3 ? 1 : this.#generation + 1
    const lo = this.#lo!
    const hi = this.#hi!
    const m1 = this.#generation & 1 ? -1 : 0
    const m2 = this.#generation & 2 ? -1 : 0
    for (let p = 0; p < lo.length; p++) {
      const a = lo[p]!
      const b = hi[p]!
      // A bit survives unless both planes equal the new generation's bits there.
      const keep = (a ^ m1) | (b ^ m2)
      lo[p] = a & keep
      hi[p] = b & keep
    }
  }
}

/**
 * A rolling bloom filter of inventory items, keyed by (normalised type,
 * hash): Core's known-transaction filter. Lookups hash the type and the
 * 32-byte hash in place, with no allocation.
 *
 * @example
 * ```ts
 * const known = new RollingInvFilter({}, { entries: 50_000, fpRate: 1e-6 })
 * const toSend = known.filterUnknown(pending) // and marks them as sent
 * ```
 */
export class RollingInvFilter implements KnownInventory {
  readonly #filter: RollingBloomFilter

  constructor(components: RollingFilterComponents = {}, init: RollingFilterInit = {}) {
    this.#filter = new RollingBloomFilter(components, init)
  }

  /** Insertions guaranteed to be remembered. */
  get entries(): number {
    return this.#filter.entries
  }

  /** Fixed memory of the filter once used, in bytes. */
  get byteLength(): number {
    return this.#filter.byteLength
  }

  /** Elements that may still be present (an estimate, ≤ 1.5 × entries). */
  get size(): number {
    return this.#filter.size
  }

  add(item: InvItem): void {
    this.#filter.addInv(item)
  }

  addMany(items: readonly InvItem[]): void {
    for (const item of items) this.#filter.addInv(item)
  }

  has(item: InvItem): boolean {
    return this.#filter.hasInv(item)
  }

  filterUnknown(items: readonly InvItem[], options: FilterOptions = {}): InvItem[] {
    const mark = options.mark ?? true
    const out: InvItem[] = []
    for (const item of items) {
      if (this.#filter.hasInv(item)) continue
      if (mark) this.#filter.addInv(item)
      out.push(item)
    }
    return out
  }

  clear(): void {
    this.#filter.clear()
  }
}
