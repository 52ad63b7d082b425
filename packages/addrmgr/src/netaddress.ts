/**
 * Network addresses as Bitcoin Core models them (`CNetAddr`, `CService`,
 * `CAddress`): IPv4, IPv6, Tor v3, I2P, CJDNS and "internal" names, plus Tor
 * v2 when decoding old data. Parsing from and formatting to the strings users
 * type, BIP155 and v1 (16-byte) encodings, and Core's validity and
 * routability rules (Core netaddress.cpp `CNetAddr::IsValid`, `CNetAddr::IsRoutable`).
 *
 * Nothing here does DNS: only numeric addresses and `.onion` / `.b32.i2p`
 * names parse (Core netbase.cpp LookupHost with fAllowLookup = false).
 * `host:port` text is split once, by {@link splitHostPort} (Core
 * util/strencodings.cpp SplitHostPort); every package that reads an address
 * or a service from text uses this module.
 *
 * Over 600 lines, for a reason: one address type covering every BIP155 network,
 * its parsing, formatting and classification.
 */
import { createHash } from 'node:crypto'
import { BadAddressLengthError } from '@node/wire'
import { decodeBase32, encodeBase32 } from './base32.ts'
import {
  ADDR_CJDNS_SIZE,
  ADDR_I2P_SIZE,
  ADDR_INTERNAL_SIZE,
  ADDR_IPV4_SIZE,
  ADDR_IPV6_SIZE,
  ADDR_TORV2_SIZE,
  ADDR_TORV3_SIZE,
  type AddressNet,
  CJDNS_PREFIX,
  INTERNAL_IN_IPV6_PREFIX,
  IPV4_IN_IPV6_PREFIX,
  LEGACY_TORV2,
  MAX_ADDRV2_SIZE,
  Network,
  TORV2_IN_IPV6_PREFIX,
} from './constants.ts'
import { InvalidAddressError } from './errors.ts'

/** BIP155 network ids (`@node/wire` exports the same table as `NetworkId`). */
const BIP155 = { IPV4: 1, IPV6: 2, TORV2: 3, TORV3: 4, I2P: 5, CJDNS: 6 } as const

const SIZE_BY_NET: Readonly<Record<number, number>> = {
  [Network.IPV4]: ADDR_IPV4_SIZE,
  [Network.IPV6]: ADDR_IPV6_SIZE,
  [Network.ONION]: ADDR_TORV3_SIZE,
  [Network.I2P]: ADDR_I2P_SIZE,
  [Network.CJDNS]: ADDR_CJDNS_SIZE,
  [Network.INTERNAL]: ADDR_INTERNAL_SIZE,
  [LEGACY_TORV2]: ADDR_TORV2_SIZE,
}

