import { CONSENSUS_FLAGS, legacySigOpCount, MAX_BLOCK_SIGOPS_COST, verifyInput } from '@node/consensus'
import { decodeBlock, hashToHex, regtest } from '@node/wire'
import { beforeAll, describe, expect, it } from 'vitest'
// blockmgr depends on testkit (for its tests), so testkit cannot declare a
// dependency on it (turbo rejects the cycle): this test reads its source.
import { checkBlock, contextualCheckBlock } from '../../chain/src/checks.ts'
import {
  BAD_BLOCK_KINDS,
  badBlocks,
  buildFork,
  expectedUtxos,
  generateScriptChain,
  OUTPUT_KINDS,
  outpointKey,
  type ScriptChain,
  TAPROOT_KINDS,
} from '../src/index.ts'

const NOW = Date.UTC(2025, 0, 15, 12)
const now = (): number => NOW

/** Every input of every block checked by @node/consensus against the outputs it spends. */
function verifyAllInputs(chain: ScriptChain): number {
  let utxos = new Map<string, { value: bigint; script: Uint8Array }>()
  let checked = 0
  for (const b of chain.blocks) {
    const block = decodeBlock(b.raw)
    for (const [t, tx] of block.txs.entries()) {
      if (t > 0) {
        const spent = tx.inputs.map((i) => {
          const u = utxos.get(outpointKey(i.prevHash, i.prevIndex))
          if (!u) throw new Error(`missing ${outpointKey(i.prevHash, i.prevIndex)}`)
          return u
        })
        for (let i = 0; i < tx.inputs.length; i++) {
          expect(verifyInput(tx, i, spent, CONSENSUS_FLAGS)).toBe(true)
          checked++
        }
      }
    }
    utxos = expectedUtxos([b], utxos as never)
  }
  return checked
}

describe('generateScriptChain', () => {
  let tap: ScriptChain
  let noTap: ScriptChain
  beforeAll(async () => {
    tap = await generateScriptChain({ blocks: 110, seed: 'unit', now })
    noTap = await generateScriptChain({ blocks: 110, seed: 'unit', taproot: false, now })
  })

  it('spends every output kind, taproot ones only when asked', () => {
    expect([...tap.spentKinds.keys()].sort()).toEqual(
      [...OUTPUT_KINDS, 'p2wpkh'].filter((k, i, a) => a.indexOf(k) === i).sort(),
    )
    for (const k of TAPROOT_KINDS) expect(noTap.spentKinds.has(k)).toBe(false)
    // Without taproot no block has a witness v1 output; with it, some do.
    const v1Outputs = (c: ScriptChain): number =>
      c.blocks
        .flatMap((b) => decodeBlock(b.raw).txs.flatMap((tx) => tx.outputs))
        .filter((o) => o.script.length === 34 && o.script[0] === 0x51 && o.script[1] === 0x20).length
    expect(v1Outputs(noTap)).toBe(0)
    expect(v1Outputs(tap)).toBeGreaterThan(0)
    expect(noTap.spentKinds.size).toBe(OUTPUT_KINDS.length - TAPROOT_KINDS.size)
  })

  it('signs every input validly under the consensus flags (checked by @node/consensus)', () => {
    expect(verifyAllInputs(tap)).toBeGreaterThan(8 * 12)
    expect(verifyAllInputs(noTap)).toBeGreaterThan(8 * 10)
  })

  it('makes blocks that pass the block checks, chained from regtest genesis', () => {
    let prev = hashToHex(regtest.genesisHash)
    for (const b of tap.blocks) {
      const block = decodeBlock(b.raw)
      expect(hashToHex(block.header.prevBlock)).toBe(prev)
      checkBlock(block, regtest)
      contextualCheckBlock(block, b.height, regtest)
      prev = b.hash
    }
  })

  it('tracks the same UTXO set as a replay of its blocks', () => {
    const replay = expectedUtxos(tap.blocks)
    expect(replay.size).toBe(tap.utxos.size)
    for (const [k, v] of tap.utxos) expect(replay.get(k)).toEqual(v)
  })

  it('is deterministic for a seed and clock, and the seed matters', async () => {
    const again = await generateScriptChain({ blocks: 110, seed: 'unit', now })
    expect(again.blocks.map((b) => b.hash)).toEqual(tap.blocks.map((b) => b.hash))
    const other = await generateScriptChain({ blocks: 110, seed: 'other', now })
    expect(other.blocks[0]!.hash).not.toBe(tap.blocks[0]!.hash)
  })
})

