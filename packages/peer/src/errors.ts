/**
 * Errors of a peer connection. Match on `code`, not `instanceof`.
 *
 * Two families: {@link ProtocolError}s say what the remote peer did wrong and
 * how serious it is (they travel in `misbehaving` events; the peer never
 * decides bans, the server does); plain {@link NodeError}s say why a
 * connection ended or a request failed.
 */

import { NodeError } from '@node/runtime'
import { ProtocolError } from '@node/wire'

/** The peer is closed; pending requests are rejected with this. */
export class PeerClosedError extends NodeError {
  constructor(message = 'The peer connection is closed.', options?: { cause?: unknown }) {
    super('PEER_CLOSED', message, options)
    this.name = 'PeerClosedError'
  }
}

/** A method that needs a finished handshake was called before it. */
export class PeerNotReadyError extends NodeError {
  constructor(what: string) {
    super('PEER_NOT_READY', `Cannot ${what} before the handshake is complete.`)
    this.name = 'PeerNotReadyError'
  }
}

/** The TCP connection failed. */
export class ConnectError extends NodeError {
  constructor(address: string, options?: { cause?: unknown }) {
    const detail = (options?.cause as { message?: string } | undefined)?.message
    super('CONNECT_FAILED', `Could not connect to ${address}${detail ? `: ${detail}` : ''}.`, options)
    this.name = 'ConnectError'
  }
}

/** The TCP connection did not complete in time. */
export class ConnectTimeoutError extends NodeError {
  constructor(address: string, ms: number) {
    super('CONNECT_TIMEOUT', `Connecting to ${address} took longer than ${ms} ms.`)
    this.name = 'ConnectTimeoutError'
  }
}

/** version/verack did not complete in time (Core: "version handshake timeout"). */
export class HandshakeTimeoutError extends NodeError {
  constructor(ms: number) {
    super('HANDSHAKE_TIMEOUT', `The version handshake did not complete within ${ms} ms.`)
    this.name = 'HandshakeTimeoutError'
  }
}

/** Our ping was not answered in time (Core: "ping timeout"). */
export class PingTimeoutError extends NodeError {
  constructor(ms: number) {
    super('PING_TIMEOUT', `No pong within ${ms} ms.`)
    this.name = 'PingTimeoutError'
  }
}

/** Nothing was received, or nothing could be sent, for too long (Core InactivityCheck). */
export class InactivityTimeoutError extends NodeError {
  readonly direction: 'receive' | 'send'
  constructor(direction: 'receive' | 'send', ms: number) {
    super(
      'INACTIVITY_TIMEOUT',
      direction === 'receive'
        ? `No complete message received for ${ms} ms.`
        : `Nothing could be sent to the peer for ${ms} ms.`,
    )
    this.name = 'InactivityTimeoutError'
    this.direction = direction
  }
}

/** Too many requests of one kind are already waiting (a caller bound). */
export class TooManyRequestsError extends NodeError {
  constructor(what: string, max: number) {
    super('TOO_MANY_REQUESTS', `At most ${max} ${what} may be pending on one peer.`)
    this.name = 'TooManyRequestsError'
  }
}

/** The peer stopped reading: unread output passed the cap (bcoin DRAIN_MAX). */
export class SendBufferFullError extends NodeError {
  readonly bytes: number
  constructor(bytes: number, max: number) {
    super('SEND_BUFFER_FULL', `${bytes} bytes unread by the peer, more than the ${max} allowed.`)
    this.name = 'SendBufferFullError'
    this.bytes = bytes
  }
}

/** The remote side closed (or reset) the connection. */
export class RemoteClosedError extends NodeError {
  constructor(options?: { cause?: unknown }) {
    super(
      'REMOTE_CLOSED',
      options?.cause ? 'The peer reset the connection.' : 'The peer closed the connection.',
      options,
    )
    this.name = 'RemoteClosedError'
  }
}

