/**
 * Server: the node's peers and the order in which its parts start and stop.
 * It tracks every peer, routes their messages to the block manager and the
 * address relay, answers the RPC facade, and composes the connection
 * policies, each a Service in its own module:
 *
 * - seeding.ts: DNS and fixed seeds (Core ThreadDNSAddressSeed);
 * - anchors.ts: block-relay-only peers kept across restarts (ReadAnchors/DumpAnchors);
 * - stale-tip.ts: the stale-tip check and the extra outbound peer
 *   (CheckForStaleTipAndEvictPeers, EvictExtraOutboundPeers);
 * - inbound.ts: listening and inbound admission (AcceptConnection);
 * - outbound.ts: outbound dialing and slots (ThreadOpenConnections).
 *
 * The components (address manager, ban list, block store, block manager,
 * random source, clock, resolver, logger) come from `createNode` (node.ts).
 *
 * The block manager reaches each ready peer through a PeerLink
 * (sync-peer.ts); it owns block and header requests, and tells the server
 * which peer gave it a new block (`peer:block`), from which the eviction
 * statistics are kept. What is left here is the peer table, message
 * routing, the address relay glue and the RPC facade.
 *
 * Start: address manager (loads peers.dat) → ban list → block store → block
 * manager → the policies in the order above (startInOrder). Stop: the
 * policies in reverse (stopInReverse: dialing ends, listeners close, anchors
 * are saved while their peers are still connected), then every peer is
 * disconnected and awaited, then the block manager, the address manager
 * (saves peers.dat), the ban list and the store. Everything started on behalf
 * of a component (a timer, a dial, a DNS lookup) is registered before it
 * begins and cancelled on stop.
 *
 * Over 600 lines, for a reason: peer tracking and message routing share the
 * peer table; the policies are in their own modules.
 */
import type { Socket } from 'node:net'
import {
  ADDR_TIME_PENALTY_SECONDS,
  type AddrManager,
  MAX_ADDR_TO_SEND,
  MAX_PCT_ADDR_TO_SEND,
  NetAddress,
  Network,
  type PeerAddress,
  type ServiceAddress,
  serviceKey,
} from '@node/addrmgr'
import type { BlockManager, PeerBlockEvent } from '@node/blockmgr'
import type { BlockStore, FatalStoreError } from '@node/chain'
import { InvCache } from '@node/inv-cache'
import { type ConnectionType, NonceSet, Peer, type PeerPermission, type PeerStats } from '@node/peer'
import { AbortError, type Logger, Service, startInOrder, stopInReverse, TypedEmitter } from '@node/runtime'
import {
  type AddrV2Entry,
  type Command,
  InvType,
  type Message,
  type NetworkParams,
  type ProtocolError,
  Services,
  WITNESS_FLAG,
} from '@node/wire'
import { AddrRelayTargets, AddrResponseCache, addrCacheKey, PeerAddrState } from './addr-relay.ts'
import { Anchors } from './anchors.ts'
import type { BanList } from './bans.ts'
import type { NodeComponents } from './components.ts'
import { type ResolvedInit, resolveInit, type ServerInit } from './config.ts'
import {
  FLUSH_DEADLINE_MS,
  FLUSH_POLL_MS,
  LOCAL_ADDRESS_BROADCAST_MS,
  PEER_CLOSE_DEADLINE_MS,
  PEER_KNOWN_INVENTORY,
  POLICY_STOP_DEADLINE_MS,
} from './constants.ts'
import { InboundAdmission } from './inbound.ts'
import { localAddresses } from './local-address.ts'
import { onMisbehaving } from './misbehaviour.ts'
import { type AutomaticOutboundType, OutboundConnections } from './outbound.ts'
import { type PeerEntry, type PeerHost, toAddrV2 } from './peers.ts'
import { ProxyPolicy } from './proxy.ts'
import { Seeding } from './seeding.ts'
import type { SipKey } from './siphash.ts'
import { slotLimits } from './slots.ts'
import { StaleTipCheck } from './stale-tip.ts'
import { PeerLink, type PeerLinkHost } from './sync-peer.ts'
import { Tasks, withDeadline } from './tasks.ts'
import { UploadTarget, type UploadTargetInfo } from './upload-target.ts'

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
  /** What its -whitelist range grants (Core getpeerinfo `permissions`). */
  readonly permissions: readonly PeerPermission[]
  /** Accepted on an onion bind: connected through Tor (getpeerinfo `network`: onion). */
  readonly inboundOnion: boolean
}