function hasPrefix(bytes: Uint8Array, prefix: Readonly<Uint8Array>): boolean {
  if (bytes.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

function allZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false
  return true
}

/** A BIP155 address as `@node/wire` decodes it. */
export interface Bip155Address {
  networkId: number
  addr: Uint8Array
}

export interface ParseOptions {
  /**
   * Read `fc00::/8` as CJDNS rather than IPv6. Core does this only when CJDNS
   * is reachable; as plain IPv6 these addresses are unroutable (RFC 4193).
   */
  cjdns?: boolean | undefined
}

/**
 * An address without a port (Core `CNetAddr`). Immutable; `bytes` is the raw
 * address of its network: 4 bytes for IPv4, 16 for IPv6 and CJDNS, 32 for
 * Tor v3 (the ed25519 key) and I2P (SHA-256 of the destination), 10 for
 * internal names and legacy Tor v2. Do not modify `bytes`.
 */
export class NetAddress {
  readonly net: AddressNet
  readonly bytes: Uint8Array
  /** IPv6 zone index (`fe80::1%3`); not part of the address's identity. */
  readonly scopeId: number
  // The last service key built for this address, and its port (see serviceKey()).
  #serviceKey: string | undefined
  #servicePort = -1
  // Memoized isRoutable(): -1 not computed yet, else 0 or 1 (the address never changes).
  #routable = -1

  constructor(net: AddressNet, bytes: Uint8Array, scopeId = 0) {
    const size = SIZE_BY_NET[net]
    if (size === undefined) throw new TypeError(`Unknown address network ${net}.`)
    if (bytes.length !== size) {
      throw new TypeError(`A network ${net} address has ${size} bytes, not ${bytes.length}.`)
    }
    this.net = net
    this.bytes = bytes
    this.scopeId = scopeId
  }

  /** An IPv4 address from its four octets. */
  static ipv4(a: number, b: number, c: number, d: number): NetAddress {
    return new NetAddress(Network.IPV4, Uint8Array.of(a, b, c, d))
  }

  /** Parse a numeric IPv4/IPv6 address or a `.onion` / `.b32.i2p` name; throws InvalidAddressError. */
  static parse(text: string, options?: ParseOptions): NetAddress {
    return parseAddressOrThrow(text, options)
  }

  /** Like {@link NetAddress.parse}, but returns undefined instead of throwing. */
  static tryParse(text: string, options?: ParseOptions): NetAddress | undefined {
    try {
      return parseAddressOrThrow(text, options)
    } catch {
      return undefined
    }
  }

  /**
   * Decode a BIP155 (addrv2) address. A known network id with the wrong size
   * throws BadAddressLengthError with Core's message; an unknown id returns
   * undefined (Core reads and skips it). Like Core, IPv4-mapped IPv6 under id 2
   * decodes to the invalid `::`, and OnionCat or id 3 decode to an invalid
   * legacy Tor v2 address.
   */
  static fromBip155(networkId: number, addr: Uint8Array): NetAddress | undefined {
    if (addr.length > MAX_ADDRV2_SIZE) {
      throw new BadAddressLengthError(`Address too long: ${addr.length} > ${MAX_ADDRV2_SIZE}`)
    }
    const check = (name: string, size: number): void => {
      if (addr.length !== size) {
        throw new BadAddressLengthError(
          `BIP155 ${name} address with length ${addr.length} (should be ${size})`,
        )
      }
    }
    switch (networkId) {
      case BIP155.IPV4:
        check('IPv4', ADDR_IPV4_SIZE)
        return new NetAddress(Network.IPV4, addr.slice())
      case BIP155.IPV6:
        check('IPv6', ADDR_IPV6_SIZE)
        if (hasPrefix(addr, IPV4_IN_IPV6_PREFIX)) return new NetAddress(Network.IPV6, new Uint8Array(16))
        if (hasPrefix(addr, TORV2_IN_IPV6_PREFIX)) {
          return new NetAddress(LEGACY_TORV2, addr.slice(TORV2_IN_IPV6_PREFIX.length))
        }
        if (hasPrefix(addr, INTERNAL_IN_IPV6_PREFIX)) {
          return new NetAddress(Network.INTERNAL, addr.slice(INTERNAL_IN_IPV6_PREFIX.length))
        }
        return new NetAddress(Network.IPV6, addr.slice())
      case BIP155.TORV2:
        check('TORv2', ADDR_TORV2_SIZE)
        return new NetAddress(LEGACY_TORV2, addr.slice())
      case BIP155.TORV3:
        check('TORv3', ADDR_TORV3_SIZE)
        return new NetAddress(Network.ONION, addr.slice())
      case BIP155.I2P:
        check('I2P', ADDR_I2P_SIZE)
        return new NetAddress(Network.I2P, addr.slice())
      case BIP155.CJDNS:
        check('CJDNS', ADDR_CJDNS_SIZE)
        return new NetAddress(Network.CJDNS, addr.slice())
      default:
        return undefined
    }
  }

  /** {@link NetAddress.fromBip155} for the `{ networkId, addr }` objects `@node/wire` decodes. */
  static fromWire(a: Bip155Address): NetAddress | undefined {
    return NetAddress.fromBip155(a.networkId, a.addr)
  }

  /** Decode the 16-byte v1 form (Core SetLegacyIPv6). */
  static fromV1(bytes: Uint8Array): NetAddress {
    if (bytes.length !== 16) throw new TypeError(`A v1 address has 16 bytes, not ${bytes.length}.`)
    if (hasPrefix(bytes, IPV4_IN_IPV6_PREFIX)) return new NetAddress(Network.IPV4, bytes.slice(12))
    if (hasPrefix(bytes, TORV2_IN_IPV6_PREFIX)) return new NetAddress(LEGACY_TORV2, bytes.slice(6))
    if (hasPrefix(bytes, INTERNAL_IN_IPV6_PREFIX)) return new NetAddress(Network.INTERNAL, bytes.slice(6))
    return new NetAddress(Network.IPV6, bytes.slice())
  }

  /**
   * Core SetInternal(name): a placeholder address standing for a name (Core
   * uses these as the source of DNS-seed results). Never valid or routable.
   */
  static internal(name: string): NetAddress {
    const digest = createHash('sha256').update(name, 'utf8').digest()
    return new NetAddress(Network.INTERNAL, new Uint8Array(digest.subarray(0, ADDR_INTERNAL_SIZE)))
  }

  isIPv4(): boolean {
    return this.net === Network.IPV4
  }
  isIPv6(): boolean {
    return this.net === Network.IPV6
  }
  isTor(): boolean {
    return this.net === Network.ONION
  }
  isI2P(): boolean {
    return this.net === Network.I2P
  }
  isCJDNS(): boolean {
    return this.net === Network.CJDNS
  }
  isInternal(): boolean {
    return this.net === Network.INTERNAL
  }
  isLegacyTorV2(): boolean {
    return this.net === LEGACY_TORV2
  }

  // --- special ranges (Core CNetAddr::IsRFC*) -------------------------------

  /** 10/8, 172.16/12, 192.168/16: private networks. */
  isRFC1918(): boolean {
    const b = this.bytes
    return (
      this.isIPv4() &&
      (b[0] === 10 || (b[0] === 192 && b[1] === 168) || (b[0] === 172 && b[1]! >= 16 && b[1]! <= 31))
    )
  }
  /** 198.18/15: benchmarking. */
  isRFC2544(): boolean {
    return this.isIPv4() && this.bytes[0] === 198 && (this.bytes[1] === 18 || this.bytes[1] === 19)
  }
  /** 169.254/16: IPv4 link-local. */
  isRFC3927(): boolean {
    return this.isIPv4() && this.bytes[0] === 169 && this.bytes[1] === 254
  }
  /** 100.64/10: carrier-grade NAT. */
  isRFC6598(): boolean {
    return this.isIPv4() && this.bytes[0] === 100 && this.bytes[1]! >= 64 && this.bytes[1]! <= 127
  }
  /** 192.0.2/24, 198.51.100/24, 203.0.113/24: documentation. */
  isRFC5737(): boolean {
    const b = this.bytes
    return (
      this.isIPv4() &&
      ((b[0] === 192 && b[1] === 0 && b[2] === 2) ||
        (b[0] === 198 && b[1] === 51 && b[2] === 100) ||
        (b[0] === 203 && b[1] === 0 && b[2] === 113))
    )
  }
  /** 2001:db8::/32: IPv6 documentation. */
  isRFC3849(): boolean {
    const b = this.bytes
    return this.isIPv6() && b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8
  }
  /** 3fff::/20: IPv6 documentation (RFC 9637, Core PR #36199). */
  isRFC9637(): boolean {
    const b = this.bytes
    return this.isIPv6() && b[0] === 0x3f && b[1] === 0xff && (b[2]! & 0xf0) === 0
  }
  /** 2002::/16: 6to4. */
  isRFC3964(): boolean {
    return this.isIPv6() && this.bytes[0] === 0x20 && this.bytes[1] === 0x02
  }
  /** 64:ff9b::/96: NAT64 well-known prefix. */
  isRFC6052(): boolean {
    const b = this.bytes
    if (!this.isIPv6() || b[0] !== 0x00 || b[1] !== 0x64 || b[2] !== 0xff || b[3] !== 0x9b) return false
    for (let i = 4; i < 12; i++) if (b[i] !== 0) return false
    return true
  }
  /** 2001::/32: Teredo. */
  isRFC4380(): boolean {
    const b = this.bytes
    return this.isIPv6() && b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0
  }
  /** fe80::/64: IPv6 link-local. */
  isRFC4862(): boolean {
    const b = this.bytes
    if (!this.isIPv6() || b[0] !== 0xfe || b[1] !== 0x80) return false
    for (let i = 2; i < 8; i++) if (b[i] !== 0) return false
    return true
  }
  /** fc00::/7: unique local (IPv6 only; CJDNS addresses are their own network). */
  isRFC4193(): boolean {
    return this.isIPv6() && (this.bytes[0]! & 0xfe) === 0xfc
  }
  /** ::ffff:0:0:0/96: IPv4-translated (SIIT). */
  isRFC6145(): boolean {
    const b = this.bytes
    if (!this.isIPv6()) return false
    for (let i = 0; i < 8; i++) if (b[i] !== 0) return false
    return b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0
  }
  /** 2001:10::/28: ORCHID. */
  isRFC4843(): boolean {
    const b = this.bytes
    return this.isIPv6() && b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && (b[3]! & 0xf0) === 0x10
  }
  /** 2001:20::/28: ORCHIDv2. */
  isRFC7343(): boolean {
    const b = this.bytes
    return this.isIPv6() && b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && (b[3]! & 0xf0) === 0x20
  }
  /** 2001:470::/36 is he.net; Core groups it by /36 instead of /32. */
  isHeNet(): boolean {
    const b = this.bytes
    return this.isIPv6() && b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x04 && b[3] === 0x70
  }
  /** 240.0.0.0/4: reserved. Not part of Core's routability rule (its tests use 250.x.x.x). */
  isReserved(): boolean {
    return this.isIPv4() && this.bytes[0]! >= 240
  }
  /** 127/8, 0/8 and ::1. */
  isLocal(): boolean {
    const b = this.bytes
    if (this.isIPv4()) return b[0] === 127 || b[0] === 0
    if (this.isIPv6()) {
      for (let i = 0; i < 15; i++) if (b[i] !== 0) return false
      return b[15] === 1
    }
    return false
  }
  /** CJDNS addresses must start with 0xfc. */
  hasCJDNSPrefix(): boolean {
    return this.bytes[0] === CJDNS_PREFIX
  }

  /**
   * Core IsValid(): could refer to a real host. False for `::`, 0.0.0.0,
   * 255.255.255.255, documentation ranges, internal names, CJDNS without its
   * prefix, and legacy Tor v2.
   */
  isValid(): boolean {
    switch (this.net) {
      case LEGACY_TORV2:
      case Network.INTERNAL:
        return false
      case Network.IPV6:
        return !allZero(this.bytes) && !this.isRFC3849() && !this.isRFC9637()
      case Network.CJDNS:
        return this.hasCJDNSPrefix()
      case Network.IPV4: {
        const b = this.bytes
        const any = b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0
        const none = b[0] === 255 && b[1] === 255 && b[2] === 255 && b[3] === 255
        return !any && !none
      }
      case Network.ONION:
      case Network.I2P:
        return true
    }
  }

  /** Core IsRoutable(): valid and publicly routable. Nothing else is ever stored. */
  isRoutable(): boolean {
    if (this.#routable === -1) this.#routable = this.#computeRoutable() ? 1 : 0
    return this.#routable === 1
  }

  #computeRoutable(): boolean {
    return (
      this.isValid() &&
      !(
        this.isRFC1918() ||
        this.isRFC2544() ||
        this.isRFC3927() ||
        this.isRFC4862() ||
        this.isRFC6598() ||
        this.isRFC5737() ||
        this.isRFC4193() ||
        this.isRFC4843() ||
        this.isRFC7343() ||
        this.isLocal()
      )
    )
  }

  /**
   * True for the ranges a test-only "local networks are routable" switch lets
   * through: loopback, RFC 1918, RFC 6598, link-local (RFC 3927 / RFC 4862)
   * and unique-local IPv6 (RFC 4193). 0.0.0.0/8 is not included.
   */
  isLocalRange(): boolean {
    if (this.isIPv4() && this.bytes[0] === 0) return false
    return (
      this.isLocal() ||
      this.isRFC1918() ||
      this.isRFC6598() ||
      this.isRFC3927() ||
      this.isRFC4862() ||
      this.isRFC4193()
    )
  }

  /** Core HasLinkedIPv4(): IPv4, or an IPv6 form that embeds one (6145, 6052, 6to4, Teredo). */
  hasLinkedIPv4(): boolean {
    return (
      this.isRoutable() &&
      (this.isIPv4() || this.isRFC6145() || this.isRFC6052() || this.isRFC3964() || this.isRFC4380())
    )
  }

  /** Core GetLinkedIPv4() as an unsigned 32-bit number; 0 when there is none. */
  linkedIPv4(): number {
    const b = this.bytes
    const be32 = (o: number): number =>
      ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0
    if (this.isIPv4()) return be32(0)
    if (this.isRFC6052() || this.isRFC6145()) return be32(12)
    if (this.isRFC3964()) return be32(2)
    if (this.isRFC4380()) return ~be32(12) >>> 0
    return 0
  }

  /** Core GetNetwork(): INTERNAL, UNROUTABLE, or the address's own network. */
  getNetwork(): Network {
    if (this.net === Network.INTERNAL) return Network.INTERNAL
    if (!this.isRoutable()) return Network.UNROUTABLE
    return this.net as Network
  }

  /** Core GetNetClass(): like getNetwork(), but IPv6 forms that embed IPv4 count as IPv4. */
  getNetClass(): Network {
    if (this.net === Network.INTERNAL) return Network.INTERNAL
    if (!this.isRoutable()) return Network.UNROUTABLE
    if (this.hasLinkedIPv4()) return Network.IPV4
    return this.net as Network
  }

  /** Core IsAddrV1Compatible(): IPv4, IPv6 and internal fit the 16-byte form. */
  isAddrV1Compatible(): boolean {
    return (
      this.net === Network.IPV4 ||
      this.net === Network.IPV6 ||
      this.net === Network.INTERNAL ||
      this.net === LEGACY_TORV2
    )
  }

  /**
   * The 16-byte v1 form. Tor v3, I2P and CJDNS have none and serialize as 16
   * zero bytes, as in Core.
   */
  toV1(): Uint8Array {
    const out = new Uint8Array(16)
    switch (this.net) {
      case Network.IPV4:
        out.set(IPV4_IN_IPV6_PREFIX)
        out.set(this.bytes, 12)
        break
      case Network.IPV6:
        out.set(this.bytes)
        break
      case Network.INTERNAL:
        out.set(INTERNAL_IN_IPV6_PREFIX)
        out.set(this.bytes, 6)
        break
      case LEGACY_TORV2:
        out.set(TORV2_IN_IPV6_PREFIX)
        out.set(this.bytes, 6)
        break
      case Network.ONION:
      case Network.I2P:
      case Network.CJDNS:
        break
    }
    return out
  }

  /** BIP155 form. Internal names travel as IPv6 inside their prefix, as in Core. */
  toBip155(): Bip155Address {
    switch (this.net) {
      case Network.IPV4:
        return { networkId: BIP155.IPV4, addr: this.bytes.slice() }
      case Network.IPV6:
        return { networkId: BIP155.IPV6, addr: this.bytes.slice() }
      case Network.INTERNAL:
        return { networkId: BIP155.IPV6, addr: this.toV1() }
      case Network.ONION:
        return { networkId: BIP155.TORV3, addr: this.bytes.slice() }
      case Network.I2P:
        return { networkId: BIP155.I2P, addr: this.bytes.slice() }
      case Network.CJDNS:
        return { networkId: BIP155.CJDNS, addr: this.bytes.slice() }
      case LEGACY_TORV2:
        return { networkId: BIP155.TORV2, addr: this.bytes.slice() }
    }
  }

  /** Core GetAddrBytes(): the v1 form when there is one, else the raw bytes. */
  addrBytes(): Uint8Array {
    return this.isAddrV1Compatible() ? this.toV1() : this.bytes
  }

  /** Write addrBytes() into `out` at `off` without allocating; returns the length written. */
  writeAddrBytes(out: Uint8Array, off: number): number {
    switch (this.net) {
      case Network.IPV4:
        out.fill(0, off, off + 10)
        out[off + 10] = 0xff
        out[off + 11] = 0xff
        out.set(this.bytes, off + 12)
        return 16
      case Network.IPV6:
        out.set(this.bytes, off)
        return 16
      case Network.INTERNAL:
        out.set(INTERNAL_IN_IPV6_PREFIX, off)
        out.set(this.bytes, off + 6)
        return 16
      case LEGACY_TORV2:
        out.set(TORV2_IN_IPV6_PREFIX, off)
        out.set(this.bytes, off + 6)
        return 16
      case Network.ONION:
      case Network.I2P:
      case Network.CJDNS:
        out.set(this.bytes, off)
        return this.bytes.length
    }
  }

  /** A string that identifies the address (network and bytes), for use as a map key. */
  key(): string {
    return String.fromCharCode(this.net, ...this.bytes)
  }

  /**
   * The map key of this address with a port. The last one built is kept, so
   * looking the same address object up again (add, then good, then attempt)
   * reuses a string whose hash V8 has already computed.
   */
  serviceKey(port: number): string {
    if (this.#servicePort !== port || this.#serviceKey === undefined) {
      this.#serviceKey = String.fromCharCode(this.net, ...this.bytes, port >>> 8, port & 0xff)
      this.#servicePort = port
    }
    return this.#serviceKey
  }

  equals(other: NetAddress): boolean {
    if (this.net !== other.net || this.bytes.length !== other.bytes.length) return false
    for (let i = 0; i < this.bytes.length; i++) if (this.bytes[i] !== other.bytes[i]) return false
    return true
  }

  /** Core ToStringAddr(). */
  toString(): string {
    switch (this.net) {
      case Network.IPV4:
        return this.bytes.join('.')
      case Network.IPV6:
        return ipv6ToString(this.bytes) + (this.scopeId !== 0 ? `%${this.scopeId}` : '')
      case Network.CJDNS:
        return ipv6ToString(this.bytes)
      case Network.ONION:
        return onionToString(this.bytes)
      case Network.I2P:
        return `${encodeBase32(this.bytes, false)}.b32.i2p`
      case Network.INTERNAL:
        return `${encodeBase32(this.bytes)}.internal`
      case LEGACY_TORV2:
        return `${encodeBase32(this.bytes)}.onion`
    }
  }
}

// --- Tor v3 names --------------------------------------------------------------

const ONION_CHECKSUM_PREFIX = new TextEncoder().encode('.onion checksum')
const TORV3_VERSION = 3

function onionChecksum(pubkey: Uint8Array): Uint8Array {
  const h = createHash('sha3-256')
  h.update(ONION_CHECKSUM_PREFIX)
  h.update(pubkey)
  h.update(Uint8Array.of(TORV3_VERSION))
  return new Uint8Array(h.digest().subarray(0, 2))
}

function onionToString(pubkey: Uint8Array): string {
  const full = new Uint8Array(35)
  full.set(pubkey)
  full.set(onionChecksum(pubkey), 32)
  full[34] = TORV3_VERSION
  return `${encodeBase32(full)}.onion`
}

/** Core SetTor(): 56 base32 characters of key ‖ checksum ‖ version, then `.onion`. */
function parseOnion(text: string): NetAddress | undefined {
  if (!text.endsWith('.onion')) return undefined
  const input = decodeBase32(text.slice(0, -6))
  if (input?.length !== 35) return undefined
  if (input[34] !== TORV3_VERSION) return undefined
  const pubkey = input.slice(0, 32)
  const sum = onionChecksum(pubkey)
  if (input[32] !== sum[0] || input[33] !== sum[1]) return undefined
  return new NetAddress(Network.ONION, pubkey)
}

/** Core SetI2P(): 52 base32 characters then `.b32.i2p` (suffix case-insensitive). */
function parseI2P(text: string): NetAddress | undefined {
  if (text.length !== 52 + 8 || text.slice(52).toLowerCase() !== '.b32.i2p') return undefined
  const bytes = decodeBase32(`${text.slice(0, 52)}====`)
  if (!bytes || bytes.length !== ADDR_I2P_SIZE) return undefined
  return new NetAddress(Network.I2P, bytes)
}

// --- IP text forms ---------------------------------------------------------------

/** Dotted-quad IPv4. Leading zeros are refused (the C library would read them as octal). */
function parseIPv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined
    const v = Number(p)
    if (v > 255) return undefined
    out[i] = v
  }
  return out
}