/** The socket reported an error (reset, refused...). */
export class SocketError extends NodeError {
  constructor(options: { cause: unknown }) {
    super(
      'SOCKET_ERROR',
      `Socket error: ${(options.cause as Error)?.message ?? String(options.cause)}`,
      options,
    )
    this.name = 'SocketError'
  }
}

/** A bug of ours surfaced in a socket handler; the connection is closed rather than the process. */
export class PeerInternalError extends NodeError {
  constructor(options: { cause: unknown }) {
    super(
      'PEER_INTERNAL',
      `Internal error: ${(options.cause as Error)?.message ?? String(options.cause)}`,
      options,
    )
    this.name = 'PeerInternalError'
  }
}

// --- what the remote did wrong (ProtocolError: carries a severity) ------------

/** Any message but `version` before `version`. Core logs and ignores it. */
export class MessageBeforeVersionError extends ProtocolError {
  constructor(command: string) {
    super('MESSAGE_BEFORE_VERSION', 'ignore', `${command} before version; ignored.`)
    this.name = 'MessageBeforeVersionError'
  }
}

/** A non-negotiation message between version and verack. Core ignores it ("Unsupported message prior to verack"). */
export class MessageBeforeVerackError extends ProtocolError {
  constructor(command: string) {
    super('MESSAGE_BEFORE_VERACK', 'ignore', `${command} before verack; ignored.`)
    this.name = 'MessageBeforeVerackError'
  }
}

/** A second `version`. Core ignores it ("redundant version message"); btcd disconnects. */
export class RedundantVersionError extends ProtocolError {
  constructor() {
    super('REDUNDANT_VERSION', 'ignore', 'A second version message; ignored.')
    this.name = 'RedundantVersionError'
  }
}

/** The peer's protocol version is below our minimum (Core MIN_PEER_PROTO_VERSION). */
export class ObsoleteVersionError extends ProtocolError {
  readonly version: number
  constructor(version: number, min: number) {
    super(
      'OBSOLETE_VERSION',
      'disconnect',
      `Peer uses protocol version ${version}, below the minimum ${min}.`,
    )
    this.name = 'ObsoleteVersionError'
    this.version = version
  }
}

/** The version nonce is one of ours: we connected to ourselves (Core: "connected to self"). */
export class SelfConnectionError extends ProtocolError {
  constructor() {
    super('SELF_CONNECTION', 'disconnect', 'Connected to ourselves (the version nonce is ours).')
    this.name = 'SelfConnectionError'
  }
}

/** An outbound peer lacks services we require (Core: "does not offer the expected services"). */
export class MissingServicesError extends ProtocolError {
  readonly services: bigint
  constructor(services: bigint, required: bigint) {
    super(
      'MISSING_SERVICES',
      'disconnect',
      `Peer offers services 0x${services.toString(16)}, without the required 0x${required.toString(16)}.`,
    )
    this.name = 'MissingServicesError'
    this.services = services
  }
}

/** `wtxidrelay` or `sendaddrv2` after verack (Core, BIP339, BIP155: disconnect). */
export class LateNegotiationError extends ProtocolError {
  constructor(command: string) {
    super('NEGOTIATION_AFTER_VERACK', 'disconnect', `${command} received after verack.`)
    this.name = 'LateNegotiationError'
  }
}

/** A transaction or transaction inv on a link where we said relay = false (Core: "sent in violation of protocol"). */
export class TxRelayViolationError extends ProtocolError {
  constructor(command: string) {
    super(
      'TX_RELAY_VIOLATION',
      'disconnect',
      `${command} with transactions although we asked for none (relay = false).`,
    )
    this.name = 'TxRelayViolationError'
  }
}

/**
 * `mempool` or a BIP37 filter message while we do not offer NODE_BLOOM (Core
 * net_processing.cpp `ProcessMessage`: "mempool request with bloom filters
 * disabled", "filterload received despite not offering bloom services"): disconnect.
 */
export class BloomNotOfferedError extends ProtocolError {
  constructor(command: string) {
    super('BLOOM_NOT_OFFERED', 'disconnect', `${command} received although we do not offer NODE_BLOOM.`)
    this.name = 'BloomNotOfferedError'
  }
}
