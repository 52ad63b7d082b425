/**
 * Outbound connections (Core net.cpp `CConnman::ThreadOpenConnections`,
 * `CConnman::ThreadOpenAddedConnections`, `CConnman::OpenNetworkConnection`).
 *
 * Every round (500 ms):
 * - `addnode` / `connect` targets that are not connected are dialled, each
 *   with its own retry backoff (backoff.ts); with `connect`, nothing else is.
 * - Otherwise seeding gets its chance (seeding.ts), then one automatic
 *   connection in Core's order: an anchor as block-relay-only (anchors.ts),
 *   full-relay peers up to the target, block-relay-only peers up to theirs,
 *   one full-relay peer past the target while the tip looks stale
 *   (stale-tip.ts), and a feeler about every 2 minutes (exponentially
 *   distributed). Targets come from slots.ts.
 * - The candidate comes from the address manager: up to 100 tries, one
 *   outbound peer per network group (feelers excepted), an address tried in
 *   the last 10 minutes skipped for the first 30 tries.
 * - A failed attempt counts against the address only while we are online
 *   (backoff.ts `shouldCountFailures`, Core's count_failures).
 * `seednode` targets are dialled once at start as address-fetch connections.
 *
 * The transport (BIP324, Core `CConnman::OpenNetworkConnection`'s
 * use_v2transport): v2 is tried when we speak it and the address advertises
 * NODE_P2P_V2 (the address manager's services), or for addnode, connect and
 * seednode targets whose services we do not know. An outbound v2 attempt the
 * remote closed before sending anything is dialled once more over v1, with
 * the same connection type (Core's reconnect-as-v1, `ShouldReconnectV1`).
 *
 * A target may be a host name (Core `Lookup` with fAllowLookup = -dns): it
 * is resolved by the injected resolver on each attempt, bounded by
 * `dnsTimeoutMs` (an addnode entry keeps the string, as Core's
 * `m_added_node_params`). A target that does not parse or resolve logs one
 * warning line (target, reason; no stack) and an addnode target stays for
 * the next try.
 */
import {
  type AddrManager,
  InvalidAddressError,
  NetAddress,
  Network,
  newBiasForOutbound,
  parseService,
  type RandomSource,
  type ServiceAddress,
  splitHostPort,
} from '@node/addrmgr'
import type { ConnectionType } from '@node/peer'
import { AbortError, type Logger, Service, sleep, timeoutSignal } from '@node/runtime'
import { Services } from '@node/wire'
import type { Anchors } from './anchors.ts'
import { type OutboundForCounting, RetryBackoff, shouldCountFailures } from './backoff.ts'
import type { BanList } from './bans.ts'
import { type NodeComponents, type Resolver, randomUnit } from './components.ts'
import type { ResolvedInit } from './config.ts'
import {
  FEELER_INTERVAL_MS,
  MAX_TRIES_PER_ROUND,
  POLICY_STOP_DEADLINE_MS,
  RECENT_TRY_SKIP_MS,
  RECENT_TRY_SKIP_TRIES,
} from './constants.ts'
import { countConnections, type PeerEntry, type PeerHost } from './peers.ts'
import type { Seeding } from './seeding.ts'
import type { SlotLimits } from './slots.ts'
import type { StaleTipCheck } from './stale-tip.ts'
import { raceSignal, Tasks } from './tasks.ts'

export type OutboundInit = Pick<
  ResolvedInit,
  | 'network'
  | 'connect'
  | 'addnode'
  | 'seednode'
  | 'useAddrmanOutgoing'
  | 'localRoutable'
  | 'feelerIntervalMs'
  | 'dialIntervalMs'
  | 'manualRetryBaseMs'
  | 'manualRetryMaxMs'
  | 'maxConnections'
  | 'dns'
  | 'dnsTimeoutMs'
  | 'v2Transport'
> & { limits: SlotLimits }

/** The policies the connection loop consults. */
export interface OutboundPolicies {
  readonly seeding: Seeding
  readonly anchors: Anchors
  readonly staleTip: StaleTipCheck
}

interface ManualTarget {
  readonly target: string
  peerId: number | undefined
  /** A name lookup for it is under way. */
  resolving: boolean
}

