/**
 * The script interpreter: Core's `EvalScript`, `VerifyScript`,
 * `VerifyWitnessProgram` and `ExecuteWitnessScript` (src/script/interpreter.cpp),
 * with BIP16 (P2SH), BIP65/112 (lock-time opcodes), BIP141/143 (segwit v0),
 * BIP341/342 (taproot, tapscript) and the policy flags of
 * src/script/interpreter.h. Failures throw {@link ScriptError} with Core's
 * error name.
 *
 * Over 600 lines, for a reason: one script engine, as Core's interpreter.cpp
 * (EvalScript and the witness/taproot verification around it) is one file.
 */
import { createHash, hash as oneShot } from 'node:crypto'
import { sha256 } from '@node/wire'
import { isLowDerSignature, isValidSignatureEncoding } from './der.ts'
import { ScriptError, type ScriptErrorCode } from './errors.ts'
import { ScriptFlags as F } from './flags.ts'
import {
  castToBool,
  checkMinimalPush,
  clampInt,
  decodeNum,
  encodeNum,
  findAndDelete,
  isOpSuccess,
  isPayToScriptHash,
  isPushOnly,
  OP,
  pushData,
  ScriptNumError,
  ScriptReader,
  witnessProgram,
} from './script.ts'
import { checkTapTweak } from './secp.ts'
import { taggedHash } from './sighash.ts'

/** Which rules a script runs under (Core's `SigVersion`). */
export const SigVersion = { BASE: 0, WITNESS_V0: 1, TAPROOT: 2, TAPSCRIPT: 3 } as const
export type SigVersion = (typeof SigVersion)[keyof typeof SigVersion]

export const MAX_SCRIPT_ELEMENT_SIZE = 520
export const MAX_OPS_PER_SCRIPT = 201
export const MAX_PUBKEYS_PER_MULTISIG = 20
export const MAX_SCRIPT_SIZE = 10_000
export const MAX_STACK_SIZE = 1000
export const LOCKTIME_THRESHOLD = 500_000_000
export const SEQUENCE_FINAL = 0xffffffff
export const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x80000000
export const SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22
export const SEQUENCE_LOCKTIME_MASK = 0x0000ffff
/** BIP342: the validation-weight budget starts at the witness size plus this. */
export const VALIDATION_WEIGHT_OFFSET = 50
export const VALIDATION_WEIGHT_PER_SIGOP_PASSED = 50
export const TAPROOT_LEAF_MASK = 0xfe
export const TAPROOT_LEAF_TAPSCRIPT = 0xc0
export const TAPROOT_CONTROL_BASE_SIZE = 33
export const TAPROOT_CONTROL_NODE_SIZE = 32
export const TAPROOT_CONTROL_MAX_NODE_COUNT = 128
export const ANNEX_TAG = 0x50

/** Per-input state of a taproot spend (Core's `ScriptExecutionData`). */
export interface ExecData {
  annexHash: Uint8Array | undefined
  tapleafHash: Uint8Array | undefined
  codeSeparatorPos: number
  validationWeightLeft: number
}

/** What the interpreter asks of the transaction (Core's `BaseSignatureChecker`). */
export interface SignatureChecker {
  /** `sig` includes its hash-type byte. */
  checkEcdsa(sig: Uint8Array, pubkey: Uint8Array, scriptCode: Uint8Array, sigversion: SigVersion): boolean
  /** Throws a ScriptError (SCHNORR_SIG_SIZE, SCHNORR_SIG_HASHTYPE, SCHNORR_SIG) on failure. */
  checkSchnorr(sig: Uint8Array, pubkey: Uint8Array, sigversion: SigVersion, exec: ExecData): void
  checkLockTime(lockTime: number): boolean
  checkSequence(sequence: number): boolean
}

const EMPTY = new Uint8Array(0)
const TRUE = Uint8Array.of(1)
const FALSE = EMPTY

function fail(code: ScriptErrorCode): never {
  throw new ScriptError(code)
}

function need(stack: readonly Uint8Array[], n: number): void {
  if (stack.length < n) fail('INVALID_STACK_OPERATION')
}

function num(v: Uint8Array, minimal: boolean, maxSize = 4): number {
  try {
    return decodeNum(v, minimal, maxSize)
  } catch (err) {
    if (err instanceof ScriptNumError) fail('SCRIPTNUM')
    throw err
  }
}

