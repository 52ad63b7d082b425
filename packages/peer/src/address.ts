/**
 * Small address helpers: socket addresses as the 16 bytes a `version`
 * carries, keys for the known-address filter, and user agents made safe to
 * log and display.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { type AddrEntry, type AddrV2Entry, NetworkId } from '@node/wire'

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]

function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map((p) => Number(p) & 0xff)
}

/**
 * A textual IP address as 16 bytes (IPv4 as `::ffff:a.b.c.d`), or 16 zero
 * bytes for anything else (a host name), as Core sends for unknown addresses.
 */
export function ipTo16(ip: string | undefined): Uint8Array {
  const out = new Uint8Array(16)
  if (!ip) return out
  if (isIPv4(ip)) {
    out.set([...IPV4_MAPPED_PREFIX, ...ipv4Bytes(ip)])
    return out
  }
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip
  const zoneless = bare.split('%')[0] ?? ''
  if (!isIPv6(zoneless)) return out
  let text = zoneless
  // An embedded IPv4 tail (e.g. ::ffff:1.2.3.4) becomes two hex groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (tail?.[1]) {
    const b = ipv4Bytes(tail[1])
    text = `${text.slice(0, -tail[1].length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined]
  const left = head ? head.split(':') : []
  const right = rest ? rest.split(':') : []
  const groups =
    rest === undefined
      ? left
      : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right]
  for (let i = 0; i < 8; i++) {
    const g = Number.parseInt(groups[i] ?? '0', 16)
    out[2 * i] = g >> 8
    out[2 * i + 1] = g & 0xff
  }
  return out
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
