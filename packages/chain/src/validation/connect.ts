/**
 * Connecting a block to the coins: Core's `Chainstate::ConnectBlock`
 * (src/validation.cpp), the rules that need the UTXO set, in Core's order
 * and with Core's reject reasons:
 *
 * 1. BIP30: no output may land on an unspent coin (bip30.ts);
 * 2. per transaction, in block order: `Consensus::CheckTxInputs`
 *    (txinputs.ts), the accumulated fees in range, BIP68 sequence locks once
 *    CSV is active (`SequenceLocks`), the block's sigop cost
 *    (`GetTransactionSigOpCost` ≤ MAX_BLOCK_SIGOPS_COST), its script checks
 *    collected, then `UpdateCoins` (update.ts) with the undo data;
 * 3. the coinbase pays at most subsidy + fees (`bad-cb-amount`);
 * 4. the script checks, with the block's flags (`GetBlockScriptFlags`):
 *    `block-script-verify-flag-failed (<error>)` for the first failing
 *    input in block order.
 *
 * The scripts run after the other rules, as in Core's parallel path
 * (`CCheckQueueControl`, which every multi-core Core node takes): a block
 * with both a script failure and a later rule failure gets the later rule's
 * reason, whether the checks run here or in a {@link ScriptCheckPool}.
 *
 * The context-free and contextual block checks (Core's `CheckBlock` and
 * `ContextualCheckBlock`: merkle root, sizes, CheckTransaction, finality,
 * BIP34 height, witness commitment) are the caller's to run first.
 *
 * The rules write into `view` as they go. Give a {@link LayeredView} over
 * the chain state and commit it only on success (Core connects into a
 * per-block `CCoinsViewCache` and flushes it only when ConnectBlock
 * returns true): a throw leaves the layer to discard.
 */
import {
  calculateSequenceLocks,
  consensusFlagsAt,
  evaluateSequenceLocks,
  isScriptError,
  MAX_BLOCK_SIGOPS_COST,
  moneyRange,
  type ScriptCheck,
  type ScriptCheckPool,
  type SignatureCache,
  type SpentOutput,
  TxVerifier,
  transactionSigOpCost,
} from '@node/consensus'
import { type Block, bytesEqual, type Hash, hashToHex, type NetworkParams, type Tx } from '@node/wire'
import type { BlockUndo, TxUndo, UtxoView } from '../coins/types.ts'
import { bip30Applies } from './bip30.ts'
import { BlockConsensusError } from './errors.ts'
import { blockSubsidy } from './subsidy.ts'
import { checkTxInputs } from './txinputs.ts'
import { updateCoins } from './update.ts'

export interface ConnectContext {
  readonly network: NetworkParams
  /** The block's height. */
  readonly height: number
  /** The block's hash, wire order. */
  readonly hash: Hash
  /** Median time past of the previous block (BIP68's clock). */
  readonly prevMedianTimePast: number
  /** Median time past of this block's ancestor at `height` (below the block's height). */
  readonly medianTimePastAt: (height: number) => number
  /** Hash (wire order) of this block's ancestor at `height` (below the block's height), undefined if none. */
  readonly ancestorHash: (height: number) => Hash | undefined
  /** Verify scripts; false below the assumed-valid block (assumevalid.ts). */
  readonly checkScripts: boolean
  /** Signature cache consulted by inline checks (a pool has its own). Not added to: Core does not cache block checks. */
  readonly sigcache?: SignatureCache | undefined
}

export interface ConnectResult {
  /** One TxUndo per non-coinbase transaction (Core's CBlockUndo). */
  readonly undo: BlockUndo
  /** Total fees, satoshis. */
  readonly fees: bigint
  /** The block's sigop cost. */
  readonly sigOpCost: number
  /** Inputs in the block, the coinbase's included (Core's nInputs). */
  readonly inputs: number
}

/**
 * Apply `block` to `view` after checking the UTXO-dependent rules. Throws
 * {@link BlockConsensusError} with Core's reject reason. Scripts are
 * verified on this thread, or by `scripts` when given (the pool must be
 * started).
 */
