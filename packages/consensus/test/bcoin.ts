/**
 * bcoin 1.0.2's interpreter (`Script.verify`, pure-JavaScript crypto) and
 * ours, on the same input, for the differential tests.
 */
import { createRequire } from 'node:module'
import type { Tx } from '@node/wire'
import { type SpentOutput, TxVerifier } from '../src/index.ts'

process.env['NODE_BACKEND'] = 'js'
const bcoin = createRequire(import.meta.url)('bcoin') as {
  Script: {
    fromRaw(b: Buffer): unknown
    verify(i: unknown, w: unknown, o: unknown, tx: unknown, index: number, value: number, flags: number): void
  }
  Witness: { fromItems(items: Buffer[]): unknown }
  TX: { fromRaw(b: Buffer): unknown }
}

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength)

export interface Case {
  tx: Tx
  index: number
  spent: SpentOutput[]
  flags: number
}

export function ours(c: Case): string {
  try {
    new TxVerifier(c.tx, c.spent).verify(c.index, c.flags)
    return 'OK'
  } catch (err) {
    if ((err as { name?: string }).name !== 'ScriptError') throw err
    return (err as { code: string }).code
  }
}

export function theirs(c: Case): string {
  const input = c.tx.inputs[c.index]!
  const prev = c.spent[c.index]!
  try {
    bcoin.Script.verify(
      bcoin.Script.fromRaw(buf(input.script)),
      bcoin.Witness.fromItems(input.witness.map(buf)),
      bcoin.Script.fromRaw(buf(prev.script)),
      bcoin.TX.fromRaw(buf(c.tx.toBytes())),
      c.index,
      Number(prev.value),
      c.flags,
    )
    return 'OK'
  } catch (err) {
    return (err as { code?: string }).code ?? `THREW ${String(err)}`
  }
}
