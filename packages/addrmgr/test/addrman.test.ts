/**
 * Core's addrman_tests.cpp cases, replayed with Core's deterministic key
 * (K0) and RNG, plus our additions (bias, bad ports, local switch).
 */
import { describe, expect, it } from 'vitest'
import {
  AddrMan,
  FastRandom,
  getChance,
  isTerrible,
  NetAddress,
  Network,
  newBiasForOutbound,
  type RandomSource,
} from '../src/index.ts'
import { Clock, caddr, deterministic, fmt, ip, svc } from './helpers.ts'

describe('basic operations (addrman_simple, addrman_ports, addrman_select)', () => {
  it('adds, deduplicates and selects', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    const source = ip('252.2.2.2')
    expect(m.size()).toBe(0)
    expect(m.select()).toBeUndefined()
    expect(m.add(caddr('250.1.1.1', 8333), source)).toBe(1)
    expect(m.size()).toBe(1)
    expect(fmt(m.select())).toBe('250.1.1.1:8333')
    expect(m.add(caddr('250.1.1.1', 8333), source)).toBe(0)
    expect(m.size()).toBe(1)
    expect(m.add(caddr('250.1.1.2', 8333), source)).toBe(1)
    expect(m.size()).toBeGreaterThanOrEqual(1)
    const again = deterministic(clock)
    expect(again.add([caddr('250.1.1.3', 8333), caddr('250.1.1.4', 8333)], source)).toBeGreaterThanOrEqual(1)
    m.checkConsistency()
  })

  it('keys entries by address and port (format 4)', () => {
    const m = deterministic(new Clock())
    const source = ip('252.2.2.2')
    expect(m.add(caddr('250.1.1.1', 8333), source)).toBe(1)
    expect(m.add(caddr('250.1.1.1', 8334), source)).toBe(1)
    expect(m.size()).toBe(2)
    expect(['250.1.1.1:8333', '250.1.1.1:8334']).toContain(fmt(m.select()))
    m.good(svc('250.1.1.1', 8334))
    expect(m.size()).toBe(2)
    expect(fmt(m.select({ newOnly: true }))).toBe('250.1.1.1:8333')
  })

  it('selects from new and tried regardless of port', () => {
    const m = deterministic(new Clock())
    expect(m.select({ newOnly: false })).toBeUndefined()
    expect(m.select({ newOnly: true })).toBeUndefined()
    const source = ip('252.2.2.2')
    const addr1 = svc('250.1.1.1', 8333)
    expect(m.add(caddr('250.1.1.1', 8333), source)).toBe(1)
    expect(fmt(m.select({ newOnly: true }))).toBe('250.1.1.1:8333')
    expect(m.good(addr1)).toBe(true)
    expect(m.select({ newOnly: true })).toBeUndefined()
    expect(fmt(m.select())).toBe('250.1.1.1:8333')
    expect(m.add(caddr('250.3.1.1', 8333), ip('250.3.1.1'))).toBe(1)
    expect(fmt(m.select({ newOnly: true }))).toBe('250.3.1.1:8333')
    expect(m.add(caddr('250.3.2.2', 9999), ip('250.3.1.1'))).toBe(1)
    expect(m.add(caddr('250.3.3.3', 9999), ip('250.4.1.1'))).toBe(1)
    expect(m.add(caddr('250.4.4.4', 8333), ip('250.3.2.2'))).toBe(1)
    expect(m.good(svc('250.4.4.4', 8333))).toBe(true)
    expect(m.add(caddr('250.4.5.5', 7777), ip('250.3.2.2'))).toBe(1)
    expect(m.good(svc('250.4.5.5', 7777))).toBe(true)
    expect(m.add(caddr('250.4.6.6', 8333), ip('250.1.1.3'))).toBe(1)
    expect(m.good(svc('250.4.6.6', 8333))).toBe(true)
    expect(m.size()).toBe(7)
    const ports = new Set<number>()
    for (let i = 0; i < 20; i++) ports.add(m.select()!.port)
    expect(ports.size).toBe(3)
  })
})

