/**
 * Address relay policy, as Bitcoin Core's `net_processing.cpp` applies it to
 * received `addr` / `addrv2` messages (`ProcessMessage`, `RelayAddress`):
 *
 * - a token bucket per peer (0.1 address per second, refilling up to 1,000,
 *   starting at 1; sending `getaddr` grants 1,000 more, past the cap), so a
 *   peer cannot flood the address manager;
 * - timestamps from the distant past or more than 10 minutes ahead are
 *   replaced by now − 5 days;
 * - an address is relayed only when it is fresh (< 10 min), arrived
 *   unsolicited in a message of at most 10 entries, and is routable;
 * - it goes to 2 peers picked by SipHash over (secret, address, day), so the
 *   same address reaches the same peers for a day and repeating it gains the
 *   sender nothing; never back to the peer it came from;
 * - `getaddr` is answered from a cache renewed every 21 h + random(0–6 h), so
 *   repeated requests cannot map our address table (net.cpp `CConnman::GetAddresses`).
 *
 * Everything here is pure or owns only bounded in-memory state; the clock and
 * randomness are injected.
 */
import { Network } from '@node/addrmgr'
import { Services } from '@node/wire'
import {
  ADDR_BAD_TIME_AGE_SECONDS,
  ADDR_CACHE_JITTER_MS,
  ADDR_CACHE_LIFETIME_MS,
  ADDR_CACHE_MAX_ENTRIES,
  ADDR_RELAY_FRESH_SECONDS,
  ADDR_RELAY_MAX_MESSAGE,
  ADDR_RELAY_ROTATE_SECONDS,
  ADDR_RELAY_TARGETS,
  ADDR_TIME_FLOOR,
  ADDR_TIME_FUTURE_SECONDS,
  ADDR_TOKEN_BUCKET_START,
  GETADDR_REPLY_FULL,
  GETADDR_TOKEN_GRANT,
  MAX_ADDR_PROCESSING_TOKEN_BUCKET,
  MAX_ADDR_RATE_PER_SECOND,
  RANDOMIZER_ID_ADDRESS_RELAY,
} from './constants.ts'
import { InvalidPolicyOptionError } from './errors.ts'
import { deterministicRandomizer, SipHasher, type SipKey } from './siphash.ts'

/** A clock in milliseconds (`Date.now` by default). */
export interface Clock {
  now(): number
}

/** A uniform integer in [0, n). `@node/addrmgr`'s `FastRandom` fits. */
export interface Randrange {
  randrange(n: number): number
}

// --- timestamps and the relay rule ------------------------------------------

/**
 * Core: a received address's time at or below 100,000,000 (1973) or more than
 * 10 minutes after `nowSeconds` becomes `nowSeconds` − 5 days. Seconds.
 */
export function fixAddressTime(time: number, nowSeconds: number): number {
  if (time <= ADDR_TIME_FLOOR || time > nowSeconds + ADDR_TIME_FUTURE_SECONDS) {
    return nowSeconds - ADDR_BAD_TIME_AGE_SECONDS
  }
  return time
}

export interface RelayCheck {
  /** The address's (fixed) timestamp, seconds. */
  time: number
  /** Now, seconds. */
  now: number
  /** Entries in the message it came in. */
  messageSize: number
  /** The address is routable (Core `IsRoutable`). */
  routable: boolean
  /** It came while our `getaddr` to that peer was outstanding. */
  solicited: boolean
}

/** Core: relay an address only if fresh (< 10 min), unsolicited, from a message of ≤ 10, and routable. */
export function shouldRelayAddress(c: RelayCheck): boolean {
  return (
    c.time > c.now - ADDR_RELAY_FRESH_SECONDS &&
    !c.solicited &&
    c.messageSize <= ADDR_RELAY_MAX_MESSAGE &&
    c.routable
  )
}

/** Core `MayHaveUsefulAddressDB`: the address claims NODE_NETWORK or NODE_NETWORK_LIMITED. */
export function hasUsefulServices(services: bigint): boolean {
  return (services & (Services.NODE_NETWORK | Services.NODE_NETWORK_LIMITED)) !== 0n
}

