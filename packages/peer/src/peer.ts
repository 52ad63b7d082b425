/**
 * One Bitcoin P2P connection: version handshake in both orders, ping and
 * timeouts, a prioritised send queue with a byte cap, transaction trickling,
 * known-transaction and known-address filters, statistics, and a
 * `destroy()` that leaves nothing behind. Block and header requests are the
 * block manager's (it owns their deadlines and in-flight state); the peer
 * owns the connection.
 *
 * Untrusted bytes enter the node here, so nothing a peer sends may throw out
 * of a socket handler: every decoder error becomes a `misbehaving` event and
 * the reaction its severity asks for (`ignore`: drop the message;
 * `disconnect` and `discourage`: close after reporting). The peer never
 * decides bans; the server does, from those events.
 *
 * Core's reactions, which we follow (net_processing.cpp `PeerManagerImpl::ProcessMessage`):
 * - anything but `version` before `version`: ignored (Core logs "non-version
 *   message before version handshake" and keeps the connection; the 60 s
 *   handshake timeout bounds how long that can go on). Reported as a
 *   `misbehaving` event with severity `ignore` so the host can log it;
 * - non-negotiation messages between `version` and `verack`: ignored, the same way;
 * - a second `version` or `verack`: ignored;
 * - `wtxidrelay` or `sendaddrv2` after `verack`: disconnect;
 * - a version below 31800, our own nonce, or an outbound peer without the
 *   desirable services: disconnect;
 * - transactions or transaction `inv`s on a link where we sent relay = false:
 *   disconnect;
 * - a frame with a bad checksum or an invalid command field: dropped;
 * - `mempool` without NODE_BLOOM offered (unless the `mempool` or `noban`
 *   permission), `filterload`, `filteradd`, `filterclear` without it: disconnect.
 *
 * Flow control is Core's (net.cpp fPauseSend / fPauseRecv, net_processing.cpp
 * ProcessMessages): received messages wait in a bounded queue while more than
 * `sendBufferLimitBytes` are unsent to the peer, and the socket is not read
 * while that queue holds more than `recvQueueLimitBytes`. A peer that asks
 * faster than it reads is slowed down; it is disconnected only when nothing
 * reaches it for the inactivity timeout (net.cpp InactivityCheck). Memory per
 * peer is bounded by the two limits, plus one answer and one read.
 *
 * One connection's whole state machine (transport, handshake, timers, send
 * queue, flow control) shares private state; split further, each piece would
 * need the others' internals. Hence over 600 lines.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto'
import { createConnection, type Socket } from 'node:net'
import { RollingBloomFilter, RollingInvFilter } from '@node/inv-cache'
import { AbortError, type Logger, type NodeError, silentLogger, TypedEmitter } from '@node/runtime'
import {
  type AddrEntry,
  type AddrV2Entry,
  type Command,
  EncodeError,
  encodePayload,
  FEEFILTER_VERSION,
  type FrameEvent,
  type Hash,
  HEADER_SIZE,
  type InvItem,
  InvType,
  MAX_MONEY,
  MAX_PROTOCOL_MESSAGE_LENGTH,
  type Message,
  type MessageOf,
  MIN_PEER_PROTO_VERSION,
  type NetworkParams,
  PROTOCOL_VERSION,
  type ProtocolError,
  SENDHEADERS_VERSION,
  Services,
  type Severity,
  SHORT_IDS_BLOCKS_VERSION,
  toHex,
  WITNESS_FLAG,
  WTXID_RELAY_VERSION,
} from '@node/wire'
import { addrKey, addrToV1, addrToV2, ipTo16, sanitizeUserAgent } from './address.ts'
import {
  ADDRESS_BROADCAST_INTERVAL_MS,
  CMPCTBLOCKS_VERSION,
  CONNECT_TIMEOUT_MS,
  DEFAULT_SERVICES,
  DEFAULT_USER_AGENT,
  DESIRABLE_SERVICES,
  HANDSHAKE_TIMEOUT_MS,
  INACTIVITY_TIMEOUT_MS,
  INVENTORY_BROADCAST_MAX,
  INVENTORY_BROADCAST_TARGET,
  KNOWN_ADDR_ENTRIES,
  KNOWN_ADDR_FP_RATE,
  KNOWN_TX_ENTRIES,
  KNOWN_TX_FP_RATE,
  MAX_PENDING_ADDRESSES,
  MAX_PENDING_TX_ANNOUNCEMENTS,
  MAX_PING_WAITERS,
  MAX_SEND_BUFFER_BYTES,
  OUTBOUND_INVENTORY_BROADCAST_INTERVAL_MS,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  RECV_QUEUE_LIMIT_BYTES,
  SEND_BUFFER_LIMIT_BYTES,
  SOCKET_HIGH_WATER_BYTES,
} from './constants.ts'
import {
  BloomNotOfferedError,
  ConnectError,
  ConnectTimeoutError,
  HandshakeTimeoutError,
  InactivityTimeoutError,
  LateNegotiationError,
  MessageBeforeVerackError,
  MessageBeforeVersionError,
  MissingServicesError,
  ObsoleteVersionError,
  PeerClosedError,
  PeerInternalError,
  PeerNotReadyError,
  PingTimeoutError,
  RedundantVersionError,
  RemoteClosedError,
  SelfConnectionError,
  SendBufferFullError,
  SocketError,
  TooManyRequestsError,
  TxRelayViolationError,
} from './errors.ts'
import { NonceSet } from './nonces.ts'
import { PEER_PERMISSIONS, type PeerPermission } from './permissions.ts'
import { type PoissonClock, poissonDelay } from './poisson.ts'
import { Fifo, type Outgoing, SendQueue } from './send-queue.ts'
import { type ProxyCredentials, socks5Connect } from './socks5.ts'
import type {
  ConnectionType,
  Direction,
  PeerFeatures,
  PeerState,
  PeerStatus,
  ReadyState,
  RemoteVersion,
} from './state.ts'
import { type CommandCounter, TrafficCounters } from './stats.ts'
import type { Transport, TransportProtocol } from './transport/transport.ts'
import { V1Transport } from './transport/v1.ts'
import { V2Transport } from './transport/v2.ts'

// --- public types -------------------------------------------------------------------

export interface PeerComponents {
  /** Default: silent. Each peer logs through `.child({ peer, dir, id })`. */
  logger?: Logger | undefined
  /** Wall clock in ms (default Date.now). */
  now?: (() => number) | undefined
  /** Uniform in [0, 1), for Poisson timers (default Math.random). */
  random?: (() => number) | undefined
  /** Random bytes, for version and ping nonces (default node:crypto). */
  randomBytes?: ((n: number) => Uint8Array) | undefined
  /** Our version nonces, shared by all peers of a node to detect self-connections. */
  nonces?: NonceSet | undefined
  /** The Poisson clock shared by inbound peers for tx trickling (Core shares one). */
  inboundTrickleClock?: PoissonClock | undefined
}

