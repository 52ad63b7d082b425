/**
 * CheckTransaction's reject reasons, one per rule (tx_invalid.json's BADTX
 * cases cover them too, without naming the reason).
 */
import { Tx, type TxIn, type TxOut } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { checkTransaction, MAX_MONEY } from '../src/index.ts'

const input = (n: number, script = Uint8Array.of(0x51)): TxIn => ({
  prevHash: new Uint8Array(32).fill(n + 1),
  prevIndex: n,
  script,
  sequence: 0xffffffff,
  witness: [],
})
const output = (value: bigint): TxOut => ({ value, script: Uint8Array.of(0x51) })
const tx = (inputs: TxIn[], outputs: TxOut[]): Tx => new Tx({ version: 1, locktime: 0, inputs, outputs })
const reason = (t: Tx): string | undefined => {
  try {
    checkTransaction(t)
    return undefined
  } catch (err) {
    return (err as { reason: string }).reason
  }
}

describe('checkTransaction', () => {
  it('accepts an ordinary transaction', () => {
    expect(reason(tx([input(0), input(1)], [output(5000n), output(MAX_MONEY - 5000n)]))).toBeUndefined()
  })
  it('gives Core’s reject reason for each rule', () => {
    expect(reason(tx([], [output(1n)]))).toBe('bad-txns-vin-empty')
    expect(reason(tx([input(0)], []))).toBe('bad-txns-vout-empty')
    expect(reason(tx([input(0)], [output(2n ** 64n - 1n)]))).toBe('bad-txns-vout-negative')
    expect(reason(tx([input(0)], [output(MAX_MONEY + 1n)]))).toBe('bad-txns-vout-toolarge')
    expect(reason(tx([input(0)], [output(MAX_MONEY), output(1n)]))).toBe('bad-txns-txouttotal-toolarge')
    expect(reason(tx([input(0), input(0)], [output(1n)]))).toBe('bad-txns-inputs-duplicate')
    const big = new Uint8Array(1_000_001)
    expect(reason(tx([input(0, big)], [output(1n)]))).toBe('bad-txns-oversize')
    const nullIn = { ...input(0), prevHash: new Uint8Array(32), prevIndex: 0xffffffff }
    expect(reason(tx([input(1), nullIn], [output(1n)]))).toBe('bad-txns-prevout-null')
  })
  it('checks the coinbase scriptSig length: 2 to 100 bytes', () => {
    const cb = (len: number): Tx =>
      tx(
        [{ ...input(0), prevHash: new Uint8Array(32), prevIndex: 0xffffffff, script: new Uint8Array(len) }],
        [output(1n)],
      )
    expect(reason(cb(1))).toBe('bad-cb-length')
    expect(reason(cb(2))).toBeUndefined()
    expect(reason(cb(100))).toBeUndefined()
    expect(reason(cb(101))).toBe('bad-cb-length')
  })
  it('errors are typed: code, severity and reason', () => {
    expect(() => checkTransaction(tx([], [output(1n)]))).toThrow(
      expect.objectContaining({ name: 'TxValidationError', code: 'TX_INVALID', severity: 'discourage' }),
    )
  })
})