/** RFC 4291 text form, with `::` and a trailing dotted IPv4. */
function parseIPv6Bytes(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 45) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (s: string): number[] | undefined => {
    if (s === '') return []
    const out: number[] = []
    const parts = s.split(':')
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4Bytes(p)
        if (!v4) return undefined
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
        continue
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined
      out.push(Number.parseInt(p, 16))
    }
    return out
  }
  const head = groups(halves[0]!)
  if (!head) return undefined
  let all: number[]
  if (halves.length === 2) {
    const tail = groups(halves[1]!)
    if (!tail) return undefined
    // A dotted IPv4 may only end the address.
    if (halves[0]!.includes('.')) return undefined
    const fill = 8 - head.length - tail.length
    if (fill < 1) return undefined
    all = [...head, ...new Array<number>(fill).fill(0), ...tail]
  } else {
    if (head.length !== 8) return undefined
    all = head
  }
  const out = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    out[i * 2] = all[i]! >>> 8
    out[i * 2 + 1] = all[i]! & 0xff
  }
  return out
}

/** RFC 5952 canonical text: lower case, longest run (≥ 2) of zero groups as `::`, first run wins. */
export function ipv6ToString(b: Uint8Array): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!)
  let bestStart = 0
  let bestLen = 0
  let curStart = 0
  let curLen = 0
  for (let i = 0; i < 8; i++) {
    if (groups[i] !== 0) {
      curStart = i + 1
      curLen = 0
      continue
    }
    curLen++
    if (curLen > bestLen) {
      bestLen = curLen
      bestStart = curStart
    }
  }
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (bestLen >= 2 && i >= bestStart && i < bestStart + bestLen) {
      if (i === bestStart) out += '::'
      continue
    }
    out += `${out !== '' && !out.endsWith(':') ? ':' : ''}${groups[i]!.toString(16)}`
  }
  return out
}

