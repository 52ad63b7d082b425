/**
 * The chain state end to end inside the package: a header tree, a block
 * store and the UTXO set in a temporary directory, fed testkit's script chain
 * (every output type spent with real signatures), its invalid blocks and its
 * forks. After every step the UTXO set in the database is compared with one
 * rebuilt from scratch by replaying the chain (testkit's expectedUtxos).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  BAD_BLOCK_KINDS,
  badBlock,
  blockOn,
  buildFork,
  type ChainBlock,
  expectedUtxos,
  generateScriptChain,
  parentOf,
  type ScriptChain,
  type UtxoSet,
  wireHash,
} from '@node/testkit'
import { decodeHeader, hashToHex, type NetworkParams } from '@node/wire'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type BlockConsensusError,
  BlockStore,
  Chainstate,
  CoinsCache,
  CoinsDB,
  HeaderChain,
  type HeaderEntry,
} from '../src/index.ts'

interface Rig {
  dir: string
  headers: HeaderChain
  store: BlockStore
  db: CoinsDB
  cache: CoinsCache
  state: Chainstate
  invalid: { entry: HeaderEntry; err: BlockConsensusError }[]
  stop(): Promise<void>
}

const rigs: Rig[] = []
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.stop()
})

async function makeRig(params: NetworkParams, dir?: string, maxBytes = 64 << 20): Promise<Rig> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'chainstate-')))
  const headers = new HeaderChain({ network: params, autoActivate: false })
  const store = new BlockStore({}, { dir: join(d, 'blocks') })
  await store.start()
  const stored = await store.loadHeaders()
  stored.sort((a, b) => a.height - b.height)
  headers.loadTrusted(
    stored.map((s) => ({ header: decodeHeader(s.header80), haveData: store.hasBlock(s.hash) })),
  )
  const db = new CoinsDB({ datadir: d })
  const cache = new CoinsCache({ db, maxBytes })
  const state = new Chainstate({ chain: headers, blocks: store, db, coins: cache }, { network: params })
  const invalid: Rig['invalid'] = []
  state.on('invalid', (entry, err) => invalid.push({ entry, err }))
  await state.start()
  const rig: Rig = {
    dir: d,
    headers,
    store,
    db,
    cache,
    state,
    invalid,
    async stop() {
      await state.stop()
      await store.stop()
    },
  }
  rigs.push(rig)
  return rig
}

/** Give the rig blocks as blockmgr does: header, stored bytes, then activation. */
async function feed(rig: Rig, blocks: readonly ChainBlock[]): Promise<void> {
  for (const b of blocks) {
    const header = decodeHeader(b.raw.subarray(0, 80))
    const r = rig.headers.addHeaders([header])
    const e = r.last!
    if (!e.haveData) {
      await rig.store.putBlock(e.hash, b.raw, { height: e.height, txCount: b.txCount })
      await rig.store.putHeaders([{ hash: e.hash, header80: e.header80, height: e.height }])
      rig.headers.markHaveData(e.hash)
    }
  }
  await rig.state.activateBestChain()
}

/** The UTXO set in the database, keyed as testkit keys it (display txid:vout). */
async function storedUtxos(rig: Rig): Promise<UtxoSet> {
  await rig.state.flush()
  const out: UtxoSet = new Map()
  for await (const { txid, vout, coin } of rig.db.iterate()) out.set(`${hashToHex(txid)}:${vout}`, coin)
  return out
}

function expectSameSet(actual: UtxoSet, expected: UtxoSet): void {
  expect(actual.size).toBe(expected.size)
  for (const [k, want] of expected) {
    const got = actual.get(k)
    expect(got, k).toBeDefined()
    expect(got!.value).toBe(want.value)
    expect(got!.height).toBe(want.height)
    expect(got!.coinbase).toBe(want.coinbase)
    expect(Buffer.from(got!.script).equals(Buffer.from(want.script))).toBe(true)
  }
}

let chain: ScriptChain
beforeAll(async () => {
  chain = await generateScriptChain({ blocks: 140, seed: 'chainstate-test' })
}, 120_000)

