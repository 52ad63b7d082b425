/**
 * Every protocol constant of the address manager, with where it comes from.
 * "Core" is Bitcoin Core's `addrman.cpp` / `addrman_impl.h` / `netaddress.h`
 * (v28–v31 era).
 */

// --- tables (Core addrman_impl.h) -------------------------------------------

/** Core ADDRMAN_NEW_BUCKET_COUNT (1 << 10). */
export const NEW_BUCKET_COUNT = 1024
/** Core ADDRMAN_TRIED_BUCKET_COUNT (1 << 8). btcd uses 64 × 256 instead. */
export const TRIED_BUCKET_COUNT = 256
/** Core ADDRMAN_BUCKET_SIZE (1 << 6): slots per bucket, both tables. */
export const BUCKET_SIZE = 64
/** Core ADDRMAN_TRIED_BUCKETS_PER_GROUP: tried buckets one address group spreads over. */
export const TRIED_BUCKETS_PER_GROUP = 8
/** Core ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP: new buckets one source group spreads over. */
export const NEW_BUCKETS_PER_SOURCE_GROUP = 64
/** Core ADDRMAN_NEW_BUCKETS_PER_ADDRESS: the most new buckets one address may sit in. */
export const NEW_BUCKETS_PER_ADDRESS = 8

// --- quality (Core addrman.cpp) ---------------------------------------------

/** Core ADDRMAN_HORIZON: an address not seen for 30 days is terrible. */
export const HORIZON_SECONDS = 30 * 24 * 3600
/** Core ADDRMAN_RETRIES: failures with no success before an address is terrible. */
export const RETRIES = 3
/** Core ADDRMAN_MAX_FAILURES: successive failures allowed ... */
export const MAX_FAILURES = 10
/** ... within Core ADDRMAN_MIN_FAIL (7 days). */
export const MIN_FAIL_SECONDS = 7 * 24 * 3600
/** Core: an entry tried within the last minute is never terrible. */
export const TERRIBLE_GRACE_SECONDS = 60
/** Core: a timestamp more than 10 minutes in the future is terrible ("flying DeLorean"). */
export const FUTURE_TOLERANCE_SECONDS = 10 * 60
/** Core GetChance: an attempt within 10 minutes multiplies the chance by 0.01. */
export const RECENT_TRY_SECONDS = 10 * 60
/** Core GetChance: each failed attempt multiplies the chance by 0.66 ... */
export const CHANCE_PER_ATTEMPT = 0.66
/** ... counting at most 8 attempts (a floor of about 0.036). */
export const CHANCE_MAX_ATTEMPTS = 8

// --- collisions (Core addrman.cpp) ------------------------------------------

/** Core ADDRMAN_REPLACEMENT: a tried entry that succeeded within 4 h is never evicted. */
export const REPLACEMENT_SECONDS = 4 * 3600
/** Core ADDRMAN_SET_TRIED_COLLISION_SIZE: parked tried-table collisions. */
export const TRIED_COLLISION_SIZE = 10
/** Core ADDRMAN_TEST_WINDOW: after 40 min untested, a collision evicts anyway. */
export const TEST_WINDOW_SECONDS = 40 * 60
/** Core ResolveCollisions: give a test connection at least 60 s to succeed. */
export const COLLISION_TEST_GRACE_SECONDS = 60

// --- updates (Core addrman.cpp, net_processing.cpp) -------------------------

/** Core Connected(): `time` is refreshed only when more than 20 minutes stale. */
export const CONNECTED_UPDATE_SECONDS = 20 * 60
/** Core AddSingle: refresh interval for an address seen within the last 24 h. */
export const ONLINE_UPDATE_SECONDS = 3600
/** Core AddSingle: refresh interval otherwise. */
export const OFFLINE_UPDATE_SECONDS = 24 * 3600
/** Core net_processing: the time penalty for addresses learned from `addr` messages. */
export const ADDR_TIME_PENALTY_SECONDS = 2 * 3600

// --- getaddr (Core net_processing.cpp) --------------------------------------

/** Core MAX_ADDR_TO_SEND: the most addresses one getaddr answer holds. */
export const MAX_ADDR_TO_SEND = 1000
/** Core MAX_PCT_ADDR_TO_SEND: the largest share of the table one answer reveals. */
export const MAX_PCT_ADDR_TO_SEND = 23

// --- selection (Core net.cpp ThreadOpenConnections) -------------------------

/** Core: bad ports are skipped until this many candidates were rejected in a round. */
export const DESPERATE_TRIES = 50

// --- persistence (Core addrman.cpp, addrdb.cpp, net.cpp) --------------------

