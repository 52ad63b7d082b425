/**
 * Inbound eviction, ported from Bitcoin Core's
 * src/test/net_peer_eviction_tests.cpp (MIT): the scenarios and expected id
 * sets are Core's, written here as tables; the code is ours.
 */
import { FastRandom } from '@node/addrmgr'
import { describe, expect, it } from 'vitest'
import {
  type EvictionCandidate,
  type EvictionNetwork,
  keyedNetGroup,
  protectByRatio,
  selectNodeToEvict,
} from '../src/eviction.ts'
import { sipKeyFromBytes } from '../src/siphash.ts'

type Candidate = EvictionCandidate<number>
type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const ALL_NETWORKS: EvictionNetwork[] = ['unroutable', 'ipv4', 'ipv6', 'onion', 'i2p', 'cjdns', 'internal']

/** Core GetRandomNodeEvictionCandidates: every field random, all inbound, none noban. */
function randomCandidates(n: number, rng: FastRandom): Mutable<Candidate>[] {
  const out: Mutable<Candidate>[] = []
  for (let id = 0; id < n; id++) {
    out.push({
      id,
      connected: rng.randrange(100),
      minPingTime: rng.randrange(100),
      lastBlockTime: rng.randrange(100),
      lastTxTime: rng.randrange(100),
      relevantServices: rng.randbool(),
      relayTxs: rng.randbool(),
      bloomFilter: rng.randbool(),
      keyedNetGroup: BigInt(rng.randrange(100)),
      preferEvict: rng.randbool(),
      isLocal: rng.randbool(),
      network: ALL_NETWORKS[rng.randrange(ALL_NETWORKS.length)]!,
      noban: false,
      direction: 'inbound',
    })
  }
  return out
}

function shuffle<T>(list: T[], rng: FastRandom): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = rng.randrange(i + 1)
    ;[list[i], list[j]] = [list[j]!, list[i]!]
  }
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i)

// --- Core peer_protection_test -----------------------------------------------

interface RatioCase {
  name: string
  n: number
  /** m_connected: the id, `n - id`, or left random. */
  uptime: 'id' | 'reverse' | 'random'
  local?: number[]
  onion?: number[]
  i2p?: number[]
  cjdns?: number[]
  base: EvictionNetwork
  protect: number[]
  keep: number[]
}