export function hash160(data: Uint8Array): Uint8Array {
  return oneShot('ripemd160', sha256(data), 'buffer') as unknown as Uint8Array
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Core's `IsCompressedOrUncompressedPubKey`. */
function isCompressedOrUncompressedPubKey(k: Uint8Array): boolean {
  if (k.length < 33) return false
  if (k[0] === 0x04) return k.length === 65
  if (k[0] === 0x02 || k[0] === 0x03) return k.length === 33
  return false
}

/** Core's `IsCompressedPubKey`. */
function isCompressedPubKey(k: Uint8Array): boolean {
  return k.length === 33 && (k[0] === 0x02 || k[0] === 0x03)
}

/** Core's `IsDefinedHashtypeSignature`. */
function isDefinedHashtype(sig: Uint8Array): boolean {
  if (sig.length === 0) return false
  const t = sig[sig.length - 1]! & ~0x80
  return t >= 1 && t <= 3
}

/** Core's `CheckSignatureEncoding`; throws on a bad encoding. */
function checkSignatureEncoding(sig: Uint8Array, flags: number): void {
  // An empty signature is a compact way of failing OP_CHECKSIG.
  if (sig.length === 0) return
  if (flags & (F.DERSIG | F.LOW_S | F.STRICTENC) && !isValidSignatureEncoding(sig)) fail('SIG_DER')
  if (flags & F.LOW_S && !isLowDerSignature(sig)) fail('SIG_HIGH_S')
  if (flags & F.STRICTENC && !isDefinedHashtype(sig)) fail('SIG_HASHTYPE')
}

/** Core's `CheckPubKeyEncoding`. */
function checkPubKeyEncoding(pubkey: Uint8Array, flags: number, sigversion: SigVersion): void {
  if (flags & F.STRICTENC && !isCompressedOrUncompressedPubKey(pubkey)) fail('PUBKEYTYPE')
  if (flags & F.WITNESS_PUBKEYTYPE && sigversion === SigVersion.WITNESS_V0 && !isCompressedPubKey(pubkey))
    fail('WITNESS_PUBKEYTYPE')
}

function isDisabled(op: number): boolean {
  return (
    op === OP.CAT ||
    op === OP.SUBSTR ||
    op === OP.LEFT ||
    op === OP.RIGHT ||
    op === OP.INVERT ||
    op === OP.AND ||
    op === OP.OR ||
    op === OP.XOR ||
    op === OP['2MUL'] ||
    op === OP['2DIV'] ||
    op === OP.MUL ||
    op === OP.DIV ||
    op === OP.MOD ||
    op === OP.LSHIFT ||
    op === OP.RSHIFT
  )
}

/** A fresh execution state for one input. */
export function newExecData(): ExecData {
  return {
    annexHash: undefined,
    tapleafHash: undefined,
    codeSeparatorPos: 0xffffffff,
    validationWeightLeft: 0,
  }
}

/**
 * Run `script` on `stack` (Core's `EvalScript`). The stack is changed in
 * place. Throws {@link ScriptError} on failure.
 */
export function evalScript(
  stack: Uint8Array[],
  script: Uint8Array,
  flags: number,
  checker: SignatureChecker,
  sigversion: SigVersion,
  exec: ExecData = newExecData(),
): void {
  // An empty script changes nothing (the common scriptSig of segwit spends).
  if (script.length === 0) return
  const legacyLimits = sigversion === SigVersion.BASE || sigversion === SigVersion.WITNESS_V0
  if (legacyLimits && script.length > MAX_SCRIPT_SIZE) fail('SCRIPT_SIZE')
  const minimal = (flags & F.MINIMALDATA) !== 0
  const r = new ScriptReader(script)
  const end = script.length
  let opCount = 0
  const vfExec: boolean[] = []
  let falseCount = 0
  const alt: Uint8Array[] = []
  let beginCodeHash = 0
  let opcodePos = 0
  exec.codeSeparatorPos = 0xffffffff

  for (; r.pos < end; opcodePos++) {
    const fExec = falseCount === 0
    if (!r.next()) fail('BAD_OPCODE')
    const opcode = r.opcode
    const data = r.data
    if (data && data.length > MAX_SCRIPT_ELEMENT_SIZE) fail('PUSH_SIZE')
    if (legacyLimits && opcode > OP.OP_16 && ++opCount > MAX_OPS_PER_SCRIPT) fail('OP_COUNT')
    if (isDisabled(opcode)) fail('DISABLED_OPCODE')
    if (opcode === OP.CODESEPARATOR && sigversion === SigVersion.BASE && flags & F.CONST_SCRIPTCODE)
      fail('OP_CODESEPARATOR')

    if (fExec && opcode <= OP.PUSHDATA4) {
      if (minimal && !checkMinimalPush(data!, opcode)) fail('MINIMALDATA')
      stack.push(data!)
    } else if (fExec || (opcode >= OP.IF && opcode <= OP.ENDIF)) {
      switch (opcode) {
        case OP.OP_1NEGATE:
        case 0x51:
        case 0x52:
        case 0x53:
        case 0x54:
        case 0x55:
        case 0x56:
        case 0x57:
        case 0x58:
        case 0x59:
        case 0x5a:
        case 0x5b:
        case 0x5c:
        case 0x5d:
        case 0x5e:
        case 0x5f:
        case 0x60:
          stack.push(encodeNum(opcode - (OP.OP_1 - 1)))
          break
        case OP.NOP:
          break
        case OP.CHECKLOCKTIMEVERIFY: {
          if (!(flags & F.CHECKLOCKTIMEVERIFY)) {
            if (flags & F.DISCOURAGE_UPGRADABLE_NOPS) fail('DISCOURAGE_UPGRADABLE_NOPS')
            break
          }
          need(stack, 1)
          // Five bytes: lock times reach 2^32 - 1.
          const lockTime = num(stack[stack.length - 1]!, minimal, 5)
          if (lockTime < 0) fail('NEGATIVE_LOCKTIME')
          if (!checker.checkLockTime(lockTime)) fail('UNSATISFIED_LOCKTIME')
          break
        }
        case OP.CHECKSEQUENCEVERIFY: {
          if (!(flags & F.CHECKSEQUENCEVERIFY)) {
            if (flags & F.DISCOURAGE_UPGRADABLE_NOPS) fail('DISCOURAGE_UPGRADABLE_NOPS')
            break
          }
          need(stack, 1)
          const sequence = num(stack[stack.length - 1]!, minimal, 5)
          if (sequence < 0) fail('NEGATIVE_LOCKTIME')
          // With the disable flag set the operand constrains nothing (reserved for upgrades).
          if (sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) break
          if (!checker.checkSequence(sequence)) fail('UNSATISFIED_LOCKTIME')
          break
        }
        case OP.NOP1:
        case OP.NOP4:
        case OP.NOP5:
        case OP.NOP6:
        case OP.NOP7:
        case OP.NOP8:
        case OP.NOP9:
        case OP.NOP10:
          if (flags & F.DISCOURAGE_UPGRADABLE_NOPS) fail('DISCOURAGE_UPGRADABLE_NOPS')
          break
        case OP.IF:
        case OP.NOTIF: {
          let value = false
          if (fExec) {
            if (stack.length < 1) fail('INVALID_STACK_OPERATION')
            const v = stack[stack.length - 1]!
            if (sigversion === SigVersion.TAPSCRIPT) {
              // Tapscript requires minimal IF/NOTIF arguments (consensus).
              if (v.length > 1 || (v.length === 1 && v[0] !== 1)) fail('TAPSCRIPT_MINIMALIF')
            }
            if (sigversion === SigVersion.WITNESS_V0 && flags & F.MINIMALIF) {
              if (v.length > 1 || (v.length === 1 && v[0] !== 1)) fail('MINIMALIF')
            }
            value = castToBool(v)
            if (opcode === OP.NOTIF) value = !value
            stack.pop()
          }
          vfExec.push(value)
          if (!value) falseCount++
          break
        }
        case OP.ELSE: {
          if (vfExec.length === 0) fail('UNBALANCED_CONDITIONAL')
          const last = vfExec.length - 1
          if (vfExec[last]) falseCount++
          else falseCount--
          vfExec[last] = !vfExec[last]
          break
        }
        case OP.ENDIF:
          if (vfExec.length === 0) fail('UNBALANCED_CONDITIONAL')
          if (!vfExec.pop()) falseCount--
          break
        case OP.VERIFY:
          need(stack, 1)
          if (castToBool(stack[stack.length - 1]!)) stack.pop()
          else fail('VERIFY')
          break
        case OP.RETURN:
          fail('OP_RETURN')
          break
        case OP.TOALTSTACK:
          need(stack, 1)
          alt.push(stack.pop()!)
          break
        case OP.FROMALTSTACK:
          if (alt.length < 1) fail('INVALID_ALTSTACK_OPERATION')
          stack.push(alt.pop()!)
          break
        case OP['2DROP']:
          need(stack, 2)
          stack.length -= 2
          break
        case OP['2DUP']: {
          need(stack, 2)
          const a = stack[stack.length - 2]!
          const b = stack[stack.length - 1]!
          stack.push(a, b)
          break
        }
        case OP['3DUP']: {
          need(stack, 3)
          const a = stack[stack.length - 3]!
          const b = stack[stack.length - 2]!
          const c = stack[stack.length - 1]!
          stack.push(a, b, c)
          break
        }
        case OP['2OVER']: {
          need(stack, 4)
          const a = stack[stack.length - 4]!
          const b = stack[stack.length - 3]!
          stack.push(a, b)
          break
        }
        case OP['2ROT']: {
          need(stack, 6)
          const [a, b] = stack.splice(stack.length - 6, 2)
          stack.push(a!, b!)
          break
        }
        case OP['2SWAP']: {
          need(stack, 4)
          const [a, b] = stack.splice(stack.length - 4, 2)
          stack.push(a!, b!)
          break
        }
        case OP.IFDUP: {
          need(stack, 1)
          const v = stack[stack.length - 1]!
          if (castToBool(v)) stack.push(v)
          break
        }
        case OP.DEPTH:
          stack.push(encodeNum(stack.length))
          break
        case OP.DROP:
          need(stack, 1)
          stack.pop()
          break
        case OP.DUP:
          need(stack, 1)
          stack.push(stack[stack.length - 1]!)
          break
        case OP.NIP:
          need(stack, 2)
          stack.splice(stack.length - 2, 1)
          break
        case OP.OVER:
          need(stack, 2)
          stack.push(stack[stack.length - 2]!)
          break
        case OP.PICK:
        case OP.ROLL: {
          need(stack, 2)
          const n = clampInt(num(stack[stack.length - 1]!, minimal))
          stack.pop()
          if (n < 0 || n >= stack.length) fail('INVALID_STACK_OPERATION')
          const v = stack[stack.length - n - 1]!
          if (opcode === OP.ROLL) stack.splice(stack.length - n - 1, 1)
          stack.push(v)
          break
        }
        case OP.ROT: {
          need(stack, 3)
          const [a] = stack.splice(stack.length - 3, 1)
          stack.push(a!)
          break
        }
        case OP.SWAP: {
          need(stack, 2)
          const a = stack[stack.length - 2]!
          stack[stack.length - 2] = stack[stack.length - 1]!
          stack[stack.length - 1] = a
          break
        }
        case OP.TUCK: {
          need(stack, 2)
          stack.splice(stack.length - 2, 0, stack[stack.length - 1]!)
          break
        }
        case OP.SIZE:
          need(stack, 1)
          stack.push(encodeNum(stack[stack.length - 1]!.length))
          break
        case OP.EQUAL:
        case OP.EQUALVERIFY: {
          need(stack, 2)
          const equal = bytesEqual(stack[stack.length - 2]!, stack[stack.length - 1]!)
          stack.length -= 2
          stack.push(equal ? TRUE : FALSE)
          if (opcode === OP.EQUALVERIFY) {
            if (equal) stack.pop()
            else fail('EQUALVERIFY')
          }
          break
        }
        case OP['1ADD']:
        case OP['1SUB']:
        case OP.NEGATE:
        case OP.ABS:
        case OP.NOT:
        case OP['0NOTEQUAL']: {
          need(stack, 1)
          let n = num(stack[stack.length - 1]!, minimal)
          if (opcode === OP['1ADD']) n += 1
          else if (opcode === OP['1SUB']) n -= 1
          else if (opcode === OP.NEGATE) n = -n
          else if (opcode === OP.ABS) n = Math.abs(n)
          else if (opcode === OP.NOT) n = n === 0 ? 1 : 0
          else n = n !== 0 ? 1 : 0
          stack.pop()
          stack.push(encodeNum(n))
          break
        }
        case OP.ADD:
        case OP.SUB:
        case OP.BOOLAND:
        case OP.BOOLOR:
        case OP.NUMEQUAL:
        case OP.NUMEQUALVERIFY:
        case OP.NUMNOTEQUAL:
        case OP.LESSTHAN:
        case OP.GREATERTHAN:
        case OP.LESSTHANOREQUAL:
        case OP.GREATERTHANOREQUAL:
        case OP.MIN:
        case OP.MAX: {
          need(stack, 2)
          const a = num(stack[stack.length - 2]!, minimal)
          const b = num(stack[stack.length - 1]!, minimal)
          let n: number
          switch (opcode) {
            case OP.ADD:
              n = a + b
              break
            case OP.SUB:
              n = a - b
              break
            case OP.BOOLAND:
              n = a !== 0 && b !== 0 ? 1 : 0
              break
            case OP.BOOLOR:
              n = a !== 0 || b !== 0 ? 1 : 0
              break
            case OP.NUMEQUAL:
            case OP.NUMEQUALVERIFY:
              n = a === b ? 1 : 0
              break
            case OP.NUMNOTEQUAL:
              n = a !== b ? 1 : 0
              break
            case OP.LESSTHAN:
              n = a < b ? 1 : 0
              break
            case OP.GREATERTHAN:
              n = a > b ? 1 : 0
              break
            case OP.LESSTHANOREQUAL:
              n = a <= b ? 1 : 0
              break
            case OP.GREATERTHANOREQUAL:
              n = a >= b ? 1 : 0
              break
            case OP.MIN:
              n = Math.min(a, b)
              break
            default:
              n = Math.max(a, b)
          }
          stack.length -= 2
          stack.push(encodeNum(n))
          if (opcode === OP.NUMEQUALVERIFY) {
            if (castToBool(stack[stack.length - 1]!)) stack.pop()
            else fail('NUMEQUALVERIFY')
          }
          break
        }
        case OP.WITHIN: {
          need(stack, 3)
          const x = num(stack[stack.length - 3]!, minimal)
          const lo = num(stack[stack.length - 2]!, minimal)
          const hi = num(stack[stack.length - 1]!, minimal)
          stack.length -= 3
          stack.push(lo <= x && x < hi ? TRUE : FALSE)
          break
        }
        case OP.RIPEMD160:
        case OP.SHA1:
        case OP.SHA256:
        case OP.HASH160:
        case OP.HASH256: {
          need(stack, 1)
          const v = stack[stack.length - 1]!
          let h: Uint8Array
          if (opcode === OP.RIPEMD160) h = createHash('ripemd160').update(v).digest()
          else if (opcode === OP.SHA1) h = createHash('sha1').update(v).digest()
          else if (opcode === OP.SHA256) h = sha256(v)
          else if (opcode === OP.HASH160) h = hash160(v)
          else h = sha256(sha256(v))
          stack[stack.length - 1] = h
          break
        }
        case OP.CODESEPARATOR:
          // Signatures hash the script from after the last executed OP_CODESEPARATOR.
          beginCodeHash = r.pos
          exec.codeSeparatorPos = opcodePos
          break
        case OP.CHECKSIG:
        case OP.CHECKSIGVERIFY: {
          need(stack, 2)
          const sig = stack[stack.length - 2]!
          const pubkey = stack[stack.length - 1]!
          const ok = evalChecksig(sig, pubkey, script, beginCodeHash, exec, flags, checker, sigversion)
          stack.length -= 2
          stack.push(ok ? TRUE : FALSE)
          if (opcode === OP.CHECKSIGVERIFY) {
            if (ok) stack.pop()
            else fail('CHECKSIGVERIFY')
          }
          break
        }
        case OP.CHECKSIGADD: {
          // Only in tapscript; before it this byte is an undefined opcode.
          if (sigversion === SigVersion.BASE || sigversion === SigVersion.WITNESS_V0) fail('BAD_OPCODE')
          need(stack, 3)
          const sig = stack[stack.length - 3]!
          const n = num(stack[stack.length - 2]!, minimal)
          const pubkey = stack[stack.length - 1]!
          const ok = evalChecksig(sig, pubkey, script, beginCodeHash, exec, flags, checker, sigversion)
          stack.length -= 3
          stack.push(encodeNum(n + (ok ? 1 : 0)))
          break
        }
        case OP.CHECKMULTISIG:
        case OP.CHECKMULTISIGVERIFY: {
          if (sigversion === SigVersion.TAPSCRIPT) fail('TAPSCRIPT_CHECKMULTISIG')
          let i = 1
          need(stack, i)
          let keys = clampInt(num(stack[stack.length - i]!, minimal))
          if (keys < 0 || keys > MAX_PUBKEYS_PER_MULTISIG) fail('PUBKEY_COUNT')
          opCount += keys
          if (opCount > MAX_OPS_PER_SCRIPT) fail('OP_COUNT')
          let ikey = ++i
          // ikey2 is the position of the last non-signature item: what NULLFAIL inspects.
          let ikey2 = keys + 2
          i += keys
          need(stack, i)
          let sigs = clampInt(num(stack[stack.length - i]!, minimal))
          if (sigs < 0 || sigs > keys) fail('SIG_COUNT')
          let isig = ++i
          i += sigs
          need(stack, i)
          let scriptCode = script.subarray(beginCodeHash)
          if (sigversion === SigVersion.BASE) {
            for (let k = 0; k < sigs; k++) {
              const res = findAndDelete(scriptCode, pushData(stack[stack.length - isig - k]!))
              if (res.found > 0 && flags & F.CONST_SCRIPTCODE) fail('SIG_FINDANDDELETE')
              scriptCode = res.script
            }
          }
          let success = true
          while (success && sigs > 0) {
            const sig = stack[stack.length - isig]!
            const pubkey = stack[stack.length - ikey]!
            checkSignatureEncoding(sig, flags)
            checkPubKeyEncoding(pubkey, flags, sigversion)
            const ok = checker.checkEcdsa(sig, pubkey, scriptCode, sigversion)
            if (ok) {
              isig++
              sigs--
            }
            ikey++
            keys--
            // More signatures left than keys: the check has failed.
            if (sigs > keys) success = false
          }
          // Pop every argument; with NULLFAIL a failure needs every signature empty.
          while (i-- > 1) {
            if (!success && flags & F.NULLFAIL && !ikey2 && stack[stack.length - 1]!.length)
              fail('SIG_NULLFAIL')
            if (ikey2 > 0) ikey2--
            stack.pop()
          }
          // The historic off-by-one: one extra item is consumed (BIP147 makes it empty).
          if (stack.length < 1) fail('INVALID_STACK_OPERATION')
          if (flags & F.NULLDUMMY && stack[stack.length - 1]!.length) fail('SIG_NULLDUMMY')
          stack.pop()
          stack.push(success ? TRUE : FALSE)
          if (opcode === OP.CHECKMULTISIGVERIFY) {
            if (success) stack.pop()
            else fail('CHECKMULTISIGVERIFY')
          }
          break
        }
        default:
          fail('BAD_OPCODE')
      }
    }
    if (stack.length + alt.length > MAX_STACK_SIZE) fail('STACK_SIZE')
  }
  if (vfExec.length !== 0) fail('UNBALANCED_CONDITIONAL')
}

/** Core's `EvalChecksig`: one signature check, by the rules of the script's version. */
function evalChecksig(
  sig: Uint8Array,
  pubkey: Uint8Array,
  script: Uint8Array,
  beginCodeHash: number,
  exec: ExecData,
  flags: number,
  checker: SignatureChecker,
  sigversion: SigVersion,
): boolean {
  if (sigversion === SigVersion.TAPSCRIPT) {
    const success = sig.length > 0
    if (success) {
      // Every non-empty signature uses up budget, whatever its outcome.
      exec.validationWeightLeft -= VALIDATION_WEIGHT_PER_SIGOP_PASSED
      if (exec.validationWeightLeft < 0) fail('TAPSCRIPT_VALIDATION_WEIGHT')
    }
    if (pubkey.length === 0) fail('TAPSCRIPT_EMPTY_PUBKEY')
    if (pubkey.length === 32) {
      if (success) checker.checkSchnorr(sig, pubkey, sigversion, exec)
    } else if (flags & F.DISCOURAGE_UPGRADABLE_PUBKEYTYPE) fail('DISCOURAGE_UPGRADABLE_PUBKEYTYPE')
    // Unknown key types verify as success (for future soft forks).
    return success
  }
  let scriptCode = script.subarray(beginCodeHash)
  if (sigversion === SigVersion.BASE) {
    const res = findAndDelete(scriptCode, pushData(sig))
    if (res.found > 0 && flags & F.CONST_SCRIPTCODE) fail('SIG_FINDANDDELETE')
    scriptCode = res.script
  }
  checkSignatureEncoding(sig, flags)
  checkPubKeyEncoding(pubkey, flags, sigversion)
  const ok = checker.checkEcdsa(sig, pubkey, scriptCode, sigversion)
  if (!ok && flags & F.NULLFAIL && sig.length) fail('SIG_NULLFAIL')
  return ok
}

/** The serialized size of a witness stack (Core's `GetSerializeSize(witness.stack)`). */
function witnessSize(witness: readonly Uint8Array[]): number {
  const cs = (n: number): number => (n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9)
  let size = cs(witness.length)
  for (const item of witness) size += cs(item.length) + item.length
  return size
}

/** Core's `ExecuteWitnessScript`. */
function executeWitnessScript(
  stack: Uint8Array[],
  script: Uint8Array,
  flags: number,
  sigversion: SigVersion,
  checker: SignatureChecker,
  exec: ExecData,
): void {
  if (sigversion === SigVersion.TAPSCRIPT) {
    // OP_SUCCESSx anywhere makes the script succeed, before anything else is checked.
    const r = new ScriptReader(script)
    while (!r.done) {
      if (!r.next()) fail('BAD_OPCODE')
      if (isOpSuccess(r.opcode)) {
        if (flags & F.DISCOURAGE_OP_SUCCESS) fail('DISCOURAGE_OP_SUCCESS')
        return
      }
    }
    if (stack.length > MAX_STACK_SIZE) fail('STACK_SIZE')
  }
  for (const item of stack) if (item.length > MAX_SCRIPT_ELEMENT_SIZE) fail('PUSH_SIZE')
  evalScript(stack, script, flags, checker, sigversion, exec)
  // Witness scripts must leave exactly one true element.
  if (stack.length !== 1) fail('CLEANSTACK')
  if (!castToBool(stack[0]!)) fail('EVAL_FALSE')
}

/** BIP341 leaf hash: TaggedHash("TapLeaf", leaf version ‖ compact size ‖ script). */
export function tapleafHash(leafVersion: number, script: Uint8Array): Uint8Array {
  const n = script.length
  const prefix =
    n < 0xfd
      ? [leafVersion, n]
      : n <= 0xffff
        ? [leafVersion, 0xfd, n & 0xff, n >> 8]
        : [leafVersion, 0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]
  return taggedHash('TapLeaf', Uint8Array.from(prefix), script)
}

/** BIP341 branch hash of two nodes, in lexicographic order. */
export function tapbranchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  for (let i = 0; i < 32; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? taggedHash('TapBranch', a, b) : taggedHash('TapBranch', b, a)
  }
  return taggedHash('TapBranch', a, b)
}

