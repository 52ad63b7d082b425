/**
 * @node/server policy benchmark: the per-event costs of the pure policy
 * modules at full size (125 connections). No peer implementation exposes
 * these as libraries (bcoin has no inbound eviction or addr-relay targeting),
 * so the rows carry no peer; the goals are absolute budgets.
 */
import { pathToFileURL } from 'node:url'
import { FastRandom } from '@node/addrmgr'
import { type BenchOptions, type BenchRow, printRows, row, timeIt } from '../../../bench/lib.ts'
import { AddrRelayTargets } from '../src/addr-relay.ts'
import { BanList } from '../src/bans.ts'
import { type EvictionCandidate, type EvictionNetwork, selectNodeToEvict } from '../src/eviction.ts'
import { HandshakeLimiter } from '../src/netgroups.ts'
import { siphash24, sipKeyFromBytes } from '../src/siphash.ts'

const NETS: EvictionNetwork[] = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns']

function candidates(n: number, rng: FastRandom): EvictionCandidate<number>[] {
  return Array.from({ length: n }, (_, id) => ({
    id,
    connected: rng.randrange(1_000_000),
    minPingTime: rng.randrange(1000),
    lastBlockTime: rng.randrange(100),
    lastTxTime: rng.randrange(100),
    relevantServices: rng.randbool(),
    relayTxs: rng.randbool(),
    bloomFilter: false,
    keyedNetGroup: BigInt(rng.randrange(40)),
    preferEvict: rng.randrange(10) === 0,
    isLocal: false,
    network: NETS[rng.randrange(NETS.length)]!,
    noban: false,
    direction: 'inbound' as const,
  }))
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const minMs = opts.quick ? 200 : 800
  const rng = FastRandom.deterministic()
  const rows: BenchRow[] = []

  const list = candidates(114, rng)
  const evictMs = timeIt(() => selectNodeToEvict(list, rng), minMs)
  rows.push(
    row({
      group: 'server',
      name: 'inbound eviction, 114 candidates',
      ours: evictMs * 1000,
      peer: null,
      peerName: null,
      unit: 'µs/op',
      goal: '< 1 ms',
      higherIsBetter: false,
    }),
  )

  const key = sipKeyFromBytes(rng.randbytes(16))
  const data = rng.randbytes(32)
  const sipMs = timeIt(() => {
    for (let i = 0; i < 1000; i++) siphash24(key, data)
  }, minMs)
  rows.push(
    row({
      group: 'server',
      name: 'SipHash-2-4, 32 bytes',
      ours: 1000 / (sipMs / 1000) / 1e6,
      peer: null,
      peerName: null,
      unit: 'M hashes/s',
      goal: '≥ 1',
      higherIsBetter: true,
    }),
  )

  const targets = new AddrRelayTargets({ secret: key })
  const peers = Array.from({ length: 125 }, (_, i) => i)
  const addr = { net: 1, bytes: Uint8Array.of(8, 8, 4, 4), port: 8333 }
  const relayMs = timeIt(
    () => targets.select(addr, { now: 1_700_000_000, peers, source: 3, reachable: true }),
    minMs,
  )
  rows.push(
    row({
      group: 'server',
      name: 'addr relay targets among 125 peers',
      ours: relayMs * 1000,
      peer: null,
      peerName: null,
      unit: 'µs/address',
      goal: '< 200 µs',
      higherIsBetter: false,
    }),
  )

  const bans = new BanList({})
  for (let i = 0; i < 1000; i++) await bans.ban(`10.${i >> 8}.${i & 255}.0/24`)
  for (let i = 0; i < 10_000; i++) await bans.ban(`11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  const banMs = timeIt(() => bans.isBanned('12.1.2.3'), minMs)
  rows.push(
    row({
      group: 'server',
      name: 'isBanned, 1,000 subnets + 10,000 hosts (miss)',
      ours: banMs * 1000,
      peer: null,
      peerName: null,
      unit: 'µs/lookup',
      goal: '< 1 ms',
      higherIsBetter: false,
    }),
  )

  const limiter = new HandshakeLimiter()
  const hsMs = timeIt(() => {
    for (let i = 0; i < 100; i++) limiter.acquire(`9.9.${i}.1`)?.release()
  }, minMs)
  rows.push(
    row({
      group: 'server',
      name: 'handshake limiter acquire + release',
      ours: (hsMs * 1000) / 100,
      peer: null,
      peerName: null,
      unit: 'µs/op',
      goal: '< 20 µs',
      higherIsBetter: false,
    }),
  )
  return rows
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }))
}