export async function connectBlock(
  block: Block,
  ctx: ConnectContext,
  view: UtxoView,
  scripts?: ScriptCheckPool,
): Promise<ConnectResult> {
  const { network: p, height } = ctx
  // Core: the genesis block's transactions are not connected (its coinbase is unspendable).
  if (bytesEqual(ctx.hash, p.genesisHash)) return { undo: [], fees: 0n, sigOpCost: 0, inputs: 0 }
  const txs = block.txs

  if (bip30Applies(p, height, ctx.hash, ctx.ancestorHash)) {
    for (const [t, tx] of txs.entries()) {
      const txid = tx.txid()
      for (let o = 0; o < tx.outputs.length; o++)
        if (view.get(txid, o))
          throw new BlockConsensusError(
            'bad-txns-BIP30',
            `tried to overwrite transaction ${hashToHex(txid)}:${o}`,
            { tx: t },
          )
    }
  }

  const enforceBip68 = height >= p.csvHeight
  const flags = consensusFlagsAt(p, height, ctx.hash)
  const undo: TxUndo[] = []
  const checks: ScriptCheck[] = []
  /** Block index of the transaction of each check. */
  const checkTx: number[] = []
  let fees = 0n
  let inputs = 0
  let sigOpCost = 0

  for (const [t, tx] of txs.entries()) {
    inputs += tx.inputs.length
    let spent: readonly SpentOutput[] = []
    if (t > 0) {
      const { coins, fee } = checkTxInputs(tx, view, height, t)
      spent = coins
      fees += fee
      if (!moneyRange(fees))
        throw new BlockConsensusError(
          'bad-txns-accumulated-fee-outofrange',
          'accumulated fee in the block out of range',
          { tx: t },
        )
      const prevHeights = coins.map((c) => c.height)
      const locks = calculateSequenceLocks(tx, enforceBip68, prevHeights, ctx.medianTimePastAt)
      if (!evaluateSequenceLocks(height, ctx.prevMedianTimePast, locks))
        throw new BlockConsensusError(
          'bad-txns-nonfinal',
          `contains a non-BIP68-final transaction ${hashToHex(tx.txid())}`,
          { tx: t },
        )
    }
    sigOpCost += transactionSigOpCost(tx, spent, flags)
    if (sigOpCost > MAX_BLOCK_SIGOPS_COST)
      throw new BlockConsensusError('bad-blk-sigops', `too many sigops (${sigOpCost})`, { tx: t })
    if (t > 0 && ctx.checkScripts) {
      checks.push({ tx, spent, flags })
      checkTx.push(t)
    }
    const txUndo = updateCoins(view, tx, height)
    if (t > 0) undo.push(txUndo)
  }

  const reward = fees + blockSubsidy(height, p)
  let paid = 0n
  for (const out of txs[0]!.outputs) paid += out.value
  if (paid > reward)
    throw new BlockConsensusError(
      'bad-cb-amount',
      `coinbase pays too much (actual=${paid} vs limit=${reward})`,
      { tx: 0 },
    )

  if (checks.length > 0) await runScriptChecks(checks, checkTx, scripts, ctx.sigcache)
  return { undo, fees, sigOpCost, inputs }
}

/** Verify the checks in block order; the first failure becomes the block's reject reason. */
async function runScriptChecks(
  checks: readonly ScriptCheck[],
  checkTx: readonly number[],
  pool: ScriptCheckPool | undefined,
  sigcache: SignatureCache | undefined,
): Promise<void> {
  let check = 0
  try {
    if (pool) await pool.verify(checks)
    else {
      const options = sigcache ? { sigcache } : {}
      for (; check < checks.length; check++) {
        const c = checks[check]!
        new TxVerifier(c.tx as Tx, c.spent, options).verifyAll(c.flags)
      }
    }
  } catch (err) {
    if (!isScriptError(err)) throw err
    const at = err.check ?? check
    const c = checks[at]!
    const txid = hashToHex((c.tx as Tx).txid())
    throw new BlockConsensusError(err.reason, `${err.reason}: input ${err.input} of transaction ${txid}`, {
      tx: checkTx[at],
      input: err.input,
      cause: err,
    })
  }
}
