/**
 * @node/inv-cache benchmark: add/has throughput and heap bytes per entry of
 * the exact LRU cache and the rolling bloom filter, against a naive
 * unbounded `Set<string>` with the same `type:hash` key (the "peer" row: what
 * a cache costs over no cache at all).
 */
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type InvItem, InvType } from '@node/wire'
import { type BenchOptions, type BenchRow, printRows, row, timeIt } from '../../../bench/lib.ts'
import { InvCache, invKey, RollingInvFilter } from '../src/index.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** V8 heap plus ArrayBuffer memory (typed arrays live outside the heap). */
function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

function makeItems(n: number): InvItem[] {
  const bytes = randomBytes(32 * n)
  const out: InvItem[] = new Array(n)
  for (let i = 0; i < n; i++)
    out[i] = { type: InvType.WTX, hash: new Uint8Array(bytes.buffer, bytes.byteOffset + 32 * i, 32) }
  return out
}

/** Heap bytes per entry of a structure holding `n` entries, built by `build`. */
function heapPerEntry(n: number, build: () => unknown): number {
  const before = heapUsed()
  const keep = build()
  const after = heapUsed()
  if (keep === undefined) throw new Error('unreachable')
  return (after - before) / n
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const minMs = opts.quick ? 200 : 800
  const N = 50_000 // Core's known-tx filter size; one full inv
  const items = makeItems(N)
  const misses = makeItems(N)
  const rows: BenchRow[] = []
  const mops = (ms: number) => N / ms / 1000 // million operations per second

  // --- add: a full inv's worth into a fresh structure ---------------------------
  const addLru = timeIt(() => {
    const c = new InvCache({}, { max: N })
    c.addMany(items)
  }, minMs)
  const addRolling = timeIt(() => {
    const f = new RollingInvFilter({}, { entries: N })
    f.addMany(items)
  }, minMs)
  const addSet = timeIt(() => {
    const s = new Set<string>()
    for (const it of items) s.add(invKey(it))
  }, minMs)

  // --- has: half hits, half misses on full structures -----------------------------
  const lru = new InvCache({}, { max: N })
  lru.addMany(items)
  const rolling = new RollingInvFilter({}, { entries: N })
  rolling.addMany(items)
  const set = new Set<string>(items.map(invKey))
  const probe = items.slice(0, N / 2).concat(misses.slice(0, N / 2))
  let sink = 0
  const hasLru = timeIt(() => {
    for (const it of probe) if (lru.has(it)) sink++
  }, minMs)
  const hasRolling = timeIt(() => {
    for (const it of probe) if (rolling.has(it)) sink++
  }, minMs)
  const hasSet = timeIt(() => {
    for (const it of probe) if (set.has(invKey(it))) sink++
  }, minMs)
  if (sink < 0) throw new Error('unreachable')

  // False positives of the rolling filter on N fresh hashes (expected ≈ N × 1e-6).
  let fp = 0
  for (const it of makeItems(N)) if (rolling.has(it)) fp++

  const peer = { peerName: 'naive Set<string>', higherIsBetter: true, unit: 'M ops/s' } as const
  rows.push(
    row({
      group: 'inv-cache',
      name: 'add, exact LRU (max 50k)',
      ours: mops(addLru),
      peer: mops(addSet),
      goal: '≥ 0.5× an unbounded Set',
      ...peer,
    }),
    row({
      group: 'inv-cache',
      name: 'add, rolling filter (50k, 1e-6)',
      ours: mops(addRolling),
      peer: mops(addSet),
      goal: '≥ 1× an unbounded Set',
      ...peer,
    }),
    row({
      group: 'inv-cache',
      name: 'has 50% hits, exact LRU',
      ours: mops(hasLru),
      peer: mops(hasSet),
      goal: '≥ 0.8× an unbounded Set',
      ...peer,
    }),
    row({
      group: 'inv-cache',
      name: 'has 50% hits, rolling filter',
      ours: mops(hasRolling),
      peer: mops(hasSet),
      goal: '≥ 1× an unbounded Set',
      ...peer,
      note: `${fp} false positives in ${N} misses`,
    }),
  )

  // --- heap per entry -----------------------------------------------------------------
  const M = opts.quick ? 50_000 : 200_000
  const heapItems = makeItems(M)
  const perLru = heapPerEntry(M, () => {
    const c = new InvCache({}, { max: M })
    c.addMany(heapItems)
    return c
  })
  const perRolling = heapPerEntry(M, () => {
    const f = new RollingInvFilter({}, { entries: M })
    f.addMany(heapItems)
    return f
  })
  const perSet = heapPerEntry(M, () => new Set<string>(heapItems.map(invKey)))
  const mem = {
    peerName: 'naive Set<string>',
    higherIsBetter: false,
    unit: 'bytes/entry (heap + ArrayBuffers)',
  } as const
  rows.push(
    row({
      group: 'inv-cache',
      name: `heap per entry, exact LRU (${M} entries)`,
      ours: perLru,
      peer: perSet,
      goal: '≤ 1.5× a Set',
      ...mem,
    }),
    row({
      group: 'inv-cache',
      name: `heap per entry, rolling filter (${M}, 1e-6)`,
      ours: perRolling,
      peer: perSet,
      goal: '≤ 0.2× a Set (fixed size)',
      ...mem,
    }),
  )
  return rows
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }))
}
