/**
 * One error class per failure condition. Match on `code`, not `instanceof`.
 *
 * Decoding a BIP155 address with the wrong length for its network throws
 * `@node/wire`'s `BadAddressLengthError` (code `BAD_ADDRESS_LENGTH`), with
 * Core's message, so peers get the same treatment whichever package decoded.
 */
import { NodeError } from '@node/runtime'

/** A string is not an address or service we can parse. */
export class InvalidAddressError extends NodeError {
  readonly input: string
  constructor(input: string, reason: string) {
    super('INVALID_ADDRESS', `Cannot parse ${JSON.stringify(input)} as an address: ${reason}.`)
    this.name = 'InvalidAddressError'
    this.input = input
  }
}

/** An asmap file fails Core's sanity check. */
export class InvalidAsmapError extends NodeError {
  constructor(reason: string) {
    super('INVALID_ASMAP', `The asmap is not valid: ${reason}.`)
    this.name = 'InvalidAsmapError'
  }
}

/** `checkConsistency()` found a broken invariant; `check` is Core's error code. */
export class ConsistencyError extends NodeError {
  readonly check: number
  constructor(check: number, detail: string) {
    super('ADDRMAN_INCONSISTENT', `Address manager consistency check ${check} failed: ${detail}.`)
    this.name = 'ConsistencyError'
    this.check = check
  }
}

/**
 * A peers file could not be loaded. The subclasses say why; every one of them
 * makes the manager keep the file as `.bak` and start empty.
 */
export class PeersFileError extends NodeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'PeersFileError'
  }
}

/** The file ended before the data it declares. */
export class PeersFileTruncatedError extends PeersFileError {
  constructor(what: string, offset: number) {
    super('PEERS_FILE_TRUNCATED', `The peers file ends while reading ${what} at offset ${offset}.`)
    this.name = 'PeersFileTruncatedError'
  }
}

/** The file's network magic is not ours (another network's file, or not a peers file). */
export class PeersFileMagicError extends PeersFileError {
  constructor(got: string, want: string) {
    super('PEERS_FILE_MAGIC', `The peers file has network magic ${got}, expected ${want}.`)
    this.name = 'PeersFileMagicError'
  }
}

/** The trailing double SHA-256 does not match the contents (Core: "Checksum mismatch"). */
export class PeersFileChecksumError extends PeersFileError {
  constructor() {
    super('PEERS_FILE_CHECKSUM', 'The peers file checksum does not match; the data is corrupted.')
    this.name = 'PeersFileChecksumError'
  }
}

/** The file was written in a format this version cannot read (Core: InvalidAddrManVersionError). */
export class PeersFileVersionError extends PeersFileError {
  constructor(format: number, lowestCompatible: number, supported: number) {
    super(
      'PEERS_FILE_VERSION',
      `Unsupported peers file format ${format}: it needs a reader for formats >= ${lowestCompatible}, we read up to ${supported}.`,
    )
    this.name = 'PeersFileVersionError'
  }
}

/** The contents are malformed or fail the consistency check (Core: "Corrupt AddrMan serialization"). */
export class PeersFileCorruptError extends PeersFileError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('PEERS_FILE_CORRUPT', `The peers file is corrupt: ${detail}.`, options)
    this.name = 'PeersFileCorruptError'
  }
}

/** A btcd peers.json could not be imported. */
export class PeersJsonError extends PeersFileError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('PEERS_JSON_INVALID', `The btcd peers.json cannot be imported: ${detail}.`, options)
    this.name = 'PeersJsonError'
  }
}
