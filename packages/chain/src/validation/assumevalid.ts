/**
 * When scripts may be skipped below the assumed-valid block: Core's
 * `Chainstate::ConnectBlock` (src/validation.cpp, its `fScriptChecks`
 * decision) with `GetBlockProofEquivalentTime` (src/chain.cpp). Scripts are
 * skipped only when all of these hold:
 *
 * - an assumed-valid hash is set and known among our headers;
 * - the block is an ancestor of (or is) the assumed-valid block;
 * - the block is an ancestor of (or is) the best header;
 * - the best header has at least the network's minimum chain work;
 * - the best header is more than two weeks of equivalent work past the block.
 *
 * Everything else in the block is still checked. The reasons are Core's log
 * texts for why scripts are checked.
 */
import { bytesEqual, type Hash, type NetworkParams } from '@node/wire'
import { blockProof } from '../pow.ts'

/** A header-tree entry as far as this decision needs it. */
export interface AssumeValidEntry {
  readonly hash: Hash
  readonly height: number
  /** Total work up to and including this header. */
  readonly chainWork: bigint
  readonly bits: number
}

export interface AssumeValidInput<E extends AssumeValidEntry> {
  /** The block being connected. */
  readonly block: E
  /** null: -assumevalid=0; undefined: the hash is set but not among our headers. */
  readonly assumeValid: E | null | undefined
  readonly bestHeader: E
  /** The ancestor of `entry` at `height` (`entry` itself at its own height), undefined above it. */
  readonly ancestor: (entry: E, height: number) => E | undefined
  readonly network: Pick<NetworkParams, 'minimumChainWork' | 'powTargetSpacing'>
}

/** Core's TWO_WEEKS_IN_SECONDS. */
const TWO_WEEKS = 60n * 60n * 24n * 7n * 2n
const INT64_MAX = (1n << 63n) - 1n

/**
 * Core `GetBlockProofEquivalentTime(to, from, tip)`: seconds the chain work
 * between `from` and `to` would take at `tip`'s difficulty, signed, clamped
 * to int64.
 */
export function blockProofEquivalentTime(
  to: AssumeValidEntry,
  from: AssumeValidEntry,
  tip: AssumeValidEntry,
  powTargetSpacing: number,
): bigint {
  const sign = to.chainWork > from.chainWork ? 1n : -1n
  const diff = sign > 0n ? to.chainWork - from.chainWork : from.chainWork - to.chainWork
  const proof = blockProof(tip.bits)
  if (proof === 0n) return sign * INT64_MAX
  const r = (diff * BigInt(powTargetSpacing)) / proof
  return sign * (r > INT64_MAX ? INT64_MAX : r)
}

function same(a: AssumeValidEntry | undefined, b: AssumeValidEntry): boolean {
  return a !== undefined && a.height === b.height && bytesEqual(a.hash, b.hash)
}

/** Why scripts must be checked for this block, or undefined when they may be skipped. */
export function scriptCheckReason<E extends AssumeValidEntry>(
  input: AssumeValidInput<E>,
): string | undefined {
  const { block, assumeValid, bestHeader, ancestor, network } = input
  if (assumeValid === null) return 'assumevalid=0 (always verify)'
  if (assumeValid === undefined) return 'assumevalid hash not in headers'
  if (!same(ancestor(assumeValid, block.height), block))
    return block.height > assumeValid.height
      ? 'block height above assumevalid height'
      : 'block not in assumevalid chain'
  if (!same(ancestor(bestHeader, block.height), block)) return 'block not in best header chain'
  if (bestHeader.chainWork < network.minimumChainWork) return 'best header chainwork below minimumchainwork'
  if (blockProofEquivalentTime(bestHeader, block, bestHeader, network.powTargetSpacing) <= TWO_WEEKS)
    return 'block too recent relative to best header'
  return undefined
}

/** True when the block's scripts must be verified (Core's fScriptChecks). */
export function shouldCheckScripts<E extends AssumeValidEntry>(input: AssumeValidInput<E>): boolean {
  return scriptCheckReason(input) !== undefined
}
