/**
 * Misbehaviour and bans over real sockets (Core `Misbehaving`, `BanMan`): a peer that
 * sends an oversized `inv` is discouraged and disconnected, and its
 * reconnect is accepted only while there is room; manual bans disconnect,
 * persist to banlist.json and survive a restart; noban ranges are exempt.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { encodeMessage, MAX_INV_SZ } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import {
  cleanup,
  delay,
  ManualClock,
  RawPeer,
  recordingLogger,
  startServer,
  tmpDir,
  until,
} from './helpers.ts'

afterEach(cleanup)

/** An `inv` payload with `n` block entries: a compact size, then 36 bytes each (the encoder refuses > 50,000). */
function invPayload(n: number): Uint8Array {
  const head = n < 0xfd ? Buffer.of(n) : Buffer.of(0xfd, n & 0xff, n >>> 8)
  const body = Buffer.alloc(n * 36)
  for (let i = 0; i < n; i++) body.writeUInt32LE(2, i * 36)
  return Buffer.concat([head, body])
}

async function refused(port: number, localAddress: string): Promise<boolean> {
  const r = await RawPeer.connect({ port, localAddress })
  r.send(r.version())
  const closed = await r.closesWithin(2_000)
  const answered = r.received.some((m) => m.command === 'version')
  r.destroy()
  return closed && !answered
}

describe('misbehaviour', () => {
  it('a peer sending more than 50,000 inv entries is discouraged and disconnected; it may come back only while inbound has room', async () => {
    const { logger, records } = recordingLogger()
    // 13 connections: 2 inbound slots.
    const server = await startServer({ maxConnections: 13 }, { logger })
    const port = server.ports[0]!
    const bad = await RawPeer.open({ port, localAddress: '127.0.8.1' })
    // 50,000 entries are fine.
    bad.sendFrame('inv', invPayload(MAX_INV_SZ))
    bad.send({ command: 'ping', nonce: 7n })
    await bad.waitFor('pong')
    expect(bad.isClosed).toBe(false)
    expect(server.bans.isDiscouraged('127.0.8.1')).toBe(false)
    // 50,001 are not.
    bad.sendFrame('inv', invPayload(MAX_INV_SZ + 1))
    expect(await bad.closesWithin(2_000)).toBe(true)
    expect(server.bans.isDiscouraged('127.0.8.1')).toBe(true)
    expect(records.some((r) => r.msg === 'Peer misbehaved; discouraged and disconnected.')).toBe(true)
    await until(() => server.peerInfo().length === 0, 5_000, 'the server to drop the peer')

    // Core accepts a discouraged address while inbound has room ...
    const back = await RawPeer.open({ port, localAddress: '127.0.8.1' })
    expect(back.isClosed).toBe(false)
    back.destroy()
    await until(() => server.peerInfo().length === 0, 5_000, 'the server to drop the peer')
    // ... and refuses it when inbound is full, without evicting anybody.
    const a = await RawPeer.open({ port, localAddress: '127.0.8.2' })
    const b = await RawPeer.open({ port, localAddress: '127.0.8.3' })
    expect(await refused(port, '127.0.8.1')).toBe(true)
    await delay(50)
    expect(a.isClosed || b.isClosed).toBe(false)
    // Discouragement is not a ban: other addresses are unaffected.
    expect(server.bans.isBanned('127.0.8.1')).toBe(false)
  })

  it('a whitelisted (noban) peer that misbehaves is not discouraged', async () => {
    const server = await startServer({ whitelist: ['127.0.9.0/24'] })
    const port = server.ports[0]!
    const p = await RawPeer.open({ port, localAddress: '127.0.9.7' })
    p.sendFrame('inv', invPayload(MAX_INV_SZ + 1))
    // The stream is unusable after an oversized message, so the peer closes; no mark stays.
    await p.closesWithin(2_000)
    await delay(20)
    expect(server.bans.isDiscouraged('127.0.9.7')).toBe(false)
    const again = await RawPeer.open({ port, localAddress: '127.0.9.7' })
    expect(again.isClosed).toBe(false)
  })
})

