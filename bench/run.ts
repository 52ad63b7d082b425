/**
 * `pnpm bench`: runs every package's benchmark in one process and prints one
 * table; writes it as JSON and Markdown under bench/results/. `--quick` for a
 * short run. Each row is measured against a peer implementation in the same run.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type BenchRow, toMarkdown } from './lib.ts'

const quick = process.argv.includes('--quick')
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7)

// Every package that has a benchmark, in dependency order.
const suites = [
  'packages/wire/bench/wire.bench.ts',
  'packages/consensus/bench/consensus.bench.ts',
  'packages/addrmgr/bench/addrmgr.bench.ts',
  'packages/inv-cache/bench/inv-cache.bench.ts',
  'packages/peer/bench/peer.bench.ts',
  'packages/peer/bench/bip324.bench.ts',
  'packages/chain/bench/store.bench.ts',
  'packages/chain/bench/coins.bench.ts',
  'packages/server/bench/policy.bench.ts',
  'apps/node/bench/rpc.bench.ts',
  // sync (bcoin → ours, ours → ours, bcoin → bcoin), relay line, stop with 125 peers
  'bench/system.bench.ts',
  // sync with full validation: vs bcoin validating (native crypto), assume-valid, -dbcache, signature bound
  'bench/validation.bench.ts',
]

const root = fileURLToPath(new URL('..', import.meta.url))
const rows: BenchRow[] = []
const started = Date.now()
for (const rel of suites) {
  if (only && !rel.includes(only)) continue
  const file = `${root}${rel}`
  if (!existsSync(file)) continue
  process.stderr.write(`bench: ${rel}\n`)
  const mod = (await import(pathToFileURL(file).href)) as {
    run?: (o: { quick: boolean }) => Promise<BenchRow[]>
  }
  if (typeof mod.run !== 'function') continue
  try {
    rows.push(...(await mod.run({ quick })))
  } catch (err) {
    process.stderr.write(`bench: ${rel} failed: ${(err as Error).stack ?? String(err)}\n`)
  }
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`
const date = new Date().toISOString()
const md = `Benchmarks (${quick ? 'quick' : 'full'} run) on ${machine}, ${date}, ${((Date.now() - started) / 1000).toFixed(0)} s.\n\n${toMarkdown(rows)}\n`
process.stdout.write(md)
mkdirSync(`${root}bench/results`, { recursive: true })
writeFileSync(`${root}bench/results/latest.md`, md)
writeFileSync(
  `${root}bench/results/latest.json`,
  `${JSON.stringify({ machine, date, quick, rows }, null, 2)}\n`,
)
