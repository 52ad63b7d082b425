/**
 * UTXO store benchmark: LMDB (`lmdb`) against LevelDB (`classic-level`) on the
 * chainstate's workload, each crash safe (a batch resolves only once durable).
 * Keys and values are the real ones: 'C' + txid + VARINT(vout) and Core's
 * compressed coin (compress.ts), with a mainnet-like script mix (P2WPKH 50 %,
 * P2PKH 25 %, P2TR 15 %, P2SH 10 %).
 *
 * Workloads (full run; `quick` shrinks the set five-fold):
 * - load 1,000,000 coins in durable batches of 10,000;
 * - 100,000 random point reads of present coins, synchronous (`getSync` /
 *   `getBinary`: the cache's miss path) and in batches of 2,000 through the
 *   asynchronous `getMany` (the cache's prefetch of a block's inputs);
 * - 20 durable batches of 5,000 changes (2,500 spends = deletes of random
 *   present coins, 2,500 creations = puts), as a cache flush writes them;
 * - bytes on disk per coin after the load;
 * - heap bytes per coin held by CoinsCache (1 M coins), and the rate of
 *   MuHash3072 and hash_serialized_3 over 100,000 coins (no peer: README numbers).
 *
 * The engine with the better reads and batch writes is the one `CoinsDB`
 * uses; the README's "UTXO set" section records the numbers.
 *
 * Run: node --conditions=@node/source --import tsx packages/chain/bench/coins.bench.ts [--quick]
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { ClassicLevel } from 'classic-level'
import { open as openLmdb, type RootDatabase } from 'lmdb'
import { CoinsCache } from '../src/coins/cache.ts'
import { encodeCoin } from '../src/coins/compress.ts'
import { CoinsDB, coinKey } from '../src/coins/db.ts'
import { computeUtxoStats } from '../src/coins/stats.ts'
import type { Coin } from '../src/coins/types.ts'

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

/** A coin with a mainnet-like script (P2WPKH / P2PKH / P2TR / P2SH). */
export function realisticCoin(rand: () => number): Coin {
  const r = rand()
  let script: Uint8Array
  if (r < 0.5) script = Uint8Array.from([0x00, 0x14, ...randomBytes(20)])
  else if (r < 0.75) script = Uint8Array.from([0x76, 0xa9, 0x14, ...randomBytes(20), 0x88, 0xac])
  else if (r < 0.9) script = Uint8Array.from([0x51, 0x20, ...randomBytes(32)])
  else script = Uint8Array.from([0xa9, 0x14, ...randomBytes(20), 0x87])
  return {
    value: BigInt(Math.floor(rand() * 5e8)),
    script,
    height: Math.floor(rand() * 900_000),
    coinbase: rand() < 0.01,
  }
}

interface Engine {
  readonly name: string
  open(dir: string): Promise<void>
  /** Durable on return. */
  write(puts: readonly [Uint8Array, Uint8Array][], dels: readonly Uint8Array[]): Promise<void>
  getSync(key: Uint8Array): Uint8Array | undefined
  getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]>
  close(): Promise<void>
}

class LmdbEngine implements Engine {
  readonly name = 'lmdb'
  #db: RootDatabase<Buffer, Buffer> | undefined
  async open(dir: string): Promise<void> {
    this.#db = openLmdb<Buffer, Buffer>({ path: dir, encoding: 'binary', keyEncoding: 'binary' })
  }
  async write(puts: readonly [Uint8Array, Uint8Array][], dels: readonly Uint8Array[]): Promise<void> {
    const db = this.#db!
    await db.transaction(() => {
      for (const k of dels) void db.remove(Buffer.from(k.buffer, k.byteOffset, k.length))
      for (const [k, v] of puts) void db.put(Buffer.from(k.buffer, k.byteOffset, k.length), v as Buffer)
    })
    await db.flushed
  }
  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.#db!.getBinary(Buffer.from(key.buffer, key.byteOffset, key.length))
  }
  async getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.#db!.getMany(keys.map((k) => Buffer.from(k.buffer, k.byteOffset, k.length)))
  }
  async close(): Promise<void> {
    await this.#db?.close()
    this.#db = undefined
  }
}

