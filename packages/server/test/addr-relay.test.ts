import { readFileSync } from 'node:fs'
import { FastRandom } from '@node/addrmgr'
import { describe, expect, it } from 'vitest'
import {
  AddrRelayTargets,
  AddrResponseCache,
  AddrTokenBucket,
  addrCacheKey,
  fixAddressTime,
  hasUsefulServices,
  isRelayableNetwork,
  PeerAddrState,
  serviceHash,
  shouldRelayAddress,
} from '../src/addr-relay.ts'
import { sipKeyFromBytes } from '../src/siphash.ts'

const NOW = 1_700_000_000 // seconds
const HOUR = 3600 * 1000

/** A clock the test moves by hand (milliseconds). */
function fakeClock(startMs = NOW * 1000): { now(): number; advance(ms: number): void } {
  let t = startMs
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
  }
}

/** A "random" source that never shuffles (always picks the last index). */
const noShuffle = { randrange: (n: number) => n - 1 }

describe('fixAddressTime (Core: ≤ 100000000 or > now + 10 min becomes now − 5 days)', () => {
  const table: [string, number, number][] = [
    ['a normal recent time is kept', NOW - 3600, NOW - 3600],
    ['exactly now is kept', NOW, NOW],
    ['10 minutes ahead is kept', NOW + 600, NOW + 600],
    ['10 minutes and 1 s ahead is replaced', NOW + 601, NOW - 5 * 86400],
    ['far future is replaced', 4_000_000_000, NOW - 5 * 86400],
    ['100000000 itself is replaced', 100_000_000, NOW - 5 * 86400],
    ['100000001 is kept', 100_000_001, 100_000_001],
    ['zero is replaced', 0, NOW - 5 * 86400],
  ]
  it.each(table)('%s', (_name, time, want) => {
    expect(fixAddressTime(time, NOW)).toBe(want)
  })
})

describe('shouldRelayAddress', () => {
  const base = { time: NOW - 60, now: NOW, messageSize: 1, routable: true, solicited: false }
  const table: [string, Partial<typeof base>, boolean][] = [
    ['fresh, unsolicited, small, routable', {}, true],
    ['9 min 59 s old', { time: NOW - 599 }, true],
    ['exactly 10 minutes old', { time: NOW - 600 }, false],
    ['an hour old', { time: NOW - 3600 }, false],
    ['in a message of 10', { messageSize: 10 }, true],
    ['in a message of 11', { messageSize: 11 }, false],
    ['unroutable', { routable: false }, false],
    ['a reply to our getaddr', { solicited: true }, false],
  ]
  it.each(table)('%s', (_name, patch, want) => {
    expect(shouldRelayAddress({ ...base, ...patch })).toBe(want)
  })
})

describe('hasUsefulServices and isRelayableNetwork', () => {
  it.each([
    [0n, false],
    [1n, true], // NODE_NETWORK
    [1024n, true], // NODE_NETWORK_LIMITED
    [8n, false], // NODE_WITNESS alone
    [1n | 8n, true],
  ])('services %s -> %s', (services, want) => {
    expect(hasUsefulServices(services)).toBe(want)
  })
  it.each([
    [0, false],
    [1, true],
    [2, true],
    [3, true],
    [4, true],
    [5, true],
    [6, false],
    [7, false],
  ])('network %s relayable -> %s', (net, want) => {
    expect(isRelayableNetwork(net)).toBe(want)
  })
})

describe('AddrTokenBucket (Core: 0.1/s, cap 1000, start 1, +1000 on getaddr)', () => {
  it('starts with one token', () => {
    const clock = fakeClock()
    const b = new AddrTokenBucket(clock)
    b.refill()
    expect(b.take()).toBe(true)
    expect(b.take()).toBe(false)
  })

  it('earns 0.1 token per second', () => {
    const clock = fakeClock()
    const b = new AddrTokenBucket(clock)
    clock.advance(100_000) // 100 s -> 10 tokens
    b.refill()
    expect(b.tokens).toBeCloseTo(11, 9)
    let taken = 0
    while (b.take()) taken++
    expect(taken).toBe(11)
  })

  it('stops at 1000', () => {
    const clock = fakeClock()
    const b = new AddrTokenBucket(clock)
    clock.advance(1_000_000_000)
    b.refill()
    expect(b.tokens).toBe(1000)
  })

  it('a getaddr grants 1000 past the cap, and the refill then waits', () => {
    const clock = fakeClock()
    const b = new AddrTokenBucket(clock)
    clock.advance(1_000_000_000)
    b.refill()
    b.onGetAddrSent()
    expect(b.tokens).toBe(2000)
    clock.advance(100_000)
    b.refill()
    expect(b.tokens).toBe(2000)
  })

  it('time going backwards earns nothing', () => {
    const clock = fakeClock()
    const b = new AddrTokenBucket(clock)
    clock.advance(-50_000)
    b.refill()
    expect(b.tokens).toBe(1)
  })

  it('an exempt peer is never limited', () => {
    const b = new AddrTokenBucket(fakeClock(), { exempt: true })
    for (let i = 0; i < 5000; i++) expect(b.take()).toBe(true)
    expect(b.tokens).toBe(0)
  })
})

