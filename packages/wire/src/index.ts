/**
 * @node/wire: the Bitcoin P2P wire codec.
 *
 * A pure codec with no I/O: every message of protocol 70016, framing with a
 * streaming decoder, strict limits, blocks and transactions with witness data,
 * and the parameters of every network. Everything a peer can get wrong is a
 * typed {@link ProtocolError} with a severity.
 *
 * @example
 * ```ts
 * import { FrameDecoder, encodeMessage, networks } from '@node/wire'
 * const { magic } = networks.regtest
 * const bytes = encodeMessage(magic, { command: 'ping', nonce: 42n })
 * const decoder = new FrameDecoder({ magic })
 * for (const ev of decoder.push(bytes)) if (ev.kind === 'message') handle(ev.message) // { command: 'ping', nonce: 42n }
 * ```
 */
export {
  BLOCK_HEADER_SIZE,
  type Block,
  type BlockHeader,
  blockHash,
  blockMerkleRoot,
  blockWeight,
  decodeBlock,
  decodeHeader,
  encodeBlock,
  encodeHeader,
  merkleRoot,
  readBlock,
  readHeader,
  witnessCommitment,
  witnessCommitmentIndex,
  witnessMerkleRoot,
  writeBlock,
  writeHeader,
} from './block.ts'
export { compactSizeLength, Reader, Writer } from './buffer.ts'
export {
  makeCompactBlock,
  reconstructBlock,
  shortId,
  shortIdKey,
} from './compact.ts'
export {
  ADDRV2_SIZES,
  BIP0031_VERSION,
  CADDR_TIME_VERSION,
  COIN,
  COMMAND_SIZE,
  FEEFILTER_VERSION,
  HEADER_SIZE,
  InvType,
  MAX_ADDR_TO_SEND,
  MAX_ADDRV2_SIZE,
  MAX_BLOCK_SERIALIZED_SIZE,
  MAX_BLOCK_WEIGHT,
  MAX_BLOOM_FILTER_SIZE,
  MAX_GETCFHEADERS_SIZE,
  MAX_GETCFILTERS_SIZE,
  MAX_HASH_FUNCS,
  MAX_HEADERS_RESULTS,
  MAX_INV_SZ,
  MAX_LOCATOR_SZ,
  MAX_MONEY,
  MAX_PROTOCOL_MESSAGE_LENGTH,
  MAX_REJECT_MESSAGE_LENGTH,
  MAX_SCRIPT_ELEMENT_SIZE,
  MAX_SIZE,
  MAX_SUBVERSION_LENGTH,
  MIN_PEER_PROTO_VERSION,
  NetworkId,
  type NetworkIdValue,
  PROTOCOL_VERSION,
  SENDHEADERS_VERSION,
  Services,
  SHORT_IDS_BLOCKS_VERSION,
  WITNESS_FLAG,
  WITNESS_SCALE_FACTOR,
  WTXID_RELAY_VERSION,
} from './constants.ts'
export {
  BadAddressLengthError,
  BadChecksumError,
  BadCommandError,
  BadMagicError,
  EncodeError,
  ExtraFrameBytesError,
  InvalidValueError,
  isProtocolError,
  NonCanonicalCompactSizeError,
  PayloadTooLargeError,
  ProtocolError,
  type Severity,
  SizeTooLargeError,
  TooManyEntriesError,
  TrailingBytesError,
  TruncatedError,
  TruncatedFrameError,
} from './errors.ts'
export {
  decodeFrame,
  encodeMessage,
  FrameDecoder,
  type FrameDecoderInit,
  type FrameEvent,
  type FrameHeader,
  frame,
  frameHeader,
  type Magic,
  parseCommand,
} from './framing.ts'
export {
  bytesEqual,
  checksum,
  fromHex,
  type Hash,
  hashToHex,
  hexToHash,
  sha256,
  sha256d,
  toHex,
  zeroHash,
} from './hash.ts'
export {
  type AddrEntry,
  type AddrV2Entry,
  COMMANDS,
  type Command,
  decodePayload,
  encodePayload,
  type InvItem,
  isKnownCommand,
  type Message,
  type MessageOf,
  type NetAddr,
  type PrefilledTx,
  type VersionMessage,
} from './messages.ts'
export {
  type ChainTxData,
  type Checkpoint,
  compactToTarget,
  getNetwork,
  hashToBigInt,
  mainnet,
  type NetworkName,
  type NetworkParams,
  networks,
  regtest,
  signet,
  targetToCompact,
  targetToWork,
  testnet3,
  testnet4,
} from './networks.ts'
export {
  BadSipHashKeyError,
  SipHasher,
  type SipKey,
  siphash24,
  sipKeyFromBytes,
} from './siphash.ts'
export {
  decodeTx,
  readTx,
  Tx,
  type TxIn,
  type TxOut,
  writeTx,
} from './tx.ts'