/** BIP341 tweak: TaggedHash("TapTweak", internal key ‖ merkle root). */
export function tapTweakHash(internalKey: Uint8Array, merkleRoot: Uint8Array | undefined): Uint8Array {
  return merkleRoot ? taggedHash('TapTweak', internalKey, merkleRoot) : taggedHash('TapTweak', internalKey)
}

/** Core's `VerifyTaprootCommitment`. */
export function verifyTaprootCommitment(
  control: Uint8Array,
  program: Uint8Array,
  leafHash: Uint8Array,
): boolean {
  const pathLen = (control.length - TAPROOT_CONTROL_BASE_SIZE) / TAPROOT_CONTROL_NODE_SIZE
  const internal = control.subarray(1, 33)
  let k = leafHash
  for (let i = 0; i < pathLen; i++) {
    const at = TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * i
    k = tapbranchHash(k, control.subarray(at, at + TAPROOT_CONTROL_NODE_SIZE))
  }
  return checkTapTweak(program, internal, tapTweakHash(internal, k), control[0]! & 1)
}

/** Core's `VerifyWitnessProgram`. */
function verifyWitnessProgram(
  witness: readonly Uint8Array[],
  version: number,
  program: Uint8Array,
  flags: number,
  checker: SignatureChecker,
  isP2SH: boolean,
): void {
  const stack = witness.slice()
  const exec = newExecData()
  if (version === 0) {
    if (program.length === 32) {
      if (stack.length === 0) fail('WITNESS_PROGRAM_WITNESS_EMPTY')
      const script = stack.pop()!
      if (!bytesEqual(sha256(script), program)) fail('WITNESS_PROGRAM_MISMATCH')
      executeWitnessScript(stack, script, flags, SigVersion.WITNESS_V0, checker, exec)
      return
    }
    if (program.length === 20) {
      if (stack.length !== 2) fail('WITNESS_PROGRAM_MISMATCH') // 2 items in a P2WPKH witness
      const script = new Uint8Array(25)
      script.set([OP.DUP, OP.HASH160, 20])
      script.set(program, 3)
      script.set([OP.EQUALVERIFY, OP.CHECKSIG], 23)
      executeWitnessScript(stack, script, flags, SigVersion.WITNESS_V0, checker, exec)
      return
    }
    fail('WITNESS_PROGRAM_WRONG_LENGTH')
  }
  if (version === 1 && program.length === 32 && !isP2SH) {
    if (!(flags & F.TAPROOT)) return
    if (stack.length === 0) fail('WITNESS_PROGRAM_WITNESS_EMPTY')
    const last = stack[stack.length - 1]!
    if (stack.length >= 2 && last.length > 0 && last[0] === ANNEX_TAG) {
      // The annex is signed (as SHA256 of its serialization) and otherwise ignored.
      const n = last.length
      const prefix =
        n < 0xfd
          ? [n]
          : n <= 0xffff
            ? [0xfd, n & 0xff, n >> 8]
            : [0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]
      exec.annexHash = sha256(Uint8Array.from(prefix), last)
      stack.pop()
    }
    if (stack.length === 1) {
      // Key path spending: one signature.
      checker.checkSchnorr(stack[0]!, program, SigVersion.TAPROOT, exec)
      return
    }
    // Script path spending: the script and the control block.
    const control = stack.pop()!
    const script = stack.pop()!
    if (
      control.length < TAPROOT_CONTROL_BASE_SIZE ||
      control.length >
        TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * TAPROOT_CONTROL_MAX_NODE_COUNT ||
      (control.length - TAPROOT_CONTROL_BASE_SIZE) % TAPROOT_CONTROL_NODE_SIZE !== 0
    )
      fail('TAPROOT_WRONG_CONTROL_SIZE')
    const leafVersion = control[0]! & TAPROOT_LEAF_MASK
    exec.tapleafHash = tapleafHash(leafVersion, script)
    if (!verifyTaprootCommitment(control, program, exec.tapleafHash)) fail('WITNESS_PROGRAM_MISMATCH')
    if (leafVersion === TAPROOT_LEAF_TAPSCRIPT) {
      exec.validationWeightLeft = witnessSize(witness) + VALIDATION_WEIGHT_OFFSET
      executeWitnessScript(stack, script, flags, SigVersion.TAPSCRIPT, checker, exec)
      return
    }
    if (flags & F.DISCOURAGE_UPGRADABLE_TAPROOT_VERSION) fail('DISCOURAGE_UPGRADABLE_TAPROOT_VERSION')
    return
  }
  // Pay-to-anchor (version 1, program 0x4e73) is always spendable.
  if (!isP2SH && version === 1 && program.length === 2 && program[0] === 0x4e && program[1] === 0x73) return
  if (flags & F.DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM) fail('DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM')
  // Other versions and lengths succeed, for future soft forks.
}

