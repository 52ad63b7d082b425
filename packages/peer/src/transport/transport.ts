/**
 * The transport: what turns a peer's messages into bytes on the socket and
 * back. The peer above talks only to this interface, so it does not know
 * whether it speaks v1 (plaintext frames) or v2 (BIP324 encrypted packets).
 *
 * Modelled on Core's `Transport` class in src/net.h (V1Transport and
 * V2Transport): received bytes go in, complete messages come out; a message
 * can be handed over only while the transport can send (a v2 transport cannot
 * before the key exchange); the transport reports its protocol and session id
 * (Transport::GetInfo) and whether a failed outbound v2 attempt should be
 * retried over v1 (Transport::ShouldReconnectV1).
 */
import type { FrameEvent, ProtocolError } from '@node/wire'

/** `detecting`: an inbound v2-capable transport that has not yet seen enough to know. */
export type TransportProtocol = 'v1' | 'v2' | 'detecting'

/** What a transport needs from its connection. */
export interface TransportComponents {
  /** Write handshake bytes (key, garbage, terminator, version packet) to the socket. */
  write(bytes: Uint8Array): void
  /** The transport became able to send messages: flush what waits. */
  sendable(): void
}

export interface Transport {
  /** `v2` only once the peer's version packet authenticated (as Core's GetInfo). */
  readonly protocol: TransportProtocol
  /** The BIP324 session id, once the protocol is `v2`. */
  readonly sessionId: Uint8Array | undefined
  /** The error that stopped the transport; the connection must be closed. */
  readonly failed: ProtocolError | undefined
  /** Whether {@link Transport.encode} may be called now. */
  readonly canSend: boolean
  /** Bytes held waiting for the rest of a message. */
  readonly buffered: number
  /**
   * An outbound v2 attempt that received nothing at all: if the connection
   * closes now, the peer is probably v1-only and worth one retry over v1.
   */
  readonly reconnectAsV1: boolean
  /** Called once the TCP connection is up (a v2 initiator sends its key here). */
  start(): void
  /** Feed received bytes; returns the messages (and errors) they completed, in order. */
  receive(chunk: Uint8Array): FrameEvent[]
  /** The bytes of one message, as pieces to write in order. Only while `canSend`. */
  encode(command: string, payload: Uint8Array): Uint8Array[]
  /** Drop every buffer (the connection closed). */
  reset(): void
}
