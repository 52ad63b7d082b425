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
export * from './constants.ts'
export * from './errors.ts'
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
