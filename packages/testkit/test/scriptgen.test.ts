import { CONSENSUS_FLAGS, verifyInput } from '@node/consensus'
import { decodeBlock, hashToHex, regtest } from '@node/wire'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkBlock, contextualCheckBlock } from '../../blockmgr/src/checks.ts'
import {
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
