/**
 * Context-free transaction checks: Core's CheckTransaction
 * (src/consensus/tx_check.cpp). They need no UTXO set, so they run on every
 * transaction of every block before it is stored (Core calls them from
 * CheckBlock in src/validation.cpp).
 *
 * - at least one input ('bad-txns-vin-empty') and one output ('bad-txns-vout-empty');
 * - the serialization without witness data, times 4, at most MAX_BLOCK_WEIGHT
 *   ('bad-txns-oversize');
 * - each output value in 0..MAX_MONEY ('bad-txns-vout-negative',
 *   'bad-txns-vout-toolarge') and so the running total ('bad-txns-txouttotal-toolarge';
 *   CVE-2010-5139);
 * - no outpoint spent twice ('bad-txns-inputs-duplicate'; CVE-2018-17144);
 * - a coinbase's scriptSig is 2 to 100 bytes ('bad-cb-length');
 * - no null prevout outside the coinbase ('bad-txns-prevout-null').
 *
 * A pure function of a decoded transaction: it throws a
 * {@link BadTransactionError} carrying Core's reject reason.
 */
import { MAX_BLOCK_WEIGHT, type Tx, type TxIn, WITNESS_SCALE_FACTOR } from '@node/wire'
import { ValidationError } from './errors.ts'

/** Core COIN and MAX_MONEY (src/consensus/amount.h), in satoshis. */
export const COIN = 100_000_000n
export const MAX_MONEY = 21_000_000n * COIN

/** Core's CAmount is an int64: an encoded value with the top bit set is negative. */
const INT64_SIGN = 1n << 63n
const NULL_INDEX = 0xffffffff

/** A transaction failed CheckTransaction. `reason` is Core's reject reason. */
export class BadTransactionError extends ValidationError {
  constructor(reason: string, message: string) {
    super('BAD_TX', reason, message)
    this.name = 'BadTransactionError'
  }
}

function samePrevout(a: TxIn, b: TxIn): boolean {
  if (a.prevIndex !== b.prevIndex) return false
  for (let i = 0; i < 32; i++) if (a.prevHash[i] !== b.prevHash[i]) return false
  return true
}

function isNullHash(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false
  return true
}

/** Core MoneyRange. */
function moneyRange(v: bigint): boolean {
  return v >= 0n && v <= MAX_MONEY
}

/** Core CheckTransaction. Throws a {@link BadTransactionError}; returns nothing when the transaction passes. */
export function checkTransaction(tx: Tx): void {
  if (tx.inputs.length === 0)
    throw new BadTransactionError('bad-txns-vin-empty', 'The transaction has no inputs.')
  if (tx.outputs.length === 0)
    throw new BadTransactionError('bad-txns-vout-empty', 'The transaction has no outputs.')
  // Without the witness, as Core: the witness is not yet checked for malleation.
  if (tx.strippedSize() * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT)
    throw new BadTransactionError(
      'bad-txns-oversize',
      `The transaction is ${tx.strippedSize()} bytes without witness data, over the limit.`,
    )

  let total = 0n
  for (let i = 0; i < tx.outputs.length; i++) {
    const raw = tx.outputs[i]!.value
    // The wire value is an unsigned 64-bit field; Core reads it as int64.
    const value = raw >= INT64_SIGN ? raw - (1n << 64n) : raw
    if (value < 0n)
      throw new BadTransactionError('bad-txns-vout-negative', `Output ${i} has a negative value.`)
    if (value > MAX_MONEY)
      throw new BadTransactionError(
        'bad-txns-vout-toolarge',
        `Output ${i} is worth more than 21 million BTC.`,
      )
    total += value
    if (!moneyRange(total))
      throw new BadTransactionError(
        'bad-txns-txouttotal-toolarge',
        'The outputs together are worth more than 21 million BTC.',
      )
  }

  if (tx.isCoinbase()) {
    const n = tx.inputs[0]!.script.length
    if (n < 2 || n > 100)
      throw new BadTransactionError(
        'bad-cb-length',
        `The coinbase scriptSig is ${n} bytes (must be 2 to 100).`,
      )
    return
  }
  const inputs = tx.inputs
  if (inputs.length === 2) {
    // Core's fast path for the common case.
    if (samePrevout(inputs[0]!, inputs[1]!))
      throw new BadTransactionError(
        'bad-txns-inputs-duplicate',
        'Both inputs of the transaction spend the same outpoint.',
      )
  } else if (inputs.length > 2) {
    const seen = new Set<string>()
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!
      const h = input.prevHash
      const key = Buffer.from(h.buffer, h.byteOffset, h.length).toString('latin1') + input.prevIndex
      if (seen.has(key))
        throw new BadTransactionError(
          'bad-txns-inputs-duplicate',
          `Input ${i} spends an outpoint an earlier input of the transaction already spends.`,
        )
      seen.add(key)
    }
  }
  // Core checks duplicates first (it sorts the prevouts), then null prevouts.
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!
    if (input.prevIndex === NULL_INDEX && isNullHash(input.prevHash))
      throw new BadTransactionError(
        'bad-txns-prevout-null',
        `Input ${i} has a null prevout outside a coinbase.`,
      )
  }
}
