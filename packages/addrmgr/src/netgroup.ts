/**
 * Network groups (Core netgroup.cpp `NetGroupManager::GetGroup`): the byte string
 * that says which addresses an attacker could plausibly control together.
 * The address manager hashes groups, never raw addresses, into buckets, so
 * one group can only ever reach a bounded number of buckets.
 *
 * 1. local or unroutable → `{0}`;
 * 2. internal → `{6, its 10 bytes}`;
 * 3. IPv4, or IPv6 that embeds one (6to4, Teredo, NAT64, RFC 6145) → `{1, a, b}`;
 * 4. Tor and I2P → `{net, first byte | 0x0f}` (4 bits);
 * 5. CJDNS → `{5, 0xfc, second byte | 0x0f}` (12 bits);
 * 6. he.net `2001:470::/36` → 36 bits; other IPv6 → /32.
 *
 * With an asmap, IPv4 and IPv6 addresses whose AS is known group as
 * `{2, asn as u32 LE}`, so both families in one AS share a group.
 */
import { Asmap } from './asmap.ts'
import { Network } from './constants.ts'
import type { NetAddress } from './netaddress.ts'

export interface NetGroupOptions {
  /** Core's asmap file contents (`-asmap`); omitted or empty for none. */
  asmap?: Uint8Array | undefined
  /**
   * TEST ONLY. Treat loopback and private ranges (127/8, ::1, RFC 1918,
   * RFC 6598, link-local, fc00::/7) as routable, each address and port its
   * own group, so several nodes on 127.0.0.1 can find each other through the
   * address manager. Never enable this on a real network.
   */
  localRoutable?: boolean | undefined
}

const ZERO32 = new Uint8Array(32)

export class NetGroupManager {
  readonly asmap: Asmap | undefined
  readonly localRoutable: boolean

  constructor(options: NetGroupOptions = {}) {
    this.asmap = options.asmap && options.asmap.length > 0 ? new Asmap(options.asmap) : undefined
    this.localRoutable = options.localRoutable === true
  }

  /** Core GetAsmapChecksum(): 32 zero bytes without an asmap. */
  get asmapChecksum(): Uint8Array {
    return this.asmap ? this.asmap.checksum : ZERO32
  }

  /** True for an address the test-only local switch lets through. */
  #isLocalAllowed(addr: NetAddress): boolean {
    return this.localRoutable && addr.isValid() && addr.isLocalRange()
  }

  /** Core IsRoutable(), widened by the test-only local switch. */
  isRoutable(addr: NetAddress): boolean {
    return addr.isRoutable() || this.#isLocalAllowed(addr)
  }

  /** Core GetNetwork() under this manager's routability rule. */
  getNetwork(addr: NetAddress): Network {
    if (this.#isLocalAllowed(addr)) return addr.net as Network
    return addr.getNetwork()
  }

  /** Core GetNetClass() under this manager's routability rule. */
  getNetClass(addr: NetAddress): Network {
    if (this.#isLocalAllowed(addr)) return addr.net as Network
    return addr.getNetClass()
  }

  /**
   * Core GetMappedAS(): the AS number of an IPv4/IPv6 address (linked IPv4
   * looked up as IPv4), or 0 without an asmap or for other networks.
   */
  getMappedAS(addr: NetAddress): number {
    if (!this.asmap) return 0
    const netClass = addr.getNetClass()
    if (netClass !== Network.IPV4 && netClass !== Network.IPV6) return 0
    let ip16: Uint8Array
    if (addr.hasLinkedIPv4()) {
      const v4 = addr.linkedIPv4()
      ip16 = new Uint8Array(16)
      ip16[10] = 0xff
      ip16[11] = 0xff
      ip16[12] = v4 >>> 24
      ip16[13] = (v4 >>> 16) & 0xff
      ip16[14] = (v4 >>> 8) & 0xff
      ip16[15] = v4 & 0xff
    } else {
      ip16 = addr.bytes
    }
    return this.asmap.lookup(ip16)
  }

  /**
   * Core GetGroup(). `port` only matters under the test-only local switch,
   * where each address and port forms its own group.
   */
  getGroup(addr: NetAddress, port?: number): Uint8Array {
    const asn = this.getMappedAS(addr)
    if (asn !== 0) {
      return Uint8Array.of(Network.IPV6, asn & 0xff, (asn >>> 8) & 0xff, (asn >>> 16) & 0xff, asn >>> 24)
    }
    if (this.#isLocalAllowed(addr)) {
      const out = new Uint8Array(1 + addr.bytes.length + (port === undefined ? 0 : 2))
      out[0] = addr.net
      out.set(addr.bytes, 1)
      if (port !== undefined) {
        out[out.length - 2] = port >>> 8
        out[out.length - 1] = port & 0xff
      }
      return out
    }
    const netClass = addr.getNetClass()
    if (addr.isLocal()) return Uint8Array.of(netClass)
    if (addr.isInternal()) return Uint8Array.of(Network.INTERNAL, ...addr.bytes)
    if (!addr.isRoutable()) return Uint8Array.of(netClass)
    if (addr.hasLinkedIPv4()) {
      const v4 = addr.linkedIPv4()
      return Uint8Array.of(Network.IPV4, v4 >>> 24, (v4 >>> 16) & 0xff)
    }
    let nbits: number
    if (addr.isTor() || addr.isI2P()) nbits = 4
    else if (addr.isCJDNS()) nbits = 12
    else if (addr.isHeNet()) nbits = 36
    else nbits = 32
    const bytes = addr.addrBytes()
    const whole = nbits >>> 3
    const rest = nbits & 7
    const out = new Uint8Array(1 + whole + (rest > 0 ? 1 : 0))
    out[0] = netClass
    for (let i = 0; i < whole; i++) out[1 + i] = bytes[i]!
    if (rest > 0) out[1 + whole] = bytes[whole]! | ((1 << (8 - rest)) - 1)
    return out
  }
}
