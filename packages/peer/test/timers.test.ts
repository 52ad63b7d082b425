/**
 * Long waits under fake timers (setTimeout and Date only; sockets stay real).
 */
import { encodeMessage, InvType } from '@node/wire'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Peer, PoissonClock } from '../src/index.ts'
import { magic, network, peerServer, RawRemote, rawServer, tick, until, versionMessage } from './helpers.ts'

const cleanups: (() => Promise<void> | void)[] = []
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
})
afterEach(async () => {
  vi.useRealTimers()
  while (cleanups.length) await cleanups.pop()!()
})

async function inbound(
  init: Parameters<typeof peerServer>[1] = {},
  components: Parameters<typeof peerServer>[0] = {},
) {
  const srv = await peerServer(components, init)
  cleanups.push(srv.close)
  const raw = await RawRemote.connect(srv.port)
  cleanups.push(() => raw.destroy())
  const peer = await srv.next()
  return { raw, peer }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

function closedCode(peer: Peer): string | undefined {
  return peer.state.status === 'closed' ? peer.state.error?.code : undefined
}

describe('handshake and connect timeouts', () => {
  it('closes a peer that never sends version after 60 s', async () => {
    const { raw, peer } = await inbound()
    await vi.advanceTimersByTimeAsync(59_999)
    expect(peer.state.status).toBe('handshaking')
    await vi.advanceTimersByTimeAsync(1)
    expect(closedCode(peer)).toBe('HANDSHAKE_TIMEOUT')
    await raw.waitClosed()
  })

  it('a version sent one byte per second runs into the handshake timeout', async () => {
    const { raw, peer } = await inbound()
    const bytes = encodeMessage(magic, versionMessage())
    let sent = 0
    while (peer.state.status !== 'closed' && sent < bytes.length) {
      raw.write(bytes.subarray(sent, sent + 1))
      sent++
      await until(() => peer.stats().bytesReceived === sent || peer.state.status === 'closed')
      await vi.advanceTimersByTimeAsync(1000)
    }
    expect(sent).toBe(60)
    expect(closedCode(peer)).toBe('HANDSHAKE_TIMEOUT')
  })

  it('gives up a TCP connect after connectTimeoutMs', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    const peer = Peer.dial({}, { network, host: '127.0.0.1', port: srv.port, connectTimeoutMs: 5000 })
    const ready = peer.whenReady().catch((e: unknown) => e)
    // Synchronously, before the event loop can complete the connect.
    vi.advanceTimersByTime(5000)
    expect(closedCode(peer)).toBe('CONNECT_TIMEOUT')
    expect(await ready).toMatchObject({ code: 'PEER_CLOSED', cause: { code: 'CONNECT_TIMEOUT' } })
    await peer.closed
  })
})

