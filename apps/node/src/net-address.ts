/**
 * Host/port and subnet syntax used by the options: `host[:port]`,
 * `[v6]:port`, and subnets as `ip`, `ip/bits` or `ip/netmask`, as Core's
 * `SplitHostPort` and `LookupSubNet` accept them.
 */
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

export interface Endpoint {
  readonly host: string
  readonly port: number
}

/** A subnet in canonical form: `address` is the network address. */
export interface Subnet {
  readonly family: 4 | 6
  readonly address: string
  readonly prefix: number
}

/**
 * Split `host[:port]`. A bracketed IPv6 host may carry a port; an unbracketed
 * string with more than one colon is an IPv6 host without one. Returns `null`
 * when the port is present but not a number in 0..65535 or the host is empty.
 */
export function splitHostPort(input: string, defaultPort: number): Endpoint | null {
  let host = input
  let port = defaultPort
  if (input.startsWith('[')) {
    const close = input.indexOf(']')
    if (close === -1) return null
    host = input.slice(1, close)
    const rest = input.slice(close + 1)
    if (rest !== '') {
      if (!rest.startsWith(':')) return null
      const p = parsePort(rest.slice(1))
      if (p === null) return null
      port = p
    }
    if (isIP(host) !== 6) return null
  } else {
    const colons = input.split(':').length - 1
    if (colons === 1) {
      const i = input.indexOf(':')
      host = input.slice(0, i)
      const p = parsePort(input.slice(i + 1))
      if (p === null) return null
      port = p
    }
  }
  if (host === '' || /\s/.test(host)) return null
  return { host, port }
}

function parsePort(s: string): number | null {
  if (!/^\d{1,5}$/.test(s)) return null
  const n = Number(s)
  return n <= 65535 ? n : null
}

/** Parse `ip`, `ip/bits` or `ip/netmask` into a subnet; `null` if malformed. */
export function parseSubnet(input: string): Subnet | null {
  const slash = input.indexOf('/')
  const ipPart = slash === -1 ? input : input.slice(0, slash)
  if (!ipaddr.isValid(ipPart) || isIP(ipPart) === 0) return null
  let addr = ipaddr.parse(ipPart)
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address()
  }
  const bitsMax = addr.kind() === 'ipv4' ? 32 : 128
  let prefix = bitsMax
  if (slash !== -1) {
    const m = input.slice(slash + 1)
    if (/^\d{1,3}$/.test(m)) {
      prefix = Number(m)
      if (prefix > bitsMax) return null
    } else {
      if (!ipaddr.isValid(m)) return null
      const mask = ipaddr.parse(m)
      if (mask.kind() !== addr.kind()) return null
      const len = mask.prefixLengthFromSubnetMask()
      if (len === null) return null
      prefix = len
    }
  }
  const bytes = addr.toByteArray()
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8))
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff)
  }
  const net = ipaddr.fromByteArray(bytes)
  return {
    family: net.kind() === 'ipv4' ? 4 : 6,
    address: net.kind() === 'ipv4' ? net.toString() : (net as ipaddr.IPv6).toRFC5952String(),
    prefix,
  }
}

/** Canonical text of a subnet, e.g. `10.0.0.0/8`. */
export function formatSubnet(s: Subnet): string {
  return `${s.address}/${s.prefix}`
}

/** Whether `ip` (as a socket reports it, IPv4-mapped IPv6 included) is in `subnet`. */
export function subnetContains(subnet: Subnet, ip: string): boolean {
  const zone = ip.indexOf('%')
  const bare = zone === -1 ? ip : ip.slice(0, zone)
  if (!ipaddr.isValid(bare)) return false
  let addr = ipaddr.parse(bare)
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address()
  }
  if ((addr.kind() === 'ipv4' ? 4 : 6) !== subnet.family) return false
  return addr.match(ipaddr.parse(subnet.address), subnet.prefix)
}

/** The subnets Core always lets reach RPC: 127.0.0.0/8 and ::1/128. */
export const LOOPBACK_SUBNETS: readonly Subnet[] = Object.freeze([
  Object.freeze({ family: 4, address: '127.0.0.0', prefix: 8 }),
  Object.freeze({ family: 6, address: '::1', prefix: 128 }),
] as const)
