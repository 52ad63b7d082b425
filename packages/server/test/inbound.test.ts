/**
 * Inbound admission over real sockets from many 127.x.y.z source addresses
 * (Linux routes all of 127.0.0.0/8 to loopback): the inbound slot count,
 * Core's eviction when full, discouraged newcomers refused when full, and the
 * limit of 8 handshakes in progress per /24.
 *
 * With `localRoutable`, every source address is its own network group, so
 * "the largest group" is the address that holds the most connections.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, delay, RawPeer, startServer, until } from './helpers.ts'

afterEach(cleanup)

/** Open a peer from `localAddress` and complete the handshake. */
function open(port: number, localAddress: string): Promise<RawPeer> {
  return RawPeer.open({ port, localAddress })
}

/**
 * A newcomer the server refuses: the socket is closed without a `version`
 * answer. Returns true if refused.
 */
async function refused(port: number, localAddress: string): Promise<boolean> {
  const r = await RawPeer.connect({ port, localAddress })
  r.send(r.version())
  const closed = await r.closesWithin(2_000)
  const answered = r.received.some((m) => m.command === 'version')
  r.destroy()
  return closed && !answered
}

describe('inbound slots', () => {
  it('maxConnections 20 leaves 20 − 8 − 2 − 1 = 9 inbound slots; a 10th newcomer is refused when nobody is evictable', async () => {
    const server = await startServer({ maxConnections: 20 })
    const port = server.ports[0]!
    const peers: RawPeer[] = []
    for (let i = 1; i <= 9; i++) peers.push(await open(port, `127.0.1.${i}`))
    await until(() => server.connectionCount === 9, 5_000, '9 inbound peers')
    // With 9 inbound peers Core's protections cover everyone (4 by group, 8
    // by ping, ...), so nobody can be evicted and the newcomer is refused.
    expect(await refused(port, '127.0.1.10')).toBe(true)
    expect(peers.every((p) => !p.isClosed)).toBe(true)
    expect(server.connectionCount).toBe(9)
    // A slot that frees up is available again.
    peers[0]!.destroy()
    await until(() => server.peerInfo().length === 8, 5_000, 'the server to notice the close')
    const again = await open(port, '127.0.1.11')
    expect(again.isClosed).toBe(false)
    await until(() => server.connectionCount === 9, 5_000, '9 inbound peers again')
  })
})

describe('inbound slots without automatic outbound (Core -connect=0)', () => {
  it('keeps the outbound and feeler slots reserved: maxConnections 20 still admits only 9 inbound peers', async () => {
    const server = await startServer({ maxConnections: 20, useAddrmanOutgoing: false })
    const port = server.ports[0]!
    const peers: RawPeer[] = []
    for (let i = 1; i <= 9; i++) peers.push(await open(port, `127.0.3.${i}`))
    await until(() => server.connectionCount === 9, 5_000, '9 inbound peers')
    expect(await refused(port, '127.0.3.10')).toBe(true)
    expect(server.connectionCount).toBe(9)
  })
})

