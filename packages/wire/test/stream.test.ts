import {
  decodeFrame,
  decodePayload,
  encodeMessage,
  FrameDecoder,
  type FrameEvent,
  frame,
  isProtocolError,
  MAX_INV_SZ,
  networks,
} from '@node/wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { golden, hex, unhex } from './helpers.ts'

const magic = unhex(golden.magic)
const frames = golden.vectors.map((v) => unhex(v.frame_hex))
const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0))
{
  let off = 0
  for (const f of frames) {
    all.set(f, off)
    off += f.length
  }
}

/** A comparable summary of the events: command and re-encoded frame bytes. */
function summary(events: FrameEvent[]): string[] {
  return events.map((e) =>
    e.kind === 'message' ? `${e.message.command}:${hex(encodeMessage(magic, e.message))}` : `${e.kind}`,
  )
}

/** `frame` with its 12-byte command field replaced by `field` (NUL-padded), checksum kept. */
function withCommandField(frameBytes: Uint8Array, field: string): Uint8Array {
  const out = frameBytes.slice()
  out.fill(0, 4, 16)
  for (let i = 0; i < field.length; i++) out[4 + i] = field.charCodeAt(i)
  return out
}

const whole = summary(new FrameDecoder({ magic }).push(all))

describe('streaming decoder', () => {
  it('decodes every golden frame from one big chunk', () => {
    expect(whole).toHaveLength(frames.length)
    expect(whole.map((s) => s.split(':')[1])).toEqual(frames.map((f) => hex(f)))
  })

  it('gives the same messages when fed one byte at a time', () => {
    const d = new FrameDecoder({ magic })
    const events: FrameEvent[] = []
    for (let i = 0; i < all.length; i++) events.push(...d.push(all.subarray(i, i + 1)))
    expect(summary(events)).toEqual(whole)
    expect(d.partial).toBe(false)
  })

  it('property: however the bytes are split, the same messages come out', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 200 }), (sizes) => {
        const d = new FrameDecoder({ magic })
        const events: FrameEvent[] = []
        let off = 0
        let i = 0
        while (off < all.length) {
          const n = sizes[i++ % sizes.length]!
          events.push(...d.push(all.subarray(off, off + n)))
          off += n
        }
        expect(summary(events)).toEqual(whole)
      }),
      { numRuns: 60 },
    )
  })

  it('reports an unknown command and carries on', () => {
    const unknown = frame(magic, 'futurecmd', Uint8Array.of(1, 2, 3))
    const ping = encodeMessage(magic, { command: 'ping', nonce: 7n })
    const events = new FrameDecoder({ magic }).push(new Uint8Array([...unknown, ...ping]))
    expect(events.map((e) => e.kind)).toEqual(['unknown', 'message'])
    expect(events[0]!.kind === 'unknown' && events[0]!.command).toBe('futurecmd')
  })

  it('drops a frame with a bad checksum and keeps decoding (Core: ignore)', () => {
    const bad = encodeMessage(magic, { command: 'ping', nonce: 1n })
    bad[20]! ^= 0xff
    const good = encodeMessage(magic, { command: 'pong', nonce: 1n })
    const events = new FrameDecoder({ magic }).push(new Uint8Array([...bad, ...good]))
    expect(events.map((e) => (e.kind === 'error' ? e.error.code : e.kind))).toEqual([
      'BAD_CHECKSUM',
      'message',
    ])
  })

  it('drops a frame whose command field is invalid and decodes the next one (Core: ignore)', () => {
    // Core's own test types: a control byte, and a byte after the first NUL.
    for (const field of ['badmsg\x01', 'bad\x00sg\x01']) {
      const bad = withCommandField(encodeMessage(magic, { command: 'ping', nonce: 1n }), field)
      const good = encodeMessage(magic, { command: 'ping', nonce: 2n })
      const d = new FrameDecoder({ magic })
      const events = d.push(new Uint8Array([...bad, ...good]))
      expect(
        events.map((e) => (e.kind === 'error' ? `${e.error.code}/${e.error.severity}` : e.kind)),
      ).toEqual(['BAD_COMMAND/ignore', 'message'])
      expect(events[0]).toMatchObject({ kind: 'error', command: undefined, size: bad.length })
      expect(events[1]!.kind === 'message' && events[1]!.message).toEqual({ command: 'ping', nonce: 2n })
      expect(d.failed).toBeUndefined()
      // The same, split at every byte: the frame is delimited by its length either way.
      const d2 = new FrameDecoder({ magic })
      const split: FrameEvent[] = []
      const both = new Uint8Array([...bad, ...good])
      for (let i = 0; i < both.length; i++) split.push(...d2.push(both.subarray(i, i + 1)))
      expect(split.map((e) => e.kind)).toEqual(['error', 'message'])
    }
  })

  it('checks the checksum before the command field, as Core does', () => {
    const bad = withCommandField(encodeMessage(magic, { command: 'ping', nonce: 1n }), 'badmsg\x01')
    bad[20]! ^= 0xff
    const events = new FrameDecoder({ magic }).push(bad)
    expect(events[0]!.kind === 'error' && events[0]!.error.code).toBe('BAD_CHECKSUM')
    expect(() => decodeFrame(magic, bad)).toThrow(expect.objectContaining({ code: 'BAD_CHECKSUM' }))
  })

  it('stops for good after a wrong magic (Core: disconnect)', () => {
    const d = new FrameDecoder({ magic })
    const other = encodeMessage(networks.mainnet.magic, { command: 'ping', nonce: 1n })
    const events = d.push(other)
    expect(events[0]!.kind === 'error' && events[0]!.error.code).toBe('BAD_MAGIC')
    expect(d.failed?.severity).toBe('disconnect')
    expect(d.push(encodeMessage(magic, { command: 'ping', nonce: 2n }))).toEqual([])
  })

  it('rejects an inv of 50,001 entries as misbehaviour, from its count', () => {
    const n = MAX_INV_SZ + 1
    const payload = new Uint8Array(3 + n * 36)
    payload.set([0xfd, n & 0xff, n >> 8])
    const events = new FrameDecoder({ magic }).push(frame(magic, 'inv', payload))
    const e = events[0]!
    expect(e.kind === 'error' && [e.error.code, e.error.severity]).toEqual(['TOO_MANY_ENTRIES', 'discourage'])
  })

  it('holds no more than one declared payload, however a peer dribbles bytes', () => {
    const d = new FrameDecoder({ magic })
    const big = encodeMessage(magic, { command: 'ping', nonce: 9n })
    for (let i = 0; i < 20; i++) d.push(big.subarray(i, i + 1))
    expect(d.buffered).toBe(20)
    expect(d.partial).toBe(true)
  })
})

