/**
 * The UTXO hashes a correct chain state must report for a set computed
 * without it: testkit's `expectedUtxos` (plain replay of the blocks) fed to
 * `computeUtxoStats` in the coins database's key order ('C' + txid in wire
 * order + VARINT(vout): txid bytes ascending; computeUtxoStats orders the
 * outputs of one txid by vout itself).
 */
import { computeUtxoStats } from '@node/chain'
import type { UtxoEntry } from '@node/testkit'
import { hashToHex, hexToHash } from '@node/wire'

export interface ExpectedStats {
  txouts: number
  transactions: number
  /** Satoshis. */
  totalAmount: bigint
  /** As the RPC shows them (byte-reversed). */
  hash_serialized_3: string
  muhash: string
}

export async function expectedStats(utxos: ReadonlyMap<string, UtxoEntry>): Promise<ExpectedStats> {
  const coins = [...utxos].map(([key, u]) => {
    const [txid, vout] = key.split(':') as [string, string]
    return {
      txid: hexToHash(txid),
      vout: Number(vout),
      coin: { value: u.value, script: u.script, height: u.height, coinbase: u.coinbase },
    }
  })
  coins.sort((a, b) => Buffer.compare(a.txid, b.txid) || a.vout - b.vout)
  const s = await computeUtxoStats(coins)
  return {
    txouts: s.txouts,
    transactions: s.transactions,
    totalAmount: s.totalAmount,
    hash_serialized_3: hashToHex(s.hashSerialized3),
    muhash: hashToHex(s.muhash),
  }
}