export class OutboundConnections extends Service {
  readonly #log: Logger
  readonly #addrManager: AddrManager
  readonly #bans: BanList
  readonly #now: () => number
  readonly #random: RandomSource
  readonly #resolve: Resolver
  readonly #host: PeerHost
  readonly #policies: OutboundPolicies
  readonly #init: OutboundInit
  readonly #tasks: Tasks
  /** addnode and connect targets; RPC `addnode add` entries survive a restart. */
  readonly #manual = new Map<string, ManualTarget>()
  #backoff: RetryBackoff
  #feelerAt = 0

  constructor(
    components: Pick<NodeComponents, 'logger' | 'addrManager' | 'bans' | 'now' | 'random' | 'resolve'>,
    host: PeerHost,
    policies: OutboundPolicies,
    init: OutboundInit,
  ) {
    super()
    this.#log = components.logger.child({ component: 'server', policy: 'outbound' })
    this.#addrManager = components.addrManager
    this.#bans = components.bans
    this.#now = components.now
    this.#random = components.random
    this.#resolve = components.resolve
    this.#host = host
    this.#policies = policies
    this.#init = init
    this.#tasks = new Tasks(this.#log)
    this.#backoff = this.#newBackoff()
  }

  protected async onStart(signal: AbortSignal): Promise<void> {
    // Nothing of the last run carries over but the RPC-added targets.
    this.#backoff = this.#newBackoff()
    for (const m of this.#manual.values()) {
      m.peerId = undefined
      m.resolving = false
    }
    for (const t of [...(this.#init.connect ?? []), ...(this.#init.addnode ?? [])]) this.#addManual(t)
    for (const t of this.#init.seednode ?? []) this.#dialFetch(t)
    this.#feelerAt = this.#now() + this.#feelerDelay()
    this.#tasks.run(this.#dialLoop(signal))
  }

  protected async onStop(): Promise<void> {
    // The loop sees the aborted signal and ends.
    await this.#tasks.settle(POLICY_STOP_DEADLINE_MS)
  }

  // --- RPC ---------------------------------------------------------------------

  /** RPC addnode: add | remove | onetry. */
  addNode(target: string, command: 'add' | 'remove' | 'onetry'): void {
    if (command === 'add') {
      this.#addManual(target)
      this.#backoff.forget(target)
    } else if (command === 'remove') {
      const m = this.#manual.get(target)
      this.#manual.delete(target)
      this.#backoff.forget(target)
      if (m?.peerId !== undefined) this.#host.get(m.peerId)?.peer.destroy()
    } else {
      const numeric = this.#numericService(target)
      if (numeric) this.dial(numeric, 'manual')
      else {
        if (!this.#init.dns) throw new InvalidAddressError(target, 'host names are not looked up (-dns=0)')
        this.#tasks.run(
          this.#lookupService(target, 'Cannot connect to an addnode onetry target.').then((s) => {
            if (s) this.dial(s, 'manual')
          }),
        )
      }
    }
  }

  /**
   * Core CConnman::AddConnection (regtest RPC addconnection): open one
   * outbound connection of `type` to `target` unless that type's slots are
   * full (full-relay and block-relay-only; addr-fetch and feeler have no
   * limit of their own) or every automatic outbound slot is taken (Core's
   * semOutbound: full-relay + block-relay-only + feeler). False at capacity.
   * As Core's OpenNetworkConnection, a target already connected, or a name
   * that does not resolve, is not an error.
   */
  addConnection(target: string, type: AutomaticOutboundType, v2: boolean): boolean {
    const c = countConnections(this.#host.peers())
    const limits = this.#init.limits
    if (type === 'outbound-full-relay' && c.full >= limits['outbound-full-relay']) return false
    if (type === 'block-relay-only' && c.blockRelay >= limits['block-relay-only']) return false
    const automatic = c.full + c.blockRelay + c.feeler + c.fetch
    if (automatic >= limits['outbound-full-relay'] + limits['block-relay-only'] + limits.feeler) return false
    const open = (s: ServiceAddress): void => {
      if (this.#host.accepting && !this.#host.connectedTo(s)) this.#host.connect(s, type, v2)
    }
    const numeric = this.#numericService(target)
    if (numeric) open(numeric)
    else if (this.#init.dns) {
      this.#tasks.run(
        this.#lookupService(target, 'Cannot open an addconnection target.').then((s) => {
          if (s) open(s)
        }),
      )
    } else throw new InvalidAddressError(target, 'host names are not looked up (-dns=0)')
    return true
  }

  /**
   * Core CConnman::AddNode's duplicate rule: a target is already added when
   * its text is, or when both read as the same numeric service
   * (LookupNumeric: `127.1:8333` and `127.0.0.1:8333` are one node).
   */
  hasAddedNode(target: string): boolean {
    if (this.#manual.has(target)) return true
    const s = this.#lookupNumeric(target)
    if (!s) return false
    for (const m of this.#manual.values()) {
      const o = this.#lookupNumeric(m.target)
      if (o && o.port === s.port && o.addr.equals(s.addr)) return true
    }
    return false
  }

  /**
   * Core LookupNumeric: getaddrinfo(AI_NUMERICHOST), which also reads the
   * inet_aton shorthands (`127.1`, `0x7f.1`). Only the added-node comparison
   * reads them; a shorthand target is still dialled through a host lookup.
   */
  #lookupNumeric(target: string): ServiceAddress | undefined {
    const numeric = this.#numericService(target)
    if (numeric) return numeric
    const m = /^([0-9a-fA-Fx.]+)(?::([0-9]+))?$/.exec(target)
    const v4 = m ? inetAton(m[1]!) : undefined
    return v4 === undefined ? undefined : this.#numericService(m![2] === undefined ? v4 : `${v4}:${m![2]}`)
  }

  addedNodes(): { target: string; connected: boolean }[] {
    return [...this.#manual.values()].map((m) => ({
      target: m.target,
      connected: m.peerId !== undefined && this.#host.get(m.peerId)?.ready === true,
    }))
  }

  /**
   * Core OpenNetworkConnection: dial unless already connected or (for
   * automatic connections) banned or discouraged; the attempt is recorded
   * in the address manager. `services`: what the address manager knows the
   * address advertises (undefined for manual and seednode targets);
   * `v1Retry`: the reconnection over v1 after a failed v2 attempt.
   */
  dial(
    s: ServiceAddress,
    type: ConnectionType,
    opts: { services?: bigint | undefined; v1Retry?: boolean } = {},
  ): PeerEntry | undefined {
    if (!this.#host.accepting || this.#host.connectedTo(s)) return undefined
    const ip = s.addr.toString()
    if (
      type !== 'manual' &&
      !this.#bans.isWhitelisted(ip) &&
      (this.#bans.isBanned(ip) || this.#bans.isDiscouraged(ip))
    ) {
      return undefined
    }
    this.#addrManager.addrman.attempt(s, this.#countFailures(), Math.floor(this.#now() / 1000))
    const v2 =
      this.#init.v2Transport &&
      !opts.v1Retry &&
      (opts.services !== undefined
        ? (opts.services & Services.NODE_P2P_V2) !== 0n
        : type === 'manual' || type === 'addr-fetch')
    return this.#host.connect(s, type, v2)
  }

  /**
   * Core's reconnect-as-v1: `e` was an outbound v2 attempt that the remote
   * closed before sending anything (probably a v1-only node); dial it once
   * more over v1, and an addnode/connect target follows the new connection.
   */
  reconnectAsV1(e: PeerEntry): void {
    if (e.inbound || !e.service || !this.#host.accepting || this.status !== 'started') return
    this.#log.debug({ peer: e.peer.address }, 'Retrying with the v1 transport protocol.')
    const again = this.dial(e.service, e.type, { v1Retry: true })
    if (!again) return
    for (const m of this.#manual.values()) {
      if (m.peerId !== e.id) continue
      m.peerId = again.id
      void again.peer.whenReady().then(
        () => this.#backoff.recordSuccess(m.target),
        () => {},
      )
    }
  }

  // --- the loop ----------------------------------------------------------------

  #newBackoff(): RetryBackoff {
    return new RetryBackoff(
      { now: this.#now },
      { stepMs: this.#init.manualRetryBaseMs, maxMs: this.#init.manualRetryMaxMs },
    )
  }

  async #dialLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.#init.dialIntervalMs, signal)
      if (signal.aborted) return
      try {
        this.#connectManual()
        if ((this.#init.connect ?? []).length > 0 || !this.#init.useAddrmanOutgoing) continue
        this.#policies.seeding.maybeSeed(countConnections(this.#host.peers()).full)
        this.#openOutbound()
      } catch (err) {
        if (err instanceof AbortError) return
        this.#log.error({ err }, 'Outbound connection round failed.')
      }
    }
  }

  /** Core ThreadOpenAddedConnections, with a per-target backoff. */
  #connectManual(): void {
    const manualCount = countConnections(this.#host.peers()).manual
    const max = this.#init.limits.manual + (this.#init.connect?.length ?? 0)
    for (const m of this.#manual.values()) {
      if (m.peerId !== undefined && this.#host.get(m.peerId)) continue
      m.peerId = undefined
      if (m.resolving) continue
      if (!this.#backoff.canAttempt(m.target) || manualCount >= max) continue
      // Counted as failed until the handshake completes: this sets the wait before the next try.
      this.#backoff.recordFailure(m.target)
      const numeric = this.#numericService(m.target)
      if (numeric) {
        this.#dialManual(m, numeric)
        continue
      }
      // A host name, looked up on each attempt; a failure logs one line and
      // the target stays for the next try.
      m.resolving = true
      this.#tasks.run(
        this.#lookupService(m.target, 'Cannot connect to an addnode/connect target; will try again.')
          .then((s) => {
            if (s && this.#manual.get(m.target) === m) this.#dialManual(m, s)
          })
          .finally(() => {
            m.resolving = false
          }),
      )
    }
  }

  #addManual(target: string): void {
    this.#manual.set(target, { target, peerId: undefined, resolving: false })
  }

  #dialManual(m: ManualTarget, s: ServiceAddress): void {
    const entry = this.dial(s, 'manual')
    if (entry) {
      m.peerId = entry.id
      void entry.peer.whenReady().then(
        () => this.#backoff.recordSuccess(m.target),
        () => {},
      )
    }
  }

  /** `target` as a numeric service (Core Lookup without DNS), or undefined if it is not one. */
  #numericService(target: string): ServiceAddress | undefined {
    try {
      return parseService(target, this.#init.network.defaultPort)
    } catch {
      return undefined
    }
  }

  /**
   * Core Lookup(target, defaultPort, fAllowLookup = -dns): a numeric address
   * at once, else the first address the resolver gives for the host name
   * (bounded by `dnsTimeoutMs`). A target that does not parse or resolve
   * logs one warning line (no stack: it is bad input, not a fault) and
   * gives undefined.
   */
  async #lookupService(target: string, message: string): Promise<ServiceAddress | undefined> {
    const numeric = this.#numericService(target)
    if (numeric) return numeric
    const hp = splitHostPort(target, this.#init.network.defaultPort)
    let reason: string
    if (!hp.valid) reason = 'bad port'
    else if (hp.host === '' || /[\s[\]/]/.test(hp.host)) reason = 'not an address or host name'
    else if (!this.#init.dns) reason = 'host names are not looked up (-dns=0)'
    else {
      const signal = this.shutdownSignal
      const t = timeoutSignal(this.#init.dnsTimeoutMs, signal)
      try {
        const ips = await raceSignal(this.#resolve(hp.host, t.signal), t.signal)
        for (const ip of ips) {
          const addr = NetAddress.tryParse(ip)
          if (addr) return { addr, port: hp.port }
        }
        reason = 'the name has no address'
      } catch (err) {
        if (signal?.aborted) return undefined
        reason = (err as Error).message
      } finally {
        t.clear()
      }
    }
    this.#log.warn({ target, reason }, message)
    return undefined
  }

  #openOutbound(): void {
    const c = countConnections(this.#host.peers())
    const limits = this.#init.limits
    const full = limits['outbound-full-relay']
    const blockRelay = limits['block-relay-only']
    const addrman = this.#addrManager.addrman
    const now = this.#now()
    let type: ConnectionType | undefined
    let anchor: ServiceAddress | undefined
    if (this.#policies.anchors.size > 0 && c.blockRelay < blockRelay) {
      anchor = this.#policies.anchors.take()
      type = 'block-relay-only'
    } else if (c.full < full) type = 'outbound-full-relay'
    else if (c.blockRelay < blockRelay) type = 'block-relay-only'
    else if (this.#policies.staleTip.extraOutbound && c.full <= full) type = 'outbound-full-relay'
    else if (
      this.#init.feelerIntervalMs !== 0 &&
      now >= this.#feelerAt &&
      c.feeler < limits.feeler &&
      addrman.size() > 0
    ) {
      type = 'feeler'
      this.#feelerAt = now + this.#feelerDelay()
    }
    if (!type) return
    if (anchor) {
      this.dial(anchor, type)
      return
    }
    addrman.resolveCollisions()
    const groups = new Set<string>()
    for (const e of this.#host.peers()) if (!e.inbound && e.type !== 'feeler') groups.add(e.group)
    const outbound = c.full + c.blockRelay
    for (let tries = 0; tries < MAX_TRIES_PER_ROUND; tries++) {
      let ka = type === 'feeler' ? addrman.selectTriedCollision() : undefined
      ka ??= addrman.select({ newOnly: type === 'feeler', newBias: newBiasForOutbound(outbound), tries })
      if (!ka) return
      const s: ServiceAddress = { addr: ka.addr, port: ka.port }
      if (this.#host.connectedTo(s)) continue
      if (type !== 'feeler' && groups.has(this.#host.groupOf(s))) continue
      if (!s.addr.isValid() || (!this.#init.localRoutable && s.addr.isLocal())) return
      if (tries < RECENT_TRY_SKIP_TRIES && ka.lastTry * 1000 > now - RECENT_TRY_SKIP_MS) continue
      // Required services are checked after the handshake (the peer's own version is the truth).
      this.dial(s, type, { services: ka.services })
      return
    }
  }

  /** Core FEELER_INTERVAL: exponentially distributed (a Poisson process). */
  #feelerDelay(): number {
    const mean = this.#init.feelerIntervalMs ?? FEELER_INTERVAL_MS
    return -Math.log(1 - randomUnit(this.#random)) * mean
  }

  /** Core count_failures: the outbound peers we have now, as the rule sees them. */
  #countFailures(): boolean {
    const outbound: OutboundForCounting[] = []
    for (const e of this.#host.peers()) {
      if (e.inbound || !e.service) continue
      outbound.push({ type: e.type, network: privacyNetwork(e.service.addr.net), group: e.group })
    }
    return shouldCountFailures(outbound, this.#init.maxConnections)
  }

  #dialFetch(target: string): void {
    const numeric = this.#numericService(target)
    if (numeric) {
      this.dial(numeric, 'addr-fetch')
      return
    }
    this.#tasks.run(
      this.#lookupService(target, 'Cannot connect to a seed node.').then((s) => {
        if (s) this.dial(s, 'addr-fetch')
      }),
    )
  }
}

function privacyNetwork(net: number): string {
  if (net === Network.ONION) return 'onion'
  if (net === Network.I2P) return 'i2p'
  if (net === Network.CJDNS) return 'cjdns'
  return 'ip'
}

/** The connection types RPC addconnection opens (Core AddConnection). */
export type AutomaticOutboundType = 'outbound-full-relay' | 'block-relay-only' | 'addr-fetch' | 'feeler'

/**
 * inet_aton(3): one to four parts, decimal, octal (leading 0) or hex (0x);
 * the last part fills the remaining bytes. The dotted quad, or undefined.
 */
function inetAton(text: string): string | undefined {
  const parts = text.split('.')
  if (parts.length > 4) return undefined
  const values: number[] = []
  for (const p of parts) {
    let v: number
    if (/^0[xX][0-9a-fA-F]+$/.test(p)) v = Number.parseInt(p.slice(2), 16)
    else if (/^0[0-7]*$/.test(p)) v = Number.parseInt(p, 8)
    else if (/^[1-9][0-9]*$/.test(p)) v = Number(p)
    else return undefined
    values.push(v)
  }
  const last = values.pop()!
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return undefined
  let n = last
  values.forEach((v, i) => {
    n += v * 2 ** (8 * (3 - i))
  })
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}