describe('messages that cost Core only the message (issue: behave as Core on the wire)', () => {
  it('invalid message types, an undecodable addrv2 and a 0-byte pong are dropped; the peer stays and is not discouraged', async () => {
    const { logger, records } = recordingLogger()
    const server = await startServer({}, { logger })
    const port = server.ports[0]!
    const p = await RawPeer.open({ port, localAddress: '127.0.13.1' })
    // Valid checksums, message types Core's own test uses (net.cpp V1Transport::GetReceivedMessage).
    for (const field of ['badmsg\x01', 'bad\x00sg\x01']) {
      const bytes = encodeMessage(p.network.magic, { command: 'ping', nonce: 1n })
      bytes.fill(0, 4, 16)
      for (let i = 0; i < field.length; i++) bytes[4 + i] = field.charCodeAt(i)
      p.socket.write(bytes)
    }
    // addrv2 that does not deserialize: empty; one address of 513 bytes (Core: "Address too long").
    p.sendFrame('addrv2', new Uint8Array(0))
    const long = Buffer.concat([
      Buffer.of(1, 0x00, 0xe1, 0xf5, 0x65, 9, 1, 0xfd, 0x01, 0x02),
      Buffer.alloc(513, 7),
      Buffer.of(0x20, 0x8d),
    ])
    p.sendFrame('addrv2', long)
    // pong shorter than its nonce (Core: "Short payload").
    p.sendFrame('pong', new Uint8Array(0))
    p.send({ command: 'ping', nonce: 0x51n })
    const pong = await p.waitFor('pong', 5_000, (m) => m.command === 'pong' && m.nonce === 0x51n)
    expect(pong).toBeDefined()
    await delay(50)
    expect(p.isClosed).toBe(false)
    expect(server.peerInfo()).toHaveLength(1)
    expect(server.bans.isDiscouraged('127.0.13.1')).toBe(false)
    expect(records.some((r) => r.msg === 'Peer misbehaved; discouraged and disconnected.')).toBe(false)
  })
})

describe('manual bans', () => {
  it('Server.ban disconnects matching peers (not whitelisted ones), refuses them, saves banlist.json, and a restart reloads it', async () => {
    const dataDir = tmpDir()
    const clock = new ManualClock()
    const init = { dataDir, whitelist: ['127.0.10.7'] }
    const server = await startServer(init, { now: clock.now })
    const port = server.ports[0]!
    const victim = await RawPeer.open({ port, localAddress: '127.0.10.5' })
    const friend = await RawPeer.open({ port, localAddress: '127.0.10.7' })
    const bystander = await RawPeer.open({ port, localAddress: '127.0.11.1' })
    await until(() => server.connectionCount === 3, 5_000, '3 peers')

    await server.ban('127.0.10.0/24')
    await server.ban('127.0.12.1', { until: clock.now() + 60 * 60_000 }) // one hour
    expect(await victim.closesWithin(2_000)).toBe(true)
    await delay(50)
    expect(friend.isClosed).toBe(false)
    expect(bystander.isClosed).toBe(false)
    expect(await refused(port, '127.0.10.6')).toBe(true)
    expect(await refused(port, '127.0.12.1')).toBe(true)
    // noban: a banned range does not apply to a whitelisted address.
    const friend2 = await RawPeer.open({ port, localAddress: '127.0.10.7' })
    expect(friend2.isClosed).toBe(false)

    // Saved in Core's banlist.json shape.
    const file = JSON.parse(readFileSync(path.join(dataDir, 'banlist.json'), 'utf8')) as {
      banned_nets: { address: string; banned_until: number; version: number }[]
    }
    expect(file.banned_nets.map((b) => b.address).sort()).toEqual(['127.0.10.0/24', '127.0.12.1/32'])
    await server.stop()

    // A restart on the same data directory, two hours later: the 24-hour ban
    // holds, the one-hour ban has expired.
    clock.advance(2 * 60 * 60_000)
    const again = await startServer(init, { now: clock.now })
    const port2 = again.ports[0]!
    expect(again.bans.isBanned('127.0.10.6')).toBe(true)
    expect(again.bans.isBanned('127.0.12.1')).toBe(false)
    expect(await refused(port2, '127.0.10.6')).toBe(true)
    const freed = await RawPeer.open({ port: port2, localAddress: '127.0.12.1' })
    expect(freed.isClosed).toBe(false)
  })
})
