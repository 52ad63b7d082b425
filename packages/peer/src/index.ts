/**
 * @node/peer: one Bitcoin P2P connection, done right.
 *
 * Outbound (`Peer.connect` / `Peer.dial`) and inbound (`Peer.accept`)
 * connections end in the same state machine, a discriminated union:
 * `connecting → handshaking → ready → closed`. The peer runs the version
 * handshake in both orders, pings every 2 minutes, enforces Core's timeouts,
 * queues output by priority with a byte cap, trickles transaction inventory
 * on Poisson timers, filters transactions and addresses the peer already
 * knows, keeps statistics, and reports misbehaviour as events without ever
 * deciding a ban itself. Block and header requests are the block manager's.
 *
 * The peer talks through a {@link Transport}: v1 frames, or BIP324's v2
 * encrypted transport (`v2Transport: true`; inbound peers then tell v1 from v2
 * by the first bytes). `peer.transportProtocol` and `peer.sessionId` say which.
 *
 * @example
 * ```ts
 * import { NonceSet, Peer } from '@node/peer'
 * import { networks } from '@node/wire'
 *
 * const nonces = new NonceSet() // shared by all peers: detects connections to ourselves
 * const peer = await Peer.connect({ nonces }, { network: networks.regtest, host: '127.0.0.1', port: 18444 })
 * peer.on('misbehaving', ({ error }) => report(error.code))
 * const rttMs = await peer.ping() // peer.state.status === 'ready'
 * peer.destroy()
 * ```
 */
export {
  ADDRESS_BROADCAST_INTERVAL_MS,
  CMPCTBLOCKS_VERSION,
  CONNECT_TIMEOUT_MS,
  DEFAULT_SERVICES,
  DEFAULT_USER_AGENT,
  DESIRABLE_SERVICES,
  HANDSHAKE_TIMEOUT_MS,
  INACTIVITY_TIMEOUT_MS,
  INBOUND_INVENTORY_BROADCAST_INTERVAL_MS,
  INVENTORY_BROADCAST_MAX,
  INVENTORY_BROADCAST_TARGET,
  KNOWN_ADDR_ENTRIES,
  KNOWN_ADDR_FP_RATE,
  KNOWN_TX_ENTRIES,
  KNOWN_TX_FP_RATE,
  MAX_NONCES,
  MAX_PENDING_ADDRESSES,
  MAX_PENDING_TX_ANNOUNCEMENTS,
  MAX_PING_WAITERS,
  MAX_SEND_BUFFER_BYTES,
  OTHER_COMMAND,
  OUTBOUND_INVENTORY_BROADCAST_INTERVAL_MS,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  RECV_QUEUE_LIMIT_BYTES,
  SEND_BUFFER_LIMIT_BYTES,
  SOCKET_HIGH_WATER_BYTES,
  ZERO_COPY_MIN_BYTES,
} from './constants.ts'
export {
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
export { NonceSet, type NonceSetInit } from './nonces.ts'
export {
  type CloseInfo,
  type ConnectInit,
  type Misbehaviour,
  Peer,
  type PeerComponents,
  type PeerEvents,
  type PeerInit,
  type PeerStats,
  type ProxyInit,
  type RequestOptions,
  type TxAnnouncement,
} from './peer.ts'
export {
  IMPLICIT_PERMISSIONS,
  PEER_PERMISSIONS,
  PERMISSION_NAMES,
  type PeerPermission,
} from './permissions.ts'
export { PoissonClock, type PoissonClockComponents, type PoissonClockInit, poissonDelay } from './poisson.ts'
export { Priority, type PriorityValue, priorityOf } from './send-queue.ts'
export {
  type ProxyCredentials,
  SOCKS5_TIMEOUT_MS,
  Socks5Error,
  type Socks5Options,
  socks5Connect,
  socks5ReplyText,
} from './socks5.ts'
export type {
  ClosedState,
  ConnectingState,
  ConnectionType,
  Direction,
  HandshakingState,
  PeerFeatures,
  PeerState,
  PeerStatus,
  ReadyState,
  RemoteVersion,
} from './state.ts'
export type { CommandCounter } from './stats.ts'
export {
  V2BadMessageTypeError,
  V2DecryptError,
  V2GarbageTerminatorError,
  V2PacketTooLargeError,
  V2WrongNetworkError,
} from './transport/errors.ts'
export type { Transport, TransportProtocol } from './transport/transport.ts'
