/**
 * Defaults of the inventory caches, each with its source.
 */

/**
 * Entries of an exact {@link InvCache} by default. btcd keeps 1,000 known
 * inventory items per peer (`maxKnownInventory`); we default higher because
 * the exact cache is meant for block inventory and other low-volume items,
 * where 5,000 is still small (≈ 1 MB per peer at most).
 */
export const DEFAULT_INV_CACHE_MAX = 5_000

/**
 * Upper bound on any exact cache, whatever the caller asks for: above this a
 * rolling filter is the right tool (fixed memory, no per-entry objects).
 */
export const MAX_INV_CACHE_MAX = 1_000_000

/**
 * Core's per-peer known-transaction filter: `m_tx_inventory_known_filter{50000, 0.000001}`
 * (net_processing.cpp). 50,000 is also MAX_INV_SZ, so one full `inv` fits.
 */
export const DEFAULT_ROLLING_ENTRIES = 50_000
export const DEFAULT_ROLLING_FP_RATE = 0.000001

/**
 * Core's per-peer known-address filter: `m_addr_known{5000, 0.001}`
 * (net_processing.cpp). bcoin uses the same numbers.
 */
export const ADDR_KNOWN_ENTRIES = 5_000
export const ADDR_KNOWN_FP_RATE = 0.001

/** Bounds on a rolling filter's size (Core asserts the same range on fpRate). */
export const MAX_ROLLING_ENTRIES = 10_000_000
export const MIN_FP_RATE = 1e-12
export const MAX_FP_RATE = 0.5

/**
 * Core's CRollingBloomFilter clamps the number of hash functions to [1, 50].
 * We derive all positions from two keyed MurmurHash3 values (Kirsch and
 * Mitzenmacher's double hashing), so k costs additions, not extra hashing.
 */
export const MAX_HASH_FUNCS = 50

/** Core's per-hash seed multiplier (`nHashNum * 0xFBA4C795 + nTweak`, bloom.cpp). */
export const SEED_MULTIPLIER = 0xfba4c795
