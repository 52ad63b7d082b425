/**
 * Poisson timers for transaction and address trickling (Core
 * `rand_exp_duration`): exponentially distributed delays hide when a
 * transaction reached us, which makes it harder to find its origin.
 */
import { INBOUND_INVENTORY_BROADCAST_INTERVAL_MS } from './constants.ts'

/** An exponentially distributed delay with the given mean; `random()` is uniform in [0, 1). */
export function poissonDelay(meanMs: number, random: () => number): number {
  return -Math.log1p(-random()) * meanMs
}

export interface PoissonClockComponents {
  random?: (() => number) | undefined
}

export interface PoissonClockInit {
  /** Mean interval (default 5 s, Core's inbound interval). */
  meanMs?: number | undefined
}

/**
 * One Poisson timer shared by many peers. Core sends transaction inventory to
 * all inbound peers at the same random instants (`m_next_inv_to_inbounds`),
 * so an attacker with many inbound connections learns nothing from timing
 * differences between them. Give every inbound peer the same clock.
 */
export class PoissonClock {
  readonly meanMs: number
  readonly #random: () => number
  #next = 0

  constructor(components: PoissonClockComponents = {}, init: PoissonClockInit = {}) {
    this.meanMs = init.meanMs ?? INBOUND_INVENTORY_BROADCAST_INTERVAL_MS
    this.#random = components.random ?? Math.random
  }

  /** The next shared send time at or after `now` (ms). */
  next(now: number): number {
    if (this.#next < now) this.#next = now + poissonDelay(this.meanMs, this.#random)
    return this.#next
  }
}