const ratioCases: RatioCase[] = [
  // One network.
  {
    name: 'half by uptime (ipv4)',
    n: 12,
    uptime: 'id',
    base: 'ipv4',
    protect: range(0, 5),
    keep: range(6, 11),
  },
  {
    name: 'half by uptime, reversed (ipv6)',
    n: 12,
    uptime: 'reverse',
    base: 'ipv6',
    protect: range(6, 11),
    keep: range(0, 5),
  },
  {
    name: '1/4 onion',
    n: 12,
    uptime: 'random',
    onion: [3, 8, 9],
    base: 'ipv4',
    protect: [3, 8, 9],
    keep: [],
  },
  {
    name: '1/4 onion and 1/4 others by uptime',
    n: 12,
    uptime: 'id',
    onion: [3, 8, 9, 10, 11],
    base: 'ipv6',
    protect: [0, 1, 2, 3, 8, 9],
    keep: [4, 5, 6, 7, 10, 11],
  },
  {
    name: '1/4 localhost',
    n: 12,
    uptime: 'random',
    local: [1, 9, 11],
    base: 'ipv4',
    protect: [1, 9, 11],
    keep: [],
  },
  {
    name: '1/4 localhost and 1/4 others by uptime',
    n: 12,
    uptime: 'id',
    local: range(7, 11),
    base: 'ipv6',
    protect: [0, 1, 2, 7, 8, 9],
    keep: [3, 4, 5, 6, 10, 11],
  },
  { name: '1/4 I2P', n: 12, uptime: 'random', i2p: [2, 7, 10], base: 'ipv4', protect: [2, 7, 10], keep: [] },
  {
    name: '1/4 I2P and 1/4 others by uptime',
    n: 12,
    uptime: 'id',
    i2p: [4, 9, 10, 11],
    base: 'ipv6',
    protect: [0, 1, 2, 4, 9, 10],
    keep: [3, 5, 6, 7, 8, 11],
  },
  {
    name: '1/4 CJDNS',
    n: 12,
    uptime: 'random',
    cjdns: [2, 7, 10],
    base: 'ipv4',
    protect: [2, 7, 10],
    keep: [],
  },
  {
    name: '1/4 CJDNS and 1/4 others by uptime',
    n: 12,
    uptime: 'id',
    cjdns: [4, 9, 10, 11],
    base: 'ipv6',
    protect: [0, 1, 2, 4, 9, 10],
    keep: [3, 5, 6, 7, 8, 11],
  },
  // Two networks.
  {
    name: '1 localhost + 1 onion of 4: localhost wins the tie by array order',
    n: 4,
    uptime: 'id',
    local: [4],
    onion: [3],
    base: 'ipv4',
    protect: [0, 4],
    keep: [1, 2],
  },
  {
    name: '1 localhost + 1 onion of 7',
    n: 7,
    uptime: 'id',
    local: [6],
    onion: [5],
    base: 'ipv4',
    protect: [0, 1, 6],
    keep: [2, 3, 4, 5],
  },
  {
    name: '1 localhost + 1 onion of 8',
    n: 8,
    uptime: 'id',
    local: [6],
    onion: [5],
    base: 'ipv4',
    protect: [0, 1, 5, 6],
    keep: [2, 3, 4, 7],
  },
  {
    name: '3 localhost + 3 onion of 12',
    n: 12,
    uptime: 'id',
    local: [6, 9, 11],
    onion: [7, 8, 10],
    base: 'ipv6',
    protect: [0, 1, 2, 6, 7, 9],
    keep: [3, 4, 5, 8, 10, 11],
  },
  {
    name: '4 localhost + 1 onion of 12',
    n: 12,
    uptime: 'id',
    local: [5, 6, 7, 8],
    onion: [10],
    base: 'ipv4',
    protect: [0, 1, 2, 5, 6, 10],
    keep: [3, 4, 7, 8, 9, 11],
  },
  {
    name: '4 localhost + 2 onion of 16',
    n: 16,
    uptime: 'id',
    local: [6, 9, 11, 12],
    onion: [8, 10],
    base: 'ipv6',
    protect: [0, 1, 2, 3, 6, 8, 9, 10],
    keep: [4, 5, 7, 11, 12, 13, 14, 15],
  },
  {
    name: '5 localhost + 1 onion of 16: localhost recovers the unused onion slot',
    n: 16,
    uptime: 'id',
    local: range(11, 15),
    onion: [10],
    base: 'ipv4',
    protect: [0, 1, 2, 3, 10, 11, 12, 13],
    keep: [4, 5, 6, 7, 8, 9, 14, 15],
  },
  {
    name: '1 localhost + 4 onion of 16: onion recovers the unused localhost slot',
    n: 16,
    uptime: 'id',
    local: [15],
    onion: [7, 8, 9, 10],
    base: 'ipv6',
    protect: [0, 1, 2, 3, 7, 8, 9, 15],
    keep: [5, 6, 10, 11, 12, 13, 14],
  },
  {
    name: '2 onion + 4 I2P of 12: onion first for having fewer',
    n: 12,
    uptime: 'id',
    onion: [8, 10],
    i2p: [6, 9, 11, 12],
    base: 'ipv4',
    protect: [0, 1, 2, 6, 8, 10],
    keep: [3, 4, 5, 7, 9, 11],
  },
  // Three networks.
  {
    name: '1 localhost + 1 I2P + 1 onion of 4: I2P wins the tie',
    n: 4,
    uptime: 'id',
    local: [2],
    i2p: [3],
    onion: [1],
    base: 'ipv6',
    protect: [0, 3],
    keep: [1, 2],
  },
  {
    name: '1 localhost + 1 I2P + 1 onion of 7',
    n: 7,
    uptime: 'id',
    local: [4],
    i2p: [6],
    onion: [5],
    base: 'ipv6',
    protect: [0, 1, 6],
    keep: [2, 3, 4, 5],
  },
  {
    name: '1 localhost + 1 I2P + 1 onion of 8',
    n: 8,
    uptime: 'id',
    local: [6],
    i2p: [5],
    onion: [4],
    base: 'ipv6',
    protect: [0, 1, 5, 6],
    keep: [2, 3, 4, 7],
  },
  {
    name: '4 localhost + 2 I2P + 2 onion of 16',
    n: 16,
    uptime: 'id',
    local: [6, 12, 13, 14, 15],
    i2p: [7, 11],
    onion: [9, 10],
    base: 'ipv4',
    protect: [0, 1, 2, 3, 6, 7, 9, 11],
    keep: [4, 5, 8, 10, 12, 13, 14, 15],
  },
  {
    name: '1 localhost + 8 I2P + 1 onion of 24',
    n: 24,
    uptime: 'id',
    local: [12],
    i2p: range(15, 22),
    onion: [23],
    base: 'ipv6',
    protect: [0, 1, 2, 3, 4, 5, 12, 15, 16, 17, 18, 23],
    keep: [6, 7, 8, 9, 10, 11, 13, 14, 19, 20, 21, 22],
  },
  {
    name: '1 localhost + 3 I2P + 6 onion of 24',
    n: 24,
    uptime: 'id',
    local: [15],
    i2p: [12, 14, 17],
    onion: range(18, 23),
    base: 'ipv4',
    protect: [0, 1, 2, 3, 4, 5, 12, 14, 15, 17, 18, 19],
    keep: [6, 7, 8, 9, 10, 11, 13, 16, 20, 21, 22, 23],
  },
  {
    name: '1 localhost + 7 I2P + 4 onion of 24',
    n: 24,
    uptime: 'id',
    local: [13],
    i2p: range(17, 23),
    onion: [12, 14, 15, 16],
    base: 'ipv6',
    protect: [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 17, 18],
    keep: [6, 7, 8, 9, 10, 11, 16, 19, 20, 21, 22, 23],
  },
  {
    name: '8 localhost + 4 CJDNS + 3 onion of 24',
    n: 24,
    uptime: 'id',
    local: range(16, 23),
    cjdns: [11, 12, 13, 14],
    onion: [7, 8, 9],
    base: 'ipv4',
    protect: [0, 1, 2, 3, 4, 5, 7, 8, 11, 12, 16, 17],
    keep: [6, 9, 10, 13, 14, 15, 18, 19, 20, 21, 22, 23],
  },
  // Four networks.
  {
    name: '1 each of CJDNS, I2P, localhost, onion of 5: CJDNS wins the tie',
    n: 5,
    uptime: 'id',
    local: [3],
    cjdns: [4],
    i2p: [1],
    onion: [2],
    base: 'ipv6',
    protect: [0, 4],
    keep: [1, 2, 3],
  },
  {
    name: '1 each of CJDNS, I2P, localhost, onion of 7',
    n: 7,
    uptime: 'id',
    local: [4],
    cjdns: [6],
    i2p: [5],
    onion: [3],
    base: 'ipv4',
    protect: [0, 1, 6],
    keep: [2, 3, 4, 5],
  },
  {
    name: '1 each of CJDNS, I2P, localhost, onion of 8',
    n: 8,
    uptime: 'id',
    local: [3],
    cjdns: [5],
    i2p: [6],
    onion: [3],
    base: 'ipv6',
    protect: [0, 1, 5, 6],
    keep: [2, 3, 4, 7],
  },
  {
    name: '2 CJDNS + 2 I2P + 4 localhost + 2 onion of 16',
    n: 16,
    uptime: 'id',
    local: range(6, 15),
    cjdns: [11, 15],
    i2p: [10, 14],
    onion: [8, 9],
    base: 'ipv4',
    protect: [0, 1, 2, 3, 6, 8, 10, 11],
    keep: [4, 5, 7, 9, 12, 13, 14, 15],
  },
  {
    name: '6 CJDNS + 1 I2P + 1 localhost + 4 onion of 24',
    n: 24,
    uptime: 'id',
    local: [13],
    cjdns: range(18, 23),
    i2p: [17],
    onion: [12, 14, 15, 16],
    base: 'ipv6',
    protect: [0, 1, 2, 3, 4, 5, 12, 13, 14, 17, 18, 19],
    keep: [6, 7, 8, 9, 10, 11, 15, 16, 20, 21, 22, 23],
  },
]

