/**
 * Seeding: where the first addresses come from when the address manager is
 * nearly empty (Core net.cpp `CConnman::ThreadDNSAddressSeed` for DNS seeds,
 * and the fixed seeds in `CConnman::ThreadOpenConnections`).
 *
 * - A round runs only while the address manager holds fewer than
 *   {@link SEED_BELOW_ADDRESSES} addresses and we have fewer than 2
 *   full-relay outbound peers, at most one round at a time and one per
 *   `seedRetryMs`. It runs in the background: offline, DNS lookups can take
 *   their whole timeout, and the connection loop must not wait for them.
 * - DNS seeds are asked in random order for `x9.<seed>` (NETWORK | WITNESS),
 *   each lookup bounded by `dnsTimeoutMs`; at most 32 addresses per seed,
 *   each with a random age of 3 to 7 days.
 * - The fixed seeds are added when the DNS seeds gave nothing: after 60 s
 *   when DNS seeds are configured, at once when there are none.
 * - Offline every seed fails the same way: a round logs one warning that
 *   names every failed seed and its reason; each failure alone is a debug
 *   line.
 */
import { NetAddress, type PeerAddress, parseService, type RandomSource } from '@node/addrmgr'
import { type Logger, Service, timeoutSignal } from '@node/runtime'
import { Services } from '@node/wire'
import type { NodeComponents, Resolver } from './components.ts'
import type { ResolvedInit } from './config.ts'
import {
  DNS_SEED_AGE_MIN_SECONDS,
  DNS_SEED_AGE_SPREAD_SECONDS,
  FIXED_SEED_AGE_SECONDS,
  MAX_DNS_SEED_ADDRESSES,
  POLICY_STOP_DEADLINE_MS,
  SEED_BELOW_ADDRESSES,
  SEED_ENOUGH_OUTBOUND,
} from './constants.ts'
import { raceSignal, Tasks } from './tasks.ts'

export type SeedingInit = Pick<
  ResolvedInit,
  'network' | 'dnsSeed' | 'fixedSeeds' | 'dnsTimeoutMs' | 'seedRetryMs' | 'fixedSeedsDelayMs'
>

export class Seeding extends Service {
  readonly #log: Logger
  readonly #components: Pick<NodeComponents, 'addrManager' | 'now'>
  readonly #random: RandomSource
  readonly #resolve: Resolver
  readonly #init: SeedingInit
  readonly #tasks: Tasks
  /** When the last round began; undefined before the first. */
  #lastAttempt: number | undefined
  #running = false
  #startedAt = 0

  constructor(
    components: Pick<NodeComponents, 'logger' | 'addrManager' | 'now' | 'random' | 'resolve'>,
    init: SeedingInit,
  ) {
    super()
    this.#log = components.logger.child({ component: 'server', policy: 'seeding' })
    this.#components = components
    this.#random = components.random
    this.#resolve = components.resolve
    this.#init = init
    this.#tasks = new Tasks(this.#log)
  }

  protected async onStart(): Promise<void> {
    this.#startedAt = this.#components.now()
    this.#lastAttempt = undefined
    this.#running = false
  }

  protected async onStop(): Promise<void> {
    // The lookups see the aborted signal and end.
    await this.#tasks.settle(POLICY_STOP_DEADLINE_MS)
  }

  /**
   * Start a round in the background if one is due; `fullOutbound` is the
   * number of full-relay outbound peers open now.
   */
  maybeSeed(fullOutbound: number): void {
    const signal = this.shutdownSignal
    if (this.#running || this.status !== 'started' || !signal) return
    const now = this.#components.now()
    if (this.#components.addrManager.addrman.size() >= SEED_BELOW_ADDRESSES) return
    if (this.#lastAttempt !== undefined && now - this.#lastAttempt < this.#init.seedRetryMs) return
    if (fullOutbound >= SEED_ENOUGH_OUTBOUND) return
    this.#lastAttempt = now
    this.#running = true
    this.#tasks.run(
      this.#seed(signal).finally(() => {
        this.#running = false
      }),
    )
  }

