import { describe, expect, it } from 'vitest'
import { ConnectionSlots, HandshakeLimiter, SLOT_TYPES, slotLimits, sourcePrefix } from '../src/netgroups.ts'

describe('sourcePrefix (IPv4 /24, IPv6 /64)', () => {
  const same: [string, string][] = [
    ['1.2.3.4', '1.2.3.200'],
    ['1.2.3.4', '::ffff:1.2.3.9'],
    ['1.2.3.4', '[::ffff:1.2.3.9]'],
    ['2001:db8:1:2::1', '2001:db8:1:2:ffff::9'],
    ['2001:db8:1:2::1', '[2001:db8:1:2::5]'],
  ]
  it.each(same)('%s and %s share a prefix', (a, b) => {
    expect(sourcePrefix(a)).toBe(sourcePrefix(b))
  })
  const different: [string, string][] = [
    ['1.2.3.4', '1.2.4.4'],
    ['2001:db8:1:2::1', '2001:db8:1:3::1'],
    ['1.2.3.4', '102:304::'],
    ['garbage-a', 'garbage-b'],
  ]
  it.each(different)('%s and %s do not', (a, b) => {
    expect(sourcePrefix(a)).not.toBe(sourcePrefix(b))
  })
  it('other prefix lengths', () => {
    expect(sourcePrefix('1.2.3.4', 16)).toBe(sourcePrefix('1.2.200.4', 16))
    expect(sourcePrefix('1.2.3.4', 20)).toBe(sourcePrefix('1.2.15.4', 20))
    expect(sourcePrefix('1.2.3.4', 20)).not.toBe(sourcePrefix('1.2.16.4', 20))
  })
})

describe('HandshakeLimiter (btcd: 8 per /24 or /64)', () => {
  it('allows 8 from one /24, then refuses; other prefixes are unaffected', () => {
    const l = new HandshakeLimiter()
    for (let i = 0; i < 8; i++) expect(l.tryAcquire(`9.9.9.${i}`)).toBe(true)
    expect(l.tryAcquire('9.9.9.100')).toBe(false)
    expect(l.tryAcquire('::ffff:9.9.9.100')).toBe(false)
    expect(l.tryAcquire('9.9.10.1')).toBe(true)
    expect(l.inProgress('9.9.9.1')).toBe(8)
    l.release('9.9.9.3')
    expect(l.tryAcquire('9.9.9.100')).toBe(true)
  })

  it('allows 8 from one /64', () => {
    const l = new HandshakeLimiter()
    for (let i = 1; i <= 8; i++) expect(l.acquire(`2001:db8::${i}`)).toBeDefined()
    expect(l.acquire('2001:db8::ff:1')).toBeUndefined()
    expect(l.acquire('2001:db8:0:1::1')).toBeDefined()
  })

  it('a lease releases once, however often it is called', () => {
    const l = new HandshakeLimiter({ maxPerPrefix: 2 })
    const a = l.acquire('1.1.1.1')!
    const b = l.acquire('1.1.1.2')!
    expect(l.acquire('1.1.1.3')).toBeUndefined()
    a.release()
    a.release()
    a.release()
    expect(l.inProgress('1.1.1.1')).toBe(1)
    expect(l.acquire('1.1.1.3')).toBeDefined()
    expect(l.acquire('1.1.1.4')).toBeUndefined()
    b.release()
    expect(l.total).toBe(1)
  })

  it('extra count-based releases never go below zero or free another prefix', () => {
    const l = new HandshakeLimiter({ maxPerPrefix: 1 })
    expect(l.tryAcquire('1.1.1.1')).toBe(true)
    l.release('2.2.2.2')
    expect(l.tryAcquire('1.1.1.9')).toBe(false)
    l.release('1.1.1.1')
    l.release('1.1.1.1')
    expect(l.total).toBe(0)
    expect(l.tryAcquire('1.1.1.1')).toBe(true)
    expect(l.tryAcquire('1.1.1.2')).toBe(false)
  })

  it('bounds the total', () => {
    const l = new HandshakeLimiter({ maxTotal: 3 })
    expect(l.tryAcquire('1.0.0.1')).toBe(true)
    expect(l.tryAcquire('2.0.0.1')).toBe(true)
    expect(l.tryAcquire('3.0.0.1')).toBe(true)
    expect(l.tryAcquire('4.0.0.1')).toBe(false)
    expect(l.total).toBe(3)
  })

  it('rejects bad options', () => {
    expect(() => new HandshakeLimiter({ maxPerPrefix: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_POLICY_OPTION' }),
    )
    expect(() => new HandshakeLimiter({ v4Prefix: 33 })).toThrow(
      expect.objectContaining({ code: 'INVALID_POLICY_OPTION' }),
    )
  })
})

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

describe('ConnectionSlots', () => {
  it('fills each type to its limit, independently', () => {
    const s = new ConnectionSlots()
    const want: Record<string, number> = {
      inbound: 114,
      'outbound-full-relay': 8,
      'block-relay-only': 2,
      feeler: 1,
      manual: 8,
      'addr-fetch': 1,
    }
    for (const type of SLOT_TYPES) {
      let n = 0
      while (s.tryReserve(type)) n++
      expect(n, type).toBe(want[type])
      expect(s.count(type)).toBe(want[type])
    }
    expect(s.inboundFull).toBe(true)
  })

  it('asks for full-relay peers first, then block-relay-only, then nothing', () => {
    const s = new ConnectionSlots()
    const order: string[] = []
    for (let i = 0; i < 12; i++) {
      const next = s.nextOutbound()
      order.push(next ?? 'none')
      if (next) s.tryReserve(next)
    }
    expect(order).toEqual([
      ...Array(8).fill('outbound-full-relay'),
      'block-relay-only',
      'block-relay-only',
      'none',
      'none',
    ])
  })

  it('one extra full-relay or block-relay-only peer when asked, not more, and not for other types', () => {
    const s = new ConnectionSlots()
    for (let i = 0; i < 8; i++) s.tryReserve('outbound-full-relay')
    expect(s.tryReserve('outbound-full-relay')).toBeUndefined()
    expect(s.tryReserve('outbound-full-relay', { extra: true })).toBeDefined()
    expect(s.tryReserve('outbound-full-relay', { extra: true })).toBeUndefined()
    s.tryReserve('feeler')
    expect(s.tryReserve('feeler', { extra: true })).toBeUndefined()
  })

  it('a lease gives its slot back once', () => {
    const s = new ConnectionSlots({ maxConnections: 12 })
    const lease = s.tryReserve('inbound')!
    expect(s.inboundFull).toBe(true)
    lease.release()
    lease.release()
    expect(s.count('inbound')).toBe(0)
    expect(s.inboundFull).toBe(false)
  })

  it('track and untrack; untracking too often is a typed error', () => {
    const s = new ConnectionSlots()
    s.track('manual')
    expect(s.counts().manual).toBe(1)
    s.untrack('manual')
    expect(() => s.untrack('manual')).toThrow(expect.objectContaining({ code: 'SLOT_ACCOUNTING' }))
  })

  it('with no inbound slots, inbound is always full', () => {
    const s = new ConnectionSlots({ maxConnections: 11 })
    expect(s.inboundFull).toBe(true)
    expect(s.tryReserve('inbound')).toBeUndefined()
  })
})
