/**
 * The node's clock, which a regression test may set (Core util/time.cpp
 * `SetMockTime`, `NodeClock::now`; rpc/node.cpp `setmocktime`). While a mock
 * time is set the clock stands still at it; `0` returns to the system clock.
 * Every component reads time through `now`, so pings, timeouts and the
 * stale-tip check follow a mocked clock.
 */
export class MockableClock {
  readonly #system: () => number
  #mockMs = 0

  /** `system`: the underlying wall clock in milliseconds (Date.now). */
  constructor(system: () => number) {
    this.#system = system
  }

  /** Milliseconds: the mock time while one is set, else the system clock. */
  readonly now = (): number => (this.#mockMs > 0 ? this.#mockMs : this.#system())

  /** The mock time in milliseconds, or 0 when the system clock is used. */
  get mockMs(): number {
    return this.#mockMs
  }

  /** Stand the clock still at `ms` (> 0), or return to the system clock (0). */
  setMock(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`mock time must be >= 0, not ${ms}`)
    this.#mockMs = ms
  }
}
