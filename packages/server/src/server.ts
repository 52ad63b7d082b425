/**
 * Server: owns every peer, keeps 8 full-relay and 2 block-relay-only
 * outbound peers, accepts inbound peers fairly, relays addresses and blocks,
 * and starts and stops the node's parts in the right order.
 *
 * Start: address manager (loads peers.dat) → ban list → block store → block
 * manager → listeners → outbound dialing. Stop: the reverse — stop listening
 * and dialing, disconnect every peer and wait for them, then the block
 * manager, the address manager (saves peers.dat and anchors), the ban list
 * and the store. Everything started on behalf of a component (a timer, a dial,
 * a DNS lookup) is registered before it begins and cancelled on stop.
 */
import { randomBytes } from 'node:crypto'
import { lookup as dnsLookup } from 'node:dns/promises'
import { readFile, rm } from 'node:fs/promises'
import net, { type Server as NetServer, type Socket } from 'node:net'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import {
  AddrManager,
  atomicWriteFile,
  formatService,
  InvalidAddressError,
  NetAddress,
  Network,
  newBiasForOutbound,
  type PeerAddress,
  parseService,
  type ServiceAddress,
  serviceKey,
  splitHostPort,
} from '@node/addrmgr'
import { BlockManager, BlockStore, type FatalStoreError, type SyncPeer } from '@node/blockmgr'
import { InvCache } from '@node/inv-cache'
import { type ConnectionType, NonceSet, Peer, type PeerStats } from '@node/peer'
import { AbortError, type Logger, Service, silentLogger, sleep, timeoutSignal } from '@node/runtime'
import {
  type AddrV2Entry,
  blockHash,
  type Hash,
  isProtocolError,
  type Message,
  type NetworkParams,
  type ProtocolError,
  Services,
} from '@node/wire'
import { AddrRelayTargets, AddrResponseCache, addrCacheKey, PeerAddrState } from './addr-relay.ts'
import { BanList } from './bans.ts'
import {
  DEFAULT_MAX_CONNECTIONS,
  MAX_ADDNODE,
  MAX_BLOCK_RELAY_ONLY,
  MAX_FEELER,
  MAX_OUTBOUND_FULL_RELAY,
} from './constants.ts'
import { type EvictionCandidate, keyedNetGroup, selectNodeToEvict } from './eviction.ts'
import { HandshakeLimiter } from './netgroups.ts'
import type { SipKey } from './siphash.ts'

/** Core: a feeler about every 2 minutes. */
const FEELER_INTERVAL_MS = 2 * 60_000
/** Core: DNS seeds are queried when the address manager has fewer addresses than this. */
const DNS_SEED_THRESHOLD = 1000
const DNS_TIMEOUT_MS = 10_000
/** After a failed seeding round, wait this long before trying again (no spinning offline). */
const SEED_RETRY_MS = 60_000
/** Core: fixed seeds after 60 s without peers. */
const FIXED_SEEDS_DELAY_MS = 60_000
/** Core: the connection loop sleeps 500 ms per round. */
const DIAL_ROUND_MS = 500
/** Core: at most 100 candidates per round. */
const MAX_TRIES_PER_ROUND = 100
/** Core: skip addresses tried in the last 10 minutes for the first 30 tries. */
const RECENT_TRY_MS = 10 * 60_000
const RECENT_TRY_TRIES = 30
/** Connect timeout for outbound dials. */
const CONNECT_TIMEOUT_MS = 5_000
/** Stop: how long peers get to close before their sockets are destroyed. */
const PEER_CLOSE_DEADLINE_MS = 1_000
/** A peer we leave on purpose (a feeler) gets this long to flush its last messages. */
const FLUSH_DEADLINE_MS = 1_000
const FLUSH_POLL_MS = 10
/** Core MAX_ADDR_TO_SEND and MAX_PCT_ADDR_TO_SEND. */
const GETADDR_MAX = 1000
const GETADDR_PCT = 23
/** addnode retry backoff (btcd connmgr: tries × 5 s, capped at 5 min). */
const ADDNODE_RETRY_BASE_MS = 5_000
const ADDNODE_RETRY_MAX_MS = 5 * 60_000
/** Core: the tip is stale after 30 minutes without a new block (checked every 10 minutes). */
const STALE_TIP_CHECK_MS = 10 * 60_000
/** Core: the tip is stale when no new block arrived for 30 minutes. */
const STALE_TIP_AGE_MS = 30 * 60_000
/** Core EXTRA_PEER_CHECK_INTERVAL: how often the extra outbound peer is reconsidered. */
const EXTRA_PEER_CHECK_MS = 45_000
/** Core MINIMUM_CONNECT_TIME: a peer is not evicted before this. */
const MINIMUM_CONNECT_TIME_MS = 30_000
/** Core AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL: our address is re-advertised daily. */
const LOCAL_ADDRESS_BROADCAST_MS = 24 * 60 * 60_000
/** Core: address-fetch (seednode) connections end after 5 minutes anyway. */
const ADDR_FETCH_TIMEOUT_MS = 5 * 60_000
const ANCHORS_FILE = 'anchors.json'
/** Core MAX_BLOCK_RELAY_ONLY_ANCHORS. */
const MAX_ANCHORS = 2

export interface ServerComponents {
  logger?: Logger | undefined
  /** Resolves a host name to IP addresses (default node:dns); tests and offline runs replace it. */
  resolve?: ((host: string, signal: AbortSignal) => Promise<string[]>) | undefined
  now?: (() => number) | undefined
}

export interface ServerInit {
  network: NetworkParams
  /** Where peers.dat, banlist.json, anchors.json and blocks/ live. */
  dataDir: string
  /** Accept inbound connections (default true). */
  listen?: boolean | undefined
  /** Addresses to listen on, `host:port`; default all IPv4 and IPv6 on the network's port. */
  bind?: readonly string[] | undefined
  /** Default: the network's port. */
  port?: number | undefined
  maxConnections?: number | undefined
  maxOutbound?: number | undefined
  maxBlockRelayOnly?: number | undefined
  /** Only connect to these (Core -connect): no address manager dialing, no seeding. */
  connect?: readonly string[] | undefined
  /**
   * Open automatic outbound connections from the address manager (default
   * true). Core's `m_use_addrman_outgoing`: false with `-connect=0`. The
   * outbound and feeler slots stay reserved either way, so the inbound slot
   * count does not change (Core `CConnman::Init`).
   */
  useAddrmanOutgoing?: boolean | undefined
  /** How often peers.dat is written while running (default 15 minutes, Core DumpAddresses). */
  peersDumpIntervalMs?: number | undefined
  /** Keep these connected (Core -addnode). */
  addnode?: readonly string[] | undefined
  /** Ask these for addresses, then leave (Core -seednode). */
  seednode?: readonly string[] | undefined
  /** Query DNS seeds when the address manager is nearly empty (default true). */
  dnsSeed?: boolean | undefined
  /** Use the fixed seeds when seeding fails (default true). */
  fixedSeeds?: boolean | undefined
  /** Ranges exempt from bans and discouragement (`1.2.3.0/24`, `::1`). */
  whitelist?: readonly string[] | undefined
  userAgent?: string | undefined
  /** TEST ONLY: loopback and private addresses count as routable, each its own group. */
  localRoutable?: boolean | undefined
  /** Feeler interval (ms); 0 disables feelers. */
  feelerIntervalMs?: number | undefined
  /** Block manager: progress line interval (ms). */
  progressIntervalMs?: number | undefined
  /** Peer timeouts (tests shorten them). */
  handshakeTimeoutMs?: number | undefined
  // Intervals and timeouts of the connection loop and seeding. The defaults
  // are Core's (or btcd's where Core has none); tests shorten them.
  /** Pause between rounds of the outbound connection loop (default 500 ms, Core). */
  dialIntervalMs?: number | undefined
  /** TCP connect timeout of outbound dials (default 5 s, Core). */
  connectTimeoutMs?: number | undefined
  /** Bound on one DNS seed lookup, whatever the resolver does (default 10 s). */
  dnsTimeoutMs?: number | undefined
  /**
   * Resolve host names given to -connect, -addnode, -seednode and the addnode
   * RPC (Core -dns, default true). Off, only numeric addresses and Tor/I2P
   * names connect.
   */
  dns?: boolean | undefined
  /** After a seeding round, wait this long before the next one (default 60 s). */
  seedRetryMs?: number | undefined
  /** With DNS seeds configured, fixed seeds are used only this long after start (default 60 s, Core). */
  fixedSeedsDelayMs?: number | undefined
  /** addnode/connect retry: each failure adds this much to the wait (default 5 s, btcd). */
  manualRetryBaseMs?: number | undefined
  /** addnode/connect retry: the wait never exceeds this (default 5 min, btcd). */
  manualRetryMaxMs?: number | undefined
  /** Mean of each peer's address relay timer (default 30 s, Core); tests shorten it. */
  addrTrickleIntervalMs?: number | undefined
  /**
   * Our public addresses to advertise (Core -externalip), `host` or
   * `host:port`; the port defaults to the one we listen on.
   */
  externalIp?: readonly string[] | undefined
  /** Advertise routable addresses of our network interfaces (Core -discover; default true). */
  discover?: boolean | undefined
  /** How long without a new block before the tip counts as stale (default 30 min, Core). */
  staleTipAgeMs?: number | undefined
  /** How often stale tips and extra outbound peers are checked (default 45 s, Core). */
  extraPeerCheckMs?: number | undefined
  /**
   * BIP324 (Core -v2transport, default true): advertise NODE_P2P_V2, accept v2
   * inbound, and try v2 first to outbound peers that advertise it.
   */
  v2Transport?: boolean | undefined
}