describe('select by network (addrman_select_by_network, addrman_select_special)', () => {
  const I2P_1 = 'udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p'
  const I2P_2 = 'c4gfnttsuwqomiygupdqqqyy5y5emnk5c73hrfvatri67prd7vyq.b32.i2p'

  it('filters by network and searches both tables', () => {
    const m = deterministic(new Clock())
    expect(m.select({ newOnly: true, networks: [Network.IPV4] })).toBeUndefined()
    const source = ip('252.2.2.2')
    m.add(caddr('250.1.1.1', 8333), source)
    expect(fmt(m.select({ newOnly: true, networks: [Network.IPV4] }))).toBe('250.1.1.1:8333')
    expect(fmt(m.select({ networks: [Network.IPV4] }))).toBe('250.1.1.1:8333')
    for (const n of [Network.IPV6, Network.ONION, Network.I2P, Network.CJDNS]) {
      expect(m.select({ networks: [n] })).toBeUndefined()
    }
    expect(m.add(caddr(I2P_1, 0), source)).toBe(1)
    expect(m.select({ newOnly: true, networks: [Network.I2P] })!.addr.toString()).toBe(I2P_1)
    expect(fmt(m.select({ networks: [Network.IPV4] }))).toBe('250.1.1.1:8333')
    expect(m.select({ networks: [Network.IPV4, Network.I2P] })).toBeDefined()
    expect(m.select({ networks: [Network.IPV6, Network.ONION, Network.CJDNS] })).toBeUndefined()
    expect(m.good(svc(I2P_1, 0))).toBe(true)
    expect(m.select({ newOnly: true, networks: [Network.I2P] })).toBeUndefined()
    expect(m.select({ networks: [Network.I2P] })!.addr.toString()).toBe(I2P_1)
    expect(m.add(caddr(I2P_2, 0), source)).toBe(1)
    expect(m.select({ newOnly: true, networks: [Network.I2P] })!.addr.toString()).toBe(I2P_2)
    let newSeen = false
    let triedSeen = false
    for (let i = 0; i < 256 && !(newSeen && triedSeen); i++) {
      const s = m.select({ networks: [Network.I2P] })!
      expect([I2P_1, I2P_2]).toContain(s.addr.toString())
      if (s.addr.toString() === I2P_1) triedSeen = true
      else newSeen = true
    }
    expect(newSeen && triedSeen).toBe(true)
  })

  it('picks the new table when only it holds the requested network (non-deterministic manager)', () => {
    for (let run = 0; run < 20; run++) {
      const m = new AddrMan({ now: new Clock().now })
      const source = ip('252.2.2.2')
      m.add(caddr(I2P_1, 0), source)
      expect(m.good(svc(I2P_1, 0))).toBe(true)
      m.add(caddr('250.1.1.3', 8333), source)
      expect(fmt(m.select({ networks: [Network.IPV4] }))).toBe('250.1.1.3:8333')
    }
  })
})

describe('collisions with K0 (addrman_new_collisions, addrman_tried_collisions)', () => {
  it('new table: 250.1.1.1–.22 fit, .23 replaces a terrible occupant', () => {
    const m = deterministic(new Clock())
    const source = ip('252.2.2.2')
    let n = 0
    while (n < 22) {
      expect(m.add(caddr(`250.1.1.${++n}`), source)).toBe(1)
      expect(m.size()).toBe(n)
    }
    // .23 lands in .22's slot; .22 is terrible (time 1973), so it is replaced.
    expect(m.add(caddr(`250.1.1.${++n}`), source)).toBe(1)
    expect(m.size()).toBe(n - 1)
    expect(m.find(svc('250.1.1.22'))).toBeUndefined()
    expect(m.add(caddr(`250.1.1.${++n}`), source)).toBe(1)
    expect(m.size()).toBe(n - 1)
  })

  it('new table: a collision with a healthy occupant keeps the occupant', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    const source = ip('252.2.2.2')
    for (let i = 1; i <= 22; i++) m.add(caddr(`250.1.1.${i}`, 0, clock.seconds), source)
    expect(m.add(caddr('250.1.1.23', 0, clock.seconds), source)).toBe(0)
    expect(m.size()).toBe(22)
    expect(m.find(svc('250.1.1.23'))).toBeUndefined()
  })

  it('tried table: Good works for .1–.35, .36 collides (with .19), .37 moves', () => {
    const m = deterministic(new Clock())
    const source = ip('252.2.2.2')
    for (let i = 1; i <= 35; i++) {
      expect(m.add(caddr(`250.1.1.${i}`), source)).toBe(1)
      expect(m.good(svc(`250.1.1.${i}`))).toBe(true)
    }
    expect(m.add(caddr('250.1.1.36'), source)).toBe(1)
    expect(m.good(svc('250.1.1.36'))).toBe(false)
    expect(m.collisionCount).toBe(1)
    expect(fmt(m.selectTriedCollision())).toBe('250.1.1.19:0')
    expect(m.add(caddr('250.1.1.37'), source)).toBe(1)
    expect(m.good(svc('250.1.1.37'))).toBe(true)
  })

  it('multiplicity stays 1 without newer times and reaches 8 with them (addrman_new_multiplicity)', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    const start = clock.seconds
    const a = svc('253.3.3.3', 8333)
    for (let i = 1; i < 20; i++) m.add({ ...a, time: start, services: 0n }, ip(`${i % 256}.${i >> 8}.1.1`))
    expect(m.findPosition(a)!.multiplicity).toBe(1)
    expect(m.size()).toBe(1)
    for (let i = 1; i < 400; i++)
      m.add({ ...a, time: start + i, services: 0n }, ip(`${i % 256}.${i >> 8}.1.1`))
    expect(m.findPosition(a)!.multiplicity).toBe(8)
    expect(m.size()).toBe(1)
  })
})

