/**
 * Transactions with and without witness data (BIP144).
 *
 * Decoding is zero-copy: scripts and witness items are views into the input
 * buffer, and the txid and wtxid are computed lazily, hashing the original
 * byte ranges (no re-serialization). Decoded transactions are treated as
 * immutable: build a new {@link Tx} to change one.
 */
import { Reader, Writer } from './buffer.ts'
import { InvalidValueError } from './errors.ts'
import type { Hash } from './hash.ts'
import { sha256d } from './hash.ts'

export interface TxIn {
  /** Previous output's txid, wire order. */
  readonly prevHash: Hash
  readonly prevIndex: number
  readonly script: Uint8Array
  readonly sequence: number
  /** Witness stack; empty when the input has none. */
  readonly witness: readonly Uint8Array[]
}

export interface TxOut {
  /** Satoshis. A bigint so that any 64-bit value round-trips. */
  readonly value: bigint
  readonly script: Uint8Array
}

const NO_WITNESS: readonly Uint8Array[] = Object.freeze([])

/** Smallest serialized input: hash 32 ‖ index 4 ‖ script length 1 ‖ sequence 4. */
const MIN_TXIN_SIZE = 41
/** Smallest serialized output: value 8 ‖ script length 1. */
const MIN_TXOUT_SIZE = 9

export class Tx {
  readonly version: number
  readonly inputs: readonly TxIn[]
  readonly outputs: readonly TxOut[]
  readonly locktime: number
  // Where the transaction's bytes live when it was decoded: the buffer, and
  // the ranges that make up its non-witness serialization.
  #raw: Uint8Array | undefined
  #stripped: [Uint8Array, Uint8Array, Uint8Array] | undefined
  #txid: Hash | undefined
  #wtxid: Hash | undefined
  #hasWitness: boolean

  constructor(fields: {
    version: number
    inputs: readonly TxIn[]
    outputs: readonly TxOut[]
    locktime: number
  }) {
    this.version = fields.version
    this.inputs = fields.inputs
    this.outputs = fields.outputs
    this.locktime = fields.locktime
    this.#hasWitness = fields.inputs.some((i) => i.witness.length > 0)
  }

  /** Used by the decoder: attach the original bytes. */
  static fromDecoded(
    version: number,
    inputs: TxIn[],
    outputs: TxOut[],
    locktime: number,
    raw: Uint8Array,
    stripped: [Uint8Array, Uint8Array, Uint8Array] | undefined,
  ): Tx {
    const tx = new Tx({ version, inputs, outputs, locktime })
    tx.#raw = raw
    tx.#stripped = stripped
    tx.#hasWitness = stripped !== undefined
    return tx
  }

  hasWitness(): boolean {
    return this.#hasWitness
  }

