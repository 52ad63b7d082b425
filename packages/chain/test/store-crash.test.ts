/**
 * A real crash: a child process writes blocks, headers and the tip in a loop
 * and prints each write once it is acknowledged; we SIGKILL it at a random
 * moment, reopen the store, and check that every acknowledged write is there
 * and intact and that the store opens without error. Five rounds on the same
 * directory, so later rounds also recover from the earlier crashes.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BlockStore } from '../src/index.ts'
import { hex, tempDir } from './store-helpers.ts'

const here = dirname(fileURLToPath(import.meta.url))
const writerScript = join(here, 'fixtures', 'store-crash-writer.ts')
const ROUNDS = 5

/** Deterministic kill points: after this many acknowledged blocks, plus a delay in ms. */
function killPlan(round: number): { afterBlocks: number; extraMs: number } {
  let s = (round + 1) * 2654435761
  s = (s ^ (s >>> 13)) >>> 0
  return { afterBlocks: 5 + (s % 60), extraMs: (s >>> 8) % 40 }
}

interface Acked {
  blocks: Set<string>
  headers: Map<number, number> // first height → count
  tips: { hash: string; height: number }[]
}

const children = new Set<ChildProcess>()

async function crashRound(dir: string, round: number, acked: Acked): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--conditions=@node/source', '--import', 'tsx', writerScript, dir, String(round + 1)],
    {
      cwd: join(here, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  children.add(child)
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? code))
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const plan = killPlan(round)
  let blocksThisRound = 0
  let ready = false
  const lines = createInterface({ input: child.stdout! })
  await new Promise<void>((resolve, reject) => {
    let killing = false
    lines.on('line', (line) => {
      const [kind, a, b] = line.split(' ')
      if (kind === 'READY') ready = true
      else if (kind === 'B') {
        acked.blocks.add(a!)
        blocksThisRound++
      } else if (kind === 'H') acked.headers.set(Number(a), Number(b))
      else if (kind === 'T') acked.tips.push({ hash: a!, height: Number(b) })
      if (!killing && blocksThisRound >= plan.afterBlocks) {
        killing = true
        setTimeout(() => {
          child.kill('SIGKILL')
          resolve()
        }, plan.extraMs)
      }
    })
    void exited.then((how) => {
      if (!killing) reject(new Error(`The writer exited early (${String(how)}): ${stderr}`))
    })
  })
  expect(await exited).toBe('SIGKILL')
  children.delete(child)
  // Lines printed before the kill may still be in the pipe: read them all.
  await new Promise<void>((resolve) => {
    if (child.stdout!.readableEnded) resolve()
    else child.stdout!.once('end', resolve)
  })
  lines.close()
  expect(ready).toBe(true)
}

describe('BlockStore survives kill -9', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL')
    await cleanup()
  })

  it(`keeps every acknowledged write over ${ROUNDS} SIGKILLs at random moments`, async () => {
    const acked: Acked = { blocks: new Set(), headers: new Map(), tips: [] }
    for (let round = 0; round < ROUNDS; round++) {
      await crashRound(dir, round, acked)
      expect(acked.blocks.size).toBeGreaterThan(0)

      const store = new BlockStore({}, { dir, maxFileSize: 2 * 1024 * 1024 })
      await store.start()
      try {
        // Every acknowledged block is present and its bytes hash to its name.
        for (const h of acked.blocks) {
          const hash = Buffer.from(h, 'hex')
          expect(store.hasBlock(hash), `block ${h} after round ${round}`).toBe(true)
          const bytes = await store.getBlock(hash)
          expect(hex(createHash('sha256').update(bytes!).digest())).toBe(h)
        }
        // Every acknowledged header batch is loaded.
        const loaded = new Map((await store.loadHeaders()).map((r) => [r.height, r]))
        for (const [first, count] of acked.headers) {
          for (let height = first; height < first + count; height++) {
            const r = loaded.get(height)
            expect(r, `header at height ${height}`).toBeDefined()
            expect(new DataView(r!.header80.buffer, r!.header80.byteOffset).getUint32(0, true)).toBe(height)
          }
        }
        // The tip is the last acknowledged one, or a later one whose write was under way.
        const last = acked.tips[acked.tips.length - 1]
        if (last) expect(store.getTip()!.height).toBeGreaterThanOrEqual(last.height)
        expect(store.lastRecovery.droppedIndexEntries).toBe(0)
        expect(store.lastRecovery.corruptHeaderRecords).toBe(0)
        expect(store.lastRecovery.tipLost).toBe(false)
      } finally {
        await store.stop()
      }
    }
  }, 120_000)
})
