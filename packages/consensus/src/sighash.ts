/**
 * Signature hashes: legacy, BIP143 (segwit v0) and BIP341/342 (taproot).
 *
 * Core: src/script/interpreter.cpp — `SignatureHash` with
 * `CTransactionSignatureSerializer` (legacy: OP_CODESEPARATORs removed from
 * the scriptCode, SIGHASH_NONE/SINGLE blank the other inputs' sequences,
 * SIGHASH_SINGLE past the last output signs the number 1), the BIP143 branch
 * of `SignatureHash`, `SignatureHashSchnorr`, and
 * `PrecomputedTransactionData::Init` for the per-transaction hashes.
 */
import { sha256, sha256d, type Tx, type TxOut, Writer } from '@node/wire'
import { OP, ScriptReader } from './script.ts'

export const SIGHASH_ALL = 1
export const SIGHASH_NONE = 2
export const SIGHASH_SINGLE = 3
export const SIGHASH_ANYONECANPAY = 0x80
/** BIP341: a 64-byte Schnorr signature signs as ALL, with hash type 0 in the message. */
export const SIGHASH_DEFAULT = 0

/** uint256 1 as bytes (little-endian): what legacy signatures sign in the two quirk cases. */
const ONE = (() => {
  const b = new Uint8Array(32)
  b[0] = 1
  return b
})()
const ZERO32: Uint8Array = new Uint8Array(32)

/** BIP340 tagged hash: SHA256(SHA256(tag) ‖ SHA256(tag) ‖ parts). */
const tagCache = new Map<string, Uint8Array>()
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  let t = tagCache.get(tag)
  if (!t) {
    t = sha256(new TextEncoder().encode(tag))
    tagCache.set(tag, t)
  }
  return sha256(t, t, ...parts)
}

function removeCodeSeparators(script: Uint8Array): Uint8Array {
  if (!script.includes(OP.CODESEPARATOR)) return script
  const w = new Writer(script.length)
  const r = new ScriptReader(script)
  let start = 0
  while (!r.done) {
    const at = r.pos
    if (!r.next()) break
    if (r.opcode === OP.CODESEPARATOR) {
      w.bytes(script.subarray(start, at))
      start = r.pos
    }
  }
  w.bytes(script.subarray(start))
  return w.finish()
}

/**
 * Legacy (pre-segwit) signature hash of input `index` (Core's `SignatureHash`
 * for `SigVersion::BASE`). `hashType` is the full 32-bit value serialized.
 * The result is the hash in internal byte order.
 */
export function legacySighash(tx: Tx, index: number, scriptCode: Uint8Array, hashType: number): Uint8Array {
  if (index >= tx.inputs.length) return ONE
  const base = hashType & 0x1f
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0
  if (base === SIGHASH_SINGLE && index >= tx.outputs.length) return ONE
  const script = removeCodeSeparators(scriptCode)
  const w = new Writer(256 + script.length)
  w.i32le(tx.version)
  const nIn = anyoneCanPay ? 1 : tx.inputs.length
  w.compactSize(nIn)
  for (let k = 0; k < nIn; k++) {
    const i = anyoneCanPay ? index : k
    const input = tx.inputs[i]!
    w.bytes(input.prevHash).u32le(input.prevIndex)
    if (i === index) w.varBytes(script)
    else w.u8(0)
    if (i !== index && (base === SIGHASH_SINGLE || base === SIGHASH_NONE)) w.u32le(0)
    else w.u32le(input.sequence)
  }
  const nOut = base === SIGHASH_NONE ? 0 : base === SIGHASH_SINGLE ? index + 1 : tx.outputs.length
  w.compactSize(nOut)
  for (let i = 0; i < nOut; i++) {
    if (base === SIGHASH_SINGLE && i !== index) w.u64le(0xffffffffffffffffn).u8(0)
    else {
      const o = tx.outputs[i]!
      w.u64le(o.value).varBytes(o.script)
    }
  }
  w.u32le(tx.locktime)
  w.i32le(hashType)
  return sha256d(w.finish())
}

function writeOutput(w: Writer, o: TxOut): void {
  w.u64le(o.value).varBytes(o.script)
}

/**
 * What the segwit signature hashes of one transaction share, computed once
 * per transaction (Core's `PrecomputedTransactionData`). The BIP341 parts
 * need every spent output.
 */
export class SighashCache {
  readonly tx: Tx
  readonly spent: readonly TxOut[] | undefined
  #prevouts: Uint8Array | undefined
  #sequences: Uint8Array | undefined
  #outputs: Uint8Array | undefined
  #amounts: Uint8Array | undefined
  #scripts: Uint8Array | undefined
  #v0: { prevouts: Uint8Array; sequences: Uint8Array; outputs: Uint8Array } | undefined

  constructor(tx: Tx, spent?: readonly TxOut[]) {
    this.tx = tx
    this.spent = spent
  }

