/**
 * Inbound eviction, as Bitcoin Core's `node/eviction.cpp` does it
 * (`SelectNodeToEvict`, called from net.cpp `CConnman::AttemptToEvictConnection`).
 *
 * When every inbound slot is taken and a newcomer arrives, Core does not
 * refuse it forever: it picks one inbound peer to drop. To partition a node an
 * attacker would have to beat honest peers at every one of several
 * hard-to-forge qualities at once, so each quality protects a few peers:
 *
 * 1. noban peers, and every outbound or manual connection;
 * 2. 4 peers by keyed network group (an attacker cannot predict which groups);
 * 3. the 8 with the lowest minimum ping (needs physical proximity);
 * 4. the 4 that most recently sent novel transactions (needs useful work);
 * 5. up to 8 non-tx-relay peers with relevant services that most recently sent
 *    novel blocks (block-relay-only peers of other nodes);
 * 6. the 4 that most recently sent novel blocks;
 * 7. half of the rest by uptime, with up to a quarter of the candidates reserved
 *    for the disadvantaged networks (CJDNS, I2P, localhost, onion) that would
 *    otherwise lose on ping (Core `ProtectEvictionCandidatesByRatio`).
 *
 * Of whoever is left, discouraged (`preferEvict`) peers go first; then the
 * youngest peer of the network group with the most connections is evicted.
 * With fewer than about 29 inbound peers nobody may be evictable, and the
 * newcomer is refused.
 *
 * This module is pure: the caller builds the candidate list from its peers.
 */
import {
  EVICTION_PROTECT_BLOCK,
  EVICTION_PROTECT_BLOCK_RELAY_ONLY,
  EVICTION_PROTECT_NETGROUP,
  EVICTION_PROTECT_PING,
  EVICTION_PROTECT_TX,
  RANDOMIZER_ID_NETGROUP,
} from './constants.ts'
import { deterministicRandomizer, type SipKey } from './siphash.ts'

/** The network a peer is connected through (Core `Network`, as the connection's address reports it). */
export type EvictionNetwork = 'ipv4' | 'ipv6' | 'onion' | 'i2p' | 'cjdns' | 'internal' | 'unroutable'

/** Who opened the connection. Only `inbound` peers can be evicted. */
export type ConnectionDirection = 'inbound' | 'outbound' | 'manual'

/**
 * What eviction needs to know about one connected peer (Core
 * `NodeEvictionCandidate`). Times are in one unit of the caller's choice
 * (milliseconds since the epoch, say) and only compared with each other.
 */
export interface EvictionCandidate<Id = number> {
  readonly id: Id
  /** When the connection was made; larger is younger. */
  readonly connected: number
  /** Lowest ping seen; `Infinity` before the first pong. */
  readonly minPingTime: number
  /** When the peer last sent a novel block; 0 if never. */
  readonly lastBlockTime: number
  /** When the peer last sent a novel transaction accepted to the mempool; 0 if never. */
  readonly lastTxTime: number
  /** The peer offers NODE_NETWORK (or the services we need for blocks). */
  readonly relevantServices: boolean
  /** The peer asked us to relay transactions to it (version `relay` flag, and no block-relay-only). */
  readonly relayTxs: boolean
  /** The peer loaded a BIP37 bloom filter. */
  readonly bloomFilter: boolean
  /** The keyed hash of the peer's network group: see {@link keyedNetGroup}. */
  readonly keyedNetGroup: bigint
  /** Evict this one first: the peer is discouraged. */
  readonly preferEvict: boolean
  /** The peer connects from localhost (a Tor hidden service without `-bind=…=onion` looks like this). */
  readonly isLocal: boolean
  readonly network: EvictionNetwork
  /** The peer has the noban permission (whitelisted). */
  readonly noban: boolean
  readonly direction: ConnectionDirection
}

/** A uniform integer in [0, n): what eviction needs from a random source. */
export interface EvictionRandom {
  randrange(n: number): number
}

/**
 * Core `CalculateKeyedNetGroup`: SipHash of the peer's network group bytes
 * (from `@node/addrmgr`'s `NetGroupManager`) keyed with the node's secret and
 * the netgroup randomizer id, so an attacker cannot tell which groups the
 * "protect 4 by network group" step will favour.
 */