describe('ping', () => {
  it('pings at once after the handshake and every 2 minutes, with fresh nonces, recording RTT', async () => {
    const { raw, peer } = await inbound()
    const rtts: number[] = []
    peer.on('pong', (ms) => rtts.push(ms))
    await raw.handshakeAsClient()
    await peer.whenReady()
    const p1 = await raw.nth('ping', 1)
    await vi.advanceTimersByTimeAsync(250)
    raw.send({ command: 'pong', nonce: p1.nonce })
    await until(() => rtts.length === 1)
    expect(rtts).toEqual([250])
    expect(peer.stats()).toMatchObject({ pingMs: 250, minPingMs: 250, pingWaitMs: undefined })

    await vi.advanceTimersByTimeAsync(2 * 60_000 - 250 - 1)
    expect(raw.received.filter((m) => m.command === 'ping')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    const p2 = await raw.nth('ping', 2)
    expect(p2.nonce).not.toBe(p1.nonce)
    expect(p2.nonce).not.toBe(0n)
    await vi.advanceTimersByTimeAsync(400)
    expect(peer.stats().pingWaitMs).toBe(400)
    // A wrong nonce is ignored (Core logs a mismatch), the right one completes the ping.
    raw.send({ command: 'pong', nonce: p2.nonce ^ 1n })
    raw.send({ command: 'pong', nonce: p2.nonce })
    await until(() => rtts.length === 2)
    expect(rtts).toEqual([250, 400])
    expect(peer.stats()).toMatchObject({ pingMs: 400, minPingMs: 250 })
  })

  it('answers pings with the same nonce', async () => {
    const { raw, peer } = await inbound()
    await raw.handshakeAsClient()
    await peer.whenReady()
    raw.send({ command: 'ping', nonce: 0xdeadbeefn })
    expect((await raw.next('pong')).nonce).toBe(0xdeadbeefn)
  })

  it('disconnects after 20 minutes without a pong, even if other traffic flows', async () => {
    const { raw, peer } = await inbound()
    await raw.handshakeAsClient()
    await peer.whenReady()
    await raw.nth('ping', 1)
    for (let minute = 1; minute < 20; minute++) {
      await vi.advanceTimersByTimeAsync(60_000)
      const before = peer.stats().messagesReceived
      raw.send({ command: 'sendheaders' })
      await until(() => peer.stats().messagesReceived > before)
    }
    expect(peer.state.status).toBe('ready')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(closedCode(peer)).toBe('PING_TIMEOUT')
  })
})

describe('inactivity', () => {
  it('disconnects after 20 minutes with no complete message received', async () => {
    const { raw, peer } = await inbound({ pingTimeoutMs: 60 * 60_000 })
    await raw.handshakeAsClient()
    await peer.whenReady()
    await vi.advanceTimersByTimeAsync(20 * 60_000 - 1)
    expect(peer.state.status).toBe('ready')
    await vi.advanceTimersByTimeAsync(1)
    expect(closedCode(peer)).toBe('INACTIVITY_TIMEOUT')
  })

  it('a frame dribbled one byte per second does not count as activity', async () => {
    const { raw, peer } = await inbound({ inactivityTimeoutMs: 10_000, pingTimeoutMs: 60 * 60_000 })
    await raw.handshakeAsClient()
    await peer.whenReady()
    const received = peer.stats().bytesReceived
    const frame = encodeMessage(magic, { command: 'ping', nonce: 1n })
    for (let i = 0; i < frame.length && peer.state.status !== 'closed'; i++) {
      raw.write(frame.subarray(i, i + 1))
      await until(() => peer.stats().bytesReceived === received + i + 1)
      await vi.advanceTimersByTimeAsync(1000)
    }
    expect(peer.stats().bytesReceived - received).toBe(10)
    expect(closedCode(peer)).toBe('INACTIVITY_TIMEOUT')
  })
})

describe('transaction trickle', () => {
  const tx = (i: number) => {
    const txid = new Uint8Array(32)
    txid[0] = i & 0xff
    txid[1] = i >> 8
    const wtxid = txid.slice()
    wtxid[31] = 0xff
    return { txid, wtxid }
  }

  it('outbound: announces on a Poisson timer (mean 2 s), Core-sized batches, wtxids after wtxidrelay', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    // random() = 0.5 gives a delay of ln 2 × mean.
    const connecting = Peer.connect({ random: () => 0.5 }, { network, host: '127.0.0.1', port: srv.port })
    const raw = await srv.next()
    await raw.handshakeAsServer({}, [{ command: 'wtxidrelay' }])
    const peer = await connecting
    cleanups.push(() => peer.destroy())
    peer.announceTransactions(Array.from({ length: 3000 }, (_, i) => tx(i)))
    const delay = Math.ceil(Math.LN2 * 2000)
    await vi.advanceTimersByTimeAsync(delay - 2)
    expect(raw.received.some((m) => m.command === 'inv')).toBe(false)
    await vi.advanceTimersByTimeAsync(2)
    const inv = await raw.nth('inv', 1)
    // min(1000, 70 + 5 × ⌊3000 / 1000⌋) = 85
    expect(inv.inventory).toHaveLength(85)
    expect(inv.inventory.every((it) => it.type === InvType.WTX)).toBe(true)
    expect(hex(inv.inventory[0]!.hash)).toBe(hex(tx(0).wtxid))
    expect(peer.stats().pendingTxAnnouncements).toBe(3000 - 85)
    await vi.advanceTimersByTimeAsync(delay)
    expect((await raw.nth('inv', 2)).inventory).toHaveLength(80) // 70 + 5 × ⌊2915 / 1000⌋
  })

  it('skips what the peer announced, what is below its feefilter, and duplicates', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    const connecting = Peer.connect({ random: () => 0.5 }, { network, host: '127.0.0.1', port: srv.port })
    const raw = await srv.next()
    await raw.handshakeAsServer({ version: 70015 })
    const peer = await connecting
    cleanups.push(() => peer.destroy())
    const seen: number[] = []
    peer.on('message', (m) => {
      if (m.command === 'inv') seen.push(m.inventory.length)
    })
    raw.send({ command: 'inv', inventory: [{ type: InvType.TX, hash: tx(1).txid }] })
    raw.send({ command: 'feefilter', feeRate: 2000n })
    await until(
      () => seen.length === 1 && peer.state.status === 'ready' && peer.state.features.feeFilter === 2000n,
    )
    peer.announceTransactions([
      tx(1),
      tx(2),
      { ...tx(3), feeRate: 1000n },
      { ...tx(4), feeRate: 3000n },
      tx(2),
    ])
    await vi.advanceTimersByTimeAsync(2000)
    const inv = await raw.nth('inv', 1)
    // No wtxidrelay at 70015: announced by txid.
    expect(inv.inventory.map((it) => [it.type, hex(it.hash)])).toEqual([
      [InvType.TX, hex(tx(2).txid)],
      [InvType.TX, hex(tx(4).txid)],
    ])
    expect(peer.knowsInventory({ type: InvType.TX, hash: tx(2).txid })).toBe(true)
    peer.announceTransactions([tx(2)])
    expect(peer.stats().pendingTxAnnouncements).toBe(0)
  })

  it('inbound peers share one clock and send nothing to relay = false peers', async () => {
    let draws = 0
    const random = (): number => {
      draws++
      return 0.5
    }
    const clock = new PoissonClock({ random }, { meanMs: 5000 })
    const srv = await peerServer({ inboundTrickleClock: clock })
    cleanups.push(srv.close)
    const a = await RawRemote.connect(srv.port)
    const b = await RawRemote.connect(srv.port)
    const c = await RawRemote.connect(srv.port)
    cleanups.push(
      () => a.destroy(),
      () => b.destroy(),
      () => c.destroy(),
    )
    const [pa, pb, pc] = [await srv.next(), await srv.next(), await srv.next()]
    await a.handshakeAsClient()
    await b.handshakeAsClient()
    await c.handshakeAsClient({ relay: false })
    await Promise.all([pa!.whenReady(), pb!.whenReady(), pc!.whenReady()])
    for (const p of [pa!, pb!, pc!]) p.announceTransactions([tx(7)])
    expect(draws).toBe(1)
    await vi.advanceTimersByTimeAsync(Math.ceil(Math.LN2 * 5000))
    await a.nth('inv', 1)
    await b.nth('inv', 1)
    await tick()
    expect(c.received.some((m) => m.command === 'inv')).toBe(false)
  })
})

