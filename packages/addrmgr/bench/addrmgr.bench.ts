/**
 * @node/addrmgr benchmark, in the shape of Bitcoin Core's
 * src/bench/addrman.cpp: 64 sources × 256 random IPv6 addresses (16,384,
 * fixed seed, random ports), then add all, select, select from an almost
 * empty manager, getAddresses(2500, 23), and good on all. The same
 * operations run on bcoin 1.0.2's HostList in the same process, and the
 * results are set against Core's published figures (2020 hardware).
 *
 * Mind the difference in what is measured: bcoin's HostList keeps at most
 * 1,000 addresses (20 × 50) placed by an unkeyed murmur3 hash; ours keeps
 * Core's 81,920 slots behind a secret key, hashing every placement with
 * double SHA-256. bcoin has no getaddr sampling of its own; its pool answers
 * with the first entries of `toArray()`, which is what we time.
 *
 *   node --conditions=@node/source --import tsx packages/addrmgr/bench/addrmgr.bench.ts [--quick]
 */
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type BenchOptions, type BenchRow, printRows, row, timeIt } from '../../../bench/lib.ts'
import { AddrMan, FastRandom, ipv6ToString, NetAddress, type PeerAddress } from '../src/index.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const NUM_SOURCES = 64
const NUM_ADDRESSES_PER_SOURCE = 256

/** Core's published figures for this shape (src/bench/addrman.cpp, 2020; Good after PR #22974). */
const CORE = {
  addAllMs: 172,
  selectUs: 0.23,
  getAddrMs: 0.39,
  goodAllMs: 5,
} as const

interface Sample {
  sources: PeerAddress[]
  addresses: PeerAddress[][]
}

/** Core CreateAddresses(): random IPv6 addresses and ports from a fixed-seed FastRandom. */
function createAddresses(now: number): Sample {
  const rng = new FastRandom(new Uint8Array(32).fill(123))
  const randAddr = (): PeerAddress => {
    const addr = new NetAddress(2, rng.randbytes(16))
    const p = rng.randbytes(2)
    let port = p[0]! | (p[1]! << 8)
    if (port === 0) port = 1
    return { addr, port, services: 1n, time: now }
  }
  const sources: PeerAddress[] = []
  const addresses: PeerAddress[][] = []
  for (let s = 0; s < NUM_SOURCES; s++) {
    sources.push(randAddr())
    const list: PeerAddress[] = []
    for (let a = 0; a < NUM_ADDRESSES_PER_SOURCE; a++) list.push(randAddr())
    addresses.push(list)
  }
  return { sources, addresses }
}

function fill(m: AddrMan, s: Sample): void {
  for (let i = 0; i < NUM_SOURCES; i++) m.add(s.addresses[i]!, s.sources[i]!.addr)
}

/** V8 heap plus ArrayBuffer memory, after collecting garbage. */
function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** Time `body` `runs` times, each after an untimed `setup`; the median in ms. */
function timeWithSetup<T>(runs: number, setup: () => T, body: (t: T) => void): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = setup()
    gc() // collect the setup's garbage outside the timed part
    const start = performance.now()
    body(t)
    times.push(performance.now() - start)
  }
  return median(times)
}

// --- bcoin's HostList -----------------------------------------------------------------

interface BcoinNetAddress {
  hostname: string
  services: number
  time: number
}
interface BcoinHostList {
  add(addr: BcoinNetAddress, src?: BcoinNetAddress): boolean
  getHost(): { addr: BcoinNetAddress } | null
  markAck(hostname: string, services: number): void
  toArray(): BcoinNetAddress[]
  size(): number
}
interface Bcoin {
  HostList: new (options: object) => BcoinHostList
  NetAddress: { fromHost(host: string, port: number, network: string): BcoinNetAddress }
}

function loadBcoin(): Bcoin | undefined {
  try {
    process.env['NODE_BACKEND'] = 'js'
    const require = createRequire(import.meta.url)
    return {
      HostList: require('bcoin/lib/net/hostlist') as Bcoin['HostList'],
      NetAddress: require('bcoin/lib/net/netaddress') as Bcoin['NetAddress'],
    }
  } catch {
    return undefined
  }
}

/** A HostList with no seeds, no DNS, no file: `open()` is never called. */
function bcoinHostList(b: Bcoin): BcoinHostList {
  return new b.HostList({ network: 'main', seeds: [], nodes: [], memory: true })
}

function toBcoin(
  b: Bcoin,
  s: Sample,
  now: number,
): { sources: BcoinNetAddress[]; addresses: BcoinNetAddress[][] } {
  const conv = (a: PeerAddress): BcoinNetAddress => {
    const na = b.NetAddress.fromHost(ipv6ToString(a.addr.bytes), a.port, 'main')
    na.services = 1
    na.time = now
    return na
  }
  return { sources: s.sources.map(conv), addresses: s.addresses.map((l) => l.map(conv)) }
}