interface Addr {
  id: number
  time: number
  services: bigint
  routable?: boolean
  reachable?: boolean
  banned?: boolean
}

const hooks = {
  isRoutable: (a: Addr) => a.routable ?? true,
  isReachable: (a: Addr) => a.reachable ?? true,
  isBanned: (a: Addr) => a.banned ?? false,
}

function addrs(n: number, patch: Partial<Addr> = {}): Addr[] {
  return Array.from({ length: n }, (_, id) => ({ id, time: NOW - 30, services: 1n, ...patch }))
}

describe('PeerAddrState.receive', () => {
  it('a new peer gets one address through; the rest are rate limited', () => {
    const clock = fakeClock()
    const s = new PeerAddrState({ ...clock, random: noShuffle })
    const r = s.receive(addrs(5), hooks)
    expect(r.rateLimited).toBe(4)
    expect(r.processed).toBe(1)
    expect(r.store).toHaveLength(1)
    expect(r.relay).toHaveLength(1)
  })

  it('an unsolicited flood of 1000 after an hour: 361 pass (1 + 3600 × 0.1)', () => {
    const clock = fakeClock()
    const s = new PeerAddrState({ ...clock, random: FastRandom.deterministic() })
    clock.advance(HOUR)
    const r = s.receive(addrs(1000, { time: NOW - 600 }), hooks)
    expect(r.store).toHaveLength(361)
    expect(r.rateLimited).toBe(639)
    // More than 10 entries: none relayed.
    expect(r.relay).toHaveLength(0)
  })

  it('a getaddr reply of 1000 passes whole, is not relayed, and keeps the getaddr open', () => {
    const clock = fakeClock()
    const s = new PeerAddrState({ ...clock, random: FastRandom.deterministic() })
    s.onGetAddrSent()
    const r = s.receive(addrs(1000), hooks)
    expect(r.rateLimited).toBe(0)
    expect(r.store).toHaveLength(1000)
    expect(r.relay).toHaveLength(0)
    expect(s.getAddrSent).toBe(true)
    // A short message ends it; that message itself still counts as solicited.
    const r2 = s.receive(addrs(1), hooks)
    expect(r2.relay).toHaveLength(0)
    expect(s.getAddrSent).toBe(false)
    clock.advance(10_000)
    const r3 = s.receive(addrs(1), hooks)
    expect(r3.relay).toHaveLength(1)
  })

  it('spends tokens before the services and ban checks, as Core does', () => {
    const clock = fakeClock()
    const s = new PeerAddrState({ ...clock, random: noShuffle })
    clock.advance(20_000) // 1 + 2 tokens
    const list = [
      { id: 0, time: NOW, services: 8n }, // witness only: skipped, token spent
      { id: 1, time: NOW, services: 1n, banned: true }, // banned: skipped, token spent
      { id: 2, time: NOW, services: 1n },
    ]
    const r = s.receive(list, hooks)
    expect(r.processed).toBe(1)
    expect(r.rateLimited).toBe(0)
    expect(r.store.map((a) => a.id)).toEqual([2])
    expect(s.receive([{ id: 3, time: NOW, services: 1n }], hooks).rateLimited).toBe(1)
  })

  it('fixes timestamps on copies, stores only reachable, relays unreachable too', () => {
    const clock = fakeClock()
    const s = new PeerAddrState({ ...clock, random: noShuffle })
    clock.advance(100_000)
    const list: Addr[] = [
      { id: 0, time: 5, services: 1n },
      { id: 1, time: NOW, services: 1n, reachable: false },
      { id: 2, time: NOW, services: 1n, routable: false },
    ]
    const r = s.receive(list, hooks)
    const nowSec = NOW + 100
    expect(list[0]!.time).toBe(5)
    expect(r.store.map((a) => [a.id, a.time])).toEqual([
      [0, nowSec - 5 * 86400],
      [2, NOW],
    ])
    // 0 is old after the fix, 2 unroutable: only 1 is relayed, marked unreachable.
    expect(r.relay.map((x) => [x.addr.id, x.reachable])).toEqual([[1, false]])
  })

  it('shuffles before rate limiting, so which address passes is random', () => {
    const seen = new Set<number>()
    const rng = FastRandom.deterministic()
    for (let i = 0; i < 40; i++) {
      const s = new PeerAddrState({ ...fakeClock(), random: rng })
      seen.add(s.receive(addrs(10), hooks).store[0]!.id)
    }
    expect(seen.size).toBeGreaterThan(5)
  })
})

