import type { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  activeResources,
  type ContractError,
  expectNoLeaks,
  type LeakError,
  leakDiff,
  settledResources,
  startableChecks,
  startableSuite,
} from '../src/index.ts'
import {
  LateEmitterService,
  LeakyService,
  SecondStartRejects,
  StopBeforeStartThrows,
  StopWaitsForSlowStart,
  TickService,
} from './support/services.ts'

// The suite on a component that keeps the contract: it listens, ticks, and
// has a live client connection when it is stopped.
const clients = new Set<Socket>()
startableSuite('TickService', {
  setup: async () => {
    const subject = new TickService()
    return {
      subject,
      events: subject.events,
      exercise: async () => {
        clients.add(await subject.connectClient())
      },
    }
  },
  teardown: () => {
    for (const c of clients) c.destroy()
    clients.clear()
  },
})

async function contractFailure(run: Promise<unknown>): Promise<ContractError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, 'the check should have failed').toBeInstanceOf(Error)
  expect((err as ContractError).code).toBe('STARTABLE_CONTRACT')
  return err as ContractError
}

describe('startableChecks fail on broken components', () => {
  it('noLeaksAfterStop names the leaked kinds', { timeout: 5_000 }, async () => {
    const made: LeakyService[] = []
    try {
      const err = await contractFailure(
        startableChecks.noLeaksAfterStop({
          setup: async () => {
            const subject = new LeakyService()
            made.push(subject)
            return { subject }
          },
          leakTimeoutMs: 200,
        }),
      )
      expect(err.message).toMatch(/Timeout \d+ -> \d+/)
      expect(err.message).toMatch(/TCPServerWrap \d+ -> \d+/)
    } finally {
      for (const s of made) await s.reallyCleanUp()
    }
  })

  it('noEventsAfterStop reports an event emitted after stop()', { timeout: 5_000 }, async () => {
    const err = await contractFailure(
      startableChecks.noEventsAfterStop({
        setup: async () => {
          const subject = new LateEmitterService()
          return { subject, events: subject.events }
        },
      }),
    )
    expect(err.message).toContain('stopped-late')
  })

  it('noEventsAfterStop reports that it did not run without an emitter', { timeout: 5_000 }, async () => {
    await expect(
      startableChecks.noEventsAfterStop({ setup: async () => ({ subject: new TickService() }) }),
    ).resolves.toBe(false)
  })

  it('stopBeforeStart fails when stop() throws before start()', { timeout: 5_000 }, async () => {
    const err = await contractFailure(
      startableChecks.stopBeforeStart({ setup: async () => ({ subject: new StopBeforeStartThrows() }) }),
    )
    expect(err.message).toBe('stop before start: stop() before start() rejected: not started')
  })

  it('doubleStart fails when the second start() rejects', { timeout: 5_000 }, async () => {
    const err = await contractFailure(
      startableChecks.doubleStart({ setup: async () => ({ subject: new SecondStartRejects() }) }),
    )
    expect(err.message).toMatch(/settled differently/)
  })

  it('stopDuringStart fails when stop() waits longer than its bound', { timeout: 5_000 }, async () => {
    const err = await contractFailure(
      startableChecks.stopDuringStart({
        setup: async () => ({ subject: new StopWaitsForSlowStart() }),
        stopBoundMs: 50,
      }),
    )
    expect(err.message).toMatch(/did not settle within 50 ms/)
  })
})

describe('leak helpers used directly', () => {
  it('expectNoLeaks rejects while a service leaks, and resolves once it is cleaned up', {
    timeout: 5_000,
  }, async () => {
    const baseline = await settledResources()
    const leaky = new LeakyService()
    await leaky.start()
    await leaky.stop()
    expect(leaky.status).toBe('stopped')
    const err = (await expectNoLeaks(baseline, { timeoutMs: 100 }).catch((e: unknown) => e)) as LeakError
    expect(err.code).toBe('RESOURCE_LEAK')
    expect(err.leaks.map((l) => l.kind)).toEqual(expect.arrayContaining(['TCPServerWrap', 'Timeout']))
    await leaky.reallyCleanUp()
    await expectNoLeaks(baseline, { timeoutMs: 1_000 })
  })

  it('activeResources counts a timer while it is pending', { timeout: 5_000 }, () => {
    const kind = 'Timeout'
    const baseline = activeResources()
    const before = baseline[kind] ?? 0
    const timer = setTimeout(() => {}, 10_000)
    const during = activeResources()
    clearTimeout(timer)
    expect(during[kind]).toBe(before + 1)
    expect(leakDiff(baseline, during)).toEqual([{ kind, before, after: before + 1 }])
  })

  it('leakDiff ignores kinds that went down and lists increases sorted by kind', () => {
    expect(
      leakDiff({ Timeout: 3, TCPSocketWrap: 1 }, { Timeout: 1, TCPSocketWrap: 2, TCPServerWrap: 1 }),
    ).toEqual([
      { kind: 'TCPServerWrap', before: 0, after: 1 },
      { kind: 'TCPSocketWrap', before: 1, after: 2 },
    ])
  })
})
