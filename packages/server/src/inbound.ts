/**
 * Inbound admission (Core net.cpp `CConnman::AcceptConnection`,
 * `CConnman::CreateNodeFromAcceptedSocket`, `AttemptToEvictConnection`):
 * listening sockets, and whether a newcomer gets a slot.
 *
 * - Banned addresses are refused; whitelisted (noban) ones never are.
 * - At most 8 handshakes in progress per /24 or /64 (btcd
 *   `internal/inbound`), checked first so a refused newcomer never costs an
 *   established peer its slot.
 * - When every inbound slot is taken, one inbound peer is evicted by Core's
 *   rule (eviction.ts); a discouraged newcomer is refused instead.
 * - Connections accepted on an `onionBind` listener (Core `-bind=…=onion`,
 *   where a Tor daemon forwards our onion service) count as coming through
 *   Tor (Core `CNode::m_inbound_onion`, `ConnectedThroughNetwork`): eviction
 *   protects them as onion peers, and getpeerinfo reports network `onion`.
 */
import net, { type Server as NetServer, type Socket } from 'node:net'
import { NetAddress, Network, type RandomSource, splitHostPort } from '@node/addrmgr'
import { type Logger, Service } from '@node/runtime'
import { Services } from '@node/wire'
import type { BanList } from './bans.ts'
import type { NodeComponents } from './components.ts'
import type { ResolvedInit } from './config.ts'
import { type EvictionCandidate, keyedNetGroup, selectNodeToEvict } from './eviction.ts'
import { HandshakeLimiter } from './netgroups.ts'
import { normalizeIp, type PeerHost } from './peers.ts'
import type { SipKey } from './siphash.ts'

export type InboundInit = Pick<ResolvedInit, 'network' | 'bind' | 'onionBind' | 'port' | 'maxConnections'> & {
  /** Inbound slots (slots.ts). */
  maxInbound: number
  /** SipHash key of the keyed network groups (Core's m_netgroupman randomizer). */
  secret: SipKey
}

export class InboundAdmission extends Service {
  readonly #log: Logger
  readonly #bans: BanList
  readonly #random: RandomSource
  readonly #host: PeerHost
  readonly #init: InboundInit
  readonly #listeners: NetServer[] = []
  #handshakes = new HandshakeLimiter()
  #ports: number[] = []
  #closed: Promise<unknown> = Promise.resolve()

  constructor(
    components: Pick<NodeComponents, 'logger' | 'bans' | 'random'>,
    host: PeerHost,
    init: InboundInit,
  ) {
    super()
    this.#log = components.logger.child({ component: 'server', policy: 'inbound' })
    this.#bans = components.bans
    this.#random = components.random
    this.#host = host
    this.#init = init
  }

  /** Ports we listen on (after start). */
  get ports(): readonly number[] {
    return this.#ports
  }

  /**
   * Resolves when the listening sockets have closed. close() stops accepting
   * at once; its callback waits for the connections they accepted, which the
   * server ends when it disconnects its peers.
   */
  get closed(): Promise<unknown> {
    return this.#closed
  }

