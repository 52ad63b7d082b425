/**
 * Errors of the inventory caches. Only caller mistakes throw: no input a peer
 * can send makes a cache throw or grow past its bound.
 */
import { NodeError } from '@node/runtime'

/** An option is out of its allowed range (a caller bug). */
export class InvalidCacheOptionError extends NodeError {
  constructor(message: string) {
    super('INVALID_CACHE_OPTION', message)
    this.name = 'InvalidCacheOptionError'
  }
}
