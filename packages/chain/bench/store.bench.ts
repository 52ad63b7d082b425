/**
 * Block store benchmark: our flat-file BlockStore against LMDB (`lmdb`) and
 * LevelDB (`classic-level`), each configured to be crash safe (every
 * acknowledged write is fsynced before its promise resolves).
 *
 * Workloads (full run; `quick` shrinks them ten-fold):
 * - write 2,000 blocks of random bytes, 200 KB–1 MB each, one at a time
 *   (await each put) and 16 in flight (as parallel download does);
 * - read every block back by hash, in random order, and compare the bytes;
 * - write 100,000 header index records (hash + 80-byte header + height) in
 *   batches of 2,000, as headers messages arrive;
 * - close, reopen and load the whole header index;
 * - bytes on disk (allocated blocks) for the blocks and headers.
 *
 * Run: node --conditions=@node/source --import tsx packages/chain/bench/store.bench.ts [--quick]
 */
import { createHash, randomFillSync } from 'node:crypto'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { type Database, open as openLmdb, type RootDatabase } from 'lmdb'
import { BlockStore } from '../src/store.ts'

export type BenchRow = {
  group: string
  name: string
  ours: number
  peer: number | null
  peerName: string | null
  unit: string
  ratio: number | null
  goal: string
  higherIsBetter: boolean
  note?: string
}

interface HeaderRec {
  hash: Uint8Array
  header80: Uint8Array
  height: number
}

/** What each engine must offer; every write resolves only when durable. */
interface Engine {
  readonly name: string
  open(dir: string): Promise<void>
  putBlock(hash: Uint8Array, bytes: Uint8Array): Promise<void>
  getBlock(hash: Uint8Array): Promise<Uint8Array | undefined>
  putHeaders(recs: readonly HeaderRec[]): Promise<void>
  /** Returns how many header records were loaded. */
  loadHeaders(): Promise<number>
  close(): Promise<void>
}

// --- engines -----------------------------------------------------------------

class OursEngine implements Engine {
  readonly name = 'ours (flat files)'
  #store: BlockStore | undefined
  async open(dir: string): Promise<void> {
    this.#store = new BlockStore({}, { dir })
    await this.#store.start()
  }
  putBlock(hash: Uint8Array, bytes: Uint8Array): Promise<void> {
    return this.#store!.putBlock(hash, bytes)
  }
  getBlock(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#store!.getBlock(hash)
  }
  putHeaders(recs: readonly HeaderRec[]): Promise<void> {
    return this.#store!.putHeaders(recs)
  }
  async loadHeaders(): Promise<number> {
    return (await this.#store!.loadHeaders()).length
  }
  async close(): Promise<void> {
    await this.#store?.stop()
    this.#store = undefined
  }
}

/** LMDB: a write is durable once `db.flushed` resolves after it (lmdb-js overlappingSync). */
class LmdbEngine implements Engine {
  readonly name = 'lmdb'
  #root: RootDatabase<Uint8Array, Uint8Array> | undefined
  #blocks: Database<Uint8Array, Uint8Array> | undefined
  #headers: Database<Uint8Array, Uint8Array> | undefined
  async open(dir: string): Promise<void> {
    const root = openLmdb<Uint8Array, Uint8Array>({ path: dir, encoding: 'binary', keyEncoding: 'binary' })
    this.#root = root
    this.#blocks = root.openDB<Uint8Array, Uint8Array>('blocks', {
      encoding: 'binary',
      keyEncoding: 'binary',
    })
    this.#headers = root.openDB<Uint8Array, Uint8Array>('headers', {
      encoding: 'binary',
      keyEncoding: 'binary',
    })
  }
  async putBlock(hash: Uint8Array, bytes: Uint8Array): Promise<void> {
    await this.#blocks!.put(Buffer.from(hash), bytes)
    await this.#root!.flushed
  }
  async getBlock(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#blocks!.get(Buffer.from(hash))
  }
  async putHeaders(recs: readonly HeaderRec[]): Promise<void> {
    const db = this.#headers!
    await db.batch(() => {
      for (const r of recs) void db.put(Buffer.from(r.hash), encodeHeaderValue(r))
    })
    await this.#root!.flushed
  }
  async loadHeaders(): Promise<number> {
    let n = 0
    for (const { value } of this.#headers!.getRange({})) {
      if (value.length === 88) n++
    }
    return n
  }
  async close(): Promise<void> {
    await this.#root?.close()
    this.#root = undefined
  }
}

