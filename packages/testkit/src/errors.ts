/**
 * Errors the test helpers throw. Match on `code`, not `instanceof`.
 */
import { NodeError } from '@node/runtime'

/** One resource kind that has more live handles than in the baseline. */
export interface Leak {
  readonly kind: string
  readonly before: number
  readonly after: number
}

/** Handles or requests are still active after a component was stopped. */
export class LeakError extends NodeError {
  readonly leaks: readonly Leak[]
  constructor(leaks: readonly Leak[], waitedMs: number) {
    const list = leaks.map((l) => `${l.kind} ${l.before} -> ${l.after}`).join(', ')
    super('RESOURCE_LEAK', `Resources were still active ${waitedMs} ms after stop: ${list}.`)
    this.name = 'LeakError'
    this.leaks = leaks
  }
}

/** A component broke the Startable contract (`Startable` in @node/runtime). */
export class ContractError extends NodeError {
  readonly check: string
  constructor(check: string, message: string, options?: { cause?: unknown }) {
    super('STARTABLE_CONTRACT', `${check}: ${message}`, options)
    this.name = 'ContractError'
    this.check = check
  }
}

/** The bcoin launcher exited, or never said READY, before it was ready. */
export class BcoinStartError extends NodeError {
  readonly exitCode: number | null
  readonly signal: string | null
  /** The last lines the launcher wrote to stderr. */
  readonly stderr: string
  constructor(message: string, exitCode: number | null, signal: string | null, stderr: string) {
    super('BCOIN_START_FAILED', stderr ? `${message}\n--- launcher stderr ---\n${stderr}` : message)
    this.name = 'BcoinStartError'
    this.exitCode = exitCode
    this.signal = signal
    this.stderr = stderr
  }
}

/** bcoin answered a JSON-RPC call with an error, or the call failed at the HTTP level. */
export class BcoinRpcError extends NodeError {
  readonly method: string
  /** bcoin's JSON-RPC error code; null when the failure was below JSON-RPC. */
  readonly rpcCode: number | null
  constructor(method: string, rpcCode: number | null, message: string, options?: { cause?: unknown }) {
    super('BCOIN_RPC', `bcoin RPC ${method} failed: ${message}`, options)
    this.name = 'BcoinRpcError'
    this.method = method
    this.rpcCode = rpcCode
  }
}

/** The chain generator was given impossible options, or failed while making a chain. */
export class ChainGenError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHAINGEN', message, options)
    this.name = 'ChainGenError'
  }
}

/** A node did not accept a generated block. */
export class ChainSubmitError extends NodeError {
  readonly height: number
  readonly hash: string
  /** What the node answered (bcoin: `rejected: <reason>`), or what was checked and found wrong. */
  readonly reason: string
  constructor(height: number, hash: string, reason: string) {
    super('CHAIN_SUBMIT', `The node did not accept block ${height} (${hash}): ${reason}.`)
    this.name = 'ChainSubmitError'
    this.height = height
    this.hash = hash
    this.reason = reason
  }
}