class LevelEngine implements Engine {
  readonly name = 'classic-level'
  #db: ClassicLevel<Uint8Array, Uint8Array> | undefined
  async open(dir: string): Promise<void> {
    this.#db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
    await this.#db.open()
  }
  async write(puts: readonly [Uint8Array, Uint8Array][], dels: readonly Uint8Array[]): Promise<void> {
    const ops: ({ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array })[] = []
    for (const k of dels) ops.push({ type: 'del', key: k })
    for (const [k, v] of puts) ops.push({ type: 'put', key: k, value: v })
    await this.#db!.batch(ops, { sync: true })
  }
  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.#db!.getSync(key)
  }
  async getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.#db!.getMany(keys)
  }
  async close(): Promise<void> {
    await this.#db?.close()
    this.#db = undefined
  }
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir)) {
    const s = await stat(join(dir, name))
    // allocated blocks, not the sparse apparent size (LMDB's map file is sparse)
    if (s.isFile()) total += s.blocks * 512
  }
  return total
}

/** Deterministic PRNG (mulberry32) so both engines see the same sequence. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Result {
  loadCoinsPerS: number
  readSyncPerS: number
  readManyPerS: number
  batchMs: number
  diskBytesPerCoin: number
}

/** The coins to load and the changes to write, made once so both engines get the same bytes. */
interface Workload {
  load: [Uint8Array, Uint8Array][]
  creations: [Uint8Array, Uint8Array][]
}

function makeWorkload(nCoins: number, nCreations: number): Workload {
  const rand = prng(7)
  const make = (n: number): [Uint8Array, Uint8Array][] => {
    const out: [Uint8Array, Uint8Array][] = []
    for (let i = 0; i < n; i++)
      out.push([coinKey(randomBytes(32), Math.floor(rand() * 3)), encodeCoin(realisticCoin(rand))])
    return out
  }
  return { load: make(nCoins), creations: make(nCreations) }
}

