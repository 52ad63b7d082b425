/**
 * Errors of the UTXO set. Stored coins and undo records come from our own
 * database, not from a peer, so a malformed one means corruption: severity
 * `ignore` (no peer to punish), and the node stops (the host maps a
 * {@link CoinsStoreError} to its fatal store error, as Core's
 * `AbortNode("Failed to write to coin database")` in validation.cpp).
 */
import { NodeError } from '@node/runtime'
import { ProtocolError } from '@node/wire'

/** Stored coin bytes do not decode (Core: "Deserialize or I/O error"). */
export class CorruptCoinError extends ProtocolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORRUPT_COIN', 'ignore', message, options)
    this.name = 'CorruptCoinError'
  }
}

/** A block's undo record does not decode (Core undo.h, validation.cpp "no undo data available"). */
export class CorruptUndoError extends ProtocolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORRUPT_UNDO', 'ignore', message, options)
    this.name = 'CorruptUndoError'
  }
}

/** The coins database could not be opened, read or written. */
export class CoinsStoreError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('COINS_STORE', message, options)
    this.name = 'CoinsStoreError'
  }
}

/** The cache was asked to add a coin that exists (Core AddCoin "Attempted to overwrite an unspent coin"). */
export class CoinOverwriteError extends NodeError {
  constructor(message: string) {
    super('COIN_OVERWRITE', message)
    this.name = 'CoinOverwriteError'
  }
}

/** The cache was changed, or flushed again, while a flush was writing (a caller bug). */
export class CacheFlushingError extends NodeError {
  constructor() {
    super('CACHE_FLUSHING', 'The coins cache cannot change while a flush is writing.')
    this.name = 'CacheFlushingError'
  }
}
