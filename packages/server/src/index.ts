/**
 * @node/server: the connection manager of a Bitcoin node — outbound and
 * inbound policy, bans, address relay, block relay through the block
 * manager, and the order in which the node's parts start and stop.
 *
 * @example
 * ```ts
 * import { createNode } from '@node/server'
 * import { networks } from '@node/wire'
 *
 * const server = createNode({ network: networks.regtest, dataDir: '/tmp/node', bind: ['127.0.0.1:0'], dnsSeed: false })
 * await server.start()
 * const [port] = server.ports // and server.blockManager.chain.tip.height
 * await server.stop()
 * ```
 */
export {
  type AddrMessageHooks,
  type AddrMessageResult,
  AddrRelayTargets,
  AddrResponseCache,
  type AddrResponseCacheComponents,
  type AddrResponseCacheInit,
  AddrTokenBucket,
  type AddrTokenBucketInit,
  addrCacheKey,
  type Clock,
  fixAddressTime,
  type HashableService,
  hasUsefulServices,
  isRelayableNetwork,
  PeerAddrState,
  type PeerAddrStateComponents,
  type Randrange,
  type RelayCheck,
  type RelayTargetQuery,
  serviceHash,
  shouldRelayAddress,
  type TimedAddress,
} from './addr-relay.ts'
export {
  type OutboundForCounting,
  RetryBackoff,
  type RetryBackoffComponents,
  type RetryBackoffInit,
  retryDelay,
  shouldCountFailures,
} from './backoff.ts'
export {
  type AddressStanding,
  type BanEntry,
  BanList,
  type BanListComponents,
  type BanListInit,
  type BanOptions,
  type WhitelistRange,
} from './bans.ts'
export type { MockableClock } from './clock.ts'
export type { NodeComponents, Resolver } from './components.ts'
export type { ServerInit } from './config.ts'
export {
  ADDR_BAD_TIME_AGE_SECONDS,
  ADDR_CACHE_JITTER_MS,
  ADDR_CACHE_LIFETIME_MS,
  ADDR_CACHE_MAX_ENTRIES,
  ADDR_FETCH_TIMEOUT_MS,
  ADDR_RELAY_FRESH_SECONDS,
  ADDR_RELAY_MAX_MESSAGE,
  ADDR_RELAY_ROTATE_SECONDS,
  ADDR_RELAY_TARGETS,
  ADDR_TIME_FLOOR,
  ADDR_TIME_FUTURE_SECONDS,
  ADDR_TOKEN_BUCKET_START,
  ANCHORS_FILE,
  BACKOFF_MAX_ENTRIES,
  BAN_ENTRY_VERSION,
  BANLIST_FILE,
  BANLIST_JSON_KEY,
  CONNECT_TIMEOUT_MS,
  DEFAULT_BAN_TIME_MS,
  DEFAULT_MAX_CONNECTIONS,
  DIAL_ROUND_MS,
  DISCOURAGED_MAX,
  DNS_SEED_AGE_MIN_SECONDS,
  DNS_SEED_AGE_SPREAD_SECONDS,
  DNS_TIMEOUT_MS,
  EVICTION_PROTECT_BLOCK,
  EVICTION_PROTECT_BLOCK_RELAY_ONLY,
  EVICTION_PROTECT_NETGROUP,
  EVICTION_PROTECT_PING,
  EVICTION_PROTECT_TX,
  EXTRA_PEER_CHECK_MS,
  FEELER_INTERVAL_MS,
  FIXED_SEED_AGE_SECONDS,
  FIXED_SEEDS_DELAY_MS,
  FLUSH_DEADLINE_MS,
  FLUSH_POLL_MS,
  GETADDR_REPLY_FULL,
  GETADDR_TOKEN_GRANT,
  HANDSHAKE_PREFIX_V4,
  HANDSHAKE_PREFIX_V6,
  LOCAL_ADDRESS_BROADCAST_MS,
  MAX_ADDNODE,
  MAX_ADDR_FETCH,
  MAX_ADDR_PROCESSING_TOKEN_BUCKET,
  MAX_ADDR_RATE_PER_SECOND,
  MAX_ANCHORS,
  MAX_BANS,
  MAX_BLOCK_RELAY_ONLY,
  MAX_DNS_SEED_ADDRESSES,
  MAX_FEELER,
  MAX_OUTBOUND_FULL_RELAY,
  MAX_PENDING_HANDSHAKES,
  MAX_PENDING_HANDSHAKES_PER_PREFIX,
  MAX_TRIES_PER_ROUND,
  MINIMUM_CONNECT_TIME_MS,
  PEER_CLOSE_DEADLINE_MS,
  PEER_KNOWN_INVENTORY,
  POLICY_STOP_DEADLINE_MS,
  RANDOMIZER_ID_ADDRESS_RELAY,
  RANDOMIZER_ID_NETGROUP,
  RECENT_TRY_SKIP_MS,
  RECENT_TRY_SKIP_TRIES,
  RETRY_MAX_MS,
  RETRY_STEP_MS,
  SEED_BELOW_ADDRESSES,
  SEED_ENOUGH_OUTBOUND,
  SEED_RETRY_MS,
  STALE_TIP_AGE_MS,
  STALE_TIP_CHECK_MS,
} from './constants.ts'
export {
  BadSipHashKeyError,
  BanListCorruptError,
  BanListSaveError,
  InvalidBanTargetError,
  InvalidPolicyOptionError,
  InvalidWhitelistRangeError,
  TooManyBansError,
} from './errors.ts'
export {
  type ConnectionDirection,
  type EvictionCandidate,
  type EvictionNetwork,
  type EvictionRandom,
  keyedNetGroup,
  protectByRatio,
  selectNodeToEvict,
} from './eviction.ts'
export {
  HandshakeLimiter,
  type HandshakeLimiterInit,
  type Lease,
  nonNegativeInt,
  sourcePrefix,
} from './netgroups.ts'
export { createNode, type ServerComponents } from './node.ts'
export type { AutomaticOutboundType } from './outbound.ts'
export { DEFAULT_PROXY_PORT, parseProxy } from './proxy.ts'
export { type PeerInfo, Server, type ServerEvents } from './server.ts'
export {
  deterministicRandomizer,
  SipHasher,
  type SipKey,
  siphash24,
  sipKeyFromBytes,
} from './siphash.ts'
export { type SlotLimits, type SlotLimitsInit, type SlotType, slotLimits } from './slots.ts'
export type { UploadTargetInfo } from './upload-target.ts'