  /** Hash of the serialization without witness data, wire order. */
  txid(): Hash {
    if (this.#txid) return this.#txid
    if (this.#stripped) this.#txid = sha256d(...this.#stripped)
    else if (this.#raw && !this.#hasWitness) this.#txid = sha256d(this.#raw)
    else this.#txid = sha256d(this.toBytes(false))
    return this.#txid
  }

  /** Hash of the serialization with witness data (equals txid without witness). */
  wtxid(): Hash {
    if (this.#wtxid) return this.#wtxid
    if (!this.#hasWitness) this.#wtxid = this.txid()
    else this.#wtxid = sha256d(this.#raw ?? this.toBytes(true))
    return this.#wtxid
  }

  isCoinbase(): boolean {
    const i = this.inputs[0]
    return this.inputs.length === 1 && i !== undefined && i.prevIndex === 0xffffffff && isZero(i.prevHash)
  }

  /** Serialized bytes; with witness data when `witness` and the tx has any. */
  toBytes(witness = true): Uint8Array {
    if (this.#raw && (witness || !this.#hasWitness)) return this.#raw
    const w = new Writer(256)
    writeTx(w, this, witness)
    const out = w.finish()
    if (witness || !this.#hasWitness) this.#raw = out
    return out
  }

  /** Size with witness data. */
  size(): number {
    return this.toBytes(true).length
  }

  /** Size without witness data. */
  strippedSize(): number {
    if (!this.#hasWitness) return this.size()
    if (this.#stripped) return this.#stripped[0].length + this.#stripped[1].length + this.#stripped[2].length
    return this.toBytes(false).length
  }

  /** BIP141 weight: stripped size × 3 + total size. */
  weight(): number {
    return this.strippedSize() * 3 + this.size()
  }

  vsize(): number {
    return Math.ceil(this.weight() / 4)
  }
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false
  return true
}

/** Decode one transaction at the reader's position (BIP144 aware, Core's rules). */
export function readTx(r: Reader): Tx {
  const buf = r.buf
  const start = r.pos
  const version = r.i32le('tx version')
  const afterVersion = r.pos
  let nIn = r.listLength('tx input count', MIN_TXIN_SIZE)
  let flags = 0
  let ioStart = afterVersion
  if (nIn === 0) {
    // Either the BIP144 marker, or a transaction with no inputs.
    flags = r.u8('tx flags')
    if (flags !== 0) {
      ioStart = r.pos
      nIn = r.listLength('tx input count', MIN_TXIN_SIZE)
    }
  }
  const inputs: TxIn[] = new Array(nIn)
  for (let i = 0; i < nIn; i++) {
    const prevHash = r.bytes(32, 'prevout hash')
    const prevIndex = r.u32le('prevout index')
    const script = r.varBytes('scriptSig')
    const sequence = r.u32le('sequence')
    inputs[i] = { prevHash, prevIndex, script, sequence, witness: NO_WITNESS }
  }
  let outputs: TxOut[]
  if (nIn === 0 && flags === 0) {
    // The byte read as flags was the output count, which must then be 0.
    outputs = []
  } else {
    const nOut = r.listLength('tx output count', MIN_TXOUT_SIZE)
    outputs = new Array(nOut)
    for (let i = 0; i < nOut; i++) {
      const value = r.u64le('output value')
      const script = r.varBytes('scriptPubKey')
      outputs[i] = { value, script }
    }
  }
  const ioEnd = r.pos
  if (flags & 1) {
    let any = false
    for (let i = 0; i < nIn; i++) {
      const n = r.listLength('witness item count', 1)
      if (n === 0) continue
      any = true
      const items: Uint8Array[] = new Array(n)
      for (let j = 0; j < n; j++) items[j] = r.varBytes('witness item')
      const input = inputs[i]!
      inputs[i] = { ...input, witness: items }
    }
    if (!any)
      throw new InvalidValueError(
        'Superfluous witness record: the witness flag is set but every witness is empty.',
      )
    flags ^= 1
  }
  if (flags !== 0) throw new InvalidValueError(`Unknown transaction optional data (flags ${flags}).`)
  const lockStart = r.pos
  const locktime = r.u32le('locktime')
  const raw = buf.subarray(start, r.pos)
  const stripped: [Uint8Array, Uint8Array, Uint8Array] | undefined =
    ioStart === afterVersion
      ? undefined
      : [
          buf.subarray(start, afterVersion),
          buf.subarray(ioStart, ioEnd),
          buf.subarray(lockStart, lockStart + 4),
        ]
  return Tx.fromDecoded(version, inputs, outputs, locktime, raw, stripped)
}

/** Encode a transaction; with witness data when `witness` and any input has some. */
export function writeTx(w: Writer, tx: Tx, witness = true): void {
  const segwit = witness && tx.hasWitness()
  w.i32le(tx.version)
  if (segwit) w.u8(0).u8(1)
  w.compactSize(tx.inputs.length)
  for (const i of tx.inputs) {
    w.bytes(i.prevHash).u32le(i.prevIndex).varBytes(i.script).u32le(i.sequence)
  }
  w.compactSize(tx.outputs.length)
  for (const o of tx.outputs) w.u64le(o.value).varBytes(o.script)
  if (segwit) {
    for (const i of tx.inputs) {
      w.compactSize(i.witness.length)
      for (const item of i.witness) w.varBytes(item)
    }
  }
  w.u32le(tx.locktime)
}

/** Decode a whole buffer as one transaction; trailing bytes are an error. */
export function decodeTx(bytes: Uint8Array): Tx {
  const r = new Reader(bytes)
  const tx = readTx(r)
  if (r.remaining !== 0) throw new InvalidValueError(`${r.remaining} trailing bytes after the transaction.`)
  return tx
}
