/**
 * Small address helpers: socket addresses as the 16 bytes a `version`
 * carries, keys for the known-address filter, and user agents made safe to
 * log and display.
 */
import { NetAddress } from '@node/addrmgr'
import { type AddrEntry, type AddrV2Entry, NetworkId } from '@node/wire'

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]

/**
 * A socket's textual IP address as the 16 bytes a `version` carries (IPv4 as
 * `::ffff:a.b.c.d`), parsed by `@node/addrmgr` (Core LookupHost); 16 zero
 * bytes for anything else (a host name), as Core sends for unknown addresses.
 * An IPv6 zone (`fe80::1%eth0`) is not part of the address.
 */
export function ipTo16(ip: string | undefined): Uint8Array {
  const a = ip === undefined ? undefined : NetAddress.tryParse(ip.split('%')[0]!)
  return a && (a.isIPv4() || a.isIPv6()) ? a.toV1() : new Uint8Array(16)
}

/** True for `::ffff:a.b.c.d`. */
export function isIPv4Mapped(ip: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (ip[i] !== IPV4_MAPPED_PREFIX[i]) return false
  return true
}

/**
 * Known-address filter key: BIP155 network id ‖ address bytes ‖ port (BE),
 * so an address is the same key whether it came in `addr` or `addrv2`.
 */
export function addrKey(networkId: number, addr: Uint8Array, port: number): Uint8Array {
  const out = new Uint8Array(1 + addr.length + 2)
  out[0] = networkId
  out.set(addr, 1)
  out[1 + addr.length] = port >> 8
  out[2 + addr.length] = port & 0xff
  return out
}

/** A v1 `addr` entry in BIP155 form (IPv4-mapped becomes IPv4). */
export function addrToV2(a: AddrEntry): AddrV2Entry {
  if (isIPv4Mapped(a.ip)) {
    return {
      time: a.time,
      services: a.services,
      networkId: NetworkId.IPV4,
      addr: a.ip.slice(12),
      port: a.port,
    }
  }
  return { time: a.time, services: a.services, networkId: NetworkId.IPV6, addr: a.ip, port: a.port }
}

/** A BIP155 entry in v1 form, or undefined if v1 cannot carry it (Tor v3, I2P, CJDNS). */
export function addrToV1(a: AddrV2Entry): AddrEntry | undefined {
  if (a.networkId === NetworkId.IPV4 && a.addr.length === 4) {
    const ip = new Uint8Array(16)
    ip.set(IPV4_MAPPED_PREFIX)
    ip.set(a.addr, 12)
    return { time: a.time, services: a.services, ip, port: a.port }
  }
  if (a.networkId === NetworkId.IPV6 && a.addr.length === 16) {
    return { time: a.time, services: a.services, ip: a.addr, port: a.port }
  }
  return undefined
}

// Core SAFE_CHARS_DEFAULT (util/strencodings.cpp), used by SanitizeString for subversions.
const SAFE = /[^a-zA-Z0-9 .,;\-_/:?@()]/g

/** The user agent with every character outside Core's safe set removed (Core SanitizeString). */
export function sanitizeUserAgent(ua: string): string {
  return ua.replace(SAFE, '')
}
