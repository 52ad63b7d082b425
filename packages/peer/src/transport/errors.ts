/**
 * What a v2 (BIP324) peer can do wrong at the transport layer. Core reacts to
 * each of the fatal ones by disconnecting (src/net.cpp, V2Transport::
 * ReceivedBytes returning false); a message with an unusable type is dropped
 * and the connection kept (V2Transport::GetReceivedMessage, reject_message).
 */
import { ProtocolError } from '@node/wire'

/** No garbage terminator within 4,095 bytes of garbage ("missing garbage terminator"). */
export class V2GarbageTerminatorError extends ProtocolError {
  constructor(limit: number) {
    super('V2_NO_GARBAGE_TERMINATOR', 'disconnect', `No garbage terminator within ${limit} bytes.`)
    this.name = 'V2GarbageTerminatorError'
  }
}

/** A packet failed authentication ("packet decryption failure"). */
export class V2DecryptError extends ProtocolError {
  constructor(length: number) {
    super('V2_DECRYPT_FAILED', 'disconnect', `A packet of ${length} content bytes failed authentication.`)
    this.name = 'V2DecryptError'
  }
}

/** A packet's length is over the limit ("packet too large"); nothing of it was buffered. */
export class V2PacketTooLargeError extends ProtocolError {
  readonly length: number
  readonly limit: number
  constructor(length: number, limit: number) {
    super(
      'V2_PACKET_TOO_LARGE',
      'disconnect',
      `A packet declares ${length} content bytes; the limit is ${limit}.`,
    )
    this.name = 'V2PacketTooLargeError'
    this.length = length
    this.limit = limit
  }
}

/** A v1 `version` header under another network's magic, sent to our v2 responder ("V1 peer with wrong MessageStart"). */
export class V2WrongNetworkError extends ProtocolError {
  constructor(magicHex: string) {
    super('V2_WRONG_NETWORK', 'disconnect', `A v1 version message with the wrong network magic ${magicHex}.`)
    this.name = 'V2WrongNetworkError'
  }
}

/** A packet whose contents do not start with a usable message type: dropped, not fatal. */
export class V2BadMessageTypeError extends ProtocolError {
  constructor(detail: string) {
    super('V2_BAD_MESSAGE_TYPE', 'ignore', `Invalid v2 message type: ${detail}.`)
    this.name = 'V2BadMessageTypeError'
  }
}