export interface PeerInit {
  network: NetworkParams
  /**
   * BIP324. Outbound: open with the v2 handshake. Inbound: accept v2 as well
   * as v1 (told apart by the first bytes). Default false: v1 only.
   */
  v2Transport?: boolean | undefined
  /** Default: 'outbound-full-relay' for connect/dial, 'inbound' for accept. */
  connectionType?: ConnectionType | undefined
  /** Services we advertise (default NODE_NETWORK | NODE_WITNESS). */
  services?: bigint | undefined
  /** Our BIP14 user agent, `/name:version/`. */
  userAgent?: string | undefined
  /** The protocol version we speak (default 70016). */
  protocolVersion?: number | undefined
  /** Peers below this are disconnected (default 31800, Core). */
  minPeerVersion?: number | undefined
  /** Our best height, or a function read when `version` is sent. */
  startHeight?: number | (() => number) | undefined
  /**
   * BIP37 relay flag we send (whether we want transactions); default false
   * for block-relay-only and feeler links, else true. With false, a peer
   * that sends transactions anyway is disconnected unless it has the
   * `relay` permission (Core `RejectIncomingTxs`).
   */
  relay?: boolean | undefined
  /** What the peer may do (Core `NetPermissionFlags`, from -whitelist); default none. */
  permissions?: readonly PeerPermission[] | undefined
  /** Services an outbound peer must offer; default NETWORK | WITNESS where Core expects them. */
  requiredServices?: bigint | undefined
  /** Offer BIP339 wtxid relay (default true). */
  wtxidRelay?: boolean | undefined
  /** Offer BIP155 addrv2 (default true). */
  addrV2?: boolean | undefined
  /**
   * We serve compact blocks: send `sendcmpct(0, 2)` after verack. Off by
   * default, because a peer that receives it (bcoin) then asks us for
   * compact blocks (inv type 4) instead of blocks.
   */
  compactBlocks?: boolean | undefined
  /**
   * Send `sendheaders` right after verack. Core waits until the peer has
   * shown minimum chain work; a host that wants that calls
   * `send({ command: 'sendheaders' })` itself later.
   */
  sendHeaders?: boolean | undefined
  /** A feefilter (sat/kvB) to send after verack. */
  feeFilter?: bigint | undefined
  handshakeTimeoutMs?: number | undefined
  pingIntervalMs?: number | undefined
  pingTimeoutMs?: number | undefined
  inactivityTimeoutMs?: number | undefined
  /** Unsent bytes past which the peer's messages wait (default 1,000,000, Core -maxsendbuffer). */
  sendBufferLimitBytes?: number | undefined
  /** Bytes of waiting received messages past which the socket is not read (default 5,000,000, Core -maxreceivebuffer). */
  recvQueueLimitBytes?: number | undefined
  /** Guard against a host that ignores `bufferedBytes`: past it the peer is disconnected (default 10 MiB). */
  maxSendBufferBytes?: number | undefined
  /** Bytes handed to the socket before waiting for drain (default 128 KiB). */
  socketHighWaterBytes?: number | undefined
  /** Mean of this peer's tx trickle timer (default 5 s inbound, 2 s outbound). */
  txTrickleIntervalMs?: number | undefined
  /** Mean of this peer's address relay timer (default 30 s). */
  addrTrickleIntervalMs?: number | undefined
  /** Peer id for logs and statistics, assigned by the host (the server numbers its peers); default 0. */
  id?: number | undefined
}

export interface ConnectInit extends PeerInit {
  host: string
  /** Default: the network's port. */
  port?: number | undefined
  /** Aborting closes the peer (during connect, handshake or after). */
  signal?: AbortSignal | undefined
  /** TCP connect timeout (default 5 s, Core); with a proxy it covers the SOCKS5 exchange. The handshake has its own timeout. */
  connectTimeoutMs?: number | undefined
  /**
   * Connect through this SOCKS5 proxy (Core -proxy, -onion): the proxy is
   * dialled and asked to CONNECT to `host:port` by name, so IP literals and
   * `.onion` names alike are resolved by the proxy.
   */
  proxy?: ProxyInit | undefined
}

/** A SOCKS5 proxy to dial through. */
export interface ProxyInit {
  host: string
  port: number
  /** Username/password for the proxy (Core -proxyrandomize: different for every connection). */
  credentials?: ProxyCredentials | undefined
}

export interface Misbehaviour {
  readonly error: ProtocolError
  readonly severity: Severity
  /** The command of the offending frame, when known. */
  readonly command: string | undefined
}

export interface CloseInfo {
  readonly error: NodeError | undefined
  readonly wasReady: boolean
  /** An outbound v2 attempt closed before the peer sent anything: retry once over v1 (Core ShouldReconnectV1). */
  readonly reconnectAsV1: boolean
}

/** Events a peer emits. No event follows `close`. */
export interface PeerEvents {
  /** The handshake is complete. */
  ready: [state: ReadyState]
  /**
   * A message for the host, after the handshake. Messages the peer handles
   * itself (handshake, ping/pong, sendheaders, sendcmpct, feefilter) are not
   * emitted here. A `block` comes with its payload bytes, so that the host
   * stores and relays them without encoding the block again.
   */
  message: [message: Message, payload?: Uint8Array]
  /** A well-formed frame with a command we do not know (Core ignores these). */
  unknown: [command: string, payload: Uint8Array]
  /** The remote did something wrong; with severity other than `ignore` the peer closes right after. */
  misbehaving: [report: Misbehaviour]
  /** A pong answered our ping. */
  pong: [rttMs: number]
  /** The connection is closed; emitted once, last. */
  close: [info: CloseInfo]
}

export interface TxAnnouncement {
  readonly txid: Hash
  readonly wtxid: Hash
  /** Fee rate in sat/kvB; not announced to a peer whose feefilter is higher. */
  readonly feeRate?: bigint | undefined
}

export interface RequestOptions {
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
}

export interface PeerStats {
  readonly id: number
  readonly address: string
  readonly direction: Direction
  readonly connectionType: ConnectionType
  readonly status: PeerStatus
  /** ms; when the TCP connection existed. */
  readonly connectedAt: number | undefined
  readonly readyAt: number | undefined
  /** ms; when bytes last left for the socket's kernel buffer (0: never). */
  readonly lastSend: number
  /** ms; when the last complete message arrived (0: never). */
  readonly lastRecv: number
  readonly bytesSent: number
  readonly bytesReceived: number
  readonly messagesSent: number
  readonly messagesReceived: number
  readonly sent: Readonly<Record<string, Readonly<CommandCounter>>>
  readonly received: Readonly<Record<string, Readonly<CommandCounter>>>
  readonly pingMs: number | undefined
  readonly minPingMs: number | undefined
  /** How long the outstanding ping has waited. */
  readonly pingWaitMs: number | undefined
  /** Negotiated version. */
  readonly version: number | undefined
  readonly remoteVersion: number | undefined
  readonly services: bigint | undefined
  readonly userAgent: string | undefined
  readonly startHeight: number | undefined
  readonly relay: boolean | undefined
  readonly timeOffset: number | undefined
  readonly sendQueueBytes: number
  /** Bytes of received messages waiting to be handled (paused while the peer does not read). */
  readonly recvQueueBytes: number
  readonly pendingTxAnnouncements: number
  readonly knownTx: number
}

// --- internals ------------------------------------------------------------------------

interface Pending<T> {
  resolve(value: T): void
  reject(err: unknown): void
  timer: NodeJS.Timeout | undefined
  sentAt: number
  detach: (() => void) | undefined
}

type MutableFeatures = { -readonly [K in keyof PeerFeatures]: PeerFeatures[K] }

function defaultRandomBytes(n: number): Uint8Array {
  return cryptoRandomBytes(n)
}

/** A 64-bit nonce, never 0 (Core: a zero nonce means "no ping"). */
function nonce64(randomBytes: (n: number) => Uint8Array): bigint {
  for (;;) {
    const b = randomBytes(8)
    const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)
    if (v !== 0n) return v
  }
}

function isTxInv(type: number): boolean {
  const t = (type & ~WITNESS_FLAG) >>> 0
  return t === InvType.TX || t === InvType.WTX
}

/**
 * One connection to one peer.
 *
 * @example
 * ```ts
 * const peer = await Peer.connect({ nonces }, { network: networks.regtest, host: '127.0.0.1', port })
 * peer.on('message', (m) => handle(m))
 * const rtt = await peer.ping()
 * peer.destroy()
 * ```
 */
export class Peer {
  readonly id: number
  readonly direction: Direction
  readonly connectionType: ConnectionType
  readonly network: NetworkParams
  /** `host:port` of the remote side. */
  address: string

  readonly #baseLog: Logger
  #log: Logger
  readonly #now: () => number
  readonly #random: () => number
  readonly #randomBytes: (n: number) => Uint8Array
  readonly #nonces: NonceSet
  readonly #trickleClock: PoissonClock | undefined
  readonly #emitter: TypedEmitter<PeerEvents>

  // Options, copied.
  readonly #services: bigint
  readonly #userAgent: string
  readonly #protocolVersion: number
  readonly #minPeerVersion: number
  readonly #startHeight: number | (() => number)
  readonly #relay: boolean
  readonly #permissions: ReadonlySet<PeerPermission>
  readonly #requiredServices: bigint
  readonly #offerWtxid: boolean
  readonly #offerAddrV2: boolean
  readonly #compactBlocks: boolean
  readonly #sendHeaders: boolean
  readonly #feeFilter: bigint | undefined
  readonly #handshakeTimeoutMs: number
  readonly #pingIntervalMs: number
  readonly #pingTimeoutMs: number
  readonly #inactivityTimeoutMs: number
  readonly #maxSendBuffer: number
  readonly #sendLimit: number
  readonly #recvLimit: number
  readonly #highWater: number
  readonly #txTrickleMs: number
  readonly #addrTrickleMs: number

