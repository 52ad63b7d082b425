/**
 * The lifecycle contract every component implements (start/stop idempotent and bounded), and small
 * helpers to keep it: ordered start and reverse stop with deadlines, a
 * memoizing base class, and per-operation abort signals that clean up.
 */
import { NodeError } from './errors.ts'
import type { Logger } from './logger.ts'

export interface AbortOptions {
  signal?: AbortSignal | undefined
}

export type Status = 'stopped' | 'starting' | 'started' | 'stopping'

export interface Startable {
  readonly status: Status
  /** Idempotent: a second call returns the same promise. */
  start(options?: AbortOptions): Promise<void>
  /** Idempotent, safe in every state, bounded in time. */
  stop(): Promise<void>
}

/** The operation was aborted (by a caller's signal or by stop()). */
export class AbortError extends NodeError {
  constructor(message = 'The operation was aborted.', options?: { cause?: unknown }) {
    super('ABORTED', message, options)
    this.name = 'AbortError'
  }
}

/** An operation did not finish within its time bound. */
export class TimeoutError extends NodeError {
  constructor(message: string) {
    super('TIMEOUT', message)
    this.name = 'TimeoutError'
  }
}

/**
 * Base class with memoized, idempotent start/stop. Subclasses implement
 * `onStart(signal)` and `onStop()`. `signal` is aborted as soon as stop() is
 * called, so a slow start is cut short; onStop() always runs after a start was
 * attempted, even a failed one, so partial work is undone.
 */
export abstract class Service implements Startable {
  #status: Status = 'stopped'
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #shutdown: AbortController | undefined

  get status(): Status {
    return this.#status
  }

  /** Aborted when stop() begins; undefined before the first start(). */
  protected get shutdownSignal(): AbortSignal | undefined {
    return this.#shutdown?.signal
  }

  protected abstract onStart(signal: AbortSignal): Promise<void>
  protected abstract onStop(): Promise<void>

  start(options?: AbortOptions): Promise<void> {
    if (this.#status === 'started') return Promise.resolve()
    if (this.#status === 'starting' && this.#starting) return this.#starting
    if (this.#status === 'stopping') {
      return Promise.reject(new NodeError('STOPPING', 'Cannot start while stopping.'))
    }
    const shutdown = new AbortController()
    this.#shutdown = shutdown
    this.#status = 'starting'
    const onAbort = (): void => shutdown.abort(options?.signal?.reason)
    options?.signal?.addEventListener('abort', onAbort, { once: true })
    if (options?.signal?.aborted) shutdown.abort(options.signal.reason)
    const run = async (): Promise<void> => {
      try {
        if (shutdown.signal.aborted) throw new AbortError('Start was aborted.')
        await this.onStart(shutdown.signal)
        if (shutdown.signal.aborted) throw new AbortError('Start was aborted.')
        if (this.#status === 'starting') this.#status = 'started'
      } catch (err) {
        // Undo whatever part of the start succeeded.
        if (this.#status === 'starting') {
          this.#status = 'stopping'
          try {
            await this.onStop()
          } finally {
            this.#status = 'stopped'
            this.#starting = undefined
          }
        }
        throw err
      } finally {
        options?.signal?.removeEventListener('abort', onAbort)
      }
    }
    this.#starting = run()
    return this.#starting
  }

  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping
    if (this.#status === 'stopped') return Promise.resolve()
    const run = async (): Promise<void> => {
      const starting = this.#starting
      this.#shutdown?.abort(new AbortError('Stopping.'))
      if (this.#status === 'starting' && starting) {
        // The start sees the aborted signal and undoes itself.
        await starting.catch(() => {})
        if ((this.#status as Status) === 'stopped') return
      }
      this.#status = 'stopping'
      try {
        await this.onStop()
      } finally {
        this.#status = 'stopped'
        this.#starting = undefined
      }
    }
    this.#stopping = run().finally(() => {
      this.#stopping = undefined
    })
    return this.#stopping
  }
}

/** Start parts in order; if one fails, stop the started ones in reverse and rethrow. */
export async function startInOrder(parts: readonly Startable[], options?: AbortOptions): Promise<void> {
  const started: Startable[] = []
  try {
    for (const part of parts) {
      if (options?.signal?.aborted) throw new AbortError('Start was aborted.')
      await part.start(options)
      started.push(part)
    }
  } catch (err) {
    for (const part of started.reverse()) {
      await part.stop().catch(() => {})
    }
    throw err
  }
}

/**
 * Stop parts in reverse order. Each part gets `deadlineMs`; an overrun is
 * logged and the next part is stopped anyway, so the whole call is bounded by
 * `parts.length × deadlineMs`. Returns the parts that overran or failed.
 */
export async function stopInReverse(
  parts: readonly Startable[],
  deadlineMs: number,
  logger?: Logger,
): Promise<Startable[]> {
  const late: Startable[] = []
  for (const part of [...parts].reverse()) {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadlineMs)
    })
    try {
      const r = await Promise.race([part.stop().then(() => 'ok' as const), deadline])
      if (r === 'late') {
        late.push(part)
        logger?.warn(
          { deadlineMs, part: part.constructor.name },
          'A component did not stop within its deadline.',
        )
      }
    } catch (err) {
      late.push(part)
      logger?.error({ err, part: part.constructor.name }, 'A component failed to stop.')
    } finally {
      clearTimeout(timer)
    }
  }
  return late
}

/**
 * A signal that aborts after `ms` or when `parent` aborts, whichever is first.
 * Always call `clear()` (in `finally`) so no timer or listener is left behind.
 */
export function timeoutSignal(ms: number, parent?: AbortSignal): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new TimeoutError(`Timed out after ${ms} ms.`)), ms)
  const onParent = (): void => controller.abort(parent?.reason)
  if (parent) {
    if (parent.aborted) controller.abort(parent.reason)
    else parent.addEventListener('abort', onParent, { once: true })
  }
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer)
      parent?.removeEventListener('abort', onParent)
    },
  }
}

/** Resolve after `ms`, or reject with AbortError when `signal` aborts; leaves nothing behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError())
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new AbortError())
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
