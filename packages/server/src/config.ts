/**
 * The node's options (what `createNode` takes) and their defaults: Core's
 * where Core has one (net.h, net.cpp), btcd's (connmgr) where it has none.
 * Tests shorten the intervals and timeouts.
 */
import type { NetworkParams } from '@node/wire'
import type { WhitelistRange } from './bans.ts'
import {
  CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DIAL_ROUND_MS,
  DNS_TIMEOUT_MS,
  FIXED_SEEDS_DELAY_MS,
  MAX_BLOCK_RELAY_ONLY,
  MAX_OUTBOUND_FULL_RELAY,
  RETRY_MAX_MS,
  RETRY_STEP_MS,
  SEED_RETRY_MS,
} from './constants.ts'

export interface ServerInit {
  network: NetworkParams
  /** Where peers.dat, banlist.json, anchors.json and blocks/ live. */
  dataDir: string
  /** Accept inbound connections (default true). */
  listen?: boolean | undefined
  /** Addresses to listen on, `host:port`; default all IPv4 and IPv6 on the network's port. */
  bind?: readonly string[] | undefined
  /**
   * Addresses to listen on for connections a Tor daemon forwards to our
   * onion service, `host:port` (Core `-bind=<addr>=onion`): peers accepted
   * there count as onion peers. Any bind replaces the default listeners.
   */
  onionBind?: readonly string[] | undefined
  /** Default: the network's port. */
  port?: number | undefined
  maxConnections?: number | undefined
  maxOutbound?: number | undefined
  maxBlockRelayOnly?: number | undefined
  /** Only connect to these (Core -connect): no address manager dialing, no seeding. */
  connect?: readonly string[] | undefined
  /**
   * Open automatic outbound connections from the address manager (default
   * true). Core's `m_use_addrman_outgoing`: false with `-connect=0`. The
   * outbound and feeler slots stay reserved either way, so the inbound slot
   * count does not change (Core `CConnman::Init`).
   */
  useAddrmanOutgoing?: boolean | undefined
  /** How often peers.dat is written while running (default 15 minutes, Core DumpAddresses). */
  peersDumpIntervalMs?: number | undefined
  /** Keep these connected (Core -addnode). */
  addnode?: readonly string[] | undefined
  /** Ask these for addresses, then leave (Core -seednode). */
  seednode?: readonly string[] | undefined
  /** Query DNS seeds when the address manager is nearly empty (default true). */
  dnsSeed?: boolean | undefined
  /** Use the fixed seeds when seeding fails (default true). */
  fixedSeeds?: boolean | undefined
  /**
   * Core -whitelist: ranges (`1.2.3.0/24`, `::1`) whose peers get Core's
   * implicit permissions (noban: exempt from bans and discouragement), or
   * ranges with explicit permissions ({@link WhitelistRange}).
   */
  whitelist?: readonly (string | WhitelistRange)[] | undefined
  userAgent?: string | undefined
  /** Core -maxuploadtarget, in bytes per 24 h (0 or unset: no target). */
  maxUploadTarget?: number | undefined
  /** Core -minimumchainwork: overrides the network's minimum chain work. */
  minimumChainWork?: bigint | undefined
  /** Core -dbcache in MiB: the UTXO cache's size (default 450). */
  dbCacheMiB?: number | undefined
  /** Script check worker threads (Core -par less the main thread); 0 checks inline (default: one per core). */
  scriptThreads?: number | undefined
  /**
   * Core -assumevalid, display hex: scripts of its ancestors may be skipped
   * under Core's conditions. Undefined: the network's default; null: off.
   */
  assumeValid?: string | null | undefined
  /** Core -reindex: index the block files again, rebuild the header tree and the UTXO set from them. */
  reindex?: boolean | undefined
  /** Core -reindex-chainstate: rebuild the UTXO set from the stored blocks. */
  reindexChainstate?: boolean | undefined
  /** TEST ONLY: loopback and private addresses count as routable, each its own group. */
  localRoutable?: boolean | undefined
  /** Feeler interval (ms); 0 disables feelers. */
  feelerIntervalMs?: number | undefined
  /** Block manager: progress line interval (ms). */
  progressIntervalMs?: number | undefined
  /** Peer timeouts (tests shorten them). */
  handshakeTimeoutMs?: number | undefined
  // Intervals and timeouts of the connection loop and seeding. The defaults
  // are Core's (or btcd's where Core has none); tests shorten them.
  /** Pause between rounds of the outbound connection loop (default 500 ms, Core). */
  dialIntervalMs?: number | undefined
  /** TCP connect timeout of outbound dials (default 5 s, Core). */
  connectTimeoutMs?: number | undefined
  /** Bound on one DNS seed lookup, whatever the resolver does (default 10 s). */
  dnsTimeoutMs?: number | undefined
  /**
   * Resolve host names given to -connect, -addnode, -seednode and the addnode
   * RPC (Core -dns, default true). Off, only numeric addresses and Tor/I2P
   * names connect.
   */
  dns?: boolean | undefined
  /** After a seeding round, wait this long before the next one (default 60 s). */
  seedRetryMs?: number | undefined
  /** With DNS seeds configured, fixed seeds are used only this long after start (default 60 s, Core). */
  fixedSeedsDelayMs?: number | undefined
  /** addnode/connect retry: each failure adds this much to the wait (default 5 s, btcd). */
  manualRetryBaseMs?: number | undefined
  /** addnode/connect retry: the wait never exceeds this (default 5 min, btcd). */
  manualRetryMaxMs?: number | undefined
  /** Mean of each peer's address relay timer (default 30 s, Core); tests shorten it. */
  addrTrickleIntervalMs?: number | undefined
  /**
   * Our public addresses to advertise (Core -externalip), `host` or
   * `host:port`; the port defaults to the one we listen on.
   */
  externalIp?: readonly string[] | undefined
  /** Advertise routable addresses of our network interfaces (Core -discover; default true). */
  discover?: boolean | undefined
  /** How long without a new block before the tip counts as stale (default 30 min, Core). */
  staleTipAgeMs?: number | undefined
  /** How often stale tips and extra outbound peers are checked (default 45 s, Core). */
  extraPeerCheckMs?: number | undefined
  /**
   * BIP324 (Core -v2transport, default true): advertise NODE_P2P_V2, accept v2
   * inbound, and try v2 first to outbound peers that advertise it.
   */
  v2Transport?: boolean | undefined
  /**
   * Make every outbound connection through this SOCKS5 proxy, `host:port`
   * (Core -proxy): IPv4, IPv6 and, without `onionProxy`, Tor. No direct
   * connection is made.
   */
  proxy?: string | undefined
  /**
   * The SOCKS5 proxy for Tor (.onion) peers, `host:port` (Core -onion);
   * default `proxy`; false: none (Core -onion=0: Tor peers are not reachable).
   */
  onionProxy?: string | false | undefined
  /**
   * Different proxy credentials for every connection (Core -proxyrandomize,
   * default true), so that Tor puts each on its own circuit.
   */
  proxyRandomize?: boolean | undefined
}

