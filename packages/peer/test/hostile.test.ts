/**
 * Hostile input, each with Core's reaction (Core test p2p_invalid_messages.py), no crash and no
 * growth. The one-byte-per-second frame is in timers.test.ts.
 */
import { randomBytes } from 'node:crypto'
import { COMMANDS, encodeMessage, frame, InvType, networks, type ProtocolError } from '@node/wire'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Misbehaviour, Peer } from '../src/index.ts'
import { compactSize, magic, peerServer, RawRemote, until, versionMessage } from './helpers.ts'

let srv: Awaited<ReturnType<typeof peerServer>>
beforeAll(async () => {
  srv = await peerServer()
})
afterAll(async () => {
  await srv.close()
})

interface Conn {
  raw: RawRemote
  peer: Peer
  reports: Misbehaviour[]
}

async function connect(handshake = true): Promise<Conn> {
  const raw = await RawRemote.connect(srv.port)
  const peer = await srv.next()
  const reports: Misbehaviour[] = []
  peer.on('misbehaving', (r) => reports.push(r))
  if (handshake) {
    await raw.handshakeAsClient()
    await peer.whenReady()
  }
  return { raw, peer, reports }
}

function codes(c: Conn): string[] {
  return c.reports.map((r) => `${r.error.code}/${r.severity}`)
}

/** The peer still answers a ping. */
async function alive(c: Conn, nonce: bigint): Promise<void> {
  c.raw.send({ command: 'ping', nonce })
  const pong = await c.raw.next('pong', c.raw.received.findIndex((m) => m.command === 'verack') + 1)
  expect(pong).toBeDefined()
  expect(c.peer.state.status).toBe('ready')
}

async function closedWith(c: Conn, code: string): Promise<void> {
  await c.raw.waitClosed()
  await c.peer.closed
  expect(c.peer.state.status).toBe('closed')
  if (c.peer.state.status === 'closed') expect(c.peer.state.error?.code).toBe(code)
}

function frameWithPayload(command: string, payload: Uint8Array): Uint8Array {
  return frame(magic, command, payload)
}

describe('framing attacks', () => {
  it('wrong magic: disconnect', async () => {
    const c = await connect()
    c.raw.write(encodeMessage(networks.mainnet.magic, { command: 'ping', nonce: 1n }))
    await closedWith(c, 'BAD_MAGIC')
    expect(codes(c)).toEqual(['BAD_MAGIC/disconnect'])
  })

  it('wrong magic before the handshake: disconnect', async () => {
    const c = await connect(false)
    c.raw.write(encodeMessage(networks.testnet3.magic, versionMessage()))
    await closedWith(c, 'BAD_MAGIC')
  })

  it('bad checksum: the message is dropped, the connection kept', async () => {
    const c = await connect()
    const bytes = encodeMessage(magic, { command: 'ping', nonce: 77n })
    bytes[20] = bytes[20]! ^ 0xff
    c.raw.write(bytes)
    await alive(c, 78n)
    expect(codes(c)).toEqual(['BAD_CHECKSUM/ignore'])
    expect(
      c.raw.received.filter((m) => m.command === 'pong').map((m) => (m as { nonce: bigint }).nonce),
    ).toEqual([78n])
    c.raw.destroy()
  })

  it('declared length over 4,000,000: disconnect before any payload is buffered', async () => {
    const c = await connect()
    const head = frameWithPayload('block', new Uint8Array(0)).slice(0, 24)
    new DataView(head.buffer).setUint32(16, 4_000_001, true)
    c.raw.write(head)
    await closedWith(c, 'PAYLOAD_TOO_LARGE')
    expect(codes(c)).toEqual(['PAYLOAD_TOO_LARGE/disconnect'])
  })

  it('a frame of exactly 4,000,000 bytes is accepted (and its unknown command ignored)', async () => {
    const c = await connect()
    const unknown: string[] = []
    c.peer.on('unknown', (cmd) => unknown.push(cmd))
    c.raw.write(frameWithPayload('bigjunk', new Uint8Array(4_000_000)))
    await alive(c, 5n)
    expect(unknown).toEqual(['bigjunk'])
    expect(c.peer.stats().received['*other*']).toEqual({ messages: 1, bytes: 4_000_024 })
    c.raw.destroy()
  })

  it('an invalid message type (badmsg\\x01, bad\\x00sg\\x01) with a valid checksum: dropped, the connection kept', async () => {
    const c = await connect()
    const ping = encodeMessage(magic, { command: 'ping', nonce: 1n })
    for (const field of ['badmsg\x01', 'bad\x00sg\x01']) {
      const bytes = ping.slice()
      bytes.fill(0, 4, 16)
      for (let i = 0; i < field.length; i++) bytes[4 + i] = field.charCodeAt(i)
      c.raw.write(bytes)
    }
    // The very next frame is read: no bytes were lost with the bad ones.
    await alive(c, 2n)
    expect(codes(c)).toEqual(['BAD_COMMAND/ignore', 'BAD_COMMAND/ignore'])
    expect(
      c.raw.received.filter((m) => m.command === 'pong').map((m) => (m as { nonce: bigint }).nonce),
    ).toEqual([2n])
    // Core counts a rejected message's bytes under *other*.
    expect(c.peer.stats().received['*other*']).toEqual({ messages: 2, bytes: 2 * ping.length })
    c.raw.destroy()
  })

  it('trailing bytes and truncated payloads: the message is dropped, the connection kept (Core ProcessMessages)', async () => {
    const c = await connect()
    c.raw.write(frameWithPayload('ping', new Uint8Array(9)))
    c.raw.write(frameWithPayload('ping', new Uint8Array(7)))
    await alive(c, 3n)
    expect(codes(c)).toEqual(['TRAILING_BYTES/ignore', 'TRUNCATED/ignore'])
    expect(
      c.raw.received.filter((m) => m.command === 'pong').map((m) => (m as { nonce: bigint }).nonce),
    ).toEqual([3n])
    c.raw.destroy()
  })
})

