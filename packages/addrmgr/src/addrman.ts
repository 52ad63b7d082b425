/**
 * The address manager: Bitcoin Core's `AddrMan` (src/addrman.cpp).
 *
 * Addresses we have only heard about live in the **new** table (1024
 * buckets × 64 slots); addresses we have connected to move to the **tried**
 * table (256 × 64). An address's bucket is chosen by a keyed double SHA-256
 * of its network group and the group of the peer that told us about it, so
 * one peer or one network range can reach only a few buckets, and without
 * the secret key nobody can predict where an address lands (Core `AddrInfo::GetNewBucket`).
 *
 * Everything here follows Core: 1/2^refcount for extra new references,
 * terrible-entry replacement, test-before-evict for tried collisions,
 * selection odds, and the consistency check. Additions (marked in the doc
 * comments): a new/tried bias for select(), the bad-port rule of Core's
 * connection loop inside select(), and a test-only switch that makes
 * loopback addresses routable.
 *
 * Bounds: at most 65,536 new and 16,384 tried entries (the table sizes), at
 * most 10 parked collisions.
 *
 * Over 600 lines, for a reason: it is Core's addrman.cpp tables and their
 * operations, which share the bucket arrays and must stay consistent together.
 */
import { type Logger, silentLogger } from '@node/runtime'
import { type AddressPosition, AddrInfo, getChance, isTerrible, type KnownAddress } from './addrinfo.ts'
import {
  BUCKET_COUNT_XOR,
  BUCKET_SIZE,
  COLLISION_TEST_GRACE_SECONDS,
  CONNECTED_UPDATE_SECONDS,
  DESPERATE_TRIES,
  INCOMPATIBILITY_BASE,
  isBadPort,
  NEW_BUCKET_COUNT,
  NEW_BUCKETS_PER_ADDRESS,
  NEW_BUCKETS_PER_SOURCE_GROUP,
  Network,
  OFFLINE_UPDATE_SECONDS,
  ONLINE_UPDATE_SECONDS,
  PEERS_FILE_FORMAT,
  REPLACEMENT_SECONDS,
  TEST_WINDOW_SECONDS,
  TRIED_BUCKET_COUNT,
  TRIED_BUCKETS_PER_GROUP,
  TRIED_COLLISION_SIZE,
} from './constants.ts'
import { ConsistencyError, PeersFileCorruptError, PeersFileVersionError } from './errors.ts'
import { cheapHashLow32 } from './hash.ts'
import { type NetAddress, type PeerAddress, type ServiceAddress, serviceKey } from './netaddress.ts'
import { NetGroupManager } from './netgroup.ts'
import { FastRandom, type RandomSource } from './random.ts'
import {
  type Reader,
  readDiskAddress,
  readNetAddress,
  type Writer,
  writeDiskAddress,
  writeNetAddress,
} from './serialize.ts'

export interface AddrManComponents {
  logger?: Logger | undefined
  /** Wall clock in milliseconds (like Date.now). The manager works in whole seconds. */
  now?: (() => number) | undefined
  /** Randomness for placement tie-breaks and selection. Default: a FastRandom seeded from the OS. */
  random?: RandomSource | undefined
}

export interface AddrManInit {
  /** The 32-byte secret bucket key. Default: 32 bytes from `random`. Persisted in peers.dat. */
  key?: Uint8Array | undefined
  /** Core's asmap file contents, to group addresses by AS number. */
  asmap?: Uint8Array | undefined
  /** TEST ONLY: loopback and private addresses are routable, each address and port its own group. */
  localRoutable?: boolean | undefined
  /**
   * Draw random numbers exactly as Core does, so Core's deterministic test
   * runs replay draw for draw (AddrMan.deterministic() sets it). Otherwise
   * select() draws only among non-empty buckets: the same distribution, but
   * fast on a sparse table.
   */
  coreDraws?: boolean | undefined
  /**
   * Run the full consistency check before and after an operation with
   * probability 1/ratio (Core `-checkaddrman`); 0 (default) never. Each
   * check draws from `random`, as in Core.
   */
  consistencyCheckRatio?: number | undefined
}

export interface SelectOptions {
  /** Only the new table (Core's feeler connections). */
  newOnly?: boolean | undefined
  /** Only these networks (Core GetNetwork()). Empty or omitted: all. */
  networks?: Iterable<Network> | undefined
  /**
   * Addition to Core: percent weight for the new table against the tried
   * one (historical Core ≤ 0.10 rule, `√nTried × (100 − bias)` against
   * `√nNew × bias`). Omitted: Core's fair coin. See {@link newBiasForOutbound}.
   */
  newBias?: number | undefined
  /**
   * Candidates already rejected in this connection round (Core's `nTries`).
   * Below 50, IPv4/IPv6 addresses on Core's bad-port list are skipped; from
   * 50 on ("desperate") they may be returned. Default 0.
   */
  tries?: number | undefined
}

/** Counts by table, overall and per network. */
export interface AddrManCounts {
  new: number
  tried: number
  total: number
  byNetwork: Partial<Record<Network, { new: number; tried: number }>>
}

/**
 * The new-table bias the server uses: 10 + 10 per outbound peer, capped at
 * 90 (0 peers: mostly tried; 8: mostly new). Core ≤ 0.10 `CAddrMan::Select_(nUnkBias)`.
 */
export function newBiasForOutbound(outbound: number): number {
  return 10 + Math.min(Math.max(outbound, 0), 8) * 10
}

const NEW_SLOTS = NEW_BUCKET_COUNT * BUCKET_SIZE
const TRIED_SLOTS = TRIED_BUCKET_COUNT * BUCKET_SIZE
const NETWORK_SLOTS = 8
const BAD_PORT_FLAG = 0x80
const TWO_POW_30 = 2 ** 30

/** Core uint256{1}: the key of Core's deterministic address manager (tests). */
export const DETERMINISTIC_KEY: Readonly<Uint8Array> = (() => {
  const k = new Uint8Array(32)
  k[0] = 1
  return k
})()

export class AddrMan {
  readonly #log: Logger
  readonly #now: () => number
  readonly #random: RandomSource
  readonly #netgroup: NetGroupManager
  readonly #key: Uint8Array
  readonly #checkRatio: number

