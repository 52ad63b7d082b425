/**
 * Defaults of a peer connection. Each names its source: Bitcoin Core (Core),
 * btcd or bcoin. Every one can be overridden in `PeerInit`.
 */
import { Services } from '@node/wire'

/**
 * Time to complete the version handshake from the moment the TCP connection
 * exists (Core DEFAULT_PEER_CONNECT_TIMEOUT, `-peertimeout`, 60 s; btcd: 30 s).
 */
export const HANDSHAKE_TIMEOUT_MS = 60_000
/** Time for an outbound TCP connect (Core DEFAULT_CONNECT_TIMEOUT, `-timeout`, 5,000 ms). */
export const CONNECT_TIMEOUT_MS = 5_000
/** Interval between automatic pings (Core PING_INTERVAL, 2 min; bcoin pings every 30 s). */
export const PING_INTERVAL_MS = 2 * 60_000
/** A ping unanswered this long disconnects (Core TIMEOUT_INTERVAL, 20 min). */
export const PING_TIMEOUT_MS = 20 * 60_000
/**
 * No complete message received, or nothing flushed to the socket, for this
 * long disconnects (Core TIMEOUT_INTERVAL, 20 min, in net.cpp
 * InactivityCheck, from m_last_recv and m_last_send). This is the only
 * disconnect for a peer that does not read: while it is slow, we stop
 * handling its messages and reading its socket instead (see the limits
 * below). Core counts bytes received; we count complete messages received,
 * so a peer that dribbles a frame one byte at a time cannot keep the
 * connection alive.
 */
export const INACTIVITY_TIMEOUT_MS = 20 * 60_000

/**
 * Unsent bytes (our send queue plus the socket's buffer) past which we stop
 * handling the peer's messages until the buffer drains below it (Core
 * `-maxsendbuffer`, DEFAULT_MAXSENDBUFFER, 1,000 kB: net.cpp sets fPauseSend
 * past it and net_processing.cpp ProcessMessages returns early while it is
 * set). A peer that asks faster than it reads is slowed down, not dropped.
 */
export const SEND_BUFFER_LIMIT_BYTES = 1_000_000
/**
 * Bytes of received messages waiting to be handled past which we stop
 * reading the socket until they are handled (Core `-maxreceivebuffer`,
 * DEFAULT_MAXRECEIVEBUFFER, 5,000 kB: net.cpp sets fPauseRecv when the
 * process queue passes it and stops polling the socket for reading).
 */
export const RECV_QUEUE_LIMIT_BYTES = 5_000_000
/**
 * A guard, not the flow control: unsent bytes past which the peer is
 * disconnected (`SEND_BUFFER_FULL`). The send limit above keeps a peer's
 * requests from getting here; only a host that keeps sending to a peer
 * without looking at `bufferedBytes` can reach it (bcoin DRAIN_MAX, 10 MiB).
 */
export const MAX_SEND_BUFFER_BYTES = 10 * 1024 * 1024
/**
 * Bytes handed to the socket before we wait for 'drain'. Keeping this small
 * is what lets a queued ping overtake queued blocks: only what is already in
 * the socket has to go first.
 */
export const SOCKET_HIGH_WATER_BYTES = 128 * 1024
/** Payloads at least this big are written as header + payload (no copy); smaller ones as one buffer. */
export const ZERO_COPY_MIN_BYTES = 16 * 1024

/** Mean of the shared Poisson timer for tx announcements to inbound peers (Core INBOUND_INVENTORY_BROADCAST_INTERVAL, 5 s). */
export const INBOUND_INVENTORY_BROADCAST_INTERVAL_MS = 5_000
/** Mean of each outbound peer's Poisson timer (Core OUTBOUND_INVENTORY_BROADCAST_INTERVAL, 2 s). */
export const OUTBOUND_INVENTORY_BROADCAST_INTERVAL_MS = 2_000
/**
 * Transactions announced per trickle: `min(MAX, TARGET + 5 × ⌊queued / 1000⌋)`
 * (Core INVENTORY_BROADCAST_TARGET = 14/s × 5 s = 70, INVENTORY_BROADCAST_MAX = 1000,
 * since PR #28592).
 */
export const INVENTORY_BROADCAST_TARGET = 70
export const INVENTORY_BROADCAST_MAX = 1_000
/** Transactions waiting to be announced to one peer; the oldest is dropped past it. */
export const MAX_PENDING_TX_ANNOUNCEMENTS = 50_000
/** Mean of the per-peer Poisson timer for address relay (Core AVG_ADDRESS_BROADCAST_INTERVAL, 30 s). */
export const ADDRESS_BROADCAST_INTERVAL_MS = 30_000
/** Addresses waiting to be sent to one peer (Core MAX_ADDR_TO_SEND, 1,000). */
export const MAX_PENDING_ADDRESSES = 1_000

/** Known-transaction filter per peer (Core m_tx_inventory_known_filter{50000, 0.000001}). */
export const KNOWN_TX_ENTRIES = 50_000
export const KNOWN_TX_FP_RATE = 0.000001
/** Known-address filter per peer (Core m_addr_known{5000, 0.001}). */
export const KNOWN_ADDR_ENTRIES = 5_000
export const KNOWN_ADDR_FP_RATE = 0.001

/** Callers waiting on one ping. */
export const MAX_PING_WAITERS = 64

/** Nonces of outbound handshakes in progress kept for self-connection detection (btcd keeps 50). */
export const MAX_NONCES = 1_024

/** Our BIP14 user agent. */
export const DEFAULT_USER_AGENT = '/node:0.1.0/'
/** What we offer: full blocks with witnesses. */
export const DEFAULT_SERVICES = Services.NODE_NETWORK | Services.NODE_WITNESS
/**
 * What an outbound full-relay, block-relay-only or addr-fetch peer must offer
 * (Core GetDesirableServiceFlags / ExpectServicesFromConn). Core also accepts
 * NODE_NETWORK_LIMITED | NODE_WITNESS when its tip is recent; pass
 * `requiredServices` to do the same.
 */
export const DESIRABLE_SERVICES = Services.NODE_NETWORK | Services.NODE_WITNESS

/** BIP152: the compact block version we speak (witness). */
export const CMPCTBLOCKS_VERSION = 2n

/** The statistics bucket for commands we do not know (Core NET_MESSAGE_TYPE_OTHER). */
export const OTHER_COMMAND = '*other*'