  #state: PeerState
  #socket: Socket | undefined
  readonly #transport: Transport
  readonly #queue = new SendQueue()
  // Received frames not yet handled (Core's process queue), with their wire bytes.
  readonly #inbox = new Fifo<FrameEvent>()
  #inboxBytes = 0
  #handling = false
  // The socket is paused because the inbox is over its limit (Core fPauseRecv).
  #recvPaused = false
  readonly #sent = new TrafficCounters()
  readonly #received = new TrafficCounters()

  // Handshake.
  #ourNonce: bigint | undefined
  #versionSent = false
  #remote: RemoteVersion | undefined
  #negotiated: number | undefined
  #wtxidSent = false
  #wtxidReceived = false
  #peerWantsAddrV2 = false
  readonly #features: MutableFeatures = { prefersHeaders: false, compact: undefined, feeFilter: 0n }

  // Times (ms, from #now).
  #connectedAt: number | undefined
  #readyAt: number | undefined
  #lastSend = 0
  #lastRecv = 0

  // Ping.
  #pingNonce = 0n
  #pingStart = 0
  #pingMs: number | undefined
  #minPingMs: number | undefined
  // Bounded by MAX_PING_WAITERS.
  #pingWaiters: Pending<number>[] = []

  // Timers: each is a named field, cleared in destroy().
  #connectTimer: NodeJS.Timeout | undefined
  #handshakeTimer: NodeJS.Timeout | undefined
  #pingTimer: NodeJS.Timeout | undefined
  #watchdog: NodeJS.Timeout | undefined
  #watchdogAt = 0
  #txTimer: NodeJS.Timeout | undefined
  #addrTimer: NodeJS.Timeout | undefined
  /** When the pending addresses are due, on the injected clock. */
  #addrDueAt = 0
  #deferred: NodeJS.Immediate | undefined

  // Relay state, all bounded.
  readonly #knownTx: RollingInvFilter
  readonly #knownAddr: RollingBloomFilter
  // Insertion-ordered; the oldest is dropped past MAX_PENDING_TX_ANNOUNCEMENTS.
  readonly #pendingTx = new Map<string, { item: InvItem; feeRate: bigint | undefined }>()
  // Bounded by MAX_PENDING_ADDRESSES.
  #pendingAddr: AddrV2Entry[] = []

  // One shared promise (created on the first whenReady() call), so waiting is O(1) however often it is asked.
  #ready: { promise: Promise<ReadyState>; resolve(s: ReadyState): void; reject(e: unknown): void } | undefined
  #signal: AbortSignal | undefined
  #onAbort: (() => void) | undefined
  #pumping = false
  #corked = false
  #closedResolve: (() => void) | undefined
  /** The SOCKS5 exchange under way (dial through a proxy), and how to abort it. */
  #proxying: Promise<void> | undefined
  #proxyAbort: AbortController | undefined
  readonly #closed: Promise<void>