describe('getaddr (addrman_getaddr, getaddr_unfiltered)', () => {
  it('returns 23% of 2,006 entries: 461', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    expect(m.getAddresses(0, 0)).toHaveLength(0)
    const now = clock.seconds
    const source1 = ip('250.1.2.1')
    const source2 = ip('250.2.3.3')
    m.add(
      [caddr('250.250.2.1', 8333, now), caddr('251.252.2.3', 8333, now), caddr('252.254.4.5', 8333, now)],
      source1,
    )
    m.add([caddr('250.251.2.2', 9999, now), caddr('252.253.3.4', 8333, now)], source2)
    expect(m.getAddresses(0, 0)).toHaveLength(5)
    expect(m.getAddresses(2500, 23)).toHaveLength(1)
    m.good(svc('250.250.2.1', 8333))
    m.good(svc('250.251.2.2', 9999))
    expect(m.getAddresses(0, 0)).toHaveLength(5)
    expect(m.getAddresses(2500, 23)).toHaveLength(1)
    for (let i = 1; i < 8 * 256; i++) {
      const text = `${i % 256}.${i >> 8}.1.23`
      m.add(caddr(text, 0, now), ip(text))
      if (i % 8 === 0) m.good(svc(text))
    }
    const got = m.getAddresses(2500, 23)
    expect(got).toHaveLength(Math.floor((m.size() * 23) / 100))
    expect(got).toHaveLength(461)
    expect(m.size()).toBe(2006)
    // No duplicates in one answer.
    expect(new Set(got.map((a) => fmt(a))).size).toBe(got.length)
    // A network filter uses the network class.
    expect(m.getAddresses(0, 0, Network.IPV6)).toHaveLength(0)
    expect(m.getAddresses(0, 0, Network.IPV4).length).toBe(2006)
  })

  it('filters terrible entries unless asked not to', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    const source = ip('250.1.2.1')
    m.add([caddr('250.250.2.1', 8333, clock.seconds), caddr('250.251.2.2', 9999)], source)
    const addr3 = svc('250.251.2.3', 9998)
    m.good(addr3, clock.seconds)
    m.add(caddr('250.251.2.3', 9998, clock.seconds), source)
    for (let i = 0; i < 3; i++) m.attempt(addr3, true, clock.seconds - 61)
    expect(m.getAddresses(0, 0)).toHaveLength(1)
    expect(m.getAddresses(0, 0, undefined, false)).toHaveLength(3)
  })
})

