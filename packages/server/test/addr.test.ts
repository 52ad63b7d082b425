/**
 * Address relay over real sockets (Core net_processing.cpp): the per-peer token bucket
 * bounds what a flood of `addr` can store, relayed addresses never go back to
 * their source, `getaddr` is answered once per inbound connection, and
 * block-relay-only links carry no address traffic at all.
 *
 * The server's clock is a ManualClock, so token refills are exact. Every
 * address is in 127.0.0.0/8 (routable under `localRoutable`); outbound
 * dialing is off unless a test needs it, so nothing is ever dialled.
 */
import net from 'node:net'
import { NetAddress } from '@node/addrmgr'
import type { AddrEntry, Message } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, delay, ManualClock, mine, RawPeer, startServer, until } from './helpers.ts'

afterEach(cleanup)

const NODE_NETWORK = 1n

/** A v1 address entry for 127.a.b.c:port. */
function entry(ip: string, port: number, time: number): AddrEntry {
  const v4 = ip.split('.').map(Number)
  const bytes = new Uint8Array(16)
  bytes[10] = 0xff
  bytes[11] = 0xff
  bytes.set(v4, 12)
  return { time, services: NODE_NETWORK, ip: bytes, port }
}

function ipOf(e: AddrEntry): string {
  return `${e.ip[12]}.${e.ip[13]}.${e.ip[14]}.${e.ip[15]}`
}

/** Every address:port a raw peer has received in addr messages. */
function addressesSeen(p: RawPeer): string[] {
  const out: string[] = []
  for (const m of p.received) {
    if (m.command === 'addr') for (const a of m.addresses) out.push(`${ipOf(a)}:${a.port}`)
    if (m.command === 'addrv2') out.push(`v2:${m.addresses.length}`)
  }
  return out
}

/** Everything the server had to say to `p` so far has been processed: a ping round trip. */
async function sync(p: RawPeer, nonce: bigint): Promise<void> {
  p.send({ command: 'ping', nonce })
  await p.waitFor('pong', 5_000, (m) => m.command === 'pong' && m.nonce === nonce)
}

const noDialing = { maxOutbound: 0, maxBlockRelayOnly: 0, addrTrickleIntervalMs: 20 }