/**
 * Verify one input's scripts (Core's `VerifyScript`). Throws
 * {@link ScriptError} on failure.
 */
export function verifyScript(
  scriptSig: Uint8Array,
  scriptPubKey: Uint8Array,
  witness: readonly Uint8Array[],
  flags: number,
  checker: SignatureChecker,
): void {
  if (flags & F.SIGPUSHONLY && !isPushOnly(scriptSig)) fail('SIG_PUSHONLY')
  const stack: Uint8Array[] = []
  evalScript(stack, scriptSig, flags, checker, SigVersion.BASE)
  const stackCopy = flags & F.P2SH ? stack.slice() : undefined
  evalScript(stack, scriptPubKey, flags, checker, SigVersion.BASE)
  if (stack.length === 0 || !castToBool(stack[stack.length - 1]!)) fail('EVAL_FALSE')
  let hadWitness = false
  let finalStack = stack
  if (flags & F.WITNESS) {
    const wp = witnessProgram(scriptPubKey)
    if (wp) {
      hadWitness = true
      // A native witness program needs an empty scriptSig, or the txid could be changed.
      if (scriptSig.length !== 0) fail('WITNESS_MALLEATED')
      verifyWitnessProgram(witness, wp.version, wp.program, flags, checker, false)
      // Leave one element so that CLEANSTACK passes.
      finalStack = [TRUE]
    }
  }
  if (flags & F.P2SH && isPayToScriptHash(scriptPubKey)) {
    // scriptSig must be literals only, or the redeem script could be computed.
    if (!isPushOnly(scriptSig)) fail('SIG_PUSHONLY')
    const p2shStack = stackCopy!
    // The scriptSig evaluated to a non-empty stack: scriptPubKey's EQUAL needed its top.
    const redeem = p2shStack.pop()!
    evalScript(p2shStack, redeem, flags, checker, SigVersion.BASE)
    if (p2shStack.length === 0 || !castToBool(p2shStack[p2shStack.length - 1]!)) fail('EVAL_FALSE')
    finalStack = p2shStack
    if (flags & F.WITNESS) {
      const wp = witnessProgram(redeem)
      if (wp) {
        hadWitness = true
        // The scriptSig must be exactly one push of the redeem script.
        const expected = pushData(redeem)
        if (!bytesEqual(scriptSig, expected)) fail('WITNESS_MALLEATED_P2SH')
        verifyWitnessProgram(witness, wp.version, wp.program, flags, checker, true)
        finalStack = [TRUE]
      }
    }
  }
  // CLEANSTACK needs P2SH and WITNESS (Core asserts it); without them it would
  // make P2SH and witness spends fail, so it is applied only with both.
  if (flags & F.CLEANSTACK && flags & F.P2SH && flags & F.WITNESS) {
    if (finalStack.length !== 1) fail('CLEANSTACK')
  }
  if (flags & F.WITNESS) {
    // A witness where no witness program was run could be malleated away.
    if (!hadWitness && witness.length > 0) fail('WITNESS_UNEXPECTED')
  }
}
