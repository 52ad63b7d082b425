/**
 * Competing branches of a script chain (scriptgen.ts), for reorg tests: a
 * branch from a fork height with more blocks than the chain has above it,
 * hence more work at regtest's fixed difficulty (Core's best chain is the
 * one with the most work: validation.cpp `FindMostWorkChain`).
 *
 * ```ts
 * const fork = buildFork(chain, { forkHeight: chain.blocks.length - 10 }) // a 10-block reorg
 * // submit fork.blocks; the node's UTXO set must then equal fork.utxos
 * ```
 *
 * Branch blocks have their own coinbases (another tag and key), and each
 * spends the oldest mature P2WPKH output of the branch into two outputs to
 * other keys than the chain used, so the UTXO set after a reorg differs
 * from the one before it in more than the coinbases.
 */

import { Tx } from '@node/wire'
import type { ChainBlock } from './chaingen.ts'
import { subsidy } from './chaingen.ts'
import { COINBASE_MATURITY } from './constants.ts'
import { ChainGenError } from './errors.ts'
import {
  blockOn,
  expectedUtxos,
  parentOf,
  SCRIPTGEN_FEE,
  type ScriptChain,
  SEQUENCE_LOCKTIME,
  spendable,
  type UtxoSet,
} from './scriptgen.ts'

export interface ForkOptions {
  /** Height of the last block the branch shares with the chain (0: genesis). */
  forkHeight: number
  /** Blocks in the branch; default one more than the chain has above the fork. */
  length?: number | undefined
  /** Makes branches from the same height differ (coinbase tag); default `'fork'`. */
  tag?: string | undefined
}

export interface Fork {
  readonly forkHeight: number
  /** The branch: heights forkHeight + 1 … forkHeight + length. */
  readonly blocks: readonly ChainBlock[]
  /** The whole best chain once the branch wins: the shared prefix, then the branch. */
  readonly chain: readonly ChainBlock[]
  /** The UTXO set at the branch tip, by replay. */
  readonly utxos: UtxoSet
}

/** A branch of `chain`; see the module comment. */
export function buildFork(chain: ScriptChain, options: ForkOptions): Fork {
  const { forkHeight } = options
  const above = chain.blocks.length - forkHeight
  if (!Number.isInteger(forkHeight) || forkHeight < 0 || above < 1)
    throw new ChainGenError(`forkHeight must be from 0 to ${chain.blocks.length - 1}, got ${forkHeight}.`)
  const length = options.length ?? above + 1
  if (!Number.isInteger(length) || length < 1) throw new ChainGenError(`length must be a positive integer.`)
  const tag = new TextEncoder().encode(options.tag ?? 'fork')
  const p = chain.params
  const prefix = chain.blocks.slice(0, forkHeight)
  let utxos = expectedUtxos(prefix)
  const branch: ChainBlock[] = []
  for (let h = forkHeight + 1; h <= forkHeight + length; h++) {
    const coin = spendable(chain, utxos).find(
      (c) => c.plan.kind === 'p2wpkh' && (!c.coinbase || c.height <= h - COINBASE_MATURITY),
    )
    const txs: Tx[] = []
    if (coin) {
      const half = (coin.value - SCRIPTGEN_FEE) / 2n
      const a = chain.ring.output('p2wpkh', 3 * h + 1).script
      const b = chain.ring.output('p2wpkh', 3 * h + 2).script
      const unsigned = new Tx({
        version: 2,
        inputs: [
          {
            prevHash: coin.txid,
            prevIndex: coin.vout,
            script: new Uint8Array(0),
            sequence: SEQUENCE_LOCKTIME,
            witness: [],
          },
        ],
        outputs: [
          { value: half, script: a },
          { value: coin.value - SCRIPTGEN_FEE - half, script: b },
        ],
        locktime: h - 1,
      })
      txs.push(chain.ring.sign(unsigned, [coin]))
    }
    const value = subsidy(h, p) + SCRIPTGEN_FEE * BigInt(txs.length)
    const payTo = chain.ring.output('p2wpkh', h + 5).script
    const { block } = blockOn(
      p,
      parentOf(p, [...prefix, ...branch]),
      h,
      txs,
      { value, script: payTo },
      { tag },
    )
    branch.push(block)
    utxos = expectedUtxos([block], utxos)
  }
  return { forkHeight, blocks: branch, chain: [...prefix, ...branch], utxos }
}
