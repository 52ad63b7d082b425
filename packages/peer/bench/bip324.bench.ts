/**
 * BIP324 cost: the same loopback pair of our peers over the v2 transport and
 * over v1, in the same run. Small messages (inv, pipelined pings) and ~1 MB
 * blocks (messages/s and MB/s), CPU time per MB moved (both ends are in this
 * process, so it is the cost of sending plus receiving), and the time from
 * dialling to a finished version handshake.
 *
 * For scale: Core's bench (src/bench/chacha20.cpp, bip324_ecdh.cpp) puts
 * ChaCha20-Poly1305 at roughly 1–2 cycles per byte and one ElligatorSwift ECDH
 * at some 50 µs; we use OpenSSL's ChaCha20-Poly1305 through node:crypto and
 * pure-JS secp256k1 (@noble/curves), so the handshake, not the packets, is
 * where v2 costs most.
 */
import { createServer, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { encodeBlock, networks } from '@node/wire'
import { type BenchOptions, type BenchRow, printRows, row } from '../../../bench/lib.ts'
import { NonceSet, Peer } from '../src/index.ts'
import { makeBlock, measure, oursPair, type Pair, throughput } from './peer.bench.ts'

const network = networks.regtest

/** Blocks per second and CPU milliseconds per MB while moving them. */
async function blockCost(
  pair: Pair,
  n: number,
  blockMB: number,
): Promise<{ rate: number; cpuMsPerMB: number }> {
  const c0 = process.cpuUsage()
  const rate = await throughput(
    pair,
    n,
    () => pair.sendBlock(),
    () => pair.received().block,
    4 << 20,
  )
  const c = process.cpuUsage(c0)
  return { rate, cpuMsPerMB: (c.user + c.system) / 1000 / (n * blockMB) }
}

/** Mean milliseconds from dial to a finished handshake, over `n` sequential connections. */
async function handshakeMs(n: number, v2Transport: boolean): Promise<number> {
  const accepted: Peer[] = []
  const server = createServer((s: Socket) => {
    accepted.push(Peer.accept({ nonces: new NonceSet() }, s, { network, v2Transport }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const a = server.address()
  const port = typeof a === 'object' && a ? a.port : 0
  let total = 0
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const p = await Peer.connect(
      { nonces: new NonceSet() },
      { network, host: '127.0.0.1', port, v2Transport },
    )
    total += performance.now() - t0
    p.destroy()
    await p.closed
  }
  for (const p of accepted) p.destroy()
  await Promise.all(accepted.map((p) => p.closed))
  await new Promise<void>((r) => server.close(() => r()))
  return total / n
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const block = makeBlock(1_000_000)
  const blockMB = encodeBlock(block).length / 1e6
  const blocks = opts.quick ? 30 : 120

  const v1 = await oursPair(block, false)
  const m1 = await measure(v1, opts.quick)
  const b1 = await blockCost(v1, blocks, blockMB)
  await v1.close()
  const v2 = await oursPair(block, true)
  const m2 = await measure(v2, opts.quick)
  const b2 = await blockCost(v2, blocks, blockMB)
  await v2.close()
  const hsN = opts.quick ? 20 : 100
  const hs1 = await handshakeMs(hsN, false)
  const hs2 = await handshakeMs(hsN, true)

  const vsV1 = { peerName: 'ours over v1', higherIsBetter: true } as const
  return [
    row({
      group: 'bip324',
      name: 'inv (1 entry) through a loopback pair, v2',
      ours: m2.inv,
      peer: m1.inv,
      unit: 'msg/s',
      goal: '≥ 0.6× v1',
      ...vsV1,
    }),
    row({
      group: 'bip324',
      name: 'ping → pong, pipelined, v2',
      ours: m2.ping,
      peer: m1.ping,
      unit: 'round trips/s',
      goal: '≥ 0.6× v1',
      ...vsV1,
    }),
    row({
      group: 'bip324',
      name: `block (${blockMB.toFixed(2)} MB) through a loopback pair, v2`,
      ours: b2.rate * blockMB,
      peer: b1.rate * blockMB,
      unit: 'MB/s',
      goal: '≥ 0.8× v1',
      note: `${b2.rate.toFixed(0)} vs ${b1.rate.toFixed(0)} blocks/s; measure() gave ${m2.block.toFixed(0)} vs ${m1.block.toFixed(0)}`,
      ...vsV1,
    }),
    row({
      group: 'bip324',
      name: 'CPU per MB of blocks, both ends, v2',
      ours: b2.cpuMsPerMB,
      peer: b1.cpuMsPerMB,
      unit: 'ms CPU/MB',
      goal: '≤ 1.25× v1',
      higherIsBetter: false,
      peerName: vsV1.peerName,
    }),
    row({
      group: 'bip324',
      name: `handshake, dial to ready (${hsN} sequential connections), v2`,
      ours: hs2,
      peer: hs1,
      unit: 'ms',
      goal: 'informational',
      higherIsBetter: false,
      peerName: vsV1.peerName,
    }),
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }))
}
