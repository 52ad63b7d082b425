/**
 * Applying a transaction to the coins: Core's `UpdateCoins`
 * (src/validation.cpp) and `AddCoins` (src/coins.cpp). The inputs are spent
 * (the spent coins become the transaction's undo data) and the outputs are
 * added, except provably unspendable ones, which Core's `AddCoin` never
 * stores (`CScript::IsUnspendable`, src/script/script.h).
 */
import type { Tx } from '@node/wire'
import { MAX_SCRIPT_SIZE } from '../coins/compress.ts'
import type { Coin, TxUndo, UtxoView } from '../coins/types.ts'

const OP_RETURN = 0x6a

/** Core's `CScript::IsUnspendable`: starts with OP_RETURN, or longer than 10,000 bytes. */
export function isUnspendable(script: Uint8Array): boolean {
  return (script.length > 0 && script[0] === OP_RETURN) || script.length > MAX_SCRIPT_SIZE
}

/**
 * Add the outputs of `tx` as coins of `height` (Core `AddCoins` with
 * check_for_overwrite false): a coinbase may overwrite an unspent coin (the
 * two pre-BIP30 duplicate coinbases), any other transaction may not.
 */
export function addCoins(view: UtxoView, tx: Tx, height: number): void {
  const coinbase = tx.isCoinbase()
  const txid = tx.txid()
  for (const [vout, out] of tx.outputs.entries()) {
    if (isUnspendable(out.script)) continue
    view.add(txid, vout, { value: out.value, script: out.script, height, coinbase }, coinbase)
  }
}

/**
 * Spend the inputs of `tx` and add its outputs (Core `UpdateCoins`). Returns
 * the spent coins in input order (empty for a coinbase). The inputs must
 * exist (checked first by `checkTxInputs`).
 */
export function updateCoins(view: UtxoView, tx: Tx, height: number): TxUndo {
  const undo: Coin[] = []
  if (!tx.isCoinbase()) {
    for (const input of tx.inputs) {
      const coin = view.spend(input.prevHash, input.prevIndex)
      if (!coin) throw new Error('updateCoins: an input is missing; checkTxInputs must run first.')
      undo.push(coin)
    }
  }
  addCoins(view, tx, height)
  return undo
}
