/**
 * @node/runtime: the contract every @node package shares, and nothing else.
 *
 * - {@link Service}: a base class with memoized, idempotent start()/stop();
 *   stop() aborts a start in progress and is bounded.
 * - {@link startInOrder} / {@link stopInReverse}: dependency-ordered start and
 *   reverse stop with a deadline per part.
 * - {@link sleep}, {@link timeoutSignal}: abortable waits that clean up.
 * - {@link Logger}: the logger shape our packages accept (pino satisfies it);
 *   {@link silentLogger} when the host passes none.
 * - {@link NodeError}: the base of every error we throw on purpose, with a code.
 * - {@link TypedEmitter}: the one event mechanism of our packages: typed
 *   events, `on()` returns its `off`, a throwing listener never stops the others.
 *
 * @example
 * ```ts
 * import { Service, sleep, stopInReverse } from '@node/runtime'
 * class Ticker extends Service {
 *   protected async onStart(signal: AbortSignal) { void sleep(1_000, signal).catch(() => {}) }
 *   protected async onStop() {}
 * }
 * const t = new Ticker()
 * await t.start()
 * await stopInReverse([t], 1_000)
 * ```
 */
export { type EventMap, TypedEmitter } from './emitter.ts'
export { isNodeError, NodeError } from './errors.ts'
export {
  AbortError,
  type AbortOptions,
  Service,
  type Startable,
  type Status,
  sleep,
  startInOrder,
  stopInReverse,
  TimeoutError,
  timeoutSignal,
} from './lifecycle.ts'
export { type LogFn, type Logger, silentLogger } from './logger.ts'