describe('protectByRatio (Core peer_protection_test)', () => {
  const rng = FastRandom.deterministic()
  it.each(ratioCases)('$name', (row) => {
    const list = randomCandidates(row.n, rng)
    for (const c of list) {
      if (row.uptime === 'id') c.connected = c.id
      else if (row.uptime === 'reverse') c.connected = row.n - c.id
      c.isLocal = row.local?.includes(c.id) ?? false
      c.network = row.cjdns?.includes(c.id)
        ? 'cjdns'
        : row.i2p?.includes(c.id)
          ? 'i2p'
          : row.onion?.includes(c.id)
            ? 'onion'
            : row.base
    }
    shuffle(list, rng)
    protectByRatio(list)
    // Half the candidates are protected, rounding down.
    expect(list).toHaveLength(row.n - Math.floor(row.n / 2))
    const left = new Set(list.map((c) => c.id))
    for (const id of row.protect) expect(left.has(id), `peer ${id} is protected`).toBe(false)
    for (const id of row.keep) expect(left.has(id), `peer ${id} stays a candidate`).toBe(true)
  })
})

// --- Core peer_eviction_test -------------------------------------------------

interface EvictCase {
  name: string
  setup: (c: Mutable<Candidate>, n: number) => void
  protect: number[]
}

const evictCases: EvictCase[] = [
  {
    name: 'the 4 highest keyed network groups',
    setup: (c, n) => {
      c.keyedNetGroup = BigInt(n - c.id)
    },
    protect: range(0, 3),
  },
  {
    name: 'the 8 lowest minimum pings',
    setup: (c) => {
      c.minPingTime = c.id
    },
    protect: range(0, 7),
  },
  {
    name: 'the 4 most recent novel transactions',
    setup: (c, n) => {
      c.lastTxTime = n - c.id
    },
    protect: range(0, 3),
  },
  {
    name: 'up to 8 non-tx-relay peers with the most recent novel blocks',
    setup: (c, n) => {
      c.lastBlockTime = n - c.id
      if (c.id <= 7) {
        c.relayTxs = false
        c.relevantServices = true
      }
    },
    protect: range(0, 7),
  },
  {
    name: 'the 4 most recent novel blocks',
    setup: (c, n) => {
      c.lastBlockTime = n - c.id
    },
    protect: range(0, 3),
  },
  {
    name: 'block-relay-only and novel-block protections combined',
    setup: (c, n) => {
      c.lastBlockTime = n - c.id
      if (c.id <= 7) {
        c.relayTxs = false
        c.relevantServices = true
      }
    },
    protect: range(0, 11),
  },
  {
    name: 'all protections combined',
    setup: (c, n) => {
      c.keyedNetGroup = BigInt(n - c.id)
      c.minPingTime = c.id
      c.lastTxTime = n - c.id
      c.lastBlockTime = n - c.id
    },
    protect: range(0, 19),
  },
]