export interface PeerInfo {
  readonly id: number
  readonly addr: string
  readonly inbound: boolean
  readonly connectionType: ConnectionType
  readonly stats: PeerStats
  /** Height of the best header the peer has announced, or -1. */
  readonly syncedHeaders: number
  /** Height of the last block the peer and our active chain have in common, or -1. */
  readonly syncedBlocks: number
  /** Heights of the blocks we await from the peer. */
  readonly inflight: readonly number[]
  /** When the peer last gave us a new block (ms since the epoch; 0: never). */
  readonly lastBlockAt: number
  /** Our end of the connection (`ip:port`), while connected. */
  readonly addrBind: string | undefined
  /** `v1`, `v2` or `detecting` (Core getpeerinfo transport_protocol_type). */
  readonly transportProtocol: 'v1' | 'v2' | 'detecting'
  /** The BIP324 session id (hex), '' unless v2 (Core getpeerinfo session_id). */
  readonly sessionId: string
}

interface PeerEntry {
  readonly peer: Peer
  readonly id: number
  readonly inbound: boolean
  readonly type: ConnectionType
  /** Where we dialled, or the remote of an inbound socket. */
  readonly service: ServiceAddress | undefined
  readonly group: string
  readonly addrState: PeerAddrState
  readonly known: InvCache
  readonly connectedAt: number
  sync: SyncPeer | undefined
  ready: boolean
  lastBlockAt: number
  lastTxAt: number
  getaddrAnswered: boolean
  /** addnode/connect target this peer serves. */
  manualTarget: string | undefined
  /** Disconnect after the first addr reply (seednode, address fetch). */
  fetchOnly: boolean
}

interface ManualTarget {
  readonly target: string
  peerId: number | undefined
  tries: number
  nextAttempt: number
  /** A name lookup for it is under way. */
  resolving: boolean
}

export interface ServerEvents {
  'peer:ready': (info: { id: number; addr: string; inbound: boolean; type: ConnectionType }) => void
  'peer:closed': (info: { id: number; addr: string }) => void
  /** The block store could not write: the host must shut the node down (bitcoind aborts). */
  fatal: (err: FatalStoreError) => void
}

