import { describe, expect, it } from 'vitest'
import { formatService, NetAddress, parseService, SubNet, splitHostPort } from '../src/index.ts'

describe('splitHostPort (Core SplitHostPort, netbase_tests netbase_splithost)', () => {
  // [input, host, port (-1: the default), valid]
  const cases: [string, string, number, boolean][] = [
    ['www.bitcoincore.org', 'www.bitcoincore.org', -1, true],
    ['[www.bitcoincore.org]', 'www.bitcoincore.org', -1, true],
    ['www.bitcoincore.org:80', 'www.bitcoincore.org', 80, true],
    ['[www.bitcoincore.org]:80', 'www.bitcoincore.org', 80, true],
    ['127.0.0.1', '127.0.0.1', -1, true],
    ['127.0.0.1:8333', '127.0.0.1', 8333, true],
    ['[127.0.0.1]', '127.0.0.1', -1, true],
    ['[127.0.0.1]:8333', '127.0.0.1', 8333, true],
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1', -1, true],
    ['[::ffff:127.0.0.1]:8333', '::ffff:127.0.0.1', 8333, true],
    ['[::]:8333', '::', 8333, true],
    ['::8333', '::8333', -1, true],
    [':8333', '', 8333, true],
    ['[]:8333', '', 8333, true],
    ['', '', -1, true],
    // The case: a bare IPv6 address whose last group looks like a port.
    ['2a01:4f8::1', '2a01:4f8::1', -1, true],
    ['[2a01:4f8::1]:1', '2a01:4f8::1', 1, true],
    ['1.2.3.4:0', '1.2.3.4', 0, false],
    ['1.2.3.4:65536', '1.2.3.4:65536', -1, false],
    ['1.2.3.4:x', '1.2.3.4:x', -1, false],
    ['1.2.3.4:-1', '1.2.3.4:-1', -1, false],
  ]
  it.each(cases)('%j', (input, host, port, valid) => {
    expect(splitHostPort(input, 7)).toEqual({ host, port: port === -1 ? 7 : port, valid })
  })

  it('parseService reads a bare IPv6 address without taking its last group for a port', () => {
    const s = parseService('2a01:4f8::1', 8333)
    expect(formatService(s)).toBe('[2a01:4f8::1]:8333')
    expect(s.addr.isRoutable()).toBe(true)
  })
})

describe('SubNet (Core CSubNet, LookupSubNet; netbase_tests subnet_test)', () => {
  const valid: [string, string][] = [
    ['1.2.3.4', '1.2.3.4/32'],
    ['1.2.3.4/24', '1.2.3.0/24'],
    ['1.2.3.4/23', '1.2.2.0/23'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['1.2.0.0/255.255.0.0', '1.2.0.0/16'],
    ['1.2.3.4/255.255.255.255', '1.2.3.4/32'],
    ['1.2.3.4/0.0.0.0', '0.0.0.0/0'],
    ['1.2.3.4/255.255.240.0', '1.2.0.0/20'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['2001:DB8::1/32', '2001:db8::/32'],
    ['[2001:db8::1]', '2001:db8::1/128'],
    ['2001:db8:0:0:1::1/64', '2001:db8::/64'],
    ['1:2:3:4:5:6:7:8/ffff:ffff:ffff:fffe::', '1:2:3:4::/63'],
    ['::ffff:1.2.3.4', '1.2.3.4/32'],
    ['::ffff:1.2.3.4/24', '1.2.3.0/24'],
    [
      'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
      'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
    ],
    [
      'UDHDRTRCETJM5SXZSKJYR5ZTIGFKEGSSDTY7JDRBAFKXCDKHRLXA.b32.i2p',
      'udhdrtrcetjm5sxzskjyr5ztigfkegssdty7jdrbafkxcdkhrlxa.b32.i2p',
    ],
  ]
  it.each(valid)('%s -> %s', (input, want) => {
    expect(SubNet.parse(input).toString()).toBe(want)
  })

  const invalid: string[] = [
    '',
    'example.com',
    '1.2.3',
    '1.2.3.256',
    '127.1',
    '1.2.3.4/33',
    '1.2.3.4/-1',
    '1.2.3.4/',
    '1.2.3.4/abc',
    '1.2.3.4/255.0.255.0', // 1-bits after 0-bits
    '1.2.3.4/ffff::', // a netmask of another family
    '2001:db8::1/129',
    '::ffff:1.2.3.0/120', // an IPv4 address: at most /32
    'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion/8',
    '1.2.3.4:8333',
    '1.2.3.4\0/8',
  ]
  it.each(invalid)('rejects %j', (input) => {
    expect(() => SubNet.parse(input)).toThrow(expect.objectContaining({ code: 'INVALID_ADDRESS' }))
    expect(SubNet.tryParse(input)).toBeUndefined()
  })

  it('matches as Core does: by network, masked bytes, and never an invalid address', () => {
    const m = (subnet: string, addr: string): boolean => SubNet.parse(subnet).match(NetAddress.parse(addr))
    expect(m('1.2.0.0/255.255.0.0', '1.2.200.9')).toBe(true)
    expect(m('1.2.0.0/255.255.0.0', '1.3.0.1')).toBe(false)
    expect(m('1.2.3.0/24', '::ffff:1.2.3.9')).toBe(true)
    expect(m('0.0.0.0/0', '2a01:4f8::1')).toBe(false)
    expect(m('::/0', '1.2.3.4')).toBe(false)
    expect(m('2a01:4f8::/32', '2a01:4f8:ffff::1')).toBe(true)
    expect(m('1.2.3.0/25', '1.2.3.127')).toBe(true)
    expect(m('1.2.3.0/25', '1.2.3.128')).toBe(false)
    // Core: an invalid address (0.0.0.0, documentation IPv6) matches nothing.
    expect(m('0.0.0.0/0', '0.0.0.0')).toBe(false)
    expect(m('2001:db8::/32', '2001:db8::1')).toBe(false)
    expect(SubNet.parse('1.2.3.4').isSingle()).toBe(true)
    expect(SubNet.parse('1.2.3.4/24').isSingle()).toBe(false)
  })
})
