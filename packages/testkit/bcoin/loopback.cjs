'use strict'
/**
 * Keep a process on loopback: every outbound TCP connect, UDP send and DNS
 * query that does not stay on this machine is refused synchronously, before
 * any packet leaves.
 *
 * Written for the bcoin regtest launcher (launch.cjs), but it knows nothing
 * about bcoin except the shape of its `bdns` module, which is passed in.
 */

const net = require('node:net')
const dns = require('node:dns')
const dgram = require('node:dgram')

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms, and the name `localhost`. */
function isLoopbackHost(host) {
  if (typeof host !== 'string' || host.length === 0) return false
  let h = host.toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  if (h === 'localhost') return true
  if (h.startsWith('::ffff:')) h = h.slice('::ffff:'.length)
  if (net.isIPv4(h)) return h.split('.')[0] === '127'
  if (net.isIPv6(h)) return isIPv6Loopback(h)
  return false
}

function isIPv6Loopback(h) {
  // Expand "::" and compare with 0:0:0:0:0:0:0:1.
  const [head, tail] = h.includes('::') ? h.split('::') : [h, undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const fill = tail === undefined ? [] : new Array(8 - left.length - right.length).fill('0')
  const groups = [...left, ...fill, ...right].map((g) => Number.parseInt(g, 16))
  return groups.length === 8 && groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1
}

class LoopbackViolation extends Error {
  constructor(message) {
    super(message)
    this.name = 'LoopbackViolation'
    this.code = 'LOOPBACK_ONLY'
  }
}

/**
 * Pull the destination out of the many argument shapes `Socket#connect`
 * accepts. `net.connect()` normalises its arguments and passes them on as one
 * array, so that shape must be handled too, or the guard is bypassed.
 */
function connectTarget(args) {
  let first = args[0]
  if (Array.isArray(first)) first = first[0]
  if (first !== null && typeof first === 'object') {
    if (first.path !== undefined) return { ipc: true }
    return { ipc: false, host: first.host === undefined ? 'localhost' : String(first.host) }
  }
  // (path[, cb]) is an IPC connect when the string is not a port number.
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { ipc: true }
  const host = typeof args[1] === 'string' ? args[1] : 'localhost'
  return { ipc: false, host }
}

let installed = false

/**
 * Install the guards. `bdns` is the DNS module bcoin uses (resolved from
 * bcoin's own folder, so it is the same instance bcoin will load).
 */
function installLoopbackGuard(bdns) {
  if (installed) return
  installed = true

  // 1. TCP: every outbound connect, whoever makes it.
  const realConnect = net.Socket.prototype.connect
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const target = connectTarget(args)
    if (!target.ipc && !isLoopbackHost(target.host)) {
      throw new LoopbackViolation(
        `Refused a TCP connection to ${target.host}: this process stays on loopback.`,
      )
    }
    return realConnect.apply(this, args)
  }

  // 2. UDP: nothing but loopback (this also covers UPnP discovery).
  const realSend = dgram.Socket.prototype.send
  dgram.Socket.prototype.send = function guardedSend(...args) {
    const host = args.find((a, i) => i > 0 && typeof a === 'string')
    if (!isLoopbackHost(host ?? 'localhost')) {
      throw new LoopbackViolation(`Refused a UDP datagram to ${host}: this process stays on loopback.`)
    }
    return realSend.apply(this, args)
  }
  const realUdpConnect = dgram.Socket.prototype.connect
  dgram.Socket.prototype.connect = function guardedUdpConnect(port, address, ...rest) {
    const host = typeof address === 'string' ? address : 'localhost'
    if (!isLoopbackHost(host)) {
      throw new LoopbackViolation(`Refused a UDP association with ${host}: this process stays on loopback.`)
    }
    return realUdpConnect.call(this, port, address, ...rest)
  }

  // 3. Core DNS: the resolver functions talk to name servers, which are never loopback here.
  const realLookup = dns.lookup
  dns.lookup = function guardedLookup(host, ...rest) {
    if (!isLoopbackHost(host)) {
      const cb = rest.find((a) => typeof a === 'function')
      const err = new LoopbackViolation(`Refused a DNS lookup of ${host}: this process stays on loopback.`)
      if (cb) process.nextTick(cb, err)
      else throw err
      return undefined
    }
    return realLookup.call(this, host, ...rest)
  }
  const refuse = (what) =>
    function refused() {
      throw new LoopbackViolation(`Refused ${what}: this process stays on loopback.`)
    }
  const resolverNames = /^resolve|^reverse$|^lookupService$/
  for (const name of Object.keys(dns)) {
    if (resolverNames.test(name) && typeof dns[name] === 'function') dns[name] = refuse(`dns.${name}`)
  }
  for (const name of Object.keys(dns.promises)) {
    if (resolverNames.test(name) && typeof dns.promises[name] === 'function') {
      dns.promises[name] = refuse(`dns.promises.${name}`)
    }
  }
  const realPromiseLookup = dns.promises.lookup
  dns.promises.lookup = async function guardedPromiseLookup(host, ...rest) {
    if (!isLoopbackHost(host)) {
      throw new LoopbackViolation(`Refused a DNS lookup of ${host}: this process stays on loopback.`)
    }
    return realPromiseLookup.call(this, host, ...rest)
  }
  dns.Resolver = class RefusingResolver {
    constructor() {
      throw new LoopbackViolation('Refused to create a DNS resolver: this process stays on loopback.')
    }
  }
  dns.promises.Resolver = dns.Resolver

  // 4. bcoin's DNS module: no external-IP discovery (it asks OpenDNS for
  //    myip.opendns.com), no seeds, no reverse lookups; names resolve only if
  //    they are loopback, and then to themselves.
  if (bdns) {
    const denied = (what) => async () => {
      throw new LoopbackViolation(`bdns.${what} is disabled: this process stays on loopback.`)
    }
    bdns.getIPv4 = denied('getIPv4')
    bdns.getIPv6 = denied('getIPv6')
    bdns.reverse = denied('reverse')
    bdns.lookupService = denied('lookupService')
    bdns.lookup = async (host) => {
      if (!isLoopbackHost(host)) {
        throw new LoopbackViolation(`bdns.lookup(${host}) refused: this process stays on loopback.`)
      }
      return [host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, '')]
    }
    bdns.resolve = bdns.lookup
    bdns.Resolver = dns.Resolver
  }
}

module.exports = { installLoopbackGuard, isLoopbackHost, LoopbackViolation }