describe('address relay', () => {
  it('never sends an address back to its source; addrv2 only to peers that asked', async () => {
    const { raw, peer } = await inbound({ addrTrickleIntervalMs: 30_000 }, { random: () => 0.5 })
    await raw.handshakeAsClient({}, [{ command: 'sendaddrv2' }])
    await peer.whenReady()
    const a = { time: 1, services: 9n, networkId: 1, addr: Uint8Array.of(1, 2, 3, 4), port: 8333 }
    const b = { time: 1, services: 9n, networkId: 1, addr: Uint8Array.of(5, 6, 7, 8), port: 8333 }
    const tor = { time: 1, services: 9n, networkId: 4, addr: new Uint8Array(32).fill(3), port: 8333 }
    const ipA = new Uint8Array(16)
    ipA.set([0xff, 0xff, 1, 2, 3, 4], 10)
    let got = 0
    peer.on('message', () => got++)
    raw.send({ command: 'addr', addresses: [{ time: 1, services: 9n, ip: ipA, port: 8333 }] })
    await until(() => got === 1)
    peer.relayAddresses([a, b, tor])
    await vi.advanceTimersByTimeAsync(Math.ceil(Math.LN2 * 30_000))
    const msg = await raw.next('addrv2')
    expect(msg.addresses.map((x) => hex(x.addr))).toEqual([hex(b.addr), hex(tor.addr)])
    peer.relayAddresses([b])
    await vi.advanceTimersByTimeAsync(60_000)
    expect(raw.received.filter((m) => m.command === 'addrv2')).toHaveLength(1)
  })

  it('sends v1 addr, without networks v1 cannot carry, to peers that did not ask for addrv2', async () => {
    const { raw, peer } = await inbound({}, { random: () => 0.5 })
    await raw.handshakeAsClient()
    await peer.whenReady()
    peer.relayAddresses([
      { time: 1, services: 9n, networkId: 1, addr: Uint8Array.of(9, 9, 9, 9), port: 1 },
      { time: 1, services: 9n, networkId: 4, addr: new Uint8Array(32), port: 1 },
    ])
    await vi.advanceTimersByTimeAsync(30_000)
    const msg = await raw.next('addr')
    expect(msg.addresses).toHaveLength(1)
    expect(Buffer.from(msg.addresses[0]!.ip).toString('hex')).toBe('00000000000000000000ffff09090909')
  })
})

