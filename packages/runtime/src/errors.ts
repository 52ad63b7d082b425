/**
 * The base class of every error our packages throw on purpose. Each error
 * carries a stable `code` (and a `name`); match on `code`, not `instanceof`:
 * two copies of a package in one tree break `instanceof`.
 */

/** Base class of every error our packages throw on purpose. */
export class NodeError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'NodeError'
  }
}

/** True for any of our errors, matched by shape rather than `instanceof`. */
export function isNodeError(err: unknown): err is NodeError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string'
}