/** LevelDB: `sync: true` on every write makes it fsync its log before acknowledging. */
class LevelEngine implements Engine {
  readonly name = 'classic-level'
  #db: ClassicLevel<Uint8Array, Uint8Array> | undefined
  async open(dir: string): Promise<void> {
    this.#db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
    await this.#db.open()
  }
  async putBlock(hash: Uint8Array, bytes: Uint8Array): Promise<void> {
    await this.#db!.put(prefixed(0x62, hash), bytes, { sync: true })
  }
  async getBlock(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#db!.get(prefixed(0x62, hash))
  }
  async putHeaders(recs: readonly HeaderRec[]): Promise<void> {
    await this.#db!.batch(
      recs.map((r) => ({ type: 'put' as const, key: prefixed(0x68, r.hash), value: encodeHeaderValue(r) })),
      { sync: true },
    )
  }
  async loadHeaders(): Promise<number> {
    let n = 0
    for await (const [, value] of this.#db!.iterator({
      gte: Uint8Array.of(0x68),
      lt: Uint8Array.of(0x69),
    })) {
      if (value.length === 88) n++
    }
    return n
  }
  async close(): Promise<void> {
    await this.#db?.close()
    this.#db = undefined
  }
}

function prefixed(p: number, hash: Uint8Array): Uint8Array {
  const k = new Uint8Array(33)
  k[0] = p
  k.set(hash, 1)
  return k
}

function encodeHeaderValue(r: HeaderRec): Uint8Array {
  const v = new Uint8Array(88)
  v.set(r.header80, 0)
  new DataView(v.buffer).setUint32(80, r.height, true)
  return v
}

// --- workload ----------------------------------------------------------------

/** xorshift32: deterministic sizes and read order. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 0x1_0000_0000
  }
}

function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest())
}

interface Workload {
  blocks: { hash: Uint8Array; bytes: Uint8Array }[]
  totalBytes: number
  headers: HeaderRec[]
  readOrder: number[]
}

function makeWorkload(nBlocks: number, nHeaders: number): Workload {
  const rand = prng(0x5eed)
  const blocks: Workload['blocks'] = []
  let totalBytes = 0
  for (let i = 0; i < nBlocks; i++) {
    const size = 200_000 + Math.floor(rand() * 800_001)
    const bytes = randomFillSync(new Uint8Array(size))
    blocks.push({ hash: sha256(bytes), bytes })
    totalBytes += size
  }
  const headers: HeaderRec[] = []
  for (let i = 0; i < nHeaders; i++) {
    const header80 = randomFillSync(new Uint8Array(80))
    headers.push({ hash: sha256(header80), header80, height: i })
  }
  const readOrder = blocks.map((_, i) => i)
  for (let i = readOrder.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = readOrder[i]!
    readOrder[i] = readOrder[j]!
    readOrder[j] = t
  }
  return { blocks, totalBytes, headers, readOrder }
}

async function diskUsage(dir: string): Promise<number> {
  let total = 0
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) total += await diskUsage(p)
    else total += (await stat(p)).blocks * 512
  }
  return total
}

interface EngineResult {
  seqMBps: number
  seqBlocksPerSec: number
  parMBps: number
  readMBps: number
  headersPerSec: number
  reopenLoadMs: number
  diskMB: number
  overheadPct: number
}

/**
 * Measure every engine on the same workload. Disk speed on a shared machine
 * drifts by 2x within a minute, so the engines take turns in small slices
 * (the turn order rotates) and each engine's time is the sum of its slices:
 * a slow spell then costs every engine alike.
 */
