/**
 * Undoing a block's effect on the coins: Core's `Chainstate::DisconnectBlock`
 * and `ApplyTxInUndo` (src/validation.cpp). Transactions are undone last to
 * first: each one's outputs are removed (they must be there, as the block
 * created them), then its inputs' coins are put back from the undo data,
 * last input first.
 *
 * The result is Core's `DisconnectResult`: `ok`; `unclean` when the coins
 * did not look as the block left them (an output missing or different, a
 * restored coin already present), which Core tolerates while replaying
 * blocks after a crash; `failed` when the undo data does not fit the block.
 * The two mainnet coinbases overwritten before BIP30 (`IsBIP30Unspendable`)
 * are not counted as unclean. As for connecting, give a LayeredView and
 * commit it only on `ok` (Core's `DisconnectTip` flushes only then).
 */
import { type Block, bytesEqual, type Hash } from '@node/wire'
import type { BlockUndo, Coin, UtxoView } from '../coins/types.ts'
import { isBip30Unspendable } from './bip30.ts'
import { isUnspendable } from './update.ts'

export type DisconnectResult = 'ok' | 'unclean' | 'failed'

/** Core `ApplyTxInUndo`: put a spent coin back. */
function applyTxInUndo(view: UtxoView, coin: Coin, txid: Hash, vout: number): DisconnectResult {
  // Core fills height 0 (pre-0.15 undo records without metadata) from a sibling
  // output; our undo data always carries height and coinbase, so it is corrupt.
  if (coin.height === 0) return 'failed'
  const clean = view.get(txid, vout) === undefined
  view.add(txid, vout, coin, !clean)
  return clean ? 'ok' : 'unclean'
}

/** Disconnect `block` at `at.height` (hash `at.hash`, wire order) from `view` with its undo data. */
export function disconnectBlock(
  block: Block,
  undo: BlockUndo,
  view: UtxoView,
  at: { readonly height: number; readonly hash: Hash },
): DisconnectResult {
  if (undo.length + 1 !== block.txs.length) return 'failed'
  for (let t = 1; t < block.txs.length; t++)
    if (undo[t - 1]!.length !== block.txs[t]!.inputs.length) return 'failed'
  let clean = true
  const bip30Exception = isBip30Unspendable(at.height, at.hash)
  for (let t = block.txs.length - 1; t >= 0; t--) {
    const tx = block.txs[t]!
    const txid = tx.txid()
    const coinbase = t === 0
    for (const [o, out] of tx.outputs.entries()) {
      if (isUnspendable(out.script)) continue
      const coin = view.spend(txid, o)
      const matches =
        coin !== undefined &&
        coin.value === out.value &&
        bytesEqual(coin.script, out.script) &&
        coin.height === at.height &&
        coin.coinbase === coinbase
      if (!matches && !(coinbase && bip30Exception)) clean = false
    }
    if (coinbase) continue
    const txUndo = undo[t - 1]!
    for (let i = tx.inputs.length - 1; i >= 0; i--) {
      const input = tx.inputs[i]!
      const res = applyTxInUndo(view, txUndo[i]!, input.prevHash, input.prevIndex)
      if (res === 'failed') return 'failed'
      if (res === 'unclean') clean = false
    }
  }
  return clean ? 'ok' : 'unclean'
}
