/**
 * What the policy modules see of the server's peers: the entry the server
 * keeps for each connection, and {@link PeerHost}, the narrow interface
 * through which outbound dialing, inbound admission, anchors and the
 * stale-tip check read the peer table and open connections (the server
 * owns the table and the Peer objects; Core's CConnman::m_nodes).
 */
import type { Socket } from 'node:net'
import type { PeerAddress, ServiceAddress } from '@node/addrmgr'
import type { SyncPeer } from '@node/blockmgr'
import type { InvCache } from '@node/inv-cache'
import type { ConnectionType, Peer } from '@node/peer'
import type { AddrV2Entry } from '@node/wire'
import type { PeerAddrState } from './addr-relay.ts'

export interface PeerEntry {
  readonly peer: Peer
  readonly id: number
  readonly inbound: boolean
  /** Accepted on an onion bind (Core `m_inbound_onion`): it came through Tor. */
  readonly inboundOnion: boolean
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
  /** Disconnect after the first addr reply (seednode, address fetch). */
  readonly fetchOnly: boolean
}

/** The server's peer table, as the policy modules use it. */
export interface PeerHost {
  /** False once the server began to stop: no new connections either way. */
  readonly accepting: boolean
  /** Every tracked peer, handshake finished or not. */
  peers(): Iterable<PeerEntry>
  get(id: number): PeerEntry | undefined
  /** A peer (in either direction) is connected to this address and port. */
  connectedTo(s: ServiceAddress): boolean
  /**
   * Open an outbound connection and track it from the moment the dial
   * starts; undefined once the server stopped accepting (shutting down).
   * `v2`: try the BIP324 transport first. Policy checks (bans, slots,
   * failure counting, the transport choice) are the caller's.
   */
  connect(s: ServiceAddress, type: ConnectionType, v2: boolean): PeerEntry | undefined
  /** Track an admitted inbound socket as a peer; `onion`: accepted on an onion bind. */
  accept(socket: Socket, service: ServiceAddress | undefined, onion: boolean): PeerEntry
  /**
   * A peer's network group as hex. With `localRoutable` each local address
   * is its own group, and with `withPort` each address and port (our test
   * nodes all listen on 127.0.0.1).
   */
  groupOf(s: ServiceAddress, withPort?: boolean): string
}

/** Open connections of each type (Core counts these from m_nodes in ThreadOpenConnections). */
export interface ConnectionCounts {
  inbound: number
  full: number
  blockRelay: number
  feeler: number
  manual: number
  fetch: number
}

export function countConnections(peers: Iterable<PeerEntry>): ConnectionCounts {
  const c = { inbound: 0, full: 0, blockRelay: 0, feeler: 0, manual: 0, fetch: 0 }
  for (const e of peers) {
    if (e.inbound) c.inbound++
    else if (e.type === 'outbound-full-relay') c.full++
    else if (e.type === 'block-relay-only') c.blockRelay++
    else if (e.type === 'feeler') c.feeler++
    else if (e.type === 'manual') c.manual++
    else if (e.type === 'addr-fetch') c.fetch++
  }
  return c
}

/** An IPv4-mapped IPv6 remote address (`::ffff:1.2.3.4`) as plain IPv4. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

export function toAddrV2(a: PeerAddress): AddrV2Entry {
  const b = a.addr.toBip155()
  return { time: a.time, services: a.services, networkId: b.networkId, addr: b.addr, port: a.port }
}
