/**
 * BIP324 over real TCP on 127.0.0.1: two of our peers speak v2 in both
 * directions; v2 and v1 peers meet (detection on the inbound side, the
 * reconnect-as-v1 signal on the outbound side); a hand-driven v2 client sends
 * its handshake one byte at a time and then hostile input.
 */
import { createConnection, type Socket } from 'node:net'
import { expectNoLeaks, settledResources } from '@node/testkit'
import { decodePayload, encodePayload, type Message } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { type CloseInfo, NonceSet, Peer, type PeerEvents } from '../src/index.ts'
import { concat, RawV2 } from './bip324/raw-v2.ts'
import { listen, magic, network, peerPair, peerServer, tick, until, versionMessage } from './helpers.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('two of our peers over v2', () => {
  it('complete the handshake with the same session id and exchange messages both ways', async () => {
    const pair = await peerPair({ inbound: { v2Transport: true }, outbound: { v2Transport: true } })
    cleanups.push(pair.close)
    const { out, inp } = pair
    expect(out.transportProtocol).toBe('v2')
    expect(inp.transportProtocol).toBe('v2')
    expect(out.sessionId).toMatch(/^[0-9a-f]{64}$/)
    expect(out.sessionId).toBe(inp.sessionId)
    expect(await out.ping()).toBeGreaterThanOrEqual(0)
    expect(await inp.ping()).toBeGreaterThanOrEqual(0)
    // Past two rekeys (224 packets each) in both directions.
    for (let i = 0; i < 250; i++) await Promise.all([out.ping(), inp.ping()])
    expect(out.status).toBe('ready')
    expect(inp.status).toBe('ready')
  })

  it('a v2 pair, and a v2 attempt cut off mid-handshake, leave nothing behind after destroy', async () => {
    const baseline = await settledResources()
    const pair = await peerPair({ inbound: { v2Transport: true }, outbound: { v2Transport: true } })
    await pair.out.ping()
    await pair.close()
    // Destroyed while waiting for the responder's key (a listener that never answers).
    const silent = await listen(() => {})
    const p = Peer.dial(
      { nonces: new NonceSet() },
      { network, host: '127.0.0.1', port: silent.port, v2Transport: true },
    )
    await until(() => p.status === 'handshaking')
    expect(p.transportProtocol).toBe('detecting')
    p.destroy()
    await p.closed
    await silent.close()
    await expectNoLeaks(baseline)
  })

  it('a v1 outbound peer is served by a v2-capable inbound peer over v1', async () => {
    const pair = await peerPair({ inbound: { v2Transport: true } })
    cleanups.push(pair.close)
    expect(pair.out.transportProtocol).toBe('v1')
    expect(pair.inp.transportProtocol).toBe('v1')
    expect(pair.inp.sessionId).toBeUndefined()
    expect(await pair.out.ping()).toBeGreaterThanOrEqual(0)
  })

  it('a v2 outbound peer to a v1-only listener closes with reconnectAsV1', async () => {
    const srv = await peerServer({ nonces: new NonceSet() }, {})
    cleanups.push(srv.close)
    const out = Peer.dial(
      { nonces: new NonceSet() },
      { network, host: '127.0.0.1', port: srv.port, v2Transport: true },
    )
    const closed = new Promise<CloseInfo>((resolve) => out.on('close', resolve))
    const info = await closed
    expect(info.wasReady).toBe(false)
    expect(info.reconnectAsV1).toBe(true)
    // The v1 listener saw our key as a bad magic.
    const inp = await srv.next()
    await inp.closed
    // Retried over v1, it works.
    const again = await Peer.connect(
      { nonces: new NonceSet() },
      { network, host: '127.0.0.1', port: srv.port },
    )
    cleanups.push(async () => {
      again.destroy()
      await again.closed
    })
    expect(again.transportProtocol).toBe('v1')
  })
})

