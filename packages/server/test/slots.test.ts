/** Connection slots (Core CConnman::Init), as the node sizes its outbound targets and inbound slots. */
import { describe, expect, it } from 'vitest'
import { slotLimits } from '../src/slots.ts'

describe('slotLimits (Core CConnman::Init)', () => {
  const table: [number | undefined, Record<string, number>][] = [
    [undefined, { inbound: 114, full: 8, block: 2, feeler: 1 }],
    [125, { inbound: 114, full: 8, block: 2, feeler: 1 }],
    [200, { inbound: 189, full: 8, block: 2, feeler: 1 }],
    [11, { inbound: 0, full: 8, block: 2, feeler: 1 }],
    [12, { inbound: 1, full: 8, block: 2, feeler: 1 }],
    [9, { inbound: 0, full: 8, block: 1, feeler: 1 }],
    [8, { inbound: 0, full: 8, block: 0, feeler: 1 }],
    [4, { inbound: 0, full: 4, block: 0, feeler: 1 }],
    [0, { inbound: 0, full: 0, block: 0, feeler: 1 }],
  ]
  it.each(table)('maxConnections %s', (max, want) => {
    const l = slotLimits({ maxConnections: max })
    expect({
      inbound: l.inbound,
      full: l['outbound-full-relay'],
      block: l['block-relay-only'],
      feeler: l.feeler,
    }).toEqual(want)
    expect(l.manual).toBe(8)
    expect(l['addr-fetch']).toBe(1)
  })
  it('rejects a negative maximum', () => {
    expect(() => slotLimits({ maxConnections: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_POLICY_OPTION' }),
    )
  })
})
