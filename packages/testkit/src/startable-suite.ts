/**
 * The Startable compliance suite (start/stop idempotent and bounded, no leaks): every component runs it.
 *
 * ```ts
 * startableSuite('AddrManager', {
 *   setup: async () => {
 *     const subject = new AddrManager(components, init)
 *     return { subject, events: subject.events }
 *   },
 * })
 * ```
 *
 * Each check builds a fresh subject with `setup`, and always stops it and runs
 * `teardown` afterwards, pass or fail. The checks are also exported one by one
 * as {@link startableChecks}, so a test can run a check and assert that it
 * fails for a broken component.
 */
import type { Startable } from '@node/runtime'
import { describe, it } from 'vitest'
import { LEAK_SETTLE_MS, QUIET_AFTER_STOP_MS, START_BOUND_MS, STOP_BOUND_MS } from './constants.ts'
import { ContractError } from './errors.ts'
import { expectNoLeaks, settledResources } from './resources.ts'

/** Anything with a Node-style `emit`, or a DOM-style `dispatchEvent`. */
export type EmitterLike =
  | { emit(event: string | symbol, ...args: never[]): boolean }
  | { dispatchEvent(event: Event): boolean }

export interface StartableFixture<T extends Startable = Startable> {
  subject: T
  /** If given, the suite checks that nothing is emitted once stop() has resolved. */
  events?: EmitterLike | undefined
  /**
   * Optional: make the started subject do real work (open a connection, queue
   * a request) so the stop and leak checks have something to clean up.
   */
  exercise?: (() => Promise<void>) | undefined
}

export interface StartableSuiteOptions<T extends Startable = Startable> {
  setup: () => Promise<StartableFixture<T>>
  teardown?: ((fixture: StartableFixture<T>) => Promise<void> | void) | undefined
  /** Bound on every stop() (default {@link STOP_BOUND_MS}). */
  stopBoundMs?: number | undefined
  /** Bound on every start() (default {@link START_BOUND_MS}). */
  startBoundMs?: number | undefined
  /** How long to watch for events after stop (default {@link QUIET_AFTER_STOP_MS}). */
  quietMs?: number | undefined
  /** How long handles may take to close after stop (see expectNoLeaks). */
  leakTimeoutMs?: number | undefined
  /** Resource kinds for the leak check (default: LEAK_KINDS). */
  leakKinds?: readonly string[] | undefined
}

type Check = <T extends Startable>(options: StartableSuiteOptions<T>) => Promise<void>

/** Race `promise` against a deadline; the timer is always cleared. */
async function within<T>(promise: Promise<T>, ms: number, check: string, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ContractError(check, `${what} did not settle within ${ms} ms.`)), ms)
  })
  try {
    return await Promise.race([promise, deadline])
  } catch (err) {
    if (err instanceof ContractError) throw err
    const detail = err instanceof Error ? err.message : String(err)
    throw new ContractError(check, `${what} rejected: ${detail}`, { cause: err })
  } finally {
    clearTimeout(timer)
  }
}

function expectStatus(check: string, subject: Startable, want: Startable['status'], when: string): void {
  if (subject.status !== want) {
    throw new ContractError(check, `status is '${subject.status}' ${when}; expected '${want}'.`)
  }
}

/** Build a fixture, run `body`, then always stop and tear down. */
async function withFixture<T extends Startable>(
  options: StartableSuiteOptions<T>,
  body: (fixture: StartableFixture<T>) => Promise<void>,
): Promise<void> {
  const fixture = await options.setup()
  try {
    await body(fixture)
  } finally {
    try {
      await within(fixture.subject.stop(), options.stopBoundMs ?? STOP_BOUND_MS, 'cleanup', 'stop()')
    } catch {
      // The check's own failure is the one to report.
    }
    await options.teardown?.(fixture)
  }
}

