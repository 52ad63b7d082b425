import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  decodeBase32,
  encodeBase32,
  formatService,
  isBadPort,
  LEGACY_TORV2,
  NetAddress,
  Network,
  parseService,
} from '../src/index.ts'

interface Bip155Fixture {
  cnetaddr_v1_serialize: Array<{ address: string; network: string; valid: boolean; hex: string }>
  cnetaddr_v2_serialize: Array<{ address: string; network: string; valid: boolean; hex: string }>
  cnetaddr_v2_unserialize: Array<{
    description: string
    hex: string
    result: 'ok' | 'ok_invalid' | 'throws'
    network: string | null
    address: string | null
    valid: boolean | null
    error?: string
  }>
  address_strings: {
    cases: Array<{
      input: string
      parses: boolean
      method?: string
      network?: string
      valid?: boolean
      to_string?: string
    }>
  }
  ipv6_canonical_to_string: { cases: Array<{ input: string; expected: string }> }
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/bip155.json', import.meta.url), 'utf8'),
) as Bip155Fixture

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

const NET_BY_NAME: Record<string, number> = {
  IPV4: Network.IPV4,
  IPV6: Network.IPV6,
  ONION: Network.ONION,
  I2P: Network.I2P,
  CJDNS: Network.CJDNS,
  INTERNAL: Network.INTERNAL,
}

/** Build an address the way Core's fixture does: SetInternal for names, else parse. */
function fromFixture(text: string, network: string): NetAddress {
  if (network === 'INTERNAL') {
    if (text === 'zklycewkdo64v6wc.internal') return NetAddress.internal('a')
    throw new Error(`unknown internal fixture ${text}`)
  }
  if (text === '::') return NetAddress.fromV1(new Uint8Array(16))
  return NetAddress.parse(text, { cjdns: network === 'CJDNS' })
}

/** Decode one BIP155 CNetAddr: network id, CompactSize length, bytes. */
function decodeBip155Hex(h: string): NetAddress | undefined {
  const b = unhex(h)
  const id = b[0]!
  let len = b[1]!
  let off = 2
  if (len === 0xfd) {
    len = b[2]! | (b[3]! << 8)
    off = 4
  } else if (len === 0xfe) {
    len = (b[2]! | (b[3]! << 8) | (b[4]! << 16) | (b[5]! << 24)) >>> 0
    off = 6
  }
  // Core checks the declared length against the network before reading the bytes.
  if (len > 512 || b.length - off < len) NetAddress.fromBip155(id, new Uint8Array(len))
  if (b.length - off < len) throw new Error('end of data')
  return NetAddress.fromBip155(id, b.subarray(off, off + len))
}

