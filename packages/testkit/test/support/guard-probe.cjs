'use strict'
// Runs in a child process: replaces the real network primitives with stubs
// that only record what reached them, installs the loopback guard on top,
// then tries a series of destinations and prints one JSON report.
// Nothing here can send a packet: the stubs sit below the guard.
const net = require('node:net')
const dgram = require('node:dgram')
const dns = require('node:dns')

const reached = []
net.Socket.prototype.connect = function stubConnect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  reached.push(`tcp ${typeof first === 'object' ? first.host : args[1]}`)
  return this
}
dgram.Socket.prototype.send = function stubSend(...args) {
  reached.push(`udp ${args.find((a, i) => i > 0 && typeof a === 'string')}`)
}
dns.lookup = function stubLookup(host, ...rest) {
  reached.push(`dns ${host}`)
  const cb = rest.find((a) => typeof a === 'function')
  if (cb) process.nextTick(cb, null, '127.0.0.1', 4)
}

const { installLoopbackGuard } = require(process.argv[2])
const bdns = {}
installLoopbackGuard(bdns)

const results = {}
async function attempt(name, fn) {
  try {
    await fn()
    results[name] = 'allowed'
  } catch (err) {
    results[name] = err.code === 'LOOPBACK_ONLY' ? 'refused' : `error ${err.message}`
  }
}

;(async () => {
  await attempt('net.connect({host:192.0.2.1})', () => net.connect({ host: '192.0.2.1', port: 9 }))
  await attempt('net.connect(port, 198.51.100.7)', () => net.connect(9, '198.51.100.7'))
  await attempt('socket.connect({host:example.com})', () =>
    new net.Socket().connect({ host: 'example.com', port: 80 }),
  )
  await attempt('net.connect({host:::ffff:10.0.0.1})', () =>
    net.connect({ host: '::ffff:10.0.0.1', port: 9 }),
  )
  await attempt('net.connect({host:2001:db8::1})', () => net.connect({ host: '2001:db8::1', port: 9 }))
  await attempt('net.connect({host:127.0.0.1})', () => net.connect({ host: '127.0.0.1', port: 9 }))
  await attempt('net.connect({host:127.8.9.10})', () => net.connect({ host: '127.8.9.10', port: 9 }))
  await attempt('net.connect({host:::1})', () => net.connect({ host: '::1', port: 9 }))
  await attempt('net.connect(port) [localhost]', () => net.connect(9))
  const udp = dgram.createSocket('udp4')
  await attempt('udp.send(8.8.8.8)', () => udp.send('x', 53, '8.8.8.8'))
  await attempt('udp.send(127.0.0.1)', () => udp.send('x', 53, '127.0.0.1'))
  udp.close()
  await attempt(
    'dns.lookup(example.com)',
    () => new Promise((res, rej) => dns.lookup('example.com', (e) => (e ? rej(e) : res()))),
  )
  await attempt(
    'dns.lookup(localhost)',
    () => new Promise((res, rej) => dns.lookup('localhost', (e) => (e ? rej(e) : res()))),
  )
  await attempt('dns.resolve4(example.com)', () => dns.resolve4('example.com', () => {}))
  await attempt('new dns.Resolver()', () => new dns.Resolver())
  await attempt('dns.promises.lookup(example.com)', () => dns.promises.lookup('example.com'))
  await attempt('bdns.getIPv4()', () => bdns.getIPv4(2000))
  await attempt('bdns.getIPv6()', () => bdns.getIPv6(2000))
  await attempt('bdns.lookup(seed.example)', () => bdns.lookup('seed.example'))
  await attempt('bdns.lookupService(127.0.0.1)', () => bdns.lookupService('127.0.0.1', 80))
  const local = await bdns.lookup('localhost')
  process.stdout.write(`${JSON.stringify({ results, reached, local })}\n`)
})()
