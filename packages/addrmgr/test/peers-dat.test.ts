/**
 * peers.dat format 4 (Core AddrManImpl::Serialize,
 * CAddress disk format, SerializeDB), built by hand from the spec and
 * checked in both directions, plus Core's remove_invalid and
 * load_addrman_corrupted cases and corruption tables.
 */
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AddrMan,
  buildAsmap,
  DETERMINISTIC_KEY,
  deserializePeersDat,
  importBtcdPeers,
  MAINNET_MAGIC,
  NetAddress,
  Network,
  PeersFileError,
  serializePeersDat,
} from '../src/index.ts'
import { Clock, caddr, deterministic, fmt, ip, svc } from './helpers.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
const sha256d = (b: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha256').update(createHash('sha256').update(b).digest()).digest())
const le32 = (n: number): string => {
  const b = Buffer.alloc(4)
  b.writeInt32LE(n)
  return b.toString('hex')
}
const le64 = (n: number): string => {
  const b = Buffer.alloc(8)
  b.writeBigInt64LE(BigInt(n))
  return b.toString('hex')
}
const REGTEST_MAGIC = unhex('fabfb5da')

/** Finish a hand-built file: append the double SHA-256 of everything before it. */
function withChecksum(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 32)
  out.set(body)
  out.set(sha256d(body), body.length)
  return out
}

function expectPeersError(fn: () => unknown, code?: string): PeersFileError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(PeersFileError)
    if (code) expect((err as PeersFileError).code).toBe(code)
    return err as PeersFileError
  }
  throw new Error('expected a PeersFileError')
}

/** One AddrInfo in BIP155 disk form, IPv4 only (hex pieces). */
const entry = (
  a: string,
  port: string,
  time: number,
  services: string,
  src: string,
  lastSuccess: number,
  attempts: number,
): string =>
  [
    '605b0320', // CAddress disk version: 220000 | 1 << 29 (BIP155 follows)
    le32(time), // u32 time
    services, // CompactSize services
    `0104${a}`, // BIP155: network 1 (IPv4), length 4, address
    port, // u16 big-endian
    `0104${src}`, // source address, BIP155, no port
    le64(lastSuccess), // i64 last success
    le32(attempts), // i32 attempts
  ].join('')

