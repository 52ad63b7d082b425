import { describe, expect, it } from 'vitest'
import { HandshakeLimiter, sourcePrefix } from '../src/netgroups.ts'

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
