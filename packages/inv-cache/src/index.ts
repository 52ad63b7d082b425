/**
 * @node/inv-cache: bounded per-peer memory of the inventory (and addresses)
 * a peer is known to have, so relay never sends an item back to its source
 * or twice to the same peer.
 *
 * - {@link InvCache}: exact, an LRU on `lru-cache` keyed by `type:hash` with
 *   the witness flag normalised (never by object identity, btcd's bug).
 * - {@link RollingInvFilter}: Core's rolling bloom filter for the
 *   high-volume transaction case: fixed memory (≈ 540 KB for 50,000 entries
 *   at a 10⁻⁶ false-positive rate) whatever a peer sends.
 * - {@link RollingBloomFilter}: the same over any bytes (known addresses).
 *
 * @example
 * ```ts
 * import { InvCache, RollingInvFilter } from '@node/inv-cache'
 * import { InvType } from '@node/wire'
 *
 * const blocks = new InvCache({}, { max: 1000 })
 * blocks.add({ type: InvType.WITNESS_BLOCK, hash })
 * blocks.has({ type: InvType.BLOCK, hash }) // true: the witness flag is not part of the key
 *
 * const txs = new RollingInvFilter({}, { entries: 50_000, fpRate: 1e-6 })
 * txs.addMany(announcedByPeer)
 * const toAnnounce = txs.filterUnknown(ourNewTxs) // unknown ones, now marked as known
 * ```
 */
export {
  ADDR_KNOWN_ENTRIES,
  ADDR_KNOWN_FP_RATE,
  DEFAULT_INV_CACHE_MAX,
  DEFAULT_ROLLING_ENTRIES,
  DEFAULT_ROLLING_FP_RATE,
  MAX_FP_RATE,
  MAX_HASH_FUNCS,
  MAX_INV_CACHE_MAX,
  MAX_ROLLING_ENTRIES,
  MIN_FP_RATE,
  SEED_MULTIPLIER,
} from './constants.ts'
export { InvalidCacheOptionError } from './errors.ts'
export {
  type FilterOptions,
  InvCache,
  type InvCacheComponents,
  type InvCacheInit,
  type KnownInventory,
} from './inv-cache.ts'
export { invKey, normalizeInvType } from './key.ts'
export { murmur3 } from './murmur.ts'
export {
  RollingBloomFilter,
  type RollingFilterComponents,
  type RollingFilterInit,
  RollingInvFilter,
  rollingFilterParams,
} from './rolling.ts'