async function measureAll(engines: Engine[], w: Workload, slice: number): Promise<Map<Engine, EngineResult>> {
  const root = await mkdtemp(join(tmpdir(), 'blockstore-bench-'))
  const dirs = new Map(engines.map((e, i) => [e, join(root, `db${i}`)]))
  const time = new Map<Engine, Record<string, number>>(engines.map((e) => [e, {}]))
  const add = (e: Engine, k: string, ms: number): void => {
    const t = time.get(e)!
    t[k] = (t[k] ?? 0) + ms
  }
  /** Run `fn(engine, from, to)` over [0, n) in slices, engines taking turns. */
  const turns = async (
    k: string,
    n: number,
    step: number,
    fn: (e: Engine, from: number, to: number) => Promise<void>,
  ): Promise<void> => {
    let turn = 0
    for (let from = 0; from < n; from += step) {
      const to = Math.min(n, from + step)
      for (let i = 0; i < engines.length; i++) {
        const e = engines[(i + turn) % engines.length]!
        const t0 = performance.now()
        await fn(e, from, to)
        add(e, k, performance.now() - t0)
      }
      turn++
    }
  }
  try {
    for (const e of engines) await e.open(dirs.get(e)!)
    const half = Math.floor(w.blocks.length / 2)
    let seqBytes = 0
    for (let i = 0; i < half; i++) seqBytes += w.blocks[i]!.bytes.length
    const parBytes = w.totalBytes - seqBytes

    // One at a time: each put awaited (one durable commit per block).
    await turns('seq', half, slice, async (e, from, to) => {
      for (let i = from; i < to; i++) await e.putBlock(w.blocks[i]!.hash, w.blocks[i]!.bytes)
    })
    // 16 in flight: engines may group commits.
    await turns('par', w.blocks.length - half, slice * 2, async (e, from, to) => {
      let next = half + from
      const end = half + to
      const worker = async (): Promise<void> => {
        while (next < end) {
          const b = w.blocks[next++]!
          await e.putBlock(b.hash, b.bytes)
        }
      }
      await Promise.all(Array.from({ length: 16 }, worker))
    })
    await turns('read', w.readOrder.length, slice * 2, async (e, from, to) => {
      for (let k = from; k < to; k++) {
        const i = w.readOrder[k]!
        const b = w.blocks[i]!
        const got = await e.getBlock(b.hash)
        if (!got || Buffer.compare(got, b.bytes) !== 0) throw new Error(`${e.name}: block ${i} differs`)
      }
    })
    await turns('headers', w.headers.length, 2000, (e, from, to) => e.putHeaders(w.headers.slice(from, to)))
    for (const e of engines) await e.close()
    // Reopen and load, three times each in rotating order; keep the fastest.
    const load = new Map<Engine, number>()
    for (let r = 0; r < 3; r++) {
      for (let i = 0; i < engines.length; i++) {
        const e = engines[(i + r) % engines.length]!
        const t0 = performance.now()
        await e.open(dirs.get(e)!)
        const n = await e.loadHeaders()
        const ms = performance.now() - t0
        await e.close()
        if (n !== w.headers.length)
          throw new Error(`${e.name}: loaded ${n} headers, want ${w.headers.length}`)
        load.set(e, Math.min(load.get(e) ?? Number.POSITIVE_INFINITY, ms))
      }
    }
    const payload = w.totalBytes + w.headers.length * 112
    const out = new Map<Engine, EngineResult>()
    for (const e of engines) {
      const t = time.get(e)!
      const disk = await diskUsage(dirs.get(e)!)
      out.set(e, {
        seqMBps: seqBytes / 1e3 / t['seq']!,
        seqBlocksPerSec: (half * 1000) / t['seq']!,
        parMBps: parBytes / 1e3 / t['par']!,
        readMBps: w.totalBytes / 1e3 / t['read']!,
        headersPerSec: (w.headers.length * 1000) / t['headers']!,
        reopenLoadMs: load.get(e)!,
        diskMB: disk / 1e6,
        overheadPct: ((disk - payload) / payload) * 100,
      })
    }
    return out
  } finally {
    for (const e of engines) await e.close().catch(() => {})
    await rm(root, { recursive: true, force: true })
  }
}

