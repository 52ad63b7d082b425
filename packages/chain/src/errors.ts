/**
 * Errors of header and block validation. Each is a ProtocolError: the peer
 * that sent an invalid header or block is discouraged, as Core does
 * (net_processing.cpp `MaybePunishNodeForBlock`), except where noted.
 */

import { NodeError } from '@node/runtime'
import { ProtocolError, type Severity } from '@node/wire'

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

/**
 * A block tip the header tree cannot take (`setTip` to an entry that is not
 * in the tree, lacks block data or is marked failed; `invalidate` of a block
 * on the block chain when the caller moves the tip): a bug of the caller.
 */
export class InvalidTipError extends NodeError {
  constructor(message: string) {
    super('INVALID_TIP', message)
    this.name = 'InvalidTipError'
  }
}

/**
 * The block store could not write (disk full, permission denied, I/O error):
 * the node must stop, as bitcoind aborts on any failure to write its block or
 * chain state (Core AbortNode / FatalError in validation.cpp and
 * node/blockstorage.cpp). Memory would otherwise run ahead of what is on
 * disk. `errno` is the system error code when there is one (EACCES, ENOSPC, EIO, ...).
 */
export class FatalStoreError extends NodeError {
  readonly errno: string | undefined
  constructor(what: string, cause: unknown) {
    const errno = systemCode(cause)
    const detail = cause instanceof Error ? rootMessage(cause) : String(cause)
    super(
      'FATAL_STORE_WRITE',
      `Failed to write ${what} to the block store (${detail}); the node must stop.`,
      {
        cause,
      },
    )
    this.name = 'FatalStoreError'
    this.errno = errno
  }
}

/** The innermost message of an error chain (the system error's, e.g. "EACCES: permission denied, open ..."). */
function rootMessage(err: Error): string {
  let e: unknown = err
  while (e instanceof Error && e.cause instanceof Error) e = e.cause
  return (e as Error).message
}

/** The system error code (EACCES, ENOSPC, EIO, ...) anywhere in an error's cause chain. */
function systemCode(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown; errno?: unknown }).code
    if (typeof code === 'string' && typeof (e as { errno?: unknown }).errno === 'number') return code
  }
  return undefined
}
