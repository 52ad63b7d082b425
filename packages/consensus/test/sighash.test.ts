/**
 * Core's legacy signature-hash vectors (sighash.json, read as Core's
 * `sighash_from_data`): `[raw_tx, script_hex, input_index, hash_type, sighash]`.
 * The script is the scriptCode as raw bytes; `hash_type` is a signed 32-bit
 * integer serialized whole; the expected hash is printed byte-reversed.
 */
import { decodeTx, fromHex, hashToHex } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { checkTransaction, legacySighash } from '../src/index.ts'
import { fixture } from './helpers.ts'

describe('sighash.json', () => {
  const cases = fixture<unknown[][]>('sighash.json').filter((e) => e.length === 5) as [
    string,
    string,
    number,
    number,
    string,
  ][]
  it('has every case', () => expect(cases.length).toBe(500))
  it('every legacy signature hash matches, and every transaction passes CheckTransaction', () => {
    const failures: string[] = []
    for (const [raw, script, index, hashType, want] of cases) {
      const tx = decodeTx(fromHex(raw))
      checkTransaction(tx)
      const got = hashToHex(legacySighash(tx, index, fromHex(script), hashType))
      if (got !== want) failures.push(`${raw.slice(0, 20)} ${index} ${hashType}: ${got} != ${want}`)
    }
    expect(failures).toEqual([])
  })
})
