import { describe, expect, it } from 'vitest'
import { formatDuration, formatProgress, percentOf, RateTracker } from '../src/progress.ts'

describe('formatProgress', () => {
  it('prints height, percent, rates, time left and peers', () => {
    expect(
      formatProgress({
        height: 123_456,
        headerHeight: 850_000,
        percent: percentOf(123_456, 850_000),
        blocksPerSec: 250.34,
        bytesPerSec: 12_400_000,
        etaSeconds: 2 * 3600 + 13 * 60 + 5,
        peers: 8,
      }),
    ).toBe(
      'Synced 123,456 of 850,000 blocks (14.52%), 250.3 blocks/s, 12.4 MB/s, about 2h 13m left, 8 peers.',
    )
  })

  it('says when rates and time are unknown, and when caught up', () => {
    const base = {
      height: 10,
      headerHeight: 20,
      percent: 50,
      blocksPerSec: null,
      bytesPerSec: null,
      etaSeconds: null,
      peers: 1,
    }
    expect(formatProgress(base)).toBe(
      'Synced 10 of 20 blocks (50.00%), rate unknown, time left unknown, 1 peer.',
    )
    expect(
      formatProgress({ ...base, height: 20, percent: 100, blocksPerSec: 0, bytesPerSec: 0, etaSeconds: 0 }),
    ).toBe('Synced 20 of 20 blocks (100.00%), 0.0 blocks/s, 0.0 MB/s, caught up, 1 peer.')
  })

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0s')
    expect(formatDuration(59.6)).toBe('1m 0s')
    expect(formatDuration(125)).toBe('2m 5s')
    expect(formatDuration(3725)).toBe('1h 2m')
    expect(formatDuration(200_000)).toBe('2d 7h')
  })

  it('clamps percent', () => {
    expect(percentOf(5, 0)).toBe(100)
    expect(percentOf(30, 20)).toBe(100)
    expect(percentOf(0, 10)).toBe(0)
  })
})

describe('RateTracker', () => {
  it('computes rates and ETA from the injected clock', () => {
    let t = 0
    const r = new RateTracker({ now: () => t })
    expect(r.snapshot(1000, 0)).toMatchObject({ height: 0, blocksPerSec: null, etaSeconds: null })
    r.record(100, 1_000_000)
    t = 10_000
    r.record(300, 21_000_000)
    expect(r.snapshot(1300, 4)).toEqual({
      height: 300,
      headerHeight: 1300,
      percent: (300 / 1300) * 100,
      blocksPerSec: 20,
      bytesPerSec: 2_000_000,
      etaSeconds: 50,
      peers: 4,
    })
  })

  it('uses only the sliding window', () => {
    let t = 0
    const r = new RateTracker({ now: () => t }, { windowMs: 10_000 })
    r.record(0, 0) // slow start
    t = 100_000
    r.record(100, 0)
    t = 105_000
    r.record(200, 0)
    t = 110_000
    r.record(300, 0)
    // Window: the sample at 100 s and later: 200 blocks in 10 s.
    expect(r.snapshot(1000, 1).blocksPerSec).toBe(20)
  })

  it('keeps a bounded number of samples', () => {
    let t = 0
    const r = new RateTracker({ now: () => t }, { windowMs: 1e12, maxSamples: 3 })
    for (let i = 0; i <= 10; i++) {
      t = i * 1000
      r.record(i === 0 ? 0 : 100 + i, 0)
    }
    // Only samples 8, 9, 10 remain: 2 blocks in 2 s.
    expect(r.snapshot(1000, 1).blocksPerSec).toBe(1)
  })

  it('reports a stall as unknown time left', () => {
    let t = 0
    const r = new RateTracker({ now: () => t })
    r.record(50, 0)
    t = 5000
    r.record(50, 0)
    expect(r.snapshot(100, 2)).toMatchObject({ blocksPerSec: 0, etaSeconds: null })
    r.reset()
    expect(r.snapshot(100, 2).height).toBe(0)
  })
})
