/**
 * Undo records (Core undo.h CBlockUndo/CTxUndo/TxInUndoFormatter): the byte
 * layout, round trips, and typed errors on malformed bytes.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type BlockUndo, decodeBlockUndo, encodeBlockUndo } from '../../src/index.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const P2PKH = unhex(`76a914${'22'.repeat(20)}88ac`)

describe('block undo records', () => {
  it('writes Core’s layout: counts, VARINT(code), the version dummy only above height 0, compressed TxOut', () => {
    const undo: BlockUndo = [
      [
        { value: 5_000_000_000n, script: P2PKH, height: 0, coinbase: true },
        { value: 100_000_000n, script: P2PKH, height: 1, coinbase: false },
      ],
      [],
    ]
    const h = hex(encodeBlockUndo(undo))
    // 2 txs; 2 coins: code 1 (height 0, coinbase), no dummy, amount 50 BTC = 0x32, P2PKH 00+hash;
    // code 2 (height 1), dummy 00, amount 1 BTC = 0x09, P2PKH; then 0 coins
    expect(h).toBe(`0202013200${'22'.repeat(20)}02000900${'22'.repeat(20)}00`)
    expect(decodeBlockUndo(unhex(h))).toEqual(undo)
  })

  it('round trips', () => {
    const coin = fc.record({
      value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
      script: fc.uint8Array({ maxLength: 80 }),
      height: fc.integer({ min: 0, max: 0x7fffffff }),
      coinbase: fc.boolean(),
    })
    fc.assert(
      fc.property(fc.array(fc.array(coin, { maxLength: 5 }), { maxLength: 5 }), (undo) => {
        expect(decodeBlockUndo(encodeBlockUndo(undo))).toEqual(undo)
      }),
      { numRuns: 300 },
    )
  })

  it('every strict prefix, trailing bytes and absurd counts throw CorruptUndoError', () => {
    const bytes = encodeBlockUndo([[{ value: 123n, script: P2PKH, height: 700_000, coinbase: false }]])
    for (let i = 0; i < bytes.length; i++) {
      expect(() => decodeBlockUndo(bytes.subarray(0, i))).toThrow(
        expect.objectContaining({ name: 'CorruptUndoError', code: 'CORRUPT_UNDO', severity: 'ignore' }),
      )
    }
    expect(() => decodeBlockUndo(Uint8Array.from([...bytes, 0]))).toThrow(
      expect.objectContaining({ code: 'CORRUPT_UNDO' }),
    )
    // 0xffffffff transactions declared in 5 bytes: rejected before any allocation
    expect(() => decodeBlockUndo(unhex('feffffffff'))).toThrow(
      expect.objectContaining({ code: 'CORRUPT_UNDO' }),
    )
    expect(() => decodeBlockUndo(unhex('01feffffff00'))).toThrow(
      expect.objectContaining({ code: 'CORRUPT_UNDO' }),
    )
  })

  it('random bytes give a record or a CorruptUndoError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          decodeBlockUndo(b)
        } catch (err) {
          expect((err as { code?: string }).code).toBe('CORRUPT_UNDO')
        }
      }),
      { numRuns: 2000 },
    )
  })
})