async function measure(engine: Engine, w: Workload, nReads: number, nBatches: number): Promise<Result> {
  const nCoins = w.load.length
  const dir = await mkdtemp(join(tmpdir(), `coins-bench-${engine.name}-`))
  try {
    await engine.open(dir)
    const rand = prng(11)
    const keys: Uint8Array[] = w.load.map(([k]) => k)
    const t0 = performance.now()
    const LOAD = 10_000
    for (let i = 0; i < nCoins; i += LOAD) await engine.write(w.load.slice(i, i + LOAD), [])
    const loadMs = performance.now() - t0
    const diskBytesPerCoin = (await dirBytes(dir)) / nCoins

    let found = 0
    const t1 = performance.now()
    for (let i = 0; i < nReads; i++) if (engine.getSync(keys[Math.floor(rand() * keys.length)]!)) found++
    const readSyncMs = performance.now() - t1
    const t2 = performance.now()
    for (let i = 0; i < nReads; i += 2000) {
      const batch: Uint8Array[] = []
      for (let j = 0; j < 2000; j++) batch.push(keys[Math.floor(rand() * keys.length)]!)
      for (const v of await engine.getMany(batch)) if (v) found++
    }
    const readManyMs = performance.now() - t2
    if (found !== 2 * nReads) throw new Error(`${engine.name}: ${2 * nReads - found} reads missed`)

    const t3 = performance.now()
    for (let b = 0; b < nBatches; b++) {
      const dels: Uint8Array[] = []
      for (let j = 0; j < 2500; j++) {
        const at = Math.floor(rand() * keys.length)
        dels.push(keys[at]!)
        keys[at] = keys[keys.length - 1]!
        keys.pop()
      }
      const puts = w.creations.slice(b * 2500, (b + 1) * 2500)
      for (const [k] of puts) keys.push(k)
      await engine.write(puts, dels)
    }
    const batchMs = (performance.now() - t3) / nBatches
    await engine.close()
    return {
      loadCoinsPerS: nCoins / (loadMs / 1000),
      readSyncPerS: nReads / (readSyncMs / 1000),
      readManyPerS: nReads / (readManyMs / 1000),
      batchMs,
      diskBytesPerCoin,
    }
  } finally {
    await engine.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Heap bytes per cached coin: `n` realistic coins added to a CoinsCache,
 * measured as the growth of V8 heap + array buffers after full GCs, beside
 * what the cache's own `usage()` estimate says.
 */
export function measureCacheMemory(n: number): { measured: number; estimated: number } {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const rand = prng(3)
  const txids: Uint8Array[] = []
  for (let i = 0; i < n; i++) txids.push(randomBytes(32))
  // the cache never touches an unstarted database while only adding
  const cache = new CoinsCache({ db: new CoinsDB({ datadir: tmpdir() }), maxBytes: 2 ** 40 })
  gc()
  gc()
  const before = process.memoryUsage()
  // coins are made inside the window: block connection creates them, the cache keeps them
  for (let i = 0; i < n; i++) cache.add(txids[i]!, 0, realisticCoin(rand))
  gc()
  gc()
  const after = process.memoryUsage()
  const grown = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)
  return { measured: grown / n, estimated: cache.usage() / n }
}

/** MuHash3072 and hash_serialized_3 over `n` realistic coins: coins per second for each. */
export async function measureStats(n: number): Promise<{ muhashPerS: number; serializedPerS: number }> {
  const rand = prng(5)
  const coins = Array.from({ length: n }, (_, i) => ({
    txid: randomBytes(32),
    vout: i % 3,
    coin: realisticCoin(rand),
  }))
  coins.sort((a, b) => Buffer.compare(a.txid, b.txid) || a.vout - b.vout)
  let t = performance.now()
  await computeUtxoStats(coins, { hashSerialized: false })
  const muMs = performance.now() - t
  t = performance.now()
  await computeUtxoStats(coins, { muhash: false })
  const serMs = performance.now() - t
  return { muhashPerS: n / (muMs / 1000), serializedPerS: n / (serMs / 1000) }
}

export async function run(opts: { quick: boolean }): Promise<BenchRow[]> {
  const nCoins = opts.quick ? 200_000 : 1_000_000
  const nReads = opts.quick ? 50_000 : 100_000
  const nBatches = opts.quick ? 10 : 20
  const w = makeWorkload(nCoins, nBatches * 2500)
  const lmdb = await measure(new LmdbEngine(), w, nReads, nBatches)
  const level = await measure(new LevelEngine(), w, nReads, nBatches)
  const r = (x: number): number => Math.round(x * 100) / 100
  const row = (
    group: string,
    key: keyof Result,
    unit: string,
    higherIsBetter: boolean,
    note?: string,
  ): BenchRow => ({
    group,
    name: 'classic-level (CoinsDB)',
    ours: r(level[key]),
    peer: r(lmdb[key]),
    peerName: 'lmdb',
    unit,
    ratio: r(higherIsBetter ? level[key] / lmdb[key] : lmdb[key] / level[key]),
    goal: 'the engine choice: > 1 where LevelDB wins',
    higherIsBetter,
    ...(note ? { note } : {}),
  })
  const mem = measureCacheMemory(opts.quick ? 200_000 : 500_000)
  const nStats = opts.quick ? 20_000 : 100_000
  const st = await measureStats(nStats)
  const single = (
    group: string,
    name: string,
    ours: number,
    unit: string,
    higherIsBetter: boolean,
    note: string,
  ): BenchRow => ({
    group,
    name,
    ours: r(ours),
    peer: null,
    peerName: null,
    unit,
    ratio: null,
    goal: 'measured for the README',
    higherIsBetter,
    note,
  })
  return [
    single(
      'coins: cache memory per coin',
      'CoinsCache',
      mem.measured,
      'B/coin',
      false,
      `usage() estimates ${r(mem.estimated)}`,
    ),
    single(
      `coins: MuHash3072 over ${nStats} coins`,
      'computeUtxoStats',
      st.muhashPerS,
      'coins/s',
      true,
      'bigint, one thread',
    ),
    single(
      `coins: hash_serialized_3 over ${nStats} coins`,
      'computeUtxoStats',
      st.serializedPerS,
      'coins/s',
      true,
      'SHA256d stream',
    ),
    row(`coins: load ${nCoins} coins, durable batches of 10k`, 'loadCoinsPerS', 'coins/s', true),
    row(`coins: ${nReads} random point reads, sync`, 'readSyncPerS', 'reads/s', true),
    row(`coins: ${nReads} random reads, getMany of 2,000`, 'readManyPerS', 'reads/s', true),
    row('coins: durable batch of 2.5k spends + 2.5k creations', 'batchMs', 'ms/batch', false),
    row(`coins: bytes on disk per coin (${nCoins} coins)`, 'diskBytesPerCoin', 'B/coin', false),
  ]
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await run({ quick: process.argv.includes('--quick') })
  for (const r of rows) {
    process.stdout.write(
      `${r.group.padEnd(56)} level ${String(r.ours).padStart(12)} ${r.unit.padEnd(9)} lmdb ${String(r.peer).padStart(12)}  ratio ${r.ratio}\n`,
    )
  }
}