  // Core mapInfo: id → entry, iterated in id order (ids only grow).
  readonly #entries = new Map<number, AddrInfo>()
  // Core mapAddr: service key → id.
  readonly #byKey = new Map<string, AddrInfo>()
  // Core vRandom: every entry, in an order getAddresses() shuffles.
  readonly #randomOrder: AddrInfo[] = []
  // Core vvNew / vvTried, flattened: bucket * 64 + position → entry, null when empty.
  // (Entries rather than ids: select() reads them without a map lookup.)
  readonly #newTable: Array<AddrInfo | null> = new Array<AddrInfo | null>(NEW_SLOTS).fill(null)
  readonly #triedTable: Array<AddrInfo | null> = new Array<AddrInfo | null>(TRIED_SLOTS).fill(null)
  // Per slot: the occupant's network | BAD_PORT_FLAG, so select() filters without lookups.
  readonly #newMeta = new Uint8Array(NEW_SLOTS)
  readonly #triedMeta = new Uint8Array(TRIED_SLOTS)
  // Occupied slots per bucket, so select() skips empty buckets without scanning them.
  readonly #newFill = new Uint8Array(NEW_BUCKET_COUNT)
  readonly #triedFill = new Uint8Array(TRIED_BUCKET_COUNT)
  // The non-empty buckets of each table as a list (and each bucket's index in it, -1 if absent),
  // so select() can draw among them directly.
  readonly #newNonEmpty = new Int16Array(NEW_BUCKET_COUNT)
  readonly #newNonEmptyAt = new Int16Array(NEW_BUCKET_COUNT).fill(-1)
  #newNonEmptyCount = 0
  readonly #triedNonEmpty = new Int16Array(TRIED_BUCKET_COUNT)
  readonly #triedNonEmptyAt = new Int16Array(TRIED_BUCKET_COUNT).fill(-1)
  #triedNonEmptyCount = 0
  readonly #coreDraws: boolean
  // Core m_network_counts, plus bad-port counts: indexed by Network.
  readonly #netNew = new Int32Array(NETWORK_SLOTS)
  readonly #netTried = new Int32Array(NETWORK_SLOTS)
  readonly #netNewBad = new Int32Array(NETWORK_SLOTS)
  readonly #netTriedBad = new Int32Array(NETWORK_SLOTS)
  // Core m_tried_collisions: ids of entries waiting to enter tried, in id order; at most 10.
  #collisions: number[] = []
  #nNew = 0
  #nTried = 0
  // Entries on a bad port (IPv4/IPv6 only), per table.
  #newBad = 0
  #triedBad = 0
  #idCount = 0
  // Core m_last_good: starts at 1 so "never" is strictly older.
  #lastGood = 1

  // Scratch space for bucket hashing (inputs are under 120 bytes).
  readonly #scratch = new Uint8Array(256)

  constructor(components: AddrManComponents = {}, init: AddrManInit = {}) {
    this.#log = (components.logger ?? silentLogger).child({ component: 'addrmgr' })
    this.#now = components.now ?? Date.now
    this.#random = components.random ?? new FastRandom()
    this.#netgroup = new NetGroupManager({ asmap: init.asmap, localRoutable: init.localRoutable })
    const key = init.key ?? this.#random.randbytes(32)
    if (key.length !== 32) throw new RangeError('The address manager key has 32 bytes.')
    this.#key = key.slice()
    const ratio = init.consistencyCheckRatio ?? 0
    if (!Number.isInteger(ratio) || ratio < 0)
      throw new RangeError('consistencyCheckRatio is a whole number ≥ 0.')
    this.#checkRatio = ratio
    this.#coreDraws = init.coreDraws === true
  }

  /**
   * Core's deterministic address manager (its unit tests): key uint256{1}
   * and a zero-seeded FastRandom, so Core's test cases replay exactly.
   */
  static deterministic(components: AddrManComponents = {}, init: AddrManInit = {}): AddrMan {
    return new AddrMan(
      { ...components, random: components.random ?? FastRandom.deterministic() },
      { ...init, key: init.key ?? DETERMINISTIC_KEY, coreDraws: init.coreDraws ?? true },
    )
  }

  /** A copy of the secret bucket key. */
  get key(): Uint8Array {
    return this.#key.slice()
  }

  /** The group manager (groups, asmap, routability) this manager buckets with. */
  get netgroup(): NetGroupManager {
    return this.#netgroup
  }

  #nowSeconds(): number {
    return Math.floor(this.#now() / 1000)
  }

  // --- hashing (Core AddrInfo::GetTriedBucket, GetNewBucket, GetBucketPosition) ---