export function keyedNetGroup(secret: SipKey, groupBytes: Uint8Array): bigint {
  return deterministicRandomizer(secret, RANDOMIZER_ID_NETGROUP).write(groupBytes).finalize()
}

type Less<Id> = (a: EvictionCandidate<Id>, b: EvictionCandidate<Id>) => boolean

function byLess<Id>(less: Less<Id>): (a: EvictionCandidate<Id>, b: EvictionCandidate<Id>) => number {
  return (a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0)
}

// Each comparator orders "evict first" to "protect first": Core sorts with it
// and protects the last k elements.

/** Core ReverseCompareNodeMinPingTime: highest ping first. */
const lessPing: Less<unknown> = (a, b) => a.minPingTime > b.minPingTime

/** Core ReverseCompareNodeTimeConnected: youngest first. */
const lessConnected: Less<unknown> = (a, b) => a.connected > b.connected

/** Core CompareNetGroupKeyed. */
const lessNetGroup: Less<unknown> = (a, b) => a.keyedNetGroup < b.keyedNetGroup

/** Core CompareNodeBlockTime: oldest block first, then no relevant services, then youngest. */
const lessBlockTime: Less<unknown> = (a, b) => {
  if (a.lastBlockTime !== b.lastBlockTime) return a.lastBlockTime < b.lastBlockTime
  if (a.relevantServices !== b.relevantServices) return b.relevantServices
  return a.connected > b.connected
}

/** Core CompareNodeTXTime: oldest tx first, then no tx relay, then bloom filter, then youngest. */
const lessTxTime: Less<unknown> = (a, b) => {
  if (a.lastTxTime !== b.lastTxTime) return a.lastTxTime < b.lastTxTime
  if (a.relayTxs !== b.relayTxs) return b.relayTxs
  if (a.bloomFilter !== b.bloomFilter) return a.bloomFilter
  return a.connected > b.connected
}

/** Core CompareNodeBlockRelayOnlyTime: tx-relay peers first, then as the block-time order. */
const lessBlockRelayOnlyTime: Less<unknown> = (a, b) => {
  if (a.relayTxs !== b.relayTxs) return a.relayTxs
  if (a.lastBlockTime !== b.lastBlockTime) return a.lastBlockTime < b.lastBlockTime
  if (a.relevantServices !== b.relevantServices) return b.relevantServices
  return a.connected > b.connected
}

/**
 * Core EraseLastKElements: sort, then remove (protect) those of the last `k`
 * elements that satisfy `predicate`, keeping the order of the others.
 */
function eraseLastK<Id>(
  list: EvictionCandidate<Id>[],
  less: Less<Id>,
  k: number,
  predicate: (c: EvictionCandidate<Id>) => boolean = () => true,
): void {
  list.sort(byLess(less))
  const size = Math.min(k, list.length)
  const start = list.length - size
  const tail = list.splice(start, size)
  for (const c of tail) if (!predicate(c)) list.push(c)
}

interface DisadvantagedNet {
  readonly isLocal: boolean
  readonly network: EvictionNetwork | undefined
  count: number
}

function inNet<Id>(n: DisadvantagedNet, c: EvictionCandidate<Id>): boolean {
  return n.isLocal ? c.isLocal : c.network === n.network
}

/**
 * Core ProtectEvictionCandidatesByRatio: remove (protect) half of the
 * candidates, up to half of those (a quarter of all) chosen from CJDNS, I2P,
 * localhost and onion peers by uptime, networks with fewer candidates first;
 * the rest by uptime overall. Leaves `list` sorted youngest first.
 */
