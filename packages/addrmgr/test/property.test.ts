/**
 * Long random sequences of every operation, with Core's consistency check
 * (and ours) after each step, and a save/load round trip as one of the
 * operations (Core's fuzz targets in src/test/fuzz/addrman.cpp do the same).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AddrMan,
  DETERMINISTIC_KEY,
  deserializePeersDat,
  FastRandom,
  MAINNET_MAGIC,
  NetAddress,
  type Network,
  type PeerAddress,
  serializePeersDat,
} from '../src/index.ts'
import { fmt } from './helpers.ts'

// A small address space so buckets fill and collide: one /24 (one new bucket
// per source group), a few /16s, IPv6, Tor, I2P; ports include a bad one.
const POOL: NetAddress[] = []
for (let i = 1; i <= 120; i++) POOL.push(NetAddress.ipv4(250, 1, 1, i))
for (let i = 1; i <= 40; i++) POOL.push(NetAddress.ipv4(250 + (i % 4), i, 7, 7))
for (let i = 1; i <= 20; i++) POOL.push(NetAddress.parse(`2a01:4f8:${i.toString(16)}::1`))
POOL.push(NetAddress.parse('pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion'))
POOL.push(NetAddress.parse('udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p'))
POOL.push(NetAddress.parse('10.0.0.1')) // unroutable: never stored
const PORTS = [8333, 8334, 22]
const SOURCES = [
  NetAddress.ipv4(252, 2, 2, 2),
  NetAddress.ipv4(253, 9, 1, 1),
  NetAddress.parse('2a01:4f8:ffff::2'),
  NetAddress.internal('seed.example.org'),
]

type Op =
  | { op: 'add'; addrs: Array<[number, number, number]>; source: number; penalty: boolean }
  | { op: 'good'; a: number; port: number }
  | { op: 'addGood'; a: number; port: number; source: number }
  | { op: 'attempt'; a: number; port: number; count: boolean }
  | { op: 'connected'; a: number; port: number }
  | { op: 'services'; a: number; port: number; services: number }
  | { op: 'select'; newOnly: boolean; net: number; bias: number; tries: number }
  | { op: 'getaddr'; max: number; pct: number }
  | { op: 'resolve' }
  | { op: 'collision' }
  | { op: 'tick'; seconds: number }
  | { op: 'saveLoad' }

// Mostly a hot set of one /16 and the default port, so the tried table collides and evicts.
const idx = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 60 }) },
  { weight: 1, arbitrary: fc.nat({ max: POOL.length - 1 }) },
)
const port = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.nat({ max: PORTS.length - 1 }) },
)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      addrs: fc.array(fc.tuple(idx, port, fc.integer({ min: -40 * 86400, max: 3600 })), {
        minLength: 1,
        maxLength: 12,
      }),
      source: fc.nat({ max: SOURCES.length - 1 }),
      penalty: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('good' as const), a: idx, port }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('addGood' as const),
      a: idx,
      port,
      source: fc.nat({ max: SOURCES.length - 1 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('attempt' as const), a: idx, port, count: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('connected' as const), a: idx, port }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('services' as const),
      a: idx,
      port,
      services: fc.nat({ max: 2048 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('select' as const),
      newOnly: fc.boolean(),
      net: fc.integer({ min: -1, max: 5 }),
      bias: fc.integer({ min: -1, max: 100 }),
      tries: fc.constantFrom(0, 49, 50),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('getaddr' as const),
      max: fc.nat({ max: 50 }),
      pct: fc.nat({ max: 100 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ op: 'resolve' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'collision' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('tick' as const),
      seconds: fc.integer({ min: 1, max: 6 * 3600 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'saveLoad' as const }) },
)

function run(ops: Op[], seed: number): void {
  let seconds = 1_700_000_000
  const now = (): number => seconds * 1000
  const seedBytes = new Uint8Array(32)
  new DataView(seedBytes.buffer).setUint32(0, seed)
  const random = new FastRandom(seedBytes)
  let m = new AddrMan({ now, random }, { key: DETERMINISTIC_KEY as Uint8Array })
  for (const o of ops) {
    switch (o.op) {
      case 'add': {
        const list: PeerAddress[] = o.addrs.map(([a, p, dt]) => ({
          addr: POOL[a]!,
          port: PORTS[p]!,
          time: Math.max(0, seconds + dt),
          services: 1n,
        }))
        const before = m.size()
        const added = m.add(list, SOURCES[o.source]!, o.penalty ? 7200 : 0)
        expect(added).toBeLessThanOrEqual(list.length)
        expect(m.size()).toBeLessThanOrEqual(before + list.length)
        break
      }
      case 'good': {
        const s = { addr: POOL[o.a]!, port: PORTS[o.port]! }
        const size = m.size()
        if (m.good(s)) expect(m.find(s)!.tried).toBe(true)
        expect(m.size()).toBe(size)
        break
      }
      case 'addGood': {
        const s = { addr: POOL[o.a]!, port: PORTS[o.port]! }
        m.add({ ...s, time: seconds, services: 1n }, SOURCES[o.source]!)
        if (m.good(s)) expect(m.find(s)!.tried).toBe(true)
        break
      }
      case 'attempt':
        m.attempt({ addr: POOL[o.a]!, port: PORTS[o.port]! }, o.count)
        break
      case 'connected':
        m.connected({ addr: POOL[o.a]!, port: PORTS[o.port]! })
        break
      case 'services': {
        const s = { addr: POOL[o.a]!, port: PORTS[o.port]! }
        m.setServices(s, BigInt(o.services))
        const found = m.find(s)
        if (found) expect(found.services).toBe(BigInt(o.services))
        break
      }
      case 'select': {
        const picked = m.select({
          newOnly: o.newOnly,
          networks: o.net < 0 ? undefined : [o.net as Network],
          newBias: o.bias < 0 ? undefined : o.bias,
          tries: o.tries,
        })
        if (picked) {
          const entry = m.find(picked)
          expect(entry, fmt(picked)).toBeDefined()
          if (o.newOnly) expect(entry!.tried).toBe(false)
          if (o.net >= 0) expect(picked.addr.getNetwork()).toBe(o.net)
          if (o.tries < 50 && (picked.addr.isIPv4() || picked.addr.isIPv6())) expect(picked.port).not.toBe(22)
        }
        break
      }
      case 'getaddr': {
        const got = m.getAddresses(o.max, o.pct)
        if (o.max !== 0) expect(got.length).toBeLessThanOrEqual(o.max)
        expect(new Set(got.map(fmt)).size).toBe(got.length)
        for (const g of got) expect(m.find(g)).toBeDefined()
        break
      }
      case 'resolve':
        m.resolveCollisions()
        expect(m.collisionCount).toBeLessThanOrEqual(10)
        break
      case 'collision': {
        const occupant = m.selectTriedCollision()
        if (occupant) expect(m.find(occupant)!.tried).toBe(true)
        break
      }
      case 'tick':
        seconds += o.seconds
        break
      case 'saveLoad': {
        const file = serializePeersDat(m, MAINNET_MAGIC)
        const counts = m.counts()
        m = deserializePeersDat(file, MAINNET_MAGIC, { now, random }).addrman
        expect(m.counts()).toEqual(counts)
        expect(Buffer.from(serializePeersDat(m, MAINNET_MAGIC)).equals(Buffer.from(file))).toBe(true)
        break
      }
    }
    m.checkConsistency()
    expect(m.find({ addr: POOL[POOL.length - 1]!, port: 8333 })).toBeUndefined()
  }
}

describe('random operation sequences keep every invariant', () => {
  it('add/good/attempt/select/getaddr/collisions/time/save/load', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 50, maxLength: 300 }), fc.nat(), (ops, seed) =>
        run(ops, seed),
      ),
      { numRuns: 40 },
    )
  }, 120_000)

  it('a long single run that fills the table', () => {
    const ops = fc.sample(fc.array(opArb, { minLength: 1500, maxLength: 1500 }), { numRuns: 1, seed: 42 })[0]!
    run(ops, 7)
  }, 120_000)
})