// --- the token bucket --------------------------------------------------------

export interface AddrTokenBucketInit {
  /** The peer has the `addr` permission: never rate limited (tokens are still spent while there are some). */
  exempt?: boolean | undefined
}

/**
 * Core's per-peer address token bucket (`m_addr_token_bucket`): refilled at
 * 0.1 per second up to 1,000, starting at 1 when the peer connects. Sending
 * `getaddr` adds 1,000 at once, past the cap, so the reply fits.
 */
export class AddrTokenBucket {
  readonly #clock: Clock
  readonly #exempt: boolean
  #tokens = ADDR_TOKEN_BUCKET_START
  #stamp: number

  /** Make it when the peer connects: tokens are earned from the clock's time now. */
  constructor(components: Partial<Clock> = {}, init: AddrTokenBucketInit = {}) {
    this.#clock = { now: components.now ?? Date.now }
    this.#exempt = init.exempt ?? false
    this.#stamp = this.#clock.now()
  }

  /** Tokens now, without refilling. */
  get tokens(): number {
    return this.#tokens
  }

  /** Call when we send `getaddr` to this peer. */
  onGetAddrSent(): void {
    this.#tokens += GETADDR_TOKEN_GRANT
  }

  /** Core, once per received message: add the tokens earned since the last message or the connection. */
  refill(): void {
    const now = this.#clock.now()
    if (this.#tokens < MAX_ADDR_PROCESSING_TOKEN_BUCKET) {
      const elapsedSeconds = Math.max(now - this.#stamp, 0) / 1000
      this.#tokens = Math.min(
        this.#tokens + elapsedSeconds * MAX_ADDR_RATE_PER_SECOND,
        MAX_ADDR_PROCESSING_TOKEN_BUCKET,
      )
    }
    this.#stamp = now
  }

  /** Spend a token for one address. False: drop the address (never for an exempt peer). */
  take(): boolean {
    if (this.#tokens < 1) return this.#exempt
    this.#tokens -= 1
    return true
  }
}

// --- one received message ----------------------------------------------------

/** What a received address needs to carry. `@node/addrmgr`'s `PeerAddress` fits. */
export interface TimedAddress {
  time: number
  services: bigint
}

export interface AddrMessageHooks<T> {
  /** The address is routable (Core `IsRoutable`). */
  isRoutable(addr: T): boolean
  /** We can connect to its network (Core `IsReachable`); only these are stored. */
  isReachable(addr: T): boolean
  /** The address is banned or discouraged: it is neither relayed nor stored. */
  isBanned?(addr: T): boolean
}

export interface AddrMessageResult<T> {
  /** To add to the address manager with the peer as source (times fixed; copies). */
  store: T[]
  /** To relay, with whether the address's network is reachable (see {@link AddrRelayTargets}). */
  relay: { addr: T; reachable: boolean }[]
  /** Dropped for want of tokens. */
  rateLimited: number
  /** Neither rate limited nor skipped for services or bans (Core's `num_proc`). */
  processed: number
}

export interface PeerAddrStateComponents extends Partial<Clock> {
  /** Shuffles each message before the bucket is applied, as Core does. */
  random: Randrange
}

/**
 * The address state Core keeps per peer: the token bucket and whether our
 * `getaddr` is outstanding. `receive()` applies Core's per-address steps to
 * one `addr`/`addrv2` message. The message's size limit (1,000) is the
 * decoder's job (`@node/wire` throws TooManyEntriesError).
 */
export class PeerAddrState {
  readonly #clock: Clock
  readonly #random: Randrange
  readonly #bucket: AddrTokenBucket
  #getaddrSent = false

  /** Make it when the peer connects (the token bucket starts then). */
  constructor(components: PeerAddrStateComponents, init: AddrTokenBucketInit = {}) {
    this.#clock = { now: components.now ?? Date.now }
    this.#random = components.random
    this.#bucket = new AddrTokenBucket(this.#clock, init)
  }

