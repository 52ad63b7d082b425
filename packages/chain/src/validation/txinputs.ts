/**
 * The input checks of a transaction against the coins it spends: Core's
 * `Consensus::CheckTxInputs` (src/consensus/tx_verify.cpp), with its reject
 * reasons. Coinbase outputs mature after COINBASE_MATURITY blocks
 * (src/consensus/consensus.h).
 */
import { moneyRange } from '@node/consensus'
import { hashToHex, type Tx } from '@node/wire'
import type { Coin, UtxoView } from '../coins/types.ts'
import { BlockConsensusError } from './errors.ts'

/** Blocks before a coinbase output can be spent (Core COINBASE_MATURITY). */
export const COINBASE_MATURITY = 100

export interface TxInputs {
  /** The coins spent, in input order. */
  readonly coins: Coin[]
  /** Inputs minus outputs, in satoshis. */
  readonly fee: bigint
}

/**
 * Check that every input of the non-coinbase `tx` spends an existing coin,
 * that spent coinbases are mature at `spendHeight`, and the value ranges
 * and fee. Throws {@link BlockConsensusError} (`tx` is `txIndex`).
 */
export function checkTxInputs(tx: Tx, view: UtxoView, spendHeight: number, txIndex: number): TxInputs {
  const coins: Coin[] = new Array(tx.inputs.length)
  const where = { tx: txIndex }
  const txid = () => hashToHex(tx.txid())
  // Are the actual inputs available? (Core: HaveInputs, before any other check.)
  for (const [i, input] of tx.inputs.entries()) {
    const coin = view.get(input.prevHash, input.prevIndex)
    if (!coin)
      throw new BlockConsensusError(
        'bad-txns-inputs-missingorspent',
        `CheckTxInputs: inputs missing/spent in transaction ${txid()}`,
        { ...where, input: i },
      )
    coins[i] = coin
  }
  let valueIn = 0n
  for (const [i, coin] of coins.entries()) {
    if (coin.coinbase && spendHeight - coin.height < COINBASE_MATURITY)
      throw new BlockConsensusError(
        'bad-txns-premature-spend-of-coinbase',
        `tried to spend coinbase at depth ${spendHeight - coin.height} in transaction ${txid()}`,
        { ...where, input: i },
      )
    valueIn += coin.value
    if (!moneyRange(coin.value) || !moneyRange(valueIn))
      throw new BlockConsensusError('bad-txns-inputvalues-outofrange', `in transaction ${txid()}`, {
        ...where,
        input: i,
      })
  }
  let valueOut = 0n
  for (const out of tx.outputs) valueOut += out.value
  if (valueIn < valueOut)
    throw new BlockConsensusError(
      'bad-txns-in-belowout',
      `value in (${valueIn}) < value out (${valueOut}) in transaction ${txid()}`,
      where,
    )
  const fee = valueIn - valueOut
  if (!moneyRange(fee))
    throw new BlockConsensusError('bad-txns-fee-outofrange', `in transaction ${txid()}`, where)
  return { coins, fee }
}