export async function run(opts: { quick: boolean }): Promise<BenchRow[]> {
  const nBlocks = opts.quick ? 200 : 2000
  const nHeaders = opts.quick ? 10_000 : 100_000
  const w = makeWorkload(nBlocks, nHeaders)
  const oursEngine = new OursEngine()
  const lmdb = new LmdbEngine()
  const level = new LevelEngine()
  const results = await measureAll([oursEngine, lmdb, level], w, opts.quick ? 10 : 25)
  const ours = results.get(oursEngine)!
  const peers: [string, EngineResult][] = [
    ['lmdb', results.get(lmdb)!],
    ['classic-level', results.get(level)!],
  ]
  const metrics: {
    key: keyof EngineResult
    group: string
    unit: string
    higherIsBetter: boolean
    goal: string
  }[] = [
    {
      key: 'seqMBps',
      group: `store: write ${nBlocks / 2} blocks one at a time, durable`,
      unit: 'MB/s',
      higherIsBetter: true,
      goal: '>= best peer',
    },
    {
      key: 'parMBps',
      group: `store: write ${nBlocks / 2} blocks 16 in flight, durable`,
      unit: 'MB/s',
      higherIsBetter: true,
      goal: '>= best peer',
    },
    {
      key: 'readMBps',
      group: `store: read ${nBlocks} blocks by hash, random order`,
      unit: 'MB/s',
      higherIsBetter: true,
      goal: '>= 0.5x best peer',
    },
    {
      key: 'headersPerSec',
      group: `store: write ${nHeaders} header records, batches of 2000, durable`,
      unit: 'records/s',
      higherIsBetter: true,
      goal: '>= 0.5x best peer',
    },
    {
      key: 'reopenLoadMs',
      group: `store: reopen and load ${nHeaders} header records`,
      unit: 'ms',
      higherIsBetter: false,
      goal: '<= best peer',
    },
    {
      key: 'diskMB',
      group: 'store: bytes on disk after all writes',
      unit: 'MB',
      higherIsBetter: false,
      goal: '<= best peer',
    },
  ]
  const rows: BenchRow[] = []
  for (const m of metrics) {
    for (const [peerName, p] of peers) {
      const row: BenchRow = {
        group: m.group,
        name: `BlockStore vs ${peerName}`,
        ours: round(ours[m.key]),
        peer: round(p[m.key]),
        peerName,
        unit: m.unit,
        ratio: round(m.higherIsBetter ? ours[m.key] / p[m.key] : p[m.key] / ours[m.key]),
        goal: m.goal,
        higherIsBetter: m.higherIsBetter,
      }
      if (m.key === 'diskMB') {
        row.note = `overhead over payload: ours ${ours.overheadPct.toFixed(1)}%, ${peerName} ${p.overheadPct.toFixed(1)}%`
      }
      if (m.key === 'seqMBps') {
        row.note = `blocks/s: ours ${ours.seqBlocksPerSec.toFixed(0)}, ${peerName} ${p.seqBlocksPerSec.toFixed(0)}`
      }
      rows.push(row)
    }
  }
  return rows
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  const rows = await run({ quick })
  const out = process.stdout
  for (const r of rows) {
    out.write(
      `${r.group.padEnd(62)} ${r.name.padEnd(28)} ours ${String(r.ours).padStart(10)} ${r.unit.padEnd(9)} ` +
        `peer ${String(r.peer).padStart(10)}  ratio ${String(r.ratio).padStart(6)}${r.note ? `  (${r.note})` : ''}\n`,
    )
  }
}
