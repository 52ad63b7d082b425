/**
 * Outbound connections over real sockets (Core `CConnman::ThreadOpenConnections`): feelers test
 * a new address and leave after the handshake; a failing addnode target is
 * retried with a growing backoff; with `connect`, only the given peers are
 * dialled, and one that drops is dialled again.
 */
import net, { type Socket } from 'node:net'
import { NetAddress } from '@node/addrmgr'
import type { Message } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, delay, ManualClock, RawPeer, startServer, until } from './helpers.ts'

afterEach(cleanup)

/** A loopback listener for the test; `onSocket` gets each accepted connection. */
async function listen(onSocket: (s: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onSocket(s)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function known(port: number, time: number) {
  return { addr: NetAddress.parse('127.0.0.1'), port, time, services: 9n }
}

describe('outbound', () => {
  it('a feeler connects to a new address, completes the handshake without tx relay, leaves, and marks the address tried', async () => {
    const versions: Message[] = []
    const links: RawPeer[] = []
    const l = await listen((s) => {
      const r = RawPeer.wrap(s)
      links.push(r)
      r.answerHandshake().then(
        (v) => versions.push(v),
        () => {},
      )
    })
    try {
      // Only feelers: no full-relay or block-relay-only slots.
      const server = await startServer({
        maxOutbound: 0,
        maxBlockRelayOnly: 0,
        feelerIntervalMs: 30,
        dialIntervalMs: 10,
      })
      const addrman = server.addrManager.addrman
      addrman.add([known(l.port, Math.floor(Date.now() / 1000) - 3600)], NetAddress.parse('127.0.0.9'))
      expect(addrman.size(undefined, 'new')).toBe(1)

      await until(() => links.length === 1, 5_000, 'the feeler')
      await until(() => versions.length === 1, 5_000, 'the feeler handshake')
      const v = versions[0]!
      expect(v.command === 'version' && v.relay).toBe(false)
      // It leaves right after the handshake.
      expect(await links[0]!.closesWithin(2_000)).toBe(true)
      expect(addrman.size(undefined, 'tried')).toBe(1)
      expect(addrman.size(undefined, 'new')).toBe(0)
      // Nothing new to test: no more feelers (300 ms is about 10 feeler intervals).
      await delay(300)
      expect(links).toHaveLength(1)
      expect(server.peerInfo()).toHaveLength(0)
    } finally {
      await l.close()
    }
  })

  it('a failing addnode target is retried with a growing backoff (5 s, then 10 s, ...)', async () => {
    const clock = new ManualClock()
    let dials = 0
    // Accepts and hangs up at once: every dial fails before the handshake.
    const l = await listen((s) => {
      dials++
      s.destroy()
    })
    try {
      // v1 only: with v2, each hang-up would also bring one reconnection over v1 (tested below).
      await startServer(
        { addnode: [`127.0.0.1:${l.port}`], dialIntervalMs: 10, v2Transport: false },
        { now: clock.now },
      )
      await until(() => dials === 1, 5_000, 'the first dial')
      // The clock stands still: 30 rounds, no retry.
      await delay(300)
      expect(dials).toBe(1)
      // 5 s later: the second try.
      clock.advance(5_000)
      await until(() => dials === 2, 5_000, 'the second dial')
      // The next wait is 10 s: 5 s is not enough ...
      clock.advance(5_000)
      await delay(300)
      expect(dials).toBe(2)
      // ... 10 s is.
      clock.advance(5_000)
      await until(() => dials === 3, 5_000, 'the third dial')
      clock.advance(14_999)
      await delay(300)
      expect(dials).toBe(3)
      clock.advance(1)
      await until(() => dials === 4, 5_000, 'the fourth dial')
    } finally {
      await l.close()
    }
  })

  it('a v1-only node that hangs up on our v2 key is dialled once more at once, over v1 (Core reconnect-as-v1)', async () => {
    const clock = new ManualClock()
    const firstBytes: Buffer[] = []
    const l = await listen((s) => {
      s.once('data', (chunk: Buffer) => {
        firstBytes.push(chunk)
        s.destroy()
      })
    })
    try {
      const server = await startServer(
        { addnode: [`127.0.0.1:${l.port}`], dialIntervalMs: 10 },
        { now: clock.now },
      )
      await until(() => firstBytes.length === 2, 5_000, 'the v1 retry')
      // First our 64-byte ElligatorSwift key (and garbage), then a v1 version header.
      expect(firstBytes[0]!.length).toBeGreaterThanOrEqual(64)
      expect(firstBytes[0]!.subarray(0, 4).equals(Buffer.from(server.network.magic))).toBe(false)
      expect(firstBytes[1]!.subarray(0, 4).equals(Buffer.from(server.network.magic))).toBe(true)
      expect(firstBytes[1]!.subarray(4, 11).toString('latin1')).toBe('version')
      // The v1 attempt failing too brings no further retry until the addnode backoff allows one.
      await delay(300)
      expect(firstBytes).toHaveLength(2)
    } finally {
      await l.close()
    }
  })

  it('connect: dials only the given peer (no address manager, no DNS), and dials it again when it drops', async () => {
    const target = await startServer()
    const bystander = await startServer()
    let lookups = 0
    const server = await startServer(
      {
        network: { ...target.network, dnsSeeds: ['seed.example.invalid'] },
        dnsSeed: true,
        connect: [`127.0.0.1:${target.ports[0]}`],
        dialIntervalMs: 10,
        manualRetryBaseMs: 50,
      },
      {
        resolve: async () => {
          lookups++
          return []
        },
      },
    )
    server.addrManager.addrman.add(
      [known(bystander.ports[0]!, Math.floor(Date.now() / 1000) - 60)],
      NetAddress.parse('127.0.0.9'),
    )
    await until(() => target.connectionCount === 1, 5_000, 'the connect peer')
    await delay(300)
    expect(bystander.peerInfo()).toHaveLength(0)
    expect(lookups).toBe(0)
    expect(server.peerInfo().map((p) => p.connectionType)).toEqual(['manual'])
    expect(server.addedNodes()).toEqual([{ target: `127.0.0.1:${target.ports[0]}`, connected: true }])

    // The target drops us: we come back.
    const first = target.peerInfo()[0]!
    expect(target.disconnect(first.id)).toBe(true)
    await until(
      () => target.peerInfo().some((p) => p.id !== first.id && p.stats.status === 'ready'),
      5_000,
      'the reconnection',
    )
    expect(bystander.peerInfo()).toHaveLength(0)
  })
})

describe('stale tip', () => {
  it('opens one extra full-relay peer when the tip is stale, then drops the one with the oldest block announcement', async () => {
    const others = await Promise.all(
      [0, 1, 2, 3].map(() => startServer({ maxOutbound: 0, maxBlockRelayOnly: 0, feelerIntervalMs: 0 })),
    )
    const clock = new ManualClock()
    const server = await startServer(
      {
        maxOutbound: 2,
        maxBlockRelayOnly: 0,
        feelerIntervalMs: 0,
        dialIntervalMs: 10,
        staleTipAgeMs: 30 * 60_000,
        extraPeerCheckMs: 50,
      },
      { now: clock.now },
    )
    server.addrManager.addrman.add(
      others.map((o) => known(o.ports[0]!, Math.floor(Date.now() / 1000) - 3600)),
      NetAddress.parse('127.0.0.9'),
    )
    const full = () =>
      server
        .peerInfo()
        .filter((p) => p.connectionType === 'outbound-full-relay' && p.stats.status === 'ready')
    await until(() => full().length === 2, 10_000, 'two full-relay peers')
    await delay(200)
    expect(full()).toHaveLength(2)
    // No block for 31 minutes: the tip is stale, an extra peer is tried.
    clock.advance(31 * 60_000)
    await until(() => full().length === 3, 10_000, 'the extra peer')
    const youngest = full().reduce((a, b) =>
      (a.stats.connectedAt ?? 0) > (b.stats.connectedAt ?? 0) ? a : b,
    )
    const closed: string[] = []
    server.on('peer:closed', (p) => closed.push(p.addr))
    // After the minimum connect time, one of the three goes: none announced a
    // block, so the youngest connection.
    clock.advance(31_000)
    await until(() => closed.length >= 1, 5_000, 'an eviction')
    expect(closed[0]).toBe(youngest.addr)
  }, 30_000)
})