function parseAddressOrThrow(input: string, options?: ParseOptions): NetAddress {
  if (input.includes('\0')) throw new InvalidAddressError(input, 'it contains a NUL character')
  // Core LookupHost: a host in brackets is read without them.
  const text = input.length > 1 && input[0] === '[' && input.endsWith(']') ? input.slice(1, -1) : input
  const special = parseOnion(text) ?? parseI2P(text)
  if (special) return special
  if (text.endsWith('.onion')) throw new InvalidAddressError(text, 'not a valid Tor v3 name')
  if (/\.b32\.i2p$/i.test(text)) throw new InvalidAddressError(text, 'not a valid 52-character I2P name')
  const v4 = parseIPv4Bytes(text)
  if (v4) return new NetAddress(Network.IPV4, v4)
  let body = text
  let scopeId = 0
  const pct = text.indexOf('%')
  if (pct >= 0) {
    const scope = text.slice(pct + 1)
    if (!/^[0-9]{1,10}$/.test(scope) || Number(scope) > 0xffffffff) {
      throw new InvalidAddressError(text, 'only numeric IPv6 zone indices are supported')
    }
    scopeId = Number(scope)
    body = text.slice(0, pct)
  }
  const v6 = parseIPv6Bytes(body)
  if (!v6) throw new InvalidAddressError(text, 'not a numeric IPv4 or IPv6 address, .onion or .b32.i2p name')
  if (hasPrefix(v6, TORV2_IN_IPV6_PREFIX)) {
    throw new InvalidAddressError(text, 'Tor v2 (OnionCat) addresses are no longer supported')
  }
  const addr = NetAddress.fromV1(v6)
  // Core's LookupHost never returns an internal placeholder.
  if (addr.isInternal())
    throw new InvalidAddressError(text, 'addresses in fd6b:88c0:8724::/48 are reserved for internal names')
  if (addr.isIPv6()) {
    if (options?.cjdns === true && v6[0] === CJDNS_PREFIX) return new NetAddress(Network.CJDNS, v6)
    if (scopeId !== 0) return new NetAddress(Network.IPV6, v6, scopeId)
  }
  return addr
}

