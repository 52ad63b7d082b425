import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256, sha256d } from '../src/hash.ts'
import {
  Asmap,
  asmapChecksum,
  buildAsmap,
  FastRandom,
  interpretAsmap,
  NetAddress,
  NetGroupManager,
  Network,
  sanityCheckAsmap,
} from '../src/index.ts'

const p = (s: string): NetAddress => NetAddress.parse(s)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('network groups (Core netbase_tests netbase_getgroup)', () => {
  const ngm = new NetGroupManager()
  const cases: Array<[string, NetAddress, number[]]> = [
    ['local', p('127.0.0.1'), [0]],
    ['RFC1918', p('10.0.0.1'), [0]],
    ['RFC3927', p('169.254.1.1'), [0]],
    ['IPv4', p('1.2.3.4'), [Network.IPV4, 1, 2]],
    ['RFC6145', p('::FFFF:0:102:304'), [Network.IPV4, 1, 2]],
    ['RFC6052', p('64:FF9B::102:304'), [Network.IPV4, 1, 2]],
    ['RFC3964', p('2002:102:304:9999:9999:9999:9999:9999'), [Network.IPV4, 1, 2]],
    ['RFC4380', p('2001:0:9999:9999:9999:9999:FEFD:FCFB'), [Network.IPV4, 1, 2]],
    ['he.net', p('2001:470:abcd:9999:9999:9999:9999:9999'), [Network.IPV6, 32, 1, 4, 112, 175]],
    ['IPv6', p('2001:2001:9999:9999:9999:9999:9999:9999'), [Network.IPV6, 32, 1, 32, 1]],
    // baz.net sha256: 12929400eb4607c4ac075f087167e75286b179c693eb059a01774b864e8fe505
    [
      'internal',
      NetAddress.internal('baz.net'),
      [Network.INTERNAL, 0x12, 0x92, 0x94, 0x00, 0xeb, 0x46, 0x07, 0xc4, 0xac, 0x07],
    ],
    [
      'Tor (4 bits)',
      p('pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion'),
      [Network.ONION, 0x79 | 0x0f],
    ],
    [
      'I2P (4 bits)',
      p('udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p'),
      [Network.I2P, 0xa0 | 0x0f],
    ],
    ['CJDNS (12 bits)', p('fc00:1234::1'), [0]],
    ['btcd Teredo 2001:0:1234::f3fe:fdfc', p('2001:0:1234::f3fe:fdfc'), [Network.IPV4, 12, 1]],
  ]
  it.each(cases)('%s', (_name, addr, want) => {
    expect([...ngm.getGroup(addr)]).toEqual(want)
  })

  it('groups CJDNS by its first 12 bits', () => {
    const cjdns = NetAddress.parse('fc12:3456::1', { cjdns: true })
    expect([...ngm.getGroup(cjdns)]).toEqual([Network.CJDNS, 0xfc, 0x12 | 0x0f])
  })

  it('puts local addresses in per-address-and-port groups only under the test switch', () => {
    const local = new NetGroupManager({ localRoutable: true })
    const a = p('127.0.0.1')
    expect(local.isRoutable(a)).toBe(true)
    expect(ngm.isRoutable(a)).toBe(false)
    expect(local.getNetwork(a)).toBe(Network.IPV4)
    expect([...local.getGroup(a, 18444)]).toEqual([Network.IPV4, 127, 0, 0, 1, 0x48, 0x0c])
    expect(hex(local.getGroup(a, 1))).not.toBe(hex(local.getGroup(a, 2)))
    expect(local.isRoutable(p('0.0.0.0'))).toBe(false)
    expect(local.isRoutable(p('192.168.1.1'))).toBe(true)
    // Public addresses keep Core's groups.
    expect([...local.getGroup(p('1.2.3.4'))]).toEqual([Network.IPV4, 1, 2])
  })
})

