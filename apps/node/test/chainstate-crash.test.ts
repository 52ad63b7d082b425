/**
 * Crash safety of the UTXO set (Core writes its coins, undo data and
 * best-block marker in one batch: txdb.cpp `CCoinsViewDB::BatchWrite`, and
 * replays from the marker with the stored blocks: validation.cpp
 * `Chainstate::ReplayBlocks`): a daemon is SIGKILLed at a random moment of
 * its sync, restarted on the same data directory, and once synced its
 * `gettxoutsetinfo` hash must equal that of a clean sync.
 *
 * Source daemon A holds a script chain (every output type spent with real
 * signatures), submitted with `submitblock`. B syncs it from A cleanly. Then
 * each round a fresh daemon C syncs from A and is killed after a random
 * delay drawn from a seeded generator (seed in the log; set
 * CRASH_TEST_SEED to replay a run); some rounds run with `-dbcache=4` and
 * `-par=1`, others with the defaults.
 */
import { freePorts, generateScriptChain } from '@node/testkit'
import { toHex } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDaemons, type Daemon, datadir, launch, until } from './helpers/daemon.ts'

const BLOCKS = 150
const ROUNDS = 20

afterEach(cleanupDaemons)

/** mulberry32: a small seeded generator of numbers in [0, 1). */
function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface TxOutSetInfo {
  height: number
  bestblock: string
  txouts: number
  hash_serialized_3?: string
  muhash?: string
}

const count = async (d: Daemon): Promise<number> => (await d.client.command('getblockcount')) as number

async function stop(d: Daemon): Promise<void> {
  d.child.kill('SIGTERM')
  expect(await d.exited).toBe(0)
}

describe('chain state crash safety (regtest daemons)', () => {
  it(`a daemon killed with SIGKILL at ${ROUNDS} random moments of its sync ends, after a restart, with the UTXO set of a clean sync`, async () => {
    const seed = Number(process.env['CRASH_TEST_SEED'] ?? Date.now() % 2 ** 32)
    console.log(`chainstate-crash seed: ${seed} (CRASH_TEST_SEED=${seed} replays it)`)
    const rng = seeded(seed)
    const t0 = Date.now()

    const chain = await generateScriptChain({ blocks: BLOCKS, taproot: true, seed: 'crash' })
    const tipHash = chain.blocks[BLOCKS - 1]!.hash
    const [pa, ra, pb, rb, pc, rc] = await freePorts(6)
    const a = await launch(await datadir(), [pa!, ra!])
    for (const b of chain.blocks) {
      expect(await a.client.command('submitblock', toHex(b.raw))).toBeNull()
    }
    expect(await a.client.command('getbestblockhash')).toBe(tipHash)
    const tGen = Date.now()

    // The clean sync.
    const b = await launch(await datadir(), [pb!, rb!], [`-connect=127.0.0.1:${pa}`])
    const syncStart = Date.now()
    await until(async () => (await count(b)) === BLOCKS, 90_000)
    const syncMs = Date.now() - syncStart
    const clean = (await b.client.command('gettxoutsetinfo')) as TxOutSetInfo
    const cleanMu = (await b.client.command('gettxoutsetinfo', 'muhash')) as TxOutSetInfo
    expect(clean).toMatchObject({ height: BLOCKS, bestblock: tipHash, txouts: chain.utxos.size })
    expect(clean.hash_serialized_3).toMatch(/^[0-9a-f]{64}$/)
    expect(cleanMu.muhash).toMatch(/^[0-9a-f]{64}$/)
    // A's set, built from submitted blocks, is the same.
    expect(await a.client.command('gettxoutsetinfo')).toMatchObject({
      hash_serialized_3: clean.hash_serialized_3,
    })
    await stop(b)

    const killedAt: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const small = round % 2 === 0
      const extra = [`-connect=127.0.0.1:${pa}`, ...(small ? ['-dbcache=4', '-par=1'] : [])]
      const dir = await datadir()
      const c = await launch(dir, [pc!, rc!], extra)
      // A random moment from the RPC server's start to the end of a clean sync.
      const delay = Math.floor(rng() * syncMs)
      await new Promise((r) => setTimeout(r, delay))
      killedAt.push(await count(c))
      c.child.kill('SIGKILL')
      await c.exited

      const c2 = await launch(dir, [pc!, rc!], extra)
      await until(async () => (await count(c2)) === BLOCKS, 90_000)
      const info = (await c2.client.command('gettxoutsetinfo')) as TxOutSetInfo
      expect(info, `round ${round} (seed ${seed}, delay ${delay} ms)`).toMatchObject({
        height: BLOCKS,
        bestblock: tipHash,
        hash_serialized_3: clean.hash_serialized_3,
      })
      if (round === 0) {
        expect(await c2.client.command('gettxoutsetinfo', 'muhash')).toMatchObject({ muhash: cleanMu.muhash })
      }
      // Killed again, synced: the next round starts at once.
      c2.child.kill('SIGKILL')
      await c2.exited
    }
    // Most kills land before the tip: the daemon was still syncing.
    const mid = killedAt.filter((h) => h < BLOCKS).length
    console.log(
      `chainstate-crash: chain ${tGen - t0} ms, clean sync ${syncMs} ms, ${ROUNDS} rounds ${Date.now() - tGen - syncMs} ms; heights just before each kill ${killedAt.join(' ')}`,
    )
    expect(mid).toBeGreaterThanOrEqual(ROUNDS / 4)
  }, 600_000)
})
