/**
 * Errors of the block store. Match on `code`, not `instanceof`.
 *
 * Damage the store can explain (a torn tail left by a crash) is repaired
 * silently on open and reported in `BlockStore.lastRecovery`; these errors are
 * for what the caller must know about.
 */
import { NodeError } from '@node/runtime'

/** Stored bytes failed their checksum or do not match their index entry. */
export class StoreCorruptionError extends NodeError {
  readonly file: string
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('STORE_CORRUPT', message, options)
    this.name = 'StoreCorruptionError'
    this.file = file
  }
}

/**
 * A stored block failed its checksum when read. The store has already
 * forgotten it (hasBlock() is now false), so fetching it again and calling
 * putBlock() repairs the damage.
 */
export class BlockCorruptError extends NodeError {
  readonly file: string
  readonly hash: Uint8Array
  constructor(file: string, hash: Uint8Array, detail: string) {
    super(
      'BLOCK_CORRUPT',
      `Stored block ${hashHex(hash)} in ${file} is corrupt: ${detail}. It was dropped from the index.`,
    )
    this.name = 'BlockCorruptError'
    this.file = file
    this.hash = hash
  }
}

/** Another BlockStore (in this or another live process) has the directory open. */
export class StoreLockedError extends NodeError {
  constructor(dir: string, pid: number) {
    super('STORE_LOCKED', `The block store in ${dir} is already open (process ${pid}).`)
    this.name = 'StoreLockedError'
  }
}

/** The store is not started, or is stopping. */
export class StoreClosedError extends NodeError {
  constructor(what: string) {
    super('STORE_CLOSED', `Cannot ${what}: the block store is not open.`)
    this.name = 'StoreClosedError'
  }
}

/** Too many block writes are queued; retry when some have been acknowledged. */
export class StoreBusyError extends NodeError {
  constructor(pending: number, pendingBytes: number) {
    super(
      'STORE_BUSY',
      `The block store already has ${pending} writes (${pendingBytes} bytes) waiting to be made durable.`,
    )
    this.name = 'StoreBusyError'
  }
}

/**
 * A write to disk failed (e.g. the disk is full). The store refuses further
 * writes until it is stopped and started again, which repairs any partial
 * record the failed write left behind.
 */
export class StoreWriteError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_WRITE_FAILED', message, options)
    this.name = 'StoreWriteError'
  }
}

/** A caller passed a malformed hash, header or height. */
export class StoreArgumentError extends NodeError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message)
    this.name = 'StoreArgumentError'
  }
}

/** Display form of a hash in wire order (no byte reversal). */
function hashHex(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex')
}
