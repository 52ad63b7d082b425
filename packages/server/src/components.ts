/**
 * The node's components, built once by `createNode` and handed to the
 * server and its policy modules (as js-libp2p's `components`): no policy
 * module constructs its own collaborators, and randomness and the clock
 * come from here everywhere.
 */
import type { AddrManager, RandomSource } from '@node/addrmgr'
import type { BlockManager } from '@node/blockmgr'
import type { BlockStore } from '@node/chain'
import type { Logger } from '@node/runtime'
import type { BanList } from './bans.ts'
import type { MockableClock } from './clock.ts'

/** Resolves a host name to IP addresses. */
export type Resolver = (host: string, signal: AbortSignal) => Promise<string[]>

export interface NodeComponents {
  readonly logger: Logger
  /** Wall clock in milliseconds (like Date.now). */
  readonly now: () => number
  /** The clock behind `now`; regtest's setmocktime sets it. */
  readonly clock: MockableClock
  readonly random: RandomSource
  readonly resolve: Resolver
  readonly addrManager: AddrManager
  readonly bans: BanList
  readonly store: BlockStore
  readonly blockManager: BlockManager
}

/** A uniform number in [0, 1) with 53 random bits. */
export function randomUnit(random: RandomSource): number {
  return (random.randbits(26) * 2 ** 27 + random.randbits(27)) / 2 ** 53
}
