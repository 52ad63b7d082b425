/**
 * Retry backoff for `addnode` and `connect` peers that fail to connect, and
 * Core's rule for when a failed attempt should count against an address at
 * all (Core net.cpp `CConnman::ThreadOpenConnections`, btcd `connmgr`).
 *
 * - **Backoff** (btcd `connmgr` for permanent peers; Core retries added
 *   nodes on a fixed timer in `ThreadOpenAddedConnections`): after the n-th
 *   failure in a row, wait n × 5 s before trying that target again, never
 *   more than 5 minutes. A success resets it. Automatically chosen addresses
 *   get no backoff here: the address manager's own rules (recent tries,
 *   IsTerrible) space them out, as in Core.
 * - **Counting failures** (Core `ThreadOpenConnections`): an attempt that
 *   fails is recorded in the address manager only while we have outbound
 *   peers in at least min(max − 1, 2) distinct IPv4/IPv6 network groups (each
 *   Tor, I2P or CJDNS peer counting on its own). When we are offline every
 *   dial fails, and counting those would make good addresses look terrible.
 */
import { BACKOFF_MAX_ENTRIES, DEFAULT_MAX_CONNECTIONS, RETRY_MAX_MS, RETRY_STEP_MS } from './constants.ts'
import { InvalidPolicyOptionError } from './errors.ts'
import type { SlotType } from './slots.ts'

/** btcd: the wait after `retries` failures in a row: retries × step, at most `max`. */
export function retryDelay(retries: number, stepMs = RETRY_STEP_MS, maxMs = RETRY_MAX_MS): number {
  if (retries <= 0) return 0
  return Math.min(retries * stepMs, maxMs)
}

export interface RetryBackoffComponents {
  /** Milliseconds since the epoch (`Date.now` by default). */
  now?: (() => number) | undefined
}

export interface RetryBackoffInit {
  /** Added to the wait per failure (default 5 s). */
  stepMs?: number | undefined
  /** The longest wait (default 5 min). */
  maxMs?: number | undefined
  /** Targets remembered; the least recently failed are forgotten first (default 4,096). */
  maxEntries?: number | undefined
}

interface Entry {
  retries: number
  nextAttempt: number
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < 1)
    throw new InvalidPolicyOptionError(name, 'must be a positive integer')
  return v
}

/**
 * Failures per target (an address, or an `addnode` name), keyed by whatever
 * string the caller uses. Bounded: past `maxEntries` the target that failed
 * longest ago is forgotten (and may be tried at once).
 */
export class RetryBackoff {
  readonly #now: () => number
  readonly #step: number
  readonly #max: number
  readonly #maxEntries: number
  // Least recently failed first (re-inserted on each failure); bounded by #maxEntries.
  readonly #entries = new Map<string, Entry>()

  constructor(components: RetryBackoffComponents = {}, init: RetryBackoffInit = {}) {
    this.#now = components.now ?? Date.now
    this.#step = positive('stepMs', init.stepMs, RETRY_STEP_MS)
    this.#max = positive('maxMs', init.maxMs, RETRY_MAX_MS)
    this.#maxEntries = positive('maxEntries', init.maxEntries, BACKOFF_MAX_ENTRIES)
  }

  get size(): number {
    return this.#entries.size
  }

  /** Failures in a row for `key` (0 if none remembered). */
  retries(key: string): number {
    return this.#entries.get(key)?.retries ?? 0
  }

  /** When `key` may be tried again (ms since the epoch); 0 if at once. */
  nextAttemptAt(key: string): number {
    return this.#entries.get(key)?.nextAttempt ?? 0
  }

  /** `key` may be tried now. */
  canAttempt(key: string): boolean {
    return this.#now() >= this.nextAttemptAt(key)
  }

  /** How long until `key` may be tried (0 if now). */
  delayFor(key: string): number {
    return Math.max(0, this.nextAttemptAt(key) - this.#now())
  }

  /** Record a failed attempt; returns the wait before the next one. */
  recordFailure(key: string): number {
    const old = this.#entries.get(key)
    const retries = (old?.retries ?? 0) + 1
    const delay = retryDelay(retries, this.#step, this.#max)
    this.#entries.delete(key)
    this.#entries.set(key, { retries, nextAttempt: this.#now() + delay })
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest === undefined) break
      this.#entries.delete(oldest)
    }
    return delay
  }

  /** Record a successful connection: `key` starts over. */
  recordSuccess(key: string): void {
    this.#entries.delete(key)
  }

  /** Forget `key` (e.g. an addnode that was removed). */
  forget(key: string): void {
    this.#entries.delete(key)
  }
}

// --- counting failures only while online -------------------------------------

/** An open outbound connection, as Core's failure-counting rule sees it. */
export interface OutboundForCounting {
  readonly type: SlotType
  /** 'onion', 'i2p' and 'cjdns' count one each; anything else counts by distinct `group`. */
  readonly network: string
  /** The network group (any stable text form, e.g. hex of `@node/addrmgr`'s group bytes). */
  readonly group: string
}

const PRIVACY_NETWORKS = new Set(['onion', 'i2p', 'cjdns'])

/**
 * Core: record failed attempts in the address manager only when our manual,
 * full-relay and block-relay-only peers span at least min(max − 1, 2) distinct
 * IPv4/IPv6 groups (privacy-network peers each counting once). Inbound,
 * feeler and address-fetch connections do not count. `maxConnections` is
 * Core's `m_max_automatic_connections` (default 125).
 */
export function shouldCountFailures(
  outbound: readonly OutboundForCounting[],
  maxConnections: number = DEFAULT_MAX_CONNECTIONS,
): boolean {
  const groups = new Set<string>()
  let privacy = 0
  for (const c of outbound) {
    if (c.type !== 'manual' && c.type !== 'outbound-full-relay' && c.type !== 'block-relay-only') continue
    if (PRIVACY_NETWORKS.has(c.network)) privacy++
    else groups.add(c.group)
  }
  return groups.size + privacy >= Math.min(maxConnections - 1, 2)
}
