/**
 * @node/testkit benchmark: what the bcoin harness costs on this machine, so
 * other benchmarks can tell bcoin's share of a measurement from ours. No peer
 * implementation: these rows calibrate the peer itself.
 *
 * - start: spawn → READY (the launcher loads bcoin, opens a memory chain, listens);
 * - stop: SIGTERM → process gone;
 * - mine: generatetoaddress of N coinbase-only blocks;
 * - sync: B --connect A until B's height is N (bcoin's getblocks/inv/getdata).
 */
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { type BenchOptions, type BenchRow, printRows, row } from '../../../bench/lib.ts'
import { type BcoinNode, mine, startBcoin, waitForHeight } from '../src/bcoin.ts'

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now()
  const r = await fn()
  return [r, performance.now() - t]
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const rounds = opts.quick ? 3 : 7
  const blocks = opts.quick ? 500 : 2_000
  const group = 'testkit (bcoin 1.0.2 harness)'
  const rows: BenchRow[] = []

  const starts: number[] = []
  const stops: number[] = []
  for (let i = 0; i < rounds; i++) {
    const [node, ms] = await timed(() => startBcoin())
    starts.push(ms)
    stops.push((await timed(() => node.stop()))[1])
  }

  const mines: number[] = []
  const syncs: number[] = []
  const syncsAfterReady: number[] = []
  for (let i = 0; i < (opts.quick ? 1 : 3); i++) {
    const nodes: BcoinNode[] = []
    try {
      const a = await startBcoin({ segwitGenesis: true })
      nodes.push(a)
      mines.push((await timed(() => mine(a, blocks)))[1])
      // From B's spawn to height N (what a test waits for), and from B's READY to height N.
      const spawned = performance.now()
      const b = await startBcoin({ segwitGenesis: true, connect: [a.p2pAddress] })
      nodes.push(b)
      const ready = performance.now()
      await waitForHeight(b, blocks, { timeoutMs: 120_000, intervalMs: 20 })
      const done = performance.now()
      syncs.push(done - spawned)
      syncsAfterReady.push(done - ready)
    } finally {
      await Promise.all(nodes.map((n) => n.stop()))
    }
  }

  const common = { group, peer: null, peerName: null, goal: 'calibration', ratio: null }
  rows.push(
    row({
      ...common,
      name: 'bcoin start (spawn → READY)',
      ours: median(starts),
      unit: 'ms',
      higherIsBetter: false,
    }),
    row({
      ...common,
      name: 'bcoin stop (SIGTERM → exit)',
      ours: median(stops),
      unit: 'ms',
      higherIsBetter: false,
    }),
    row({
      ...common,
      name: `bcoin mine ${blocks} blocks`,
      ours: median(mines),
      unit: 'ms',
      higherIsBetter: false,
    }),
    row({
      ...common,
      name: `bcoin → bcoin sync ${blocks} blocks, spawn of B → height`,
      ours: median(syncs),
      unit: 'ms',
      higherIsBetter: false,
    }),
    row({
      ...common,
      name: `bcoin → bcoin sync ${blocks} blocks, READY of B → height`,
      ours: median(syncsAfterReady),
      unit: 'ms',
      higherIsBetter: false,
      note: `${Math.round(blocks / (median(syncsAfterReady) / 1000))} blocks/s`,
    }),
  )
  return rows
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  printRows(await run({ quick }))
}
