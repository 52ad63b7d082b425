/**
 * The errors of the wire codec.
 *
 * Every failure a peer can cause is a {@link ProtocolError} with a `severity`
 * that tells the owner of the connection how serious it is, following Bitcoin
 * Core's reactions (net.cpp `V1Transport`, net_processing.cpp `Misbehaving`):
 *
 * - `ignore`: drop the message and keep the peer (Core: bad checksum, and
 *   every payload that does not deserialize, below);
 * - `disconnect`: close the connection (Core: wrong magic, oversized frame);
 * - `discourage`: close and remember the peer as misbehaving (Core:
 *   `Misbehaving()`, e.g. more than 50,000 inventory entries).
 *
 * A payload that does not deserialize (it ends early, a CompactSize is not
 * canonical or too large, a BIP155 address has the wrong length, a field has
 * a value no encoding allows) costs Core only that message, whatever its
 * type: net_processing.cpp PeerManagerImpl::ProcessMessages wraps
 * ProcessMessage in a try/catch that logs the exception ("Exception '...'
 * caught") and goes on with the next message. Core disconnects or punishes
 * only by explicit checks, such as the entry counts of inv, getdata, addr,
 * addrv2 and headers (`Misbehaving`): those stay `discourage` here
 * ({@link TooManyEntriesError}). So the decoding errors below are `ignore`.
 *
 * Match on `code`, not `instanceof`: two copies of a package in one tree break
 * `instanceof`.
 */

import { isNodeError, NodeError } from '@node/runtime'

export type Severity = 'ignore' | 'disconnect' | 'discourage'

/** An error caused by what a peer sent; carries how serious it is. */
export class ProtocolError extends NodeError {
  readonly severity: Severity
  constructor(code: string, severity: Severity, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.severity = severity
    this.name = 'ProtocolError'
  }
}

/** True for a {@link ProtocolError}, matched by shape. */
export function isProtocolError(err: unknown): err is ProtocolError {
  if (!isNodeError(err)) return false
  const s = (err as { severity?: unknown }).severity
  return s === 'ignore' || s === 'disconnect' || s === 'discourage'
}

// --- framing ---------------------------------------------------------------

/** The frame's magic is not our network's. Core disconnects. */
export class BadMagicError extends ProtocolError {
  constructor(got: string, want: string) {
    super('BAD_MAGIC', 'disconnect', `Frame magic ${got} does not match the network magic ${want}.`)
    this.name = 'BadMagicError'
  }
}

/** The declared payload length is above 4,000,000 bytes. Core disconnects. */
export class PayloadTooLargeError extends ProtocolError {
  constructor(length: number, max: number, command?: string) {
    super(
      'PAYLOAD_TOO_LARGE',
      'disconnect',
      `Declared payload length ${length} exceeds the limit of ${max} bytes${command ? ` for ${command}` : ''}.`,
    )
    this.name = 'PayloadTooLargeError'
  }
}

/** The payload's checksum is wrong. Core logs and drops the message. */
export class BadChecksumError extends ProtocolError {
  readonly command: string
  constructor(command: string, got: string, want: string) {
    super('BAD_CHECKSUM', 'ignore', `Checksum ${got} of ${command} does not match ${want}.`)
    this.name = 'BadChecksumError'
    this.command = command
  }
}

/**
 * The 12-byte command is not printable ASCII padded with NUL. The frame is
 * still delimited by its length, so Core drops that message and reads on
 * (net.cpp V1Transport::GetReceivedMessage: "Invalid message type").
 */
export class BadCommandError extends ProtocolError {
  constructor(detail: string) {
    super('BAD_COMMAND', 'ignore', `Invalid command field: ${detail}.`)
    this.name = 'BadCommandError'
  }
}

/** A one-shot frame decoder got fewer bytes than the header declares. */
export class TruncatedFrameError extends ProtocolError {
  constructor(need: number, have: number) {
    super('TRUNCATED_FRAME', 'disconnect', `Frame needs ${need} bytes but only ${have} are present.`)
    this.name = 'TruncatedFrameError'
  }
}

/** A one-shot frame decoder got more bytes than the one frame its header declares. */
export class ExtraFrameBytesError extends ProtocolError {
  constructor(size: number, have: number) {
    super(
      'EXTRA_FRAME_BYTES',
      'disconnect',
      `${have - size} bytes follow the ${size}-byte frame; a one-shot decode takes exactly one frame.`,
    )
    this.name = 'ExtraFrameBytesError'
  }
}

// --- payload decoding --------------------------------------------------------

/** The payload ended before the field being read. Core drops the message (e.g. an empty addrv2). */
export class TruncatedError extends ProtocolError {
  constructor(what: string, offset: number, need: number, have: number) {
    super(
      'TRUNCATED',
      'ignore',
      `Payload ends while reading ${what} at offset ${offset}: need ${need} more bytes, have ${have}.`,
    )
    this.name = 'TruncatedError'
  }
}

/**
 * Bytes were left after the message was decoded. Core's deserializer does not
 * look at them; we do not use a padded message, but, as Core, keep the peer.
 */
export class TrailingBytesError extends ProtocolError {
  constructor(command: string, extra: number) {
    super('TRAILING_BYTES', 'ignore', `${extra} trailing bytes after the ${command} payload.`)
    this.name = 'TrailingBytesError'
  }
}

/** A CompactSize was not minimally encoded (Core: "non-canonical ReadCompactSize()"). */
export class NonCanonicalCompactSizeError extends ProtocolError {
  constructor(offset: number) {
    super('NON_CANONICAL_COMPACT_SIZE', 'ignore', `Non-canonical CompactSize at offset ${offset}.`)
    this.name = 'NonCanonicalCompactSizeError'
  }
}

/** A CompactSize or length is above what the field can ever hold (Core: "size too large", the message is dropped). */
export class SizeTooLargeError extends ProtocolError {
  constructor(what: string, size: number | bigint, max: number) {
    super('SIZE_TOO_LARGE', 'ignore', `${what} size ${size} exceeds ${max}.`)
    this.name = 'SizeTooLargeError'
  }
}

/**
 * A list has more entries than the protocol allows (50,000 inventory entries,
 * 1,000 addresses, 2,000 headers, 101 locator hashes). Core punishes this as
 * misbehaviour, except a locator over 101 hashes, for which it only
 * disconnects (net_processing.cpp, getheaders and getblocks: fDisconnect).
 */
export class TooManyEntriesError extends ProtocolError {
  constructor(command: string, count: number | bigint, max: number, severity: Severity = 'discourage') {
    super('TOO_MANY_ENTRIES', severity, `${command} has ${count} entries, more than the maximum of ${max}.`)
    this.name = 'TooManyEntriesError'
  }
}

/** A field holds a value no encoding allows (Core's deserializer throws: the message is dropped). */
export class InvalidValueError extends ProtocolError {
  constructor(message: string, severity: Severity = 'ignore') {
    super('INVALID_VALUE', severity, message)
    this.name = 'InvalidValueError'
  }
}

/**
 * A BIP155 address has the wrong size for its network, or is over 512 bytes.
 * Core's CNetAddr::UnserializeV2Stream throws; the addrv2 is dropped, the
 * peer kept.
 */
export class BadAddressLengthError extends ProtocolError {
  constructor(message: string) {
    super('BAD_ADDRESS_LENGTH', 'ignore', message)
    this.name = 'BadAddressLengthError'
  }
}

/** We were asked to encode something that cannot be encoded (a caller bug, not a peer's). */
export class EncodeError extends NodeError {
  constructor(message: string) {
    super('ENCODE_ERROR', message)
    this.name = 'EncodeError'
  }
}
