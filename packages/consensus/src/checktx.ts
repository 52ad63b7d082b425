/**
 * Context-free transaction checks: Core's `CheckTransaction`
 * (src/consensus/tx_check.cpp), with its reject reasons.
 */
import { type Tx, toHex } from '@node/wire'
import { TxValidationError } from './errors.ts'

/** 21 million bitcoin in satoshis (src/consensus/amount.h). */
export const MAX_MONEY = 21_000_000n * 100_000_000n
/** src/consensus/consensus.h. */
export const MAX_BLOCK_WEIGHT = 4_000_000
export const WITNESS_SCALE_FACTOR = 4

/** Output values are int64 in Core; the wire decoder reads them unsigned. */
function signed(value: bigint): bigint {
  return BigInt.asIntN(64, value)
}

/** Core's `MoneyRange`. */
export function moneyRange(value: bigint): boolean {
  return value >= 0n && value <= MAX_MONEY
}

/**
 * Check what can be checked of a transaction without the chain; throws
 * {@link TxValidationError} with Core's reject reason.
 */
export function checkTransaction(tx: Tx): void {
  if (tx.inputs.length === 0)
    throw new TxValidationError('bad-txns-vin-empty', 'the transaction has no inputs')
  if (tx.outputs.length === 0)
    throw new TxValidationError('bad-txns-vout-empty', 'the transaction has no outputs')
  // Size limits, without the witness (the block weight limit bounds the rest).
  if (tx.strippedSize() * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT)
    throw new TxValidationError('bad-txns-oversize', `stripped size ${tx.strippedSize()} is too large`)
  let total = 0n
  for (const [i, out] of tx.outputs.entries()) {
    const value = signed(out.value)
    if (value < 0n) throw new TxValidationError('bad-txns-vout-negative', `output ${i} has a negative value`)
    if (value > MAX_MONEY)
      throw new TxValidationError('bad-txns-vout-toolarge', `output ${i} is above MAX_MONEY`)
    total += value
    if (!moneyRange(total))
      throw new TxValidationError('bad-txns-txouttotal-toolarge', 'the outputs add up to more than MAX_MONEY')
  }
  // Duplicate inputs: the value would be spent twice (CVE-2018-17144).
  const seen = new Set<string>()
  for (const input of tx.inputs) {
    const key = `${toHex(input.prevHash)}:${input.prevIndex}`
    if (seen.has(key)) throw new TxValidationError('bad-txns-inputs-duplicate', `input ${key} is spent twice`)
    seen.add(key)
  }
  if (tx.isCoinbase()) {
    const len = tx.inputs[0]!.script.length
    if (len < 2 || len > 100)
      throw new TxValidationError('bad-cb-length', `coinbase scriptSig of ${len} bytes is not 2 to 100`)
  } else {
    for (const input of tx.inputs) {
      if (input.prevIndex === 0xffffffff && input.prevHash.every((b) => b === 0))
        throw new TxValidationError('bad-txns-prevout-null', 'an input spends the null outpoint')
    }
  }
}
