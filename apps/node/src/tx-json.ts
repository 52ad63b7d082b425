/**
 * Transactions and output scripts as bitcoind shows them in `getblock`
 * verbosity 2 (core_write.cpp TxToUniv and ScriptToUniv): txid, hash,
 * version, size, vsize, weight, locktime, vin (coinbase, or txid, vout and
 * scriptSig {asm, hex}; txinwitness; sequence), vout (value, n, scriptPubKey
 * {asm, desc, hex, address, type}) and hex. With the spent coins of a
 * non-coinbase transaction (its undo data) there is a `fee` after vout and,
 * for TxVerbosity::SHOW_DETAILS_AND_PREVOUT, each input's `prevout`
 * {generated, height, value, scriptPubKey} before its sequence; without them,
 * neither, as in Core when a block's undo data is missing.
 */
import type { TxUndo } from '@node/chain'
import { COIN, hashToHex, type NetworkParams, type Tx, toHex } from '@node/wire'
import { scriptToAddress } from './address.ts'
import { inferDescriptor } from './descriptor.ts'
import { scriptAsm, solve } from './script.ts'

/** Core ValueFromAmount: satoshis as a BTC number (exact for every amount up to 21M BTC). */
export function btcValue(sats: bigint): number {
  const neg = sats < 0n
  const abs = neg ? -sats : sats
  const v = Number(`${abs / COIN}.${(abs % COIN).toString().padStart(8, '0')}`)
  return neg ? -v : v
}

export interface ScriptPubKeyJson {
  asm: string
  desc: string
  hex: string
  address?: string
  type: string
}

/** Core ScriptToUniv(script, include_hex=true, include_address=true). */
export function scriptPubKeyJson(script: Uint8Array, n: NetworkParams): ScriptPubKeyJson {
  const type = solve(script).type
  const address = type === 'pubkey' ? undefined : scriptToAddress(script, n)
  return {
    asm: scriptAsm(script),
    desc: inferDescriptor(script, n),
    hex: toHex(script),
    ...(address !== undefined ? { address } : {}),
    type,
  }
}

/** The coins a transaction spent, and whether to show them per input. */
export interface TxSpent {
  readonly coins: TxUndo
  /** Core TxVerbosity::SHOW_DETAILS_AND_PREVOUT. */
  readonly prevouts: boolean
}

/** Core TxToUniv with include_hex and no block hash, with the spent coins when known. */
export function txToJson(tx: Tx, n: NetworkParams, spent?: TxSpent): Record<string, unknown> {
  const coinbase = tx.isCoinbase()
  // Core: undo data of a transaction has one coin per input.
  const undo = !coinbase && spent && spent.coins.length === tx.inputs.length ? spent : undefined
  const out: Record<string, unknown> = {
    txid: hashToHex(tx.txid()),
    hash: hashToHex(tx.wtxid()),
    version: tx.version >>> 0,
    size: tx.size(),
    vsize: tx.vsize(),
    weight: tx.weight(),
    locktime: tx.locktime >>> 0,
    vin: tx.inputs.map((i, index) => {
      const prev = undo?.coins[index]
      return {
        ...(coinbase
          ? { coinbase: toHex(i.script) }
          : {
              txid: hashToHex(i.prevHash),
              vout: i.prevIndex >>> 0,
              scriptSig: { asm: scriptAsm(i.script, true), hex: toHex(i.script) },
            }),
        ...(i.witness.length > 0 ? { txinwitness: i.witness.map((w) => toHex(w)) } : {}),
        ...(prev && undo?.prevouts
          ? {
              prevout: {
                generated: prev.coinbase,
                height: prev.height,
                value: btcValue(prev.value),
                scriptPubKey: scriptPubKeyJson(prev.script, n),
              },
            }
          : {}),
        sequence: i.sequence >>> 0,
      }
    }),
    vout: tx.outputs.map((o, index) => ({
      value: btcValue(o.value),
      n: index,
      scriptPubKey: scriptPubKeyJson(o.script, n),
    })),
  }
  if (undo) {
    let fee = 0n
    for (const c of undo.coins) fee += c.value
    for (const o of tx.outputs) fee -= o.value
    out['fee'] = btcValue(fee)
  }
  out['hex'] = toHex(tx.toBytes(true))
  return out
}
