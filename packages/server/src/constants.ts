/**
 * Every policy constant of the server package, with where it comes from
 * (constants of rules another package owns, such as the address manager's
 * 2-hour time penalty or MAX_ADDR_TO_SEND, are imported from that package). "Core" is Bitcoin Core (v28–v31 era: `net.cpp`, `net.h`,
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
/**
 * Core ProcessMessage(ADDR): a timestamp from the distant past or the future
 * is replaced by now − 5 days (not to be confused with the address manager's
 * 2-hour ADDR_TIME_PENALTY_SECONDS for gossiped addresses).
 */
export const ADDR_BAD_TIME_AGE_SECONDS = 5 * 24 * 60 * 60
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
/** Bound on addresses the backoff tracker remembers (least recently failed go first). */
export const BACKOFF_MAX_ENTRIES = 4096

// --- outbound connections (Core net.cpp ThreadOpenConnections, ThreadOpenAddedConnections)

/** Core FEELER_INTERVAL: a feeler about every 2 minutes (exponentially distributed). */
export const FEELER_INTERVAL_MS = 2 * 60_000
/** Core: the connection loop sleeps 500 ms per round. */
export const DIAL_ROUND_MS = 500
/** Core: at most 100 address manager candidates per round. */
export const MAX_TRIES_PER_ROUND = 100
/**
 * Core ThreadOpenConnections: an address tried in the last 10 minutes is
 * skipped for the first 30 tries of a round (a rule of the connection loop,
 * apart from addrman's GetChance, which uses the same 10 minutes).
 */
export const RECENT_TRY_SKIP_MS = 10 * 60_000
/** ... for the first 30 tries. */
export const RECENT_TRY_SKIP_TRIES = 30
/** Connect timeout of outbound dials (Core DEFAULT_CONNECT_TIMEOUT: 5 s). */
export const CONNECT_TIMEOUT_MS = 5_000
/** Core: address-fetch (seednode) connections end after 5 minutes anyway. */
export const ADDR_FETCH_TIMEOUT_MS = 5 * 60_000

// --- seeding (Core net.cpp ThreadDNSAddressSeed, ThreadOpenConnections) -----

/**
 * Our seeding rule: a seeding round runs only while the address manager
 * holds fewer than 100 addresses (and we have fewer than 2 full-relay
 * outbound peers). Core has no such size limit: it asks DNS seeds whenever it
 * lacks 2 outbound peers after a wait, and uses its DNSSEEDS_DELAY_PEER_THRESHOLD
 * (1,000 addresses) only to choose that wait (11 s or 5 min).
 */
export const SEED_BELOW_ADDRESSES = 100
/** Core: seeding is not needed once 2 outbound peers are connected (ThreadDNSAddressSeed's nRelevant >= 2). */
export const SEED_ENOUGH_OUTBOUND = 2
/** Bound on one DNS seed lookup, whatever the resolver does. */
export const DNS_TIMEOUT_MS = 10_000
/** After a seeding round, wait this long before the next one (no spinning offline). */
export const SEED_RETRY_MS = 60_000
/** Core: with DNS seeds configured, the fixed seeds are used after 60 s without addresses. */
export const FIXED_SEEDS_DELAY_MS = 60_000
/** Core: at most 32 addresses are taken from one DNS seed. */
export const MAX_DNS_SEED_ADDRESSES = 32
/** Core: a DNS seed's addresses get a random age of 3 to 7 days (base, in seconds) ... */
export const DNS_SEED_AGE_MIN_SECONDS = 3 * 86_400
/** ... plus up to 4 days. */
export const DNS_SEED_AGE_SPREAD_SECONDS = 4 * 86_400
/** Core: fixed seeds are added with an age of one week. */
export const FIXED_SEED_AGE_SECONDS = 7 * 86_400

// --- anchors (Core net.cpp ReadAnchors / DumpAnchors, addrdb.cpp) -----------

/** Core ANCHORS_DATABASE_FILENAME (ours is JSON). */
export const ANCHORS_FILE = 'anchors.json'
/** Core MAX_BLOCK_RELAY_ONLY_ANCHORS. */
export const MAX_ANCHORS = 2

// --- stale tip and extra outbound peers (Core net_processing.cpp) ------------

/** Core STALE_CHECK_INTERVAL: the tip is checked every 10 minutes. */
export const STALE_TIP_CHECK_MS = 10 * 60_000
/** Core: the tip is stale when no new block arrived for 30 minutes (TipMayBeStale). */
export const STALE_TIP_AGE_MS = 30 * 60_000
/** Core EXTRA_PEER_CHECK_INTERVAL: how often the extra outbound peer is reconsidered. */
export const EXTRA_PEER_CHECK_MS = 45_000
/** Core MINIMUM_CONNECT_TIME: a peer is not evicted as the extra one before this. */
export const MINIMUM_CONNECT_TIME_MS = 30_000

// --- peers and shutdown -------------------------------------------------------

/** Core AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL: our address is re-advertised daily. */
export const LOCAL_ADDRESS_BROADCAST_MS = 24 * 60 * 60_000
/** Stop: how long peers get to close before their sockets are destroyed. */
export const PEER_CLOSE_DEADLINE_MS = 1_000
/** Stop: the bound on each policy module's stop. */
export const POLICY_STOP_DEADLINE_MS = 1_000
/** A peer we leave on purpose (a feeler) gets this long to flush its last messages. */
export const FLUSH_DEADLINE_MS = 1_000
/** How often a leaving peer's send buffer is checked. */
export const FLUSH_POLL_MS = 10
/** Block and transaction inventory remembered per peer. */
export const PEER_KNOWN_INVENTORY = 5000