describe('address relay', () => {
  it('the token bucket (0.1/s, starting at 1) bounds what a flood of addr messages stores', async () => {
    const clock = new ManualClock()
    const server = await startServer(noDialing, { now: clock.now })
    const flooder = await RawPeer.open({ port: server.ports[0]!, localAddress: '127.0.13.1' })
    const nowSec = () => Math.floor(clock.now() / 1000)
    let n = 0
    const burst = (): Message => ({
      command: 'addr',
      addresses: Array.from({ length: 1000 }, () => {
        n++
        return entry(`127.${60 + (n >> 16)}.${(n >> 8) & 0xff}.${n & 0xff}`, 18444, nowSec() - 60)
      }),
    })
    // 5,000 addresses at once: one token, so at most one is stored.
    for (let i = 0; i < 5; i++) flooder.send(burst())
    await sync(flooder, 1n)
    const first = server.addrManager.addrman.size()
    expect(first).toBe(1)
    // 100 s later the bucket holds 10 more tokens: at most 10 more addresses.
    clock.advance(100_000)
    for (let i = 0; i < 5; i++) flooder.send(burst())
    await sync(flooder, 2n)
    const second = server.addrManager.addrman.size()
    expect(second).toBeGreaterThan(first)
    expect(second).toBeLessThanOrEqual(first + 10)
    // The flooder is rate limited, not punished.
    expect(flooder.isClosed).toBe(false)
  })

  it('relays a fresh address to two other peers and never back to the peer it came from', async () => {
    const clock = new ManualClock()
    const server = await startServer(noDialing, { now: clock.now })
    const port = server.ports[0]!
    const source = await RawPeer.open({ port, localAddress: '127.0.14.1' })
    const b = await RawPeer.open({ port, localAddress: '127.0.14.2' })
    const c = await RawPeer.open({ port, localAddress: '127.0.14.3' })
    await until(() => server.connectionCount === 3, 5_000, '3 peers')
    const sent: string[] = []
    for (let i = 1; i <= 10; i++) {
      // 10 s earn the one token this address needs.
      clock.advance(10_000)
      const e = entry(`127.70.0.${i}`, 18444, Math.floor(clock.now() / 1000) - 30)
      sent.push(`127.70.0.${i}:18444`)
      source.send({ command: 'addr', addresses: [e] })
      await sync(source, BigInt(i))
    }
    // With three peers, the two targets of each address are the two that did not send it.
    await until(
      () => sent.every((a) => addressesSeen(b).includes(a) && addressesSeen(c).includes(a)),
      5_000,
      'both other peers to receive every address',
    )
    await delay(200) // many trickle intervals (20 ms mean)
    expect(addressesSeen(source).filter((a) => sent.includes(a))).toEqual([])
    expect(server.addrManager.addrman.size()).toBe(10)
  })

  it('answers getaddr once per inbound connection', async () => {
    const server = await startServer(noDialing)
    const now = Math.floor(Date.now() / 1000)
    const addrs = Array.from({ length: 100 }, (_, i) => ({
      addr: NetAddress.parse(`127.80.${i >> 8}.${(i & 0xff) + 1}`),
      port: 18444,
      time: now - 3600,
      services: NODE_NETWORK,
    }))
    expect(server.addrManager.addrman.add(addrs, NetAddress.parse('127.0.0.9'))).toBeGreaterThan(50)
    const port = server.ports[0]!
    const p = await RawPeer.open({ port, localAddress: '127.0.15.1' })
    p.send({ command: 'getaddr' })
    const reply = await p.waitFor('addr')
    // Core: at most 23 % of the table per answer.
    const count = reply.command === 'addr' ? reply.addresses.length : 0
    expect(count).toBeGreaterThan(0)
    expect(count).toBeLessThanOrEqual(Math.ceil(server.addrManager.addrman.size() * 0.23))
    // Asking again on the same connection gets nothing more.
    p.send({ command: 'getaddr' })
    await sync(p, 1n)
    await delay(200)
    expect(p.count('addr')).toBe(1)
    // A new connection is answered again.
    const q = await RawPeer.open({ port, localAddress: '127.0.15.2' })
    q.send({ command: 'getaddr' })
    await q.waitFor('addr')
  })

  it('a block-relay-only link gets no getaddr, no relayed addresses, and its addr messages are ignored', async () => {
    const clock = new ManualClock()
    // Our listener: the server dials it as its only (block-relay-only) outbound peer.
    let link: RawPeer | undefined
    let version: Message | undefined
    const listener = net.createServer((s) => {
      const r = RawPeer.wrap(s)
      link = r
      r.answerHandshake().then(
        (v) => {
          version = v
        },
        () => {},
      )
    })
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    try {
      const lport = (listener.address() as net.AddressInfo).port
      const server = await startServer(
        { maxOutbound: 0, maxBlockRelayOnly: 1, dialIntervalMs: 10, addrTrickleIntervalMs: 20 },
        { now: clock.now },
      )
      server.addrManager.addrman.add(
        [
          {
            addr: NetAddress.parse('127.0.0.1'),
            port: lport,
            time: Math.floor(clock.now() / 1000),
            services: 9n,
          },
        ],
        NetAddress.parse('127.0.0.9'),
      )
      await until(
        () =>
          server
            .peerInfo()
            .some((p) => p.connectionType === 'block-relay-only' && p.stats.status === 'ready'),
        5_000,
        'the block-relay-only link',
      )
      // Core: relay=false in our version on block-relay-only links.
      expect(version?.command === 'version' && version.relay).toBe(false)
      const sizeBefore = server.addrManager.addrman.size()

      // Two ordinary inbound peers: one sends a fresh address, the other should get it.
      const port = server.ports[0]!
      const source = await RawPeer.open({ port, localAddress: '127.0.16.1' })
      const other = await RawPeer.open({ port, localAddress: '127.0.16.2' })
      await until(() => server.connectionCount === 3, 5_000, 'the inbound peers')
      clock.advance(10_000)
      source.send({
        command: 'addr',
        addresses: [entry('127.90.0.1', 18444, Math.floor(clock.now() / 1000) - 30)],
      })
      await until(
        () => addressesSeen(other).includes('127.90.0.1:18444'),
        5_000,
        'the relay to the inbound peer',
      )

      // The link sends us addresses and asks for ours: both ignored.
      const l = link!
      clock.advance(10_000)
      l.send({
        command: 'addr',
        addresses: [entry('127.90.0.2', 18444, Math.floor(clock.now() / 1000) - 30)],
      })
      l.send({ command: 'getaddr' })
      await sync(l, 9n)
      await delay(200)
      expect(addressesSeen(other)).not.toContain('127.90.0.2:18444')
      expect(server.addrManager.addrman.size()).toBe(sizeBefore + 1) // only the inbound peer's
      expect(l.count('getaddr')).toBe(0)
      expect(l.count('addr') + l.count('addrv2')).toBe(0)
      expect(l.isClosed).toBe(false)
    } finally {
      link?.destroy()
      await new Promise<void>((resolve) => listener.close(() => resolve()))
    }
  })
})

describe('advertising our own address', () => {
  it('tells an outbound peer our external address once we are out of initial block download', async () => {
    const b = await startServer({ maxOutbound: 0, maxBlockRelayOnly: 0, feelerIntervalMs: 0 })
    const a = await startServer({
      connect: [`127.0.0.1:${b.ports[0]}`],
      externalIp: ['1.2.3.4'],
      discover: false,
      addrTrickleIntervalMs: 50,
      manualRetryBaseMs: 100,
    })
    await mine(a, 1)
    await until(() => b.connectionCount === 1, 5_000, 'the connection')
    // Reconnect so the handshake happens after a left initial block download.
    b.disconnect(b.peerInfo()[0]!.id)
    await until(() => b.addrManager.addrman.size() > 0, 10_000, 'the advertised address')
    const [stored] = b.addrManager.addrman.getAddresses(0, 0, undefined, false)
    expect(stored?.addr.toString()).toBe('1.2.3.4')
    expect(stored?.port).toBe(a.ports[0])
  }, 20_000)
})