describe('a format-4 file built byte by byte from the spec', () => {
  const T_NEW = 1_700_000_000
  const T_TRIED = 1_700_000_100
  const T_GOOD = 1_700_000_500
  // Where 250.1.1.1:8333 from 252.2.2.2 lands with key K0.
  const probe = new AddrMan({}, { key: DETERMINISTIC_KEY as Uint8Array })
  const newBucket = probe.bucketsOf(svc('250.1.1.1', 8333), ip('252.2.2.2')).new

  const buckets: string[] = []
  for (let b = 0; b < 1024; b++) buckets.push(b === newBucket ? `${le32(1)}${le32(0)}` : le32(0))

  const golden = withChecksum(
    unhex(
      [
        'f9beb4d9', // mainnet magic
        '04', // format 4 (V4_MULTIPORT)
        '24', // lowest compatible 4, + INCOMPATIBILITY_BASE 32
        `01${'00'.repeat(31)}`, // nKey = uint256{1}
        le32(1), // nNew
        le32(1), // nTried
        '00040040', // 1024 ^ (1 << 30)
        entry('fa010101', '208d', T_NEW, '09', 'fc020202', 0, 0), // 250.1.1.1:8333, NETWORK|WITNESS, from 252.2.2.2
        entry('fa020202', '270f', T_TRIED, '01', 'fc020202', T_GOOD, 0), // 250.2.2.2:9999 in tried
        ...buckets, // new bucket contents: one entry (index 0) in its bucket
        '00'.repeat(32), // asmap checksum: none
      ].join(''),
    ),
  )

  it('loads: entries, times, services, buckets and key', () => {
    const clock = new Clock(T_GOOD)
    const { addrman, report } = deserializePeersDat(golden, MAINNET_MAGIC, { now: clock.now })
    expect(report).toEqual({ lostNew: 0, lostTried: 0, rebucketed: false })
    expect(addrman.size()).toBe(2)
    expect(hex(addrman.key)).toBe(`01${'00'.repeat(31)}`)
    const n = addrman.find(svc('250.1.1.1', 8333))!
    expect(n).toMatchObject({ time: T_NEW, services: 9n, tried: false, lastSuccess: 0, attempts: 0 })
    expect(n.source.toString()).toBe('252.2.2.2')
    expect(addrman.findPosition(svc('250.1.1.1', 8333))).toMatchObject({
      tried: false,
      bucket: newBucket,
      multiplicity: 1,
    })
    const t = addrman.find(svc('250.2.2.2', 9999))!
    expect(t).toMatchObject({ time: T_TRIED, services: 1n, tried: true, lastSuccess: T_GOOD })
    addrman.checkConsistency()
  })

  it('our writer produces exactly these bytes for the same state', () => {
    const clock = new Clock(T_NEW)
    const m = AddrMan.deterministic({ now: clock.now })
    const src = ip('252.2.2.2')
    m.add({ ...svc('250.1.1.1', 8333), time: T_NEW, services: 9n }, src)
    m.add({ ...svc('250.2.2.2', 9999), time: T_TRIED, services: 1n }, src)
    expect(m.good(svc('250.2.2.2', 9999), T_GOOD)).toBe(true)
    expect(hex(serializePeersDat(m, MAINNET_MAGIC))).toBe(hex(golden))
  })

  it('rejects another network, a bad checksum, truncation and trailing garbage in the checksum', () => {
    expectPeersError(() => deserializePeersDat(golden, REGTEST_MAGIC), 'PEERS_FILE_MAGIC')
    const flipped = golden.slice()
    flipped[golden.length - 1]! ^= 1
    expectPeersError(() => deserializePeersDat(flipped, MAINNET_MAGIC), 'PEERS_FILE_CHECKSUM')
    const timeFlip = golden.slice()
    timeFlip[4 + 2 + 32 + 12 + 4]! ^= 0x10 // inside the first entry's time
    expectPeersError(() => deserializePeersDat(timeFlip, MAINNET_MAGIC), 'PEERS_FILE_CHECKSUM')
    expectPeersError(
      () => deserializePeersDat(golden.subarray(0, golden.length - 1), MAINNET_MAGIC),
      'PEERS_FILE_TRUNCATED',
    )
    expectPeersError(() => deserializePeersDat(new Uint8Array(0), MAINNET_MAGIC), 'PEERS_FILE_TRUNCATED')
    expectPeersError(
      () => deserializePeersDat(new TextEncoder().encode('{"Version":2}'), MAINNET_MAGIC),
      'PEERS_FILE_MAGIC',
    )
  })

  it('every strict prefix fails with a typed error', () => {
    for (let len = 0; len < golden.length; len += len < 400 ? 1 : 97) {
      expectPeersError(() => deserializePeersDat(golden.subarray(0, len), MAINNET_MAGIC))
    }
  })

  it('any single-byte change fails with a typed error (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: golden.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (pos, x) => {
          const bad = golden.slice()
          bad[pos]! ^= x
          expectPeersError(() => deserializePeersDat(bad, MAINNET_MAGIC))
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('format versions', () => {
  it('refuses a format whose lowest compatible version is newer than 4 (Core InvalidAddrManVersionError)', () => {
    const body = unhex(`f9beb4d9 05 25 ${'01'.repeat(32)}`)
    expectPeersError(() => deserializePeersDat(withChecksum(body), MAINNET_MAGIC), 'PEERS_FILE_VERSION')
    // A format-5 file that says format-4 readers can read it loads.
    const m = deterministic(new Clock())
    const ours = serializePeersDat(m, MAINNET_MAGIC)
    const future = ours.slice(0, ours.length - 32)
    future[4] = 5
    expect(deserializePeersDat(withChecksum(future), MAINNET_MAGIC).addrman.size()).toBe(0)
  })

  it('refuses a compat byte below 32', () => {
    const body = unhex(`f9beb4d9 04 1f ${'01'.repeat(32)}`)
    expectPeersError(() => deserializePeersDat(withChecksum(body), MAINNET_MAGIC), 'PEERS_FILE_CORRUPT')
  })

  it('reads format 1 (v1 addresses, u64 services, no asmap checksum)', () => {
    const clock = new Clock(1_700_000_000)
    const probe = new AddrMan({}, { key: DETERMINISTIC_KEY as Uint8Array })
    const bucket = probe.bucketsOf(svc('250.1.1.1', 8333), ip('252.2.2.2')).new
    const buckets: string[] = []
    for (let b = 0; b < 1024; b++) buckets.push(b === bucket ? `${le32(1)}${le32(0)}` : le32(0))
    const body = unhex(
      [
        'f9beb4d9',
        '01', // format 1
        '20', // compat 32 + 0
        `01${'00'.repeat(31)}`,
        le32(1),
        le32(0),
        '00040040',
        '605b0300', // version 220000, no BIP155 bit
        le32(1_699_999_000),
        '0100000000000000', // services u64
        '00000000000000000000fffffa010101', // v1 address
        '208d',
        '00000000000000000000fffffc020202', // v1 source
        le64(0),
        le32(2),
        ...buckets,
      ].join(''),
    )
    const { addrman, report } = deserializePeersDat(withChecksum(body), MAINNET_MAGIC, { now: clock.now })
    expect(report.rebucketed).toBe(false)
    expect(addrman.find(svc('250.1.1.1', 8333))).toMatchObject({
      time: 1_699_999_000,
      services: 1n,
      attempts: 2,
    })
  })

  it('re-buckets when the file has another bucket count', () => {
    const clock = new Clock(1_700_000_000)
    const probe = new AddrMan({}, { key: DETERMINISTIC_KEY as Uint8Array })
    const primary = probe.bucketsOf(svc('250.1.1.1', 8333), ip('252.2.2.2')).new
    const body = unhex(
      [
        'f9beb4d9',
        '04',
        '24',
        `01${'00'.repeat(31)}`,
        le32(1),
        le32(0),
        le32(2 ^ (1 << 30)), // a file written with 2 new buckets
        entry('fa010101', '208d', 1_699_999_000, '01', 'fc020202', 0, 0),
        le32(0), // bucket 0: empty
        `${le32(1)}${le32(0)}`, // bucket 1: entry 0
        '00'.repeat(32),
      ].join(''),
    )
    const { addrman, report } = deserializePeersDat(withChecksum(body), MAINNET_MAGIC, { now: clock.now })
    expect(report.rebucketed).toBe(true)
    expect(addrman.findPosition(svc('250.1.1.1', 8333))).toMatchObject({
      tried: false,
      multiplicity: 1,
      bucket: primary,
    })
  })

  it('fails on Core’s corrupt file that claims 10 new and 10 tried entries but holds one (load_addrman_corrupted)', () => {
    const body = unhex(
      [
        'f9beb4d9',
        '01',
        '20',
        `01${'00'.repeat(31)}`,
        le32(10),
        le32(10),
        '00040040',
        '605b0300',
        le32(100_000_000),
        '0000000000000000',
        '00000000000000000000fffffc010101', // 252.1.1.1
        '1e61', // 7777
        '00000000000000000000fffffc020202',
        le64(0),
        le32(0),
      ].join(''),
    )
    expectPeersError(() => deserializePeersDat(body, MAINNET_MAGIC), 'PEERS_FILE_TRUNCATED')
    // With a checksum appended, its bytes are read as the second entry: still a typed error.
    expectPeersError(() => deserializePeersDat(withChecksum(body), MAINNET_MAGIC))
  })

  it('rejects absurd counts without allocating', () => {
    const body = unhex(`f9beb4d9 04 24 ${'01'.repeat(32)} ${le32(70000)} ${le32(0)} 00040040`)
    expectPeersError(() => deserializePeersDat(withChecksum(body), MAINNET_MAGIC), 'PEERS_FILE_CORRUPT')
    const neg = unhex(`f9beb4d9 04 24 ${'01'.repeat(32)} ${le32(0)} ${le32(-1)} 00040040`)
    expectPeersError(() => deserializePeersDat(withChecksum(neg), MAINNET_MAGIC), 'PEERS_FILE_CORRUPT')
  })
})

describe('loading drops what Core drops', () => {
  it('invalid addresses (remove_invalid: 4 entries load as 2)', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    const none = NetAddress.fromV1(new Uint8Array(16))
    m.add([caddr('5.5.5.5'), caddr('7.7.7.7'), caddr('6.6.6.6'), caddr('8.8.8.8')], none)
    m.good(svc('7.7.7.7'))
    m.good(svc('8.8.8.8'))
    expect(m.size()).toBe(4)
    const file = serializePeersDat(m, MAINNET_MAGIC)
    const body = file.slice(0, file.length - 32)
    const replace = (from: number[], to: number[]): void => {
      const s = Buffer.from(body)
      const at = s.indexOf(Buffer.from(from))
      expect(at).toBeGreaterThan(0)
      body.set(to, at)
    }
    replace([6, 6, 6, 6], [0, 0, 0, 0]) // 0.0.0.0 is not valid
    replace([8, 8, 8, 8], [255, 255, 255, 255]) // nor is 255.255.255.255
    const { addrman, report } = deserializePeersDat(withChecksum(body), MAINNET_MAGIC, { now: clock.now })
    expect(addrman.size()).toBe(2)
    expect(report).toMatchObject({ lostNew: 1, lostTried: 1 })
  })

  it('re-buckets when the asmap changes, keeping every entry (addrman_serialization)', () => {
    const clock = new Clock()
    const v4 = (a: number): Uint8Array => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, 0, 0, 0)
    const asmap = buildAsmap([{ prefix: v4(250), bits: 104, asn: 1000 }])
    const withMap = deterministic(clock, { asmap })
    const none = NetAddress.fromV1(new Uint8Array(16))
    withMap.add(caddr('250.1.1.1'), none)
    const pos1 = withMap.findPosition(svc('250.1.1.1'))!
    const again = deserializePeersDat(
      serializePeersDat(withMap, MAINNET_MAGIC),
      MAINNET_MAGIC,
      { now: clock.now },
      { asmap },
    )
    expect(again.report.rebucketed).toBe(false)
    expect(again.addrman.findPosition(svc('250.1.1.1'))).toEqual(pos1)
    const plain = deserializePeersDat(serializePeersDat(withMap, MAINNET_MAGIC), MAINNET_MAGIC, {
      now: clock.now,
    })
    expect(plain.report.rebucketed).toBe(true)
    const pos3 = plain.addrman.findPosition(svc('250.1.1.1'))!
    expect(pos3.multiplicity).toBeGreaterThan(0)
    expect(pos3.bucket).not.toBe(pos1.bucket)
    // Without asmap, 250.1.1.1 and 250.2.1.1 are in different buckets; with it (one AS), the same.
    const noMap = deterministic(clock)
    noMap.add([caddr('250.1.1.1'), caddr('250.2.1.1')], none)
    expect(noMap.findPosition(svc('250.1.1.1'))!.bucket).not.toBe(
      noMap.findPosition(svc('250.2.1.1'))!.bucket,
    )
    const mapped = deserializePeersDat(
      serializePeersDat(noMap, MAINNET_MAGIC),
      MAINNET_MAGIC,
      { now: clock.now },
      { asmap },
    )
    expect(mapped.report.rebucketed).toBe(true)
    const p7 = mapped.addrman.findPosition(svc('250.1.1.1'))!
    const p8 = mapped.addrman.findPosition(svc('250.2.1.1'))!
    expect(p7.bucket).toBe(p8.bucket)
    expect(p7.position).not.toBe(p8.position)
  })
})

describe('round trips', () => {
  it('a large table survives save and load unchanged, byte for byte', () => {
    const clock = new Clock()
    const m = deterministic(clock, { consistencyCheckRatio: 0 })
    const now = clock.seconds
    for (let i = 0; i < 3000; i++) {
      const a = `${(i % 200) + 20}.${(i * 7) % 256}.${i % 13}.${i % 251}`
      m.add(caddr(a, 8333 + (i % 3), now - (i % 5000), BigInt(i % 16)), ip(`${(i % 50) + 30}.9.9.9`), 7200)
      if (i % 5 === 0) m.good(svc(a, 8333 + (i % 3)))
      if (i % 7 === 0) m.attempt(svc(a, 8333 + (i % 3)), true)
    }
    m.add(caddr('pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion', 8333, now), ip('1.1.1.1'))
    m.add(caddr('udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p', 0, now), ip('1.1.1.1'))
    m.add(caddr('2a01:4f8::1', 8333, now), NetAddress.internal('seed.example.org'))
    const file = serializePeersDat(m, MAINNET_MAGIC)
    const { addrman } = deserializePeersDat(file, MAINNET_MAGIC, { now: clock.now })
    expect(hex(serializePeersDat(addrman, MAINNET_MAGIC))).toBe(hex(file))
    expect(addrman.counts()).toEqual(m.counts())
    expect(addrman.size(Network.ONION)).toBe(1)
    expect(addrman.find(svc('2a01:4f8::1', 8333))!.source.isInternal()).toBe(true)
    const sort = (xs: string[]): string[] => xs.sort()
    expect(
      sort(
        [...addrman.entries()].map((e) => `${fmt(e)} ${e.time} ${e.attempts} ${e.lastSuccess} ${e.tried}`),
      ),
    ).toEqual(
      sort([...m.entries()].map((e) => `${fmt(e)} ${e.time} ${e.attempts} ${e.lastSuccess} ${e.tried}`)),
    )
  })
})

describe('btcd peers.json import', () => {
  const json = {
    Version: 2,
    Key: new Array(32).fill(7),
    Addresses: [
      {
        Addr: '250.1.1.1:8333',
        Src: '252.2.2.2:8333',
        Attempts: 2,
        TimeStamp: 1_699_990_000,
        LastAttempt: 1_699_999_000,
        LastSuccess: -62135596800,
        Services: 1033,
        SrcServices: 1,
      },
      {
        Addr: '250.2.2.2:8333',
        Src: '252.2.2.2:8333',
        Attempts: 0,
        TimeStamp: 1_699_990_000,
        LastAttempt: 1_699_999_500,
        LastSuccess: 1_699_999_500,
        Services: 1,
        SrcServices: 1,
      },
      {
        Addr: '[2a01:4f8::2]:18333',
        Src: '252.2.2.2:8333',
        Attempts: 0,
        TimeStamp: 1_699_990_000,
        LastAttempt: -62135596800,
        LastSuccess: -62135596800,
        Services: 0,
        SrcServices: 0,
      },
      {
        Addr: 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333',
        Src: '252.2.2.2:8333',
        TimeStamp: 1_699_990_000,
        Services: 8,
      },
      { Addr: '10.0.0.1:8333', Src: '252.2.2.2:8333', TimeStamp: 1_699_990_000, Services: 1 },
      { Addr: 'not an address', Src: '252.2.2.2:8333' },
    ],
    NewBuckets: [['250.1.1.1:8333', '[2a01:4f8::2]:18333']],
    TriedBuckets: [['250.2.2.2:8333']],
  }

  it('re-adds entries through Core formulas, keeping their history', () => {
    const clock = new Clock(1_700_000_000)
    const m = new AddrMan({ now: clock.now })
    const report = importBtcdPeers(m, JSON.stringify(json))
    expect(report).toEqual({ total: 6, imported: 4, tried: 1, skipped: 2 })
    expect(m.find(svc('250.1.1.1', 8333))).toMatchObject({
      attempts: 2,
      lastTry: 1_699_999_000,
      lastSuccess: 0,
      services: 1033n,
      tried: false,
    })
    expect(m.find(svc('250.2.2.2', 8333))).toMatchObject({ tried: true, lastSuccess: 1_699_999_500 })
    expect(m.find(svc('2a01:4f8::2', 18333))).toMatchObject({ time: 1_699_990_000, lastTry: 0 })
    expect(m.size(Network.ONION)).toBe(1)
    // Not btcd's key: ours stays secret.
    expect(hex(m.key)).not.toBe('07'.repeat(32))
    m.checkConsistency()
  })

  it('defaults v1 entries to NODE_NETWORK and refuses junk', () => {
    const m = new AddrMan({ now: new Clock().now })
    importBtcdPeers(m, { ...json, Version: 1 })
    expect(m.find(svc('2a01:4f8::2', 18333))!.services).toBe(1n)
    expect(() => importBtcdPeers(m, '{')).toThrow(PeersFileError)
    expect(() => importBtcdPeers(m, '{"Version":3,"Addresses":[]}')).toThrow(/unknown version/)
    expect(() => importBtcdPeers(m, '{"Version":2,"Addresses":{}}')).toThrow(PeersFileError)
    expect(importBtcdPeers(m, '{"Version":2,"Addresses":null}')).toEqual({
      total: 0,
      imported: 0,
      tried: 0,
      skipped: 0,
    })
  })
})
