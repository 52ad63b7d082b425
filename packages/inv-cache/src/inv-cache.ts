/**
 * An exact, bounded memory of the inventory a peer is known to have, on
 * `lru-cache`: no false positives, evicts the least recently added entry
 * when full.
 */
import type { InvItem } from '@node/wire'
import { LRUCache } from 'lru-cache'
import { DEFAULT_INV_CACHE_MAX, MAX_INV_CACHE_MAX } from './constants.ts'
import { InvalidCacheOptionError } from './errors.ts'
import { invKey } from './key.ts'

/** What relay code needs from a known-inventory set; both caches implement it. */
export interface KnownInventory {
  /** Remember that the peer has `item`. */
  add(item: InvItem): void
  /** Remember every item. */
  addMany(items: readonly InvItem[]): void
  /** True if the peer is known to have `item` (a rolling filter may rarely say true wrongly). */
  has(item: InvItem): boolean
  /**
   * The items the peer is not known to have, in input order. With `mark`
   * (the default) they are remembered as known at the same time, which is
   * what relay wants ("send these, and never again"), and an item repeated
   * in the input is returned once. With `mark: false` nothing changes.
   */
  filterUnknown(items: readonly InvItem[], options?: FilterOptions): InvItem[]
  /** Forget everything. */
  clear(): void
}

export interface FilterOptions {
  /** Remember the returned items as known (default true). */
  mark?: boolean | undefined
}

/** No collaborators yet; kept for the `(components, init)` shape every class shares. */
export type InvCacheComponents = Record<string, never>

export interface InvCacheInit {
  /** Most entries kept; the least recently added is evicted first (default 5,000). */
  max?: number | undefined
}

/**
 * Exact known-inventory cache keyed by `type:hash` (witness flag normalised).
 *
 * @example
 * ```ts
 * const known = new InvCache({}, { max: 1000 })
 * known.add({ type: InvType.WITNESS_BLOCK, hash })
 * known.has({ type: InvType.BLOCK, hash }) // true: same block
 * ```
 */
export class InvCache implements KnownInventory {
  readonly max: number
  // Bounded by `max`: lru-cache evicts the least recently set key on overflow.
  readonly #lru: LRUCache<string, true>

  constructor(_components: InvCacheComponents = {}, init: InvCacheInit = {}) {
    const max = init.max ?? DEFAULT_INV_CACHE_MAX
    if (!Number.isInteger(max) || max < 1 || max > MAX_INV_CACHE_MAX) {
      throw new InvalidCacheOptionError(
        `InvCache max must be an integer in [1, ${MAX_INV_CACHE_MAX}], got ${max}.`,
      )
    }
    this.max = max
    this.#lru = new LRUCache<string, true>({ max })
  }

  /** Entries held now (≤ max). */
  get size(): number {
    return this.#lru.size
  }

  add(item: InvItem): void {
    this.#lru.set(invKey(item), true)
  }

  addMany(items: readonly InvItem[]): void {
    for (const item of items) this.#lru.set(invKey(item), true)
  }

  has(item: InvItem): boolean {
    return this.#lru.has(invKey(item))
  }

  /** Forget one item; true if it was known. */
  delete(item: InvItem): boolean {
    return this.#lru.delete(invKey(item))
  }

  filterUnknown(items: readonly InvItem[], options: FilterOptions = {}): InvItem[] {
    const mark = options.mark ?? true
    const out: InvItem[] = []
    for (const item of items) {
      const key = invKey(item)
      if (this.#lru.has(key)) continue
      if (mark) this.#lru.set(key, true)
      out.push(item)
    }
    return out
  }

  clear(): void {
    this.#lru.clear()
  }
}