interface TargetCase {
  address: string
  net: number
  bytes: string
  port: number
  now: number
  reachable: boolean
  peers: number[]
  source: number
  serviceHash: string
  targets: number[]
}
const targetFixture = JSON.parse(
  readFileSync(new URL('./fixtures/addr-relay-targets.json', import.meta.url), 'utf8'),
) as { secret: string; cases: TargetCase[] }

describe('AddrRelayTargets (Core RelayAddress)', () => {
  const secret = sipKeyFromBytes(Buffer.from(targetFixture.secret, 'hex'))
  const targets = new AddrRelayTargets({ secret })

  it.each(targetFixture.cases)('$address at $now, reachable $reachable -> $targets', (c) => {
    const addr = { net: c.net, bytes: Buffer.from(c.bytes, 'hex'), port: c.port }
    expect(serviceHash(addr).toString(16).padStart(16, '0')).toBe(c.serviceHash)
    expect(
      targets.select(addr, { now: c.now, peers: c.peers, source: c.source, reachable: c.reachable }),
    ).toEqual(c.targets)
  })

  const addr = { net: 1, bytes: Uint8Array.of(8, 8, 4, 4), port: 8333 }
  const peers = Array.from({ length: 20 }, (_, i) => i)

  it('the same peers for a whole rotation window, whatever the order of the peer list', () => {
    // Core: window = (now + serviceHash) / 24 h, in uint64 arithmetic.
    const h = serviceHash(addr)
    const windowOf = (t: number): bigint => BigInt.asUintN(64, BigInt(t) + h) / 86400n
    const shuffled = [...peers].reverse()
    const byWindow = new Map<bigint, string>()
    let changes = 0
    let last: string | undefined
    for (let t = NOW; t < NOW + 5 * 86400; t += 600) {
      const chosen = targets.select(addr, {
        now: t,
        peers: t % 1200 === 0 ? peers : shuffled,
        source: undefined,
        reachable: true,
      })
      const key = chosen.join()
      const w = windowOf(t)
      if (byWindow.has(w)) expect(key).toBe(byWindow.get(w))
      byWindow.set(w, key)
      if (last !== undefined && key !== last) changes++
      last = key
    }
    expect(byWindow.size).toBeGreaterThanOrEqual(5)
    expect(changes).toBeGreaterThanOrEqual(1)
  })

  it('never the source, and 2 distinct peers', () => {
    for (let day = 0; day < 50; day++) {
      const now = NOW + day * 86400
      const chosen = targets.select(addr, { now, peers, source: undefined, reachable: true })
      expect(new Set(chosen).size).toBe(2)
      const without = targets.select(addr, { now, peers, source: chosen[0]!, reachable: true })
      expect(without).not.toContain(chosen[0])
      expect(without).toHaveLength(2)
    }
  })

  it('spreads over the peers across days', () => {
    const counts = new Map<number, number>()
    for (let day = 0; day < 400; day++) {
      for (const id of targets.select(addr, { now: NOW + day * 86400, peers, source: 0, reachable: true })) {
        counts.set(id, (counts.get(id) ?? 0) + 1)
      }
    }
    expect(counts.has(0)).toBe(false)
    expect(counts.size).toBe(19)
  })

  it('fewer peers than targets, and none', () => {
    expect(targets.select(addr, { now: NOW, peers: [4, 5], source: 4, reachable: true })).toEqual([5])
    expect(targets.select(addr, { now: NOW, peers: [], source: undefined, reachable: true })).toEqual([])
  })

  it('an unreachable address of an unrelayable network goes nowhere', () => {
    const internal = { net: 6, bytes: new Uint8Array(10), port: 0 }
    expect(targets.select(internal, { now: NOW, peers, source: undefined, reachable: false })).toEqual([])
    expect(targets.select(internal, { now: NOW, peers, source: undefined, reachable: true })).toHaveLength(2)
  })

  it('another secret picks other peers', () => {
    const other = new AddrRelayTargets({ secret: { k0: 1n, k1: 2n } })
    let differ = 0
    for (let day = 0; day < 20; day++) {
      const q = { now: NOW + day * 86400, peers, source: undefined, reachable: true }
      if (other.select(addr, q).join() !== targets.select(addr, q).join()) differ++
    }
    expect(differ).toBeGreaterThan(10)
  })

  it('bigint peer ids work too', () => {
    const ids = [1n, 2n, 3n]
    expect(targets.select(addr, { now: NOW, peers: ids, source: 2n, reachable: true }).sort()).toEqual([
      1n,
      3n,
    ])
  })
})

