/**
 * SipHash lives in `@node/wire` (BIP152 short ids need it below this
 * package); this module re-exports it and adds Core's deterministic
 * randomizers, which are a connection-manager concept.
 */
import { SipHasher, type SipKey } from '@node/wire'

export { SipHasher, type SipKey, siphash24, sipKeyFromBytes } from '@node/wire'

const MASK64 = (1n << 64n) - 1n

/**
 * Core's `GetDeterministicRandomizer(id)`: a hasher keyed with the node's
 * secret and already fed the 64-bit randomizer id.
 */
export function deterministicRandomizer(secret: SipKey, id: bigint): SipHasher {
  return new SipHasher(secret).writeU64(id & MASK64)
}
