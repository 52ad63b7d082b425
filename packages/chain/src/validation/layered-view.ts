/**
 * A throwaway layer of coin changes over another view: Core's per-block
 * `CCoinsViewCache view(&CoinsTip())` in `Chainstate::ConnectTip` and
 * `DisconnectTip` (src/validation.cpp). A block is connected or disconnected
 * into a layer; only when that succeeds does the caller `commit()` the
 * layer into its parent (Core's `view.Flush()`), so a block that fails a
 * rule halfway leaves the parent exactly as it was.
 */
import { type Hash, toHex } from '@node/wire'
import { CoinOverwriteError } from '../coins/errors.ts'
import type { Coin, UtxoView } from '../coins/types.ts'

interface Entry {
  readonly txid: Hash
  readonly vout: number
  /** The coin, or null when this layer spent it. */
  coin: Coin | null
}

function key(txid: Hash, vout: number): string {
  return `${toHex(txid)}:${vout}`
}

export class LayeredView implements UtxoView {
  readonly parent: UtxoView
  #entries = new Map<string, Entry>()

  constructor(parent: UtxoView) {
    this.parent = parent
  }

  /** Outpoints this layer changed (added or spent). */
  get size(): number {
    return this.#entries.size
  }

  get(txid: Hash, vout: number): Coin | undefined {
    const e = this.#entries.get(key(txid, vout))
    if (e) return e.coin ?? undefined
    return this.parent.get(txid, vout)
  }

  spend(txid: Hash, vout: number): Coin | undefined {
    const k = key(txid, vout)
    const e = this.#entries.get(k)
    if (e) {
      const coin = e.coin
      if (!coin) return undefined
      e.coin = null
      return coin
    }
    const coin = this.parent.get(txid, vout)
    if (!coin) return undefined
    this.#entries.set(k, { txid, vout, coin: null })
    return coin
  }

  add(txid: Hash, vout: number, coin: Coin, overwrite = false): void {
    const k = key(txid, vout)
    const e = this.#entries.get(k)
    if (!overwrite && (e ? e.coin !== null : this.parent.get(txid, vout) !== undefined))
      throw new CoinOverwriteError(`Attempted to overwrite the unspent coin ${toHex(txid)}:${vout}.`)
    if (e) e.coin = coin
    else this.#entries.set(k, { txid, vout, coin })
  }

  /** Write every change into the parent (spends, then additions) and empty the layer. */
  commit(): void {
    const entries = [...this.#entries.values()]
    this.#entries = new Map()
    for (const e of entries) if (e.coin === null) this.parent.spend(e.txid, e.vout)
    for (const e of entries) if (e.coin !== null) this.parent.add(e.txid, e.vout, e.coin, true)
  }

  /** Forget every change; the parent is untouched. */
  discard(): void {
    this.#entries = new Map()
  }
}
