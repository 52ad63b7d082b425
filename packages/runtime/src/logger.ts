/**
 * The logger shape our packages accept. pino's `Logger` satisfies it; so does
 * {@link silentLogger}, which libraries use when the host passes none.
 * Libraries never create a global logger.
 */
export interface LogFn {
  (obj: object, msg?: string): void
  (msg: string): void
}

export interface Logger {
  trace: LogFn
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  fatal: LogFn
  child(bindings: Record<string, unknown>): Logger
  isLevelEnabled(level: string): boolean
}

const noop = (): void => {}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => silentLogger,
  isLevelEnabled: () => false,
})