  protected async onStart(): Promise<void> {
    this.#ports = []
    this.#handshakes = new HandshakeLimiter()
    const port = this.#init.port ?? this.#init.network.defaultPort
    // Core: any -bind (onion ones included) replaces the default listeners.
    const binds = [
      ...(this.#init.bind ?? []).map((b) => ({ b, onion: false })),
      ...(this.#init.onionBind ?? []).map((b) => ({ b, onion: true })),
    ]
    if (binds.length === 0)
      binds.push({ b: `0.0.0.0:${port}`, onion: false }, { b: `[::]:${port}`, onion: false })
    for (const { b, onion } of binds) {
      const { host, port: p } = splitHostPort(b, port)
      const server = net.createServer({ noDelay: true }, (socket) => this.#onInbound(socket, onion))
      server.maxConnections = this.#init.maxConnections * 2
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen({ host, port: p, ipv6Only: host.includes(':') }, () => {
            server.off('error', reject)
            resolve()
          })
        })
      } catch (err) {
        server.close()
        // IPv6 may be unavailable; a failed bind of one family is not fatal if another works.
        this.#log.warn({ err, bind: b }, 'Could not listen on an address.')
        continue
      }
      server.on('error', (err) => this.#log.error({ err }, 'Listener error.'))
      this.#listeners.push(server)
      const addr = server.address()
      if (addr && typeof addr === 'object') this.#ports.push(addr.port)
      this.#log.info({ address: addr, onion }, 'Listening for inbound peers.')
    }
    if (this.#listeners.length === 0) throw new Error('Could not listen on any address.')
  }

  protected async onStop(): Promise<void> {
    this.#closed = Promise.all(
      this.#listeners.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    )
    this.#listeners.length = 0
  }

  #onInbound(socket: Socket, onion: boolean): void {
    const ip = normalizeIp(socket.remoteAddress ?? '')
    if (this.status !== 'started' || !this.#host.accepting || !ip) {
      socket.destroy()
      return
    }
    const whitelisted = this.#bans.isWhitelisted(ip)
    if (!whitelisted && this.#bans.isBanned(ip)) {
      this.#log.debug({ ip }, 'Refused a banned inbound peer.')
      socket.destroy()
      return
    }
    const discouraged = !whitelisted && this.#bans.isDiscouraged(ip)
    // The per-prefix handshake limit comes first, so that a refused newcomer
    // never costs an established peer its slot.
    const lease = this.#handshakes.acquire(ip)
    if (!lease) {
      this.#log.debug({ ip }, 'Too many handshakes in progress from this network; refused.')
      socket.destroy()
      return
    }
    let inbound = 0
    for (const e of this.#host.peers()) if (e.inbound) inbound++
    if (inbound >= this.#init.maxInbound) {
      // Core: a discouraged newcomer is refused when inbound is full; else evict one.
      if (discouraged || !this.#evict()) {
        this.#log.debug({ ip, discouraged }, 'Inbound slots are full; refused a newcomer.')
        lease.release()
        socket.destroy()
        return
      }
    }
    const addr = NetAddress.tryParse(ip)
    const service = addr ? { addr, port: socket.remotePort ?? 0 } : undefined
    const entry = this.#host.accept(socket, service, onion)
    // The handshake slot is held until the handshake ends, either way.
    void entry.peer.whenReady().then(
      () => lease.release(),
      () => lease.release(),
    )
  }

  /** Core AttemptToEvictConnection; returns true if a peer was evicted. */
  #evict(): boolean {
    const candidates: EvictionCandidate<number>[] = []
    for (const e of this.#host.peers()) {
      // Core: every inbound connection is a candidate, finished handshake or
      // not; otherwise sockets that never send `version` would hold the
      // slots until their handshake timeout and lock newcomers out.
      if (!e.inbound || e.peer.status === 'closed') continue
      const st = e.peer.stats()
      const ip = e.service?.addr
      const ipText = ip?.toString()
      candidates.push({
        id: e.id,
        connected: e.connectedAt,
        minPingTime: st.minPingMs ?? Number.POSITIVE_INFINITY,
        lastBlockTime: e.lastBlockAt,
        lastTxTime: e.lastTxAt,
        relevantServices: ((st.services ?? 0n) & Services.NODE_NETWORK) !== 0n,
        relayTxs: st.relay ?? false,
        bloomFilter: false,
        keyedNetGroup: keyedNetGroup(this.#init.secret, Buffer.from(e.group, 'hex')),
        preferEvict: ipText ? this.#bans.isDiscouraged(ipText) : false,
        isLocal: ip?.isLocal() ?? false,
        noban: e.peer.hasPermission('noban'),
        network: e.inboundOnion ? 'onion' : evictionNetwork(ip),
        direction: 'inbound',
      })
    }
    const victim = selectNodeToEvict(candidates, this.#random)
    if (victim === undefined) return false
    const e = this.#host.get(victim)
    this.#log.info({ peer: e?.peer.address }, 'Evicting an inbound peer to make room.')
    e?.peer.destroy()
    return true
  }
}

function evictionNetwork(a: NetAddress | undefined): EvictionCandidate['network'] {
  if (!a) return 'unroutable'
  if (a.isLocal()) return 'unroutable'
  switch (a.net) {
    case Network.IPV4:
      return 'ipv4'
    case Network.IPV6:
      return 'ipv6'
    case Network.ONION:
      return 'onion'
    case Network.I2P:
      return 'i2p'
    case Network.CJDNS:
      return 'cjdns'
    default:
      return 'unroutable'
  }
}
