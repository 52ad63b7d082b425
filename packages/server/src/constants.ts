/**
 * Every policy constant of the server's pure modules, with where it comes
 * from. "Core" is Bitcoin Core (v28–v31 era: `net.cpp`, `net.h`,
 * `net_processing.cpp`, `node/eviction.cpp`, `banman.h`); "btcd" is btcd
 * 0.26 (`connmgr`).
 */

// --- connection slots (Core net.h) ------------------------------------------

/** Core DEFAULT_MAX_PEER_CONNECTIONS: inbound and automatic outbound together. */
export const DEFAULT_MAX_CONNECTIONS = 125
/** Core MAX_OUTBOUND_FULL_RELAY_CONNECTIONS. */
export const MAX_OUTBOUND_FULL_RELAY = 8
/** Core MAX_BLOCK_RELAY_ONLY_CONNECTIONS (these become anchors). */
export const MAX_BLOCK_RELAY_ONLY = 2
/** Core MAX_FEELER_CONNECTIONS. */
export const MAX_FEELER = 1
/** Core MAX_ADDNODE_CONNECTIONS: manual peers, counted apart from the automatic ones. */
export const MAX_ADDNODE = 8
/**
 * Address-fetch (seednode) connections at once. Core has no separate limit:
 * they share the automatic-outbound semaphore; one at a time is what its
 * ThreadOpenConnections loop achieves in practice.
 */
export const MAX_ADDR_FETCH = 1

// --- inbound admission (btcd internal/inbound) -----------------------------

/** Handshakes in progress from one IPv4 /24 or one IPv6 /64. */
export const MAX_PENDING_HANDSHAKES_PER_PREFIX = 8
/** IPv4 prefix length that counts as one source. */
export const HANDSHAKE_PREFIX_V4 = 24
/** IPv6 prefix length that counts as one source. */
export const HANDSHAKE_PREFIX_V6 = 64
/** Bound on handshakes in progress in total (the limiter's map never grows past this). */
export const MAX_PENDING_HANDSHAKES = 1024

// --- inbound eviction (Core node/eviction.cpp SelectNodeToEvict) ----------

/** Core: peers protected by (keyed) network group. */
export const EVICTION_PROTECT_NETGROUP = 4
/** Core: peers protected by lowest minimum ping. */
export const EVICTION_PROTECT_PING = 8
/** Core: peers protected by most recent novel transaction. */
export const EVICTION_PROTECT_TX = 4
/** Core: non-tx-relay peers (with relevant services) protected by most recent novel block. */
export const EVICTION_PROTECT_BLOCK_RELAY_ONLY = 8
/** Core: peers protected by most recent novel block. */
export const EVICTION_PROTECT_BLOCK = 4

// --- bans and discouragement (Core banman.h, net_processing.cpp) ------------

/** Core DEFAULT_MISBEHAVING_BANTIME (`-bantime`): 24 h; btcd's default ban is also 24 h. */
export const DEFAULT_BAN_TIME_MS = 24 * 60 * 60 * 1000
/** Core: the discouragement filter is a rolling bloom filter of 50,000 entries. */
export const DISCOURAGED_MAX = 50_000
/** Bound on manual bans (Core has none; ours refuses more with a typed error). */
export const MAX_BANS = 100_000
/** Core BANMAN_JSON file name in the data directory. */
export const BANLIST_FILE = 'banlist.json'
/** Core CBanEntry::CURRENT_VERSION. */
export const BAN_ENTRY_VERSION = 1
/** Core banlist.json: the top-level key of the array of bans. */
export const BANLIST_JSON_KEY = 'banned_nets'

// --- address relay (Core net_processing.cpp) -------------------------------

/** Core MAX_ADDR_RATE_PER_SECOND: tokens added per second. */
export const MAX_ADDR_RATE_PER_SECOND = 0.1
/** Core MAX_ADDR_PROCESSING_TOKEN_BUCKET: the refill stops here. */
export const MAX_ADDR_PROCESSING_TOKEN_BUCKET = 1000
/** Core: a new peer's bucket starts with one token. */
export const ADDR_TOKEN_BUCKET_START = 1
/** Core: tokens granted when we send `getaddr` (MAX_ADDR_TO_SEND), even past the cap. */
export const GETADDR_TOKEN_GRANT = 1000
/** Core: a reply shorter than MAX_ADDR_TO_SEND (1,000) ends our outstanding `getaddr`. */
export const GETADDR_REPLY_FULL = 1000
/** Core: timestamps at or below this (1973-03-03) are replaced. */
export const ADDR_TIME_FLOOR = 100_000_000
/** Core: timestamps more than 10 minutes ahead are replaced. */
export const ADDR_TIME_FUTURE_SECONDS = 10 * 60
/** Core: a replaced timestamp becomes now − 5 days. */
export const ADDR_TIME_PENALTY_SECONDS = 5 * 24 * 60 * 60
/** Core: only addresses younger than 10 minutes are relayed. */
export const ADDR_RELAY_FRESH_SECONDS = 10 * 60
/** Core: only addresses in messages of at most 10 entries are relayed. */
export const ADDR_RELAY_MAX_MESSAGE = 10
/** Core: each relayed address goes to 2 peers (1 or 2 when its network is unreachable). */
export const ADDR_RELAY_TARGETS = 2
/** Core ROTATE_ADDR_RELAY_DEST_INTERVAL: the relay targets of an address rotate daily. */
export const ADDR_RELAY_ROTATE_SECONDS = 24 * 60 * 60
/** Core RANDOMIZER_ID_ADDRESS_RELAY: SHA256("main address relay")[0:8]. */
export const RANDOMIZER_ID_ADDRESS_RELAY = 0x3cac0035b5866b90n
/** Core RANDOMIZER_ID_NETGROUP: SHA256("netgroup")[0:8]. */
export const RANDOMIZER_ID_NETGROUP = 0x6c0edd8036ef4036n
/** Core: a getaddr response cache lives 21 h ... */
export const ADDR_CACHE_LIFETIME_MS = 21 * 60 * 60 * 1000
/** ... plus a random 0–6 h. */
export const ADDR_CACHE_JITTER_MS = 6 * 60 * 60 * 1000
/** Bound on cached getaddr responses (one per network and local socket). */
export const ADDR_CACHE_MAX_ENTRIES = 64

// --- retry backoff (btcd connmgr, Core net.cpp) -----------------------------

/** btcd connmgr defaultRetryDuration: each failure adds 5 s to the wait. */
export const RETRY_STEP_MS = 5_000
/** btcd connmgr maxRetryDuration: the wait never exceeds 5 min. */
export const RETRY_MAX_MS = 5 * 60 * 1000
/** btcd connmgr maxFailedAttempts: after 25 failures in a row, new dials wait one step. */
export const MAX_FAILED_ATTEMPTS = 25
/** Bound on addresses the backoff tracker remembers (least recently failed go first). */
export const BACKOFF_MAX_ENTRIES = 4096
