/**
 * Timers and background tasks of one component, so that its stop() can
 * cancel every timer and wait (bounded) for every task it started.
 */
import { AbortError, type Logger } from '@node/runtime'

export class Tasks {
  readonly #log: Logger
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #tasks = new Set<Promise<unknown>>()

  constructor(log: Logger) {
    this.#log = log
  }

  /** Run `fn` every `ms`; an exception is logged, not thrown. */
  interval(fn: () => void, ms: number): void {
    const t = setInterval(() => {
      try {
        fn()
      } catch (err) {
        this.#log.error({ err }, 'A periodic task failed.')
      }
    }, ms)
    this.#timers.add(t)
  }

  /** Run `fn` once after `ms`, unless cleared first. */
  timeout(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t)
      fn()
    }, ms)
    this.#timers.add(t)
  }

  /** Track a background task; its failure (other than an abort) is logged. */
  run(p: Promise<unknown>): void {
    const tracked = p
      .catch((err: unknown) => {
        if (!(err instanceof AbortError)) this.#log.error({ err }, 'A background task failed.')
      })
      .finally(() => this.#tasks.delete(tracked))
    this.#tasks.add(tracked)
  }

  clearTimers(): void {
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
  }

  /** Wait for the tracked tasks, at most `ms`; leaves no timer behind. */
  async settle(ms: number): Promise<void> {
    await withDeadline(Promise.allSettled([...this.#tasks]), ms)
  }
}

/** Wait for `p`, but at most `ms`; leaves no timer behind. */
export async function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

/** `p`, or the signal's reason once it aborts; the listener is removed either way. */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}
