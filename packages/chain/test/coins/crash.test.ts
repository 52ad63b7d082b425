/**
 * Crash safety of the coins database: a child process connects blocks and
 * flushes after each (crash-writer.ts); we SIGKILL it at a random moment,
 * reopen, and check that the best-block marker names one block k, no
 * earlier than the last acknowledged flush, and that the stored coins and
 * k's undo data are exactly the state after block k. Three rounds on one
 * directory, the writer resuming from what it finds.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { CoinsDB } from '../../src/index.ts'
import { blockHash, coinOf, expectedCount, OUTPUTS, spentBy, txid } from './fixtures/crash-model.ts'

const here = dirname(fileURLToPath(import.meta.url))
const writer = join(here, 'fixtures', 'crash-writer.ts')
const ROUNDS = 3
const children = new Set<ChildProcess>()
const dirs: string[] = []

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** Run the writer from height `from`; kill it after `acks` acknowledged flushes plus `extraMs`. */
async function crashRound(dir: string, from: number, acks: number, extraMs: number): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--conditions=@node/source', '--import', 'tsx', writer, dir, String(from)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  children.add(child)
  let last = from
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve) => {
    const rl = createInterface({ input: child.stdout! })
    rl.on('line', (line) => {
      const m = /^flushed (\d+)$/.exec(line)
      if (!m) return
      last = Number(m[1])
      if (last - from === acks)
        setTimeout(() => {
          child.kill('SIGKILL')
          resolve()
        }, extraMs)
    })
    child.once('exit', () => resolve())
  })
  child.kill('SIGKILL')
  await exited
  children.delete(child)
  return last
}

describe('coins database after kill -9', () => {
  it('reopens at exactly one block, at or after the last acknowledged flush, with that block’s coins and undo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coins-crash-'))
    dirs.push(dir)
    let height = 0
    for (let round = 0; round < ROUNDS; round++) {
      const acked = await crashRound(dir, height, 2 + ((round * 7) % 5), (round * 13) % 25)
      const db = new CoinsDB({ datadir: dir })
      await db.start()
      try {
        const best = db.bestBlock()
        expect(best).toBeDefined()
        let k = -1
        for (let j = acked; j <= acked + 2; j++) if (Buffer.compare(blockHash(j), best!) === 0) k = j
        expect(k, `marker is block ${acked}..${acked + 2}`).toBeGreaterThanOrEqual(acked)
        // the coins are those after block k: block k's outputs, and the unspent half of each earlier block
        let n = 0
        for await (const { txid: t, vout, coin } of db.iterate()) {
          const i = coin.height
          expect(Buffer.compare(t, txid(i))).toBe(0)
          expect(coin).toEqual(coinOf(i, vout))
          expect(i).toBeLessThanOrEqual(k)
          if (i < k) expect(vout).toBeGreaterThanOrEqual(OUTPUTS / 2)
          n++
        }
        expect(n).toBe(expectedCount(k))
        const undo = await db.getUndo(blockHash(k))
        expect(undo).toEqual([spentBy(k - 1).map((v) => coinOf(k - 1, v))])
        expect(await db.getUndo(blockHash(k + 1))).toBeUndefined()
        height = k
      } finally {
        await db.stop()
      }
    }
  }, 60_000)
})
