/**
 * The shapes every part of the chain state agrees on: a coin (an unspent
 * transaction output with the height and coinbase flag Core's Coin keeps,
 * coins.h), the outpoint key, the synchronous view that block connection
 * reads and writes, and a block's undo data (Core's CBlockUndo/CTxUndo,
 * undo.h): for each non-coinbase transaction, the coins its inputs spent,
 * in input order.
 */
import type { Hash } from '@node/wire'

/** An unspent output. */
export interface Coin {
  /** Satoshis. */
  readonly value: bigint
  readonly script: Uint8Array
  /** Height of the block whose transaction created it. */
  readonly height: number
  readonly coinbase: boolean
}

/** The coins one transaction's inputs spent, in input order (Core CTxUndo). */
export type TxUndo = readonly Coin[]

/** A block's undo data: one TxUndo per transaction except the coinbase (Core CBlockUndo). */
export type BlockUndo = readonly TxUndo[]

/**
 * The coins block connection works on. Synchronous: the caller loads the
 * block's inputs first (`CoinsCache.prefetch`), so the rules never wait.
 */
export interface UtxoView {
  /** The unspent coin at this outpoint, if any. */
  get(txid: Hash, vout: number): Coin | undefined
  /** Remove and return the coin; undefined if it is missing or spent. */
  spend(txid: Hash, vout: number): Coin | undefined
  /** Add a coin; `overwrite` false means it must not exist (Core AddCoin's possible_overwrite). */
  add(txid: Hash, vout: number, coin: Coin, overwrite?: boolean): void
}

/** 36-byte outpoint key: txid (wire order) then the output index, little-endian. */
export function outpointKey(txid: Hash, vout: number): Uint8Array {
  const k = new Uint8Array(36)
  k.set(txid, 0)
  new DataView(k.buffer).setUint32(32, vout, true)
  return k
}
