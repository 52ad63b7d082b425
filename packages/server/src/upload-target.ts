/**
 * The upload target (Core `-maxuploadtarget`; net.cpp
 * `CConnman::OutboundTargetReached`, `GetMaxOutboundTimeLeftInCycle_`,
 * `GetOutboundTargetBytesLeft`, `RecordBytesSent`; the refusal is
 * net_processing.cpp `ProcessGetBlockData`).
 *
 * - Bytes sent are counted in 24 h cycles; a cycle ends 24 h after it began
 *   and the next begins at the first look after that.
 * - Historical blocks (more than a week older than our best header) are no
 *   longer served once the bytes sent in the cycle reach the target less a
 *   buffer of one maximum-size block per 10 minutes left in the cycle; a peer
 *   that asks for one then is disconnected, unless it has the `download`
 *   permission (a whitelisted peer).
 * - `0` turns the target off.
 */
import { MAX_BLOCK_SERIALIZED_SIZE } from '@node/wire'

/** Core MAX_UPLOAD_TIMEFRAME: the cycle, 24 h. */
export const UPLOAD_TIMEFRAME_MS = 24 * 60 * 60 * 1000
/** Core HISTORICAL_BLOCK_AGE: a block this much older than the best header is historical. */
export const HISTORICAL_BLOCK_AGE_S = 7 * 24 * 60 * 60
const TEN_MINUTES_MS = 10 * 60 * 1000

export interface UploadTargetInfo {
  /** Seconds in a cycle. */
  readonly timeframe: number
  /** The target in bytes (0: none). */
  readonly target: number
  readonly target_reached: boolean
  readonly serve_historical_blocks: boolean
  readonly bytes_left_in_cycle: number
  readonly time_left_in_cycle: number
}

export class UploadTarget {
  readonly #now: () => number
  readonly #bytesSent: () => number
  readonly #target: number
  #cycleStart = 0
  #cycleBase = 0

  /** `bytesSent`: all bytes sent to peers so far (monotonic). `target`: bytes per cycle, 0 for none. */
  constructor(components: { now: () => number; bytesSent: () => number }, init: { target: number }) {
    this.#now = components.now
    this.#bytesSent = components.bytesSent
    this.#target = init.target
  }

  get target(): number {
    return this.#target
  }

  /** Bytes sent in the current cycle (starting a new cycle when the old one is over). */
  #sentInCycle(now: number): number {
    const total = this.#bytesSent()
    if (this.#cycleStart === 0 || this.#cycleStart + UPLOAD_TIMEFRAME_MS < now) {
      this.#cycleStart = now
      this.#cycleBase = total
    }
    return total - this.#cycleBase
  }

  /** Core GetMaxOutboundTimeLeftInCycle_, in ms. */
  #timeLeft(now: number): number {
    if (this.#target === 0) return 0
    const end = this.#cycleStart + UPLOAD_TIMEFRAME_MS
    return end < now ? 0 : end - now
  }

  /** Core OutboundTargetReached(historicalBlockServingLimit). */
  reached(historical: boolean): boolean {
    if (this.#target === 0) return false
    const now = this.#now()
    const sent = this.#sentInCycle(now)
    if (!historical) return sent >= this.#target
    // Keep enough to relay each new block once in the rest of the cycle.
    const buffer = Math.floor(this.#timeLeft(now) / TEN_MINUTES_MS) * MAX_BLOCK_SERIALIZED_SIZE
    return buffer >= this.#target || sent >= this.#target - buffer
  }

  /**
   * Core ProcessGetBlockData: whether a request for a block with time
   * `blockTime` (s) must be refused, given the best header's time.
   */
  refuses(blockTime: number, bestHeaderTime: number, downloadPermission: boolean): boolean {
    if (this.#target === 0 || downloadPermission) return false
    return bestHeaderTime - blockTime > HISTORICAL_BLOCK_AGE_S && this.reached(true)
  }

  /** getnettotals' `uploadtarget` object. */
  info(): UploadTargetInfo {
    const now = this.#now()
    const sent = this.#target === 0 ? 0 : this.#sentInCycle(now)
    return {
      timeframe: UPLOAD_TIMEFRAME_MS / 1000,
      target: this.#target,
      target_reached: this.reached(false),
      serve_historical_blocks: !this.reached(true),
      bytes_left_in_cycle: this.#target === 0 ? 0 : Math.max(0, this.#target - sent),
      time_left_in_cycle: Math.floor(this.#timeLeft(now) / 1000),
    }
  }
}