/** Record every event emitted through `emitter` until `restore()` is called. */
function recordEvents(emitter: EmitterLike): {
  events: Array<{ at: number; name: string }>
  restore(): void
} {
  const events: Array<{ at: number; name: string }> = []
  const key = 'emit' in emitter ? 'emit' : 'dispatchEvent'
  const target = emitter as unknown as Record<string, (...args: unknown[]) => boolean>
  const own = Object.hasOwn(target, key)
  const original = target[key] as (...args: unknown[]) => boolean
  target[key] = function recorded(this: unknown, ...args: unknown[]): boolean {
    const first = args[0]
    const name =
      key === 'emit' ? String(first) : String((first as { type?: unknown } | undefined)?.type ?? 'event')
    events.push({ at: performance.now(), name })
    return original.apply(this, args)
  }
  return {
    events,
    restore() {
      if (own) target[key] = original
      else delete target[key]
    },
  }
}

const stopBeforeStart: Check = async (options) => {
  const check = 'stop before start'
  const bound = options.stopBoundMs ?? STOP_BOUND_MS
  await withFixture(options, async ({ subject }) => {
    expectStatus(check, subject, 'stopped', 'after construction')
    await within(subject.stop(), bound, check, 'stop() before start()')
    expectStatus(check, subject, 'stopped', 'after stop() before start()')
    // The early stop must not poison a later start.
    await within(subject.start(), options.startBoundMs ?? START_BOUND_MS, check, 'start() after stop()')
    expectStatus(check, subject, 'started', 'after start()')
    await within(subject.stop(), bound, check, 'stop()')
    expectStatus(check, subject, 'stopped', 'after stop()')
  })
}

const doubleStart: Check = async (options) => {
  const check = 'double start'
  const bound = options.startBoundMs ?? START_BOUND_MS
  await withFixture(options, async ({ subject }) => {
    const first = subject.start()
    const second = subject.start()
    const [a, b] = await within(
      Promise.allSettled([first, second]),
      bound,
      check,
      'two concurrent start() calls',
    )
    if (a.status !== b.status) {
      throw new ContractError(check, `the two start() calls settled differently (${a.status} / ${b.status}).`)
    }
    if (a.status === 'rejected') {
      throw new ContractError(check, 'start() failed.', { cause: a.reason })
    }
    expectStatus(check, subject, 'started', 'after two start() calls')
    await within(subject.start(), bound, check, 'start() when already started')
    expectStatus(check, subject, 'started', 'after a third start()')
  })
}

const doubleStop: Check = async (options) => {
  const check = 'double stop'
  const bound = options.stopBoundMs ?? STOP_BOUND_MS
  await withFixture(options, async ({ subject, exercise }) => {
    await within(subject.start(), options.startBoundMs ?? START_BOUND_MS, check, 'start()')
    await exercise?.()
    const [a, b] = await within(
      Promise.allSettled([subject.stop(), subject.stop()]),
      bound,
      check,
      'two stop() calls',
    )
    for (const r of [a, b]) {
      if (r.status === 'rejected') throw new ContractError(check, 'stop() rejected.', { cause: r.reason })
    }
    expectStatus(check, subject, 'stopped', 'after two stop() calls')
    await within(subject.stop(), bound, check, 'stop() when already stopped')
    expectStatus(check, subject, 'stopped', 'after a third stop()')
  })
}

/** Points during start() at which stop() is called. */
const STOP_POINTS = ['synchronously', 'after a microtask', 'after a macrotask'] as const

const stopDuringStart: Check = async (options) => {
  const check = 'stop during start'
  const bound = options.stopBoundMs ?? STOP_BOUND_MS
  for (const point of STOP_POINTS) {
    const baseline = await settledResources({ kinds: options.leakKinds })
    await withFixture(options, async ({ subject }) => {
      const starting = subject.start()
      // start() may reject because it was stopped: that is allowed, not unhandled.
      const settled = starting.then(
        () => 'resolved',
        () => 'rejected',
      )
      if (point === 'after a microtask') await Promise.resolve()
      if (point === 'after a macrotask') await new Promise<void>((resolve) => setImmediate(resolve))
      await within(subject.stop(), bound, check, `stop() called ${point} after start()`)
      await within(settled, bound, check, `start() interrupted ${point} by stop()`)
      expectStatus(check, subject, 'stopped', `after stop() ${point} into start()`)
    })
    try {
      await expectNoLeaks(baseline, { timeoutMs: options.leakTimeoutMs, kinds: options.leakKinds })
    } catch (err) {
      throw new ContractError(check, `stop() ${point} into start() left resources behind.`, { cause: err })
    }
  }
}

