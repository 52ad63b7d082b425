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