/** Core's asmap test mapping: 250.0.0.0/8 → AS1000, 101.N.0.0/16 → AS N for N = 1..8. */
function coreTestAsmap(): Uint8Array {
  const v4 = (a: number, b: number): Uint8Array =>
    Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, 0, 0)
  const entries = [{ prefix: v4(250, 0), bits: 96 + 8, asn: 1000 }]
  for (let n = 1; n <= 8; n++) entries.push({ prefix: v4(101, n), bits: 96 + 16, asn: n })
  return buildAsmap(entries)
}

describe('asmap (Core util/asmap.cpp, asmap_tests)', () => {
  it('maps addresses through a compiled program and passes the sanity check', () => {
    const data = coreTestAsmap()
    expect(sanityCheckAsmap(data)).toBe(true)
    const ngm = new NetGroupManager({ asmap: data })
    expect(ngm.getMappedAS(p('250.1.1.1'))).toBe(1000)
    expect(ngm.getMappedAS(p('101.3.7.7'))).toBe(3)
    expect(ngm.getMappedAS(p('101.9.7.7'))).toBe(0)
    expect(ngm.getMappedAS(p('8.8.8.8'))).toBe(0)
    // 6to4 is looked up by its embedded IPv4.
    expect(ngm.getMappedAS(p('2002:fa01:101::1'))).toBe(1000)
    // Onion addresses are never mapped.
    expect(ngm.getMappedAS(p('pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion'))).toBe(0)
    // Mapped addresses group by AS: {NET_IPV6, asn LE32}.
    expect([...ngm.getGroup(p('250.1.1.1'))]).toEqual([Network.IPV6, 0xe8, 0x03, 0, 0])
    expect([...ngm.getGroup(p('250.200.1.1'))]).toEqual([Network.IPV6, 0xe8, 0x03, 0, 0])
    // Unmapped ones keep their /16.
    expect([...ngm.getGroup(p('8.8.8.8'))]).toEqual([Network.IPV4, 8, 8])
  })

  it('matches the default/match case of Core asmap_tests', () => {
    // DEFAULT 9, MATCH {1,0}, RETURN 42, encoded by hand with Core's prefix codes.
    const bits: number[] = []
    const enc = (value: number, minval: number, sizes: number[]): void => {
      let cur = minval
      for (let i = 0; i < sizes.length; i++) {
        const size = sizes[i]!
        if (i + 1 === sizes.length || value < cur + 2 ** size) {
          if (i + 1 !== sizes.length) bits.push(0)
          const diff = value - cur
          for (let b = size - 1; b >= 0; b--) bits.push(Math.floor(diff / 2 ** b) & 1)
          return
        }
        bits.push(1)
        cur += 2 ** size
      }
    }
    const TYPE = [0, 0, 1]
    const ASN = [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
    const MATCH = [1, 2, 3, 4, 5, 6, 7, 8]
    enc(3, 0, TYPE)
    enc(9, 1, ASN)
    enc(2, 0, TYPE)
    enc(0b110, 2, MATCH)
    enc(0, 0, TYPE)
    enc(42, 1, ASN)
    while (bits.length % 8) bits.push(0)
    const data = new Uint8Array(bits.length / 8)
    bits.forEach((b, i) => {
      if (b) data[i >>> 3]! |= 1 << (i & 7)
    })
    expect(sanityCheckAsmap(data, 128)).toBe(true)
    const ip = new Uint8Array(16)
    ip[0] = 0b1000_0000
    expect(interpretAsmap(data, ip)).toBe(42)
    ip[0] = 0b1100_0000
    expect(interpretAsmap(data, ip)).toBe(9)
    // Not enough address bits for the match.
    expect(sanityCheckAsmap(data, 1)).toBe(false)
    // Excessive padding.
    expect(sanityCheckAsmap(Uint8Array.of(...data, 0))).toBe(false)
  })

  it('rejects malformed programs', () => {
    expect(() => new Asmap(new Uint8Array(0))).toThrow(/empty/)
    expect(() => new Asmap(Uint8Array.of(0xff, 0xff))).toThrow(/sanity/)
    // A lone DEFAULT without RETURN (Core asmap_missing_return_is_invalid).
    expect(sanityCheckAsmap(Uint8Array.of(0b0000_0111, 0, 0))).toBe(false)
  })

  it('computes the checksum over the bit vector as Core serializes std::vector<bool>', () => {
    const data = Uint8Array.of(0b0000_0101)
    const ser = Uint8Array.of(8, 1, 0, 1, 0, 0, 0, 0, 0)
    const want = createHash('sha256').update(createHash('sha256').update(ser).digest()).digest()
    expect(hex(asmapChecksum(data))).toBe(hex(want))
    expect(hex(new NetGroupManager().asmapChecksum)).toBe('00'.repeat(32))
  })

  it('compiles random prefix tables that answer like a longest-prefix match', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            a: fc.integer({ min: 1, max: 254 }),
            b: fc.integer({ min: 0, max: 255 }),
            bits: fc.integer({ min: 1, max: 16 }),
            asn: fc.integer({ min: 1, max: 70000 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (prefixes, probes) => {
          const entries = prefixes.map((e) => ({
            prefix: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, e.a, e.b, 0, 0),
            bits: 96 + e.bits,
            asn: e.asn,
          }))
          const data = buildAsmap(entries)
          expect(sanityCheckAsmap(data)).toBe(true)
          for (const [a, b] of probes) {
            const ip = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, 7, 7)
            let best = 0
            let bestLen = -1
            for (const e of entries) {
              const v = (e.prefix[12]! << 8) | e.prefix[13]!
              const w = (a << 8) | b
              const n = e.bits - 96
              if (v >>> (16 - n) === w >>> (16 - n) && n >= bestLen) {
                best = e.asn
                bestLen = n
              }
            }
            expect(interpretAsmap(data, ip)).toBe(best)
          }
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe('hashing and randomness', () => {
  it('sha256 agrees with node:crypto for every length up to 300 bytes', () => {
    const buf = new Uint8Array(300).map((_, i) => (i * 37 + 11) & 0xff)
    for (let len = 0; len <= 300; len++) {
      const want = createHash('sha256').update(buf.subarray(0, len)).digest('hex')
      expect(hex(sha256(buf, len))).toBe(want)
      const want2 = createHash('sha256')
        .update(createHash('sha256').update(buf.subarray(0, len)).digest())
        .digest('hex')
      expect(hex(sha256d(buf.subarray(0, len)))).toBe(want2)
    }
  })

  it('FastRandom reproduces the ChaCha20 keystream Core draws from (RFC 8439 zero-key block)', () => {
    const r = FastRandom.deterministic()
    // First keystream bytes of ChaCha20 with an all-zero key and nonce: 76 b8 e0 ad a0 f1 3d 90 ...
    expect(r.rand64()).toBe(0x903df1a0ade0b876n)
    expect(hex(FastRandom.deterministic().randbytes(16))).toBe('76b8e0ada0f13d90405d6ae55386bd28')
    // randbits takes low bits first out of a 64-bit buffer.
    const s = FastRandom.deterministic()
    expect(s.randbits(8)).toBe(0x76)
    expect(s.randbits(8)).toBe(0xb8)
    expect(s.randbits(16)).toBe(0xade0)
    expect(s.randbits(32)).toBe(0x903df1a0)
  })

  it('randrange stays in range and covers it', () => {
    const r = new FastRandom()
    const seen = new Set<number>()
    for (let i = 0; i < 2000; i++) {
      const v = r.randrange(10)
      expect(v).toBeGreaterThanOrEqual(0)
      expect(v).toBeLessThan(10)
      seen.add(v)
    }
    expect(seen.size).toBe(10)
    expect(r.randrange(1)).toBe(0)
    expect(r.randrange(2 ** 32)).toBeLessThan(2 ** 32)
  })
})
