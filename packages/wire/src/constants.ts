/**
 * Protocol constants. Each names its source: Bitcoin Core (Core), btcd, or a BIP.
 */

/** The protocol version we speak (Core PROTOCOL_VERSION, btcd ProtocolVersion). */
export const PROTOCOL_VERSION = 70016
/** Peers below this are disconnected (Core MIN_PEER_PROTO_VERSION; btcd uses 209). */
export const MIN_PEER_PROTO_VERSION = 31800
/** `addr` entries carry a timestamp from this version on (Core CADDR_TIME_VERSION). */
export const CADDR_TIME_VERSION = 31402
/** `pong` is sent only to peers above this version (BIP31). */
export const BIP0031_VERSION = 60000
/** `sendheaders` (BIP130). */
export const SENDHEADERS_VERSION = 70012
/** `feefilter` (BIP133). */
export const FEEFILTER_VERSION = 70013
/** Compact blocks (BIP152). */
export const SHORT_IDS_BLOCKS_VERSION = 70014
/** `wtxidrelay` (BIP339) and `sendaddrv2` (BIP155). */
export const WTXID_RELAY_VERSION = 70016

/** A frame's header: magic 4 ‖ command 12 ‖ length 4 ‖ checksum 4. */
export const HEADER_SIZE = 24
export const COMMAND_SIZE = 12
/** Largest payload a peer may declare (Core MAX_PROTOCOL_MESSAGE_LENGTH). */
export const MAX_PROTOCOL_MESSAGE_LENGTH = 4_000_000
/** Largest CompactSize used as a length (Core MAX_SIZE, 32 MiB). */
export const MAX_SIZE = 0x02000000

/** Core MAX_INV_SZ: entries in inv, getdata, notfound. */
export const MAX_INV_SZ = 50_000
/** Core MAX_ADDR_TO_SEND: entries in addr and addrv2. */
export const MAX_ADDR_TO_SEND = 1_000
/** Core MAX_HEADERS_RESULTS: headers in one headers message. */
export const MAX_HEADERS_RESULTS = 2_000
/** Core MAX_LOCATOR_SZ: hashes in a block locator (btcd allows 500). */
export const MAX_LOCATOR_SZ = 101
/** Core MAX_SUBVERSION_LENGTH: bytes in the user agent. */
export const MAX_SUBVERSION_LENGTH = 256
/** BIP155 ADDRV2: largest address of any network id. */
export const MAX_ADDRV2_SIZE = 512
/** BIP37: bloom filter size and hash functions (Core MAX_BLOOM_FILTER_SIZE, MAX_HASH_FUNCS). */
export const MAX_BLOOM_FILTER_SIZE = 36_000
export const MAX_HASH_FUNCS = 50
/** BIP37: filteradd data (Core MAX_SCRIPT_ELEMENT_SIZE). */
export const MAX_SCRIPT_ELEMENT_SIZE = 520
/** BIP157: getcfheaders range and cfheaders count (Core MAX_GETCFHEADERS_SIZE). */
export const MAX_GETCFHEADERS_SIZE = 2_000
/** BIP157: getcfilters range (Core MAX_GETCFILTERS_SIZE). */
export const MAX_GETCFILTERS_SIZE = 1_000
/** Reject messages: Core's MAX_REJECT_MESSAGE_LENGTH. */
export const MAX_REJECT_MESSAGE_LENGTH = 111

/** Consensus: block weight and serialized size limits (BIP141). */
export const MAX_BLOCK_WEIGHT = 4_000_000
export const MAX_BLOCK_SERIALIZED_SIZE = 4_000_000
export const WITNESS_SCALE_FACTOR = 4

/** Service bits (Core protocol.h `ServiceFlags`; bit 1 is BIP64's retired NODE_GETUTXO). */
export const Services = {
  NONE: 0n,
  NODE_NETWORK: 1n,
  NODE_GETUTXO: 2n,
  NODE_BLOOM: 4n,
  NODE_WITNESS: 8n,
  NODE_COMPACT_FILTERS: 64n,
  NODE_NETWORK_LIMITED: 1024n,
  NODE_P2P_V2: 2048n,
} as const

/** Inventory types (Core protocol.h); the witness flag asks for witness serialization. */
export const InvType = {
  ERROR: 0,
  TX: 1,
  BLOCK: 2,
  FILTERED_BLOCK: 3,
  CMPCT_BLOCK: 4,
  WTX: 5,
  WITNESS_TX: 0x40000001,
  WITNESS_BLOCK: 0x40000002,
  FILTERED_WITNESS_BLOCK: 0x40000003,
} as const
export const WITNESS_FLAG = 0x40000000

/** BIP155 network ids. */
export const NetworkId = {
  IPV4: 1,
  IPV6: 2,
  TORV2: 3,
  TORV3: 4,
  I2P: 5,
  CJDNS: 6,
} as const
export type NetworkIdValue = (typeof NetworkId)[keyof typeof NetworkId]

/** BIP155 address sizes by network id. */
export const ADDRV2_SIZES: Readonly<Record<number, number>> = {
  1: 4,
  2: 16,
  3: 10,
  4: 32,
  5: 32,
  6: 16,
}

/** Core COIN (src/consensus/amount.h): satoshis in one bitcoin. */
export const COIN = 100_000_000n
/** Core MAX_MONEY (src/consensus/amount.h): no amount may exceed 21 million BTC. */
export const MAX_MONEY = 21_000_000n * COIN