export interface ServerEvents {
  'peer:ready': [info: { id: number; addr: string; inbound: boolean; type: ConnectionType }]
  'peer:closed': [info: { id: number; addr: string }]
  /** The block store could not write: the host must shut the node down (bitcoind aborts). */
  fatal: [err: FatalStoreError]
}

export class Server extends Service {
  readonly network: NetworkParams
  readonly addrManager: AddrManager
  readonly store: BlockStore
  readonly blockManager: BlockManager
  readonly bans: BanList
  readonly #components: NodeComponents
  readonly #log: Logger
  /** What each peer's block-manager handle (PeerLink) may ask of the server. */
  readonly #linkHost: PeerLinkHost
  readonly #init: ResolvedInit
  readonly #now: () => number
  readonly #nonces = new NonceSet()
  readonly #proxies: ProxyPolicy
  readonly #peers = new Map<number, PeerEntry>()
  readonly #tasks: Tasks
  readonly #secret: SipKey
  readonly #relayTargets: AddrRelayTargets
  readonly #addrCache: AddrResponseCache<PeerAddress>
  readonly #seeding: Seeding
  readonly #anchors: Anchors
  readonly #staleTip: StaleTipCheck
  readonly #uploadTarget: UploadTarget
  readonly #inbound: InboundAdmission
  readonly #outbound: OutboundConnections
  readonly #events: TypedEmitter<ServerEvents>
  #nextId = 1
  #accepting = false
  #networkActive = true
  #startedAt = 0
  /** Traffic of peers that have closed (for getnettotals). */
  #closedBytes = { sent: 0, received: 0 }

