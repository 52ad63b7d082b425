/**
 * The signature cache (Core's src/script/sigcache.cpp, `SignatureCache`): a
 * signature that verified once is not verified again, for example when a
 * transaction first seen in the mempool arrives in a block.
 *
 * Entries are 32-byte salted hashes of what was verified (sighash,
 * signature, key), so a peer cannot aim collisions at the table: the salt is
 * secret and random per cache. The table is a fixed array of 32-byte slots,
 * bounded by `maxBytes` from construction on; an insert into a full probe
 * window replaces an entry in it (Core's cuckoo cache also forgets old
 * entries when full). The table can live in a SharedArrayBuffer so that the
 * verification workers share it; a torn concurrent write leaves a slot that
 * matches no real key, which only costs a verification.
 */
import { randomBytes } from 'node:crypto'
import { sha256 } from '@node/wire'

const SLOT = 32
const WINDOW = 4

export interface SignatureCacheOptions {
  /** Upper bound on the table's memory; default 32 MiB, as Core's `-maxsigcachesize`. */
  maxBytes?: number
  /** 32 secret bytes; random by default. */
  salt?: Uint8Array
  /** Put the table in shared memory, for worker threads. */
  shared?: boolean
  /** Use this shared table (another cache's {@link SignatureCache.table}) instead of a new one. */
  table?: SharedArrayBuffer
}

export class SignatureCache {
  readonly salt: Uint8Array
  /** Number of 32-byte slots. */
  readonly capacity: number
  readonly #table: Uint8Array
  readonly #mask: number

  constructor(options: SignatureCacheOptions = {}) {
    this.salt = options.salt ?? new Uint8Array(randomBytes(32))
    if (options.table) {
      this.#table = new Uint8Array(options.table)
      this.capacity = options.table.byteLength / SLOT
    } else {
      const maxBytes = options.maxBytes ?? 32 * 1024 * 1024
      let capacity = 1
      while (capacity * 2 * SLOT <= maxBytes) capacity *= 2
      this.capacity = capacity
      const bytes = capacity * SLOT
      this.#table = new Uint8Array(options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes))
    }
    if ((this.capacity & (this.capacity - 1)) !== 0)
      throw new TypeError('The table holds a power of two of slots.')
    this.#mask = this.capacity - 1
  }

  /** The table's memory (a SharedArrayBuffer when shared). */
  get table(): ArrayBufferLike {
    return this.#table.buffer
  }

  /** Bytes the table takes: 32 per entry. */
  get bytes(): number {
    return this.capacity * SLOT
  }

  /** The cache key of a verification: salted SHA256 of a kind byte and the parts. */
  key(kind: number, ...parts: Uint8Array[]): Uint8Array {
    const k = sha256(this.salt, Uint8Array.of(kind), ...parts)
    k[0]! |= 1 // an empty slot starts with 0
    return k
  }

  #slot(key: Uint8Array, w: number): number {
    const base = (key[1]! | (key[2]! << 8) | (key[3]! << 16) | (key[4]! << 24)) >>> 0
    return ((base + w) & this.#mask) * SLOT
  }

  has(key: Uint8Array): boolean {
    const table = this.#table
    for (let w = 0; w < WINDOW; w++) {
      const at = this.#slot(key, w)
      let i = 0
      while (i < SLOT && table[at + i] === key[i]) i++
      if (i === SLOT) return true
    }
    return false
  }

  add(key: Uint8Array): void {
    if (this.has(key)) return
    const table = this.#table
    let at = -1
    for (let w = 0; w < WINDOW && at < 0; w++) {
      const slot = this.#slot(key, w)
      if (table[slot] === 0) at = slot
    }
    if (at < 0) at = this.#slot(key, key[5]! % WINDOW)
    table.set(key, at)
  }
}
