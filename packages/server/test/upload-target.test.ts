import { describe, expect, it } from 'vitest'
import { HISTORICAL_BLOCK_AGE_S, UploadTarget } from '../src/upload-target.ts'

const DAY = 86_400_000
const MB4 = 4_000_000

function target(bytes: number) {
  let now = 1_700_000_000_000
  let sent = 0
  const t = new UploadTarget({ now: () => now, bytesSent: () => sent }, { target: bytes })
  return {
    t,
    advance: (ms: number) => void (now += ms),
    send: (n: number) => void (sent += n),
  }
}

describe('UploadTarget (Core OutboundTargetReached)', () => {
  it('keeps a buffer of one 4 MB block per 10 minutes left in the cycle for historical blocks', () => {
    // 144 blocks of 4 MB at the start of a cycle: 576 MB.
    const { t, advance, send } = target((600 * MB4) / 4) // 600 MB
    expect(t.reached(true)).toBe(false)
    send((600 * MB4) / 4 - 144 * MB4) // exactly target − buffer
    expect(t.reached(true)).toBe(true)
    expect(t.reached(false)).toBe(false)
    advance(10 * 60_000) // one block less of buffer
    expect(t.reached(true)).toBe(false)
    expect(t.info()).toMatchObject({ serve_historical_blocks: true, time_left_in_cycle: 86_400 - 600 })
  })

  it('refuses only blocks older than a week, never to a peer with the download permission, never without a target', () => {
    const { t } = target(1000) // below the buffer: historical serving is off
    const best = 2_000_000_000
    expect(t.refuses(best - HISTORICAL_BLOCK_AGE_S - 1, best, false)).toBe(true)
    expect(t.refuses(best - HISTORICAL_BLOCK_AGE_S, best, false)).toBe(false)
    expect(t.refuses(best - HISTORICAL_BLOCK_AGE_S - 1, best, true)).toBe(false)
    expect(target(0).t.refuses(0, best, false)).toBe(false)
    expect(target(0).t.info()).toEqual({
      timeframe: 86_400,
      target: 0,
      target_reached: false,
      serve_historical_blocks: true,
      bytes_left_in_cycle: 0,
      time_left_in_cycle: 0,
    })
  })

  it('counts bytes per 24 h cycle and starts a new cycle after it ends', () => {
    const { t, advance, send } = target(1000)
    expect(t.info()).toMatchObject({ bytes_left_in_cycle: 1000, time_left_in_cycle: 86_400 })
    send(1200)
    expect(t.info()).toMatchObject({ target_reached: true, bytes_left_in_cycle: 0 })
    advance(DAY)
    expect(t.info()).toMatchObject({ target_reached: true, time_left_in_cycle: 0 })
    advance(1)
    expect(t.info()).toMatchObject({
      target_reached: false,
      bytes_left_in_cycle: 1000,
      time_left_in_cycle: 86_400,
    })
  })
})
