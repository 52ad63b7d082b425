/**
 * Absolute and relative lock times of a whole transaction.
 *
 * - Finality: Core's `IsFinalTx` (src/consensus/tx_verify.cpp). Blocks
 *   compare time lock times with the median time past of the previous block
 *   once BIP113 is active (with CSV; Core's `ContextualCheckBlock`), and with
 *   the block's own time before.
 * - BIP68 sequence locks: Core's `CalculateSequenceLocks` and
 *   `EvaluateSequenceLocks` (src/consensus/tx_verify.cpp).
 */
import type { Tx } from '@node/wire'
import { TxValidationError } from './errors.ts'
import {
  LOCKTIME_THRESHOLD,
  SEQUENCE_FINAL,
  SEQUENCE_LOCKTIME_DISABLE_FLAG,
  SEQUENCE_LOCKTIME_MASK,
  SEQUENCE_LOCKTIME_TYPE_FLAG,
} from './interpreter.ts'

/** BIP68: time locks count in units of 512 seconds. */
export const SEQUENCE_LOCKTIME_GRANULARITY = 9

/**
 * True when `tx` may be in a block at `height` whose lock-time clock reads
 * `time` (the previous block's median time past under BIP113).
 */
export function isFinalTx(tx: Tx, height: number, time: number): boolean {
  if (tx.locktime === 0) return true
  if (tx.locktime < (tx.locktime < LOCKTIME_THRESHOLD ? height : time)) return true
  // A lock time in the future is ignored when every input is final.
  return tx.inputs.every((i) => i.sequence === SEQUENCE_FINAL)
}

/** Throws `bad-txns-nonfinal` unless {@link isFinalTx}. */
export function checkFinalTx(tx: Tx, height: number, time: number): void {
  if (!isFinalTx(tx, height, time))
    throw new TxValidationError(
      'bad-txns-nonfinal',
      `lock time ${tx.locktime} is not reached at height ${height}`,
    )
}

/**
 * The lowest height and time at which the transaction's relative lock times
 * are all satisfied, as "last invalid" values (-1: no constraint).
 */
export interface SequenceLocks {
  minHeight: number
  minTime: number
}

/**
 * Core's `CalculateSequenceLocks`. `prevHeights[i]` is the height of the
 * block that created input i's coin; `medianTimePastAt(h)` is the median time
 * past of the block at height h on this chain. `enforce` is BIP68's
 * activation (Core's LOCKTIME_VERIFY_SEQUENCE).
 */
export function calculateSequenceLocks(
  tx: Tx,
  enforce: boolean,
  prevHeights: readonly number[],
  medianTimePastAt: (height: number) => number,
): SequenceLocks {
  const locks = { minHeight: -1, minTime: -1 }
  // Only version 2 and above (compared unsigned) opt in.
  if (!enforce || tx.version >>> 0 < 2) return locks
  for (const [i, input] of tx.inputs.entries()) {
    if (input.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) continue
    const coinHeight = prevHeights[i]!
    const value = input.sequence & SEQUENCE_LOCKTIME_MASK
    if (input.sequence & SEQUENCE_LOCKTIME_TYPE_FLAG) {
      // Time counts from the median time past of the block before the coin's.
      const coinTime = medianTimePastAt(Math.max(coinHeight - 1, 0))
      locks.minTime = Math.max(locks.minTime, coinTime + value * 2 ** SEQUENCE_LOCKTIME_GRANULARITY - 1)
    } else locks.minHeight = Math.max(locks.minHeight, coinHeight + value - 1)
  }
  return locks
}

/** Core's `EvaluateSequenceLocks`: may the transaction be in a block at `height` after a block with `prevMedianTimePast`? */
export function evaluateSequenceLocks(
  height: number,
  prevMedianTimePast: number,
  locks: SequenceLocks,
): boolean {
  return !(locks.minHeight >= height || locks.minTime >= prevMedianTimePast)
}

/** Throws `bad-txns-nonfinal` when the sequence locks are not met (Core's ConnectBlock). */
export function checkSequenceLocks(height: number, prevMedianTimePast: number, locks: SequenceLocks): void {
  if (!evaluateSequenceLocks(height, prevMedianTimePast, locks))
    throw new TxValidationError('bad-txns-nonfinal', 'contains a non-BIP68-final transaction')
}