describe('selectNodeToEvict (Core peer_eviction_test)', () => {
  it.each(evictCases)('protects $name, for 0 to 199 candidates', (row) => {
    const rng = FastRandom.deterministic()
    let evictions = 0
    for (let n = 0; n < 200; n++) {
      const list = randomCandidates(n, rng)
      for (const c of list) row.setup(c, n)
      const evicted = selectNodeToEvict(list, rng)
      if (evicted !== undefined) {
        evictions++
        expect(row.protect).not.toContain(evicted)
        expect(evicted).toBeGreaterThanOrEqual(0)
        expect(evicted).toBeLessThan(n)
      }
    }
    // The loop must actually have evicted peers for the check to mean anything.
    expect(evictions).toBeGreaterThan(150)
  })

  it('always evicts from 29 random candidates up, never from 20 or fewer', () => {
    const rng = FastRandom.deterministic()
    for (let n = 0; n < 200; n++) {
      const evicted = selectNodeToEvict(randomCandidates(n, rng))
      if (n >= 29) expect(evicted, `${n} candidates`).toBeDefined()
      if (n <= 20) expect(evicted, `${n} candidates`).toBeUndefined()
    }
  })
})

// --- the final choice (Core's "cases left to test") --------------------------

/** A candidate that wins no protection by itself: no ping, no blocks, no txs. */
function plain(id: number, group: number, connected: number, extra: Partial<Candidate> = {}): Candidate {
  return {
    id,
    connected,
    minPingTime: Number.POSITIVE_INFINITY,
    lastBlockTime: 0,
    lastTxTime: 0,
    relevantServices: false,
    relayTxs: false,
    bloomFilter: false,
    keyedNetGroup: BigInt(group),
    preferEvict: false,
    isLocal: false,
    network: 'ipv4',
    noban: false,
    direction: 'inbound',
    ...extra,
  }
}

/**
 * 40 peers: 4 in high groups (protected by group), 8 with fast pings, 4 with
 * recent txs, 4 with recent blocks (20 protected), then 20 plain ones of
 * which the 10 oldest are protected by uptime. The last 10 (ids 30–39,
 * connected 130–139) are what is left to choose from.
 */
function population(lastTen: (id: number) => Partial<Candidate>): Candidate[] {
  const out: Candidate[] = []
  for (let id = 0; id < 4; id++) out.push(plain(id, 1000 + id, id))
  for (let id = 4; id < 12; id++) out.push(plain(id, 1, id, { minPingTime: id }))
  for (let id = 12; id < 16; id++) out.push(plain(id, 1, id, { lastTxTime: 1000 + id, relayTxs: true }))
  for (let id = 16; id < 20; id++) out.push(plain(id, 1, id, { lastBlockTime: 1000 + id, relayTxs: true }))
  for (let id = 20; id < 30; id++) out.push(plain(id, 1, 100 + id))
  for (let id = 30; id < 40; id++) out.push(plain(id, 1, 100 + id, lastTen(id)))
  return out
}

