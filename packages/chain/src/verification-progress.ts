/**
 * Core's GuessVerificationProgress (validation.cpp): how far the chain of
 * blocks we have is towards the network's present, by transactions. The
 * network's ChainTxData gives the transaction count at a known time and the
 * rate since; a chain past that count extrapolates from its own tip.
 */
import type { ChainTxData } from '@node/wire'

/**
 * Progress from 0 to 1 of a chain whose tip holds `chainTx` transactions in
 * all (Core's m_chain_tx_count) and has block time `tipTime`, at `now`
 * (Unix seconds). 0 when the count is unknown (0).
 */
export function guessVerificationProgress(
  data: ChainTxData,
  chainTx: number,
  tipTime: number,
  now: number,
): number {
  if (chainTx <= 0) return 0
  const total =
    chainTx <= data.txCount
      ? data.txCount + (now - data.time) * data.txRate
      : chainTx + (now - tipTime) * data.txRate
  return Math.min(chainTx / total, 1)
}
