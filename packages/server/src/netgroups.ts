/**
 * Admission bookkeeping: how many handshakes may be in progress from one
 * network prefix, and how the connection slots are shared out
 * (Core net.h `CConnman::Init`, btcd `internal/inbound`).
 *
 * - **Handshakes per prefix** (btcd `internal/inbound`): at most 8 handshakes
 *   in progress from one IPv4 /24 or IPv6 /64, so one host or small network
 *   cannot tie up every accept with slow or silent connections.
 * - **Slots** (Core `CConnman::Init`): of `maxConnections` (125), 8 are for
 *   full-relay outbound peers, 2 for block-relay-only peers and 1 for a
 *   feeler; inbound gets the rest (114). Manual (`addnode`) peers are counted
 *   apart, up to 8; address-fetch connections up to 1.
 *
 * Both hand out leases whose `release()` is idempotent, so a connection that
 * both fails its handshake and closes gives its slot back exactly once.
 */
import { NetAddress, SubNet } from '@node/addrmgr'
import {
  DEFAULT_MAX_CONNECTIONS,
  HANDSHAKE_PREFIX_V4,
  HANDSHAKE_PREFIX_V6,
  MAX_ADDNODE,
  MAX_ADDR_FETCH,
  MAX_BLOCK_RELAY_ONLY,
  MAX_FEELER,
  MAX_OUTBOUND_FULL_RELAY,
  MAX_PENDING_HANDSHAKES,
  MAX_PENDING_HANDSHAKES_PER_PREFIX,
} from './constants.ts'
import { InvalidPolicyOptionError, SlotAccountingError } from './errors.ts'

/** Something held that must be given back once. `release()` may be called any number of times. */
export interface Lease {
  release(): void
}

function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < 0)
    throw new InvalidPolicyOptionError(name, 'must be a non-negative integer')
  return v
}

// --- handshakes per prefix ---------------------------------------------------

export interface HandshakeLimiterInit {
  /** Handshakes in progress per prefix (default 8). */
  maxPerPrefix?: number | undefined
  /** Handshakes in progress in total (default 1,024); bounds the limiter's memory. */
  maxTotal?: number | undefined
  /** IPv4 prefix length (default 24). */
  v4Prefix?: number | undefined
  /** IPv6 prefix length (default 64). */
  v6Prefix?: number | undefined
}

/**
 * The source prefix an IP counts against: the /24 of an IPv4 address (an
 * IPv4-mapped IPv6 address counts as IPv4), the /64 of an IPv6 one. Anything
 * else counts as itself.
 */
export function sourcePrefix(
  ip: string,
  v4Prefix = HANDSHAKE_PREFIX_V4,
  v6Prefix = HANDSHAKE_PREFIX_V6,
): string {
  const addr = NetAddress.tryParse(ip.trim())
  const net = addr && SubNet.cidr(addr, addr.isIPv4() ? v4Prefix : v6Prefix)
  return net ? net.toString() : `other:${ip.trim().toLowerCase()}`
}

/**
 * Handshakes in progress per source prefix. Acquire when a connection is
 * accepted, release when its handshake completes or the connection closes,
 * whichever comes first.
 */
export class HandshakeLimiter {
  readonly #maxPerPrefix: number
  readonly #maxTotal: number
  readonly #v4: number
  readonly #v6: number
  // In-progress count per prefix; entries at zero are deleted, so its size is at most #maxTotal.
  readonly #counts = new Map<string, number>()
  #total = 0