describe('messages that do not decode cost only the message (Core ProcessMessages)', () => {
  it('an empty addrv2, and one with an address of 513 bytes: dropped, the peer kept', async () => {
    const c = await connect()
    const messages: string[] = []
    c.peer.on('message', (m) => messages.push(m.command))
    c.raw.write(frameWithPayload('addrv2', new Uint8Array(0)))
    // count 1 ‖ time ‖ services 9 ‖ network id 1 ‖ length 513 ‖ 513 bytes ‖ port
    const long = new Uint8Array([
      1,
      ...[0x00, 0xe1, 0xf5, 0x65],
      9,
      1,
      ...compactSize(513),
      ...new Uint8Array(513).fill(7),
      0x20,
      0x8d,
    ])
    c.raw.write(frameWithPayload('addrv2', long))
    await alive(c, 4n)
    expect(codes(c)).toEqual(['TRUNCATED/ignore', 'BAD_ADDRESS_LENGTH/ignore'])
    expect(c.reports[1]!.error.message).toContain('Address too long: 513 > 512')
    expect(messages).toEqual([])
    c.raw.destroy()
  })

  it('a 0-byte pong: "Short payload", the outstanding ping is cancelled and the peer kept', async () => {
    const c = await connect()
    // We ping right after the handshake; the raw remote does not answer.
    await c.raw.next('ping')
    expect(c.peer.stats().pingWaitMs).toBeDefined()
    c.raw.write(frameWithPayload('pong', new Uint8Array(0)))
    await alive(c, 5n)
    expect(codes(c)).toEqual(['TRUNCATED/ignore'])
    expect(c.peer.stats().pingWaitMs).toBeUndefined()
    c.raw.destroy()
  })

  it('Core still disconnects where it does: an oversized frame, more than 1,000 addrv2 entries', async () => {
    const c1 = await connect()
    const head = frameWithPayload('addrv2', new Uint8Array(0)).slice(0, 24)
    new DataView(head.buffer).setUint32(16, 4_000_001, true)
    c1.raw.write(head)
    await closedWith(c1, 'PAYLOAD_TOO_LARGE')
    const c2 = await connect()
    const n = 1001
    const payload = new Uint8Array(compactSize(n).length + 9 * n)
    payload.set(compactSize(n))
    c2.raw.write(frameWithPayload('addrv2', payload))
    await closedWith(c2, 'TOO_MANY_ENTRIES')
    expect(codes(c2)).toEqual(['TOO_MANY_ENTRIES/discourage'])
  })
})

