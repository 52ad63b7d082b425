/**
 * Bans, discouragement and the noban whitelist, after Bitcoin Core's `BanMan`
 * (Core banman.cpp, and net_processing.cpp `Misbehaving`).
 *
 * - **Manual bans** are addresses or subnets (IPv4/IPv6 with a prefix length
 *   or a netmask, or a single Tor or I2P name), parsed by `@node/addrmgr`'s
 *   SubNet as Core's LookupSubNet parses them (netbase.cpp), with an expiry,
 *   24 h by default. They persist in
 *   `banlist.json` in the data directory, in Core's format
 *   (`{"banned_nets": [{"version", "ban_created", "banned_until", "address"}]}`,
 *   times in seconds), written atomically after every change and reloaded at
 *   start; expired entries are dropped. A file that does not parse is kept as
 *   `banlist.json.bak` and we start with no bans, logging a
 *   `BanListCorruptError`.
 * - **Discouragement** is what misbehaviour earns (Core has had no ban score
 *   since v28): an in-memory, bounded set of addresses (Core: a rolling bloom
 *   filter of 50,000 entries; ours: the 50,000 most recently discouraged).
 *   Discouraged inbound peers are accepted only while there is room, and are
 *   the first to be evicted.
 * - **Whitelist** ranges (Core `-whitelist`, net_permissions.cpp
 *   `NetWhitelistPermissions::TryParse`, net.cpp `AddWhitelistPermissionFlags`)
 *   grant permissions to the peers in them: a peer gets the union of the
 *   ranges it matches (for its direction). A range given as bare text gets
 *   Core's implicit set (noban, download, mempool, relay), inbound.
 *   Only addresses with the **noban** permission are never banned,
 *   discouraged or evicted.
 */
import { readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { atomicWriteFile, type InvalidAddressError, NetAddress, SubNet, splitHostPort } from '@node/addrmgr'
import { IMPLICIT_PERMISSIONS, PEER_PERMISSIONS, type PeerPermission } from '@node/peer'
import { type Logger, Service, silentLogger } from '@node/runtime'
import {
  BAN_ENTRY_VERSION,
  BANLIST_FILE,
  BANLIST_JSON_KEY,
  DEFAULT_BAN_TIME_MS,
  DISCOURAGED_MAX,
  MAX_BANS,
} from './constants.ts'
import {
  BanListCorruptError,
  BanListSaveError,
  InvalidBanTargetError,
  InvalidPolicyOptionError,
  InvalidWhitelistRangeError,
  TooManyBansError,
} from './errors.ts'

// --- subnets -----------------------------------------------------------------

/** Parse a ban target (Core LookupSubNet, `@node/addrmgr` SubNet), or throw {@link InvalidBanTargetError}. */
function parseTarget(text: string): SubNet {
  try {
    return SubNet.parse(text.trim())
  } catch (err) {
    throw new InvalidBanTargetError(text, (err as InvalidAddressError).message)
  }
}

/**
 * The address of a peer, with or without a port (`1.2.3.4:8333`,
 * `[::1]:8333`, `2a01:4f8::1`), split as Core's SplitHostPort does.
 * Undefined when it is not an address.
 */
function hostOf(text: string): NetAddress | undefined {
  const hp = splitHostPort(text, 0)
  return hp.valid ? NetAddress.tryParse(hp.host) : undefined
}

// --- the list ----------------------------------------------------------------

/** One manual ban. Times are milliseconds since the epoch (whole seconds in the file). */
export interface BanEntry {
  /** The banned subnet, in Core's text form (`1.2.3.4/32`, `10.0.0.0/8`, `…onion`). */
  readonly subnet: string
  readonly createdAt: number
  readonly bannedUntil: number
}

export interface BanOptions {
  /** Ban for this long from now (default 24 h). */
  durationMs?: number | undefined
  /** Ban until this time (ms since the epoch); overrides `durationMs`. */
  until?: number | undefined
}

/** One `-whitelist` entry: a range and what it grants. */
export interface WhitelistRange {
  /** An IPv4 or IPv6 address or CIDR subnet. */
  readonly range: string
  readonly permissions: readonly PeerPermission[]
  /** Applies to inbound peers (default true). */
  readonly inbound?: boolean | undefined
  /** Applies to outbound peers (default false). */
  readonly outbound?: boolean | undefined
}

interface Grant {
  readonly subnet: SubNet
  readonly permissions: readonly PeerPermission[]
  readonly inbound: boolean
  readonly outbound: boolean
}

/** How inbound admission should treat an address. */
export interface AddressStanding {
  /** In a noban range: never refused, discouraged or evicted. */
  whitelisted: boolean
  /** Manually banned (and not whitelisted): refuse. */
  banned: boolean
  /** Discouraged (and not whitelisted): accept only with room to spare; evict first. */
  discouraged: boolean
}

export interface BanListComponents {
  logger?: Logger | undefined
  /** Milliseconds since the epoch (`Date.now` by default). */
  now?: (() => number) | undefined
}

export interface BanListInit {
  /** Directory of `banlist.json`. Omitted: bans live in memory only. */
  dataDir?: string | undefined
  /** Default ban length (Core `-bantime`): 24 h. */
  defaultBanTimeMs?: number | undefined
  /**
   * Whitelist ranges: an IP or CIDR subnet (Core's implicit permissions,
   * noban included) or a {@link WhitelistRange} with explicit permissions.
   */
  whitelist?: readonly (string | WhitelistRange)[] | undefined
  /** Discouraged addresses remembered (default 50,000). */
  maxDiscouraged?: number | undefined
  /** Manual bans allowed (default 100,000). */
  maxBans?: number | undefined
}

interface StoredBan {
  subnet: SubNet
  createdAt: number
  bannedUntil: number
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < 1)
    throw new InvalidPolicyOptionError(name, 'must be a positive integer')
  return v
}