describe('badBlock', () => {
  let chain: ScriptChain
  beforeAll(async () => {
    chain = await generateScriptChain({ blocks: 120, seed: 'bad', now })
  })

  it('builds one block per kind on the tip, otherwise well formed (PoW, merkle root, commitment, BIP34)', () => {
    const tip = chain.blocks[chain.blocks.length - 1]!
    const bad = badBlocks(chain)
    expect(bad.map((b) => b.kind)).toEqual([...BAD_BLOCK_KINDS])
    expect(new Set(bad.map((b) => b.block.hash)).size).toBe(bad.length)
    for (const b of bad) {
      const block = decodeBlock(b.block.raw)
      expect(b.block.height).toBe(tip.height + 1)
      expect(hashToHex(block.header.prevBlock)).toBe(tip.hash)
      checkBlock(block, regtest)
      contextualCheckBlock(block, b.block.height, b.params ?? regtest)
      const sigops = block.txs.reduce((n, tx) => n + legacySigOpCount(tx), 0) * 4
      expect(sigops > MAX_BLOCK_SIGOPS_COST, b.kind).toBe(b.kind === 'too-many-sigops')
    }
  })

  it('labels the bip30 block for a node with BIP34 not active, and repeats an unspent coinbase', () => {
    const b = badBlocks(chain).find((x) => x.kind === 'bip30')!
    expect(b.reason).toBe('bad-txns-BIP30')
    expect(b.params!.bip34Height).toBeGreaterThan(b.block.height)
    const txid = decodeBlock(b.block.raw).txs[0]!.txid()
    expect(chain.utxos.has(outpointKey(txid, 0))).toBe(true)
    // Under regtest's own rules the repeated coinbase has the wrong height.
    expect(() => contextualCheckBlock(decodeBlock(b.block.raw), b.block.height, regtest)).toThrow(/height/)
  })

  it('spends only what the UTXO set holds, except where the rule is about spending', () => {
    const spending = new Set(['double-spend-in-block', 'double-spend-across-blocks', 'missing-input'])
    for (const b of badBlocks(chain)) {
      if (spending.has(b.kind)) continue
      expect(() => expectedUtxos([b.block], chain.utxos), b.kind).not.toThrow()
    }
    for (const kind of spending) {
      const b = badBlocks(chain).find((x) => x.kind === kind)!
      expect(() => expectedUtxos([b.block], chain.utxos), kind).toThrow(/not unspent/)
    }
  })
})

describe('buildFork', () => {
  let chain: ScriptChain
  beforeAll(async () => {
    chain = await generateScriptChain({ blocks: 120, seed: 'fork', taproot: false, now })
  })

  it.each([1, 10, 100])('builds a %i-block reorg with more blocks and another UTXO set', (depth) => {
    const forkHeight = chain.blocks.length - depth
    const fork = buildFork(chain, { forkHeight })
    expect(fork.blocks).toHaveLength(depth + 1)
    expect(fork.blocks[0]!.height).toBe(forkHeight + 1)
    const forkPrev = hashToHex(decodeBlock(fork.blocks[0]!.raw).header.prevBlock)
    expect(forkPrev).toBe(
      forkHeight === 0 ? hashToHex(regtest.genesisHash) : chain.blocks[forkHeight - 1]!.hash,
    )
    for (const b of fork.blocks) {
      const block = decodeBlock(b.raw)
      checkBlock(block, regtest)
      contextualCheckBlock(block, b.height, regtest)
      expect(chain.blocks.some((c) => c.hash === b.hash)).toBe(false)
    }
    // Replayed from scratch, the branch gives the set buildFork reports, not the chain's.
    const replay = expectedUtxos(fork.chain)
    expect([...replay.keys()].sort()).toEqual([...fork.utxos.keys()].sort())
    expect([...replay.keys()].sort()).not.toEqual([...chain.utxos.keys()].sort())
    // The branch spends outputs, not only mints coinbases.
    expect(fork.blocks.some((b) => b.txCount > 1)).toBe(true)
  })
})
