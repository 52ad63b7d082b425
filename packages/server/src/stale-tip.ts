/**
 * The stale-tip check and the extra outbound peer (Core net_processing.cpp
 * `PeerManagerImpl::CheckForStaleTipAndEvictPeers`, `TipMayBeStale`,
 * `EvictExtraOutboundPeers`).
 *
 * - When no new block arrived for 30 minutes and no block is in flight, the
 *   tip may be stale: the outbound loop may open one full-relay peer past
 *   the target (`extraOutbound`), until the next new tip.
 * - Every 45 s, with more full-relay outbound peers than the target, the
 *   one whose last new block came longest ago (never counts as oldest; ties:
 *   the youngest connection) is disconnected once it has been connected
 *   30 s (MINIMUM_CONNECT_TIME).
 * - The same timer ends address-fetch (seednode) connections that outlived
 *   5 minutes.
 */
import { type Logger, Service } from '@node/runtime'
import type { NodeComponents } from './components.ts'
import type { ResolvedInit } from './config.ts'
import {
  ADDR_FETCH_TIMEOUT_MS,
  EXTRA_PEER_CHECK_MS,
  MINIMUM_CONNECT_TIME_MS,
  STALE_TIP_AGE_MS,
  STALE_TIP_CHECK_MS,
} from './constants.ts'
import type { PeerEntry, PeerHost } from './peers.ts'
import { Tasks } from './tasks.ts'

export type StaleTipInit = Pick<ResolvedInit, 'maxOutbound' | 'staleTipAgeMs' | 'extraPeerCheckMs'>

export class StaleTipCheck extends Service {
  readonly #log: Logger
  readonly #components: Pick<NodeComponents, 'blockManager' | 'now'>
  readonly #host: PeerHost
  readonly #init: StaleTipInit
  readonly #tasks: Tasks
  #lastTipAt = 0
  #extraOutbound = false

  constructor(
    components: Pick<NodeComponents, 'logger' | 'blockManager' | 'now'>,
    host: PeerHost,
    init: StaleTipInit,
  ) {
    super()
    this.#log = components.logger.child({ component: 'server', policy: 'stale-tip' })
    this.#components = components
    this.#host = host
    this.#init = init
    this.#tasks = new Tasks(this.#log)
  }

  /** The tip looks stale: one full-relay outbound peer past the target is wanted. */
  get extraOutbound(): boolean {
    return this.#extraOutbound
  }

  protected async onStart(): Promise<void> {
    this.#extraOutbound = false
    this.#lastTipAt = this.#components.now()
    this.#components.blockManager.on('tip', this.#onTip)
    const extraMs = this.#init.extraPeerCheckMs
    this.#tasks.interval(
      () => this.#checkStaleTip(),
      Math.min(STALE_TIP_CHECK_MS, extraMs ?? STALE_TIP_CHECK_MS),
    )
    this.#tasks.interval(() => this.#evictExtraOutbound(), extraMs ?? EXTRA_PEER_CHECK_MS)
  }

  protected async onStop(): Promise<void> {
    this.#tasks.clearTimers()
    this.#components.blockManager.off('tip', this.#onTip)
  }

  /** Run both checks now (the host calls it when the clock is moved). */
  checkNow(): void {
    if (this.status !== 'started') return
    this.#checkStaleTip()
    this.#evictExtraOutbound()
  }

  readonly #onTip = (): void => {
    this.#lastTipAt = this.#components.now()
    this.#extraOutbound = false
  }

  /** Core TipMayBeStale: no new block for 30 minutes, and none in flight. */
  #checkStaleTip(): void {
    const age = this.#init.staleTipAgeMs ?? STALE_TIP_AGE_MS
    const bm = this.#components.blockManager
    if (this.#components.now() - this.#lastTipAt > age && bm.blocksInFlight === 0) {
      if (!this.#extraOutbound) this.#log.info('The tip looks stale; trying an extra outbound peer.')
      this.#extraOutbound = true
    }
  }

  /** Core EvictExtraOutboundPeers (full-relay part), and the address-fetch timeout. */
  #evictExtraOutbound(): void {
    const now = this.#components.now()
    const peers = [...this.#host.peers()]
    for (const e of peers) {
      if (e.fetchOnly && now - e.connectedAt > ADDR_FETCH_TIMEOUT_MS) {
        this.#log.debug({ peer: e.peer.address }, 'Address-fetch connection timed out.')
        e.peer.destroy()
      }
    }
    const full = peers.filter((e) => e.type === 'outbound-full-relay' && e.ready)
    if (full.length <= this.#init.maxOutbound) return
    let worst: PeerEntry | undefined
    for (const e of full) {
      if (
        !worst ||
        e.lastBlockAt < worst.lastBlockAt ||
        (e.lastBlockAt === worst.lastBlockAt && e.connectedAt > worst.connectedAt)
      ) {
        worst = e
      }
    }
    if (!worst || now - worst.connectedAt < MINIMUM_CONNECT_TIME_MS) return
    this.#log.info(
      { peer: worst.peer.address, lastBlockAgoMs: worst.lastBlockAt ? now - worst.lastBlockAt : null },
      'Disconnecting the extra outbound peer with the oldest block announcement.',
    )
    worst.peer.destroy()
  }
}
