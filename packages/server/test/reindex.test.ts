/**
 * Core -reindex and -reindex-chainstate through createNode: the UTXO set
 * (and with -reindex the block index and header tree) is rebuilt from the
 * stored blocks, and comes out the same as before.
 */
import { computeUtxoStats } from '@node/chain'
import { hashToHex } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { Server } from '../src/index.ts'
import { cleanup, mine, startServer, tmpDir, until } from './helpers.ts'

afterEach(cleanup)

/** The hash_serialized_3 of the node's UTXO set, and the block it is at. */
async function utxoHash(s: Server): Promise<{ height: number; hash: string; txouts: number }> {
  const cs = s.blockManager.chainstate!
  await cs.idle()
  const snap = await cs.snapshot()
  const stats = await computeUtxoStats(snap.coins, { muhash: false })
  return { height: snap.tip.height, hash: hashToHex(stats.hashSerialized3), txouts: stats.txouts }
}

describe('reindex', () => {
  it('-reindex-chainstate and -reindex rebuild the same UTXO set from the stored blocks', async () => {
    const dataDir = tmpDir()
    const a = await startServer({ dataDir })
    await mine(a, 60)
    const before = await utxoHash(a)
    expect(before).toMatchObject({ height: 60, txouts: 60 })
    await a.stop()

    for (const flags of [{ reindexChainstate: true }, { reindex: true }]) {
      const b = await startServer({ dataDir, ...flags })
      await until(() => b.blockManager.chain.tip.height === 60, 20_000)
      // The set was rebuilt: every block was connected again in this run.
      expect(b.blockManager.chainstate!.stats.connected).toBe(60)
      expect(await utxoHash(b)).toEqual(before)
      await b.stop()
    }
    // A plain restart keeps the set: nothing is connected again.
    const c = await startServer({ dataDir })
    expect(c.blockManager.chain.tip.height).toBe(60)
    expect(c.blockManager.chainstate!.stats.connected).toBe(0)
    expect(await utxoHash(c)).toEqual(before)
  }, 60_000)
})
