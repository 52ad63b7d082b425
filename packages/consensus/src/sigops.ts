/**
 * Signature-operation counting for the block limit of 80,000 sigop cost:
 * Core's `CScript::GetSigOpCount` (src/script/script.cpp),
 * `GetLegacySigOpCount`, `GetP2SHSigOpCount`, `GetTransactionSigOpCost`
 * (src/consensus/tx_verify.cpp) and `CountWitnessSigOps`/`WitnessSigOps`
 * (src/script/interpreter.cpp).
 */
import type { Tx } from '@node/wire'
import { WITNESS_SCALE_FACTOR } from './checktx.ts'
import { ScriptFlags as F } from './flags.ts'
import { MAX_PUBKEYS_PER_MULTISIG } from './interpreter.ts'
import { decodeOpN, isPayToScriptHash, isPushOnly, OP, ScriptReader, witnessProgram } from './script.ts'
import type { SpentOutput } from './verify.ts'

export const MAX_BLOCK_SIGOPS_COST = 80_000

/**
 * Sigops in a script. Inaccurate counting (for scriptSigs and outputs)
 * charges 20 for every CHECKMULTISIG; accurate counting (redeem and witness
 * scripts) charges the key count when a small number pushes it.
 */
export function countSigOps(script: Uint8Array, accurate: boolean): number {
  let n = 0
  let last = OP.INVALIDOPCODE as number
  const r = new ScriptReader(script)
  while (!r.done) {
    if (!r.next()) break
    const op = r.opcode
    if (op === OP.CHECKSIG || op === OP.CHECKSIGVERIFY) n++
    else if (op === OP.CHECKMULTISIG || op === OP.CHECKMULTISIGVERIFY) {
      if (accurate && last >= OP.OP_1 && last <= OP.OP_16) n += decodeOpN(last)
      else n += MAX_PUBKEYS_PER_MULTISIG
    }
    last = op
  }
  return n
}

/** The data of the last push in a scriptSig, or undefined when it has a non-push. */
function lastPush(scriptSig: Uint8Array): Uint8Array | undefined {
  const r = new ScriptReader(scriptSig)
  let data: Uint8Array = new Uint8Array(0)
  while (!r.done) {
    if (!r.next()) return undefined
    if (r.opcode > OP.OP_16) return undefined
    data = r.data ?? new Uint8Array(0)
  }
  return data
}

/** Sigops of a P2SH redeem script, counted from the spending scriptSig. */
export function countP2SHSigOps(scriptPubKey: Uint8Array, scriptSig: Uint8Array): number {
  if (!isPayToScriptHash(scriptPubKey)) return countSigOps(scriptPubKey, true)
  const redeem = lastPush(scriptSig)
  return redeem ? countSigOps(redeem, true) : 0
}

function witnessSigOps(version: number, program: Uint8Array, witness: readonly Uint8Array[]): number {
  if (version !== 0) return 0
  if (program.length === 20) return 1
  if (program.length === 32 && witness.length > 0) return countSigOps(witness[witness.length - 1]!, true)
  return 0
}

/** Witness sigops of one input (Core's `CountWitnessSigOps`); tapscript ones are not counted here. */
export function countWitnessSigOps(
  scriptSig: Uint8Array,
  scriptPubKey: Uint8Array,
  witness: readonly Uint8Array[],
  flags: number,
): number {
  if (!(flags & F.WITNESS)) return 0
  const wp = witnessProgram(scriptPubKey)
  if (wp) return witnessSigOps(wp.version, wp.program, witness)
  if (isPayToScriptHash(scriptPubKey) && isPushOnly(scriptSig)) {
    const redeem = lastPush(scriptSig)
    const inner = redeem && witnessProgram(redeem)
    if (inner) return witnessSigOps(inner.version, inner.program, witness)
  }
  return 0
}

/** Core's `GetLegacySigOpCount`. */
export function legacySigOpCount(tx: Tx): number {
  let n = 0
  for (const i of tx.inputs) n += countSigOps(i.script, false)
  for (const o of tx.outputs) n += countSigOps(o.script, false)
  return n
}

/** Core's `GetP2SHSigOpCount`. */
export function p2shSigOpCount(tx: Tx, spent: readonly SpentOutput[]): number {
  if (tx.isCoinbase()) return 0
  let n = 0
  for (const [i, input] of tx.inputs.entries()) {
    const prev = spent[i]!.script
    if (isPayToScriptHash(prev)) n += countP2SHSigOps(prev, input.script)
  }
  return n
}

/** Core's `GetTransactionSigOpCost`: legacy and P2SH sigops × 4 plus witness sigops. */
export function transactionSigOpCost(tx: Tx, spent: readonly SpentOutput[], flags: number): number {
  let cost = legacySigOpCount(tx) * WITNESS_SCALE_FACTOR
  if (tx.isCoinbase()) return cost
  if (flags & F.P2SH) cost += p2shSigOpCount(tx, spent) * WITNESS_SCALE_FACTOR
  for (const [i, input] of tx.inputs.entries())
    cost += countWitnessSigOps(input.script, spent[i]!.script, input.witness, flags)
  return cost
}