interface ChoiceCase {
  name: string
  lastTen: (id: number) => Partial<Candidate>
  evict: number | undefined
}

const choiceCases: ChoiceCase[] = [
  { name: 'one group: its youngest member', lastTen: () => ({}), evict: 39 },
  {
    name: 'the largest group, not the youngest peer',
    // 30–35 in group 7, 36–39 in group 8: group 7 is larger.
    lastTen: (id) => ({ keyedNetGroup: id <= 35 ? 7n : 8n }),
    evict: 35,
  },
  {
    name: 'equal groups: the one whose youngest member is youngest',
    // 30–34 in group 7, 35–39 in group 8.
    lastTen: (id) => ({ keyedNetGroup: id <= 34 ? 7n : 8n }),
    evict: 39,
  },
  {
    name: 'equal groups, interleaved',
    // even ids in group 7 (youngest 38), odd in group 8 (youngest 39).
    lastTen: (id) => ({ keyedNetGroup: id % 2 === 0 ? 7n : 8n }),
    evict: 39,
  },
  {
    name: 'a discouraged peer goes first, even if old and alone in its group',
    lastTen: (id) => (id === 31 ? { preferEvict: true, keyedNetGroup: 99n } : {}),
    evict: 31,
  },
  {
    name: 'among discouraged peers, the youngest of their largest group',
    lastTen: (id) =>
      id === 30 || id === 32
        ? { preferEvict: true, keyedNetGroup: 5n }
        : id === 37
          ? { preferEvict: true, keyedNetGroup: 6n }
          : {},
    evict: 32,
  },
  {
    name: 'noban peers are never candidates',
    lastTen: (id) => ({ noban: id === 39 }),
    evict: 38,
  },
  {
    name: 'outbound and manual peers are never candidates',
    lastTen: (id) => ({ direction: id === 39 ? 'outbound' : id === 38 ? 'manual' : 'inbound' }),
    evict: 37,
  },
]

describe('selectNodeToEvict: the final choice', () => {
  it.each(choiceCases)('$name', (row) => {
    expect(selectNodeToEvict(population(row.lastTen))).toBe(row.evict)
  })

  it('a discouraged peer that wins a protection is kept', () => {
    // Peer 5 has a fast ping and is discouraged: protected all the same.
    const list = population(() => ({})).map((c) => (c.id === 5 ? { ...c, preferEvict: true } : c))
    expect(selectNodeToEvict(list)).toBe(39)
  })

  it('nothing to evict among an empty list, or only protected peers', () => {
    expect(selectNodeToEvict([])).toBeUndefined()
    const all = population(() => ({ noban: true })).map((c) => ({ ...c, direction: 'outbound' as const }))
    expect(selectNodeToEvict(all)).toBeUndefined()
  })

  it('does not modify the caller’s list', () => {
    const list = population(() => ({}))
    const before = list.map((c) => c.id)
    selectNodeToEvict(list, FastRandom.deterministic())
    expect(list.map((c) => c.id)).toEqual(before)
  })

  it('the shuffle does not change a choice that has no ties', () => {
    const rng = FastRandom.deterministic()
    for (const row of choiceCases) {
      expect(selectNodeToEvict(population(row.lastTen), rng)).toBe(row.evict)
    }
  })
})

describe('keyedNetGroup', () => {
  const keyA = sipKeyFromBytes(Uint8Array.from({ length: 16 }, (_, i) => i))
  const keyB = sipKeyFromBytes(Uint8Array.from({ length: 16 }, (_, i) => 255 - i))
  const group = Uint8Array.of(1, 8, 8)
  it('is a function of the key and the group bytes', () => {
    expect(keyedNetGroup(keyA, group)).toBe(keyedNetGroup(keyA, Uint8Array.of(1, 8, 8)))
    expect(keyedNetGroup(keyA, group)).not.toBe(keyedNetGroup(keyA, Uint8Array.of(1, 8, 9)))
    expect(keyedNetGroup(keyA, group)).not.toBe(keyedNetGroup(keyB, group))
  })
  it('is SipHash over the randomizer id then the group bytes', async () => {
    const { SipHasher } = await import('../src/siphash.ts')
    const want = new SipHasher(keyA).writeU64(0x6c0edd8036ef4036n).write(group).finalize()
    expect(keyedNetGroup(keyA, group)).toBe(want)
  })
})
