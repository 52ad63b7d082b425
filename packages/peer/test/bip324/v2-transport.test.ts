/**
 * The v2 transport state machine, in memory: handshake in both roles, bytes
 * one at a time, rekeying, decoys, v1 detection, and every hostile case the
 * transport must turn into a disconnect (or, for a bad message type, a dropped
 * message).
 */
import { randomBytes } from 'node:crypto'
import { encodeMessage, encodePayload, type FrameEvent, type Message, networks } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { V2_MESSAGE_IDS } from '../../src/bip324/message-ids.ts'
import { MAX_GARBAGE_LEN, MAX_V2_CONTENTS_LEN, V2Transport } from '../../src/transport/v2.ts'
import { concat, RawV2 } from './raw-v2.ts'

/** Matches these bytes in any Uint8Array (a Buffer included). */
function bytes(b: Uint8Array) {
  return { asymmetricMatch: (v: unknown) => v instanceof Uint8Array && Buffer.from(v).equals(Buffer.from(b)) }
}

/** A ping's payload: its nonce, 8 bytes little-endian. */
function nonceBytes(n: bigint) {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, n, true)
  return bytes(b)
}

const magic = networks.regtest.magic
const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n))

interface Side {
  t: V2Transport
  out: Uint8Array[]
  sendable: number
}

function side(initiating: boolean, garbageLength?: number): Side {
  const s: Side = { t: undefined as unknown as V2Transport, out: [], sendable: 0 }
  s.t = new V2Transport(
    { write: (b) => s.out.push(b), sendable: () => s.sendable++, randomBytes: rnd },
    { magic, initiating, garbageLength },
  )
  return s
}

function take(s: Side): Uint8Array {
  const b = concat(s.out)
  s.out = []
  return b
}

function send(s: Side, m: Message): void {
  s.out.push(...s.t.encode(m.command, encodePayload(m)))
}

/** Deliver what `from` wrote to `to`, `step` bytes at a time (all at once when undefined). */
function deliver(from: Side, to: Side, step?: number): FrameEvent[] {
  const bytes = take(from)
  const events: FrameEvent[] = []
  const n = step ?? Math.max(1, bytes.length)
  for (let i = 0; i < bytes.length; i += n) events.push(...to.t.receive(bytes.subarray(i, i + n)))
  return events
}

function handshake(a: Side, b: Side, step?: number): void {
  a.t.start()
  b.t.start()
  for (let i = 0; i < 4; i++) {
    expect(deliver(a, b, step)).toEqual([])
    expect(deliver(b, a, step)).toEqual([])
  }
}

const ping = (nonce: bigint): Message => ({ command: 'ping', nonce })

describe('V2Transport between two of ours', () => {
  it('completes the handshake, agrees on the session id and carries messages both ways', () => {
    const a = side(true)
    const b = side(false)
    expect(a.t.protocol).toBe('detecting')
    expect(a.t.canSend).toBe(false)
    handshake(a, b)
    expect(a.t.protocol).toBe('v2')
    expect(b.t.protocol).toBe('v2')
    expect(a.t.sessionId).toEqual(b.t.sessionId)
    expect(a.t.sessionId).toHaveLength(32)
    expect(a.sendable).toBe(1)
    expect(b.sendable).toBe(1)
    send(a, ping(7n))
    send(b, { command: 'verack' })
    expect(deliver(a, b)).toEqual([
      { kind: 'message', message: ping(7n), payload: nonceBytes(7n), size: 1 + 8 + 20 },
    ])
    // verack has no one-byte id: the long form (1 + 12 bytes of type).
    expect(deliver(b, a)).toEqual([
      { kind: 'message', message: { command: 'verack' }, payload: bytes(new Uint8Array(0)), size: 13 + 20 },
    ])
  })

  it('works with every byte delivered on its own, and with maximal garbage', () => {
    const a = side(true, MAX_GARBAGE_LEN)
    const b = side(false, MAX_GARBAGE_LEN)
    handshake(a, b, 1)
    send(a, ping(1n))
    const events = deliver(a, b, 1)
    expect(events).toEqual([{ kind: 'message', message: ping(1n), payload: nonceBytes(1n), size: 29 }])
    expect(a.t.buffered).toBe(0)
    expect(b.t.buffered).toBe(0)
  })

  it('keeps working across rekeying (1,000 packets each way)', () => {
    const a = side(true)
    const b = side(false)
    handshake(a, b)
    for (let i = 0; i < 1000; i++) {
      send(a, ping(BigInt(i)))
      send(b, ping(BigInt(-i - 1) & 0xffffffffffffffffn))
    }
    const atB = deliver(a, b, 7)
    const atA = deliver(b, a)
    expect(atB).toHaveLength(1000)
    expect(atA).toHaveLength(1000)
    expect(atB[999]).toEqual({ kind: 'message', message: ping(999n), payload: nonceBytes(999n), size: 29 })
  })

  it('carries a large payload (1 MB, unknown command in the long form)', () => {
    const a = side(true)
    const b = side(false)
    handshake(a, b)
    const payload = rnd(1_000_000)
    a.out.push(...a.t.encode('bigthing', payload))
    const events = deliver(a, b, 65536)
    expect(events).toHaveLength(1)
    const ev = events[0]!
    expect(ev.kind).toBe('unknown')
    if (ev.kind === 'unknown') {
      expect(ev.command).toBe('bigthing')
      expect(Buffer.from(ev.payload).equals(Buffer.from(payload))).toBe(true)
    }
  })

  it('says to reconnect as v1 only while an outbound attempt has received nothing', () => {
    const a = side(true)
    expect(a.t.reconnectAsV1).toBe(false) // nothing sent yet
    a.t.start()
    expect(take(a).length).toBeGreaterThanOrEqual(64)
    expect(a.t.reconnectAsV1).toBe(true)
    a.t.receive(rnd(1))
    expect(a.t.reconnectAsV1).toBe(false)
    expect(side(false).t.reconnectAsV1).toBe(false)
  })
})

