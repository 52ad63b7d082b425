/**
 * What a protocol violation costs a peer (Core net_processing.cpp
 * `PeerManagerImpl::Misbehaving`, `MaybeDiscourageAndDisconnect`): a peer
 * with the noban permission is neither discouraged nor disconnected (other
 * whitelist permissions do not protect it); a manual or local peer is
 * disconnected but not discouraged; any other peer whose error asks for it
 * is discouraged (banman) and disconnected; errors of severity `ignore` cost
 * nothing.
 */
import type { Logger } from '@node/runtime'
import { isProtocolError, type ProtocolError } from '@node/wire'
import type { BanList } from './bans.ts'
import type { PeerEntry } from './peers.ts'

export interface MisbehaviourContext {
  bans: BanList
  /** TEST ONLY: loopback peers are ordinary peers. */
  localRoutable: boolean
  log: Logger
}

export function onMisbehaving(e: PeerEntry, err: ProtocolError, ctx: MisbehaviourContext): void {
  if (!isProtocolError(err) || err.severity === 'ignore') return
  const ip = e.service?.addr.toString()
  if (e.peer.hasPermission('noban')) {
    // Core keeps noban peers; ours may still be closed by the peer itself
    // when the error makes the stream unusable, but is never discouraged.
    ctx.log.info({ peer: e.peer.address, code: err.code }, 'A noban peer misbehaved; not discouraged.')
    return
  }
  // Core: manual and local peers are disconnected, not discouraged (with
  // localRoutable, loopback peers are ordinary peers).
  const local = e.service?.addr.isLocal() === true && !ctx.localRoutable
  if (err.severity === 'discourage' && ip && e.type !== 'manual' && !local) {
    ctx.bans.discourage(ip)
    ctx.log.info(
      { peer: e.peer.address, code: err.code, reason: err.message },
      'Peer misbehaved; discouraged and disconnected.',
    )
  } else {
    // Before the handshake this is usually not a Bitcoin node at all (a
    // captive portal answering HTTP, say): debug, or an offline node's log
    // fills with it.
    const level = e.ready ? 'info' : 'debug'
    ctx.log[level](
      { peer: e.peer.address, code: err.code, reason: err.message },
      'Peer misbehaved; disconnected.',
    )
  }
  e.peer.destroy()
}