// --- services (address + port) --------------------------------------------------

/** An address and a port (Core `CService`). */
export interface ServiceAddress {
  readonly addr: NetAddress
  /** 0–65535. */
  readonly port: number
}

/** What peers tell us about an address (Core `CAddress`): when it was seen and what it serves. */
export interface PeerAddress extends ServiceAddress {
  /** Unix seconds when the address was last seen, as announced. */
  readonly time: number
  /** Service bits (`@node/wire` Services). */
  readonly services: bigint
}

/** The map key of an address and port. */
export function serviceKey(addr: NetAddress, port: number): string {
  return addr.serviceKey(port)
}

/** Core ToStringAddrPort(): `1.2.3.4:8333`, `[2001:db8::1]:8333`, `x.onion:8333`. */
export function formatService(s: ServiceAddress): string {
  const a = s.addr
  if (a.net === Network.IPV6 || a.net === Network.CJDNS) return `[${a.toString()}]:${s.port}`
  return `${a.toString()}:${s.port}`
}

/** A host and port as {@link splitHostPort} separates them. */
export interface HostPort {
  /** The host, brackets removed: a numeric address or a name, not checked here. */
  readonly host: string
  /** The port given, or the default when none was. */
  readonly port: number
  /** False when a port was given but is not 1–65535 (Core: SplitHostPort returns false). */
  readonly valid: boolean
}

