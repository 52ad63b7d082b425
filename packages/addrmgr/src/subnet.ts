/**
 * Subnets as Bitcoin Core models them (netaddress.cpp `CSubNet`) and parses
 * them (netbase.cpp `LookupSubNet`): a single address (`1.2.3.4`,
 * `2001:db8::1`, a `.onion` or `.b32.i2p` name), an IPv4 or IPv6 network
 * with a prefix length (`1.2.3.0/24`, `2001:db8::/32`) or with a netmask
 * (`1.2.0.0/255.255.0.0`). Bans, the noban whitelist, `-rpcallowip` and the
 * per-prefix handshake limits all use this one parser.
 */
import { Network } from './constants.ts'
import { InvalidAddressError } from './errors.ts'
import { NetAddress, type ParseOptions } from './netaddress.ts'

/** Core NetmaskBits: the prefix length of one mask byte, or -1 if it is not a prefix. */
function netmaskBits(b: number): number {
  for (let bits = 0; bits <= 8; bits++) if (b === ((0xff << (8 - bits)) & 0xff)) return bits
  return -1
}

/**
 * A network of addresses (Core `CSubNet`). IPv4 and IPv6 subnets have a
 * prefix length; every other network (Tor, I2P, CJDNS) is a single address.
 * Immutable; build one with {@link SubNet.parse}, {@link SubNet.single} or
 * {@link SubNet.cidr}.
 */
export class SubNet {
  /** The network address, host bits cleared. */
  readonly network: NetAddress
  /** Prefix length in bits for IPv4 and IPv6; the address's full length in bits otherwise. */
  readonly prefix: number
  #text: string | undefined

  private constructor(network: NetAddress, prefix: number) {
    this.network = network
    this.prefix = prefix
  }

  /**
   * Core CSubNet(addr, mask): an IPv4 or IPv6 network of `prefix` bits (at
   * most 32 or 128). Undefined for another network or a prefix out of range.
   */
  static cidr(addr: NetAddress, prefix: number): SubNet | undefined {
    if (!(addr.isIPv4() || addr.isIPv6())) return undefined
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > addr.bytes.length * 8) return undefined
    const bytes = addr.bytes.slice()
    for (let i = 0; i < bytes.length; i++) {
      const keep = Math.max(0, Math.min(8, prefix - i * 8))
      bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff)
    }
    return new SubNet(new NetAddress(addr.net, bytes), prefix)
  }

  /**
   * Core CSubNet(addr): the single address (`/32`, `/128`, or the name).
   * Undefined for internal addresses, which never name a host.
   */
  static single(addr: NetAddress): SubNet | undefined {
    if (addr.isInternal() || addr.isLegacyTorV2()) return undefined
    return new SubNet(addr, addr.bytes.length * 8)
  }

  /**
   * Core LookupSubNet without DNS: `addr`, `addr/bits` or `addr/netmask`,
   * where the netmask must be a prefix (`255.255.0.0`, not `255.0.255.0`)
   * of the same family. As in Core, the address is read as LookupHost reads
   * it, so `::ffff:1.2.3.0` is IPv4 and takes a prefix of at most 32.
   * Throws InvalidAddressError.
   */
  static parse(text: string, options?: ParseOptions): SubNet {
    if (text.includes('\0')) throw new InvalidAddressError(text, 'it contains a NUL character')
    const slash = text.lastIndexOf('/')
    const addrText = slash === -1 ? text : text.slice(0, slash)
    const addr = NetAddress.tryParse(addrText, options)
    if (!addr)
      throw new InvalidAddressError(text, 'not a numeric IPv4 or IPv6 address, .onion or .b32.i2p name')
    if (slash === -1) {
      const s = SubNet.single(addr)
      if (!s) throw new InvalidAddressError(text, 'not a host address')
      return s
    }
    const maskText = text.slice(slash + 1)
    // Core ParseUInt8: a decimal number 0–255; anything else is tried as a netmask.
    if (/^[0-9]{1,3}$/.test(maskText) && Number(maskText) <= 255) {
      const s = SubNet.cidr(addr, Number(maskText))
      if (!s) throw new InvalidAddressError(text, `the prefix length must be 0–${addr.isIPv4() ? 32 : 128}`)
      return s
    }
    const mask = NetAddress.tryParse(maskText)
    if (!mask)
      throw new InvalidAddressError(text, 'the part after "/" is neither a prefix length nor a netmask')
    if (mask.net !== addr.net || !(addr.isIPv4() || addr.isIPv6())) {
      throw new InvalidAddressError(text, 'the netmask is not of the address family')
    }
    // Core: a netmask with 1-bits after 0-bits is invalid.
    let prefix = 0
    let zeros = false
    for (const b of mask.bytes) {
      const bits = netmaskBits(b)
      if (bits === -1 || (zeros && bits !== 0))
        throw new InvalidAddressError(text, 'the netmask is not a prefix')
      if (bits < 8) zeros = true
      prefix += bits
    }
    return SubNet.cidr(addr, prefix)!
  }

  /** Like {@link SubNet.parse}, but undefined instead of throwing. */
  static tryParse(text: string, options?: ParseOptions): SubNet | undefined {
    try {
      return SubNet.parse(text, options)
    } catch {
      return undefined
    }
  }

  /** A single address, not a range. */
  isSingle(): boolean {
    return this.prefix === this.network.bytes.length * 8
  }

  /**
   * Core CSubNet::Match: `addr` is in this subnet. Addresses of another
   * network never match (an IPv4-mapped IPv6 address parses as IPv4, so it
   * matches IPv4 subnets), nor do invalid ones (`0.0.0.0`, `::`).
   */
  match(addr: NetAddress): boolean {
    if (addr.net !== this.network.net || !addr.isValid()) return false
    if (!(addr.isIPv4() || addr.isIPv6())) return addr.equals(this.network)
    const a = addr.bytes
    const n = this.network.bytes
    const full = this.prefix >>> 3
    for (let i = 0; i < full; i++) if (a[i] !== n[i]) return false
    const rest = this.prefix & 7
    if (rest === 0) return true
    const m = (0xff << (8 - rest)) & 0xff
    return (a[full]! & m) === n[full]
  }

  /** Core CSubNet::ToString: `1.2.3.0/24`, `2001:db8::/32`, `1.2.3.4/32`; names without a suffix. */
  toString(): string {
    if (this.#text === undefined) {
      const ip = this.network.net === Network.IPV4 || this.network.net === Network.IPV6
      this.#text = ip ? `${this.network.toString()}/${this.prefix}` : this.network.toString()
    }
    return this.#text
  }

  equals(other: SubNet): boolean {
    return this.prefix === other.prefix && this.network.equals(other.network)
  }
}
