/**
 * Handshakes in progress per network prefix (btcd `internal/inbound`): at
 * most 8 handshakes in progress from one IPv4 /24 or IPv6 /64, so one host
 * or small network cannot tie up every accept with slow or silent
 * connections. The limiter hands out leases whose `release()` is
 * idempotent, so a connection that both fails its handshake and closes gives
 * its slot back exactly once.
 */
import { NetAddress, SubNet } from '@node/addrmgr'
import {
  HANDSHAKE_PREFIX_V4,
  HANDSHAKE_PREFIX_V6,
  MAX_PENDING_HANDSHAKES,
  MAX_PENDING_HANDSHAKES_PER_PREFIX,
} from './constants.ts'
import { InvalidPolicyOptionError } from './errors.ts'

/** Something held that must be given back once. `release()` may be called any number of times. */
export interface Lease {
  release(): void
}

export function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
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