describe('AddrResponseCache (Core: renewed after 21 h + random(0–6 h))', () => {
  it('serves the same answer until it expires, then rebuilds', () => {
    const clock = fakeClock()
    const cache = new AddrResponseCache<number>({ ...clock, random: { randrange: () => 2 * HOUR } })
    let builds = 0
    const build = () => {
      builds++
      return [builds]
    }
    expect(cache.get('ipv4', build)).toEqual([1])
    clock.advance(23 * HOUR) // 21 h + 2 h: still valid at the boundary
    expect(cache.get('ipv4', build)).toEqual([1])
    clock.advance(1)
    expect(cache.get('ipv4', build)).toEqual([2])
    expect(builds).toBe(2)
  })

  it('keeps one answer per key', () => {
    const cache = new AddrResponseCache<string>({ ...fakeClock(), random: noShuffle })
    expect(cache.get('a', () => ['a'])).toEqual(['a'])
    expect(cache.get('b', () => ['b'])).toEqual(['b'])
    expect(cache.get('a', () => ['x'])).toEqual(['a'])
  })

  it('the lifetime is 21 h plus the random draw below 6 h', () => {
    const draws: number[] = []
    const clock = fakeClock()
    const cache = new AddrResponseCache<number>({
      ...clock,
      random: {
        randrange: (n) => {
          draws.push(n)
          return n - 1
        },
      },
    })
    cache.get('k', () => [1])
    expect(draws).toEqual([6 * HOUR])
    clock.advance(27 * HOUR - 1)
    expect(cache.get('k', () => [2])).toEqual([1])
    clock.advance(1)
    expect(cache.get('k', () => [3])).toEqual([3])
  })

  it('is bounded: the oldest answer goes first', () => {
    const clock = fakeClock()
    const cache = new AddrResponseCache<string>({ ...clock, random: noShuffle }, { maxEntries: 3 })
    for (const k of ['a', 'b', 'c', 'd']) cache.get(k, () => [k])
    expect(cache.size).toBe(3)
    expect(cache.get('a', () => ['new'])).toEqual(['new'])
    expect(cache.get('d', () => ['new'])).toEqual(['d'])
  })

  it('a copy of the built list is cached', () => {
    const cache = new AddrResponseCache<number>({ ...fakeClock(), random: noShuffle })
    const list = [1, 2]
    cache.get('k', () => list)
    list.push(3)
    expect(cache.get('k', () => [])).toEqual([1, 2])
  })

  it('rejects a bad bound', () => {
    expect(() => new AddrResponseCache({ random: noShuffle }, { maxEntries: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_POLICY_OPTION' }),
    )
  })

  it('cache keys ignore the local port of outbound connections', () => {
    expect(addrCacheKey(1, '10.0.0.1', 8333, true)).not.toBe(addrCacheKey(1, '10.0.0.1', 8334, true))
    expect(addrCacheKey(1, '10.0.0.1', 50000, false)).toBe(addrCacheKey(1, '10.0.0.1', 50001, false))
    expect(addrCacheKey(1, '10.0.0.1', 8333, true)).not.toBe(addrCacheKey(2, '10.0.0.1', 8333, true))
  })
})
