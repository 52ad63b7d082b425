/**
 * PeerLink: the block manager's handle on one ready peer, the server side
 * of {@link SyncPeer} (btcd's netsync PeerNotifier plays this part: the few
 * things the sync manager may ask of a peer). The block manager owns block
 * and header requests; through this handle it sends messages, sends stored
 * blocks as they are, reads what the peer negotiated, keeps the peer's
 * known-inventory set, and reports misbehaviour or asks for a disconnect —
 * which the server decides and carries out.
 */
import type { SyncPeer } from '@node/blockmgr'
import type { Logger } from '@node/runtime'
import { type Hash, type Message, type ProtocolError, Services } from '@node/wire'
import type { PeerEntry } from './peers.ts'

/** What the handle needs of the server. */
export interface PeerLinkHost {
  readonly log: Logger
  /** Report misbehaviour (the server's misbehaviour policy decides). */
  misbehaving(e: PeerEntry, err: ProtocolError): void
}

export class PeerLink implements SyncPeer {
  readonly #e: PeerEntry
  readonly #host: PeerLinkHost
  readonly id: number
  readonly label: string
  readonly inbound: boolean
  readonly startHeight: number
  readonly canServeBlocks: boolean

  /** For a peer whose handshake is complete. */
  constructor(e: PeerEntry, host: PeerLinkHost) {
    this.#e = e
    this.#host = host
    const st = e.peer.state
    const remote = st.status === 'ready' ? st.remote : undefined
    this.id = e.id
    this.label = `${e.peer.address} (${e.inbound ? 'inbound' : 'outbound'})`
    this.inbound = e.inbound
    this.startHeight = remote?.startHeight ?? 0
    // Core CanServeBlocks: NODE_NETWORK or NODE_NETWORK_LIMITED.
    this.canServeBlocks =
      remote === undefined ||
      (remote.services & (Services.NODE_NETWORK | Services.NODE_NETWORK_LIMITED)) !== 0n
  }

  get prefersHeaders(): boolean {
    const s = this.#e.peer.state
    return s.status === 'ready' && s.features.prefersHeaders
  }

  get compactBlocks(): boolean {
    const s = this.#e.peer.state
    return s.status === 'ready' && s.features.compact !== undefined
  }

  get compactHighBandwidth(): boolean {
    const s = this.#e.peer.state
    return s.status === 'ready' && s.features.compact?.announce === true
  }

  setCompactHighBandwidth(on: boolean): void {
    if (this.#e.peer.state.status === 'ready')
      this.#e.peer.send({ command: 'sendcmpct', announce: on, version: 2n })
  }

  send(m: Message): void {
    this.#e.peer.send(m)
  }

  sendBlock(payload: Uint8Array): void {
    this.#e.peer.sendEncoded('block', payload)
  }

  hasInventory(type: number, hash: Hash): boolean {
    return this.#e.known.has({ type, hash })
  }

  addInventory(type: number, hash: Hash): void {
    this.#e.known.add({ type, hash })
  }

  misbehaving(err: ProtocolError): void {
    this.#host.misbehaving(this.#e, err)
  }

  disconnect(reason: string): void {
    this.#host.log.info({ peer: this.#e.peer.address, reason }, 'Disconnecting peer.')
    this.#e.peer.destroy()
  }
}
