/**
 * One address-manager entry (Core `AddrInfo`) and Core's two quality rules:
 * when an entry is "terrible" (may be replaced, never gossiped) and the
 * chance that `select()` accepts it (Core `AddrInfo::IsTerrible`, `AddrInfo::GetChance`).
 */
import {
  CHANCE_MAX_ATTEMPTS,
  CHANCE_PER_ATTEMPT,
  FUTURE_TOLERANCE_SECONDS,
  HORIZON_SECONDS,
  MAX_FAILURES,
  MIN_FAIL_SECONDS,
  type Network,
  RECENT_TRY_SECONDS,
  RETRIES,
  TERRIBLE_GRACE_SECONDS,
} from './constants.ts'
import type { NetAddress, PeerAddress } from './netaddress.ts'

/** The fields the quality rules read. All times are Unix seconds; 0 means never. */
export interface AddressQuality {
  /** When the address was last seen (announced, or connected to). */
  readonly time: number
  /** Our last connection attempt. */
  readonly lastTry: number
  /** Our last successful connection. */
  readonly lastSuccess: number
  /** Failed attempts since the last success. */
  readonly attempts: number
}

/**
 * Core AddrInfo::IsTerrible(): an entry tried within the last minute never
 * is; otherwise it is when its time is over 10 minutes in the future or over
 * 30 days old, after 3 failures with no success ever, or after 10 failures
 * with no success in 7 days.
 */
export function isTerrible(e: AddressQuality, now: number): boolean {
  if (now - e.lastTry <= TERRIBLE_GRACE_SECONDS) return false
  if (e.time > now + FUTURE_TOLERANCE_SECONDS) return true
  if (now - e.time > HORIZON_SECONDS) return true
  if (e.lastSuccess === 0 && e.attempts >= RETRIES) return true
  if (now - e.lastSuccess > MIN_FAIL_SECONDS && e.attempts >= MAX_FAILURES) return true
  return false
}

/** 0.66^k for k = 0..8, computed as Core does (pow), looked up instead of recomputed. */
const ATTEMPT_FACTORS: readonly number[] = Array.from(
  { length: CHANCE_MAX_ATTEMPTS + 1 },
  (_, k) => CHANCE_PER_ATTEMPT ** k,
)

/**
 * Core AddrInfo::GetChance(): 1, times 0.01 when tried in the last 10
 * minutes, times 0.66 per failed attempt (at most 8, a floor of about 0.036).
 */
export function getChance(e: AddressQuality, now: number): number {
  const attemptsFactor = ATTEMPT_FACTORS[Math.min(e.attempts, CHANCE_MAX_ATTEMPTS)]!
  return now - e.lastTry < RECENT_TRY_SECONDS ? 0.01 * attemptsFactor : attemptsFactor
}

/** What the address manager knows about one address. A snapshot: changing it changes nothing. */
export interface KnownAddress extends PeerAddress, AddressQuality {
  /** The peer (or seed) that told us about the address first. */
  readonly source: NetAddress
  /** In the tried table (we connected to it), else in the new table. */
  readonly tried: boolean
}

/** Where an entry sits (Core `AddressPosition`). */
export interface AddressPosition {
  readonly tried: boolean
  /** New-table references (1 for tried entries). */
  readonly multiplicity: number
  readonly bucket: number
  readonly position: number
}

/** The mutable entry inside the manager. Not exported from the package. */
export class AddrInfo implements AddressQuality {
  readonly addr: NetAddress
  readonly port: number
  readonly source: NetAddress
  /** The entry's network for the per-network counts (Core GetNetwork()). */
  readonly network: Network
  /** On Core's bad-port list and IPv4/IPv6: skipped by select() until desperate. */
  readonly badPort: boolean
  /** The service key (address bytes and port) the manager indexes it by. */
  readonly key: string
  services: bigint
  time: number
  lastTry = 0
  lastCountAttempt = 0
  lastSuccess = 0
  attempts = 0
  refCount = 0
  inTried = false
  randomPos = -1
  /**
   * Cached placement, computed once (placement depends only on the key,
   * the address and the primary source): tried bucket (8 bits), tried slot
   * (6), primary new bucket (10), primary new slot (6); -1 until computed.
   */
  placement = -1
  id: number

  constructor(
    id: number,
    a: PeerAddress,
    source: NetAddress,
    key: string,
    network: Network,
    badPort: boolean,
  ) {
    this.id = id
    this.addr = a.addr
    this.port = a.port
    this.services = a.services
    this.time = a.time
    this.source = source
    this.key = key
    this.network = network
    this.badPort = badPort
  }

  snapshot(): KnownAddress {
    return {
      addr: this.addr,
      port: this.port,
      services: this.services,
      time: this.time,
      lastTry: this.lastTry,
      lastSuccess: this.lastSuccess,
      attempts: this.attempts,
      source: this.source,
      tried: this.inTried,
    }
  }

  toPeerAddress(): PeerAddress {
    return { addr: this.addr, port: this.port, services: this.services, time: this.time }
  }
}