describe('test-before-evict (addrman_selecttriedcollision, addrman_noevict, addrman_evictionworks)', () => {
  it('does not count duplicates as collisions', () => {
    const m = deterministic(new Clock())
    expect(m.selectTriedCollision()).toBeUndefined()
    const source = ip('252.2.2.2')
    for (let i = 1; i < 23; i++) {
      expect(m.add(caddr(`250.1.1.${i}`), source)).toBe(1)
      expect(m.good(svc(`250.1.1.${i}`))).toBe(true)
      expect(m.selectTriedCollision()).toBeUndefined()
    }
    for (let i = 1; i < 23; i++) {
      expect(m.good(svc(`250.1.1.${i}`))).toBe(false)
      expect(m.selectTriedCollision()).toBeUndefined()
    }
  })

  it('keeps an occupant that succeeded recently', () => {
    const m = deterministic(new Clock())
    const source = ip('252.2.2.2')
    for (let i = 1; i < 36; i++) {
      m.add(caddr(`250.1.1.${i}`), source)
      expect(m.good(svc(`250.1.1.${i}`))).toBe(true)
    }
    m.add(caddr('250.1.1.36'), source)
    expect(m.good(svc('250.1.1.36'))).toBe(false)
    expect(fmt(m.selectTriedCollision())).toBe('250.1.1.19:0')
    m.resolveCollisions()
    expect(m.selectTriedCollision()).toBeUndefined()
    for (let i = 37; i < 59; i++) {
      m.add(caddr(`250.1.1.${i}`), source)
      expect(m.good(svc(`250.1.1.${i}`))).toBe(true)
    }
    m.add(caddr('250.1.1.59'), source)
    expect(m.good(svc('250.1.1.59'))).toBe(false)
    expect(fmt(m.selectTriedCollision())).toBe('250.1.1.10:0')
    expect(m.add(caddr('250.1.1.36'), source)).toBe(0)
    expect(m.good(svc('250.1.1.36'))).toBe(false)
    expect(m.collisionCount).toBe(2)
    expect(m.selectTriedCollision()).toBeDefined()
    m.resolveCollisions()
    expect(m.selectTriedCollision()).toBeUndefined()
    expect(m.collisionCount).toBe(0)
  })

  it('evicts an occupant that fails its test, and after the test window anyway', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    const source = ip('252.2.2.2')
    for (let i = 1; i < 36; i++) {
      m.add(caddr(`250.1.1.${i}`), source)
      expect(m.good(svc(`250.1.1.${i}`))).toBe(true)
    }
    const addr36 = svc('250.1.1.36')
    m.add(caddr('250.1.1.36'), source)
    expect(m.good(addr36)).toBe(false)
    const occupant = m.selectTriedCollision()!
    expect(fmt(occupant)).toBe('250.1.1.19:0')
    // The test of 19 fails: last success in the deep past, tried 61 s ago.
    expect(m.good(occupant, 1)).toBe(false)
    m.attempt(occupant, false, clock.seconds - 61)
    m.resolveCollisions()
    expect(m.selectTriedCollision()).toBeUndefined()
    expect(m.findPosition(addr36)!.tried).toBe(true)
    expect(m.good(addr36)).toBe(false)
    expect(m.selectTriedCollision()).toBeUndefined()
    const addr19 = svc('250.1.1.19')
    expect(m.good(addr19)).toBe(false)
    expect(fmt(m.selectTriedCollision())).toBe('250.1.1.36:0')
    clock.seconds += 4 * 3600
    m.resolveCollisions()
    expect(m.selectTriedCollision()).toBeUndefined()
    expect(m.findPosition(addr19)!.tried).toBe(true)
    expect(m.findPosition(addr36)!.tried).toBe(false)
    m.checkConsistency()
  })

  it('parks at most 10 collisions', () => {
    const m = deterministic(new Clock())
    const source = ip('252.2.2.2')
    let parked = 0
    for (let i = 1; i < 255 && parked < 15; i++) {
      m.add(caddr(`250.1.1.${i}`), source)
      if (!m.good(svc(`250.1.1.${i}`)) && m.find(svc(`250.1.1.${i}`))) parked++
    }
    for (let i = 1; i < 255 && parked < 15; i++) {
      m.add(caddr(`250.2.1.${i}`), source)
      if (!m.good(svc(`250.2.1.${i}`)) && m.find(svc(`250.2.1.${i}`))) parked++
    }
    expect(parked).toBeGreaterThan(10)
    expect(m.collisionCount).toBe(10)
    m.checkConsistency()
  })
})