/** A raw v2 initiator connected to one of our inbound peers. */
async function rawClient(
  port: number,
): Promise<{ raw: RawV2; socket: Socket; got: Message[]; closed: Promise<void> }> {
  const socket = createConnection({ host: '127.0.0.1', port, noDelay: true })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.on('error', () => {})
  const raw = new RawV2(magic, true)
  const got: Message[] = []
  let versionSeen = false
  socket.on('data', (chunk: Buffer) => {
    for (const p of raw.read(chunk)) {
      if (!versionSeen) {
        versionSeen = true
        continue
      }
      const id = p.contents[0]!
      const command =
        id === 0 ? Buffer.from(p.contents.subarray(1, 13)).toString('latin1').replace(/\0+$/, '') : ''
      if (id === 18) got.push(decodePayload('ping', p.contents.subarray(1)))
      else if (id === 19) got.push(decodePayload('pong', p.contents.subarray(1)))
      else if (command === 'version') got.push(decodePayload('version', p.contents.subarray(13)))
      else if (command === 'verack') got.push({ command: 'verack' })
    }
  })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return { raw, socket, got, closed }
}

async function writeSlowly(socket: Socket, bytes: Uint8Array): Promise<void> {
  for (const b of bytes) {
    socket.write(Uint8Array.of(b))
    await tick()
  }
}

describe('our inbound peer against a hand-driven v2 client', () => {
  it('completes a handshake sent one byte at a time and answers a ping', async () => {
    const srv = await peerServer({ nonces: new NonceSet() }, { v2Transport: true })
    cleanups.push(srv.close)
    const c = await rawClient(srv.port)
    cleanups.push(async () => {
      c.socket.destroy()
      await c.closed
    })
    await writeSlowly(c.socket, c.raw.hello())
    await until(() => c.raw.cipher !== undefined)
    await writeSlowly(c.socket, c.raw.finish(3))
    const version = encodePayload(versionMessage())
    await writeSlowly(c.socket, c.raw.message('version', version))
    await until(() => c.got.some((m) => m.command === 'version'))
    c.socket.write(c.raw.message('verack', new Uint8Array(0)))
    const inp = await srv.next()
    await inp.whenReady()
    expect(inp.transportProtocol).toBe('v2')
    expect(inp.sessionId).toBe(Buffer.from(c.raw.sessionId!).toString('hex'))
    c.socket.write(c.raw.message('ping', encodePayload({ command: 'ping', nonce: 42n })))
    await until(() => c.got.some((m) => m.command === 'pong'))
    expect(c.got.find((m) => m.command === 'pong')).toEqual({ command: 'pong', nonce: 42n })
  })

  const hostile: [string, (raw: RawV2) => Uint8Array, string][] = [
    ['no garbage terminator', () => new Uint8Array(4095 + 16).fill(7), 'V2_NO_GARBAGE_TERMINATOR'],
    [
      'a packet that fails authentication',
      (raw) => {
        const b = concat([raw.finish(), raw.message('ping', new Uint8Array(8))])
        b[b.length - 1]! ^= 0x40
        return b
      },
      'V2_DECRYPT_FAILED',
    ],
    [
      'an oversized length',
      (raw) => concat([raw.finish(), raw.packet(new Uint8Array(4_000_014)).subarray(0, 10)]),
      'V2_PACKET_TOO_LARGE',
    ],
  ]
  it.each(hostile)('disconnects on %s', async (_name, bytes, code) => {
    const srv = await peerServer({ nonces: new NonceSet() }, { v2Transport: true })
    cleanups.push(srv.close)
    const c = await rawClient(srv.port)
    c.socket.write(c.raw.hello())
    await until(() => c.raw.cipher !== undefined)
    const inp = await srv.next()
    const bad: PeerEvents['misbehaving'][0][] = []
    inp.on('misbehaving', (m) => bad.push(m))
    c.socket.write(bytes(c.raw))
    await c.closed
    expect(bad.map((m) => m.error.code)).toEqual([code])
    expect(inp.status).toBe('closed')
  })
})
