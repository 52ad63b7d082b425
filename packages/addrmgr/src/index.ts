/**
 * @node/addrmgr: Bitcoin Core's address manager in TypeScript.
 *
 * Addresses of every network (IPv4, IPv6, Tor v3, I2P, CJDNS), Core's
 * routability rules and network groups (with optional asmap), and an
 * address manager with Core's new/tried tables, keyed bucket placement,
 * selection odds, test-before-evict collisions and peers.dat persistence.
 *
 * @example
 * ```ts
 * import { AddrMan, NetAddress, parseService } from '@node/addrmgr'
 *
 * const addrman = new AddrMan()
 * const source = NetAddress.parse('203.0.114.7')
 * const { addr, port } = parseService('8.8.8.8:8333', 8333)
 * addrman.add([{ addr, port, services: 1n, time: Math.floor(Date.now() / 1000) }], source)
 * const picked = addrman.select()
 * ```
 */

export type { AddressPosition, AddressQuality, KnownAddress } from './addrinfo.ts'
export { getChance, isTerrible } from './addrinfo.ts'
export type { AddrManComponents, AddrManCounts, AddrManInit, SelectOptions } from './addrman.ts'
export { AddrMan, DETERMINISTIC_KEY, newBiasForOutbound } from './addrman.ts'
export type { AsmapEntry } from './asmap.ts'
export { Asmap, asmapChecksum, buildAsmap, interpretAsmap, sanityCheckAsmap } from './asmap.ts'
export { decodeBase32, encodeBase32 } from './base32.ts'
export {
  ADDR_CJDNS_SIZE,
  ADDR_I2P_SIZE,
  ADDR_INTERNAL_SIZE,
  ADDR_IPV4_SIZE,
  ADDR_IPV6_SIZE,
  ADDR_TIME_PENALTY_SECONDS,
  ADDR_TORV2_SIZE,
  ADDR_TORV3_SIZE,
  type AddressNet,
  BAD_PORTS,
  BUCKET_COUNT_XOR,
  BUCKET_SIZE,
  CHANCE_MAX_ATTEMPTS,
  CHANCE_PER_ATTEMPT,
  CJDNS_PREFIX,
  COLLISION_TEST_GRACE_SECONDS,
  CONNECTED_UPDATE_SECONDS,
  DESPERATE_TRIES,
  DISK_VERSION_ADDRV2,
  DISK_VERSION_IGNORE_MASK,
  DISK_VERSION_INIT,
  DUMP_INTERVAL_MS,
  FUTURE_TOLERANCE_SECONDS,
  HORIZON_SECONDS,
  INCOMPATIBILITY_BASE,
  INTERNAL_IN_IPV6_PREFIX,
  IPV4_IN_IPV6_PREFIX,
  isBadPort,
  LEGACY_TORV2,
  MAINNET_MAGIC,
  MAX_ADDR_TO_SEND,
  MAX_ADDRV2_SIZE,
  MAX_FAILURES,
  MAX_PCT_ADDR_TO_SEND,
  MIN_FAIL_SECONDS,
  NETWORK_NAMES,
  NEW_BUCKET_COUNT,
  NEW_BUCKETS_PER_ADDRESS,
  NEW_BUCKETS_PER_SOURCE_GROUP,
  Network,
  NODE_NETWORK,
  OFFLINE_UPDATE_SECONDS,
  ONLINE_UPDATE_SECONDS,
  PEERS_FILE_FORMAT,
  PEERS_FILE_NAME,
  RECENT_TRY_SECONDS,
  REPLACEMENT_SECONDS,
  RETRIES,
  TERRIBLE_GRACE_SECONDS,
  TEST_WINDOW_SECONDS,
  TORV2_IN_IPV6_PREFIX,
  TRIED_BUCKET_COUNT,
  TRIED_BUCKETS_PER_GROUP,
  TRIED_COLLISION_SIZE,
} from './constants.ts'
export {
  ConsistencyError,
  InvalidAddressError,
  InvalidAsmapError,
  PeersFileChecksumError,
  PeersFileCorruptError,
  PeersFileError,
  PeersFileMagicError,
  PeersFileTruncatedError,
  PeersFileVersionError,
  PeersJsonError,
} from './errors.ts'
export { atomicWriteFile } from './file.ts'
export type { AddrManagerComponents, AddrManagerInit, LoadOutcome } from './manager.ts'
export { AddrManager } from './manager.ts'
export type { Bip155Address, HostPort, ParseOptions, PeerAddress, ServiceAddress } from './netaddress.ts'
export {
  formatService,
  ipv6ToString,
  NetAddress,
  parseService,
  serviceKey,
  splitHostPort,
} from './netaddress.ts'
export type { NetGroupOptions } from './netgroup.ts'
export { NetGroupManager } from './netgroup.ts'
export type { ImportReport, LoadReport } from './peers-dat.ts'
export { deserializePeersDat, importBtcdPeers, serializePeersDat } from './peers-dat.ts'
export type { RandomSource } from './random.ts'
export { FastRandom } from './random.ts'
export { Reader, readDiskAddress, Writer, writeDiskAddress } from './serialize.ts'
export { SubNet } from './subnet.ts'