describe('updates (addrman_update_address, addrman_size)', () => {
  it('Connected, SetServices and Add update only the entry with the same port', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    const source = ip('252.2.2.2')
    const start = clock.seconds - 10000
    expect(m.add(caddr('250.1.1.1', 8333, start), source)).toBe(1)
    expect(m.size()).toBe(1)
    const diffPort = svc('250.1.1.1', 8334)
    m.connected(diffPort)
    m.setServices(diffPort, 1024n)
    let all = m.getAddresses(0, 0)
    expect(all).toHaveLength(1)
    expect(all[0]!.time).toBe(start)
    expect(all[0]!.services).toBe(0n)
    const addr = svc('250.1.1.1', 8333)
    m.connected(addr)
    m.setServices(addr, 1024n) // NODE_NETWORK_LIMITED
    all = m.getAddresses(0, 0)
    expect(all[0]!.time).toBeGreaterThanOrEqual(start + 10000)
    expect(all[0]!.services).toBe(1024n)
    // Add() ORs services in, never removes.
    expect(m.add(caddr('250.1.1.1', 8333, start, 2048n), source)).toBe(0) // NODE_P2P_V2
    expect(m.getAddresses(0, 0)[0]!.services).toBe(2048n | 1024n)
    // SetServices() overwrites.
    m.setServices(addr, 1n)
    expect(m.getAddresses(0, 0)[0]!.services).toBe(1n)
    expect(m.good(addr)).toBe(true)
    expect(m.getAddresses(0, 0)[0]!.services).toBe(1n)
    expect(m.add(caddr('250.1.1.1', 8333, start, 2048n), source)).toBe(0)
    expect(m.getAddresses(0, 0)[0]!.services).toBe(1n | 2048n)
  })

  it('counts per network and table', () => {
    const m = deterministic(new Clock())
    const source = ip('252.2.2.2')
    expect(m.size()).toBe(0)
    expect(m.size(Network.IPV4)).toBe(0)
    expect(m.size(undefined, 'new')).toBe(0)
    expect(m.size(Network.IPV4, 'tried')).toBe(0)
    m.add(caddr('250.1.1.1', 8333), source)
    expect(m.good(svc('250.1.1.1', 8333))).toBe(true)
    m.add(caddr('250.1.1.2', 8333), source)
    expect(m.size()).toBe(2)
    expect(m.size(Network.IPV4)).toBe(2)
    expect(m.size(undefined, 'new')).toBe(1)
    expect(m.size(undefined, 'tried')).toBe(1)
    expect(m.size(Network.IPV4, 'new')).toBe(1)
    expect(m.size(Network.IPV4, 'tried')).toBe(1)
    m.add(caddr('UDHDrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.I2P', 0), source)
    expect(m.size()).toBe(3)
    expect(m.size(Network.IPV4)).toBe(2)
    expect(m.size(Network.I2P)).toBe(1)
    expect(m.size(Network.I2P, 'new')).toBe(1)
    expect(m.size(undefined, 'new')).toBe(2)
    expect(m.size(undefined, 'tried')).toBe(1)
    expect(m.counts()).toEqual({
      new: 2,
      tried: 1,
      total: 3,
      byNetwork: { [Network.IPV4]: { new: 1, tried: 1 }, [Network.I2P]: { new: 1, tried: 0 } },
    })
  })

  it('applies the 2 h time penalty, but not to self-announcements, and refreshes times', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    const now = clock.seconds
    m.add(caddr('250.1.1.1', 8333, now), ip('252.2.2.2'), 7200)
    expect(m.find(svc('250.1.1.1', 8333))!.time).toBe(now - 7200)
    m.add(caddr('250.1.1.2', 8333, now), ip('250.1.1.2'), 7200)
    expect(m.find(svc('250.1.1.2', 8333))!.time).toBe(now)
    // Seen again 3 h later (within 24 h: refreshed when over 1 h + penalty stale).
    m.add(caddr('250.1.1.1', 8333, now + 3 * 3600), ip('252.2.2.2'), 7200)
    expect(m.find(svc('250.1.1.1', 8333))!.time).toBe(now + 3 * 3600 - 7200)
    // Unroutable addresses are never stored.
    expect(m.add(caddr('10.0.0.1', 8333, now), ip('252.2.2.2'))).toBe(0)
    expect(m.add(caddr('127.0.0.1', 8333, now), ip('252.2.2.2'))).toBe(0)
    expect(m.add(caddr('2001:db8::1', 8333, now), ip('252.2.2.2'))).toBe(0)
    expect(m.add(caddr('3fff::1', 8333, now), ip('252.2.2.2'))).toBe(0)
    expect(m.size()).toBe(2)
  })

  it("keeps times in Core's u32 range", () => {
    const clock = new Clock()
    const m = deterministic(clock)
    m.add(caddr('250.1.1.1', 8333, -5), ip('252.2.2.2'))
    m.add(caddr('250.1.1.2', 8333, 2 ** 40), ip('252.2.2.2'))
    expect(m.find(svc('250.1.1.1', 8333))!.time).toBe(0)
    expect(m.find(svc('250.1.1.2', 8333))!.time).toBe(0xffffffff)
  })

  it('counts a failure at most once per success anywhere (Attempt)', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    const a = svc('250.1.1.1', 8333)
    m.add(caddr('250.1.1.1', 8333, clock.seconds), ip('252.2.2.2'))
    m.attempt(a, true)
    m.attempt(a, true)
    expect(m.find(a)!.attempts).toBe(1)
    expect(m.find(a)!.lastTry).toBe(clock.seconds)
    // A success anywhere (even for an unknown address) re-arms counting.
    clock.seconds += 10
    m.good(svc('250.9.9.9', 8333))
    m.attempt(a, true)
    expect(m.find(a)!.attempts).toBe(2)
    m.attempt(a, false)
    expect(m.find(a)!.attempts).toBe(2)
  })
})