  constructor(init: HandshakeLimiterInit = {}) {
    this.#maxPerPrefix = nonNegativeInt('maxPerPrefix', init.maxPerPrefix, MAX_PENDING_HANDSHAKES_PER_PREFIX)
    this.#maxTotal = nonNegativeInt('maxTotal', init.maxTotal, MAX_PENDING_HANDSHAKES)
    this.#v4 = nonNegativeInt('v4Prefix', init.v4Prefix, HANDSHAKE_PREFIX_V4)
    this.#v6 = nonNegativeInt('v6Prefix', init.v6Prefix, HANDSHAKE_PREFIX_V6)
    if (this.#v4 > 32) throw new InvalidPolicyOptionError('v4Prefix', 'must be at most 32')
    if (this.#v6 > 128) throw new InvalidPolicyOptionError('v6Prefix', 'must be at most 128')
  }

  /** Handshakes in progress in total. */
  get total(): number {
    return this.#total
  }

  /** Handshakes in progress from the prefix of `ip`. */
  inProgress(ip: string): number {
    return this.#counts.get(sourcePrefix(ip, this.#v4, this.#v6)) ?? 0
  }

  /** Take a place for a handshake from `ip`, or undefined when its prefix (or the total) is full. */
  acquire(ip: string): Lease | undefined {
    const key = sourcePrefix(ip, this.#v4, this.#v6)
    if (!this.#take(key)) return undefined
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        this.#give(key)
      },
    }
  }

  /**
   * Count-based form of {@link acquire}: true if a place was taken. Each true
   * must be matched by exactly one {@link release}; prefer `acquire()`, whose
   * lease cannot be released twice.
   */
  tryAcquire(ip: string): boolean {
    return this.#take(sourcePrefix(ip, this.#v4, this.#v6))
  }

  /** Give back a place taken with {@link tryAcquire}. Extra releases are ignored. */
  release(ip: string): void {
    this.#give(sourcePrefix(ip, this.#v4, this.#v6))
  }

  #take(key: string): boolean {
    const n = this.#counts.get(key) ?? 0
    if (n >= this.#maxPerPrefix || this.#total >= this.#maxTotal) return false
    this.#counts.set(key, n + 1)
    this.#total++
    return true
  }

  #give(key: string): void {
    const n = this.#counts.get(key)
    if (n === undefined) return
    if (n <= 1) this.#counts.delete(key)
    else this.#counts.set(key, n - 1)
    this.#total--
  }
}

// --- connection slots --------------------------------------------------------

/** Connection types, as `@node/peer` names them. */
export type SlotType =
  | 'inbound'
  | 'outbound-full-relay'
  | 'block-relay-only'
  | 'feeler'
  | 'manual'
  | 'addr-fetch'

export const SLOT_TYPES: readonly SlotType[] = [
  'inbound',
  'outbound-full-relay',
  'block-relay-only',
  'feeler',
  'manual',
  'addr-fetch',
]

export interface SlotLimitsInit {
  /** Inbound plus automatic outbound (Core `-maxconnections`, default 125). */
  maxConnections?: number | undefined
  /** Manual (`addnode`) connections, counted apart (default 8). */
  maxManual?: number | undefined
  /** Address-fetch connections at once (default 1). */
  maxAddrFetch?: number | undefined
}

/** How many connections of each type may be open. */
export type SlotLimits = Readonly<Record<SlotType, number>>

/**
 * Core `CConnman::Init`: full-relay = min(8, max); block-relay-only =
 * min(2, max − full-relay); feeler = 1; inbound = max(0, max − all three).
 */
export function slotLimits(init: SlotLimitsInit = {}): SlotLimits {
  const max = nonNegativeInt('maxConnections', init.maxConnections, DEFAULT_MAX_CONNECTIONS)
  const fullRelay = Math.min(MAX_OUTBOUND_FULL_RELAY, max)
  const blockRelay = Math.min(MAX_BLOCK_RELAY_ONLY, max - fullRelay)
  const feeler = MAX_FEELER
  return {
    inbound: Math.max(0, max - (fullRelay + blockRelay + feeler)),
    'outbound-full-relay': fullRelay,
    'block-relay-only': blockRelay,
    feeler,
    manual: nonNegativeInt('maxManual', init.maxManual, MAX_ADDNODE),
    'addr-fetch': nonNegativeInt('maxAddrFetch', init.maxAddrFetch, MAX_ADDR_FETCH),
  }
}

export interface ReserveOptions {
  /**
   * One connection past the target: Core's extra full-relay peer when the tip
   * looks stale, and its periodic extra block-relay-only peer. Only for those
   * two types.
   */
  extra?: boolean | undefined
}

/**
 * Slot accounting. Reserve a slot before dialing (outbound) or when accepting
 * (inbound), release it when the connection closes.
 */
export class ConnectionSlots {
  readonly limits: SlotLimits
  readonly #open: Record<SlotType, number> = {
    inbound: 0,
    'outbound-full-relay': 0,
    'block-relay-only': 0,
    feeler: 0,
    manual: 0,
    'addr-fetch': 0,
  }

  constructor(init: SlotLimitsInit = {}) {
    this.limits = slotLimits(init)
  }

  /** Open connections of a type. */
  count(type: SlotType): number {
    return this.#open[type]
  }

  /** A snapshot of every count. */
  counts(): Record<SlotType, number> {
    return { ...this.#open }
  }

  /** Room for one more of `type`. */
  available(type: SlotType, options: ReserveOptions = {}): boolean {
    return this.#open[type] < this.#limit(type, options)
  }

  /** Every inbound slot is taken: a newcomer needs an eviction (Core `AttemptToEvictConnection`). */
  get inboundFull(): boolean {
    return this.#open.inbound >= this.limits.inbound
  }

  /**
   * The automatic outbound connection to open next, in Core's order: full
   * relay below its target, then block-relay-only below its target. Undefined
   * when both are met (feelers and extras run on their own timers).
   */
  nextOutbound(): 'outbound-full-relay' | 'block-relay-only' | undefined {
    if (this.available('outbound-full-relay')) return 'outbound-full-relay'
    if (this.available('block-relay-only')) return 'block-relay-only'
    return undefined
  }

  /** Reserve a slot, or undefined if the type is full. The lease's `release()` is idempotent. */
  tryReserve(type: SlotType, options: ReserveOptions = {}): Lease | undefined {
    if (!this.available(type, options)) return undefined
    this.#open[type]++
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        this.#open[type]--
      },
    }
  }

  /**
   * Count a connection that was made without a reservation (it must be
   * released with {@link untrack}). Throws nothing: past the limit it is
   * still counted, so the books stay right.
   */
  track(type: SlotType): void {
    this.#open[type]++
  }

  /** Stop counting a connection counted with {@link track}. */
  untrack(type: SlotType): void {
    if (this.#open[type] === 0) {
      throw new SlotAccountingError(`Released a ${type} connection that was never counted.`)
    }
    this.#open[type]--
  }

  #limit(type: SlotType, options: ReserveOptions): number {
    const extra = options.extra && (type === 'outbound-full-relay' || type === 'block-relay-only') ? 1 : 0
    return this.limits[type] + extra
  }
}
