/**
 * Errors of header and block validation. Each is a ProtocolError: the peer
 * that sent an invalid header or block is discouraged, as Core does
 * (REFERENCE §6.5), except where noted.
 */
import { NodeError, ProtocolError, type Severity } from '@node/wire'

/** A header or block failed a consensus check. `reason` is Core's reject reason. */
export class ValidationError extends ProtocolError {
  readonly reason: string
  constructor(code: string, reason: string, message: string, severity: Severity = 'discourage') {
    super(code, severity, message)
    this.name = 'ValidationError'
    this.reason = reason
  }
}

export class BadProofOfWorkError extends ValidationError {
  constructor(message: string) {
    super('BAD_POW', 'high-hash', message)
    this.name = 'BadProofOfWorkError'
  }
}

export class BadDifficultyError extends ValidationError {
  constructor(message: string) {
    super('BAD_DIFFBITS', 'bad-diffbits', message)
    this.name = 'BadDifficultyError'
  }
}

export class TimeTooOldError extends ValidationError {
  constructor(message: string) {
    super('TIME_TOO_OLD', 'time-too-old', message)
    this.name = 'TimeTooOldError'
  }
}

/**
 * A header more than 2 hours in the future. Core does not punish this (the
 * peer's clock may be off, or ours): it is only rejected for now.
 */
export class TimeTooNewError extends ValidationError {
  constructor(message: string) {
    super('TIME_TOO_NEW', 'time-too-new', message, 'ignore')
    this.name = 'TimeTooNewError'
  }
}

export class TimewarpError extends ValidationError {
  constructor(message: string) {
    super('TIME_TIMEWARP', 'time-timewarp-attack', message)
    this.name = 'TimewarpError'
  }
}

export class BadVersionError extends ValidationError {
  constructor(version: number) {
    super(
      'BAD_VERSION',
      `bad-version(0x${(version >>> 0).toString(16).padStart(8, '0')})`,
      `Rejected nVersion=0x${(version >>> 0).toString(16).padStart(8, '0')} block.`,
    )
    this.name = 'BadVersionError'
  }
}

export class CheckpointMismatchError extends ValidationError {
  constructor(height: number) {
    super(
      'CHECKPOINT_MISMATCH',
      'checkpoint mismatch',
      `The header at height ${height} does not match the checkpoint.`,
    )
    this.name = 'CheckpointMismatchError'
  }
}

/** The header's parent is unknown: not an error of the peer by itself; we ask for the missing headers. */
export class OrphanHeaderError extends ValidationError {
  constructor() {
    super(
      'ORPHAN_HEADER',
      'prev-blk-not-found',
      'The header does not connect to any header we know.',
      'ignore',
    )
    this.name = 'OrphanHeaderError'
  }
}

/** A header chain that is known to be invalid (descends from an invalid header). */
export class InvalidAncestorError extends ValidationError {
  constructor() {
    super('BAD_PREVBLK', 'bad-prevblk', 'The header descends from an invalid header.')
    this.name = 'InvalidAncestorError'
  }
}

/** Headers sent in a message do not link to each other. Core: misbehaviour ("non-continuous headers sequence"). */
export class NonContinuousHeadersError extends ValidationError {
  constructor() {
    super(
      'NON_CONTINUOUS_HEADERS',
      'non-continuous headers sequence',
      'Headers in one message do not form a chain.',
    )
    this.name = 'NonContinuousHeadersError'
  }
}

/** Block-structure failures (merkle root, coinbase, witness commitment, size, weight, BIP34). */
export class BadBlockError extends ValidationError {
  constructor(reason: string, message: string, severity: Severity = 'discourage') {
    super('BAD_BLOCK', reason, message, severity)
    this.name = 'BadBlockError'
  }
}

/** The side-branch header cap is reached and the new branch has no more work than our tip or any held side branch: refused. */
export class HeaderLimitError extends NodeError {
  constructor(message: string) {
    super('HEADER_LIMIT', message)
    this.name = 'HeaderLimitError'
  }
}