describe('IsTerrible and GetChance (Core; btcd TestChance/TestIsBad as contrast)', () => {
  const now = 1_700_000_000
  const e = (o: Partial<{ time: number; lastTry: number; lastSuccess: number; attempts: number }>) => ({
    time: now,
    lastTry: 0,
    lastSuccess: 0,
    attempts: 0,
    ...o,
  })
  const terrible: Array<[string, ReturnType<typeof e>, boolean]> = [
    ['fresh', e({}), false],
    ['tried 60 s ago, otherwise awful', e({ lastTry: now - 60, time: 0, attempts: 99 }), false],
    ['tried 61 s ago, from the future', e({ lastTry: now - 61, time: now + 601 }), true],
    ['10 minutes ahead is fine', e({ time: now + 600 }), false],
    ['30 days old is fine', e({ time: now - 30 * 86400 }), false],
    ['over 30 days old', e({ time: now - 30 * 86400 - 1 }), true],
    ['3 failures, never a success', e({ attempts: 3 }), true],
    ['2 failures, never a success', e({ attempts: 2 }), false],
    ['10 failures, success 8 days ago', e({ attempts: 10, lastSuccess: now - 8 * 86400 }), true],
    ['10 failures, success 6 days ago', e({ attempts: 10, lastSuccess: now - 6 * 86400 }), false],
    ['9 failures, success 8 days ago', e({ attempts: 9, lastSuccess: now - 8 * 86400 }), false],
  ]
  it.each(terrible)('%s', (_name, entry, want) => {
    expect(isTerrible(entry, now)).toBe(want)
  })

  it('computes the odds', () => {
    expect(getChance(e({}), now)).toBe(1)
    expect(getChance(e({ lastTry: now - 599 }), now)).toBeCloseTo(0.01, 12)
    expect(getChance(e({ lastTry: now - 600 }), now)).toBe(1)
    expect(getChance(e({ attempts: 1 }), now)).toBeCloseTo(0.66, 12)
    expect(getChance(e({ attempts: 2 }), now)).toBeCloseTo(0.66 ** 2, 12)
    // Capped at 8 attempts: floor ≈ 0.036 (btcd has no cap: 1/1.5^n).
    expect(getChance(e({ attempts: 8 }), now)).toBeCloseTo(0.66 ** 8, 12)
    expect(getChance(e({ attempts: 50 }), now)).toBeCloseTo(0.66 ** 8, 12)
    expect(getChance(e({ attempts: 50 }), now)).toBeGreaterThan(0.036)
    expect(getChance(e({ attempts: 2, lastTry: now }), now)).toBeCloseTo(0.01 * 0.66 ** 2, 12)
  })

  it('select() prefers entries with better odds', () => {
    const clock = new Clock()
    const m = deterministic(clock, { consistencyCheckRatio: 0 })
    const good = svc('250.1.1.1', 8333)
    const bad = svc('251.1.1.1', 8333)
    m.add(caddr('250.1.1.1', 8333, clock.seconds), ip('250.1.1.1'))
    m.add(caddr('251.1.1.1', 8333, clock.seconds), ip('251.1.1.1'))
    m.attempt(bad, true) // tried just now: chance × 0.01 × 0.66
    let goodCount = 0
    for (let i = 0; i < 400; i++) if (fmt(m.select()) === fmt(good)) goodCount++
    expect(goodCount).toBeGreaterThan(300)
  })
})

