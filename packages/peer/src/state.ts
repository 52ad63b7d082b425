/**
 * A peer's state as a discriminated union: fields exist only on the
 * variants where they are known, so no code can read the negotiated version
 * of a peer that has not sent one yet.
 */

import type { NodeError } from '@node/runtime'
import type { NetAddr } from '@node/wire'

export type Direction = 'inbound' | 'outbound'

/**
 * Core's connection types (net.h ConnectionType). They change what the peer
 * does: block-relay-only and feeler links send relay = false and carry no
 * transactions; block-relay-only links carry no addresses either; outbound
 * full-relay, block-relay-only and addr-fetch peers must offer the desirable
 * services.
 */
export type ConnectionType =
  | 'inbound'
  | 'outbound-full-relay'
  | 'block-relay-only'
  | 'manual'
  | 'feeler'
  | 'addr-fetch'

/** What the remote peer said about itself in its `version`. */
export interface RemoteVersion {
  /** The version it speaks (not the negotiated one). */
  readonly version: number
  readonly services: bigint
  /** BIP14 user agent, with characters outside Core's safe set removed. */
  readonly userAgent: string
  readonly startHeight: number
  /** BIP37 relay flag (true when the peer left it out). */
  readonly relay: boolean
  readonly nonce: bigint
  /** Its clock minus ours, in seconds, when the version arrived. */
  readonly timeOffset: number
  /** How it sees our address (Core uses this to learn its own address). */
  readonly addrRecv: NetAddr
}

/** Preferences the peer announced after the handshake. */
export interface PeerFeatures {
  /** BIP130 `sendheaders`: announce blocks with `headers`, not `inv`. */
  readonly prefersHeaders: boolean
  /** BIP152 `sendcmpct` (version 2 only, as Core). */
  readonly compact: { readonly announce: boolean; readonly version: bigint } | undefined
  /** BIP133 `feefilter`, sat/kvB (0 when none). */
  readonly feeFilter: bigint
}

export interface ConnectingState {
  readonly status: 'connecting'
  readonly since: number
}

export interface HandshakingState {
  readonly status: 'handshaking'
  readonly since: number
  /** Known once its `version` arrived. */
  readonly remote: RemoteVersion | undefined
  /** min(ours, theirs), once its `version` arrived. */
  readonly version: number | undefined
}

export interface ReadyState {
  readonly status: 'ready'
  readonly since: number
  readonly remote: RemoteVersion
  /** Negotiated protocol version: min(ours, theirs). */
  readonly version: number
  /** BIP339: both sides sent `wtxidrelay`; transactions are announced by wtxid. */
  readonly wtxidRelay: boolean
  /** BIP155: the peer sent `sendaddrv2`; we send it `addrv2`. */
  readonly addrV2: boolean
  readonly features: PeerFeatures
}

export interface ClosedState {
  readonly status: 'closed'
  readonly since: number
  /** Why it closed; undefined when the host called destroy() without a reason. */
  readonly error: NodeError | undefined
  /** Whether it had completed the handshake. */
  readonly wasReady: boolean
}

export type PeerState = ConnectingState | HandshakingState | ReadyState | ClosedState
export type PeerStatus = PeerState['status']