export function protectByRatio<Id>(list: EvictionCandidate<Id>[]): void {
  const initialSize = list.length
  const totalProtect = Math.floor(initialSize / 2)
  // Array order breaks ties between networks with equal counts (Core).
  const networks: DisadvantagedNet[] = [
    { isLocal: false, network: 'cjdns', count: 0 },
    { isLocal: false, network: 'i2p', count: 0 },
    { isLocal: true, network: undefined, count: 0 },
    { isLocal: false, network: 'onion', count: 0 },
  ]
  for (const n of networks) n.count = list.filter((c) => inNet(n, c)).length
  // Array.prototype.sort is stable, like Core's std::stable_sort here.
  networks.sort((a, b) => a.count - b.count)

  const maxProtectByNetwork = Math.floor(totalProtect / 2)
  let protectedCount = 0
  while (protectedCount < maxProtectByNetwork) {
    const withPeers = networks.filter((n) => n.count > 0).length
    if (withPeers === 0) break
    const remaining = maxProtectByNetwork - protectedCount
    const perNetwork = Math.max(Math.floor(remaining / withPeers), 1)
    let protectedAny = false
    for (const n of networks) {
      if (n.count === 0) continue
      const before = list.length
      eraseLastK(list, networkTimeLess<Id>(n), perNetwork, (c) => inNet(n, c))
      const delta = before - list.length
      if (delta > 0) {
        protectedAny = true
        protectedCount += delta
        if (protectedCount >= maxProtectByNetwork) break
        n.count -= delta
      }
    }
    if (!protectedAny) break
  }
  eraseLastK(list, lessConnected, totalProtect - protectedCount)
}

/** Core CompareNodeNetworkTime: others first, then the network's peers, each youngest first. */
function networkTimeLess<Id>(n: DisadvantagedNet): Less<Id> {
  return (a, b) => {
    if (n.isLocal && a.isLocal !== b.isLocal) return b.isLocal
    const an = a.network === n.network
    const bn = b.network === n.network
    if (an !== bn) return bn
    return a.connected > b.connected
  }
}

/**
 * Pick the inbound peer to evict, or `undefined` when every candidate is
 * protected (then refuse the newcomer). Core `SelectNodeToEvict`.
 *
 * `rng`, when given, shuffles the candidates first. Core's `std::sort` breaks
 * ties (equal pings before the first pong, equal network groups) in an order
 * an attacker cannot easily steer; a stable sort over the caller's list would
 * break them by connection order, which an attacker can. Tests omit it to get
 * the input order.
 */
export function selectNodeToEvict<Id>(
  candidates: readonly EvictionCandidate<Id>[],
  rng?: EvictionRandom | undefined,
): Id | undefined {
  const list = candidates.filter((c) => !c.noban && c.direction === 'inbound')
  if (rng) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.randrange(i + 1)
      const t = list[i]!
      list[i] = list[j]!
      list[j] = t
    }
  }

  eraseLastK(list, lessNetGroup, EVICTION_PROTECT_NETGROUP)
  eraseLastK(list, lessPing, EVICTION_PROTECT_PING)
  eraseLastK(list, lessTxTime, EVICTION_PROTECT_TX)
  eraseLastK(
    list,
    lessBlockRelayOnlyTime,
    EVICTION_PROTECT_BLOCK_RELAY_ONLY,
    (c) => !c.relayTxs && c.relevantServices,
  )
  eraseLastK(list, lessBlockTime, EVICTION_PROTECT_BLOCK)
  protectByRatio(list)

  if (list.length === 0) return undefined

  // Prefer discouraged peers, after the protections: a peer that is really the
  // best by another measure (relaying blocks, say) is kept even so.
  const pool = list.some((c) => c.preferEvict) ? list.filter((c) => c.preferEvict) : list

  // `pool` is youngest first. Find the group with the most members; between
  // equal sizes, the one whose youngest member is youngest.
  const groups = new Map<bigint, EvictionCandidate<Id>[]>()
  let best: bigint | undefined
  let bestSize = 0
  let bestTime = 0
  for (const c of pool) {
    let group = groups.get(c.keyedNetGroup)
    if (!group) {
      group = []
      groups.set(c.keyedNetGroup, group)
    }
    group.push(c)
    const groupTime = group[0]!.connected
    if (group.length > bestSize || (group.length === bestSize && groupTime > bestTime)) {
      bestSize = group.length
      bestTime = groupTime
      best = c.keyedNetGroup
    }
  }
  // The youngest of that group.
  return best === undefined ? undefined : groups.get(best)![0]!.id
}