  /** Write nKey ‖ vec(GetKey()) style prefixes into the scratch buffer. */
  #putKey(): number {
    this.#scratch.set(this.#key, 0)
    return 32
  }

  #putVec(off: number, bytes: Uint8Array): number {
    this.#scratch[off] = bytes.length
    this.#scratch.set(bytes, off + 1)
    return off + 1 + bytes.length
  }

  /** Core GetKey(): address bytes (v1 form when there is one) and the port, big-endian. */
  #putServiceKey(off: number, info: { addr: NetAddress; port: number }): number {
    const s = this.#scratch
    const n = info.addr.writeAddrBytes(s, off + 1)
    s[off] = n + 2
    s[off + 1 + n] = info.port >>> 8
    s[off + 2 + n] = info.port & 0xff
    return off + 3 + n
  }

  #putU64Small(off: number, v: number): number {
    const s = this.#scratch
    s[off] = v
    s.fill(0, off + 1, off + 8)
    return off + 8
  }

  // The group of the last source seen: add() batches come from one source.
  #lastSource: NetAddress | undefined
  #lastSourceGroup: Uint8Array = new Uint8Array(0)

  #sourceGroup(source: NetAddress): Uint8Array {
    if (source !== this.#lastSource) {
      this.#lastSourceGroup = this.#netgroup.getGroup(source)
      this.#lastSource = source
    }
    return this.#lastSourceGroup
  }

  #groupOf(info: { addr: NetAddress; port: number }): Uint8Array {
    return this.#netgroup.getGroup(info.addr, this.#netgroup.localRoutable ? info.port : undefined)
  }

  /** Core AddrInfo::GetTriedBucket(). */
  #triedBucket(info: { addr: NetAddress; port: number }, group = this.#groupOf(info)): number {
    let off = this.#putServiceKey(this.#putKey(), info)
    const h1 = cheapHashLow32(this.#scratch, off) & (TRIED_BUCKETS_PER_GROUP - 1)
    off = this.#putVec(this.#putKey(), group)
    off = this.#putU64Small(off, h1)
    return cheapHashLow32(this.#scratch, off) & (TRIED_BUCKET_COUNT - 1)
  }

  /** Core AddrInfo::GetNewBucket(nKey, src). */
  #newBucket(
    info: { addr: NetAddress; port: number },
    source: NetAddress,
    group = this.#groupOf(info),
    sourceGroup = this.#sourceGroup(source),
  ): number {
    let off = this.#putVec(this.#putKey(), group)
    off = this.#putVec(off, sourceGroup)
    const h1 = cheapHashLow32(this.#scratch, off) & (NEW_BUCKETS_PER_SOURCE_GROUP - 1)
    off = this.#putVec(this.#putKey(), sourceGroup)
    off = this.#putU64Small(off, h1)
    return cheapHashLow32(this.#scratch, off) & (NEW_BUCKET_COUNT - 1)
  }

  /** Core AddrInfo::GetBucketPosition(). */
  #position(info: { addr: NetAddress; port: number }, isNew: boolean, bucket: number): number {
    const s = this.#scratch
    let off = this.#putKey()
    s[off++] = isNew ? 0x4e : 0x4b // 'N' / 'K'
    s[off++] = bucket & 0xff
    s[off++] = (bucket >>> 8) & 0xff
    s[off++] = 0
    s[off++] = 0
    off = this.#putServiceKey(off, info)
    return cheapHashLow32(s, off) & (BUCKET_SIZE - 1)
  }

  /** The entry's cached placement (see AddrInfo.placement), computed on first use. */
  #placement(info: AddrInfo): number {
    let p = info.placement
    if (p < 0) {
      const group = this.#groupOf(info)
      const tb = this.#triedBucket(info, group)
      const nb = this.#newBucket(info, info.source, group)
      p = tb | (this.#position(info, false, tb) << 8) | (nb << 14) | (this.#position(info, true, nb) << 24)
      info.placement = p
    }
    return p
  }

  /** Bucket hashing exposed for tests and tools: tried bucket, new bucket and slots. */
  bucketsOf(
    a: ServiceAddress,
    source: NetAddress,
  ): { tried: number; new: number; triedSlot: number; newSlot: number } {
    const tried = this.#triedBucket(a)
    const nb = this.#newBucket(a, source)
    return {
      tried,
      new: nb,
      triedSlot: this.#position(a, false, tried),
      newSlot: this.#position(a, true, nb),
    }
  }

  /** Core GetGroup() under this manager's rules (asmap, test-only local switch). */
  getGroup(addr: NetAddress, port?: number): Uint8Array {
    return this.#netgroup.getGroup(addr, this.#netgroup.localRoutable ? port : undefined)
  }

  // --- table bookkeeping -------------------------------------------------------

  #find(a: ServiceAddress): AddrInfo | undefined {
    return this.#byKey.get(serviceKey(a.addr, a.port))
  }

  #create(a: PeerAddress, source: NetAddress): AddrInfo {
    const id = this.#idCount++
    const network = this.#netgroup.getNetwork(a.addr)
    const bad = (network === Network.IPV4 || network === Network.IPV6) && isBadPort(a.port)
    const info = new AddrInfo(id, a, source, serviceKey(a.addr, a.port), network, bad)
    this.#entries.set(id, info)
    this.#byKey.set(info.key, info)
    info.randomPos = this.#randomOrder.length
    this.#randomOrder.push(info)
    this.#nNew++
    this.#countNew(info, 1)
    return info
  }

  #countNew(info: AddrInfo, d: number): void {
    this.#netNew[info.network]! += d
    if (info.badPort) {
      this.#netNewBad[info.network]! += d
      this.#newBad += d
    }
  }

  #countTried(info: AddrInfo, d: number): void {
    this.#netTried[info.network]! += d
    if (info.badPort) {
      this.#netTriedBad[info.network]! += d
      this.#triedBad += d
    }
  }

  #swapRandom(p1: number, p2: number): void {
    if (p1 === p2) return
    const order = this.#randomOrder
    const e1 = order[p1]!
    const e2 = order[p2]!
    e1.randomPos = p2
    e2.randomPos = p1
    order[p1] = e2
    order[p2] = e1
  }

  /** Core Delete(): remove an entry that is in no table. */
  #delete(info: AddrInfo): void {
    this.#swapRandom(info.randomPos, this.#randomOrder.length - 1)
    this.#countNew(info, -1)
    this.#randomOrder.pop()
    this.#byKey.delete(info.key)
    this.#entries.delete(info.id)
    this.#nNew--
  }

  #setNew(idx: number, info: AddrInfo): void {
    this.#newTable[idx] = info
    this.#newMeta[idx] = info.network | (info.badPort ? BAD_PORT_FLAG : 0)
    const b = idx >>> 6
    if (this.#newFill[b]!++ === 0) {
      this.#newNonEmptyAt[b] = this.#newNonEmptyCount
      this.#newNonEmpty[this.#newNonEmptyCount++] = b
    }
  }

  #clearNewSlot(idx: number): void {
    this.#newTable[idx] = null
    this.#newMeta[idx] = 0
    const b = idx >>> 6
    if (--this.#newFill[b]! === 0) {
      const at = this.#newNonEmptyAt[b]!
      const last = this.#newNonEmpty[--this.#newNonEmptyCount]!
      this.#newNonEmpty[at] = last
      this.#newNonEmptyAt[last] = at
      this.#newNonEmptyAt[b] = -1
    }
  }

  #setTried(idx: number, info: AddrInfo): void {
    this.#triedTable[idx] = info
    this.#triedMeta[idx] = info.network | (info.badPort ? BAD_PORT_FLAG : 0)
    const b = idx >>> 6
    if (this.#triedFill[b]!++ === 0) {
      this.#triedNonEmptyAt[b] = this.#triedNonEmptyCount
      this.#triedNonEmpty[this.#triedNonEmptyCount++] = b
    }
  }

  #clearTriedSlot(idx: number): void {
    this.#triedTable[idx] = null
    this.#triedMeta[idx] = 0
    const b = idx >>> 6
    if (--this.#triedFill[b]! === 0) {
      const at = this.#triedNonEmptyAt[b]!
      const last = this.#triedNonEmpty[--this.#triedNonEmptyCount]!
      this.#triedNonEmpty[at] = last
      this.#triedNonEmptyAt[last] = at
      this.#triedNonEmptyAt[b] = -1
    }
  }

  /** Core ClearNew(): empty a new slot, deleting its occupant if that was its last reference. */
  #clearNew(bucket: number, pos: number): void {
    const idx = bucket * BUCKET_SIZE + pos
    const info = this.#newTable[idx]
    if (!info) return
    info.refCount--
    this.#clearNewSlot(idx)
    if (info.refCount === 0) this.#delete(info)
  }

  /** Core MakeTried(): move an entry from new to tried, evicting the tried occupant back to new. */
  #makeTried(info: AddrInfo): void {
    const placement = this.#placement(info)
    const start = (placement >>> 14) & 1023
    for (let n = 0; n < NEW_BUCKET_COUNT; n++) {
      const bucket = (start + n) % NEW_BUCKET_COUNT
      const pos = n === 0 ? (placement >>> 24) & 63 : this.#position(info, true, bucket)
      const idx = bucket * BUCKET_SIZE + pos
      if (this.#newTable[idx] === info) {
        this.#clearNewSlot(idx)
        info.refCount--
        if (info.refCount === 0) break
      }
    }
    this.#nNew--
    this.#countNew(info, -1)

    const kIdx = (placement & 0xff) * BUCKET_SIZE + ((placement >>> 8) & 63)
    const old = this.#triedTable[kIdx]
    if (old) {
      old.inTried = false
      this.#clearTriedSlot(kIdx)
      this.#nTried--
      this.#countTried(old, -1)
      const oldPlacement = this.#placement(old)
      const uBucket = (oldPlacement >>> 14) & 1023
      const uPos = (oldPlacement >>> 24) & 63
      this.#clearNew(uBucket, uPos)
      old.refCount = 1
      this.#setNew(uBucket * BUCKET_SIZE + uPos, old)
      this.#nNew++
      this.#countNew(old, 1)
      if (this.#log.isLevelEnabled('debug')) {
        this.#log.debug(
          { addr: old.addr.toString(), port: old.port, bucket: uBucket },
          'Moved an address from the tried table back to new to make space.',
        )
      }
    }
    this.#setTried(kIdx, info)
    this.#nTried++
    info.inTried = true
    this.#countTried(info, 1)
  }

  #check(): void {
    if (this.#checkRatio === 0) return
    if (this.#random.randrange(this.#checkRatio) >= 1) return
    this.checkConsistency()
  }

  // --- public operations ----------------------------------------------------------

  /**
   * Core Add(): learn addresses from `source` (the peer that sent them, or
   * an internal name for seeds). `timePenalty` seconds are subtracted from
   * each address's time (2 h for `addr` messages, {@link ADDR_TIME_PENALTY_SECONDS};
   * none for a peer's own address). Unroutable addresses are ignored.
   * Returns how many were placed in a new slot.
   */
  add(addresses: PeerAddress | readonly PeerAddress[], source: NetAddress, timePenalty = 0): number {
    this.#check()
    const list: readonly PeerAddress[] = Array.isArray(addresses) ? addresses : [addresses as PeerAddress]
    const now = this.#nowSeconds()
    let added = 0
    for (const a of list) if (this.#addSingle(a, source, timePenalty, now)) added++
    if (added > 0 && this.#log.isLevelEnabled('debug')) {
      this.#log.debug(
        { added, offered: list.length, source: source.toString(), tried: this.#nTried, new: this.#nNew },
        'Added addresses to the new table.',
      )
    }
    this.#check()
    return added
  }

  /** Core AddSingle(). */
  #addSingle(input: PeerAddress, source: NetAddress, timePenalty: number, now: number): boolean {
    if (!this.#netgroup.isRoutable(input.addr)) return false
    // Core's CAddress time is a u32: keep what we store (and write to peers.dat) in range.
    const a =
      input.time >= 0 && input.time <= 0xffffffff && Number.isInteger(input.time)
        ? input
        : { ...input, time: Math.min(Math.max(Math.floor(input.time) || 0, 0), 0xffffffff) }
    let info = this.#find(a)
    // No penalty for a peer announcing itself.
    const penalty = a.addr.equals(source) ? 0 : timePenalty
    if (info) {
      const interval = now - a.time < 24 * 3600 ? ONLINE_UPDATE_SECONDS : OFFLINE_UPDATE_SECONDS
      if (info.time < a.time - interval - penalty) info.time = Math.max(0, a.time - penalty)
      info.services |= a.services
      if (a.time <= info.time) return false
      if (info.inTried) return false
      if (info.refCount === NEW_BUCKETS_PER_ADDRESS) return false
      // 2^N times harder to add an N+1st reference.
      if (info.refCount > 0 && this.#random.randrange(1 << info.refCount) !== 0) return false
    } else {
      info = this.#create(a, source)
      info.time = Math.max(0, info.time - penalty)
    }
    let bucket: number
    let pos: number
    if (source === info.source || source.equals(info.source)) {
      const p = this.#placement(info)
      bucket = (p >>> 14) & 1023
      pos = (p >>> 24) & 63
    } else {
      bucket = this.#newBucket(info, source)
      pos = this.#position(info, true, bucket)
    }
    const idx = bucket * BUCKET_SIZE + pos
    const occupant = this.#newTable[idx]!
    let insert = occupant === null
    if (occupant !== info) {
      if (occupant !== null) {
        if (isTerrible(occupant, now) || (occupant.refCount > 1 && info.refCount === 0)) insert = true
      }
      if (insert) {
        this.#clearNew(bucket, pos)
        info.refCount++
        this.#setNew(idx, info)
        if (this.#log.isLevelEnabled('trace')) {
          this.#log.trace(
            { addr: info.addr.toString(), port: info.port, bucket, pos },
            'Added an address to the new table.',
          )
        }
      } else if (info.refCount === 0) {
        this.#delete(info)
      }
    }
    return insert
  }

  /**
   * Add an entry read from another implementation's file (btcd's
   * peers.json): placed through Core's formulas from its source, with its
   * history kept. A `tried` entry with a recorded success moves to the tried
   * table when its slot there is free (no eviction, no parked collision).
   */
  restoreEntry(e: KnownAddress): 'new' | 'tried' | 'skipped' {
    this.#check()
    let ret: 'new' | 'tried' | 'skipped' = 'skipped'
    if (this.#netgroup.isRoutable(e.addr) && !this.#find(e)) {
      this.#addSingle(e, e.source, 0, this.#nowSeconds())
      const info = this.#find(e)
      if (info) {
        info.lastTry = Math.max(0, e.lastTry)
        info.lastSuccess = Math.max(0, e.lastSuccess)
        info.attempts = Math.max(0, e.attempts)
        if (e.tried && info.lastSuccess > 0) {
          const p = this.#placement(info)
          if (this.#triedTable[(p & 0xff) * BUCKET_SIZE + ((p >>> 8) & 63)] === null) this.#makeTried(info)
        }
        ret = info.inTried ? 'tried' : 'new'
      }
    }
    this.#check()
    return ret
  }

  /**
   * Core Good(): we connected to this address and it behaved. Moves it to
   * the tried table; if its tried slot is held by another entry, the move is
   * parked instead (test-before-evict, at most 10 parked) and false is
   * returned. Deliberately leaves `time` alone so current peers don't leak.
   */
  good(a: ServiceAddress, time?: number): boolean {
    this.#check()
    const ret = this.#good(a, true, time ?? this.#nowSeconds())
    this.#check()
    return ret
  }

  #good(a: ServiceAddress, testBeforeEvict: boolean, time: number): boolean {
    this.#lastGood = time
    const info = this.#find(a)
    if (!info) return false
    info.lastSuccess = time
    info.lastTry = time
    info.attempts = 0
    if (info.inTried) return false
    if (info.refCount <= 0) return false
    const p = this.#placement(info)
    const bucket = p & 0xff
    const idx = bucket * BUCKET_SIZE + ((p >>> 8) & 63)
    const occupant = this.#triedTable[idx]!
    if (testBeforeEvict && occupant !== null) {
      if (this.#collisions.length < TRIED_COLLISION_SIZE && !this.#collisions.includes(info.id)) {
        this.#collisions.push(info.id)
        this.#collisions.sort((x, y) => x - y)
      }
      if (this.#log.isLevelEnabled('debug')) {
        const other = occupant
        this.#log.debug(
          {
            addr: info.addr.toString(),
            port: info.port,
            occupant: other ? `${other.addr.toString()}:${other.port}` : undefined,
            collisions: this.#collisions.length,
          },
          'A tried-table collision is parked until the occupant is tested.',
        )
      }
      return false
    }
    this.#makeTried(info)
    if (this.#log.isLevelEnabled('debug')) {
      this.#log.debug(
        { addr: info.addr.toString(), port: info.port, bucket },
        'Moved an address to the tried table.',
      )
    }
    return true
  }

  /**
   * Core Attempt(): we tried to connect. Counts a failure (when
   * `countFailure`) at most once per success anywhere, so a node that is
   * offline does not punish its whole address book.
   */
  attempt(a: ServiceAddress, countFailure: boolean, time?: number): void {
    this.#check()
    const t = time ?? this.#nowSeconds()
    const info = this.#find(a)
    if (info) {
      info.lastTry = t
      if (countFailure && info.lastCountAttempt < this.#lastGood) {
        info.lastCountAttempt = t
        info.attempts++
      }
    }
    this.#check()
  }

  /** Core Connected(): refresh `time` (if over 20 minutes old) when an outbound peer disconnects. */
  connected(a: ServiceAddress, time?: number): void {
    this.#check()
    const t = time ?? this.#nowSeconds()
    const info = this.#find(a)
    if (info && t - info.time > CONNECTED_UPDATE_SECONDS) info.time = t
    this.#check()
  }

  /** Core SetServices(): overwrite the service bits (add() only ORs them in). */
  setServices(a: ServiceAddress, services: bigint): void {
    this.#check()
    const info = this.#find(a)
    if (info) info.services = services
    this.#check()
  }

  /**
   * Core ResolveCollisions(): for each parked collision, move the entry into
   * tried if its slot is free, if the occupant failed a test (tried within
   * 4 h but over a minute ago without success), or if the collision is over
   * 40 minutes old; drop it if the occupant succeeded within 4 hours.
   */
  resolveCollisions(): void {
    this.#check()
    const now = this.#nowSeconds()
    const keep: number[] = []
    for (const id of this.#collisions) {
      let erase = false
      const fresh = this.#entries.get(id)
      if (!fresh?.addr.isValid()) {
        erase = true
      } else {
        const p = this.#placement(fresh)
        const idx = (p & 0xff) * BUCKET_SIZE + ((p >>> 8) & 63)
        const old = this.#triedTable[idx]
        if (old) {
          if (now - old.lastSuccess < REPLACEMENT_SECONDS) {
            erase = true
          } else if (now - old.lastTry < REPLACEMENT_SECONDS) {
            if (now - old.lastTry > COLLISION_TEST_GRACE_SECONDS) {
              this.#log.debug(
                { old: `${old.addr.toString()}:${old.port}`, new: `${fresh.addr.toString()}:${fresh.port}` },
                'The tried-table occupant failed its test; replacing it.',
              )
              this.#good(fresh, false, now)
              erase = true
            }
          } else if (now - fresh.lastSuccess > TEST_WINDOW_SECONDS) {
            this.#log.debug(
              { old: `${old.addr.toString()}:${old.port}`, new: `${fresh.addr.toString()}:${fresh.port}` },
              'A tried-table collision was not tested in time; replacing the occupant anyway.',
            )
            this.#good(fresh, false, now)
            erase = true
          }
        } else {
          this.#good(fresh, false, now)
          erase = true
        }
      }
      if (!erase) keep.push(id)
    }
    this.#collisions = keep
    this.#check()
  }

  /** Core SelectTriedCollision(): the tried occupant of a random parked collision, to test with a feeler. */
  selectTriedCollision(): KnownAddress | undefined {
    this.#check()
    const ret = this.#selectTriedCollision()
    this.#check()
    return ret
  }

  #selectTriedCollision(): KnownAddress | undefined {
    if (this.#collisions.length === 0) return undefined
    const i = this.#random.randrange(this.#collisions.length)
    const id = this.#collisions[i]!
    const fresh = this.#entries.get(id)
    if (!fresh) {
      this.#collisions.splice(i, 1)
      return undefined
    }
    const p = this.#placement(fresh)
    return this.#triedTable[(p & 0xff) * BUCKET_SIZE + ((p >>> 8) & 63)]?.snapshot()
  }

  /**
   * Core Select(): pick an address to connect to. Chooses the new or tried
   * table (a fair coin unless `newBias` is given), then random buckets and
   * positions, accepting an entry with probability GetChance() × 1.2^k after
   * k refusals. Undefined when nothing matches.
   */
  select(options: SelectOptions = {}): KnownAddress | undefined {
    this.#check()
    const ret = this.#select(options)
    this.#check()
    return ret
  }

  #select(options: SelectOptions): KnownAddress | undefined {
    if (this.#randomOrder.length === 0) return undefined
    const newOnly = options.newOnly === true
    const skipBadPorts = (options.tries ?? 0) < DESPERATE_TRIES
    let nets: Set<number> | undefined
    if (options.networks) {
      nets = new Set(options.networks)
      if (nets.size === 0) nets = undefined
    }
    let newCount = 0
    let triedCount = 0
    if (nets) {
      for (const n of nets) {
        if (n < 0 || n >= NETWORK_SLOTS) continue
        newCount += this.#netNew[n]! - (skipBadPorts ? this.#netNewBad[n]! : 0)
        triedCount += this.#netTried[n]! - (skipBadPorts ? this.#netTriedBad[n]! : 0)
      }
    } else {
      newCount = this.#nNew - (skipBadPorts ? this.#newBad : 0)
      triedCount = this.#nTried - (skipBadPorts ? this.#triedBad : 0)
    }
    if (newOnly && newCount === 0) return undefined
    if (newCount + triedCount === 0) return undefined

    let searchTried: boolean
    if (newOnly || triedCount === 0) searchTried = false
    else if (newCount === 0) searchTried = true
    else if (options.newBias === undefined) searchTried = this.#random.randbool()
    else {
      const bias = Math.min(Math.max(options.newBias, 0), 100)
      const corTried = Math.sqrt(triedCount) * (100 - bias)
      const corNew = Math.sqrt(newCount) * bias
      searchTried = (this.#random.randbits(30) / TWO_POW_30) * (corTried + corNew) < corTried
    }

    const bucketCount = searchTried ? TRIED_BUCKET_COUNT : NEW_BUCKET_COUNT
    const table = searchTried ? this.#triedTable : this.#newTable
    const meta = searchTried ? this.#triedMeta : this.#newMeta
    const fill = searchTried ? this.#triedFill : this.#newFill
    const nonEmpty = searchTried ? this.#triedNonEmpty : this.#newNonEmpty
    const nonEmptyCount = searchTried ? this.#triedNonEmptyCount : this.#newNonEmptyCount
    const filtered = nets !== undefined || skipBadPorts
    const now = this.#nowSeconds()
    let chanceFactor = 1
    for (;;) {
      let bucket: number
      if (this.#coreDraws) {
        bucket = this.#random.randrange(bucketCount)
      } else {
        // Conditioned on a non-empty bucket, Core's uniform bucket draw is a
        // uniform draw among the non-empty ones; skip the empty draws.
        bucket = nonEmpty[this.#random.randrange(nonEmptyCount)]!
      }
      const initial = this.#random.randrange(BUCKET_SIZE)
      if (fill[bucket] === 0) continue
      const base = bucket * BUCKET_SIZE
      let info: AddrInfo | null = null
      for (let i = 0; i < BUCKET_SIZE; i++) {
        const idx = base + ((initial + i) & (BUCKET_SIZE - 1))
        const candidate = table[idx]!
        if (candidate === null) continue
        if (filtered) {
          const m = meta[idx]!
          if (skipBadPorts && m & BAD_PORT_FLAG) continue
          if (nets && !nets.has(m & ~BAD_PORT_FLAG)) continue
        }
        info = candidate
        break
      }
      if (info === null) continue
      if (this.#random.randbits(30) < chanceFactor * getChance(info, now) * TWO_POW_30) {
        if (this.#log.isLevelEnabled('trace')) {
          this.#log.trace(
            { addr: info.addr.toString(), port: info.port, table: searchTried ? 'tried' : 'new' },
            'Selected an address.',
          )
        }
        return info.snapshot()
      }
      chanceFactor *= 1.2
    }
  }

  /**
   * Core GetAddr(): up to `maxPercent`% of all entries (0: no limit), at
   * most `maxCount` (0: no limit), in random order, optionally of one network
   * class only, skipping terrible entries unless `filtered` is false. For a
   * getaddr answer use 1000 and 23 ({@link MAX_ADDR_TO_SEND}, {@link MAX_PCT_ADDR_TO_SEND}).
   */
  getAddresses(maxCount = 0, maxPercent = 0, network?: Network, filtered = true): PeerAddress[] {
    this.#check()
    const order = this.#randomOrder
    let nodes = order.length
    if (maxPercent !== 0) nodes = Math.floor((maxPercent * nodes) / 100)
    if (maxCount !== 0) nodes = Math.min(nodes, maxCount)
    const now = this.#nowSeconds()
    const out: PeerAddress[] = []
    for (let n = 0; n < order.length && out.length < nodes; n++) {
      const pos = this.#random.randrange(order.length - n) + n
      this.#swapRandom(n, pos)
      const info = order[n]!
      if (network !== undefined && this.#netgroup.getNetClass(info.addr) !== network) continue
      if (filtered && isTerrible(info, now)) continue
      out.push(info.toPeerAddress())
    }
    this.#check()
    if (this.#log.isLevelEnabled('debug'))
      this.#log.debug({ count: out.length }, 'Returning random addresses.')
    return out
  }

  /** Core Size(): entries, optionally of one network and/or one table. */
  size(network?: Network, table?: 'new' | 'tried'): number {
    this.#check()
    let ret: number
    if (network === undefined) {
      ret = table === undefined ? this.#randomOrder.length : table === 'new' ? this.#nNew : this.#nTried
    } else if (network < 0 || network >= NETWORK_SLOTS) {
      ret = 0
    } else {
      const n = this.#netNew[network]!
      const t = this.#netTried[network]!
      ret = table === undefined ? n + t : table === 'new' ? n : t
    }
    this.#check()
    return ret
  }

  /** Counts by table and network, without running the consistency check. */
  counts(): AddrManCounts {
    const byNetwork: AddrManCounts['byNetwork'] = {}
    for (let n = 0; n < NETWORK_SLOTS; n++) {
      if (this.#netNew[n] !== 0 || this.#netTried[n] !== 0) {
        byNetwork[n as Network] = { new: this.#netNew[n]!, tried: this.#netTried[n]! }
      }
    }
    return { new: this.#nNew, tried: this.#nTried, total: this.#randomOrder.length, byNetwork }
  }

  /** The number of parked tried-table collisions (at most 10). */
  get collisionCount(): number {
    return this.#collisions.length
  }

  /** Core FindAddressEntry(): the entry for this address and port, if any. */
  find(a: ServiceAddress): KnownAddress | undefined {
    return this.#find(a)?.snapshot()
  }

  /** Core FindAddressEntry(): where the entry sits (for new entries, its primary-source bucket). */
  findPosition(a: ServiceAddress): AddressPosition | undefined {
    this.#check()
    const info = this.#find(a)
    let ret: AddressPosition | undefined
    if (info?.inTried) {
      const p = this.#placement(info)
      ret = { tried: true, multiplicity: 1, bucket: p & 0xff, position: (p >>> 8) & 63 }
    } else if (info) {
      const p = this.#placement(info)
      ret = {
        tried: false,
        multiplicity: info.refCount,
        bucket: (p >>> 14) & 1023,
        position: (p >>> 24) & 63,
      }
    }
    this.#check()
    return ret
  }

  /** Every entry, new then tried or in id order (Core GetEntries without positions). */
  *entries(): IterableIterator<KnownAddress> {
    for (const info of this.#entries.values()) yield info.snapshot()
  }

  // --- consistency (Core CheckAddrman) ------------------------------------------------

  /**
   * Core CheckAddrman(), plus checks of our own indexes. Throws
   * ConsistencyError with Core's code (or 100+ for ours) on the first
   * broken invariant. O(table size); tests run it after every step.
   */
  checkConsistency(): void {
    const fail = (code: number, detail: string): never => {
      throw new ConsistencyError(code, detail)
    }
    if (this.#randomOrder.length !== this.#nTried + this.#nNew)
      fail(-7, 'vRandom size differs from nNew + nTried')
    const triedSet = new Set<number>()
    const newRefs = new Map<number, number>()
    const netNew = new Int32Array(NETWORK_SLOTS)
    const netTried = new Int32Array(NETWORK_SLOTS)
    const netNewBad = new Int32Array(NETWORK_SLOTS)
    const netTriedBad = new Int32Array(NETWORK_SLOTS)
    for (const [id, info] of this.#entries) {
      if (info.id !== id) fail(101, `entry ${id} carries id ${info.id}`)
      if (info.inTried) {
        if (info.lastSuccess === 0) fail(-1, `tried entry ${id} never succeeded`)
        if (info.refCount !== 0) fail(-2, `tried entry ${id} has new references`)
        triedSet.add(id)
        netTried[info.network]!++
        if (info.badPort) netTriedBad[info.network]!++
      } else {
        if (info.refCount < 0 || info.refCount > NEW_BUCKETS_PER_ADDRESS)
          fail(-3, `entry ${id} refcount ${info.refCount}`)
        if (info.refCount === 0) fail(-4, `new entry ${id} has no references`)
        newRefs.set(id, info.refCount)
        netNew[info.network]!++
        if (info.badPort) netNewBad[info.network]!++
      }
      if (this.#byKey.get(info.key) !== info) fail(-5, `mapAddr does not point at entry ${id}`)
      if (
        info.randomPos < 0 ||
        info.randomPos >= this.#randomOrder.length ||
        this.#randomOrder[info.randomPos] !== info
      ) {
        fail(-14, `entry ${id} has a wrong random position`)
      }
      if (info.lastTry < 0) fail(-6, `entry ${id} lastTry < 0`)
      if (info.lastSuccess < 0) fail(-8, `entry ${id} lastSuccess < 0`)
      if (info.key !== serviceKey(info.addr, info.port))
        fail(102, `entry ${id} key does not match its address`)
      if (info.placement >= 0) {
        const tb = this.#triedBucket(info)
        const nb = this.#newBucket(info, info.source)
        const want =
          tb | (this.#position(info, false, tb) << 8) | (nb << 14) | (this.#position(info, true, nb) << 24)
        if (info.placement !== want) fail(109, `entry ${id} has a stale cached placement`)
      }
    }
    for (const [name, fill, list, at, count] of [
      ['new', this.#newFill, this.#newNonEmpty, this.#newNonEmptyAt, this.#newNonEmptyCount],
      ['tried', this.#triedFill, this.#triedNonEmpty, this.#triedNonEmptyAt, this.#triedNonEmptyCount],
    ] as const) {
      let nonEmpty = 0
      for (let b = 0; b < fill.length; b++) {
        if (fill[b] === 0) {
          if (at[b] !== -1) fail(110, `empty ${name} bucket ${b} is listed as non-empty`)
          continue
        }
        nonEmpty++
        const i = at[b]!
        if (i < 0 || i >= count || list[i] !== b) fail(110, `non-empty ${name} bucket ${b} is not listed`)
      }
      if (nonEmpty !== count) fail(110, `the ${name} non-empty bucket count is wrong`)
    }
    if (this.#byKey.size !== this.#entries.size) fail(103, 'mapAddr and mapInfo sizes differ')
    if (triedSet.size !== this.#nTried) fail(-9, 'nTried is wrong')
    if (newRefs.size !== this.#nNew) fail(-10, 'nNew is wrong')
    for (let b = 0; b < TRIED_BUCKET_COUNT; b++) {
      let occupied = 0
      for (let i = 0; i < BUCKET_SIZE; i++) {
        const idx = b * BUCKET_SIZE + i
        const slot = this.#triedTable[idx]!
        if (slot === null) {
          if (this.#triedMeta[idx] !== 0) fail(104, `stale metadata in tried[${b}][${i}]`)
          continue
        }
        occupied++
        const id = slot.id
        if (!triedSet.has(id)) fail(-11, `tried[${b}][${i}] holds ${id}, which is not a tried entry`)
        const info = this.#entries.get(id)
        if (info !== slot) fail(-11, `tried[${b}][${i}] holds an entry the manager does not know`)
        if (!info || this.#triedBucket(info) !== b) fail(-17, `tried entry ${id} is in the wrong bucket`)
        if (this.#position(info!, false, b) !== i) fail(-18, `tried entry ${id} is in the wrong slot`)
        if (this.#triedMeta[idx] !== (info!.network | (info!.badPort ? BAD_PORT_FLAG : 0))) {
          fail(104, `wrong metadata in tried[${b}][${i}]`)
        }
        triedSet.delete(id)
      }
      if (this.#triedFill[b] !== occupied) fail(105, `tried bucket ${b} fill count is wrong`)
    }
    for (let b = 0; b < NEW_BUCKET_COUNT; b++) {
      let occupied = 0
      for (let i = 0; i < BUCKET_SIZE; i++) {
        const idx = b * BUCKET_SIZE + i
        const slot = this.#newTable[idx]!
        if (slot === null) {
          if (this.#newMeta[idx] !== 0) fail(104, `stale metadata in new[${b}][${i}]`)
          continue
        }
        occupied++
        const id = slot.id
        const refs = newRefs.get(id)
        if (refs === undefined) fail(-12, `new[${b}][${i}] holds ${id}, which is not a new entry`)
        const info = this.#entries.get(id)
        if (info !== slot) fail(-12, `new[${b}][${i}] holds an entry the manager does not know`)
        if (!info || this.#position(info, true, b) !== i) fail(-19, `new entry ${id} is in the wrong slot`)
        if (this.#newMeta[idx] !== (info!.network | (info!.badPort ? BAD_PORT_FLAG : 0))) {
          fail(104, `wrong metadata in new[${b}][${i}]`)
        }
        if (refs === 1) newRefs.delete(id)
        else newRefs.set(id, refs! - 1)
      }
      if (this.#newFill[b] !== occupied) fail(105, `new bucket ${b} fill count is wrong`)
    }
    if (triedSet.size !== 0) fail(-13, 'tried entries missing from the tried table')
    if (newRefs.size !== 0) fail(-15, 'new entries missing from the new table')
    let keyZero = true
    for (const b of this.#key) if (b !== 0) keyZero = false
    if (keyZero) fail(-16, 'the key is zero')
    for (let n = 0; n < NETWORK_SLOTS; n++) {
      if (netNew[n] !== this.#netNew[n] || netTried[n] !== this.#netTried[n])
        fail(-21, `network ${n} counts are wrong`)
      if (netNewBad[n] !== this.#netNewBad[n] || netTriedBad[n] !== this.#netTriedBad[n]) {
        fail(106, `network ${n} bad-port counts are wrong`)
      }
    }
    let newBad = 0
    let triedBad = 0
    for (let n = 0; n < NETWORK_SLOTS; n++) {
      newBad += netNewBad[n]!
      triedBad += netTriedBad[n]!
    }
    if (newBad !== this.#newBad || triedBad !== this.#triedBad) fail(106, 'bad-port totals are wrong')
    if (this.#collisions.length > TRIED_COLLISION_SIZE) fail(107, 'too many parked collisions')
    for (let i = 1; i < this.#collisions.length; i++) {
      if (this.#collisions[i - 1]! >= this.#collisions[i]!)
        fail(108, 'collision ids are not sorted and unique')
    }
  }

  // --- serialization (Core AddrManImpl::Serialize / Unserialize) ---------------------

  /**
   * Write the address-manager stream of peers.dat format 4 (everything
   * between the network magic and the checksum). `asmapChecksum` comes from
   * the group manager.
   */
  writeTo(w: Writer): void {
    w.u8(PEERS_FILE_FORMAT)
    w.u8(INCOMPATIBILITY_BASE + PEERS_FILE_FORMAT)
    w.bytes(this.#key)
    w.i32(this.#nNew)
    w.i32(this.#nTried)
    w.i32(NEW_BUCKET_COUNT ^ BUCKET_COUNT_XOR)
    const index = new Map<number, number>()
    let n = 0
    for (const info of this.#entries.values()) {
      if (info.refCount > 0) {
        index.set(info.id, n++)
        writeDiskAddress(w, info, true)
        writeNetAddress(w, info.source, true)
        w.i64(info.lastSuccess)
        w.i32(info.attempts)
      }
    }
    for (const info of this.#entries.values()) {
      if (info.inTried) {
        writeDiskAddress(w, info, true)
        writeNetAddress(w, info.source, true)
        w.i64(info.lastSuccess)
        w.i32(info.attempts)
      }
    }
    for (let b = 0; b < NEW_BUCKET_COUNT; b++) {
      const base = b * BUCKET_SIZE
      w.i32(this.#newFill[b]!)
      for (let i = 0; i < BUCKET_SIZE; i++) {
        const info = this.#newTable[base + i]
        if (info) w.i32(index.get(info.id)!)
      }
    }
    w.bytes(this.#netgroup.asmapChecksum)
  }

  /**
   * Read an address-manager stream (formats 0–4) into this empty manager,
   * as Core does: entries with invalid addresses are dropped, tried entries
   * that collide are dropped, and new entries keep their buckets only when
   * the bucket count and asmap checksum match (otherwise they are
   * re-bucketed by their source). Returns what was dropped. Throws a
   * PeersFileError subclass on malformed data; the manager is then unusable.
   */
  readFrom(r: Reader): { lostNew: number; lostTried: number; rebucketed: boolean } {
    if (this.#entries.size !== 0) throw new Error('readFrom() needs an empty address manager.')
    const format = r.u8('format')
    const compat = r.u8('compatibility')
    if (compat < INCOMPATIBILITY_BASE) {
      throw new PeersFileCorruptError(
        `the compat value (${compat}) is lower than the expected minimum value ${INCOMPATIBILITY_BASE}`,
      )
    }
    const lowestCompatible = compat - INCOMPATIBILITY_BASE
    if (lowestCompatible > PEERS_FILE_FORMAT) {
      throw new PeersFileVersionError(format, lowestCompatible, PEERS_FILE_FORMAT)
    }
    const v2 = format >= 3
    this.#key.set(r.bytes(32, 'key'))
    const nNew = r.i32('nNew')
    const nTried = r.i32('nTried')
    let nUBuckets = r.i32('bucket count')
    if (format >= 1) nUBuckets ^= BUCKET_COUNT_XOR
    if (nNew > NEW_SLOTS || nNew < 0) {
      throw new PeersFileCorruptError(`nNew=${nNew}, should be in [0, ${NEW_SLOTS}]`)
    }
    if (nTried > TRIED_SLOTS || nTried < 0) {
      throw new PeersFileCorruptError(`nTried=${nTried}, should be in [0, ${TRIED_SLOTS}]`)
    }
    const readInfo = (): { a: PeerAddress; source: NetAddress; lastSuccess: number; attempts: number } => {
      const a = readDiskAddress(r, v2)
      const source = readNetAddress(r, v2)
      const lastSuccess = r.i64('last success')
      const attempts = r.i32('attempts')
      return { a, source, lastSuccess, attempts }
    }
    const fromDisk = (d: ReturnType<typeof readInfo>): AddrInfo => {
      const network = this.#netgroup.getNetwork(d.a.addr)
      const bad = (network === Network.IPV4 || network === Network.IPV6) && isBadPort(d.a.port)
      // The id is taken only when the entry is kept (Core: nIdCount++ on keep).
      const info = new AddrInfo(this.#idCount, d.a, d.source, serviceKey(d.a.addr, d.a.port), network, bad)
      info.lastSuccess = d.lastSuccess
      info.attempts = d.attempts
      return info
    }

    // New entries: ids 0..nNew-1. Duplicates (same address and port) are corruption.
    const newInfos: AddrInfo[] = []
    for (let i = 0; i < nNew; i++) {
      const info = fromDisk(readInfo())
      if (this.#byKey.has(info.key))
        throw new PeersFileCorruptError(`duplicate new entry ${info.addr.toString()}`)
      this.#idCount++
      this.#entries.set(info.id, info)
      this.#byKey.set(info.key, info)
      info.randomPos = this.#randomOrder.length
      this.#randomOrder.push(info)
      this.#nNew++
      this.#countNew(info, 1)
      newInfos.push(info)
    }
    let lostTried = 0
    for (let i = 0; i < nTried; i++) {
      const info = fromDisk(readInfo())
      let idx = -1
      if (info.addr.isValid()) {
        const p = this.#placement(info)
        idx = (p & 0xff) * BUCKET_SIZE + ((p >>> 8) & 63)
      }
      if (idx !== -1 && this.#triedTable[idx] === null && !this.#byKey.has(info.key)) {
        this.#idCount++
        info.inTried = true
        info.randomPos = this.#randomOrder.length
        this.#randomOrder.push(info)
        this.#entries.set(info.id, info)
        this.#byKey.set(info.key, info)
        this.#setTried(idx, info)
        this.#nTried++
        this.#countTried(info, 1)
      } else {
        lostTried++
      }
    }
    // Bucket positions of new entries, applied below.
    const placements: Array<[number, number]> = []
    for (let b = 0; b < nUBuckets; b++) {
      const count = r.i32('bucket size')
      if (count < 0 || count > r.remaining / 4)
        throw new PeersFileCorruptError(`bucket ${b} claims ${count} entries`)
      for (let i = 0; i < count; i++) {
        const entry = r.i32('bucket entry')
        if (entry >= 0 && entry < nNew) placements.push([b, entry])
      }
    }
    let fileChecksum: Uint8Array = new Uint8Array(32)
    if (format >= 2) fileChecksum = r.bytes(32, 'asmap checksum')
    const ours = this.#netgroup.asmapChecksum
    let sameAsmap = true
    for (let i = 0; i < 32; i++) if (fileChecksum[i] !== ours[i]) sameAsmap = false
    const restore = nUBuckets === NEW_BUCKET_COUNT && sameAsmap
    if (!restore)
      this.#log.info('The bucketing method changed since the file was written; re-bucketing its entries.')

    for (const [fileBucket, entry] of placements) {
      const info = newInfos[entry]!
      if (!info.addr.isValid()) continue
      if (info.refCount >= NEW_BUCKETS_PER_ADDRESS) continue
      let bucket = fileBucket
      let pos = this.#position(info, true, bucket)
      if (restore && this.#newTable[bucket * BUCKET_SIZE + pos] === null) {
        this.#setNew(bucket * BUCKET_SIZE + pos, info)
        info.refCount++
      } else {
        const p = this.#placement(info)
        bucket = (p >>> 14) & 1023
        pos = (p >>> 24) & 63
        if (this.#newTable[bucket * BUCKET_SIZE + pos] === null) {
          this.#setNew(bucket * BUCKET_SIZE + pos, info)
          info.refCount++
        }
      }
    }
    // Prune new entries left without a slot (collisions, invalid addresses).
    let lostNew = 0
    for (const info of newInfos) {
      if (info.refCount === 0) {
        this.#delete(info)
        lostNew++
      }
    }
    if (lostNew + lostTried > 0) {
      this.#log.info(
        { lostNew, lostTried },
        'Some addresses were dropped while loading because they collided or were invalid.',
      )
    }
    try {
      this.checkConsistency()
    } catch (err) {
      throw new PeersFileCorruptError(`Consistency check failed: ${(err as Error).message}`, { cause: err })
    }
    return { lostNew, lostTried, rebucketed: !restore }
  }
}
