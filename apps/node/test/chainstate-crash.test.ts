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
 * each round a fresh daemon C syncs from A and is killed at a moment drawn
 * from a seeded generator (a height its sync must reach, then up to 50 ms;
 * seed in the log, CRASH_TEST_SEED replays a run); half the rounds run with
 * `-dbcache=4` and `-par=1`, the others with the defaults. Two rounds run at
 * a time.
 */
import { freePorts, generateScriptChain } from '@node/testkit'
import { toHex } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDaemons, type Daemon, datadir, launch, until } from './helpers/daemon.ts'
import { expectedStats } from './helpers/utxo-stats.ts'

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
    const seed = Number(process.env['CRASH_TEST_SEED'] || Date.now() % 2 ** 32)
    console.log(`chainstate-crash seed: ${seed} (CRASH_TEST_SEED=${seed} replays it)`)
    const rng = seeded(seed)
    const t0 = Date.now()

    const chain = await generateScriptChain({ blocks: BLOCKS, taproot: true, seed: 'crash' })
    const tipHash = chain.blocks[BLOCKS - 1]!.hash
    const [pa, ra, pb, rb] = await freePorts(4)
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
    // The clean sync is right: its hashes are those of a replay of the chain, hashed without the node.
    const want = await expectedStats(chain.utxos)
    expect(clean.hash_serialized_3).toBe(want.hash_serialized_3)
    expect(cleanMu.muhash).toBe(want.muhash)
    // A's set, built from submitted blocks, is the same.
    expect(await a.client.command('gettxoutsetinfo')).toMatchObject({
      hash_serialized_3: clean.hash_serialized_3,
    })
    await stop(b)

    // Each round's moment, drawn up front so the seed alone decides them: a
    // height the sync must reach, then a delay of up to 50 ms.
    const moments = Array.from({ length: ROUNDS }, () => ({
      height: Math.floor(rng() * BLOCKS),
      delay: Math.floor(rng() * 50),
    }))
    const killedAt: number[] = []
    const round = async (i: number, ports: [number, number]): Promise<void> => {
      const daemons: Daemon[] = []
      try {
        await roundOn(i, ports, daemons)
      } catch (err) {
        const logs = daemons.map(
          (d, k) =>
            `--- ${k === 0 ? 'first run' : 'restart'} (exit ${d.child.exitCode} ${d.child.signalCode}):\n${d.output().slice(-4000)}`,
        )
        throw new Error(
          `round ${i} (seed ${seed}, ${JSON.stringify(moments[i])}): ${String(err)}\n${logs.join('\n')}`,
        )
      }
    }
    const roundOn = async (i: number, ports: [number, number], daemons: Daemon[]): Promise<void> => {
      const { height, delay } = moments[i]!
      const small = i % 2 === 0
      const extra = [`-connect=127.0.0.1:${pa}`, ...(small ? ['-dbcache=4', '-par=1'] : [])]
      const dir = await datadir()
      const c = await launch(dir, ports, extra)
      daemons.push(c)
      await until(async () => (await count(c)) >= height, 90_000)
      await new Promise((r) => setTimeout(r, delay))
      killedAt[i] = await count(c)
      c.child.kill('SIGKILL')
      await c.exited

      const c2 = await launch(dir, ports, extra)
      daemons.push(c2)
      await until(async () => (await count(c2)) === BLOCKS, 90_000)
      const info = (await c2.client.command('gettxoutsetinfo')) as TxOutSetInfo
      expect(info, `round ${i} (seed ${seed}, height ${height}, delay ${delay} ms)`).toMatchObject({
        height: BLOCKS,
        bestblock: tipHash,
        hash_serialized_3: clean.hash_serialized_3,
      })
      if (i === 0) {
        expect(await c2.client.command('gettxoutsetinfo', 'muhash')).toMatchObject({ muhash: cleanMu.muhash })
      }
      // Killed again, synced: its ports are free for the next round at once.
      c2.child.kill('SIGKILL')
      await c2.exited
    }
    // Two rounds at a time (three daemons alive with A).
    for (let i = 0; i < ROUNDS; i += 2) {
      // Fresh ports each round: a released port may be taken meanwhile (an outgoing socket's).
      const [pc, rc, pd, rd] = (await freePorts(4)) as [number, number, number, number]
      await Promise.all([round(i, [pc, rc]), round(i + 1, [pd, rd])])
    }
    // Most kills land before the tip: the daemon was still syncing.
    const mid = killedAt.filter((h) => h < BLOCKS).length
    console.log(
      `chainstate-crash: chain ${tGen - t0} ms, clean sync ${syncMs} ms, ${ROUNDS} rounds ${Date.now() - tGen - syncMs} ms; heights just before each kill ${killedAt.join(' ')}`,
    )
    expect(mid).toBeGreaterThanOrEqual(ROUNDS / 2)
  }, 600_000)
})