  /** Single SHA256 of every outpoint. */
  prevouts(): Uint8Array {
    if (!this.#prevouts) {
      const w = new Writer(36 * this.tx.inputs.length)
      for (const i of this.tx.inputs) w.bytes(i.prevHash).u32le(i.prevIndex)
      this.#prevouts = sha256(w.finish())
    }
    return this.#prevouts
  }
  sequences(): Uint8Array {
    if (!this.#sequences) {
      const w = new Writer(4 * this.tx.inputs.length)
      for (const i of this.tx.inputs) w.u32le(i.sequence)
      this.#sequences = sha256(w.finish())
    }
    return this.#sequences
  }
  outputs(): Uint8Array {
    if (!this.#outputs) {
      const w = new Writer(256)
      for (const o of this.tx.outputs) writeOutput(w, o)
      this.#outputs = sha256(w.finish())
    }
    return this.#outputs
  }
  amounts(): Uint8Array {
    if (!this.#amounts) {
      const w = new Writer(8 * this.tx.inputs.length)
      for (const o of this.#spentOutputs()) w.u64le(o.value)
      this.#amounts = sha256(w.finish())
    }
    return this.#amounts
  }
  scripts(): Uint8Array {
    if (!this.#scripts) {
      const w = new Writer(256)
      for (const o of this.#spentOutputs()) w.varBytes(o.script)
      this.#scripts = sha256(w.finish())
    }
    return this.#scripts
  }
  /** BIP143's double hashes of the outpoints, sequences and outputs (SHA256 of the single ones). */
  v0(): { prevouts: Uint8Array; sequences: Uint8Array; outputs: Uint8Array } {
    this.#v0 ??= {
      prevouts: sha256(this.prevouts()),
      sequences: sha256(this.sequences()),
      outputs: sha256(this.outputs()),
    }
    return this.#v0
  }

  #spentOutputs(): readonly TxOut[] {
    if (!this.spent || this.spent.length !== this.tx.inputs.length)
      throw new TypeError('Taproot signature hashes need every spent output.')
    return this.spent
  }
}

/**
 * BIP143 signature hash (segwit v0) of input `index` spending `amount` with
 * `scriptCode`. `hashType` is the signature's last byte.
 */
export function segwitV0Sighash(
  cache: SighashCache,
  index: number,
  scriptCode: Uint8Array,
  amount: bigint,
  hashType: number,
): Uint8Array {
  const tx = cache.tx
  const base = hashType & 0x1f
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0
  const hashPrevouts = anyoneCanPay ? ZERO32 : cache.v0().prevouts
  const hashSequence =
    !anyoneCanPay && base !== SIGHASH_SINGLE && base !== SIGHASH_NONE ? cache.v0().sequences : ZERO32
  let hashOutputs: Uint8Array = ZERO32
  if (base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) hashOutputs = cache.v0().outputs
  else if (base === SIGHASH_SINGLE && index < tx.outputs.length) {
    const w = new Writer(64)
    writeOutput(w, tx.outputs[index]!)
    hashOutputs = sha256d(w.finish())
  }
  const input = tx.inputs[index]!
  const w = new Writer(160 + scriptCode.length)
  w.i32le(tx.version)
  w.bytes(hashPrevouts).bytes(hashSequence)
  w.bytes(input.prevHash).u32le(input.prevIndex)
  w.varBytes(scriptCode)
  w.u64le(amount)
  w.u32le(input.sequence)
  w.bytes(hashOutputs)
  w.u32le(tx.locktime)
  w.u32le(hashType)
  return sha256d(w.finish())
}

/** What a tapscript signature commits to beyond the transaction (BIP342). */
export interface TapscriptData {
  leafHash: Uint8Array
  /** Opcode position of the last executed OP_CODESEPARATOR, 0xffffffff for none. */
  codeSeparatorPos: number
}

/**
 * BIP341 signature message hash (Core's `SignatureHashSchnorr`), or undefined
 * for an invalid hash type or SIGHASH_SINGLE without a matching output.
 * `annexHash` is SHA256 of the compact-size-prefixed annex when present.
 */
export function taprootSighash(
  cache: SighashCache,
  index: number,
  hashType: number,
  annexHash: Uint8Array | undefined,
  tapscript?: TapscriptData,
): Uint8Array | undefined {
  if (!(hashType <= 0x03 || (hashType >= 0x81 && hashType <= 0x83))) return undefined
  const tx = cache.tx
  const outputType = hashType === SIGHASH_DEFAULT ? SIGHASH_ALL : hashType & 3
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0
  if (outputType === SIGHASH_SINGLE && index >= tx.outputs.length) return undefined
  const w = new Writer(256)
  w.u8(0) // epoch
  w.u8(hashType)
  w.i32le(tx.version)
  w.u32le(tx.locktime)
  if (!anyoneCanPay)
    w.bytes(cache.prevouts()).bytes(cache.amounts()).bytes(cache.scripts()).bytes(cache.sequences())
  if (outputType === SIGHASH_ALL) w.bytes(cache.outputs())
  const extFlag = tapscript ? 1 : 0
  w.u8((extFlag << 1) + (annexHash ? 1 : 0))
  if (anyoneCanPay) {
    const input = tx.inputs[index]!
    const spent = cache.spent?.[index]
    if (!spent) throw new TypeError('Taproot signature hashes need every spent output.')
    w.bytes(input.prevHash).u32le(input.prevIndex)
    writeOutput(w, spent)
    w.u32le(input.sequence)
  } else w.u32le(index)
  if (annexHash) w.bytes(annexHash)
  if (outputType === SIGHASH_SINGLE) {
    const o = new Writer(64)
    writeOutput(o, tx.outputs[index]!)
    w.bytes(sha256(o.finish()))
  }
  if (tapscript) {
    w.bytes(tapscript.leafHash)
    w.u8(0) // key version
    w.u32le(tapscript.codeSeparatorPos)
  }
  return taggedHash('TapSighash', w.finish())
}