/** {@link ServerInit} with every default filled in. */
export type ResolvedInit = ServerInit & {
  listen: boolean
  maxConnections: number
  maxOutbound: number
  maxBlockRelayOnly: number
  useAddrmanOutgoing: boolean
  dnsSeed: boolean
  dns: boolean
  fixedSeeds: boolean
  dialIntervalMs: number
  connectTimeoutMs: number
  dnsTimeoutMs: number
  seedRetryMs: number
  fixedSeedsDelayMs: number
  manualRetryBaseMs: number
  manualRetryMaxMs: number
  v2Transport: boolean
  proxyRandomize: boolean
}

export function resolveInit(init: ServerInit): ResolvedInit {
  return {
    ...init,
    listen: init.listen ?? true,
    maxConnections: init.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxOutbound: init.maxOutbound ?? MAX_OUTBOUND_FULL_RELAY,
    maxBlockRelayOnly: init.maxBlockRelayOnly ?? MAX_BLOCK_RELAY_ONLY,
    useAddrmanOutgoing: init.useAddrmanOutgoing ?? true,
    dnsSeed: init.dnsSeed ?? true,
    dns: init.dns ?? true,
    fixedSeeds: init.fixedSeeds ?? true,
    dialIntervalMs: init.dialIntervalMs ?? DIAL_ROUND_MS,
    connectTimeoutMs: init.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    dnsTimeoutMs: init.dnsTimeoutMs ?? DNS_TIMEOUT_MS,
    seedRetryMs: init.seedRetryMs ?? SEED_RETRY_MS,
    fixedSeedsDelayMs: init.fixedSeedsDelayMs ?? FIXED_SEEDS_DELAY_MS,
    manualRetryBaseMs: init.manualRetryBaseMs ?? RETRY_STEP_MS,
    manualRetryMaxMs: init.manualRetryMaxMs ?? RETRY_MAX_MS,
    v2Transport: init.v2Transport ?? true,
    proxyRandomize: init.proxyRandomize ?? true,
  }
}