/** Core FILE_FORMAT = V4_MULTIPORT: the peers.dat format we write. */
export const PEERS_FILE_FORMAT = 4
/** Core INCOMPATIBILITY_BASE: added to `lowest_compatible` in the second byte. */
export const INCOMPATIBILITY_BASE = 32
/** Core: the new-bucket count is stored XOR 2^30 so format-0 readers reject the file. */
export const BUCKET_COUNT_XOR = 1 << 30
/** Core CAddress::DISK_VERSION_INIT: the low bits of a disk CAddress's version. */
export const DISK_VERSION_INIT = 220000
/** Core CAddress::DISK_VERSION_IGNORE_MASK: low 19 bits, ignored on read. */
export const DISK_VERSION_IGNORE_MASK = 0x7ffff
/** Core CAddress::DISK_VERSION_ADDRV2: set when the entry is in BIP155 form. */
export const DISK_VERSION_ADDRV2 = 1 << 29
/** Core DUMP_PEERS_INTERVAL: save every 15 minutes (and on stop). */
export const DUMP_INTERVAL_MS = 15 * 60 * 1000
/** Core's file name in the data directory. */
export const PEERS_FILE_NAME = 'peers.dat'
/** Mainnet message start (Core kernel/chainparams.cpp), the default peers.dat magic. */
export const MAINNET_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xf9, 0xbe, 0xb4, 0xd9)

// --- addresses (Core netaddress.h, BIP155) ----------------------------------

/**
 * Core's `enum Network`: the network class of an address and the first byte
 * of its group. UNROUTABLE is never an address's own network, only a class.
 */
export const Network = {
  UNROUTABLE: 0,
  IPV4: 1,
  IPV6: 2,
  ONION: 3,
  I2P: 4,
  CJDNS: 5,
  INTERNAL: 6,
} as const
export type Network = (typeof Network)[keyof typeof Network]

/**
 * Our own marker for a Tor v2 address read from old data (BIP155 id 3, or
 * OnionCat `fd87:d87e:eb43::/48` in v1 form). Core stopped supporting Tor v2
 * in v22: such addresses decode, are never valid, and are never stored.
 */
export const LEGACY_TORV2 = 7
/** The network an address belongs to (what it is, not how it routes). */
export type AddressNet = Exclude<Network, 0> | typeof LEGACY_TORV2

/** Core GetNetworkName(). */
export const NETWORK_NAMES: Readonly<Record<number, string>> = {
  0: 'not_publicly_routable',
  1: 'ipv4',
  2: 'ipv6',
  3: 'onion',
  4: 'i2p',
  5: 'cjdns',
  6: 'internal',
  7: 'torv2',
}

/** Address sizes in bytes (Core ADDR_*_SIZE). */
export const ADDR_IPV4_SIZE = 4
export const ADDR_IPV6_SIZE = 16
export const ADDR_TORV2_SIZE = 10
export const ADDR_TORV3_SIZE = 32
export const ADDR_I2P_SIZE = 32
export const ADDR_CJDNS_SIZE = 16
export const ADDR_INTERNAL_SIZE = 10
/** BIP155: the largest address any network id may carry. */
export const MAX_ADDRV2_SIZE = 512

/** `::ffff:0:0/96`: IPv4-mapped IPv6, the v1 form of IPv4. */
export const IPV4_IN_IPV6_PREFIX: Readonly<Uint8Array> = Uint8Array.of(
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0xff,
  0xff,
)
/** OnionCat `fd87:d87e:eb43::/48`: Tor v2 inside IPv6 (legacy). */
export const TORV2_IN_IPV6_PREFIX: Readonly<Uint8Array> = Uint8Array.of(0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43)
/** `fd6b:88c0:8724::/48`: 0xfd followed by SHA256("bitcoin")[0:5]; internal names. */
export const INTERNAL_IN_IPV6_PREFIX: Readonly<Uint8Array> = Uint8Array.of(0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24)
/** CJDNS addresses start with this byte (fc00::/8). */
export const CJDNS_PREFIX = 0xfc

// --- ports (Core netbase.cpp IsBadPort, doc/p2p-bad-ports.md) ---------------

/**
 * Ports Core will not connect to (outside a desperate round): ports of
 * well-known services that a node could be tricked into attacking. 85 ports
 * since Core PR #32826 (2025) added 3306, 3389, 5432, 5900 and 27017.
 */
export const BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3306, 3389, 3659, 4045, 5060, 5061, 5432, 5900, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080,
  27017,
])

/** Core IsBadPort(). */
export function isBadPort(port: number): boolean {
  return BAD_PORTS.has(port)
}

/** Core's NODE_NETWORK service bit; btcd v1 peers.json entries default to it. */
export const NODE_NETWORK = 1n