describe('BIP155 and v1 encodings (Core net_tests)', () => {
  it.each(fixture.cnetaddr_v1_serialize)('v1 form of $address', (c) => {
    const addr = fromFixture(c.address, c.network)
    expect(hex(addr.toV1())).toBe(c.hex)
    expect(addr.isValid()).toBe(c.valid)
  })

  it.each(fixture.cnetaddr_v2_serialize)('BIP155 form of $address', (c) => {
    const addr = fromFixture(c.address, c.network)
    const { networkId, addr: bytes } = addr.toBip155()
    expect(hex(Uint8Array.of(networkId, bytes.length, ...bytes))).toBe(c.hex)
    expect(addr.isValid()).toBe(c.valid)
  })

  it.each(fixture.cnetaddr_v2_unserialize)('decode: $description', (c) => {
    if (c.result === 'throws') {
      expect(() => decodeBip155Hex(c.hex)).toThrow(c.error === 'end of data' ? 'end of data' : c.error!)
      if (c.error !== 'end of data') {
        try {
          decodeBip155Hex(c.hex)
        } catch (err) {
          expect((err as { code?: string }).code).toBe('BAD_ADDRESS_LENGTH')
        }
      }
      return
    }
    const addr = decodeBip155Hex(c.hex)
    if (c.result === 'ok') {
      expect(addr).toBeDefined()
      expect(addr!.toString()).toBe(c.address)
      expect(addr!.net).toBe(NET_BY_NAME[c.network!])
      expect(addr!.isValid()).toBe(c.valid)
    } else {
      // ok_invalid: consumed, never valid (unknown ids decode to undefined).
      expect(addr === undefined || !addr.isValid()).toBe(true)
      if (c.network === 'CJDNS') expect(addr!.net).toBe(Network.CJDNS)
    }
  })

  it('takes the objects @node/wire decodes', () => {
    expect(NetAddress.fromWire({ networkId: 1, addr: unhex('01020304') })!.toString()).toBe('1.2.3.4')
    expect(NetAddress.fromWire({ networkId: 200, addr: unhex('01020304') })).toBeUndefined()
  })

  it('keeps a legacy Tor v2 address decodable but never valid', () => {
    const v2 = NetAddress.fromBip155(3, unhex('f1f2f3f4f5f6f7f8f9fa'))!
    expect(v2.net).toBe(LEGACY_TORV2)
    expect(v2.isValid()).toBe(false)
    expect(v2.isRoutable()).toBe(false)
    expect(v2.toString()).toMatch(/^[a-z2-7]{16}\.onion$/)
    const onioncat = NetAddress.fromV1(unhex('fd87d87eeb43f1f2f3f4f5f6f7f8f9fa'))
    expect(onioncat.equals(v2)).toBe(true)
    expect(hex(onioncat.toV1())).toBe('fd87d87eeb43f1f2f3f4f5f6f7f8f9fa')
    expect(NetAddress.tryParse(v2.toString())).toBeUndefined()
  })

  it('reads IPv4-mapped v1 bytes as IPv4 and round-trips every v1-compatible network', () => {
    const v4 = NetAddress.fromV1(unhex('00000000000000000000ffff01020304'))
    expect(v4.isIPv4()).toBe(true)
    expect(v4.toString()).toBe('1.2.3.4')
    for (const text of ['1.2.3.4', '2001:4860::8888', 'fe80::1']) {
      const a = NetAddress.parse(text)
      expect(NetAddress.fromV1(a.toV1()).equals(a)).toBe(true)
      const b = a.toBip155()
      expect(NetAddress.fromBip155(b.networkId, b.addr)!.equals(a)).toBe(true)
    }
  })
})

describe('string forms (Core cnetaddr_basic, netbase tests)', () => {
  it.each(fixture.address_strings.cases)('$input', (c) => {
    if (c.method === 'SetInternal') {
      const addr = NetAddress.internal(c.input)
      expect(addr.toString()).toBe(c.to_string)
      expect(addr.isValid()).toBe(false)
      return
    }
    const addr = NetAddress.tryParse(c.input)
    if (!c.parses) {
      expect(addr).toBeUndefined()
      return
    }
    expect(addr).toBeDefined()
    expect(addr!.toString()).toBe(c.to_string)
    expect(addr!.net).toBe(NET_BY_NAME[c.network!])
    expect(addr!.isValid()).toBe(c.valid)
  })

  it.each(fixture.ipv6_canonical_to_string.cases)('canonical IPv6 $input', (c) => {
    expect(NetAddress.parse(c.input).toString()).toBe(c.expected)
  })

  it('parses and formats services like Core (netbase_lookupnumeric, netbase_splithost)', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', '127.0.0.1:65535'],
      ['127.0.0.1:8333', '127.0.0.1:8333'],
      ['::ffff:127.0.0.1', '127.0.0.1:65535'],
      ['::', '[::]:65535'],
      ['[::]:8333', '[::]:8333'],
      ['[127.0.0.1]', '127.0.0.1:65535'],
      ['[fd6c:88c0:8724:1:2:3:4:5]', '[fd6c:88c0:8724:1:2:3:4:5]:65535'],
      [
        'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333',
        'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333',
      ],
      ['udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p:0', ''],
    ]
    for (const [input, want] of cases) {
      if (want === '') {
        expect(() => parseService(input, 65535)).toThrow(/bad port/)
        continue
      }
      expect(formatService(parseService(input, 65535))).toBe(want)
    }
    // Core refuses internal addresses, ports out of range, port 0, and junk.
    for (const bad of [
      ':::',
      '[fd6b:88c0:8724:1:2:3:4:5]',
      '127.0.0.1:65536',
      '127.0.0.1:0',
      '127.0.0.1:',
      '127.0.0.1:1E2',
      '[1.2.3.4',
    ]) {
      expect(() => parseService(bad, 8333), bad).toThrow()
      try {
        parseService(bad, 8333)
      } catch (err) {
        expect((err as { code?: string }).code).toBe('INVALID_ADDRESS')
      }
    }
    expect(formatService(parseService('fc00:1:2:3:4:5:6:7', 8333, { cjdns: true }))).toBe(
      '[fc00:1:2:3:4:5:6:7]:8333',
    )
    expect(parseService('fc00:1:2:3:4:5:6:7', 8333).addr.isCJDNS()).toBe(false)
  })

  it('refuses octal-looking IPv4, NUL bytes and OnionCat text', () => {
    expect(NetAddress.tryParse('010.1.1.1')).toBeUndefined()
    expect(NetAddress.tryParse('1.2.3.4\0example.com')).toBeUndefined()
    expect(NetAddress.tryParse('fd87:d87e:eb43::1')).toBeUndefined()
    expect(NetAddress.tryParse('1.2.3')).toBeUndefined()
    expect(NetAddress.tryParse('1:2:3:4:5:6:7:8:9')).toBeUndefined()
    expect(NetAddress.tryParse('1::2::3')).toBeUndefined()
    expect(NetAddress.tryParse('1.2.3.4::')).toBeUndefined()
  })

  it('keeps a numeric IPv6 zone but not in the address identity', () => {
    const a = NetAddress.parse('fe80::1%32')
    expect(a.toString()).toBe('fe80::1%32')
    expect(a.scopeId).toBe(32)
    expect(a.equals(NetAddress.parse('fe80::1'))).toBe(true)
    expect(NetAddress.tryParse('fe80::1%eth0')).toBeUndefined()
  })

  it('base32 round-trips and rejects bad padding and leftover bits', () => {
    const data = unhex('79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f214703')
    const text = encodeBase32(data)
    expect(text).toBe('pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd')
    expect(hex(decodeBase32(text)!)).toBe(hex(data))
    expect(hex(decodeBase32(text.toUpperCase())!)).toBe(hex(data))
    expect(decodeBase32('mfrggza')).toBeUndefined() // not a multiple of 8
    expect(decodeBase32('mf*ggzak')).toBeUndefined()
    expect(decodeBase32('mfrggzb=')).toBeUndefined() // non-zero leftover bits
    expect(hex(decodeBase32('mfrggzdf')!)).toBe('6162636465')
  })
})