/**
 * Core SplitHostPort (util/strencodings.cpp): the last `:` separates a port
 * when it follows `[...]` or is the only colon. So `1.2.3.4:8333`,
 * `host.example:8333` and `[2001:db8::1]:8333` have a port and
 * `2a01:4f8::1` is a bare IPv6 address without one. Brackets around the
 * host are removed. A port that does not parse leaves the text whole as the
 * host, as in Core; `valid` is false then and for port 0.
 */
export function splitHostPort(text: string, defaultPort: number): HostPort {
  let rest = text
  let port = defaultPort
  let valid = true
  const colon = text.lastIndexOf(':')
  if (colon >= 0) {
    const bracketed = text[0] === '[' && text[colon - 1] === ']'
    const multiColon = colon !== 0 && text.lastIndexOf(':', colon - 1) !== -1
    if (colon === 0 || bracketed || !multiColon) {
      const p = text.slice(colon + 1)
      // Core ParseUInt16: decimal digits only, no sign, no spaces.
      if (/^[0-9]{1,5}$/.test(p) && Number(p) <= 65535) {
        rest = text.slice(0, colon)
        port = Number(p)
        valid = port !== 0
      } else valid = false
    }
  }
  const host = rest.length > 1 && rest[0] === '[' && rest.endsWith(']') ? rest.slice(1, -1) : rest
  return { host, port, valid }
}

/**
 * Parse a numeric service: `host`, `host:port`, `[ipv6]` or `[ipv6]:port`,
 * split by {@link splitHostPort} (Core SplitHostPort, then LookupHost without
 * DNS). A bare IPv6 address (several colons, no brackets) takes `defaultPort`.
 * Throws InvalidAddressError for a bad port or a host that is not a numeric
 * address or a `.onion` / `.b32.i2p` name.
 */
export function parseService(text: string, defaultPort: number, options?: ParseOptions): ServiceAddress {
  const hp = splitHostPort(text, defaultPort)
  if (!hp.valid) throw new InvalidAddressError(text, 'bad port')
  if (hp.host.includes('[') || hp.host.includes(']'))
    throw new InvalidAddressError(text, 'unbalanced brackets')
  return { addr: parseAddressOrThrow(hp.host, options), port: hp.port }
}