describe('Chainstate', () => {
  it('connects a chain that spends every output type and holds exactly its UTXO set', async () => {
    const rig = await makeRig(chain.params)
    await feed(rig, chain.blocks)
    expect(rig.headers.tip.height).toBe(140)
    expect(rig.invalid).toEqual([])
    expectSameSet(await storedUtxos(rig), expectedUtxos(chain.blocks))
    expect(rig.state.stats.inputs).toBeGreaterThan(140)
  }, 60_000)

  it('rejects each invalid block with Core’s reason, keeps the tip, and marks the block failed', async () => {
    const rig = await makeRig(chain.params)
    await feed(rig, chain.blocks)
    const tip = rig.headers.tip
    for (const kind of BAD_BLOCK_KINDS) {
      if (kind === 'bip30') continue // needs other network parameters: below
      const bad = badBlock(chain, kind)
      rig.invalid.length = 0
      await feed(rig, [bad.block])
      expect(rig.headers.tip, kind).toBe(tip)
      expect(
        rig.invalid.map((x) => x.err.reason),
        kind,
      ).toEqual([bad.reason])
      expect(rig.headers.failed(rig.invalid[0]!.entry), kind).toBe(true)
    }
    expectSameSet(await storedUtxos(rig), expectedUtxos(chain.blocks))
  }, 120_000)

  it('rejects a BIP30 duplicate where BIP30 applies', async () => {
    const bad = badBlock(chain, 'bip30')
    const rig = await makeRig(bad.params ?? chain.params)
    await feed(rig, chain.blocks)
    const tip = rig.headers.tip
    await feed(rig, [bad.block])
    expect(rig.headers.tip).toBe(tip)
    expect(rig.invalid.map((x) => x.err.reason)).toEqual(['bad-txns-BIP30'])
  }, 60_000)

  it('reorganises by 1, 10 and 100 blocks; after each the UTXO set equals one rebuilt from scratch', async () => {
    const rig = await makeRig(chain.params)
    await feed(rig, chain.blocks)
    for (const depth of [1, 10, 100]) {
      const fork = buildFork(chain, { forkHeight: chain.blocks.length - depth, tag: `reorg-${depth}` })
      const before = rig.state.stats.disconnected
      await feed(rig, fork.blocks)
      expect(rig.headers.tip.height).toBe(fork.chain.length)
      expect(hashToHex(rig.headers.tip.hash)).toBe(fork.blocks[fork.blocks.length - 1]!.hash)
      expect(rig.state.stats.disconnected - before).toBe(depth)
      expectSameSet(await storedUtxos(rig), expectedUtxos(fork.chain))
      // Back to the original chain for the next depth: invalidate the branch.
      await rig.state.invalidateBlock(rig.headers.atHeight(fork.forkHeight + 1)!.hash)
      expect(rig.headers.tip.height).toBe(140)
      expectSameSet(await storedUtxos(rig), expectedUtxos(chain.blocks))
    }
  }, 180_000)

  it('returns to the best valid chain when a heavier branch fails halfway', async () => {
    const rig = await makeRig(chain.params)
    await feed(rig, chain.blocks)
    const tip = rig.headers.tip
    // A branch off 130: 5 valid blocks (131–135), an invalid one (136), and
    // 10 more on top of it (137–146): more work than our 140 blocks.
    const fork = buildFork(chain, { forkHeight: 130, length: 5, tag: 'half' })
    const bad = badBlock({ ...chain, blocks: fork.chain }, 'overspend')
    const above: ChainBlock[] = []
    let parent = parentOf(chain.params, [bad.block])
    for (let h = 137; h <= 146; h++) {
      const { block } = blockOn(chain.params, parent, h, [], { value: 0n, script: Uint8Array.of(0x51) })
      above.push(block)
      parent = parentOf(chain.params, [block])
    }
    await feed(rig, [...fork.blocks, bad.block, ...above])
    // The node tried the branch, failed at 136, and went back to its chain.
    expect(rig.invalid.map((x) => [x.entry.height, x.err.reason])).toEqual([[136, 'bad-txns-in-belowout']])
    expect(rig.headers.tip).toBe(tip)
    // 131–140 went for the branch; 131–135 of the branch went to come back.
    expect(rig.state.stats.disconnected).toBe(15)
    expect(rig.headers.failed(rig.headers.get(wireHash(above[9]!))!)).toBe(true)
    expectSameSet(await storedUtxos(rig), expectedUtxos(chain.blocks))
  }, 120_000)

  it('invalidateblock and reconsiderblock move the tip and the UTXO set with them', async () => {
    const rig = await makeRig(chain.params)
    await feed(rig, chain.blocks)
    const at = rig.headers.atHeight(120)!
    await rig.state.invalidateBlock(at.hash)
    expect(rig.headers.tip.height).toBe(119)
    expectSameSet(await storedUtxos(rig), expectedUtxos(chain.blocks.slice(0, 119)))
    await rig.state.reconsiderBlock(at.hash)
    expect(rig.headers.tip.height).toBe(140)
    expectSameSet(await storedUtxos(rig), expectedUtxos(chain.blocks))
    expect(await rig.state.verifyChain(4, 20)).toBe(true)
  }, 120_000)

  it('after a restart (and with a cache small enough to flush often) the set is the same', async () => {
    const rig = await makeRig(chain.params, undefined, 64 * 1024)
    await feed(rig, chain.blocks.slice(0, 120))
    expect(rig.state.stats.flushes).toBeGreaterThan(0)
    await rig.stop()
    rigs.splice(rigs.indexOf(rig), 1)
    const again = await makeRig(chain.params, rig.dir, 64 * 1024)
    expect(again.headers.tip.height).toBe(120)
    await feed(again, chain.blocks)
    expect(again.headers.tip.height).toBe(140)
    expectSameSet(await storedUtxos(again), expectedUtxos(chain.blocks))
    await again.stop()
    rigs.splice(rigs.indexOf(again), 1)
    await rm(rig.dir, { recursive: true, force: true })
  }, 120_000)
})