  private constructor(components: PeerComponents, init: PeerInit, direction: Direction) {
    this.id = init.id ?? 0
    this.direction = direction
    this.connectionType = init.connectionType ?? (direction === 'inbound' ? 'inbound' : 'outbound-full-relay')
    this.network = init.network
    this.address = '?'
    this.#now = components.now ?? Date.now
    this.#random = components.random ?? Math.random
    this.#randomBytes = components.randomBytes ?? defaultRandomBytes
    this.#nonces = components.nonces ?? new NonceSet()
    this.#trickleClock = direction === 'inbound' ? components.inboundTrickleClock : undefined
    this.#baseLog = (components.logger ?? silentLogger).child({
      dir: direction === 'inbound' ? 'in' : 'out',
      id: this.id,
    })
    this.#log = this.#baseLog
    this.#emitter = new TypedEmitter<PeerEvents>((err, event) => {
      this.#log.error({ err, event }, 'A peer event listener threw; the error was caught.')
    })

    const blockOnly = this.connectionType === 'block-relay-only' || this.connectionType === 'feeler'
    this.#services = init.services ?? DEFAULT_SERVICES
    this.#userAgent = init.userAgent ?? DEFAULT_USER_AGENT
    this.#protocolVersion = init.protocolVersion ?? PROTOCOL_VERSION
    this.#minPeerVersion = init.minPeerVersion ?? MIN_PEER_PROTO_VERSION
    this.#startHeight = init.startHeight ?? 0
    this.#relay = init.relay ?? !blockOnly
    this.#permissions = new Set(init.permissions ?? [])
    const expectServices =
      this.connectionType === 'outbound-full-relay' ||
      this.connectionType === 'block-relay-only' ||
      this.connectionType === 'addr-fetch'
    this.#requiredServices = init.requiredServices ?? (expectServices ? DESIRABLE_SERVICES : Services.NONE)
    this.#offerWtxid = init.wtxidRelay ?? true
    this.#offerAddrV2 = init.addrV2 ?? true
    this.#compactBlocks = init.compactBlocks ?? false
    this.#sendHeaders = init.sendHeaders ?? false
    this.#feeFilter = init.feeFilter
    this.#handshakeTimeoutMs = init.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS
    this.#pingIntervalMs = init.pingIntervalMs ?? PING_INTERVAL_MS
    this.#pingTimeoutMs = init.pingTimeoutMs ?? PING_TIMEOUT_MS
    this.#inactivityTimeoutMs = init.inactivityTimeoutMs ?? INACTIVITY_TIMEOUT_MS
    this.#maxSendBuffer = init.maxSendBufferBytes ?? MAX_SEND_BUFFER_BYTES
    this.#sendLimit = init.sendBufferLimitBytes ?? SEND_BUFFER_LIMIT_BYTES
    this.#recvLimit = init.recvQueueLimitBytes ?? RECV_QUEUE_LIMIT_BYTES
    // Never below Node's default writable high-water mark (16 KiB), so that
    // stopping at it always means the socket will emit 'drain'.
    this.#highWater = Math.max(init.socketHighWaterBytes ?? SOCKET_HIGH_WATER_BYTES, 16 * 1024)
    this.#txTrickleMs =
      init.txTrickleIntervalMs ??
      (direction === 'inbound'
        ? (components.inboundTrickleClock?.meanMs ?? 5_000)
        : OUTBOUND_INVENTORY_BROADCAST_INTERVAL_MS)
    this.#addrTrickleMs = init.addrTrickleIntervalMs ?? ADDRESS_BROADCAST_INTERVAL_MS

    const random32 = (): number => {
      const b = this.#randomBytes(4)
      return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true)
    }
    this.#knownTx = new RollingInvFilter(
      { random32 },
      { entries: KNOWN_TX_ENTRIES, fpRate: KNOWN_TX_FP_RATE },
    )
    this.#knownAddr = new RollingBloomFilter(
      { random32 },
      { entries: KNOWN_ADDR_ENTRIES, fpRate: KNOWN_ADDR_FP_RATE },
    )
    const transportComponents = {
      write: (bytes: Uint8Array) => this.#writeRaw(bytes),
      sendable: () => this.#pump(),
      randomBytes: this.#randomBytes,
    }
    this.#transport = init.v2Transport
      ? new V2Transport(transportComponents, {
          magic: init.network.magic,
          initiating: direction === 'outbound',
        })
      : new V1Transport({ magic: init.network.magic })
    this.#state = { status: 'connecting', since: this.#now() }
    this.#closed = new Promise<void>((resolve) => {
      this.#closedResolve = resolve
    })
  }

  // --- factories --------------------------------------------------------------------

  /**
   * Dial out and return the peer at once, in state `connecting`, so the host
   * can track it from birth. `whenReady()` waits for the handshake.
   */
  static dial(components: PeerComponents, init: ConnectInit): Peer {
    const peer = new Peer(components, init, 'outbound')
    peer.#dial(init)
    return peer
  }

  /**
   * Dial out and complete the handshake. Rejects (and leaves nothing open)
   * on connect failure, timeout, abort, or a failed handshake.
   */
  static async connect(components: PeerComponents, init: ConnectInit): Promise<Peer> {
    const peer = Peer.dial(components, init)
    await peer.whenReady()
    return peer
  }

  /** Take over an accepted inbound socket; the peer waits for the remote's `version`. */
  static accept(components: PeerComponents, socket: Socket, init: PeerInit): Peer {
    const peer = new Peer(components, init, 'inbound')
    peer.address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`
    peer.#rebindLogger()
    peer.#attach(socket)
    if (socket.destroyed || socket.readyState !== 'open') {
      peer.destroy(new RemoteClosedError())
      return peer
    }
    peer.#startHandshake()
    return peer
  }

  // --- public surface ---------------------------------------------------------------

  /** The peer was granted this permission (Core `CNode::HasPermission`). */
  hasPermission(p: PeerPermission): boolean {
    return this.#permissions.has(p)
  }

  /** Its permissions, in Core's order (getpeerinfo `permissions`). */
  get permissions(): PeerPermission[] {
    return PEER_PERMISSIONS.filter((p) => this.#permissions.has(p))
  }

  /**
   * Transactions from this peer are a protocol violation (Core
   * `PeerManagerImpl::RejectIncomingTxs`): always on block-relay-only links,
   * and where we sent relay = 0 unless the peer has the `relay` permission.
   */
  get #rejectsTxs(): boolean {
    if (this.connectionType === 'block-relay-only' || this.connectionType === 'feeler') return true
    return !this.#relay && !this.#permissions.has('relay')
  }

  get state(): PeerState {
    return this.#state
  }

  /** Our end of the connection, `ip:port` or `[ip6]:port`, while connected (Core's addrBind). */
  get localAddress(): string | undefined {
    const socket = this.#socket
    const ip = socket?.localAddress
    if (!socket || !ip || socket.localPort === undefined) return undefined
    const host = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
    return host.includes(':') ? `[${host}]:${socket.localPort}` : `${host}:${socket.localPort}`
  }

  get status(): PeerStatus {
    return this.#state.status
  }

  /**
   * Bytes queued for the peer and not yet taken by the kernel (our queue
   * plus the socket's buffer). Past `sendBufferLimitBytes` the peer's
   * messages wait; a host that sends on its own (blocks served
   * asynchronously, relay) should wait too while this is high, as Core
   * pauses a peer's getdata processing. Past `maxSendBufferBytes` the peer
   * is disconnected.
   */
  get bufferedBytes(): number {
    if (this.#isClosed()) return 0
    return this.#queue.bytes + (this.#socket?.writableLength ?? 0)
  }

  /** `v1`, `v2` (BIP324, once the peer's version packet authenticated) or `detecting` (Core GetInfo). */
  get transportProtocol(): TransportProtocol {
    return this.#transport.protocol
  }

  /** The BIP324 session id (hex) on a v2 connection; compare it out of band to rule out a man in the middle. */
  get sessionId(): string | undefined {
    const id = this.#transport.sessionId
    return id ? Buffer.from(id).toString('hex') : undefined
  }

  /** Resolves once the socket is fully closed after destroy() (never rejects). */
  get closed(): Promise<void> {
    return this.#closed
  }

  on<K extends keyof PeerEvents>(event: K, listener: (...args: PeerEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener)
  }

  once<K extends keyof PeerEvents>(event: K, listener: (...args: PeerEvents[K]) => void): () => void {
    return this.#emitter.once(event, listener)
  }

  off<K extends keyof PeerEvents>(event: K, listener: (...args: PeerEvents[K]) => void): void {
    this.#emitter.off(event, listener)
  }

  /** Resolves when the handshake completes; rejects with PeerClosedError (cause: why) if it closes first. */
  whenReady(): Promise<ReadyState> {
    const s = this.#state
    if (s.status === 'ready') return Promise.resolve(s)
    if (s.status === 'closed') return Promise.reject(this.#closedError())
    if (!this.#ready) {
      let resolve!: (s: ReadyState) => void
      let reject!: (e: unknown) => void
      const promise = new Promise<ReadyState>((res, rej) => {
        resolve = res
        reject = rej
      })
      this.#ready = { promise, resolve, reject }
    }
    return this.#ready.promise
  }

  /**
   * Queue a message. Control messages overtake announcements, which
   * overtake block and transaction data. Returns false if the peer is
   * closed (or closes because the message would pass the send-buffer cap).
   * Throws PeerNotReadyError before the handshake, and EncodeError for a
   * message that cannot be encoded (both are caller bugs).
   */
  send(message: Message): boolean {
    const s = this.#state.status
    if (s === 'closed') return false
    if (s !== 'ready') throw new PeerNotReadyError(`send ${message.command}`)
    if (message.command === 'inv') this.#markKnown(message.inventory)
    return this.#enqueue(message)
  }

  /**
   * Queue an already encoded payload, such as a block read from disk, without
   * decoding and encoding it again. The caller vouches that `payload` is a
   * valid encoding of `command` (blocks from our own store are). Same queue,
   * priorities and byte cap as send().
   */
  sendEncoded(command: Command, payload: Uint8Array): boolean {
    const s = this.#state.status
    if (s === 'closed') return false
    if (s !== 'ready') throw new PeerNotReadyError(`send ${command}`)
    return this.#enqueuePayload(command, payload)
  }

  /**
   * Queue transactions for announcement on this peer's Poisson timer
   * (Core: 5 s shared by inbound peers, 2 s per outbound peer), by wtxid if
   * the peer negotiated wtxidrelay, else by txid. Skips what the peer knows,
   * what is below its feefilter, and everything on links without tx relay.
   */
  announceTransactions(txs: readonly TxAnnouncement[]): void {
    const s = this.#state
    if (s.status !== 'ready' || !this.#relay || !s.remote.relay) return
    for (const tx of txs) {
      const item: InvItem = s.wtxidRelay
        ? { type: InvType.WTX, hash: tx.wtxid }
        : { type: InvType.TX, hash: tx.txid }
      if (this.#knownTx.has(item)) continue
      const key = `${item.type}:${toHex(item.hash)}`
      if (this.#pendingTx.has(key)) continue
      this.#pendingTx.set(key, { item, feeRate: tx.feeRate })
      if (this.#pendingTx.size > MAX_PENDING_TX_ANNOUNCEMENTS) {
        const oldest = this.#pendingTx.keys().next().value as string
        this.#pendingTx.delete(oldest)
      }
    }
    if (this.#pendingTx.size > 0) this.#armTxTrickle()
  }

  /**
   * Queue addresses for relay on a 30 s Poisson timer (Core), skipping any
   * the peer sent us or we already sent it. `addrv2` if the peer asked for
   * it, else `addr` (addresses v1 cannot carry are dropped). Nothing on
   * block-relay-only links.
   */
  relayAddresses(entries: readonly AddrV2Entry[]): void {
    if (this.#state.status !== 'ready' || this.connectionType === 'block-relay-only') return
    for (const a of entries) {
      if (this.#knownAddr.has(addrKey(a.networkId, a.addr, a.port))) continue
      if (this.#pendingAddr.length >= MAX_PENDING_ADDRESSES) {
        // Core replaces a random entry when the queue is full.
        this.#pendingAddr[Math.floor(this.#random() * this.#pendingAddr.length)] = a
      } else {
        this.#pendingAddr.push(a)
      }
    }
    if (this.#pendingAddr.length > 0 && !this.#addrTimer) {
      const delay = poissonDelay(this.#addrTrickleMs, this.#random)
      this.#addrDueAt = this.#now() + delay
      this.#addrTimer = setTimeout(() => this.#guard(() => this.#flushAddresses()), delay)
    }
  }

  /** Send a ping now (or join the outstanding one) and resolve with the round-trip time in ms. */
  ping(options: RequestOptions = {}): Promise<number> {
    if (this.#state.status === 'closed') return Promise.reject(this.#closedError())
    if (this.#state.status !== 'ready') return Promise.reject(new PeerNotReadyError('ping'))
    if (this.#pingWaiters.length >= MAX_PING_WAITERS) {
      return Promise.reject(new TooManyRequestsError('ping waiters', MAX_PING_WAITERS))
    }
    return new Promise<number>((resolve, reject) => {
      const entry: Pending<number> = {
        resolve,
        reject,
        timer: undefined,
        sentAt: this.#now(),
        detach: undefined,
      }
      this.#pingWaiters.push(entry)
      this.#bindSignal(entry, options.signal, () => {
        this.#pingWaiters = this.#pingWaiters.filter((e) => e !== entry)
      })
      if (this.#pingNonce === 0n) this.#sendPing()
    })
  }

  /**
   * Whether the peer is known to have this transaction (it announced it, or
   * we sent it). Which blocks a peer has is the block manager's to know.
   */
  knowsInventory(item: InvItem): boolean {
    return isTxInv(item.type) && this.#knownTx.has(item)
  }

  /** A snapshot of the connection's statistics. */
  stats(): PeerStats {
    const s = this.#state
    const remote = s.status === 'ready' || s.status === 'handshaking' ? s.remote : this.#remote
    return {
      id: this.id,
      address: this.address,
      direction: this.direction,
      connectionType: this.connectionType,
      status: s.status,
      connectedAt: this.#connectedAt,
      readyAt: this.#readyAt,
      lastSend: this.#lastSend,
      lastRecv: this.#lastRecv,
      bytesSent: this.#sent.bytes,
      bytesReceived: this.#received.bytes,
      messagesSent: this.#sent.messages,
      messagesReceived: this.#received.messages,
      sent: this.#sent.snapshot(),
      received: this.#received.snapshot(),
      pingMs: this.#pingMs,
      minPingMs: this.#minPingMs,
      pingWaitMs: this.#pingNonce !== 0n ? this.#now() - this.#pingStart : undefined,
      version: this.#negotiated,
      remoteVersion: remote?.version,
      services: remote?.services,
      userAgent: remote?.userAgent,
      startHeight: remote?.startHeight,
      relay: remote?.relay,
      timeOffset: remote?.timeOffset,
      sendQueueBytes: this.bufferedBytes,
      recvQueueBytes: this.#inboxBytes,
      pendingTxAnnouncements: this.#pendingTx.size,
      knownTx: this.#knownTx.size,
    }
  }

  /**
   * Close the connection. Idempotent. Clears every timer, rejects every
   * pending request with PeerClosedError (its `cause` is `error`), destroys
   * the socket and removes our listeners, then emits `close` once.
   */
  destroy(error?: NodeError): void {
    const prev = this.#state
    if (prev.status === 'closed') return
    const wasReady = prev.status === 'ready'
    this.#state = { status: 'closed', since: this.#now(), error, wasReady }

    for (const t of [
      this.#connectTimer,
      this.#handshakeTimer,
      this.#pingTimer,
      this.#watchdog,
      this.#txTimer,
      this.#addrTimer,
    ]) {
      if (t) clearTimeout(t)
    }
    this.#connectTimer = this.#handshakeTimer = this.#pingTimer = undefined
    this.#watchdog = this.#txTimer = this.#addrTimer = undefined
    if (this.#deferred) clearImmediate(this.#deferred)
    this.#deferred = undefined
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort)
    this.#signal = this.#onAbort = undefined
    if (this.#ourNonce !== undefined) this.#nonces.delete(this.#ourNonce)

    const closedError = this.#closedError()
    const rejectAll = (entries: Iterable<Pending<never> | Pending<unknown>>): void => {
      for (const e of entries) {
        if (e.timer) clearTimeout(e.timer)
        e.detach?.()
        e.reject(closedError)
      }
    }
    this.#ready?.reject(closedError)
    this.#ready = undefined
    rejectAll(this.#pingWaiters as Pending<unknown>[])
    this.#pingWaiters = []
    this.#pendingTx.clear()
    this.#pendingAddr = []
    this.#queue.clear()
    this.#inbox.clear()
    this.#inboxBytes = 0
    const reconnectAsV1 = this.#transport.reconnectAsV1
    this.#transport.reset()

    this.#proxyAbort?.abort()
    this.#proxyAbort = undefined
    const socket = this.#socket
    if (socket) {
      socket.removeListener('data', this.#onData)
      socket.removeListener('drain', this.#onDrain)
      socket.removeListener('connect', this.#onConnect)
      socket.removeListener('error', this.#onError)
      socket.removeListener('close', this.#onClose)
      // A destroyed socket may still report a late error; swallow it, and
      // resolve `closed` once the handle is really gone.
      socket.on('error', noop)
      if (socket.closed) this.#closedResolve?.()
      else socket.once('close', () => this.#closedResolve?.())
      socket.destroy()
      this.#socket = undefined
    } else if (this.#proxying) {
      // The proxy's socket is closed by the aborted exchange.
      void this.#proxying.then(() => this.#closedResolve?.())
    } else {
      this.#closedResolve?.()
    }

    if (error && error.code !== 'ABORTED') {
      this.#log.debug({ err: error, wasReady }, 'The peer connection closed.')
    } else {
      this.#log.debug({ wasReady }, 'The peer connection closed.')
    }
    this.#emitter.emit('close', { error, wasReady, reconnectAsV1 })
    this.#emitter.clearListeners()
  }

  // --- connection setup ---------------------------------------------------------------

  #dial(init: ConnectInit): void {
    const port = init.port ?? this.network.defaultPort
    this.address = `${init.host}:${port}`
    this.#rebindLogger()
    if (init.signal) {
      if (init.signal.aborted) {
        this.destroy(new AbortError('The connection was aborted before it started.'))
        return
      }
      this.#signal = init.signal
      this.#onAbort = () => this.destroy(new AbortError('The connection was aborted.'))
      init.signal.addEventListener('abort', this.#onAbort, { once: true })
    }
    const connectTimeoutMs = init.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = undefined
      this.destroy(new ConnectTimeoutError(this.address, connectTimeoutMs))
    }, connectTimeoutMs)
    if (init.proxy) {
      this.#dialProxy(init.proxy, init.host, port, connectTimeoutMs)
      return
    }
    const socket = createConnection({ host: init.host, port, noDelay: true })
    this.#attach(socket)
    socket.once('connect', this.#onConnect)
  }

  /**
   * Dial through a SOCKS5 proxy (Core `ConnectThroughProxy`): the socket is
   * ours once the proxy reports the connection made; destroy() meanwhile
   * aborts the exchange, and the connect timer bounds it.
   */
  #dialProxy(proxy: ProxyInit, host: string, port: number, timeoutMs: number): void {
    const abort = new AbortController()
    this.#proxyAbort = abort
    this.#proxying = socks5Connect({
      proxyHost: proxy.host,
      proxyPort: proxy.port,
      host,
      port,
      credentials: proxy.credentials,
      timeoutMs,
      signal: abort.signal,
    }).then(
      (socket) => {
        this.#proxyAbort = undefined
        if (this.#state.status !== 'connecting') {
          socket.destroy()
          return
        }
        this.#attach(socket)
        this.#onConnect()
      },
      (err: unknown) => {
        this.#proxyAbort = undefined
        if (this.#state.status === 'connecting') this.destroy(new ConnectError(this.address, { cause: err }))
      },
    )
  }

  #attach(socket: Socket): void {
    this.#socket = socket
    socket.on('data', this.#onData)
    socket.on('drain', this.#onDrain)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
  }

  /** Bind the address into the logger once it is known: `{ peer, dir, id }`. */
  #rebindLogger(): void {
    this.#log = this.#baseLog.child({ peer: this.address })
  }

  readonly #onConnect = (): void => {
    this.#guard(() => {
      if (this.#connectTimer) clearTimeout(this.#connectTimer)
      this.#connectTimer = undefined
      if (this.#state.status !== 'connecting') return
      this.#startHandshake()
    })
  }

  #startHandshake(): void {
    const now = this.#now()
    this.#connectedAt = now
    this.#lastRecv = now
    this.#lastSend = now
    this.#socket?.setNoDelay(true)
    this.#state = { status: 'handshaking', since: now, remote: undefined, version: undefined }
    this.#handshakeTimer = setTimeout(() => {
      this.#handshakeTimer = undefined
      this.destroy(new HandshakeTimeoutError(this.#handshakeTimeoutMs))
    }, this.#handshakeTimeoutMs)
    this.#log.debug('Connected; starting the version handshake.')
    this.#transport.start()
    // Core: the outbound side speaks first; the inbound side answers the peer's version.
    if (this.direction === 'outbound') this.#sendVersion()
  }

  // --- socket handlers: never throw ---------------------------------------------------

  readonly #onData = (chunk: Buffer): void => {
    if (this.#state.status === 'closed') return
    try {
      this.#received.addBytes(chunk.length)
      const events = this.#transport.receive(chunk)
      // A header error that loses the framing is the decoder's last event;
      // Core disconnects at once, before the queued messages are handled.
      const failed = this.#transport.failed
      const n = failed ? events.length - 1 : events.length
      for (let i = 0; i < n; i++) this.#receive(events[i]!)
      if (failed) {
        this.#misbehave(failed, undefined)
        return
      }
      this.#handleInbox()
    } catch (err) {
      this.#log.error({ err }, 'A bug in the peer surfaced while handling received data.')
      this.destroy(new PeerInternalError({ cause: err }))
    }
  }

  /** A complete frame arrived: count it and queue it (Core CNode::ReceiveMsgBytes). */
  #receive(ev: FrameEvent): void {
    if (ev.size > 0) {
      this.#received.count(ev.kind === 'message' ? ev.message.command : ev.command, ev.size)
      this.#lastRecv = this.#now()
    }
    this.#inbox.push(ev)
    this.#inboxBytes += ev.size
  }

  /** Unsent bytes are over the send limit (Core fPauseSend). */
  #sendPaused(): boolean {
    return this.#queue.bytes + (this.#socket?.writableLength ?? 0) > this.#sendLimit
  }

  /**
   * Handle queued frames in order while the peer reads what we send (Core
   * ProcessMessages: "Don't bother if send buffer is too full to respond
   * anyway"), then pause or resume reading the socket by the queue's size.
   * When the handshake completes with frames still queued, the rest waits for
   * the next turn of the event loop, so that whoever awaits `Peer.connect()`
   * or `whenReady()` can add listeners before the first message is delivered.
   */
  #handleInbox(): void {
    if (this.#handling) return
    if (this.#deferred) {
      this.#updateRecvPause()
      return
    }
    this.#handling = true
    try {
      while (this.#inbox.length > 0 && !this.#isClosed() && !this.#sendPaused()) {
        const ev = this.#inbox.shift()!
        this.#inboxBytes -= ev.size
        const wasReady = this.#state.status === 'ready'
        this.#onFrame(ev)
        if (!wasReady && this.#inbox.length > 0 && this.#state.status === 'ready') {
          this.#deferred = setImmediate(() => {
            this.#deferred = undefined
            this.#guard(() => this.#handleInbox())
          })
          break
        }
      }
    } finally {
      this.#handling = false
    }
    this.#updateRecvPause()
  }

  /** Stop reading the socket while the queue is over its limit, resume when it is not (Core fPauseRecv). */
  #updateRecvPause(): void {
    const socket = this.#socket
    if (!socket || this.#isClosed()) return
    const over = this.#inboxBytes > this.#recvLimit
    if (over && !this.#recvPaused) {
      this.#recvPaused = true
      socket.pause()
      this.#log.debug({ bytes: this.#inboxBytes }, 'Pausing reads: the peer does not read our answers.')
    } else if (!over && this.#recvPaused) {
      this.#recvPaused = false
      socket.resume()
    }
  }

  /** Bytes left for the kernel: handle waiting messages if the send buffer is below its limit again. */
  #resumeHandling(): void {
    if (this.#inbox.length > 0 && !this.#handling && !this.#sendPaused()) this.#handleInbox()
  }

  readonly #onDrain = (): void => {
    this.#guard(() => {
      this.#pump()
      this.#resumeHandling()
    })
  }

  readonly #onError = (err: Error): void => {
    if (this.#state.status === 'closed') return
    const code = (err as NodeJS.ErrnoException).code
    if (this.#state.status === 'connecting') {
      this.destroy(new ConnectError(this.address, { cause: err }))
    } else if (code === 'ECONNRESET' || code === 'EPIPE') {
      this.destroy(new RemoteClosedError({ cause: err }))
    } else {
      this.destroy(new SocketError({ cause: err }))
    }
  }

  readonly #onClose = (): void => {
    this.#closedResolve?.()
    if (this.#state.status === 'closed') return
    this.destroy(
      this.#state.status === 'connecting' ? new ConnectError(this.address) : new RemoteClosedError(),
    )
  }

  /** Run `fn`; a throw closes the connection instead of escaping into a timer or socket callback. */
  #guard(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.#log.error({ err }, 'A bug in the peer surfaced in a callback.')
      this.destroy(new PeerInternalError({ cause: err }))
    }
  }

  // --- receiving ----------------------------------------------------------------------

  #onFrame(ev: FrameEvent): void {
    switch (ev.kind) {
      case 'message':
        this.#onMessage(ev.message, ev.payload)
        return
      case 'unknown':
        if (this.#log.isLevelEnabled('debug')) {
          this.#log.debug({ command: sanitizeUserAgent(ev.command) }, 'Ignoring a message of unknown type.')
        }
        this.#emit('unknown', ev.command, ev.payload)
        return
      case 'error':
        // Core ProcessMessage, pong: less than 8 bytes is "Short payload",
        // which cancels the outstanding ping (the peer is kept).
        if (ev.command === 'pong' && ev.error.code === 'TRUNCATED' && this.#state.status === 'ready') {
          this.#pingNonce = 0n
        }
        this.#misbehave(ev.error, ev.command)
        return
    }
  }

  /** Report; close unless the severity is `ignore`. */
  #misbehave(error: ProtocolError, command: string | undefined): void {
    if (this.#log.isLevelEnabled('debug')) {
      this.#log.debug({ err: error, severity: error.severity, command }, 'The peer misbehaved.')
    }
    this.#emit('misbehaving', { error, severity: error.severity, command })
    if (error.severity !== 'ignore') this.destroy(error)
  }

  #onMessage(m: Message, payload: Uint8Array): void {
    const s = this.#state
    if (s.status === 'handshaking') {
      if (s.remote === undefined) {
        if (m.command === 'version') this.#onVersion(m)
        else this.#misbehave(new MessageBeforeVersionError(m.command), m.command)
        return
      }
      switch (m.command) {
        case 'version':
          this.#misbehave(new RedundantVersionError(), m.command)
          return
        case 'verack':
          this.#onVerack()
          return
        case 'wtxidrelay':
          if ((this.#negotiated ?? 0) >= WTXID_RELAY_VERSION) this.#wtxidReceived = true
          return
        case 'sendaddrv2':
          this.#peerWantsAddrV2 = true
          return
        default:
          this.#misbehave(new MessageBeforeVerackError(m.command), m.command)
          return
      }
    }
    if (s.status !== 'ready') return
    switch (m.command) {
      case 'version':
        this.#misbehave(new RedundantVersionError(), m.command)
        return
      case 'verack':
        return // Core: "ignoring redundant verack message"
      case 'wtxidrelay':
      case 'sendaddrv2':
        this.#misbehave(new LateNegotiationError(m.command), m.command)
        return
      case 'ping':
        // BIP31: answer only peers above 60000 (the nonce field exists from there).
        if (s.version > 60000) this.#enqueue({ command: 'pong', nonce: m.nonce })
        return
      case 'pong':
        this.#onPong(m.nonce)
        return
      case 'sendheaders':
        this.#features.prefersHeaders = true
        return
      case 'sendcmpct':
        // Core only understands version 2 and ignores the rest.
        if (m.version === CMPCTBLOCKS_VERSION)
          this.#features.compact = { announce: m.announce, version: m.version }
        return
      case 'feefilter':
        if (m.feeRate >= 0n && m.feeRate <= MAX_MONEY) this.#features.feeFilter = m.feeRate
        return
      case 'inv':
        this.#onInv(m, s)
        return
      case 'tx':
        if (this.#rejectsTxs) {
          this.#misbehave(new TxRelayViolationError('tx'), 'tx')
          return
        }
        this.#knownTx.add({ type: InvType.TX, hash: m.tx.txid() })
        this.#knownTx.add({ type: InvType.WTX, hash: m.tx.wtxid() })
        this.#emit('message', m)
        return
      case 'addr':
      case 'addrv2':
        if (this.connectionType === 'block-relay-only') return // Core: no addr relay on these links
        for (const a of m.addresses) {
          const v2 = m.command === 'addr' ? addrToV2(a as AddrEntry) : (a as AddrV2Entry)
          this.#knownAddr.add(addrKey(v2.networkId, v2.addr, v2.port))
        }
        this.#emit('message', m)
        return
      case 'getaddr':
        if (this.connectionType === 'block-relay-only') return
        this.#emit('message', m)
        return
      case 'block':
        // Passed on with its payload: the block manager hashes it once and
        // stores and relays these bytes (btcd OnBlock gets `buf`).
        this.#emit('message', m, payload)
        return
      case 'mempool':
        // Core: answered with NODE_BLOOM or the mempool permission (we have
        // no mempool: nothing to send); otherwise a noban peer is ignored
        // and any other disconnected ("mempool request with bloom filters disabled").
        if ((this.#services & Services.NODE_BLOOM) !== 0n || this.#permissions.has('mempool')) return
        if (this.#permissions.has('noban')) return
        this.#misbehave(new BloomNotOfferedError(m.command), m.command)
        return
      case 'filterload':
      case 'filteradd':
      case 'filterclear':
        // Core: "... received despite not offering bloom services": disconnect,
        // whatever the permissions. BIP37 filters are not implemented, so
        // NODE_BLOOM is never offered.
        if ((this.#services & Services.NODE_BLOOM) === 0n)
          this.#misbehave(new BloomNotOfferedError(m.command), m.command)
        return
      default:
        this.#emit('message', m)
    }
  }

  #onInv(m: MessageOf<'inv'>, s: ReadyState): void {
    let kept: InvItem[] | undefined
    const inv = m.inventory
    for (let i = 0; i < inv.length; i++) {
      const it = inv[i]!
      const t = (it.type & ~WITNESS_FLAG) >>> 0
      let keep = true
      if (t === InvType.TX || t === InvType.WTX) {
        if (this.#rejectsTxs) {
          this.#misbehave(new TxRelayViolationError('inv'), 'inv')
          return
        }
        // BIP339: after wtxidrelay only MSG_WTX counts; before it only MSG_TX.
        keep = s.wtxidRelay ? t === InvType.WTX : t === InvType.TX
        if (keep) this.#knownTx.add(it)
      }
      if (!keep) kept ??= inv.slice(0, i)
      else if (kept) kept.push(it)
    }
    if (kept === undefined) this.#emit('message', m)
    else if (kept.length > 0) this.#emit('message', { command: 'inv', inventory: kept })
  }

  #onVersion(v: MessageOf<'version'>): void {
    if (v.version < this.#minPeerVersion) {
      this.#misbehave(new ObsoleteVersionError(v.version, this.#minPeerVersion), 'version')
      return
    }
    if (this.#nonces.has(v.nonce) || v.nonce === this.#ourNonce) {
      this.#misbehave(new SelfConnectionError(), 'version')
      return
    }
    if ((v.services & this.#requiredServices) !== this.#requiredServices) {
      this.#misbehave(new MissingServicesError(v.services, this.#requiredServices), 'version')
      return
    }
    const version = Math.min(this.#protocolVersion, v.version)
    this.#negotiated = version
    this.#remote = {
      version: v.version,
      services: v.services,
      userAgent: sanitizeUserAgent(v.userAgent),
      startHeight: v.startHeight,
      relay: v.relay ?? true,
      nonce: v.nonce,
      timeOffset: Number(v.timestamp) - Math.floor(this.#now() / 1000),
      addrRecv: v.addrRecv,
    }
    this.#state = { status: 'handshaking', since: this.#state.since, remote: this.#remote, version }
    if (!this.#versionSent) this.#sendVersion()
    // Core sends these between version and verack, when both speak 70016.
    if (version >= WTXID_RELAY_VERSION) {
      if (this.#offerWtxid) {
        this.#enqueue({ command: 'wtxidrelay' })
        this.#wtxidSent = true
      }
      if (this.#offerAddrV2) this.#enqueue({ command: 'sendaddrv2' })
    }
    this.#enqueue({ command: 'verack' })
  }

  #onVerack(): void {
    const remote = this.#remote!
    const version = this.#negotiated!
    const now = this.#now()
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer)
    this.#handshakeTimer = undefined
    if (this.#ourNonce !== undefined) this.#nonces.delete(this.#ourNonce)
    this.#readyAt = now
    const ready: ReadyState = {
      status: 'ready',
      since: now,
      remote,
      version,
      wtxidRelay: this.#wtxidSent && this.#wtxidReceived,
      addrV2: this.#peerWantsAddrV2,
      features: this.#features,
    }
    this.#state = ready
    this.#log.debug(
      { version, userAgent: remote.userAgent, services: `0x${remote.services.toString(16)}` },
      'The version handshake is complete.',
    )
    if (this.#compactBlocks && version >= SHORT_IDS_BLOCKS_VERSION) {
      this.#enqueue({ command: 'sendcmpct', announce: false, version: CMPCTBLOCKS_VERSION })
    }
    if (this.#sendHeaders && version >= SENDHEADERS_VERSION) this.#enqueue({ command: 'sendheaders' })
    if (this.#feeFilter !== undefined && version >= FEEFILTER_VERSION && this.#relay) {
      this.#enqueue({ command: 'feefilter', feeRate: this.#feeFilter })
    }
    // Core pings right after the handshake, then every PING_INTERVAL.
    this.#sendPing()
    this.#armWatchdog()
    this.#ready?.resolve(ready)
    this.#ready = undefined
    if (!this.#isClosed()) this.#emit('ready', ready)
  }

  #sendVersion(): void {
    const socket = this.#socket
    const nonce = nonce64(this.#randomBytes)
    this.#ourNonce = nonce
    // Core checks incoming nonces against outbound handshakes in progress only.
    if (this.direction === 'outbound') this.#nonces.add(nonce)
    this.#versionSent = true
    const startHeight = typeof this.#startHeight === 'function' ? this.#startHeight() : this.#startHeight
    this.#enqueue({
      command: 'version',
      version: this.#protocolVersion,
      services: this.#services,
      timestamp: BigInt(Math.floor(this.#now() / 1000)),
      addrRecv: {
        services: this.#remote?.services ?? Services.NONE,
        ip: ipTo16(socket?.remoteAddress),
        port: socket?.remotePort ?? 0,
      },
      // Core sends an empty address for itself.
      addrFrom: { services: this.#services, ip: new Uint8Array(16), port: 0 },
      nonce,
      userAgent: this.#userAgent,
      startHeight,
      relay: this.#relay,
    })
  }

  // --- ping and timeouts --------------------------------------------------------------

  #sendPing(): void {
    if (this.#state.status !== 'ready') return
    if (this.#pingNonce === 0n) {
      this.#pingNonce = nonce64(this.#randomBytes)
      this.#pingStart = this.#now()
      this.#enqueue({ command: 'ping', nonce: this.#pingNonce })
      this.#armWatchdog()
    }
    if (this.#pingTimer) clearTimeout(this.#pingTimer)
    this.#pingTimer = setTimeout(() => {
      this.#pingTimer = undefined
      this.#guard(() => this.#sendPing())
    }, this.#pingIntervalMs)
  }

  /**
   * Run the clock-driven checks now, against the injected clock (Core runs
   * MaybeSendPing in SendMessages and CConnman::InactivityCheck on every
   * loop, so a mocked clock that jumps takes effect at once): a ping that is
   * due is sent, pending addresses that are due go out, and an expired ping
   * or inactivity deadline closes the peer. The
   * host calls it when its clock is moved (regtest `setmocktime`).
   */
  checkClock(): void {
    this.#guard(() => {
      if (this.#state.status !== 'ready') return
      const now = this.#now()
      if (this.#pingNonce === 0n && now - this.#pingStart >= this.#pingIntervalMs) this.#sendPing()
      // The address trickle (Core m_next_addr_send) is due on the same clock.
      if (this.#addrTimer && now >= this.#addrDueAt) {
        clearTimeout(this.#addrTimer)
        this.#flushAddresses()
      }
      this.#checkTimeouts()
    })
  }

  #onPong(nonce: bigint): void {
    if (this.#pingNonce === 0n) return // unsolicited: Core logs and ignores
    if (nonce === 0n) {
      // Core: a zero nonce cancels the outstanding ping.
      this.#pingNonce = 0n
      return
    }
    if (nonce !== this.#pingNonce) return // Core: "nonce mismatch", keep waiting
    const rtt = Math.max(0, this.#now() - this.#pingStart)
    this.#pingNonce = 0n
    this.#pingMs = rtt
    this.#minPingMs = this.#minPingMs === undefined ? rtt : Math.min(this.#minPingMs, rtt)
    const waiters = this.#pingWaiters
    this.#pingWaiters = []
    for (const w of waiters) {
      w.detach?.()
      w.resolve(rtt)
    }
    this.#emit('pong', rtt)
  }

  /**
   * One timer for the three deadlines that move with traffic: no complete
   * message received, nothing flushed to the socket, and an unanswered ping.
   * It is not re-armed per message: when it fires early it re-arms for what
   * is left.
   */
  #armWatchdog(): void {
    if (this.#state.status !== 'ready') return
    const at = this.#nextDeadline()
    if (this.#watchdog) {
      if (this.#watchdogAt <= at) return
      clearTimeout(this.#watchdog)
    }
    this.#watchdogAt = at
    const delay = Math.max(1, at - this.#now())
    this.#watchdog = setTimeout(() => {
      this.#watchdog = undefined
      this.#guard(() => this.#checkTimeouts())
    }, delay)
  }

  #nextDeadline(): number {
    let d = Math.min(this.#lastRecv + this.#inactivityTimeoutMs, this.#lastSend + this.#inactivityTimeoutMs)
    if (this.#pingNonce !== 0n) d = Math.min(d, this.#pingStart + this.#pingTimeoutMs)
    return d
  }

  #checkTimeouts(): void {
    if (this.#state.status !== 'ready') return
    const now = this.#now()
    if (this.#pingNonce !== 0n && now >= this.#pingStart + this.#pingTimeoutMs) {
      this.destroy(new PingTimeoutError(this.#pingTimeoutMs))
      return
    }
    if (now >= this.#lastRecv + this.#inactivityTimeoutMs) {
      this.destroy(new InactivityTimeoutError('receive', this.#inactivityTimeoutMs))
      return
    }
    if (now >= this.#lastSend + this.#inactivityTimeoutMs) {
      this.destroy(new InactivityTimeoutError('send', this.#inactivityTimeoutMs))
      return
    }
    this.#armWatchdog()
  }

  // --- sending ------------------------------------------------------------------------

  #enqueue(m: Message): boolean {
    if (this.#state.status === 'closed') return false
    const payload = encodePayload(m)
    return this.#enqueuePayload(m.command, payload)
  }

  #enqueuePayload(command: Command, payload: Uint8Array): boolean {
    if (payload.length > MAX_PROTOCOL_MESSAGE_LENGTH) {
      throw new EncodeError(`The ${command} payload of ${payload.length} bytes exceeds the protocol limit.`)
    }
    const size = HEADER_SIZE + payload.length
    const unread = this.#queue.bytes + (this.#socket?.writableLength ?? 0) + size
    if (unread > this.#maxSendBuffer) {
      this.#log.info({ bytes: unread }, 'More unsent bytes than the guard allows; disconnecting.')
      this.destroy(new SendBufferFullError(unread, this.#maxSendBuffer))
      return false
    }
    this.#queue.push({ command, payload, size })
    this.#pump()
    return !this.#isClosed()
  }

  /** Move frames to the socket, highest priority first, while its buffer is below the high-water mark. */
  #pump(): void {
    const socket = this.#socket
    if (this.#pumping || !socket || this.#state.status === 'closed' || this.#state.status === 'connecting')
      return
    // A v2 transport holds messages until the key exchange is done.
    if (!this.#transport.canSend) return
    this.#pumping = true
    try {
      // Stop when the socket asks for a drain (its 'drain' event restarts us)
      // or holds our high-water mark; the mark is never below the socket's,
      // so stopping on it always means a 'drain' will come.
      while (!socket.writableNeedDrain && socket.writableLength < this.#highWater) {
        const item = this.#queue.shift()
        if (!item) break
        this.#write(socket, item)
        if (this.#isClosed()) return
      }
    } finally {
      this.#pumping = false
    }
  }

  #write(socket: Socket, item: Outgoing): void {
    // Everything written in one turn of the event loop leaves in one writev.
    if (!this.#corked) {
      this.#corked = true
      socket.cork()
      process.nextTick(this.#uncork)
    }
    const pieces = this.#transport.encode(item.command, item.payload)
    let size = 0
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!
      size += piece.length
      socket.write(piece, i === pieces.length - 1 ? this.#onFlushed : undefined)
    }
    this.#sent.count(item.command, size)
    this.#sent.addBytes(size)
  }

  /** Handshake bytes of the transport (key, garbage, terminator, version packet). */
  #writeRaw(bytes: Uint8Array): void {
    const socket = this.#socket
    if (!socket || socket.destroyed) return
    socket.write(bytes)
    this.#sent.addBytes(bytes.length)
  }

  readonly #uncork = (): void => {
    this.#corked = false
    const socket = this.#socket
    if (socket && !socket.destroyed) socket.uncork()
  }

  /** A write reached the kernel: the peer is reading (Core's m_last_send moves when bytes leave). */
  readonly #onFlushed = (err?: Error | null): void => {
    if (err) return
    this.#lastSend = this.#now()
    // Below the socket's own high-water mark no 'drain' comes: look here too.
    if (this.#inbox.length > 0) this.#guard(() => this.#resumeHandling())
  }

  #armTxTrickle(): void {
    if (this.#txTimer) return
    const now = this.#now()
    const at = this.#trickleClock
      ? this.#trickleClock.next(now)
      : now + poissonDelay(this.#txTrickleMs, this.#random)
    this.#txTimer = setTimeout(
      () => {
        this.#txTimer = undefined
        this.#guard(() => this.#flushTransactions())
      },
      Math.max(0, at - now),
    )
  }

  /** One trickle: up to min(1000, 70 + 5 × ⌊queued / 1000⌋) unknown transactions (Core). */
  #flushTransactions(): void {
    if (this.#state.status !== 'ready') return
    const max = Math.min(
      INVENTORY_BROADCAST_MAX,
      INVENTORY_BROADCAST_TARGET + 5 * Math.floor(this.#pendingTx.size / 1000),
    )
    const feeFilter = this.#features.feeFilter
    const out: InvItem[] = []
    for (const [key, p] of this.#pendingTx) {
      if (out.length >= max) break
      this.#pendingTx.delete(key)
      if (p.feeRate !== undefined && feeFilter > 0n && p.feeRate < feeFilter) continue
      if (this.#knownTx.has(p.item)) continue
      this.#knownTx.add(p.item)
      out.push(p.item)
    }
    if (out.length > 0) this.#enqueue({ command: 'inv', inventory: out })
    if (this.#pendingTx.size > 0) this.#armTxTrickle()
  }

  #flushAddresses(): void {
    this.#addrTimer = undefined
    const s = this.#state
    if (s.status !== 'ready') return
    const batch = this.#pendingAddr
    this.#pendingAddr = []
    if (s.addrV2) {
      const out: AddrV2Entry[] = []
      for (const a of batch) {
        const key = addrKey(a.networkId, a.addr, a.port)
        if (this.#knownAddr.has(key)) continue
        this.#knownAddr.add(key)
        out.push(a)
      }
      if (out.length > 0) this.#enqueue({ command: 'addrv2', addresses: out })
      return
    }
    const out: AddrEntry[] = []
    for (const a of batch) {
      const v1 = addrToV1(a)
      if (!v1) continue
      const key = addrKey(a.networkId, a.addr, a.port)
      if (this.#knownAddr.has(key)) continue
      this.#knownAddr.add(key)
      out.push(v1)
    }
    if (out.length > 0) this.#enqueue({ command: 'addr', addresses: out })
  }

  #markKnown(items: readonly InvItem[]): void {
    for (const it of items) {
      if (isTxInv(it.type)) this.#knownTx.add(it)
    }
  }

  // --- helpers ------------------------------------------------------------------------

  #emit<K extends keyof PeerEvents>(event: K, ...args: PeerEvents[K]): void {
    if (this.#state.status === 'closed') return
    this.#emitter.emit(event, ...args)
  }

  /** Not narrowed by TypeScript: the state may change under any call. */
  #isClosed(): boolean {
    return this.#state.status === 'closed'
  }

  #closedError(): PeerClosedError {
    const s = this.#state
    const cause = s.status === 'closed' ? s.error : undefined
    return new PeerClosedError(
      cause ? `The peer connection is closed: ${cause.message}` : 'The peer connection is closed.',
      cause ? { cause } : undefined,
    )
  }

  /** Reject `entry` with AbortError when `signal` aborts; `remove` takes it out of its table. */
  #bindSignal(
    entry: Pending<never> | Pending<unknown>,
    signal: AbortSignal | undefined,
    remove: () => void,
  ): void {
    if (!signal) return
    const onAbort = (): void => {
      remove()
      if (entry.timer) clearTimeout(entry.timer)
      entry.reject(new AbortError('The request was aborted.'))
    }
    if (signal.aborted) {
      onAbort()
      return
    }
    signal.addEventListener('abort', onAbort, { once: true })
    entry.detach = () => signal.removeEventListener('abort', onAbort)
  }
}

function noop(): void {}
