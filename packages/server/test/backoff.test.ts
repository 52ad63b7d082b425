import { describe, expect, it } from 'vitest'
import { type OutboundForCounting, RetryBackoff, retryDelay, shouldCountFailures } from '../src/backoff.ts'

function clock(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let t = start
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
  }
}

describe('retryDelay (btcd connmgr: retries × 5 s, at most 5 min)', () => {
  it.each([
    [0, 0],
    [1, 5_000],
    [2, 10_000],
    [10, 50_000],
    [59, 295_000],
    [60, 300_000],
    [61, 300_000],
    [1000, 300_000],
  ])('%s failures -> %s ms', (retries, want) => {
    expect(retryDelay(retries)).toBe(want)
  })
  it('other steps and caps', () => {
    expect(retryDelay(3, 1000, 2500)).toBe(2500)
    expect(retryDelay(2, 1000, 2500)).toBe(2000)
  })
})

describe('RetryBackoff', () => {
  it('waits longer after each failure and starts over after a success', () => {
    const c = clock()
    const b = new RetryBackoff(c)
    expect(b.canAttempt('a')).toBe(true)
    expect(b.recordFailure('a')).toBe(5_000)
    expect(b.canAttempt('a')).toBe(false)
    expect(b.delayFor('a')).toBe(5_000)
    c.advance(4_999)
    expect(b.canAttempt('a')).toBe(false)
    c.advance(1)
    expect(b.canAttempt('a')).toBe(true)
    expect(b.recordFailure('a')).toBe(10_000)
    expect(b.retries('a')).toBe(2)
    expect(b.canAttempt('b')).toBe(true)
    b.recordSuccess('a')
    expect(b.retries('a')).toBe(0)
    expect(b.canAttempt('a')).toBe(true)
  })

  it('caps at 5 minutes', () => {
    const b = new RetryBackoff(clock())
    let last = 0
    for (let i = 0; i < 100; i++) last = b.recordFailure('x')
    expect(last).toBe(300_000)
  })

  it('is bounded: the least recently failed target is forgotten', () => {
    const b = new RetryBackoff(clock(), { maxEntries: 3 })
    b.recordFailure('a')
    b.recordFailure('b')
    b.recordFailure('c')
    b.recordFailure('a') // a is now the most recent
    b.recordFailure('d') // b goes
    expect(b.size).toBe(3)
    expect(b.retries('b')).toBe(0)
    expect(b.retries('a')).toBe(2)
    b.forget('a')
    expect(b.retries('a')).toBe(0)
  })

  it('rejects bad options', () => {
    expect(() => new RetryBackoff({}, { maxEntries: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_POLICY_OPTION' }),
    )
  })
})

describe('shouldCountFailures (Core: only with peers in ≥ min(max − 1, 2) groups)', () => {
  const full = (group: string, network = 'ipv4'): OutboundForCounting => ({
    type: 'outbound-full-relay',
    network,
    group,
  })
  const table: [string, OutboundForCounting[], number, boolean][] = [
    ['no peers: offline', [], 125, false],
    ['one peer', [full('a')], 125, false],
    ['two peers in one group (e.g. all on the LAN)', [full('a'), full('a')], 125, false],
    ['two groups', [full('a'), full('b')], 125, true],
    ['one group and one onion peer', [full('a'), full('x', 'onion')], 125, true],
    ['two onion peers (each counts)', [full('x', 'onion'), full('x', 'onion')], 125, true],
    ['an I2P and a CJDNS peer', [full('x', 'i2p'), full('y', 'cjdns')], 125, true],
    [
      'block-relay-only and manual peers count',
      [
        { type: 'block-relay-only', network: 'ipv6', group: 'a' },
        { type: 'manual', network: 'ipv4', group: 'b' },
      ],
      125,
      true,
    ],
    [
      'feelers, address fetches and inbound peers do not',
      [
        full('a'),
        { type: 'feeler', network: 'ipv4', group: 'b' },
        { type: 'addr-fetch', network: 'ipv4', group: 'c' },
        { type: 'inbound', network: 'ipv4', group: 'd' },
      ],
      125,
      false,
    ],
    ['maxconnections 2: one group is enough', [full('a')], 2, true],
    ['maxconnections 1: always', [], 1, true],
  ]
  it.each(table)('%s', (_name, peers, max, want) => {
    expect(shouldCountFailures(peers, max)).toBe(want)
  })
})