describe('special ranges, validity and routability (Core netbase_tests netbase_properties)', () => {
  const p = (s: string): NetAddress => NetAddress.parse(s)

  it('classifies each range', () => {
    expect(p('127.0.0.1').isIPv4()).toBe(true)
    expect(p('::FFFF:192.168.1.1').isIPv4()).toBe(true)
    expect(p('::1').isIPv6()).toBe(true)
    expect(p('10.0.0.1').isRFC1918()).toBe(true)
    expect(p('192.168.1.1').isRFC1918()).toBe(true)
    expect(p('172.31.255.255').isRFC1918()).toBe(true)
    expect(p('172.32.0.0').isRFC1918()).toBe(false)
    expect(p('198.18.0.0').isRFC2544()).toBe(true)
    expect(p('198.19.255.255').isRFC2544()).toBe(true)
    expect(p('2001:0DB8::').isRFC3849()).toBe(true)
    expect(p('3FFF::').isRFC9637()).toBe(true)
    expect(p('3FFF:0FFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF').isRFC9637()).toBe(true)
    expect(p('3FFF:1000::').isRFC9637()).toBe(false)
    expect(p('169.254.1.1').isRFC3927()).toBe(true)
    expect(p('2002::1').isRFC3964()).toBe(true)
    expect(p('FC00::').isRFC4193()).toBe(true)
    expect(p('2001::2').isRFC4380()).toBe(true)
    expect(p('2001:10::').isRFC4843()).toBe(true)
    expect(p('2001:20::').isRFC7343()).toBe(true)
    expect(p('FE80::').isRFC4862()).toBe(true)
    expect(p('64:FF9B::').isRFC6052()).toBe(true)
    expect(p('::FFFF:0:102:304').isRFC6145()).toBe(true)
    expect(p('100.64.0.1').isRFC6598()).toBe(true)
    expect(p('100.128.0.1').isRFC6598()).toBe(false)
    expect(p('192.0.2.1').isRFC5737()).toBe(true)
    expect(p('198.51.100.1').isRFC5737()).toBe(true)
    expect(p('203.0.113.1').isRFC5737()).toBe(true)
    expect(p('2001:470:1::1').isHeNet()).toBe(true)
    expect(p('pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion').isTor()).toBe(true)
    expect(p('127.0.0.1').isLocal()).toBe(true)
    expect(p('::1').isLocal()).toBe(true)
    expect(p('0.1.2.3').isLocal()).toBe(true)
    expect(p('127.0.0.1').isValid()).toBe(true)
    expect(p('3FFF::').isValid()).toBe(false)
    expect(NetAddress.internal('bar.com').isInternal()).toBe(true)
  })

  // [input, valid, routable, network (Core GetNetwork)]
  const table: Array<[string, boolean, boolean, number]> = [
    ['0.0.0.0', false, false, Network.UNROUTABLE],
    ['255.255.255.255', false, false, Network.UNROUTABLE],
    ['::', false, false, Network.UNROUTABLE],
    ['2001:db8::1', false, false, Network.UNROUTABLE], // RFC 3849
    ['3fff::1', false, false, Network.UNROUTABLE], // RFC 9637
    ['3fff:fff::1', false, false, Network.UNROUTABLE], // RFC 9637, end of the /20
    ['3fff:1000::1', true, true, Network.IPV6], // just outside it
    ['10.1.2.3', true, false, Network.UNROUTABLE],
    ['172.16.0.1', true, false, Network.UNROUTABLE],
    ['192.168.0.1', true, false, Network.UNROUTABLE],
    ['198.18.0.1', true, false, Network.UNROUTABLE],
    ['169.254.0.1', true, false, Network.UNROUTABLE],
    ['100.64.0.1', true, false, Network.UNROUTABLE],
    ['192.0.2.1', true, false, Network.UNROUTABLE],
    ['198.51.100.1', true, false, Network.UNROUTABLE],
    ['203.0.113.1', true, false, Network.UNROUTABLE],
    ['127.0.0.1', true, false, Network.UNROUTABLE],
    ['0.1.1.1', true, false, Network.UNROUTABLE],
    ['::1', true, false, Network.UNROUTABLE],
    ['fe80::1', true, false, Network.UNROUTABLE],
    ['fc00::1', true, false, Network.UNROUTABLE], // RFC 4193 as IPv6
    ['2001:10::1', true, false, Network.UNROUTABLE], // ORCHID
    ['2001:20::1', true, false, Network.UNROUTABLE], // ORCHIDv2
    ['250.1.2.3', true, true, Network.IPV4], // 240/4 is routable in Core
    ['8.8.8.8', true, true, Network.IPV4],
    ['2001::8888', true, true, Network.IPV6], // Teredo is routable
    ['2002:102:304::1', true, true, Network.IPV6], // 6to4
    ['pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion', true, true, Network.ONION],
    ['udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p', true, true, Network.I2P],
  ]
  it.each(table)('%s: valid %s, routable %s, network %i', (text, valid, routable, network) => {
    const a = p(text)
    expect(a.isValid()).toBe(valid)
    expect(a.isRoutable()).toBe(routable)
    expect(a.getNetwork()).toBe(network)
  })

  it('CJDNS is routable only with its fc prefix; internal names never are', () => {
    const cjdns = NetAddress.fromBip155(6, unhex('fc000001000200030004000500060007'))!
    expect(cjdns.isRoutable()).toBe(true)
    expect(cjdns.getNetwork()).toBe(Network.CJDNS)
    const bad = NetAddress.fromBip155(6, unhex('aa000001000200030004000500060007'))!
    expect(bad.isValid()).toBe(false)
    const internal = NetAddress.internal('foo.com')
    expect(internal.isRoutable()).toBe(false)
    expect(internal.getNetwork()).toBe(Network.INTERNAL)
  })

  it('finds the IPv4 inside 6to4, Teredo, NAT64 and RFC 6145 addresses', () => {
    for (const text of [
      '::FFFF:0:102:304',
      '64:FF9B::102:304',
      '2002:102:304:9999:9999:9999:9999:9999',
      '2001:0:9999:9999:9999:9999:FEFD:FCFB',
    ]) {
      const a = p(text)
      expect(a.hasLinkedIPv4(), text).toBe(true)
      expect(a.linkedIPv4(), text).toBe(0x01020304)
      expect(a.getNetClass(), text).toBe(Network.IPV4)
      expect(a.getNetwork(), text).toBe(Network.IPV6)
    }
  })
})

describe('bad ports (Core IsBadPort)', () => {
  it('has 85 entries with Core test expectations', () => {
    for (const port of [1, 22, 6000, 3306, 3389, 5432, 5900, 27017]) expect(isBadPort(port)).toBe(true)
    for (const port of [80, 443, 8333, 18333, 0, 65535]) expect(isBadPort(port)).toBe(false)
  })
})
