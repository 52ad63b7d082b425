/**
 * Connection slots (Core net.cpp `CConnman::Init`): of `maxConnections`
 * (Core's m_max_automatic_connections, default 125), up to 8 are for
 * full-relay outbound peers, up to 2 for block-relay-only peers (both cut
 * down when the maximum is smaller) and 1 for a feeler; inbound gets the rest
 * (114 by default). Manual (`addnode`) peers are counted apart, up to 8
 * (MAX_ADDNODE_CONNECTIONS); address-fetch connections up to 1.
 *
 * The node counts open connections from its peer table
 * (`countConnections`) and compares them with these limits, as Core's
 * ThreadOpenConnections counts m_nodes.
 */
import {
  DEFAULT_MAX_CONNECTIONS,
  MAX_ADDNODE,
  MAX_ADDR_FETCH,
  MAX_BLOCK_RELAY_ONLY,
  MAX_FEELER,
  MAX_OUTBOUND_FULL_RELAY,
} from './constants.ts'
import { nonNegativeInt } from './netgroups.ts'

/** Connection types, as `@node/peer` names them. */
export type SlotType =
  | 'inbound'
  | 'outbound-full-relay'
  | 'block-relay-only'
  | 'feeler'
  | 'manual'
  | 'addr-fetch'

export interface SlotLimitsInit {
  /** Inbound plus automatic outbound (Core `-maxconnections`, default 125). */
  maxConnections?: number | undefined
  /** Target of full-relay outbound peers before the cut (default 8; tests lower it). */
  maxOutbound?: number | undefined
  /** Target of block-relay-only peers before the cut (default 2; tests lower it). */
  maxBlockRelayOnly?: number | undefined
  /** Manual (`addnode`) connections, counted apart (default 8). */
  maxManual?: number | undefined
  /** Address-fetch connections at once (default 1). */
  maxAddrFetch?: number | undefined
}

/** How many connections of each type may be open. */
export type SlotLimits = Readonly<Record<SlotType, number>>

/**
 * Core `CConnman::Init`: full-relay = min(8, max); block-relay-only =
 * min(2, max − full-relay); feeler = 1; inbound = max(0, max − all three).
 */
export function slotLimits(init: SlotLimitsInit = {}): SlotLimits {
  const max = nonNegativeInt('maxConnections', init.maxConnections, DEFAULT_MAX_CONNECTIONS)
  const fullTarget = nonNegativeInt('maxOutbound', init.maxOutbound, MAX_OUTBOUND_FULL_RELAY)
  const blockTarget = nonNegativeInt('maxBlockRelayOnly', init.maxBlockRelayOnly, MAX_BLOCK_RELAY_ONLY)
  const fullRelay = Math.min(fullTarget, max)
  const blockRelay = Math.min(blockTarget, max - fullRelay)
  const feeler = MAX_FEELER
  return {
    inbound: Math.max(0, max - (fullRelay + blockRelay + feeler)),
    'outbound-full-relay': fullRelay,
    'block-relay-only': blockRelay,
    feeler,
    manual: nonNegativeInt('maxManual', init.maxManual, MAX_ADDNODE),
    'addr-fetch': nonNegativeInt('maxAddrFetch', init.maxAddrFetch, MAX_ADDR_FETCH),
  }
}
