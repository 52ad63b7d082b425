/**
 * Inventory keys: type and hash as a value, never an object's identity.
 *
 * btcd keys its per-peer known-inventory LRU by `*InvVect` pointers, so an
 * item a peer announced never matches the later relay of the same hash and is
 * sent back to its source (btcd peer/peer.go `knownInventory`). Our key is the string
 * `<type>:<hash hex>`, with the witness flag normalised away: MSG_WITNESS_BLOCK
 * (0x40000002) names the same object as MSG_BLOCK (2), and MSG_WITNESS_TX the
 * same as MSG_TX. MSG_TX (txid) and MSG_WTX (wtxid) stay apart: they are
 * different hashes of the object (BIP339).
 */
import { type InvItem, WITNESS_FLAG } from '@node/wire'

/** The inventory type without the BIP144 witness flag, as an unsigned 32-bit number. */
export function normalizeInvType(type: number): number {
  return (type & ~WITNESS_FLAG) >>> 0
}

/** `<normalised type>:<hash hex, wire order>`. Equal for equal (type, hash) values. */
export function invKey(item: InvItem): string {
  const h = item.hash
  return `${normalizeInvType(item.type)}:${Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex')}`
}