// --- the run ----------------------------------------------------------------------------

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const minMs = opts.quick ? 300 : 1500
  const runs = opts.quick ? 5 : 15
  const now = Math.floor(Date.now() / 1000)
  const sample = createAddresses(now)
  const total = NUM_SOURCES * NUM_ADDRESSES_PER_SOURCE
  const rows: BenchRow[] = []
  const components = { now: () => now * 1000 }

  // Ours.
  const addAll = timeIt(() => fill(new AddrMan(components), sample), minMs, 200)
  const filled = new AddrMan(components)
  fill(filled, sample)
  const storedOurs = filled.size()
  const selectMs = timeIt(() => {
    for (let i = 0; i < 1000; i++) filled.select()
  }, minMs)
  const almostEmpty = new AddrMan(components)
  almostEmpty.add(sample.addresses[0]![0]!, sample.sources[0]!.addr)
  const selectEmptyMs = timeIt(() => {
    for (let i = 0; i < 100; i++) almostEmpty.select()
  }, minMs)
  const getAddrMs = timeIt(() => filled.getAddresses(2500, 23), minMs)
  const goodAll = timeWithSetup(
    runs,
    () => {
      const m = new AddrMan(components)
      fill(m, sample)
      return m
    },
    (m) => {
      for (const list of sample.addresses) for (const a of list) m.good(a)
    },
  )
  // Like for like with bcoin, which keeps at most 1,000: the first 1,000 addresses (4 sources × 250).
  const small: Array<[PeerAddress, NetAddress]> = []
  for (let s = 0; s < 4; s++)
    for (let i = 0; i < 250; i++) small.push([sample.addresses[s]![i]!, sample.sources[s]!.addr])
  const fillSmall = (m: AddrMan): void => {
    for (const [a, src] of small) m.add(a, src)
  }
  const add1000 = timeIt(() => fillSmall(new AddrMan(components)), minMs)
  const good1000 = timeWithSetup(
    runs * 4,
    () => {
      const m = new AddrMan(components)
      fillSmall(m)
      return m
    },
    (m) => {
      for (const [a] of small) m.good(a)
    },
  )
  const smallFilled = new AddrMan(components)
  fillSmall(smallFilled)
  const storedSmall = smallFilled.size()
  const getAddr230 = timeIt(() => smallFilled.getAddresses(Math.floor((storedSmall * 23) / 100), 0), minMs)

  const heapOurs = (() => {
    const before = heapUsed()
    const fresh = createAddresses(now)
    const m = new AddrMan(components)
    fill(m, fresh)
    // Drop the input arrays; the manager keeps what it stores.
    fresh.addresses.length = 0
    fresh.sources.length = 0
    const after = heapUsed()
    return (after - before) / m.size()
  })()

  // bcoin.
  const bcoin = loadBcoin()
  let b:
    | {
        addAll: number
        select: number
        selectEmpty: number
        getAddr: number
        goodAll: number
        stored: number
        heap: number
        add1000: number
        good1000: number
        getAddr230: number
      }
    | undefined
  if (bcoin) {
    const bs = toBcoin(bcoin, sample, now)
    const bfill = (h: BcoinHostList): void => {
      for (let i = 0; i < NUM_SOURCES; i++) for (const a of bs.addresses[i]!) h.add(a, bs.sources[i]!)
    }
    const addAllB = timeIt(() => bfill(bcoinHostList(bcoin)), minMs, 200)
    const hb = bcoinHostList(bcoin)
    bfill(hb)
    const selectB = timeIt(() => {
      for (let i = 0; i < 1000; i++) hb.getHost()
    }, minMs)
    const eb = bcoinHostList(bcoin)
    eb.add(bs.addresses[0]![0]!, bs.sources[0]!)
    const selectEmptyB = timeIt(() => {
      for (let i = 0; i < 100; i++) eb.getHost()
    }, minMs)
    const getAddrB = timeIt(() => {
      const all = hb.toArray()
      return all.slice(0, Math.min(2500, Math.floor((all.length * 23) / 100)))
    }, minMs)
    const goodAllB = timeWithSetup(
      runs,
      () => {
        const h = bcoinHostList(bcoin)
        bfill(h)
        return h
      },
      (h) => {
        for (const list of bs.addresses) for (const a of list) h.markAck(a.hostname, 1)
      },
    )
    const smallB: Array<[BcoinNetAddress, BcoinNetAddress]> = []
    for (let s = 0; s < 4; s++)
      for (let i = 0; i < 250; i++) smallB.push([bs.addresses[s]![i]!, bs.sources[s]!])
    const fillSmallB = (h: BcoinHostList): void => {
      for (const [a, src] of smallB) h.add(a, src)
    }
    const add1000B = timeIt(() => fillSmallB(bcoinHostList(bcoin)), minMs)
    const good1000B = timeWithSetup(
      runs * 4,
      () => {
        const h = bcoinHostList(bcoin)
        fillSmallB(h)
        return h
      },
      (h) => {
        for (const [a] of smallB) h.markAck(a.hostname, 1)
      },
    )
    const smallHb = bcoinHostList(bcoin)
    fillSmallB(smallHb)
    const getAddr230B = timeIt(() => {
      const all = smallHb.toArray()
      return all.slice(0, Math.floor((all.length * 23) / 100))
    }, minMs)

    const heapB = (() => {
      const before = heapUsed()
      const fresh = toBcoin(bcoin, createAddresses(now), now)
      const h = bcoinHostList(bcoin)
      for (let i = 0; i < NUM_SOURCES; i++) for (const a of fresh.addresses[i]!) h.add(a, fresh.sources[i]!)
      // bcoin stores the NetAddress objects it is given; count only what it keeps.
      fresh.addresses.length = 0
      fresh.sources.length = 0
      const after = heapUsed()
      return (after - before) / h.size()
    })()
    b = {
      addAll: addAllB,
      select: (selectB / 1000) * 1000,
      selectEmpty: (selectEmptyB / 100) * 1000,
      getAddr: getAddrB,
      goodAll: goodAllB,
      stored: hb.size(),
      heap: heapB,
      add1000: add1000B,
      good1000: good1000B,
      getAddr230: getAddr230B,
    }
  }

  const peerName = b ? `bcoin HostList (holds ${b.stored})` : null
  const note = `${storedOurs} of ${total} stored`
  const selectUs = (selectMs / 1000) * 1000
  const selectEmptyUs = (selectEmptyMs / 100) * 1000
  const ours = [
    {
      name: 'add all 16,384 (64 sources)',
      ours: addAll,
      peer: b?.addAll ?? null,
      unit: 'ms',
      core: CORE.addAllMs,
      note: `${note}; bcoin refuses new entries once it holds 1,000`,
    },
    { name: 'select', ours: selectUs, peer: b?.select ?? null, unit: 'µs', core: CORE.selectUs, note },
    {
      name: 'select, one address stored',
      ours: selectEmptyUs,
      peer: b?.selectEmpty ?? null,
      unit: 'µs',
      core: null,
      note: 'Core: no published figure',
    },
    {
      name: 'getAddresses(2500, 23)',
      ours: getAddrMs,
      peer: b?.getAddr ?? null,
      unit: 'ms',
      core: CORE.getAddrMs,
      note: `we sample 2,500 at random; bcoin's pool takes the first ${b ? Math.floor((b.stored * 23) / 100) : '—'} of toArray()`,
    },
    {
      name: 'good on all 16,384',
      ours: goodAll,
      peer: b?.goodAll ?? null,
      unit: 'ms',
      core: CORE.goodAllMs,
      note,
    },
    {
      name: 'like for like: add 1,000 (both keep them)',
      ours: add1000,
      peer: b?.add1000 ?? null,
      unit: 'ms',
      core: null,
      note: `we keep ${storedSmall}; keyed double SHA-256 placement against bcoin's murmur3`,
    },
    {
      name: 'like for like: good on those 1,000',
      ours: good1000,
      peer: b?.good1000 ?? null,
      unit: 'ms',
      core: null,
      note: undefined,
    },
    {
      name: 'like for like: 23% of 1,000 for getaddr',
      ours: getAddr230,
      peer: b?.getAddr230 ?? null,
      unit: 'ms',
      core: null,
      note: 'ours a random sample, bcoin the first entries',
    },
  ]
  for (const o of ours) {
    rows.push(
      row({
        group: 'addrmgr',
        name: o.name,
        ours: o.ours,
        peer: o.peer,
        peerName,
        unit: o.unit,
        goal: 'at least as fast as bcoin',
        higherIsBetter: false,
        note: o.note,
      }),
    )
    if (o.core !== null) {
      rows.push(
        row({
          group: 'addrmgr',
          name: `${o.name} vs Core`,
          ours: o.ours,
          peer: o.core,
          peerName: 'Bitcoin Core (published, 2020 hardware)',
          unit: o.unit,
          goal: 'within 2× of Core (ratio ≥ 0.5)',
          higherIsBetter: false,
        }),
      )
    }
  }
  rows.push(
    row({
      group: 'addrmgr',
      name: 'heap per stored address',
      ours: heapOurs,
      peer: b?.heap ?? null,
      peerName,
      unit: 'bytes',
      goal: 'report (ours includes the fixed 81,920-slot tables)',
      higherIsBetter: false,
    }),
  )
  return rows
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await run({ quick: process.argv.includes('--quick') })
  printRows(rows)
}