  get tokens(): number {
    return this.#bucket.tokens
  }

  /** Our `getaddr` to this peer awaits its reply: what arrives now is not relayed. */
  get getAddrSent(): boolean {
    return this.#getaddrSent
  }

  /** Call when we send `getaddr` to this peer. */
  onGetAddrSent(): void {
    this.#getaddrSent = true
    this.#bucket.onGetAddrSent()
  }

  /** Core's handling of one received `addr`/`addrv2`, minus the address manager and the sending. */
  receive<T extends TimedAddress>(addrs: readonly T[], hooks: AddrMessageHooks<T>): AddrMessageResult<T> {
    const nowSeconds = Math.floor(this.#clock.now() / 1000)
    this.#bucket.refill()
    const list = addrs.slice()
    for (let i = list.length - 1; i > 0; i--) {
      const j = this.#random.randrange(i + 1)
      const t = list[i]!
      list[i] = list[j]!
      list[j] = t
    }
    const result: AddrMessageResult<T> = { store: [], relay: [], rateLimited: 0, processed: 0 }
    for (const original of list) {
      if (!this.#bucket.take()) {
        result.rateLimited++
        continue
      }
      if (!hasUsefulServices(original.services)) continue
      const addr = { ...original, time: fixAddressTime(original.time, nowSeconds) }
      if (hooks.isBanned?.(addr)) continue
      result.processed++
      const reachable = hooks.isReachable(addr)
      const relay = shouldRelayAddress({
        time: addr.time,
        now: nowSeconds,
        messageSize: addrs.length,
        routable: hooks.isRoutable(addr),
        solicited: this.#getaddrSent,
      })
      if (relay) result.relay.push({ addr, reachable })
      if (reachable) result.store.push(addr)
    }
    // Core: a reply shorter than a full one ends the getaddr exchange.
    if (addrs.length < GETADDR_REPLY_FULL) this.#getaddrSent = false
    return result
  }
}

// --- choosing relay targets --------------------------------------------------

/** An address as Core hashes it (`CService`): network id, raw address bytes, port. `NetAddress` + port fit. */
export interface HashableService {
  /** Core's `Network` number (IPv4 1, IPv6 2, onion 3, I2P 4, CJDNS 5). */
  readonly net: number
  readonly bytes: Uint8Array
  readonly port: number
}

/** Core `CServiceHash(0, 0)`: SipHash with a zero key over (net, port, address bytes). */
export function serviceHash(addr: HashableService): bigint {
  return new SipHasher({ k0: 0n, k1: 0n }).writeU64(addr.net).writeU64(addr.port).write(addr.bytes).finalize()
}

/** Core `IsRelayable`: IPv4, IPv6, Tor, I2P or CJDNS. */
export function isRelayableNetwork(net: number): boolean {
  return (
    net === Network.IPV4 ||
    net === Network.IPV6 ||
    net === Network.ONION ||
    net === Network.I2P ||
    net === Network.CJDNS
  )
}

export interface RelayTargetQuery<Id extends number | bigint> {
  /** Now, seconds. */
  now: number
  /** The peers that may receive it: addr relay enabled and able to carry this address (addrv2 for non-IP). */
  peers: readonly Id[]
  /** The peer it came from: never chosen. */
  source: Id | undefined
  /** Its network is reachable: 2 targets; otherwise 1 or 2 (by the hash) and only relayable networks. */
  reachable: boolean
}

/**
 * Core `RelayAddress`'s choice of peers. Each eligible peer scores
 * SipHash(secret; RANDOMIZER_ID_ADDRESS_RELAY, hash(addr), day, peer id); the
 * two best scores win. The "day" boundary is shifted by the address's hash, so
 * addresses do not all rotate at the same moment.
 */
export class AddrRelayTargets {
  readonly #secret: SipKey

  /** `secret`: the node's randomizer key (Core `nSeed0`, `nSeed1`), random and kept for the process's life. */
  constructor(init: { secret: SipKey }) {
    this.#secret = init.secret
  }