const noLeaksAfterStop: Check = async (options) => {
  const check = 'no leaks after stop'
  const baseline = await settledResources({ kinds: options.leakKinds })
  await withFixture(options, async ({ subject, exercise }) => {
    await within(subject.start(), options.startBoundMs ?? START_BOUND_MS, check, 'start()')
    await exercise?.()
    await within(subject.stop(), options.stopBoundMs ?? STOP_BOUND_MS, check, 'stop()')
  })
  try {
    await expectNoLeaks(baseline, { timeoutMs: options.leakTimeoutMs, kinds: options.leakKinds })
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err)
    throw new ContractError(check, detail, { cause: err })
  }
}

/** Resolves true when the check ran, false when the fixture has no emitter to watch. */
const noEventsAfterStop = async <T extends Startable>(
  options: StartableSuiteOptions<T>,
): Promise<boolean> => {
  const check = 'no events after stop'
  let ran = false
  await withFixture(options, async ({ subject, events, exercise }) => {
    if (!events) return
    ran = true
    const recorder = recordEvents(events)
    try {
      await within(subject.start(), options.startBoundMs ?? START_BOUND_MS, check, 'start()')
      await exercise?.()
      await within(subject.stop(), options.stopBoundMs ?? STOP_BOUND_MS, check, 'stop()')
      const stoppedAt = performance.now()
      await new Promise<void>((resolve) => setTimeout(resolve, options.quietMs ?? QUIET_AFTER_STOP_MS))
      const late = recorder.events.filter((e) => e.at > stoppedAt)
      if (late.length > 0) {
        const names = [...new Set(late.map((e) => e.name))].join(', ')
        throw new ContractError(check, `${late.length} event(s) emitted after stop() resolved: ${names}.`)
      }
    } finally {
      recorder.restore()
    }
  })
  return ran
}

/** The individual checks of {@link startableSuite}; each rejects with a ContractError on failure. */
export const startableChecks = {
  stopBeforeStart,
  doubleStart,
  doubleStop,
  stopDuringStart,
  noLeaksAfterStop,
  noEventsAfterStop,
} as const

/**
 * Register a vitest `describe` block that checks `setup()`'s subject keeps
 * the Startable contract. Tests inside run one after another (the leak check
 * is process-wide).
 */
export function startableSuite<T extends Startable>(name: string, options: StartableSuiteOptions<T>): void {
  const stop = options.stopBoundMs ?? STOP_BOUND_MS
  const start = options.startBoundMs ?? START_BOUND_MS
  const leak = options.leakTimeoutMs ?? LEAK_SETTLE_MS
  // Each test's own bound: its starts, stops and leak waits, plus slack for setup/teardown.
  const one = start + 2 * stop + leak + 5_000
  describe(`${name} (Startable contract)`, () => {
    it('stop() before start() resolves and leaves it startable', () => stopBeforeStart(options), one)
    it('start() twice settles the same way', () => doubleStart(options), one)
    it('stop() twice is fine', () => doubleStop(options), one)
    it(
      'stop() during start() is fine, bounded and leak-free',
      () => stopDuringStart(options),
      STOP_POINTS.length * one,
    )
    it('after stop() active resources are back to the baseline', () => noLeaksAfterStop(options), one)
    it(
      'nothing is emitted after stop()',
      async (ctx) => {
        if (!(await noEventsAfterStop(options))) ctx.skip('setup() returned no emitter to watch')
      },
      one,
    )
  })
}
