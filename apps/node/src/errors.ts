/**
 * The daemon's errors, one class per condition. Match on `code`.
 *
 * {@link ConfigError} is what the CLI turns into a one-line message on stderr
 * and exit code 1: its message is written for an operator, not a developer.
 */
import { NodeError } from '@node/runtime'

/** A command-line option or config file entry is unknown or malformed. */
export class ConfigError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options)
    this.name = 'ConfigError'
  }
}

/** Another live process holds the data directory's lock file. */
export class DatadirLockedError extends NodeError {
  readonly path: string
  readonly pid: number | undefined
  constructor(path: string, pid: number | undefined) {
    super(
      'DATADIR_LOCKED',
      `Cannot obtain a lock on data directory ${path}. ` +
        `${pid === undefined ? 'Another btcnode' : `btcnode (pid ${pid})`} is probably already running.`,
    )
    this.name = 'DatadirLockedError'
    this.path = path
    this.pid = pid
  }
}

/** The data directory is missing or cannot be used. */
export class DatadirError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DATADIR_INVALID', message, options)
    this.name = 'DatadirError'
  }
}

/** An RPC server could not bind one of its endpoints. */
export class RpcBindError extends NodeError {
  constructor(host: string, port: number, options?: { cause?: unknown }) {
    super('RPC_BIND_FAILED', `Unable to bind the RPC server to ${host}:${port}.`, options)
    this.name = 'RpcBindError'
  }
}