describe('one-shot decoder', () => {
  it('reports bytes after the frame as extra bytes, not as a truncated frame', () => {
    const ping = encodeMessage(magic, { command: 'ping', nonce: 3n })
    const padded = new Uint8Array([...ping, 0])
    let caught: unknown
    try {
      decodeFrame(magic, padded)
    } catch (err) {
      caught = err
    }
    expect(caught).toMatchObject({ code: 'EXTRA_FRAME_BYTES' })
    expect(String(caught)).toContain('1 bytes follow the 32-byte frame')
    expect(() => decodeFrame(magic, ping.subarray(0, 31))).toThrow(
      expect.objectContaining({ code: 'TRUNCATED_FRAME' }),
    )
  })

  it('rejects an invalid command field with BAD_COMMAND (ignore)', () => {
    const bad = withCommandField(encodeMessage(magic, { command: 'ping', nonce: 1n }), 'bad\x00sg\x01')
    expect(() => decodeFrame(magic, bad)).toThrow(
      expect.objectContaining({ code: 'BAD_COMMAND', severity: 'ignore' }),
    )
  })
})

describe('fuzz: random and mutated input only ever gives typed errors', () => {
  const commands = [...new Set(golden.vectors.map((v) => v.command))]

  it('random payloads for every command', () => {
    fc.assert(
      fc.property(fc.constantFrom(...commands), fc.uint8Array({ maxLength: 400 }), (command, payload) => {
        try {
          decodePayload(command as 'ping', payload)
        } catch (err) {
          expect(isProtocolError(err), String(err)).toBe(true)
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('mutated golden payloads (flipped, inserted and deleted bytes)', () => {
    const vectors = golden.vectors.filter((v) => v.payload_hex.length < 20000)
    fc.assert(
      fc.property(
        fc.constantFrom(...vectors),
        fc.array(
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (v, edits) => {
          const bytes = Array.from(unhex(v.payload_hex))
          for (const [pos, val, op] of edits) {
            const p = bytes.length === 0 ? 0 : pos % bytes.length
            if (op === 'flip') bytes[p] = val
            else if (op === 'insert') bytes.splice(p, 0, val)
            else bytes.splice(p, 1)
          }
          try {
            decodePayload(v.command as 'ping', Uint8Array.from(bytes))
          } catch (err) {
            expect(isProtocolError(err), String(err)).toBe(true)
          }
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('random and mutated whole frames through the one-shot and streaming decoders', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc
            .tuple(
              fc.constantFrom(...frames.filter((f) => f.length < 5000)),
              fc.nat(),
              fc.integer({ min: 0, max: 255 }),
            )
            .map(([f, pos, val]) => {
              const c = f.slice()
              c[pos % c.length] = val
              return c
            }),
        ),
        (bytes) => {
          try {
            decodeFrame(magic, bytes)
          } catch (err) {
            expect(isProtocolError(err), String(err)).toBe(true)
          }
          for (const e of new FrameDecoder({ magic }).push(bytes)) {
            if (e.kind === 'error') expect(isProtocolError(e.error)).toBe(true)
          }
        },
      ),
      { numRuns: 3000 },
    )
  })
})