  select<Id extends number | bigint>(addr: HashableService, q: RelayTargetQuery<Id>): Id[] {
    if (!q.reachable && !isRelayableNetwork(addr.net)) return []
    const hashAddr = serviceHash(addr)
    const timeAddr =
      BigInt.asUintN(64, BigInt(Math.floor(q.now)) + hashAddr) / BigInt(ADDR_RELAY_ROTATE_SECONDS)
    const hasher = deterministicRandomizer(this.#secret, RANDOMIZER_ID_ADDRESS_RELAY)
      .writeU64(hashAddr)
      .writeU64(timeAddr)
    const count = q.reachable || (hasher.finalize() & 1n) === 1n ? ADDR_RELAY_TARGETS : 1
    // Core walks its peers in id order and keeps the first of equal scores.
    const ids = q.peers.filter((id) => id !== q.source).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const best: { key: bigint; id: Id | undefined }[] = [
      { key: 0n, id: undefined },
      { key: 0n, id: undefined },
    ]
    for (const id of ids) {
      const key = hasher.clone().writeU64(id).finalize()
      for (let i = 0; i < count; i++) {
        if (key > best[i]!.key) {
          best.splice(i, 0, { key, id })
          best.length = ADDR_RELAY_TARGETS
          break
        }
      }
    }
    const out: Id[] = []
    for (let i = 0; i < count; i++) {
      const id = best[i]!.id
      if (id !== undefined) out.push(id)
    }
    return out
  }
}

// --- the getaddr response cache ----------------------------------------------

export interface AddrResponseCacheComponents extends Partial<Clock> {
  random: Randrange
}

export interface AddrResponseCacheInit {
  /** Most cached responses kept (one per network and local socket); default 64. */
  maxEntries?: number | undefined
}

/**
 * Core's getaddr response cache (`CConnman::GetAddresses(requestor, …)`): the
 * answer for a key (Core: the requestor's network and our local socket) is
 * computed once and served until it expires 21 h + random(0–6 h) later. A
 * spy asking again and again sees the same sample, not the whole table.
 */
export class AddrResponseCache<T> {
  readonly #clock: Clock
  readonly #random: Randrange
  readonly #max: number
  // Insertion order is build order: the first entry is the oldest. Bounded by #max.
  readonly #entries = new Map<string, { expires: number; value: readonly T[] }>()

  constructor(components: AddrResponseCacheComponents, init: AddrResponseCacheInit = {}) {
    this.#clock = { now: components.now ?? Date.now }
    this.#random = components.random
    this.#max = init.maxEntries ?? ADDR_CACHE_MAX_ENTRIES
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new InvalidPolicyOptionError('maxEntries', 'must be a positive integer')
    }
  }

  get size(): number {
    return this.#entries.size
  }

  /** The cached answer for `key`, built with `build()` when missing or expired. */
  get(key: string, build: () => readonly T[]): readonly T[] {
    const now = this.#clock.now()
    const entry = this.#entries.get(key)
    if (entry && entry.expires >= now) return entry.value
    this.#entries.delete(key)
    if (this.#entries.size >= this.#max) this.#evict(now)
    const value = build().slice()
    const expires = now + ADDR_CACHE_LIFETIME_MS + this.#random.randrange(ADDR_CACHE_JITTER_MS)
    this.#entries.set(key, { expires, value })
    return value
  }

  clear(): void {
    this.#entries.clear()
  }

  #evict(now: number): void {
    for (const [k, e] of this.#entries) if (e.expires < now) this.#entries.delete(k)
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value
      if (oldest === undefined) break
      this.#entries.delete(oldest)
    }
  }
}

/** Core's cache key: the requestor's network and our local socket (port only for inbound). */
export function addrCacheKey(
  network: number,
  localAddress: string,
  localPort: number,
  inbound: boolean,
): string {
  return `${network}|${localAddress}|${inbound ? localPort : 0}`
}