/**
 * Manual bans (persistent, with expiry), discouragement (in memory, bounded)
 * and the noban whitelist. A {@link Service}: `start()` loads `banlist.json`,
 * `stop()` waits for the last write. Queries work in any state; changes made
 * before `start()` are kept and merged with the file.
 */
export class BanList extends Service {
  readonly #log: Logger
  readonly #now: () => number
  readonly #path: string | undefined
  readonly #defaultBanTime: number
  readonly #maxDiscouraged: number
  readonly #maxBans: number
  readonly #whitelist: readonly Grant[]
  // Single hosts by their text form, for O(1) lookups; bounded by #maxBans with #subnets.
  readonly #hosts = new Map<string, StoredBan>()
  // Wider subnets, scanned on lookup; bounded by #maxBans with #hosts.
  readonly #subnets = new Map<string, StoredBan>()
  // Discouraged addresses, oldest first; bounded by #maxDiscouraged (the oldest is dropped).
  readonly #discouraged = new Map<string, true>()
  #persist = false
  #dirty = false
  #writing: Promise<void> = Promise.resolve()
  #queued: Promise<void> | undefined

  constructor(components: BanListComponents = {}, init: BanListInit = {}) {
    super()
    this.#log = (components.logger ?? silentLogger).child({ component: 'banlist' })
    this.#now = components.now ?? Date.now
    this.#path = init.dataDir === undefined ? undefined : join(init.dataDir, BANLIST_FILE)
    this.#defaultBanTime = positiveInt('defaultBanTimeMs', init.defaultBanTimeMs, DEFAULT_BAN_TIME_MS)
    this.#maxDiscouraged = positiveInt('maxDiscouraged', init.maxDiscouraged, DISCOURAGED_MAX)
    this.#maxBans = positiveInt('maxBans', init.maxBans, MAX_BANS)
    this.#whitelist = (init.whitelist ?? []).map((w) => {
      const r = typeof w === 'string' ? w : w.range
      const s = SubNet.tryParse(r.trim())
      if (!s || !(s.network.isIPv4() || s.network.isIPv6())) {
        throw new InvalidWhitelistRangeError(r, 'not an IPv4 or IPv6 address or subnet')
      }
      if (typeof w === 'string') {
        return { subnet: s, permissions: IMPLICIT_PERMISSIONS, inbound: true, outbound: false }
      }
      return {
        subnet: s,
        permissions: w.permissions,
        inbound: w.inbound ?? true,
        outbound: w.outbound ?? false,
      }
    })
  }

  /** The file bans are saved to, if any. */
  get path(): string | undefined {
    return this.#path
  }

  // --- lifecycle ---

  protected async onStart(): Promise<void> {
    if (this.#path !== undefined) {
      const dropped = await this.#load(this.#path)
      if (dropped || this.#dirty) await this.#write()
    }
    this.#persist = true
  }

  protected async onStop(): Promise<void> {
    this.#persist = false
    await this.#writing
    if (this.#dirty && this.#path !== undefined) {
      await this.#write().catch((err: unknown) => {
        this.#log.error({ err }, 'Could not save the ban list on stop.')
      })
    }
  }

  // --- manual bans ---

  /**
   * Ban an address or subnet (Core `setban add`). Banning it again moves the
   * expiry later, never earlier. Resolves once the list is saved (when
   * started with a data directory); rejects with {@link BanListSaveError} if
   * the write fails, the ban applying in memory regardless.
   */
  async ban(target: string, options: BanOptions = {}): Promise<BanEntry> {
    const subnet = parseTarget(target)
    const key = subnet.toString()
    const now = this.#now()
    const until = options.until ?? now + (options.durationMs ?? this.#defaultBanTime)
    const map = subnet.isSingle() ? this.#hosts : this.#subnets
    const existing = map.get(key)
    if (!existing) {
      if (this.#hosts.size + this.#subnets.size >= this.#maxBans) this.#sweep(now)
      if (this.#hosts.size + this.#subnets.size >= this.#maxBans) throw new TooManyBansError(this.#maxBans)
    }
    let stored = existing
    if (!existing || existing.bannedUntil < until) {
      stored = { subnet, createdAt: now, bannedUntil: until }
      map.set(key, stored)
      this.#dirty = true
      this.#log.info({ subnet: key, until: new Date(until).toISOString() }, 'Banned an address range.')
      await this.#save()
    }
    return toEntry(key, stored!)
  }

  /** Lift a ban (Core `setban remove`). False if there was none for exactly that subnet. */
  async unban(target: string): Promise<boolean> {
    const subnet = parseTarget(target)
    const key = subnet.toString()
    const removed = (subnet.isSingle() ? this.#hosts : this.#subnets).delete(key)
    if (removed) {
      this.#dirty = true
      this.#log.info({ subnet: key }, 'Lifted a ban.')
      await this.#save()
    }
    return removed
  }

  /** Lift every ban (Core `clearbanned`). */
  async clear(): Promise<void> {
    if (this.#hosts.size + this.#subnets.size === 0) return
    this.#hosts.clear()
    this.#subnets.clear()
    this.#dirty = true
    await this.#save()
  }

  /** The bans in force, expired ones dropped (Core `listbanned`). */
  list(): BanEntry[] {
    const now = this.#now()
    if (this.#sweep(now)) void this.#save().catch(() => {})
    const out: BanEntry[] = []
    for (const [k, b] of this.#hosts) out.push(toEntry(k, b))
    for (const [k, b] of this.#subnets) out.push(toEntry(k, b))
    return out
  }

  /** The address (an IP, or a Tor or I2P name; no port) is under a ban that has not expired. */
  isBanned(address: string): boolean {
    const host = hostOf(address)
    if (!host) return false
    const now = this.#now()
    const exact = this.#hosts.get(hostKey(host))
    if (exact && now < exact.bannedUntil) return true
    for (const b of this.#subnets.values()) {
      if (now < b.bannedUntil && b.subnet.match(host)) return true
    }
    return false
  }

  // --- discouragement ---

  /** Remember a misbehaving peer's address (Core `Discourage`). Whitelisted addresses are ignored. */
  discourage(address: string): void {
    const host = hostOf(address)
    if (!host || this.#whitelisted(host)) return
    const key = hostKey(host)
    this.#discouraged.delete(key)
    this.#discouraged.set(key, true)
    while (this.#discouraged.size > this.#maxDiscouraged) {
      const oldest = this.#discouraged.keys().next().value
      if (oldest === undefined) break
      this.#discouraged.delete(oldest)
    }
  }

  isDiscouraged(address: string): boolean {
    const host = hostOf(address)
    return host !== undefined && this.#discouraged.has(hostKey(host))
  }

  /** Forget every discouraged address. */
  clearDiscouraged(): void {
    this.#discouraged.clear()
  }

  get discouragedCount(): number {
    return this.#discouraged.size
  }

  // --- whitelist ---

  /** An inbound peer from this address has the noban permission. */
  isWhitelisted(address: string): boolean {
    const host = hostOf(address)
    return host !== undefined && this.#whitelisted(host)
  }

  /**
   * The permissions of a peer at this address (Core `AddWhitelistPermissionFlags`):
   * the union over the whitelist ranges that match it in its direction.
   */
  permissionsOf(address: string, inbound: boolean): PeerPermission[] {
    const host = hostOf(address)
    if (!host) return []
    const got = new Set<PeerPermission>()
    for (const g of this.#whitelist) {
      if ((inbound ? g.inbound : g.outbound) && g.subnet.match(host))
        for (const p of g.permissions) got.add(p)
    }
    return PEER_PERMISSIONS.filter((p) => got.has(p))
  }

  /** Everything inbound admission needs to know about an address, with noban taking precedence. */
  standing(address: string): AddressStanding {
    if (this.isWhitelisted(address)) return { whitelisted: true, banned: false, discouraged: false }
    return { whitelisted: false, banned: this.isBanned(address), discouraged: this.isDiscouraged(address) }
  }

  #whitelisted(host: NetAddress): boolean {
    return this.#whitelist.some((g) => g.inbound && g.permissions.includes('noban') && g.subnet.match(host))
  }

  // --- persistence ---

  /** Drop expired bans; true if any were. */
  #sweep(now: number): boolean {
    let any = false
    for (const map of [this.#hosts, this.#subnets]) {
      for (const [k, b] of map) {
        if (b.bannedUntil <= now) {
          map.delete(k)
          any = true
        }
      }
    }
    if (any) this.#dirty = true
    return any
  }

  /** Queue a write of the current list; concurrent changes share one pending write. */
  #save(): Promise<void> {
    if (!this.#persist || this.#path === undefined) return Promise.resolve()
    if (this.#queued) return this.#queued
    const run = this.#writing.then(() => {
      this.#queued = undefined
      return this.#write()
    })
    this.#queued = run
    this.#writing = run.catch(() => {})
    return run
  }

  async #write(): Promise<void> {
    const path = this.#path
    if (path === undefined) return
    this.#sweep(this.#now())
    this.#dirty = false
    const bans = []
    for (const map of [this.#hosts, this.#subnets]) {
      for (const [k, b] of map) {
        bans.push({
          version: BAN_ENTRY_VERSION,
          ban_created: Math.floor(b.createdAt / 1000),
          banned_until: Math.floor(b.bannedUntil / 1000),
          address: k,
        })
      }
    }
    const data = Buffer.from(`${JSON.stringify({ [BANLIST_JSON_KEY]: bans }, null, 2)}\n`)
    try {
      await atomicWriteFile(path, data)
    } catch (err) {
      this.#dirty = true
      throw new BanListSaveError(path, { cause: err })
    }
  }

  /** Read the file into memory; true if entries were dropped (expired or unreadable). */
  async #load(path: string): Promise<boolean> {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return false
      throw err
    }
    let entries: unknown[]
    try {
      const doc: unknown = JSON.parse(text)
      const list =
        typeof doc === 'object' && doc !== null
          ? (doc as Record<string, unknown>)[BANLIST_JSON_KEY]
          : undefined
      if (!Array.isArray(list)) throw new Error(`no "${BANLIST_JSON_KEY}" array`)
      entries = list
    } catch (cause) {
      const err = new BanListCorruptError(path, (cause as Error).message, { cause })
      this.#log.error({ err, backup: `${path}.bak` }, 'The ban list file is corrupt; kept it as .bak.')
      await rename(path, `${path}.bak`)
      return false
    }
    const now = this.#now()
    let dropped = false
    for (const raw of entries) {
      const ban = readEntry(raw)
      if (!ban) {
        this.#log.warn({ entry: raw }, 'Dropped an unreadable entry of the ban list.')
        dropped = true
        continue
      }
      if (ban.bannedUntil <= now) {
        dropped = true
        continue
      }
      const key = ban.subnet.toString()
      const map = ban.subnet.isSingle() ? this.#hosts : this.#subnets
      const mine = map.get(key)
      if (mine && mine.bannedUntil >= ban.bannedUntil) continue
      if (!mine && this.#hosts.size + this.#subnets.size >= this.#maxBans) {
        dropped = true
        continue
      }
      map.set(key, ban)
    }
    this.#log.info({ bans: this.#hosts.size + this.#subnets.size }, 'Loaded the ban list.')
    return dropped
  }
}

/** The key of a single host in the ban map: its subnet text (Core CSubNet(addr).ToString()). */
function hostKey(addr: NetAddress): string {
  return SubNet.single(addr)?.toString() ?? addr.toString()
}

function toEntry(subnet: string, b: StoredBan): BanEntry {
  return { subnet, createdAt: b.createdAt, bannedUntil: b.bannedUntil }
}

function readEntry(raw: unknown): StoredBan | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const r = raw as Record<string, unknown>
  if (r['version'] !== BAN_ENTRY_VERSION) return undefined
  const created = r['ban_created']
  const until = r['banned_until']
  const address = r['address']
  if (!Number.isSafeInteger(created) || !Number.isSafeInteger(until) || typeof address !== 'string') {
    return undefined
  }
  const subnet = SubNet.tryParse(address)
  if (!subnet) return undefined
  return { subnet, createdAt: (created as number) * 1000, bannedUntil: (until as number) * 1000 }
}

/** Write a file so a crash leaves the old or the new one whole: temp file, fsync, rename, fsync the directory. */