  /** Use `createNode`, which builds the components. */
  constructor(components: NodeComponents, init: ServerInit) {
    super()
    this.#components = components
    this.#init = resolveInit(init)
    this.#proxies = new ProxyPolicy({
      proxy: init.proxy,
      onionProxy: init.onionProxy,
      randomize: this.#init.proxyRandomize,
    })
    this.network = init.network
    this.addrManager = components.addrManager
    this.bans = components.bans
    this.store = components.store
    this.blockManager = components.blockManager
    this.#log = components.logger.child({ component: 'server' })
    this.#events = new TypedEmitter<ServerEvents>((err, event) =>
      this.#log.error({ err, event }, 'A server listener threw.'),
    )
    this.#linkHost = { log: this.#log, misbehaving: (e, err) => this.#onMisbehaving(e, err) }
    this.#now = components.now
    this.#tasks = new Tasks(this.#log)
    const seed = components.random.randbytes(16)
    const view = new DataView(seed.buffer, seed.byteOffset, seed.byteLength)
    this.#secret = { k0: view.getBigUint64(0, true), k1: view.getBigUint64(8, true) }
    this.#relayTargets = new AddrRelayTargets({ secret: this.#secret })
    this.#addrCache = new AddrResponseCache<PeerAddress>({ random: components.random, now: this.#now })
    this.#uploadTarget = new UploadTarget(
      { now: this.#now, bytesSent: () => this.netTotals().sent },
      { target: init.maxUploadTarget ?? 0 },
    )
    const limits = slotLimits({
      maxConnections: this.#init.maxConnections,
      maxOutbound: this.#init.maxOutbound,
      maxBlockRelayOnly: this.#init.maxBlockRelayOnly,
    })
    const host = this.#peerHost()
    this.#seeding = new Seeding(components, this.#init)
    this.#anchors = new Anchors(components, host, this.#init)
    this.#staleTip = new StaleTipCheck(components, host, {
      ...this.#init,
      maxOutbound: limits['outbound-full-relay'],
    })
    this.#inbound = new InboundAdmission(components, host, {
      ...this.#init,
      maxInbound: limits.inbound,
      secret: this.#secret,
    })
    this.#outbound = new OutboundConnections(
      components,
      host,
      { seeding: this.#seeding, anchors: this.#anchors, staleTip: this.#staleTip },
      { ...this.#init, limits },
    )
  }

  /** Add a listener; returns a function that removes it. */
  on<K extends keyof ServerEvents>(event: K, fn: (...args: ServerEvents[K]) => void): () => void {
    return this.#events.on(event, fn)
  }

  off<K extends keyof ServerEvents>(event: K, fn: (...args: ServerEvents[K]) => void): void {
    this.#events.off(event, fn)
  }

  /** Ports we listen on (after start). */
  get ports(): readonly number[] {
    return this.#inbound.ports
  }

  get startedAt(): number {
    return this.#startedAt
  }

  // --- lifecycle -------------------------------------------------------------

  /** The policy modules, in start order. */
  get #policies(): Service[] {
    return [this.#seeding, this.#anchors, this.#staleTip, this.#inbound, this.#outbound]
  }

  protected async onStart(signal: AbortSignal): Promise<void> {
    this.#startedAt = this.#now()
    const c = this.#components
    await startInOrder([c.addrManager, c.bans, c.store, c.blockManager], { signal })
    this.blockManager.on('fatal', this.#onFatal)
    this.blockManager.on('peer:block', this.#onPeerBlock)
    if (signal.aborted) throw new AbortError('Start was aborted.')
    this.#accepting = true
    await startInOrder(this.#policies, { signal })
    // Core re-advertises our address to each outbound peer about once a day.
    this.#tasks.interval(() => {
      for (const e of this.#peers.values())
        if (e.ready && e.type === 'outbound-full-relay') this.#advertiseLocal(e)
    }, LOCAL_ADDRESS_BROADCAST_MS)
    this.#log.info(
      { network: this.network.name, ports: this.ports, addresses: this.addrManager.addrman.size() },
      'Server started.',
    )
  }

  protected async onStop(): Promise<void> {
    const started = this.#now()
    // 1. No new connections; the policies stop in reverse: dialing ends, the
    //    listeners close, anchors are saved while their peers are connected.
    this.#accepting = false
    this.#tasks.clearTimers()
    await stopInReverse(this.#policies, POLICY_STOP_DEADLINE_MS, this.#log)
    // 2. Disconnect every peer and wait for them (and for the listeners, which wait for their sockets).
    const peers = [...this.#peers.values()]
    for (const e of peers) e.peer.destroy()
    await withDeadline(
      Promise.all([...peers.map((e) => e.peer.closed), this.#inbound.closed]),
      PEER_CLOSE_DEADLINE_MS,
    )
    this.#peers.clear()
    // 3. The block manager, then the address manager (saves), the bans, the store.
    const c = this.#components
    this.blockManager.off('fatal', this.#onFatal)
    this.blockManager.off('peer:block', this.#onPeerBlock)
    await c.blockManager.stop()
    await c.addrManager.stop()
    await c.bans.stop()
    await c.store.stop()
    this.#log.info({ ms: this.#now() - started }, 'Server stopped.')
  }

  // --- peers -----------------------------------------------------------------

  /** The peer table as the policy modules see it. */
  #peerHost(): PeerHost {
    const accepting = (): boolean => this.#accepting && this.#networkActive
    return {
      get accepting() {
        return accepting()
      },
      peers: () => this.#peers.values(),
      get: (id) => this.#peers.get(id),
      connectedTo: (s) => this.#connectedTo(s),
      connect: (s, type, v2) => this.#connect(s, type, v2),
      accept: (socket, service, onion) => this.#accept(socket, service, onion),
      groupOf: (s, withPort) => this.#groupOf(s, withPort),
    }
  }

  #peerComponents() {
    return { logger: this.#log.child({ component: 'peer' }), nonces: this.#nonces, now: this.#now }
  }

  /** The services we advertise: Core's defaults, and NODE_P2P_V2 when -v2transport is on. */
  get localServices(): bigint {
    const base = Services.NODE_NETWORK | Services.NODE_WITNESS
    return this.#init.v2Transport ? base | Services.NODE_P2P_V2 : base
  }

  #peerInit(type: ConnectionType, v2Transport: boolean, remote: string | undefined) {
    return {
      network: this.network,
      connectionType: type,
      services: this.localServices,
      // BIP37 relay flag: we say what we do. The node has no mempool and
      // never asks for transactions, so relay = 0 on every link (Core
      // -blocksonly; a peer that sends transactions anyway is disconnected
      // unless it has the relay permission).
      relay: false,
      permissions: remote === undefined ? [] : this.bans.permissionsOf(remote, type === 'inbound'),
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

  #connectedTo(s: ServiceAddress): boolean {
    const key = serviceKey(s.addr, s.port)
    for (const e of this.#peers.values())
      if (e.service && serviceKey(e.service.addr, e.service.port) === key) return true
    return false
  }

  /** Dial an address; the peer is tracked from the moment the dial starts. */
  #connect(s: ServiceAddress, type: ConnectionType, v2: boolean): PeerEntry | undefined {
    if (!this.#accepting) return undefined
    const id = this.#nextId++
    const peer = Peer.dial(this.#peerComponents(), {
      ...this.#peerInit(type, v2, s.addr.toString()),
      id,
      host: s.addr.toString(),
      port: s.port,
      // No shutdown signal here: stop() destroys every tracked peer itself
      // (an abort listener per dial would pile up on one signal).
      connectTimeoutMs: this.#init.connectTimeoutMs,
      proxy: this.#proxies.forAddress(s.addr),
    })
    return this.#track(peer, id, false, type, s, type === 'addr-fetch', false)
  }

  /** An inbound socket the admission policy let in. */
  #accept(socket: Socket, service: ServiceAddress | undefined, onion: boolean): PeerEntry {
    const id = this.#nextId++
    const peer = Peer.accept(this.#peerComponents(), socket, {
      ...this.#peerInit('inbound', this.#init.v2Transport, service?.addr.toString()),
      id,
    })
    return this.#track(peer, id, true, 'inbound', service, false, onion)
  }

  #track(
    peer: Peer,
    id: number,
    inbound: boolean,
    type: ConnectionType,
    service: ServiceAddress | undefined,
    fetchOnly: boolean,
    inboundOnion: boolean,
  ): PeerEntry {
    const entry: PeerEntry = {
      peer,
      id,
      inbound,
      inboundOnion,
      type,
      service,
      // An inbound peer's port is ephemeral: its group is its address's.
      group: service ? this.#groupOf(service, !inbound) : 'unknown',
      addrState: new PeerAddrState({ random: this.#components.random, now: this.#now }),
      known: new InvCache({}, { max: PEER_KNOWN_INVENTORY }),
      connectedAt: this.#now(),
      sync: undefined,
      ready: false,
      lastBlockAt: 0,
      lastTxAt: 0,
      getaddrAnswered: false,
      fetchOnly,
    }
    this.#peers.set(id, entry)
    const offs = [
      peer.on('ready', () => this.#onReady(entry)),
      peer.on('message', (m, payload) => this.#onMessage(entry, m, payload)),
      peer.on('misbehaving', (r) => this.#onMisbehaving(entry, r.error)),
      peer.on('close', (info) => {
        for (const off of offs) off()
        this.#onClose(entry, info.error?.code)
        if (info.reconnectAsV1) this.#outbound.reconnectAsV1(entry)
      }),
    ]
    return entry
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
      e.sync = new PeerLink(e, this.#linkHost)
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
    this.#events.emit('peer:ready', { id: e.id, addr: e.peer.address, inbound: e.inbound, type: e.type })
  }

  /**
   * Destroy `peer` once everything queued for it has been handed to the
   * kernel, or after {@link FLUSH_DEADLINE_MS}. The poll timer is tracked,
   * so stop() clears it (and destroys the peer itself).
   */
  #destroyAfterFlush(peer: Peer): void {
    const deadline = this.#now() + FLUSH_DEADLINE_MS
    const tick = (): void => {
      if (peer.status === 'closed') return
      if (peer.bufferedBytes === 0 || this.#now() >= deadline) {
        peer.destroy()
        return
      }
      this.#tasks.timeout(tick, FLUSH_POLL_MS)
    }
    this.#tasks.timeout(tick, 0)
  }

  /**
   * Our own addresses, best first: -externalip, then routable addresses of
   * our interfaces (Core's -discover), on the port we listen on.
   */
  localAddresses(): ServiceAddress[] {
    return localAddresses(
      {
        port: this.ports[0] ?? this.#init.port ?? this.network.defaultPort,
        externalIp: this.#init.externalIp,
        discover: this.#init.discover,
      },
      this.#log,
    )
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

  #onMessage(e: PeerEntry, m: Message, payload: Uint8Array | undefined): void {
    switch (m.command) {
      case 'addr':
      case 'addrv2':
        this.#onAddr(e, m)
        return
      case 'getaddr':
        this.#onGetAddr(e)
        return
      case 'block':
        // Handed on with the bytes it came in: stored and relayed from them.
        if (e.sync) this.blockManager.onMessage(e.sync, m, payload)
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
        if (m.command === 'getdata' && this.#refusesHistoricalBlock(e, m)) {
          this.#log.info({ peer: e.peer.address }, 'Historical block serving limit reached; disconnecting.')
          e.peer.destroy()
          return
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

  /** Core ProcessGetBlockData's upload-target rule, for each block the getdata asks for. */
  #refusesHistoricalBlock(e: PeerEntry, m: Message & { command: 'getdata' }): boolean {
    if (this.#uploadTarget.target === 0) return false
    // Core: a peer with the download permission may exceed the target.
    const download = e.peer.hasPermission('download')
    const chain = this.blockManager.chain
    const bestTime = chain.bestHeader.header.time
    for (const item of m.inventory) {
      const type = item.type & ~WITNESS_FLAG
      if (type !== InvType.BLOCK && type !== InvType.CMPCT_BLOCK && type !== InvType.FILTERED_BLOCK) continue
      const entry = chain.get(item.hash)
      if (!entry) continue
      // Core: a filtered block counts as historical whatever its age.
      const time = type === InvType.FILTERED_BLOCK ? Number.NEGATIVE_INFINITY : entry.header.time
      if (this.#uploadTarget.refuses(time, bestTime, download)) return true
    }
    return false
  }

  /** getnettotals' upload target (Core -maxuploadtarget). */
  uploadTarget(): UploadTargetInfo {
    return this.#uploadTarget.info()
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
      this.addrManager.addrman.add(result.store, e.service.addr, ADDR_TIME_PENALTY_SECONDS)
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
    const key = addrCacheKey(net, 'local', this.ports[0] ?? 0, true)
    const addrs = this.#addrCache.get(key, () =>
      this.addrManager.addrman.getAddresses(MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, undefined, true),
    )
    if (addrs.length === 0) return
    e.peer.relayAddresses(addrs.map(toAddrV2))
  }

  #onMisbehaving(e: PeerEntry, err: ProtocolError): void {
    onMisbehaving(e, err, {
      bans: this.bans,
      localRoutable: this.#init.localRoutable === true,
      log: this.#log,
    })
  }

  /**
   * Core's m_last_block_time and m_last_block_announcement, for eviction
   * protection and the stale-tip check: a block or header new to us, from
   * this peer, as the block manager saw it (whole block or compact block).
   */
  readonly #onPeerBlock = (ev: PeerBlockEvent): void => {
    if (!ev.isNew) return
    const e = this.#peers.get(ev.peerId)
    if (e) e.lastBlockAt = this.#now()
  }

  readonly #onFatal = (err: FatalStoreError): void => {
    this.#events.emit('fatal', err)
  }

  #onClose(e: PeerEntry, reason: string | undefined): void {
    if (this.#peers.get(e.id) !== e) return
    this.#peers.delete(e.id)
    const st = e.peer.stats()
    this.#closedBytes.sent += st.bytesSent
    this.#closedBytes.received += st.bytesReceived
    if (e.sync) this.blockManager.removePeer(e.sync)
    if (e.ready && !e.inbound && e.service && e.type === 'outbound-full-relay') {
      this.addrManager.addrman.connected(e.service, Math.floor(this.#now() / 1000))
    }
    if (e.ready) this.#log.info({ peer: e.peer.address, type: e.type, reason }, 'Peer disconnected.')
    this.#events.emit('peer:closed', { id: e.id, addr: e.peer.address })
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
        permissions: e.peer.permissions,
        inboundOnion: e.inboundOnion,
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

  /** The node's clock in milliseconds (the mock time while one is set). */
  now(): number {
    return this.#now()
  }

  /** Whether P2P networking is on (Core fNetworkActive; RPC setnetworkactive). */
  get networkActive(): boolean {
    return this.#networkActive
  }

  /**
   * Core CConnman::SetNetworkActive: off disconnects every peer and neither
   * accepts nor opens connections until it is turned on again.
   */
  setNetworkActive(active: boolean): void {
    this.#log.info({ active }, 'SetNetworkActive')
    if (this.#networkActive === active) return
    this.#networkActive = active
    if (!active) for (const e of [...this.#peers.values()]) e.peer.destroy()
  }

  /** Regtest RPC addconnection (Core CConnman::AddConnection); false at capacity. */
  addConnection(target: string, type: AutomaticOutboundType, v2: boolean): boolean {
    return this.#outbound.addConnection(target, type, v2)
  }

  /**
   * Regtest RPC sendmsgtopeer: queue a message of any type with a raw payload
   * to peer `id`. False when no such peer is connected.
   */
  sendRawMessage(id: number, command: string, payload: Uint8Array): boolean {
    const e = this.#peers.get(id)
    if (!e?.ready) return false
    return e.peer.sendEncoded(command as Command, payload)
  }

  /** The mock time in milliseconds, or 0 while the system clock is used. */
  get mockTime(): number {
    return this.#components.clock.mockMs
  }

  /**
   * Set the node's clock (regtest `setmocktime`; 0: the system clock again),
   * then run what Core's message-handler loop would run against it at once:
   * each peer's ping and inactivity checks and the stale-tip check.
   */
  setMockTime(ms: number): void {
    this.#components.clock.setMock(ms)
    for (const e of [...this.#peers.values()]) e.peer.checkClock()
    this.#staleTip.checkNow()
  }

  /** RPC addnode: add | remove | onetry. */
  addNode(target: string, command: 'add' | 'remove' | 'onetry'): void {
    this.#outbound.addNode(target, command)
  }

  /** Whether `addnode … add` of `target` is a duplicate (Core CConnman::AddNode). */
  hasAddedNode(target: string): boolean {
    return this.#outbound.hasAddedNode(target)
  }

  addedNodes(): { target: string; connected: boolean }[] {
    return this.#outbound.addedNodes()
  }

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
