/**
 * Proof of work and difficulty, as Bitcoin Core computes them (pow.cpp):
 * the target of each block, the 2,016-block retarget clamped to 4×,
 * testnet3's 20-minute rule, testnet4's BIP94 rules, and no retarget on
 * regtest.
 */
import {
  compactToTarget,
  type Hash,
  hashToBigInt,
  type NetworkParams,
  targetToCompact,
  targetToWork,
} from '@node/wire'

/** What difficulty needs to know about a header already in the index. */
export interface PowEntry {
  readonly height: number
  readonly time: number
  readonly bits: number
  /** The parent entry, or undefined for genesis. */
  readonly prev: PowEntry | undefined
}

/** Blocks between retargets (2,016; 144 on regtest since Core lowered its timespan). */
export function retargetInterval(p: NetworkParams): number {
  return p.powTargetTimespan / p.powTargetSpacing
}

/** Core's CheckProofOfWork: bits must decode to a positive target within powLimit, and the hash must meet it. */
export function checkProofOfWork(hash: Hash, bits: number, p: NetworkParams): boolean {
  const { target, negative, overflow } = compactToTarget(bits)
  if (negative || overflow || target === 0n || target > p.powLimit) return false
  return hashToBigInt(hash) <= target
}

/** The work a header's bits represent (Core GetBlockProof). */
export function blockProof(bits: number): bigint {
  const { target, negative, overflow } = compactToTarget(bits)
  if (negative || overflow || target === 0n) return 0n
  return targetToWork(target)
}

/** The ancestor of `e` at `height` (walks back; callers keep the distance small or use the chain's index). */
export function ancestor(e: PowEntry, height: number): PowEntry | undefined {
  let cur: PowEntry | undefined = e
  while (cur && cur.height > height) cur = cur.prev
  return cur && cur.height === height ? cur : undefined
}

/**
 * Core's GetNextWorkRequired: the bits a block at `last.height + 1` with
 * timestamp `time` must have. `getAncestor` lets the caller answer
 * "ancestor of last at height h" in O(1) from its best-chain index.
 */
export function nextWorkRequired(
  last: PowEntry,
  time: number,
  p: NetworkParams,
  getAncestor: (e: PowEntry, height: number) => PowEntry | undefined = ancestor,
): number {
  const limitBits = p.powLimitBits
  const interval = retargetInterval(p)
  if ((last.height + 1) % interval !== 0) {
    if (p.powAllowMinDifficultyBlocks) {
      // A block more than 20 minutes after its parent may use the minimum difficulty.
      if (time > last.time + p.powTargetSpacing * 2) return limitBits
      // Otherwise the last block that did not use the exception.
      let e: PowEntry = last
      while (e.prev && e.height % interval !== 0 && e.bits === limitBits) e = e.prev
      return e.bits
    }
    return last.bits
  }
  const first = getAncestor(last, last.height - (interval - 1))
  if (!first) throw new RangeError(`No ancestor at height ${last.height - (interval - 1)}.`)
  return calculateNextWorkRequired(last, first, p)
}

/** Core's CalculateNextWorkRequired, with BIP94's base target when enforced. */
export function calculateNextWorkRequired(last: PowEntry, first: PowEntry, p: NetworkParams): number {
  if (p.powNoRetargeting) return last.bits
  let actual = last.time - first.time
  const span = p.powTargetTimespan
  if (actual < span / 4) actual = span / 4
  if (actual > span * 4) actual = span * 4
  // BIP94: the first block of the period never uses the min-difficulty
  // exception, so its bits are the period's real difficulty.
  const baseBits = p.enforceBIP94 ? first.bits : last.bits
  let target = (compactToTarget(baseBits).target * BigInt(actual)) / BigInt(span)
  if (target > p.powLimit) target = p.powLimit
  return targetToCompact(target)
}

/** Median of the timestamps of `e` and up to 10 ancestors (Core GetMedianTimePast). */
export function medianTimePast(e: PowEntry | undefined): number {
  const times: number[] = []
  for (let cur = e, i = 0; cur && i < 11; cur = cur.prev, i++) times.push(cur.time)
  if (times.length === 0) return 0
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}
