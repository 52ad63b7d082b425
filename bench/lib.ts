/**
 * Benchmark harness shared by every package's bench file: timing, rows with
 * the peer implementation measured in the same run, and table output.
 */
import { performance } from 'node:perf_hooks'

export interface BenchRow {
  group: string
  name: string
  ours: number
  peer: number | null
  peerName: string | null
  unit: string
  /** ours / peer when higher is better, peer / ours otherwise: > 1 means we win. */
  ratio: number | null
  goal: string
  higherIsBetter: boolean
  note?: string | undefined
}

export interface BenchOptions {
  quick: boolean
}

/**
 * Run `fn` repeatedly for at least `minMs` (after a warm-up) and return the
 * mean milliseconds per call.
 */
export function timeIt(fn: () => unknown, minMs = 400, warmupMs = 100): number {
  const warmEnd = performance.now() + warmupMs
  while (performance.now() < warmEnd) fn()
  let n = 0
  const start = performance.now()
  let now = start
  while (now - start < minMs || n < 3) {
    fn()
    n++
    now = performance.now()
  }
  return (now - start) / n
}

/** The same for async functions. */
export async function timeItAsync(fn: () => Promise<unknown>, minMs = 400, warmupMs = 100): Promise<number> {
  const warmEnd = performance.now() + warmupMs
  while (performance.now() < warmEnd) await fn()
  let n = 0
  const start = performance.now()
  let now = start
  while (now - start < minMs || n < 3) {
    await fn()
    n++
    now = performance.now()
  }
  return (now - start) / n
}

export function row(r: Omit<BenchRow, 'ratio'> & { ratio?: number | null | undefined }): BenchRow {
  let ratio = r.ratio ?? null
  if (ratio === null && r.peer !== null && r.peer > 0 && r.ours > 0) {
    ratio = r.higherIsBetter ? r.ours / r.peer : r.peer / r.ours
  }
  return { ...r, ratio }
}

// NaN: a measure the node under test does not report (yet).
const fmt = (n: number | null): string =>
  n === null
    ? '—'
    : Number.isNaN(n)
      ? 'n/a'
      : Math.abs(n) >= 100
        ? n.toFixed(0)
        : Math.abs(n) >= 1
          ? n.toFixed(2)
          : n.toPrecision(3)

export function toMarkdown(rows: readonly BenchRow[]): string {
  const lines = [
    '| group | measure | ours | peer | peer value | unit | ratio (>1 = ours better) | goal |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    lines.push(
      `| ${r.group} | ${r.name}${r.note ? ` (${r.note})` : ''} | ${fmt(r.ours)} | ${r.peerName ?? '—'} | ${fmt(r.peer)} | ${r.unit} | ${r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`} | ${r.goal} |`,
    )
  }
  return lines.join('\n')
}

export function printRows(rows: readonly BenchRow[]): void {
  process.stdout.write(`${toMarkdown(rows)}\n`)
}
