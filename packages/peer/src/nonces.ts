/**
 * Our version nonces, shared by every peer of a node so a connection to
 * ourselves is recognised: an inbound `version` carrying a nonce we sent on
 * an outbound connection that is still handshaking is our own (Core
 * CConnman::CheckIncomingNonce; btcd keeps the last 50 sent nonces).
 */
import { MAX_NONCES } from './constants.ts'

export interface NonceSetInit {
  /** Most nonces kept; the oldest is forgotten past it (default 1,024). */
  max?: number | undefined
}

export class NonceSet {
  readonly max: number
  // Bounded by `max`, oldest first out (a Set iterates in insertion order).
  readonly #nonces = new Set<bigint>()

  constructor(init: NonceSetInit = {}) {
    this.max = init.max ?? MAX_NONCES
  }

  get size(): number {
    return this.#nonces.size
  }

  add(nonce: bigint): void {
    this.#nonces.add(nonce)
    while (this.#nonces.size > this.max) {
      const oldest = this.#nonces.values().next().value as bigint
      this.#nonces.delete(oldest)
    }
  }

  has(nonce: bigint): boolean {
    return this.#nonces.has(nonce)
  }

  delete(nonce: bigint): void {
    this.#nonces.delete(nonce)
  }
}