describe('V2Transport as a responder to a v1 peer', () => {
  it('detects a v1 version message by its first 16 bytes and becomes v1', () => {
    const b = side(false)
    b.t.start()
    const version = encodeMessage(magic, { command: 'verack' })
    // A v1 "version" header whose payload is not checked here: use a real frame instead.
    const frame = encodeMessage(magic, {
      command: 'version',
      version: 70016,
      services: 0n,
      timestamp: 0n,
      addrRecv: { services: 0n, ip: new Uint8Array(16), port: 0 },
      addrFrom: { services: 0n, ip: new Uint8Array(16), port: 0 },
      nonce: 1n,
      userAgent: '/x/',
      startHeight: 0,
      relay: true,
    } as Message)
    const events: FrameEvent[] = []
    for (const byte of concat([frame, version])) events.push(...b.t.receive(Uint8Array.of(byte)))
    expect(b.t.protocol).toBe('v1')
    expect(b.t.canSend).toBe(true)
    expect(b.sendable).toBe(1)
    expect(b.out).toEqual([]) // a responder sends nothing until it knows
    expect(events.map((e) => (e.kind === 'message' ? e.message.command : e.kind))).toEqual([
      'version',
      'verack',
    ])
    // It now frames as v1.
    const out = b.t.encode('verack', new Uint8Array(0))
    expect(Buffer.from(concat(out)).equals(Buffer.from(version))).toBe(true)
  })

  it('disconnects a v1 peer of another network (bytes 4–16 are "version", the magic is not ours)', () => {
    const b = side(false)
    b.t.start()
    const other = encodeMessage(networks.mainnet.magic, { command: 'verack' })
    const header = concat([networks.mainnet.magic, Buffer.from('version\0\0\0\0\0', 'latin1')])
    expect(other.length).toBeGreaterThan(0)
    const events = b.t.receive(header)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      kind: 'error',
      error: { code: 'V2_WRONG_NETWORK', severity: 'disconnect' },
    })
    expect(b.t.failed?.code).toBe('V2_WRONG_NETWORK')
  })
})

/** Our responder `b` against a raw initiator; returns both after the handshake. */
function rawHandshake(decoys = 0): { raw: RawV2; b: Side } {
  const raw = new RawV2(magic, true)
  const b = side(false)
  b.t.start()
  expect(b.t.receive(raw.hello())).toEqual([])
  const got = raw.read(take(b))
  expect(b.t.receive(raw.finish(decoys))).toEqual([])
  got.push(...raw.read(take(b)))
  expect(got).toEqual([{ ignore: false, contents: new Uint8Array(0) }]) // our version packet
  expect(b.t.protocol).toBe('v2')
  return { raw, b }
}