describe('send inactivity', () => {
  it('disconnects a peer that reads nothing for 20 minutes, even while it keeps sending', async () => {
    const { raw, peer } = await inbound({
      maxSendBufferBytes: 256 * 1024 * 1024,
      pingTimeoutMs: 24 * 60 * 60_000,
    })
    await raw.handshakeAsClient()
    await peer.whenReady()
    raw.socket.pause()
    // Fill the kernel buffers on both sides until nothing more is taken.
    const junk = new Uint8Array(1_000_000)
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 4; i++)
        peer.send({ command: 'cfilter', filterType: 0, blockHash: new Uint8Array(32), filter: junk })
      const queued = peer.bufferedBytes
      for (let t = 0; t < 50; t++) await tick()
      if (peer.bufferedBytes >= queued) break
    }
    expect(peer.bufferedBytes).toBeGreaterThan(0)
    for (let minute = 0; minute < 20; minute++) {
      await vi.advanceTimersByTimeAsync(60_000)
      if (peer.state.status === 'closed') break
      const before = peer.stats().messagesReceived
      raw.send({ command: 'sendheaders' })
      await until(() => peer.stats().messagesReceived > before)
    }
    expect(peer.state.status).toBe('closed')
    if (peer.state.status === 'closed') {
      expect(peer.state.error).toMatchObject({ code: 'INACTIVITY_TIMEOUT', direction: 'send' })
    }
  })
})

describe('checkClock: the injected clock moves, no timer fires (regtest setmocktime)', () => {
  it('flushes addresses that are due, pings when due, and times out an unanswered ping', async () => {
    let t = 1_700_000_000_000
    const { raw, peer } = await inbound(
      { addrTrickleIntervalMs: 30_000 },
      { random: () => 0.5, now: () => t },
    )
    await raw.handshakeAsClient()
    await peer.whenReady()
    await raw.next('ping') // the first ping goes out at once; the remote never answers
    const a = { time: 1, services: 9n, networkId: 1, addr: Uint8Array.of(1, 2, 3, 4), port: 8333 }
    peer.relayAddresses([a])
    peer.checkClock()
    await tick()
    expect(raw.received.some((m) => m.command === 'addr')).toBe(false)
    t += 60_000
    peer.checkClock()
    await raw.next('addr')
    t += 20 * 60_000
    peer.checkClock()
    expect(closedCode(peer)).toBe('PING_TIMEOUT')
  })
})