describe('protocol attacks', () => {
  it('a second version is ignored', async () => {
    const c = await connect()
    c.raw.send(versionMessage({ version: 1, userAgent: '/evil/' }))
    await alive(c, 1n)
    expect(codes(c)).toEqual(['REDUNDANT_VERSION/ignore'])
    if (c.peer.state.status === 'ready') expect(c.peer.state.remote.userAgent).toBe('/raw:1.0/')
    c.raw.destroy()
  })

  it('sendaddrv2 or wtxidrelay after verack: disconnect', async () => {
    const c1 = await connect()
    c1.raw.send({ command: 'sendaddrv2' })
    await closedWith(c1, 'NEGOTIATION_AFTER_VERACK')
    const c2 = await connect()
    c2.raw.send({ command: 'wtxidrelay' })
    await closedWith(c2, 'NEGOTIATION_AFTER_VERACK')
    expect(codes(c2)).toEqual(['NEGOTIATION_AFTER_VERACK/disconnect'])
  })

  it('anything before version is ignored, without state, until the handshake timeout', async () => {
    const c = await connect(false)
    for (const m of [{ command: 'verack' }, { command: 'getaddr' }, { command: 'ping', nonce: 1n }] as const)
      c.raw.send(m)
    c.raw.write(frameWithPayload('inv', compactSize(0)))
    await until(() => c.reports.length === 4)
    expect(new Set(codes(c))).toEqual(new Set(['MESSAGE_BEFORE_VERSION/ignore']))
    expect(c.peer.state).toMatchObject({ status: 'handshaking', remote: undefined })
    expect(c.raw.received).toEqual([])
    c.raw.destroy()
  })

  it('more than 50,000 inventory entries: discourage', async () => {
    const c = await connect()
    const n = 50_001
    const payload = new Uint8Array(compactSize(n).length + 36 * n)
    payload.set(compactSize(n))
    c.raw.write(frameWithPayload('inv', payload))
    await closedWith(c, 'TOO_MANY_ENTRIES')
    expect(codes(c)).toEqual(['TOO_MANY_ENTRIES/discourage'])
  })

  it('more than 1,000 addresses: discourage', async () => {
    const c = await connect()
    const n = 1001
    const payload = new Uint8Array(compactSize(n).length + 30 * n)
    payload.set(compactSize(n))
    c.raw.write(frameWithPayload('addr', payload))
    await closedWith(c, 'TOO_MANY_ENTRIES')
    expect(codes(c)).toEqual(['TOO_MANY_ENTRIES/discourage'])
  })

  it('a locator of more than 101 hashes: disconnect, without discouragement (Core)', async () => {
    for (const command of ['getheaders', 'getblocks']) {
      const c = await connect()
      const n = 102
      const payload = new Uint8Array(4 + 1 + 32 * n + 32)
      payload.set([0x80, 0x11, 0x01, 0x00, n])
      c.raw.write(frameWithPayload(command, payload))
      await closedWith(c, 'TOO_MANY_ENTRIES')
      expect(codes(c)).toEqual(['TOO_MANY_ENTRIES/disconnect'])
    }
  })

  it('more than 2,000 headers: discourage', async () => {
    const c = await connect()
    const n = 2001
    const payload = new Uint8Array(compactSize(n).length + 81 * n)
    payload.set(compactSize(n))
    c.raw.write(frameWithPayload('headers', payload))
    await closedWith(c, 'TOO_MANY_ENTRIES')
  })
})

describe('no growth', () => {
  it('a flood of full invs and invented commands leaves every structure bounded', async () => {
    const c = await connect()
    let invs = 0
    let unknown = 0
    c.peer.on('message', (m) => {
      if (m.command === 'inv') invs++
    })
    c.peer.on('unknown', () => unknown++)
    const n = 50_000
    for (let k = 0; k < 8; k++) {
      const payload = new Uint8Array(compactSize(n).length + 36 * n)
      payload.set(compactSize(n))
      const hashes = randomBytes(32 * n)
      for (let i = 0; i < n; i++) {
        const off = compactSize(n).length + 36 * i
        payload[off] = InvType.TX
        payload.set(hashes.subarray(32 * i, 32 * i + 32), off + 4)
      }
      c.raw.write(frameWithPayload('inv', payload))
      c.raw.write(frameWithPayload(`junk${k}`, new Uint8Array(10)))
    }
    await until(() => invs === 8 && unknown === 8)
    const s = c.peer.stats()
    expect(s.knownTx).toBeLessThanOrEqual(75_000)
    expect(Object.keys(s.received).sort()).toEqual(['*other*', 'inv', 'verack', 'version'])
    expect(s.sendQueueBytes).toBe(0)
    await alive(c, 9n)
    c.raw.destroy()
  })
})

describe('random input (fast-check)', () => {
  const knownCodes = new Set([
    'BAD_MAGIC',
    'PAYLOAD_TOO_LARGE',
    'BAD_CHECKSUM',
    'BAD_COMMAND',
    'TRUNCATED',
    'TRAILING_BYTES',
    'NON_CANONICAL_COMPACT_SIZE',
    'SIZE_TOO_LARGE',
    'TOO_MANY_ENTRIES',
    'INVALID_VALUE',
    'BAD_ADDRESS_LENGTH',
    'REDUNDANT_VERSION',
    'NEGOTIATION_AFTER_VERACK',
    'TX_RELAY_VIOLATION',
    'BLOOM_NOT_OFFERED',
  ])

  async function feed(bytes: Uint8Array): Promise<void> {
    const c = await connect()
    c.raw.write(bytes)
    // Then a valid ping: either it is answered, or the peer has closed (or
    // waits for the rest of a frame the random bytes started).
    c.raw.send({ command: 'ping', nonce: 424242n })
    await until(
      () => c.peer.state.status === 'closed' || c.raw.received.some((m) => m.command === 'pong'),
      2_000,
    ).catch(() => {})
    for (const r of c.reports) expect(knownCodes.has(r.error.code), r.error.code).toBe(true)
    const st = c.peer.state
    if (st.status === 'closed') {
      expect(knownCodes.has(st.error?.code ?? ''), st.error?.code).toBe(true)
      expect((st.error as ProtocolError).severity).toBeDefined()
    }
    c.raw.destroy()
    await c.peer.closed
    expect(c.peer.bufferedBytes).toBe(0)
  }

  it('random bytes give typed reactions only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3000 }), (bytes) => feed(bytes)),
      { numRuns: 40 },
    )
  })

  it('well-framed random payloads for every command give typed reactions only', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...COMMANDS),
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        (command, payload) => feed(frameWithPayload(command, payload)),
      ),
      { numRuns: 120 },
    )
  })
})