describe('additions: bias, bad ports, local switch', () => {
  it('newBiasForOutbound follows 10 + 10 × min(outbound, 8)', () => {
    expect(newBiasForOutbound(0)).toBe(10)
    expect(newBiasForOutbound(4)).toBe(50)
    expect(newBiasForOutbound(8)).toBe(90)
    expect(newBiasForOutbound(20)).toBe(90)
  })

  it('biases the table choice', () => {
    const clock = new Clock()
    const m = deterministic(clock, { consistencyCheckRatio: 0 })
    for (let i = 1; i <= 50; i++) {
      m.add(caddr(`250.${i}.1.1`, 8333, clock.seconds), ip(`250.${i}.1.1`))
      if (i <= 25) m.good(svc(`250.${i}.1.1`, 8333))
    }
    const share = (bias: number): number => {
      let tried = 0
      for (let i = 0; i < 2000; i++) if (m.select({ newBias: bias })!.tried) tried++
      return tried / 2000
    }
    expect(share(newBiasForOutbound(0))).toBeGreaterThan(0.8)
    expect(share(newBiasForOutbound(8))).toBeLessThan(0.2)
    const coin = (() => {
      let tried = 0
      for (let i = 0; i < 2000; i++) if (m.select()!.tried) tried++
      return tried / 2000
    })()
    expect(coin).toBeGreaterThan(0.4)
    expect(coin).toBeLessThan(0.6)
  })

  it('skips bad ports until the caller is desperate (50 tries)', () => {
    const clock = new Clock()
    const m = deterministic(clock)
    m.add(caddr('250.1.1.1', 22, clock.seconds), ip('252.2.2.2'))
    expect(m.select()).toBeUndefined()
    expect(m.select({ tries: 49 })).toBeUndefined()
    expect(fmt(m.select({ tries: 50 }))).toBe('250.1.1.1:22')
    m.add(caddr('250.2.1.1', 8333, clock.seconds), ip('252.2.2.2'))
    for (let i = 0; i < 50; i++) expect(fmt(m.select())).toBe('250.2.1.1:8333')
    // Bad ports only concern IPv4/IPv6; an I2P address on port 22 is fine.
    const i2p = 'udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p'
    m.add(caddr(i2p, 22, clock.seconds), ip('252.2.2.2'))
    expect(m.select({ networks: [Network.I2P] })!.addr.toString()).toBe(i2p)
    expect(m.good(svc('250.1.1.1', 22))).toBe(true)
    expect(m.select({ networks: [Network.IPV4], newOnly: false, tries: 0 })!.port).toBe(8333)
    m.checkConsistency()
  })

  it('stores loopback addresses only under the test-only switch, each address and port its own group', () => {
    const clock = new Clock()
    const plain = deterministic(clock)
    expect(plain.add(caddr('127.0.0.1', 18444, clock.seconds), ip('127.0.0.1'))).toBe(0)
    const local = deterministic(clock, { localRoutable: true })
    for (let port = 20000; port < 20010; port++) {
      expect(local.add(caddr('127.0.0.1', port, clock.seconds), ip('127.0.0.1'))).toBe(1)
    }
    expect(local.size(Network.IPV4)).toBe(10)
    expect(Buffer.from(local.getGroup(ip('127.0.0.1'), 20000))).not.toEqual(
      Buffer.from(local.getGroup(ip('127.0.0.1'), 20001)),
    )
    expect(local.good(svc('127.0.0.1', 20003))).toBe(true)
    expect(local.select()).toBeDefined()
    local.checkConsistency()
  })

  it('takes an injected random source and clock', () => {
    let draws = 0
    const base = FastRandom.deterministic()
    const counting: RandomSource = {
      randbits: (b) => {
        draws++
        return base.randbits(b)
      },
      randrange: (r) => {
        draws++
        return base.randrange(r)
      },
      randbool: () => {
        draws++
        return base.randbool()
      },
      randbytes: (n) => base.randbytes(n),
    }
    const clock = new Clock(1_000_000)
    const m = new AddrMan({ random: counting, now: clock.now })
    m.add(caddr('250.1.1.1', 8333, 1_000_000), ip('252.2.2.2'))
    expect(m.find(svc('250.1.1.1', 8333))!.time).toBe(1_000_000)
    m.select()
    expect(draws).toBeGreaterThan(0)
    expect(() => new AddrMan({}, { key: new Uint8Array(5) })).toThrow(RangeError)
    expect(m.key).toHaveLength(32)
    expect(NetAddress.parse('250.1.1.1').equals(m.select()!.addr)).toBe(true)
  })
})