export class Server extends Service {
  readonly network: NetworkParams
  readonly addrManager: AddrManager
  readonly store: BlockStore
  readonly blockManager: BlockManager
  readonly bans: BanList
  readonly #log: Logger
  readonly #init: ServerInit & {
    listen: boolean
    maxConnections: number
    maxOutbound: number
    maxBlockRelayOnly: number
    useAddrmanOutgoing: boolean
    dnsSeed: boolean
    dns: boolean
    fixedSeeds: boolean
    dialIntervalMs: number
    connectTimeoutMs: number
    dnsTimeoutMs: number
    seedRetryMs: number
    fixedSeedsDelayMs: number
    manualRetryBaseMs: number
    manualRetryMaxMs: number
    v2Transport: boolean
  }
  readonly #resolve: (host: string, signal: AbortSignal) => Promise<string[]>
  readonly #now: () => number
  readonly #nonces = new NonceSet()
  readonly #peers = new Map<number, PeerEntry>()
  readonly #listeners: NetServer[] = []
  readonly #manual = new Map<string, ManualTarget>()
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #tasks = new Set<Promise<unknown>>()
  readonly #secret: SipKey
  readonly #relayTargets: AddrRelayTargets
  readonly #addrCache: AddrResponseCache<PeerAddress>
  readonly #handshakes: HandshakeLimiter
  readonly #events: { [K in keyof ServerEvents]: Set<ServerEvents[K]> } = {
    'peer:ready': new Set(),
    'peer:closed': new Set(),
    fatal: new Set(),
  }
  #nextId = 1
  #accepting = false
  #anchors: ServiceAddress[] = []
  /** When the last seeding round began; undefined before the first. */
  #lastSeedAttempt: number | undefined
  #seeding = false
  #startedAt = 0
  #feelerAt = 0
  #lastTipAt = 0
  #extraOutbound = false
  #boundPorts: number[] = []
  /** Traffic of peers that have closed (for getnettotals). */
  #closedBytes = { sent: 0, received: 0 }

  constructor(components: ServerComponents, init: ServerInit) {
    super()
    this.#init = {
      ...init,
      listen: init.listen ?? true,
      maxConnections: init.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      maxOutbound: init.maxOutbound ?? MAX_OUTBOUND_FULL_RELAY,
      maxBlockRelayOnly: init.maxBlockRelayOnly ?? MAX_BLOCK_RELAY_ONLY,
      useAddrmanOutgoing: init.useAddrmanOutgoing ?? true,
      dnsSeed: init.dnsSeed ?? true,
      dns: init.dns ?? true,
      fixedSeeds: init.fixedSeeds ?? true,
      dialIntervalMs: init.dialIntervalMs ?? DIAL_ROUND_MS,
      connectTimeoutMs: init.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      dnsTimeoutMs: init.dnsTimeoutMs ?? DNS_TIMEOUT_MS,
      seedRetryMs: init.seedRetryMs ?? SEED_RETRY_MS,
      fixedSeedsDelayMs: init.fixedSeedsDelayMs ?? FIXED_SEEDS_DELAY_MS,
      manualRetryBaseMs: init.manualRetryBaseMs ?? ADDNODE_RETRY_BASE_MS,
      manualRetryMaxMs: init.manualRetryMaxMs ?? ADDNODE_RETRY_MAX_MS,
      v2Transport: init.v2Transport ?? true,
    }
    this.network = init.network
    const logger = components.logger ?? silentLogger
    this.#log = logger.child({ component: 'server' })
    this.#now = components.now ?? Date.now
    // The server bounds every lookup itself (dnsTimeoutMs), whatever the resolver does.
    this.#resolve =
      components.resolve ?? (async (host) => (await dnsLookup(host, { all: true })).map((a) => a.address))
    const seed = randomBytes(16)
    this.#secret = { k0: seed.readBigUInt64LE(0), k1: seed.readBigUInt64LE(8) }
    this.#relayTargets = new AddrRelayTargets({ secret: this.#secret })
    const randrange = { randrange: (n: number) => Math.floor(Math.random() * n) }
    this.#addrCache = new AddrResponseCache<PeerAddress>({ random: randrange, now: this.#now })
    this.#handshakes = new HandshakeLimiter()
    this.addrManager = new AddrManager(
      { logger, now: this.#now },
      {
        dataDir: init.dataDir,
        magic: init.network.magic,
        localRoutable: init.localRoutable,
        saveIntervalMs: init.peersDumpIntervalMs,
      },
    )
    this.bans = new BanList(
      { logger, now: this.#now },
      { dataDir: init.dataDir, whitelist: init.whitelist ?? [] },
    )
    this.store = new BlockStore({ logger }, { dir: join(init.dataDir, 'blocks') })
    this.blockManager = new BlockManager(
      { logger, store: this.store },
      { network: init.network, progressInterval: init.progressIntervalMs },
    )
  }

  on<K extends keyof ServerEvents>(event: K, fn: ServerEvents[K]): void {
    this.#events[event].add(fn)
  }

  off<K extends keyof ServerEvents>(event: K, fn: ServerEvents[K]): void {
    this.#events[event].delete(fn)
  }

  /** Ports we listen on (after start). */
  get ports(): readonly number[] {
    return this.#boundPorts
  }

  get startedAt(): number {
    return this.#startedAt
  }

  // --- lifecycle -------------------------------------------------------------

  protected async onStart(signal: AbortSignal): Promise<void> {
    this.#startedAt = this.#now()
    // A server may be started again after a stop: nothing of the last run carries over.
    this.#boundPorts = []
    this.#anchors = []
    for (const m of this.#manual.values()) {
      m.peerId = undefined
      m.tries = 0
      m.nextAttempt = 0
      m.resolving = false
    }
    this.#lastSeedAttempt = undefined
    this.#extraOutbound = false
    await this.addrManager.start()
    await this.bans.start()
    await this.store.start()
    await this.blockManager.start()
    this.blockManager.on('tip', this.#onTip)
    this.blockManager.on('fatal', this.#onFatal)
    this.#lastTipAt = this.#now()
    if (signal.aborted) throw new AbortError('Start was aborted.')
    await this.#loadAnchors()
    if (this.#init.listen) await this.#listen()
    this.#accepting = true
    for (const t of [...(this.#init.connect ?? []), ...(this.#init.addnode ?? [])]) this.#addManual(t)
    for (const t of this.#init.seednode ?? []) this.#dialFetch(t)
    this.#feelerAt = this.#now() + this.#feelerDelay()
    this.#run(this.#dialLoop())
    this.#interval(
      () => this.#checkStaleTip(),
      Math.min(STALE_TIP_CHECK_MS, this.#init.extraPeerCheckMs ?? STALE_TIP_CHECK_MS),
    )
    this.#interval(() => this.#evictExtraOutbound(), this.#init.extraPeerCheckMs ?? EXTRA_PEER_CHECK_MS)
    // Core re-advertises our address to each outbound peer about once a day.
    this.#interval(() => {
      for (const e of this.#peers.values())
        if (e.ready && e.type === 'outbound-full-relay') this.#advertiseLocal(e)
    }, LOCAL_ADDRESS_BROADCAST_MS)
    this.#log.info(
      { network: this.network.name, ports: this.#boundPorts, addresses: this.addrManager.addrman.size() },
      'Server started.',
    )
  }

  protected async onStop(): Promise<void> {
    const started = this.#now()
    // 1. Stop accepting and dialing.
    this.#accepting = false
    // close() stops accepting at once; its callback waits for open
    // connections, which the peers' destruction below ends.
    const listenersClosed = Promise.all(
      this.#listeners.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    )
    this.#listeners.length = 0
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    // 2. Save anchors (block-relay-only peers), then disconnect every peer and wait for them.
    await this.#saveAnchors()
    const peers = [...this.#peers.values()]
    for (const e of peers) e.peer.destroy()
    await withDeadline(
      Promise.all([...peers.map((e) => e.peer.closed), listenersClosed]),
      PEER_CLOSE_DEADLINE_MS,
    )
    this.#peers.clear()
    // Dial loop, seeding and other tasks see the aborted signal and end.
    await withDeadline(Promise.allSettled([...this.#tasks]), PEER_CLOSE_DEADLINE_MS)
    // 3. The block manager, then the address manager (saves), the bans, the store.
    this.blockManager.off('tip', this.#onTip)
    this.blockManager.off('fatal', this.#onFatal)
    await this.blockManager.stop()
    await this.addrManager.stop()
    await this.bans.stop()
    await this.store.stop()
    this.#log.info({ ms: this.#now() - started }, 'Server stopped.')
  }

  #interval(fn: () => void, ms: number): void {
    const t = setInterval(() => {
      try {
        fn()
      } catch (err) {
        this.#log.error({ err }, 'A periodic task failed.')
      }
    }, ms)
    this.#timers.add(t)
  }

  /** Track a background task so stop() can wait for it. */
  #run(p: Promise<unknown>): void {
    const tracked = p
      .catch((err: unknown) => {
        if (!(err instanceof AbortError)) this.#log.error({ err }, 'A background task failed.')
      })
      .finally(() => this.#tasks.delete(tracked))
    this.#tasks.add(tracked)
  }

  // --- listening ---------------------------------------------------------------

  async #listen(): Promise<void> {
    const port = this.#init.port ?? this.network.defaultPort
    const binds = this.#init.bind?.length ? this.#init.bind : [`0.0.0.0:${port}`, `[::]:${port}`]
    for (const b of binds) {
      const { host, port: p } = splitHostPort(b, port)
      const server = net.createServer({ noDelay: true }, (socket) => this.#onInbound(socket))
      server.maxConnections = this.#init.maxConnections * 2
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen({ host, port: p, ipv6Only: host.includes(':') }, () => {
            server.off('error', reject)
            resolve()
          })
        })
      } catch (err) {
        server.close()
        // IPv6 may be unavailable; a failed bind of one family is not fatal if another works.
        this.#log.warn({ err, bind: b }, 'Could not listen on an address.')
        continue
      }
      server.on('error', (err) => this.#log.error({ err }, 'Listener error.'))
      this.#listeners.push(server)
      const addr = server.address()
      if (addr && typeof addr === 'object') this.#boundPorts.push(addr.port)
      this.#log.info({ address: addr }, 'Listening for inbound peers.')
    }
    if (this.#listeners.length === 0) throw new Error('Could not listen on any address.')
  }

  #inboundCount(): number {
    let n = 0
    for (const e of this.#peers.values()) if (e.inbound) n++
    return n
  }

  #maxInbound(): number {
    // Core: inbound = max − full-relay − block-relay − feeler.
    return Math.max(
      0,
      this.#init.maxConnections - this.#init.maxOutbound - this.#init.maxBlockRelayOnly - MAX_FEELER,
    )
  }

  #onInbound(socket: Socket): void {
    const ip = normalizeIp(socket.remoteAddress ?? '')
    if (!this.#accepting || !ip) {
      socket.destroy()
      return
    }
    const whitelisted = this.bans.isWhitelisted(ip)
    if (!whitelisted && this.bans.isBanned(ip)) {
      this.#log.debug({ ip }, 'Refused a banned inbound peer.')
      socket.destroy()
      return
    }
    const discouraged = !whitelisted && this.bans.isDiscouraged(ip)
    // The per-prefix handshake limit comes first, so that a refused newcomer
    // never costs an established peer its slot.
    const lease = this.#handshakes.acquire(ip)
    if (!lease) {
      this.#log.debug({ ip }, 'Too many handshakes in progress from this network; refused.')
      socket.destroy()
      return
    }
    if (this.#inboundCount() >= this.#maxInbound()) {
      // Core: a discouraged newcomer is refused when inbound is full; else evict one.
      if (discouraged || !this.#evictInbound()) {
        this.#log.debug({ ip, discouraged }, 'Inbound slots are full; refused a newcomer.')
        lease.release()
        socket.destroy()
        return
      }
    }
    const id = this.#nextId++
    const peer = Peer.accept(this.#peerComponents(), socket, {
      ...this.#peerInit('inbound', this.#init.v2Transport),
      id,
    })
    const addr = NetAddress.tryParse(ip)
    const service = addr ? { addr, port: socket.remotePort ?? 0 } : undefined
    this.#track(peer, id, true, 'inbound', service, undefined, false)
    // The handshake slot is held until the handshake ends, either way.
    void peer.whenReady().then(
      () => lease.release(),
      () => lease.release(),
    )
  }

  /** Core's inbound eviction; returns true if a peer was evicted. */
  #evictInbound(): boolean {
    const candidates: EvictionCandidate<number>[] = []
    for (const e of this.#peers.values()) {
      // Core: every inbound connection is a candidate, finished handshake or
      // not; otherwise sockets that never send `version` would hold the
      // slots until their handshake timeout and lock newcomers out.
      if (!e.inbound || e.peer.status === 'closed') continue
      const st = e.peer.stats()
      const ip = e.service?.addr
      const ipText = ip?.toString()
      candidates.push({
        id: e.id,
        connected: e.connectedAt,
        minPingTime: st.minPingMs ?? Number.POSITIVE_INFINITY,
        lastBlockTime: e.lastBlockAt,
        lastTxTime: e.lastTxAt,
        relevantServices: ((st.services ?? 0n) & Services.NODE_NETWORK) !== 0n,
        relayTxs: st.relay ?? false,
        bloomFilter: false,
        keyedNetGroup: keyedNetGroup(this.#secret, Buffer.from(e.group, 'hex')),
        preferEvict: ipText ? this.bans.isDiscouraged(ipText) : false,
        isLocal: ip?.isLocal() ?? false,
        noban: ipText ? this.bans.isWhitelisted(ipText) : false,
        network: evictionNetwork(ip),
        direction: 'inbound',
      })
    }
    const victim = selectNodeToEvict(candidates, { randrange: (n: number) => Math.floor(Math.random() * n) })
    if (victim === undefined) return false
    const e = this.#peers.get(victim)
    this.#log.info({ peer: e?.peer.address }, 'Evicting an inbound peer to make room.')
    e?.peer.destroy()
    return true
  }

  // --- outbound ---------------------------------------------------------------

  #peerComponents() {
    return { logger: this.#log.child({ component: 'peer' }), nonces: this.#nonces, now: this.#now }
  }

  /** The services we advertise: Core's defaults, and NODE_P2P_V2 when -v2transport is on. */
  get localServices(): bigint {
    const base = Services.NODE_NETWORK | Services.NODE_WITNESS
    return this.#init.v2Transport ? base | Services.NODE_P2P_V2 : base
  }

  #peerInit(type: ConnectionType, v2Transport: boolean) {
    return {
      network: this.network,
      connectionType: type,
      services: this.localServices,
      v2Transport,
      startHeight: () => this.blockManager.chain.tip.height,
      userAgent: this.#init.userAgent,
      handshakeTimeoutMs: this.#init.handshakeTimeoutMs,
      addrTrickleIntervalMs: this.#init.addrTrickleIntervalMs,
      sendHeaders: true,
      // BIP152: announce compact block support (sendcmpct(0, 2)); we serve
      // cmpctblock for recent blocks and push them to high-bandwidth peers.
      compactBlocks: true,
    }
  }

  #counts(): { full: number; blockRelay: number; feeler: number; manual: number; fetch: number } {
    const c = { full: 0, blockRelay: 0, feeler: 0, manual: 0, fetch: 0 }
    for (const e of this.#peers.values()) {
      if (e.type === 'outbound-full-relay') c.full++
      else if (e.type === 'block-relay-only') c.blockRelay++
      else if (e.type === 'feeler') c.feeler++
      else if (e.type === 'manual') c.manual++
      else if (e.type === 'addr-fetch') c.fetch++
    }
    return c
  }

  /** Groups of our outbound peers: one per group (Core). */
  #outboundGroups(): Set<string> {
    const g = new Set<string>()
    for (const e of this.#peers.values()) if (!e.inbound && e.type !== 'feeler') g.add(e.group)
    return g
  }

  /**
   * A peer's network group as hex. With `localRoutable` each local address
   * is its own group, and with `withPort` each address and port (our test
   * nodes all listen on 127.0.0.1).
   */
  #groupOf(s: ServiceAddress, withPort = true): string {
    return Buffer.from(
      this.addrManager.addrman.getGroup(s.addr, this.#init.localRoutable && withPort ? s.port : undefined),
    ).toString('hex')
  }

  async #dialLoop(): Promise<void> {
    const signal = this.shutdownSignal!
    while (!signal.aborted) {
      await sleep(this.#init.dialIntervalMs, signal)
      if (signal.aborted) return
      try {
        this.#connectManual()
        if ((this.#init.connect ?? []).length > 0 || !this.#init.useAddrmanOutgoing) continue
        this.#maybeSeed(signal)
        this.#openOutbound()
      } catch (err) {
        if (err instanceof AbortError) return
        this.#log.error({ err }, 'Outbound connection round failed.')
      }
    }
  }

  #connectManual(): void {
    const now = this.#now()
    const manualCount = this.#counts().manual
    for (const m of this.#manual.values()) {
      if (m.peerId !== undefined && this.#peers.has(m.peerId)) continue
      m.peerId = undefined
      if (m.resolving) continue
      if (now < m.nextAttempt || manualCount >= MAX_ADDNODE + (this.#init.connect?.length ?? 0)) continue
      m.tries++
      m.nextAttempt = now + Math.min(this.#init.manualRetryMaxMs, this.#init.manualRetryBaseMs * m.tries)
      const numeric = this.#numericService(m.target)
      if (numeric) {
        this.#dialManual(m, numeric)
        continue
      }
      // A host name (Core: addnode stores the string and looks it up on each
      // attempt). A failure logs one line and the target stays for the next try.
      m.resolving = true
      this.#run(
        this.#lookupService(m.target, 'Cannot connect to an addnode/connect target; will try again.')
          .then((s) => {
            if (s && this.#manual.get(m.target) === m) this.#dialManual(m, s)
          })
          .finally(() => {
            m.resolving = false
          }),
      )
    }
  }

  #addManual(target: string): void {
    this.#manual.set(target, { target, peerId: undefined, tries: 0, nextAttempt: 0, resolving: false })
  }

  #dialManual(m: ManualTarget, s: ServiceAddress): void {
    const entry = this.#dial(s, 'manual')
    if (entry) {
      m.peerId = entry.id
      entry.manualTarget = m.target
      void entry.peer.whenReady().then(
        () => {
          m.tries = 0
        },
        () => {},
      )
    }
  }

  /** `target` as a numeric service (Core Lookup without DNS), or undefined if it is not one. */
  #numericService(target: string): ServiceAddress | undefined {
    try {
      return parseService(target, this.network.defaultPort)
    } catch {
      return undefined
    }
  }

  /**
   * Core Lookup(target, defaultPort, fAllowLookup = -dns): a numeric address
   * at once, else the first address the resolver gives for the host name
   * (bounded by `dnsTimeoutMs`). A target that does not parse or resolve
   * logs one warning line (no stack: it is bad input, not a fault) and
   * gives undefined.
   */
  async #lookupService(target: string, message: string): Promise<ServiceAddress | undefined> {
    const numeric = this.#numericService(target)
    if (numeric) return numeric
    const hp = splitHostPort(target, this.network.defaultPort)
    let reason: string
    if (!hp.valid) reason = 'bad port'
    else if (hp.host === '' || /[\s[\]/]/.test(hp.host)) reason = 'not an address or host name'
    else if (!this.#init.dns) reason = 'host names are not looked up (-dns=0)'
    else {
      const signal = this.shutdownSignal
      const t = timeoutSignal(this.#init.dnsTimeoutMs, signal)
      try {
        const ips = await raceSignal(this.#resolve(hp.host, t.signal), t.signal)
        for (const ip of ips) {
          const addr = NetAddress.tryParse(ip)
          if (addr) return { addr, port: hp.port }
        }
        reason = 'the name has no address'
      } catch (err) {
        if (signal?.aborted) return undefined
        reason = (err as Error).message
      } finally {
        t.clear()
      }
    }
    this.#log.warn({ target, reason }, message)
    return undefined
  }

  #openOutbound(): void {
    const c = this.#counts()
    const now = this.#now()
    let type: ConnectionType | undefined
    let anchor: ServiceAddress | undefined
    if (this.#anchors.length > 0 && c.blockRelay < this.#init.maxBlockRelayOnly) {
      anchor = this.#anchors.shift()
      type = 'block-relay-only'
    } else if (c.full < this.#init.maxOutbound) type = 'outbound-full-relay'
    else if (c.blockRelay < this.#init.maxBlockRelayOnly) type = 'block-relay-only'
    else if (this.#extraOutbound && c.full <= this.#init.maxOutbound) type = 'outbound-full-relay'
    else if (
      this.#init.feelerIntervalMs !== 0 &&
      now >= this.#feelerAt &&
      c.feeler < MAX_FEELER &&
      this.addrManager.addrman.size() > 0
    ) {
      type = 'feeler'
      this.#feelerAt = now + this.#feelerDelay()
    }
    if (!type) return
    if (anchor) {
      this.#dial(anchor, type)
      return
    }
    const addrman = this.addrManager.addrman
    addrman.resolveCollisions()
    const groups = this.#outboundGroups()
    const outbound = c.full + c.blockRelay
    for (let tries = 0; tries < MAX_TRIES_PER_ROUND; tries++) {
      let ka = type === 'feeler' ? addrman.selectTriedCollision() : undefined
      ka ??= addrman.select({ newOnly: type === 'feeler', newBias: newBiasForOutbound(outbound), tries })
      if (!ka) return
      const s: ServiceAddress = { addr: ka.addr, port: ka.port }
      const key = serviceKey(s.addr, s.port)
      if (this.#connectedTo(key)) continue
      if (type !== 'feeler' && groups.has(this.#groupOf(s))) continue
      if (!s.addr.isValid() || (!this.#init.localRoutable && s.addr.isLocal())) return
      if (tries < RECENT_TRY_TRIES && ka.lastTry * 1000 > now - RECENT_TRY_MS) continue
      // Required services are checked after the handshake (the peer's own version is the truth).
      this.#dial(s, type, { services: ka.services })
      return
    }
  }

  #connectedTo(key: string): boolean {
    for (const e of this.#peers.values())
      if (e.service && serviceKey(e.service.addr, e.service.port) === key) return true
    return false
  }

  #feelerDelay(): number {
    const mean = this.#init.feelerIntervalMs ?? FEELER_INTERVAL_MS
    // Exponential (Poisson process), as Core's feeler timer.
    return -Math.log(1 - Math.random()) * mean
  }

  /**
   * Dial an address; the peer is tracked from the moment the dial starts.
   * v2 is tried when we speak it and the address advertises it (addrman's
   * services), or for addnode/connect/seednode targets whose services we do
   * not know (Core CConnman::OpenNetworkConnection's use_v2transport).
   * `v1Retry`: the reconnection over v1 after a failed v2 attempt.
   */
  #dial(
    s: ServiceAddress,
    type: ConnectionType,
    opts: { services?: bigint | undefined; v1Retry?: boolean } = {},
  ): PeerEntry | undefined {
    if (!this.#accepting) return undefined
    const key = serviceKey(s.addr, s.port)
    if (this.#connectedTo(key)) return undefined
    const ip = s.addr.toString()
    if (
      !this.bans.isWhitelisted(ip) &&
      (this.bans.isBanned(ip) || this.bans.isDiscouraged(ip)) &&
      type !== 'manual'
    ) {
      return undefined
    }
    const id = this.#nextId++
    const host = s.addr.net === Network.IPV6 ? s.addr.toString() : ip
    this.addrManager.addrman.attempt(s, this.#countFailures(), Math.floor(this.#now() / 1000))
    const v2 =
      this.#init.v2Transport &&
      !opts.v1Retry &&
      (opts.services !== undefined
        ? (opts.services & Services.NODE_P2P_V2) !== 0n
        : type === 'manual' || type === 'addr-fetch')
    const peer = Peer.dial(this.#peerComponents(), {
      ...this.#peerInit(type, v2),
      id,
      host,
      port: s.port,
      // No shutdown signal here: stop() destroys every tracked peer itself
      // (an abort listener per dial would pile up on one signal).
      connectTimeoutMs: this.#init.connectTimeoutMs,
    })
    return this.#track(peer, id, false, type, s, undefined, type === 'addr-fetch')
  }

  /** Core counts failed attempts only while we are online (enough peers connected). */
  #countFailures(): boolean {
    let ready = 0
    for (const e of this.#peers.values()) if (e.ready && !e.inbound) ready++
    return ready >= 2
  }

  #dialFetch(target: string): void {
    const numeric = this.#numericService(target)
    if (numeric) {
      this.#dial(numeric, 'addr-fetch')
      return
    }
    this.#run(
      this.#lookupService(target, 'Cannot connect to a seed node.').then((s) => {
        if (s) this.#dial(s, 'addr-fetch')
      }),
    )
  }

  // --- seeding ---------------------------------------------------------------

  /**
   * Start a seeding round in the background when the address manager is
   * nearly empty, at most one at a time and one per `seedRetryMs`. It never
   * blocks the connection loop: offline, DNS lookups can take their whole
   * timeout, and addnode peers must not wait for them.
   */
  #maybeSeed(signal: AbortSignal): void {
    if (this.#seeding) return
    const now = this.#now()
    if (this.addrManager.addrman.size() >= DNS_SEED_THRESHOLD / 10) return
    if (this.#lastSeedAttempt !== undefined && now - this.#lastSeedAttempt < this.#init.seedRetryMs) return
    if (this.#counts().full >= 2) return
    this.#lastSeedAttempt = now
    this.#seeding = true
    this.#run(
      this.#seed(signal).finally(() => {
        this.#seeding = false
      }),
    )
  }

  async #seed(signal: AbortSignal): Promise<void> {
    const addrman = this.addrManager.addrman
    const useDns = this.#init.dnsSeed && this.network.dnsSeeds.length > 0
    let found = 0
    let failed = 0
    // Offline every seed fails the same way: one warning per round names them
    // all (below); each failure alone is a debug line.
    const failures: { seed: string; reason: string }[] = []
    if (useDns) {
      const seeds = [...this.network.dnsSeeds]
      for (let i = seeds.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1))
        const t = seeds[i]!
        seeds[i] = seeds[j]!
        seeds[j] = t
      }
      for (const host of seeds) {
        if (signal.aborted) return
        const t = timeoutSignal(this.#init.dnsTimeoutMs, signal)
        try {
          // Core asks the seeds for peers with the services it needs: the
          // `x9.` subdomain (NETWORK | WITNESS), which every current seed
          // serves. The race bounds the lookup even if the resolver ignores
          // its signal. At most 32 addresses per seed (Core).
          const ips = (await raceSignal(this.#resolve(`x9.${host}`, t.signal), t.signal)).slice(0, 32)
          const source = NetAddress.internal(host)
          const nowSec = Math.floor(this.#now() / 1000)
          const addrs: PeerAddress[] = []
          for (const ip of ips) {
            const addr = NetAddress.tryParse(ip)
            if (!addr) continue
            // Core: a random age of 3 to 7 days.
            const age = 3 * 86400 + Math.floor(Math.random() * 4 * 86400)
            addrs.push({
              addr,
              port: this.network.defaultPort,
              time: nowSec - age,
              services: Services.NODE_NETWORK | Services.NODE_WITNESS,
            })
          }
          found += addrman.add(addrs, source)
        } catch (err) {
          if (signal.aborted) return
          failed++
          failures.push({ seed: host, reason: (err as Error).message })
          this.#log.debug({ seed: host, reason: (err as Error).message }, 'DNS seed lookup failed.')
        } finally {
          t.clear()
        }
      }
    }
    if (found > 0) {
      this.#log.info({ found }, 'Added addresses from DNS seeds.')
      return
    }
    const fixed = this.#init.fixedSeeds && this.network.fixedSeeds.length > 0
    // Core: fixed seeds after 60 s when DNS seeds exist, at once when there are none.
    const wait = useDns ? this.#init.fixedSeedsDelayMs : 0
    const sinceStart = this.#now() - this.#startedAt
    if (fixed && sinceStart >= wait) {
      const source = NetAddress.internal('fixed seeds')
      const nowSec = Math.floor(this.#now() / 1000)
      const addrs: PeerAddress[] = []
      for (const s of this.network.fixedSeeds) {
        try {
          const svc = parseService(s, this.network.defaultPort)
          addrs.push({
            ...svc,
            time: nowSec - 7 * 86400,
            services: Services.NODE_NETWORK | Services.NODE_WITNESS,
          })
        } catch {
          // Our own table: cannot happen.
        }
      }
      const added = addrman.add(addrs, source)
      this.#log.warn(
        { added, dnsSeedsFailed: failed, failures: failures.length > 0 ? failures : undefined },
        useDns ? 'No addresses from DNS seeds; added the fixed seeds.' : 'Added the fixed seeds.',
      )
    } else if (useDns) {
      this.#log.warn(
        {
          failed,
          failures,
          retryInSeconds: this.#init.seedRetryMs / 1000,
          fixedSeedsInSeconds: fixed ? Math.max(0, (wait - sinceStart) / 1000) : undefined,
        },
        fixed
          ? 'Could not get addresses from any DNS seed (offline?); will retry, and use the fixed seeds soon.'
          : 'Could not get addresses from any DNS seed (offline?); will retry.',
      )
    }
  }

  // --- peers -----------------------------------------------------------------

  #track(
    peer: Peer,
    id: number,
    inbound: boolean,
    type: ConnectionType,
    service: ServiceAddress | undefined,
    manualTarget: string | undefined,
    fetchOnly: boolean,
  ): PeerEntry {
    const randrange = { randrange: (n: number) => Math.floor(Math.random() * n) }
    const entry: PeerEntry = {
      peer,
      id,
      inbound,
      type,
      service,
      // An inbound peer's port is ephemeral: its group is its address's.
      group: service ? this.#groupOf(service, !inbound) : 'unknown',
      addrState: new PeerAddrState({ random: randrange, now: this.#now }),
      known: new InvCache({}, { max: 5000 }),
      connectedAt: this.#now(),
      sync: undefined,
      ready: false,
      lastBlockAt: 0,
      lastTxAt: 0,
      getaddrAnswered: false,
      manualTarget,
      fetchOnly,
    }
    this.#peers.set(id, entry)
    const offs = [
      peer.on('ready', () => this.#onReady(entry)),
      peer.on('message', (m) => this.#onMessage(entry, m)),
      peer.on('misbehaving', (r) => this.#onMisbehaving(entry, r.error)),
      peer.on('close', (info) => {
        for (const off of offs) off()
        this.#onClose(entry)
        if (info.reconnectAsV1) this.#reconnectAsV1(entry)
      }),
    ]
    return entry
  }

  /**
   * Core's reconnect-as-v1: an outbound v2 attempt that the remote closed
   * before sending anything is probably a v1-only node; dial it once more,
   * over v1, with the same connection type (CConnman::DisconnectNodes and
   * ShouldReconnectV1).
   */
  #reconnectAsV1(e: PeerEntry): void {
    if (e.inbound || !e.service || !this.#accepting) return
    this.#log.debug({ peer: e.peer.address }, 'Retrying with the v1 transport protocol.')
    const again = this.#dial(e.service, e.type, { v1Retry: true })
    if (again && e.manualTarget !== undefined) {
      again.manualTarget = e.manualTarget
      const m = this.#manual.get(e.manualTarget)
      if (m && m.peerId === e.id) m.peerId = again.id
    }
  }

  #onReady(e: PeerEntry): void {
    const st = e.peer.state
    if (st.status !== 'ready') return
    e.ready = true
    const nowSec = Math.floor(this.#now() / 1000)
    if (!e.inbound && e.service) {
      // Core: the address is good once the handshake completed on an outbound link.
      this.addrManager.addrman.good(e.service, nowSec)
      this.addrManager.addrman.setServices(e.service, st.remote.services)
    }
    if (e.type === 'feeler') {
      // A feeler only tests that the address works. Leave once our verack
      // has gone out, so the other side sees a complete handshake (Core
      // disconnects a feeler after sending it): destroy() drops unsent data.
      this.#destroyAfterFlush(e.peer)
      return
    }
    if (e.type === 'outbound-full-relay' || e.type === 'addr-fetch' || e.type === 'manual') {
      // Ask outbound peers for addresses (not block-relay-only links).
      e.addrState.onGetAddrSent()
      e.peer.send({ command: 'getaddr' })
    }
    if (e.type === 'outbound-full-relay' || e.type === 'manual') this.#advertiseLocal(e)
    if (e.type !== 'addr-fetch') {
      e.sync = this.#syncPeer(e)
      this.blockManager.addPeer(e.sync)
    }
    this.#log.info(
      {
        peer: e.peer.address,
        dir: e.inbound ? 'in' : 'out',
        type: e.type,
        ua: st.remote.userAgent,
        height: st.remote.startHeight,
      },
      'Peer connected.',
    )
    for (const fn of this.#events['peer:ready'])
      fn({ id: e.id, addr: e.peer.address, inbound: e.inbound, type: e.type })
  }

  /**
   * Destroy `peer` once everything queued for it has been handed to the
   * kernel, or after {@link FLUSH_DEADLINE_MS}. The poll timer is tracked,
   * so stop() clears it (and destroys the peer itself).
   */
  #destroyAfterFlush(peer: Peer): void {
    const deadline = this.#now() + FLUSH_DEADLINE_MS
    let timer: NodeJS.Timeout
    const tick = (): void => {
      this.#timers.delete(timer)
      if (peer.status === 'closed') return
      if (peer.bufferedBytes === 0 || this.#now() >= deadline) {
        peer.destroy()
        return
      }
      timer = setTimeout(tick, FLUSH_POLL_MS)
      this.#timers.add(timer)
    }
    timer = setTimeout(tick, 0)
    this.#timers.add(timer)
  }

  /**
   * Our own addresses, best first: -externalip, then routable addresses of
   * our interfaces (Core's -discover), on the port we listen on.
   */
  localAddresses(): ServiceAddress[] {
    const port = this.#boundPorts[0] ?? this.#init.port ?? this.network.defaultPort
    const out: ServiceAddress[] = []
    const seen = new Set<string>()
    const push = (s: ServiceAddress) => {
      const k = serviceKey(s.addr, s.port)
      if (!seen.has(k) && s.addr.isRoutable()) {
        seen.add(k)
        out.push(s)
      }
    }
    for (const x of this.#init.externalIp ?? []) {
      try {
        push(parseService(x, port))
      } catch {
        this.#log.warn({ externalIp: x }, 'Ignoring an unparsable external address.')
      }
    }
    if (this.#init.discover ?? true) {
      for (const list of Object.values(networkInterfaces())) {
        for (const i of list ?? []) {
          const a = NetAddress.tryParse(i.address)
          if (a) push({ addr: a, port })
        }
      }
    }
    return out
  }

  /**
   * Core's AdvertiseLocal: tell an outbound peer our address, when we listen
   * and are out of initial block download, so that others can find us.
   */
  #advertiseLocal(e: PeerEntry): void {
    if (!this.#init.listen || this.blockManager.initialBlockDownload) return
    const best = this.localAddresses()[0]
    if (!best) return
    const services = this.localServices
    e.peer.relayAddresses([toAddrV2({ ...best, time: Math.floor(this.#now() / 1000), services })])
  }

  #syncPeer(e: PeerEntry): SyncPeer {
    const st = e.peer.state
    const remote = st.status === 'ready' ? st.remote : undefined
    return {
      id: e.id,
      label: `${e.peer.address} (${e.inbound ? 'inbound' : 'outbound'})`,
      inbound: e.inbound,
      startHeight: remote?.startHeight ?? 0,
      // Core CanServeBlocks: NODE_NETWORK or NODE_NETWORK_LIMITED.
      canServeBlocks:
        remote === undefined ||
        (remote.services & (Services.NODE_NETWORK | Services.NODE_NETWORK_LIMITED)) !== 0n,
      get prefersHeaders() {
        const s = e.peer.state
        return s.status === 'ready' && s.features.prefersHeaders
      },
      get compactBlocks() {
        const s = e.peer.state
        return s.status === 'ready' && s.features.compact !== undefined
      },
      get compactHighBandwidth() {
        const s = e.peer.state
        return s.status === 'ready' && s.features.compact?.announce === true
      },
      setCompactHighBandwidth: (on: boolean) => {
        if (e.peer.state.status === 'ready') e.peer.send({ command: 'sendcmpct', announce: on, version: 2n })
      },
      send: (m: Message) => {
        if (m.command === 'inv' && e.type === 'block-relay-only') {
          // Only blocks on block-relay-only links (the manager only announces blocks).
        }
        e.peer.send(m)
      },
      sendRaw: (command: string, payload: Uint8Array) => {
        // Blocks from our store go out as they are: no decode and re-encode.
        if (command === 'block') e.peer.sendEncoded('block', payload)
      },
      hasInventory: (type: number, hash: Hash) => e.known.has({ type, hash }),
      addInventory: (type: number, hash: Hash) => e.known.add({ type, hash }),
      misbehaving: (err: ProtocolError) => this.#onMisbehaving(e, err),
      disconnect: (reason: string) => {
        this.#log.info({ peer: e.peer.address, reason }, 'Disconnecting peer.')
        e.peer.destroy()
      },
    }
  }

  #onMessage(e: PeerEntry, m: Message): void {
    switch (m.command) {
      case 'addr':
      case 'addrv2':
        this.#onAddr(e, m)
        return
      case 'getaddr':
        this.#onGetAddr(e)
        return
      case 'block':
        // Core's m_last_block_announcement: only blocks new to us count.
        if (!this.blockManager.chain.get(blockHash(m.block.header))?.haveData) e.lastBlockAt = this.#now()
        if (e.sync) this.blockManager.onMessage(e.sync, m)
        return
      case 'cmpctblock':
      case 'getblocktxn':
      case 'blocktxn':
        if (e.sync) this.blockManager.onMessage(e.sync, m)
        return
      case 'headers':
      case 'inv':
      case 'notfound':
      case 'getheaders':
      case 'getblocks':
      case 'getdata':
        if (m.command === 'headers' && m.headers.length > 0) {
          const last = m.headers[m.headers.length - 1]!
          if (!this.blockManager.chain.has(blockHash(last))) e.lastBlockAt = this.#now()
        }
        if (e.sync) this.blockManager.onMessage(e.sync, m)
        return
      case 'tx':
        e.lastTxAt = this.#now()
        return
      default:
        return
    }
  }

  #onAddr(e: PeerEntry, m: Message & { command: 'addr' | 'addrv2' }): void {
    if (e.type === 'block-relay-only') return
    const received: PeerAddress[] = []
    if (m.command === 'addr') {
      for (const a of m.addresses) {
        const addr = NetAddress.fromV1(a.ip)
        received.push({ addr, port: a.port, time: a.time, services: a.services })
      }
    } else {
      for (const a of m.addresses) {
        const addr = NetAddress.fromBip155(a.networkId, a.addr)
        if (addr) received.push({ addr, port: a.port, time: a.time, services: a.services })
      }
    }
    const local = this.#init.localRoutable === true
    const result = e.addrState.receive(received, {
      isRoutable: (a) => a.addr.isValid() && (a.addr.isRoutable() || (local && a.addr.isLocal())),
      isReachable: (a) => a.addr.net === Network.IPV4 || a.addr.net === Network.IPV6,
      isBanned: (a) => {
        const ip = a.addr.toString()
        return this.bans.isBanned(ip) || this.bans.isDiscouraged(ip)
      },
    })
    if (result.store.length > 0 && e.service) {
      // Core: a 2-hour time penalty for addresses learned from peers.
      this.addrManager.addrman.add(result.store, e.service.addr, 2 * 60 * 60)
    }
    for (const { addr, reachable } of result.relay) this.#relayAddress(e, addr, reachable)
    if (e.fetchOnly && received.length > 1) {
      this.#log.debug(
        { peer: e.peer.address, count: received.length },
        'Got addresses from a seed node; leaving.',
      )
      e.peer.destroy()
    }
  }

  #relayAddress(source: PeerEntry, a: PeerAddress, reachable: boolean): void {
    const ids: number[] = []
    for (const e of this.#peers.values()) {
      if (e.ready && e.type !== 'block-relay-only' && e.type !== 'feeler' && e.type !== 'addr-fetch')
        ids.push(e.id)
    }
    const targets = this.#relayTargets.select(
      { net: a.addr.net, bytes: a.addr.addrBytes(), port: a.port },
      { now: Math.floor(this.#now() / 1000), peers: ids, source: source.id, reachable },
    )
    const entry: AddrV2Entry = { ...toAddrV2(a) }
    for (const id of targets) this.#peers.get(id)?.peer.relayAddresses([entry])
  }

  #onGetAddr(e: PeerEntry): void {
    // Core answers getaddr once per connection, and only to inbound peers.
    if (!e.inbound || e.getaddrAnswered) return
    e.getaddrAnswered = true
    const net = e.service?.addr.net ?? Network.IPV4
    const key = addrCacheKey(net, 'local', this.#boundPorts[0] ?? 0, true)
    const addrs = this.#addrCache.get(key, () =>
      this.addrManager.addrman.getAddresses(GETADDR_MAX, GETADDR_PCT, undefined, true),
    )
    if (addrs.length === 0) return
    e.peer.relayAddresses(addrs.map(toAddrV2))
  }

  #onMisbehaving(e: PeerEntry, err: ProtocolError): void {
    if (!isProtocolError(err) || err.severity === 'ignore') return
    const ip = e.service?.addr.toString()
    const whitelisted = ip ? this.bans.isWhitelisted(ip) : false
    if (whitelisted) {
      // Core keeps noban peers; ours may still be closed by the peer itself
      // when the error makes the stream unusable, but is never discouraged.
      this.#log.info(
        { peer: e.peer.address, code: err.code },
        'A whitelisted peer misbehaved; not discouraged.',
      )
      return
    }
    // Core: manual and local peers are disconnected, not discouraged (with
    // localRoutable, loopback peers are ordinary peers).
    const local = e.service?.addr.isLocal() === true && this.#init.localRoutable !== true
    if (err.severity === 'discourage' && ip && e.type !== 'manual' && !local) {
      this.bans.discourage(ip)
      this.#log.info(
        { peer: e.peer.address, code: err.code, reason: err.message },
        'Peer misbehaved; discouraged and disconnected.',
      )
    } else {
      // Before the handshake this is usually not a Bitcoin node at all (a
      // captive portal answering HTTP, say): debug, or an offline node's log
      // fills with it.
      const level = e.ready ? 'info' : 'debug'
      this.#log[level](
        { peer: e.peer.address, code: err.code, reason: err.message },
        'Peer misbehaved; disconnected.',
      )
    }
    e.peer.destroy()
  }

  #onClose(e: PeerEntry): void {
    if (this.#peers.get(e.id) !== e) return
    this.#peers.delete(e.id)
    const st = e.peer.stats()
    this.#closedBytes.sent += st.bytesSent
    this.#closedBytes.received += st.bytesReceived
    if (e.sync) this.blockManager.removePeer(e.sync)
    if (e.ready && !e.inbound && e.service && e.type === 'outbound-full-relay') {
      this.addrManager.addrman.connected(e.service, Math.floor(this.#now() / 1000))
    }
    if (e.ready) this.#log.info({ peer: e.peer.address, type: e.type }, 'Peer disconnected.')
    for (const fn of this.#events['peer:closed']) fn({ id: e.id, addr: e.peer.address })
  }

  readonly #onFatal = (err: FatalStoreError): void => {
    for (const fn of this.#events.fatal) fn(err)
  }

  readonly #onTip = (): void => {
    this.#lastTipAt = this.#now()
    this.#extraOutbound = false
  }

  /** Core: no new block for 30 minutes → try one extra outbound peer. */
  #checkStaleTip(): void {
    const age = this.#init.staleTipAgeMs ?? STALE_TIP_AGE_MS
    if (this.#now() - this.#lastTipAt > age && this.blockManager.blocksInFlight === 0) {
      if (!this.#extraOutbound) this.#log.info('The tip looks stale; trying an extra outbound peer.')
      this.#extraOutbound = true
    }
  }

  /**
   * Core's EvictExtraOutboundPeers: with more full-relay outbound peers than
   * the target (the extra one tried for a stale tip), drop the one whose last
   * new block came longest ago (never counts as oldest; ties: the youngest
   * connection), once it has been connected 30 s. Also ends address-fetch
   * connections that outlived 5 minutes.
   */
  #evictExtraOutbound(): void {
    const now = this.#now()
    for (const e of this.#peers.values()) {
      if (e.fetchOnly && now - e.connectedAt > ADDR_FETCH_TIMEOUT_MS) {
        this.#log.debug({ peer: e.peer.address }, 'Address-fetch connection timed out.')
        e.peer.destroy()
      }
    }
    const full = [...this.#peers.values()].filter((e) => e.type === 'outbound-full-relay' && e.ready)
    if (full.length <= this.#init.maxOutbound) return
    let worst: PeerEntry | undefined
    for (const e of full) {
      if (
        !worst ||
        e.lastBlockAt < worst.lastBlockAt ||
        (e.lastBlockAt === worst.lastBlockAt && e.connectedAt > worst.connectedAt)
      ) {
        worst = e
      }
    }
    if (!worst || now - worst.connectedAt < MINIMUM_CONNECT_TIME_MS) return
    this.#log.info(
      { peer: worst.peer.address, lastBlockAgoMs: worst.lastBlockAt ? now - worst.lastBlockAt : null },
      'Disconnecting the extra outbound peer with the oldest block announcement.',
    )
    worst.peer.destroy()
  }

  // --- anchors -----------------------------------------------------------------

  async #loadAnchors(): Promise<void> {
    const file = join(this.#init.dataDir, ANCHORS_FILE)
    try {
      const list = JSON.parse(await readFile(file, 'utf8')) as string[]
      for (const s of list.slice(0, MAX_ANCHORS)) {
        try {
          this.#anchors.push(parseService(s, this.network.defaultPort))
        } catch {
          // skip bad entries
        }
      }
      this.#log.info({ anchors: this.#anchors.length }, 'Loaded anchors; dialling them first.')
    } catch {
      // No anchors file.
    }
    // Core deletes the file so a crash loop cannot keep dialling the same peers.
    await rm(file, { force: true })
  }

  async #saveAnchors(): Promise<void> {
    const list: string[] = []
    for (const e of this.#peers.values()) {
      if (e.type === 'block-relay-only' && e.ready && e.service) list.push(formatService(e.service))
    }
    if (list.length === 0) return
    try {
      await atomicWriteFile(
        join(this.#init.dataDir, ANCHORS_FILE),
        new TextEncoder().encode(JSON.stringify(list.slice(0, MAX_ANCHORS))),
      )
    } catch (err) {
      this.#log.warn({ err }, 'Could not save anchors.')
    }
  }

  // --- for RPC -----------------------------------------------------------------

  peerInfo(): PeerInfo[] {
    const out: PeerInfo[] = []
    for (const e of this.#peers.values()) {
      const sync = this.blockManager.peerSyncState(e.id)
      out.push({
        id: e.id,
        addr: e.peer.address,
        inbound: e.inbound,
        connectionType: e.type,
        stats: e.peer.stats(),
        syncedHeaders: sync?.bestKnownHeight ?? -1,
        syncedBlocks: sync?.lastCommonHeight ?? -1,
        inflight: sync?.inFlightHeights ?? [],
        lastBlockAt: sync?.lastBlockAt ?? 0,
        addrBind: e.peer.localAddress,
        transportProtocol: e.peer.transportProtocol,
        sessionId: e.peer.sessionId ?? '',
      })
    }
    return out
  }

  /** Bytes sent and received since start, over all peers (RPC getnettotals). */
  netTotals(): { sent: number; received: number } {
    let sent = this.#closedBytes.sent
    let received = this.#closedBytes.received
    for (const e of this.#peers.values()) {
      const st = e.peer.stats()
      sent += st.bytesSent
      received += st.bytesReceived
    }
    return { sent, received }
  }

  /** Send a ping to every ready peer (RPC ping). */
  pingAll(): void {
    for (const e of this.#peers.values()) if (e.ready) e.peer.ping().catch(() => {})
  }

  get connectionCount(): number {
    let n = 0
    for (const e of this.#peers.values()) if (e.ready) n++
    return n
  }

  /** Disconnect a peer by id or address. */
  disconnect(which: number | string): boolean {
    for (const e of this.#peers.values()) {
      if (e.id === which || e.peer.address === which) {
        e.peer.destroy()
        return true
      }
    }
    return false
  }

  /** RPC addnode: add | remove | onetry. */
  addNode(target: string, command: 'add' | 'remove' | 'onetry'): void {
    if (command === 'add') this.#addManual(target)
    else if (command === 'remove') {
      const m = this.#manual.get(target)
      this.#manual.delete(target)
      if (m?.peerId !== undefined) this.#peers.get(m.peerId)?.peer.destroy()
    } else {
      const numeric = this.#numericService(target)
      if (numeric) this.#dial(numeric, 'manual')
      else {
        if (!this.#init.dns) throw new InvalidAddressError(target, 'host names are not looked up (-dns=0)')
        this.#run(
          this.#lookupService(target, 'Cannot connect to an addnode onetry target.').then((s) => {
            if (s) this.#dial(s, 'manual')
          }),
        )
      }
    }
  }

  addedNodes(): { target: string; connected: boolean }[] {
    return [...this.#manual.values()].map((m) => ({
      target: m.target,
      connected: m.peerId !== undefined && this.#peers.get(m.peerId)?.ready === true,
    }))
  }

  /** Ban an address or subnet; connected peers in it are disconnected. */
  /** Ban an address or subnet until a time, or for a duration from now (default 24 h). */
  async ban(
    subnet: string,
    when: { until?: number | undefined; durationMs?: number | undefined } = {},
  ): Promise<void> {
    await this.bans.ban(subnet, when)
    for (const e of [...this.#peers.values()]) {
      const ip = e.service?.addr.toString()
      // Whitelisted (noban) peers are exempt: admission lets them back in anyway.
      if (ip && this.bans.isBanned(ip) && !this.bans.isWhitelisted(ip)) {
        this.#log.info({ peer: e.peer.address, subnet }, 'Disconnecting a banned peer.')
        e.peer.destroy()
      }
    }
  }
}

/** `p`, or the signal's reason once it aborts; the listener is removed either way. */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/** Wait for `p`, but at most `ms`; leaves no timer behind. */
async function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

function toAddrV2(a: PeerAddress): AddrV2Entry {
  const b = a.addr.toBip155()
  return { time: a.time, services: a.services, networkId: b.networkId, addr: b.addr, port: a.port }
}

function evictionNetwork(a: NetAddress | undefined): EvictionCandidate['network'] {
  if (!a) return 'unroutable'
  if (a.isLocal()) return 'unroutable'
  switch (a.net) {
    case Network.IPV4:
      return 'ipv4'
    case Network.IPV6:
      return 'ipv6'
    case Network.ONION:
      return 'onion'
    case Network.I2P:
      return 'i2p'
    case Network.CJDNS:
      return 'cjdns'
    default:
      return 'unroutable'
  }
}