describe('inbound eviction (Core node/eviction.cpp)', () => {
  it('when full, a newcomer evicts the youngest peer of the largest network group; a discouraged newcomer is refused instead', async () => {
    // 40 inbound slots. Core protects 4 peers by group, 8 by ping, 4 by recent
    // transactions and 4 by recent blocks (the oldest ones when nobody sent
    // any), then half of the rest by uptime; what is left is a candidate.
    const server = await startServer({ maxConnections: 51 })
    const port = server.ports[0]!
    const old: RawPeer[] = []
    const big: RawPeer[] = []
    const young: RawPeer[] = []
    for (let i = 1; i <= 17; i++) old.push(await open(port, `127.0.1.${i}`))
    await delay(5)
    // 20 from one address: the largest group, younger than the first 17.
    for (let i = 0; i < 20; i++) big.push(await open(port, '127.0.0.2'))
    await delay(5)
    // The 3 youngest peers, each in a group of its own.
    for (let i = 1; i <= 3; i++) young.push(await open(port, `127.0.2.${i}`))
    await until(() => server.connectionCount === 40, 5_000, '40 inbound peers')
    const all = [...old, ...big, ...young]

    // A discouraged newcomer is refused while inbound is full, and costs nobody a slot.
    server.bans.discourage('127.0.4.1')
    expect(await refused(port, '127.0.4.1')).toBe(true)
    await delay(50)
    expect(all.filter((p) => p.isClosed)).toHaveLength(0)

    // An ordinary newcomer gets in, and exactly one peer of the big group goes.
    const newcomer = await open(port, '127.0.3.1')
    await until(() => all.some((p) => p.isClosed), 5_000, 'an eviction')
    await delay(50)
    const evicted = all.filter((p) => p.isClosed)
    expect(evicted).toHaveLength(1)
    expect(big).toContain(evicted[0])
    // The youngest peers are in groups of one: a youngest-overall rule would
    // have taken one of them (unless every one happened to be protected by
    // the random group and ping steps, which then protect big-group peers).
    expect(newcomer.isClosed).toBe(false)
    await until(() => server.connectionCount === 40, 5_000, 'the count to settle')
    expect(server.peerInfo().filter((p) => p.inbound)).toHaveLength(40)

    // The same again: the largest group is still the big one.
    const second = await open(port, '127.0.3.2')
    await until(() => all.filter((p) => p.isClosed).length === 2, 5_000, 'a second eviction')
    expect(all.filter((p) => p.isClosed).every((p) => big.includes(p))).toBe(true)
    expect(second.isClosed).toBe(false)
  }, 30_000)
})

describe('handshakes in progress per /24 (btcd internal/inbound)', () => {
  it('allows 8 pending handshakes from one /24, refuses the 9th, and frees a place when one finishes', async () => {
    const server = await startServer()
    const port = server.ports[0]!
    // Eight sockets that never send version: each holds a handshake place.
    const silent: RawPeer[] = []
    for (let i = 1; i <= 8; i++) silent.push(await RawPeer.connect({ port, localAddress: `127.0.6.${i}` }))
    await until(() => server.peerInfo().length === 8, 5_000, '8 pending handshakes')

    // The 9th from the same /24 is closed at once.
    expect(await refused(port, '127.0.6.9')).toBe(true)
    // Another /24 is not affected.
    const other = await open(port, '127.0.7.1')
    expect(other.isClosed).toBe(false)

    // One of the eight completes its handshake: its place is free again,
    // and another silent socket takes it.
    await silent[0]!.handshake()
    silent.push(await RawPeer.connect({ port, localAddress: '127.0.6.10' }))
    await until(() => server.peerInfo().length === 10, 5_000, 'the freed place to be taken')
    // The /24 is full again.
    expect(await refused(port, '127.0.6.11')).toBe(true)
    // A silent socket that goes away also gives its place back.
    silent[1]!.destroy()
    await until(() => server.peerInfo().length === 9, 5_000, 'the server to notice the close')
    const last = await open(port, '127.0.6.12')
    expect(last.isClosed).toBe(false)
    expect(silent.slice(2).every((s) => !s.isClosed)).toBe(true)
  })
})

describe('inbound slots held by unfinished handshakes', () => {
  it('sockets that never send version do not lock newcomers out: they are eviction candidates too', async () => {
    const server = await startServer({ maxConnections: 51 })
    const port = server.ports[0]!
    // 40 silent sockets, 8 from each of 5 /24s (the per-/24 handshake limit).
    const silent: RawPeer[] = []
    for (let net = 0; net < 5; net++) {
      for (let i = 1; i <= 8; i++) {
        silent.push(await RawPeer.connect({ port, localAddress: `127.0.${40 + net}.${i}` }))
      }
    }
    await until(() => server.peerInfo().length === 40, 5_000, '40 pending handshakes')
    // A real peer still gets in, and one silent socket makes room.
    const newcomer = await open(port, '127.0.50.1')
    expect(newcomer.isClosed).toBe(false)
    await until(() => silent.some((s) => s.isClosed), 5_000, 'an eviction')
    expect(silent.filter((s) => s.isClosed)).toHaveLength(1)
    await until(() => server.connectionCount === 1, 5_000, 'the newcomer to be ready')
  })
})