  async #seed(signal: AbortSignal): Promise<void> {
    const network = this.#init.network
    const useDns = this.#init.dnsSeed && network.dnsSeeds.length > 0
    let found = 0
    let failed = 0
    const failures: { seed: string; reason: string }[] = []
    if (useDns) {
      const seeds = [...network.dnsSeeds]
      for (let i = seeds.length - 1; i > 0; i--) {
        const j = this.#random.randrange(i + 1)
        const t = seeds[i]!
        seeds[i] = seeds[j]!
        seeds[j] = t
      }
      for (const host of seeds) {
        if (signal.aborted) return
        const t = timeoutSignal(this.#init.dnsTimeoutMs, signal)
        try {
          found += await this.#lookup(host, t.signal)
        } catch (err) {
          if (signal.aborted) return
          failed++
          failures.push({ seed: host, reason: (err as Error).message })
          this.#log.debug({ seed: host, reason: (err as Error).message }, 'DNS seed lookup failed.')
        } finally {
          t.clear()
        }
      }
    }
    if (found > 0) {
      this.#log.info({ found }, 'Added addresses from DNS seeds.')
      return
    }
    const fixed = this.#init.fixedSeeds && network.fixedSeeds.length > 0
    const wait = useDns ? this.#init.fixedSeedsDelayMs : 0
    const sinceStart = this.#components.now() - this.#startedAt
    if (fixed && sinceStart >= wait) {
      const added = this.#addFixedSeeds()
      this.#log.warn(
        { added, dnsSeedsFailed: failed, failures: failures.length > 0 ? failures : undefined },
        useDns ? 'No addresses from DNS seeds; added the fixed seeds.' : 'Added the fixed seeds.',
      )
    } else if (useDns) {
      this.#log.warn(
        {
          failed,
          failures,
          retryInSeconds: this.#init.seedRetryMs / 1000,
          fixedSeedsInSeconds: fixed ? Math.max(0, (wait - sinceStart) / 1000) : undefined,
        },
        fixed
          ? 'Could not get addresses from any DNS seed (offline?); will retry, and use the fixed seeds soon.'
          : 'Could not get addresses from any DNS seed (offline?); will retry.',
      )
    }
  }

  /** One DNS seed; returns how many addresses the address manager took. */
  async #lookup(host: string, signal: AbortSignal): Promise<number> {
    // Core asks the seeds for peers with the services it needs: the `x9.`
    // subdomain (NETWORK | WITNESS), which every current seed serves. The
    // race bounds the lookup even if the resolver ignores its signal.
    const ips = (await raceSignal(this.#resolve(`x9.${host}`, signal), signal)).slice(
      0,
      MAX_DNS_SEED_ADDRESSES,
    )
    const nowSec = Math.floor(this.#components.now() / 1000)
    const addrs: PeerAddress[] = []
    for (const ip of ips) {
      const addr = NetAddress.tryParse(ip)
      if (!addr) continue
      const age = DNS_SEED_AGE_MIN_SECONDS + this.#random.randrange(DNS_SEED_AGE_SPREAD_SECONDS)
      addrs.push({
        addr,
        port: this.#init.network.defaultPort,
        time: nowSec - age,
        services: Services.NODE_NETWORK | Services.NODE_WITNESS,
      })
    }
    return this.#components.addrManager.addrman.add(addrs, NetAddress.internal(host))
  }

  #addFixedSeeds(): number {
    const network = this.#init.network
    const nowSec = Math.floor(this.#components.now() / 1000)
    const addrs: PeerAddress[] = []
    for (const s of network.fixedSeeds) {
      try {
        const svc = parseService(s, network.defaultPort)
        addrs.push({
          ...svc,
          time: nowSec - FIXED_SEED_AGE_SECONDS,
          services: Services.NODE_NETWORK | Services.NODE_WITNESS,
        })
      } catch {
        // Our own table: cannot happen.
      }
    }
    return this.#components.addrManager.addrman.add(addrs, NetAddress.internal('fixed seeds'))
  }
}