describe('V2Transport against hostile input', () => {
  it('disconnects when no garbage terminator comes within 4,095 + 16 bytes', () => {
    const raw = new RawV2(magic, true, 0)
    const b = side(false)
    b.t.start()
    b.t.receive(raw.hello())
    raw.read(take(b))
    const junk = rnd(MAX_GARBAGE_LEN + 16)
    expect(b.t.receive(junk.subarray(0, MAX_GARBAGE_LEN + 15))).toEqual([])
    expect(b.t.failed).toBeUndefined()
    const events = b.t.receive(junk.subarray(MAX_GARBAGE_LEN + 15))
    expect(events).toMatchObject([{ kind: 'error', error: { code: 'V2_NO_GARBAGE_TERMINATOR' } }])
  })

  it('accepts decoys before the version packet and between messages, and a long decoy flood', () => {
    const { raw, b } = rawHandshake(5)
    const parts: Uint8Array[] = []
    for (let i = 0; i < 5000; i++) parts.push(raw.packet(rnd(i % 300), { ignore: true }))
    parts.push(raw.message('ping', encodePayload(ping(5n))))
    const events = b.t.receive(concat(parts))
    expect(events).toEqual([{ kind: 'message', message: ping(5n), payload: nonceBytes(5n), size: 29 }])
    expect(b.t.buffered).toBe(0)
  })

  it('disconnects on a packet that fails authentication', () => {
    const { raw, b } = rawHandshake()
    const pkt = raw.message('ping', encodePayload(ping(5n)))
    pkt[pkt.length - 1]! ^= 1
    expect(b.t.receive(pkt)).toMatchObject([
      { kind: 'error', error: { code: 'V2_DECRYPT_FAILED', severity: 'disconnect' } },
    ])
    // Nothing more is read.
    expect(b.t.receive(raw.message('ping', encodePayload(ping(6n))))).toEqual([])
  })

  it('disconnects on garbage that does not match the AAD of the version packet', () => {
    const raw = new RawV2(magic, true)
    const b = side(false)
    b.t.start()
    b.t.receive(raw.hello())
    raw.read(take(b))
    // Terminator, then a version packet authenticated with the wrong AAD.
    const bad = concat([raw.sendTerminator!, raw.packet(new Uint8Array(0), { aad: Uint8Array.of(1) })])
    expect(b.t.receive(bad)).toMatchObject([{ kind: 'error', error: { code: 'V2_DECRYPT_FAILED' } }])
  })

  it('disconnects on an oversized length before buffering any of the packet', () => {
    const { raw, b } = rawHandshake()
    const huge = raw.packet(new Uint8Array(MAX_V2_CONTENTS_LEN + 1))
    const events = b.t.receive(huge.subarray(0, 1000))
    expect(events).toMatchObject([
      { kind: 'error', error: { code: 'V2_PACKET_TOO_LARGE', length: MAX_V2_CONTENTS_LEN + 1 } },
    ])
    expect(b.t.buffered).toBe(0)
  })

  it('accepts a packet of exactly the largest contents', () => {
    const { raw, b } = rawHandshake()
    const contents = new Uint8Array(MAX_V2_CONTENTS_LEN)
    contents.set(Buffer.from('\0bigthing\0\0\0\0', 'latin1'), 0)
    const events = b.t.receive(raw.packet(contents))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ kind: 'unknown', command: 'bigthing' })
  })

  it('drops a message with an unknown one-byte id or a bad long form, and goes on', () => {
    const { raw, b } = rawHandshake()
    const events = b.t.receive(
      concat([
        raw.packet(Uint8Array.of(200, 1, 2)),
        raw.packet(concat([Uint8Array.of(0), Buffer.from('pi\0ng\0\0\0\0\0\0\0', 'latin1')])),
        raw.packet(new Uint8Array(0)),
        raw.message('ping', encodePayload(ping(9n))),
      ]),
    )
    expect(events.map((e) => (e.kind === 'error' ? [e.error.code, e.error.severity] : e.kind))).toEqual([
      ['V2_BAD_MESSAGE_TYPE', 'ignore'],
      ['BAD_COMMAND', 'ignore'],
      ['V2_BAD_MESSAGE_TYPE', 'ignore'],
      'message',
    ])
  })
})

describe('BIP324 message type ids', () => {
  it('accepts every message of the table in the one-byte and the 12-byte form alike', () => {
    const { raw, b } = rawHandshake()
    expect(V2_MESSAGE_IDS).toHaveLength(29)
    for (let id = 1; id < V2_MESSAGE_IDS.length; id++) {
      const command = V2_MESSAGE_IDS[id]!
      const payload = rnd(3) // malformed for most: what matters is which command it is reported as
      const short = b.t.receive(raw.packet(concat([Uint8Array.of(id), payload])))
      const long = b.t.receive(raw.message(command, payload, true))
      expect(short).toHaveLength(1)
      const summary = (e: FrameEvent): unknown[] =>
        e.kind === 'message'
          ? [e.kind, e.message]
          : e.kind === 'unknown'
            ? [e.kind, e.command]
            : [e.kind, e.command, e.error.code]
      expect(long.map(summary)).toEqual(short.map(summary))
      const ev = short[0]!
      const reported =
        ev.kind === 'message' ? ev.message.command : ev.kind === 'unknown' ? ev.command : ev.command
      expect(reported).toBe(command)
    }
  })

  it('sends the one-byte id for a table message and the long form for the others', () => {
    const { raw, b } = rawHandshake()
    const out: Uint8Array[] = []
    out.push(...b.t.encode('inv', encodePayload({ command: 'inv', inventory: [] })))
    out.push(...b.t.encode('sendheaders', new Uint8Array(0)))
    const got = raw.read(concat(out))
    expect(got.map((p) => Buffer.from(p.contents).toString('hex'))).toEqual([
      '0e00',
      `00${Buffer.from('sendheaders\0', 'latin1').toString('hex')}`,
    ])
  })
})
