/**
 * Reading output and input scripts for the RPC: Core's opcode names
 * (script/script.cpp GetOpName), GetScriptOp, the `asm` text
 * (core_write.cpp ScriptToAsmStr, with the sighash suffix of signatures in
 * scriptSigs) and the standard output types (script/solver.cpp Solver,
 * GetTxnOutputType). Nothing here executes a script.
 */
import { toHex } from '@node/wire'
import { isP2PKH, isP2SH, witnessProgram } from './address.ts'

const OP_PUSHDATA1 = 0x4c
const OP_PUSHDATA2 = 0x4d
const OP_PUSHDATA4 = 0x4e
const OP_1 = 0x51
const OP_16 = 0x60
const OP_RETURN = 0x6a
const OP_CHECKSIG = 0xac
const OP_CHECKMULTISIG = 0xae
/** Core MAX_SCRIPT_SIZE: longer scripts are unspendable. */
const MAX_SCRIPT_SIZE = 10_000
/** Core MAX_PUBKEYS_PER_MULTISIG. */
const MAX_PUBKEYS_PER_MULTISIG = 20

const NAMES: Record<number, string> = {
  0: '0',
  76: 'OP_PUSHDATA1',
  77: 'OP_PUSHDATA2',
  78: 'OP_PUSHDATA4',
  79: '-1',
  80: 'OP_RESERVED',
  255: 'OP_INVALIDOPCODE',
}
for (let i = 1; i <= 16; i++) NAMES[0x50 + i] = String(i)
const NAMED_RANGE: ReadonlyArray<readonly [number, readonly string[]]> = [
  [
    0x61,
    ['OP_NOP', 'OP_VER', 'OP_IF', 'OP_NOTIF', 'OP_VERIF', 'OP_VERNOTIF', 'OP_ELSE', 'OP_ENDIF', 'OP_VERIFY'],
  ],
  [
    0x6a,
    [
      'OP_RETURN',
      'OP_TOALTSTACK',
      'OP_FROMALTSTACK',
      'OP_2DROP',
      'OP_2DUP',
      'OP_3DUP',
      'OP_2OVER',
      'OP_2ROT',
      'OP_2SWAP',
      'OP_IFDUP',
      'OP_DEPTH',
      'OP_DROP',
      'OP_DUP',
      'OP_NIP',
      'OP_OVER',
      'OP_PICK',
      'OP_ROLL',
      'OP_ROT',
      'OP_SWAP',
      'OP_TUCK',
    ],
  ],
  [0x7e, ['OP_CAT', 'OP_SUBSTR', 'OP_LEFT', 'OP_RIGHT', 'OP_SIZE']],
  [
    0x83,
    ['OP_INVERT', 'OP_AND', 'OP_OR', 'OP_XOR', 'OP_EQUAL', 'OP_EQUALVERIFY', 'OP_RESERVED1', 'OP_RESERVED2'],
  ],
  [
    0x8b,
    [
      'OP_1ADD',
      'OP_1SUB',
      'OP_2MUL',
      'OP_2DIV',
      'OP_NEGATE',
      'OP_ABS',
      'OP_NOT',
      'OP_0NOTEQUAL',
      'OP_ADD',
      'OP_SUB',
      'OP_MUL',
      'OP_DIV',
      'OP_MOD',
      'OP_LSHIFT',
      'OP_RSHIFT',
      'OP_BOOLAND',
      'OP_BOOLOR',
      'OP_NUMEQUAL',
      'OP_NUMEQUALVERIFY',
      'OP_NUMNOTEQUAL',
      'OP_LESSTHAN',
      'OP_GREATERTHAN',
      'OP_LESSTHANOREQUAL',
      'OP_GREATERTHANOREQUAL',
      'OP_MIN',
      'OP_MAX',
      'OP_WITHIN',
    ],
  ],
  [
    0xa6,
    [
      'OP_RIPEMD160',
      'OP_SHA1',
      'OP_SHA256',
      'OP_HASH160',
      'OP_HASH256',
      'OP_CODESEPARATOR',
      'OP_CHECKSIG',
      'OP_CHECKSIGVERIFY',
      'OP_CHECKMULTISIG',
      'OP_CHECKMULTISIGVERIFY',
    ],
  ],
  [
    0xb0,
    [
      'OP_NOP1',
      'OP_CHECKLOCKTIMEVERIFY',
      'OP_CHECKSEQUENCEVERIFY',
      'OP_NOP4',
      'OP_NOP5',
      'OP_NOP6',
      'OP_NOP7',
      'OP_NOP8',
      'OP_NOP9',
      'OP_NOP10',
      'OP_CHECKSIGADD',
    ],
  ],
]
for (const [start, names] of NAMED_RANGE) {
  for (let i = 0; i < names.length; i++) NAMES[start + i] = names[i] as string
}

/** Core GetOpName. */
export function opName(op: number): string {
  return NAMES[op] ?? 'OP_UNKNOWN'
}

export interface ScriptOp {
  readonly opcode: number
  /** Pushed bytes (empty for non-push opcodes). */
  readonly data: Uint8Array
}

const EMPTY = new Uint8Array(0)

/**
 * Core GetScriptOp over a whole script: each opcode with its pushed data, and
 * `ok: false` at the end when the script stops in the middle of a push.
 */
export function scriptOps(script: Uint8Array): { ops: ScriptOp[]; ok: boolean } {
  const ops: ScriptOp[] = []
  let pc = 0
  while (pc < script.length) {
    const opcode = script[pc++] as number
    if (opcode > OP_PUSHDATA4) {
      ops.push({ opcode, data: EMPTY })
      continue
    }
    let size = opcode
    if (opcode === OP_PUSHDATA1) {
      if (script.length - pc < 1) return { ops, ok: false }
      size = script[pc] as number
      pc += 1
    } else if (opcode === OP_PUSHDATA2) {
      if (script.length - pc < 2) return { ops, ok: false }
      size = (script[pc] as number) | ((script[pc + 1] as number) << 8)
      pc += 2
    } else if (opcode === OP_PUSHDATA4) {
      if (script.length - pc < 4) return { ops, ok: false }
      size =
        ((script[pc] as number) |
          ((script[pc + 1] as number) << 8) |
          ((script[pc + 2] as number) << 16) |
          ((script[pc + 3] as number) << 24)) >>>
        0
      pc += 4
    }
    if (script.length - pc < size) return { ops, ok: false }
    ops.push({ opcode, data: script.subarray(pc, pc + size) })
    pc += size
  }
  return { ops, ok: true }
}

/** Core CScriptNum(vch, false).getint() for at most 4 bytes: little-endian sign and magnitude. */
function scriptNum(data: Uint8Array): number {
  if (data.length === 0) return 0
  let v = 0
  for (let i = 0; i < data.length; i++) v += (data[i] as number) * 2 ** (8 * i)
  const last = data[data.length - 1] as number
  if (last & 0x80) return -(v - 0x80 * 2 ** (8 * (data.length - 1)))
  return v
}

/** BIP66 strict DER (Core IsValidSignatureEncoding), sighash byte included. */
function isValidSignatureEncoding(sig: Uint8Array): boolean {
  const n = sig.length
  if (n < 9 || n > 73) return false
  if (sig[0] !== 0x30 || sig[1] !== n - 3) return false
  const lenR = sig[3] as number
  if (5 + lenR >= n) return false
  const lenS = sig[5 + lenR] as number
  if (lenR + lenS + 7 !== n) return false
  if (sig[2] !== 0x02 || lenR === 0 || (sig[4] as number) & 0x80) return false
  if (lenR > 1 && sig[4] === 0x00 && !((sig[5] as number) & 0x80)) return false
  if (sig[lenR + 4] !== 0x02 || lenS === 0 || (sig[lenR + 6] as number) & 0x80) return false
  if (lenS > 1 && sig[lenR + 6] === 0x00 && !((sig[lenR + 7] as number) & 0x80)) return false
  return true
}

const SIGHASH_NAMES: Record<number, string> = {
  1: 'ALL',
  129: 'ALL|ANYONECANPAY',
  2: 'NONE',
  130: 'NONE|ANYONECANPAY',
  3: 'SINGLE',
  131: 'SINGLE|ANYONECANPAY',
}

/** Core IsUnspendable: starts with OP_RETURN or is over the size limit. */
function isUnspendable(script: Uint8Array): boolean {
  return (script.length > 0 && script[0] === OP_RETURN) || script.length > MAX_SCRIPT_SIZE
}

/**
 * Core ScriptToAsmStr: pushes of up to 4 bytes as numbers, longer ones as hex
 * (in a scriptSig, `sighashDecode`, a strict-DER signature with a defined
 * sighash type shows it as `[ALL]` etc.), other opcodes by name, and
 * `[error]` where a push runs past the end.
 */
export function scriptAsm(script: Uint8Array, sighashDecode = false): string {
  const { ops, ok } = scriptOps(script)
  const parts: string[] = []
  const decode = sighashDecode && !isUnspendable(script)
  for (const { opcode, data } of ops) {
    if (opcode <= OP_PUSHDATA4) {
      if (data.length <= 4) parts.push(String(scriptNum(data)))
      else if (decode && isValidSignatureEncoding(data) && SIGHASH_NAMES[data[data.length - 1] as number]) {
        const type = SIGHASH_NAMES[data[data.length - 1] as number]
        parts.push(`${toHex(data.subarray(0, -1))}[${type}]`)
      } else parts.push(toHex(data))
    } else parts.push(opName(opcode))
  }
  if (!ok) parts.push('[error]')
  return parts.join(' ')
}

/** Core GetTxnOutputType names. */
export type OutputType =
  | 'nonstandard'
  | 'anchor'
  | 'pubkey'
  | 'pubkeyhash'
  | 'scripthash'
  | 'multisig'
  | 'nulldata'
  | 'witness_v0_keyhash'
  | 'witness_v0_scripthash'
  | 'witness_v1_taproot'
  | 'witness_unknown'

export interface Solved {
  readonly type: OutputType
  /** `pubkey`: the key; `multisig`: the keys. */
  readonly pubkeys: readonly Uint8Array[]
  /** `multisig`: signatures required. */
  readonly required: number
  /** Witness programs: version and program. */
  readonly witness?: { readonly version: number; readonly program: Uint8Array } | undefined
}

/** Core CPubKey::ValidSize: 33 bytes with 02/03, or 65 with 04/06/07. */
export function pubkeyValidSize(k: Uint8Array): boolean {
  const h = k[0]
  if (k.length === 33) return h === 0x02 || h === 0x03
  if (k.length === 65) return h === 0x04 || h === 0x06 || h === 0x07
  return false
}

/** Core IsPayToAnchor: OP_1 <0x4e73>. */
function isPayToAnchor(script: Uint8Array): boolean {
  return (
    script.length === 4 && script[0] === OP_1 && script[1] === 2 && script[2] === 0x4e && script[3] === 0x73
  )
}

/** Core GetScriptNumber for a multisig count: OP_1..OP_16, or a minimal push of a small number. */
function multisigNumber(op: ScriptOp | undefined, min: number, max: number): number | undefined {
  if (!op) return undefined
  let n: number
  if (op.opcode >= OP_1 && op.opcode <= OP_16) n = op.opcode - OP_1 + 1
  else if (op.opcode <= OP_PUSHDATA4) {
    const d = op.data
    // CheckMinimalPush and a minimally encoded CScriptNum of at most 4 bytes.
    if (d.length === 0 || d.length > 4 || op.opcode !== d.length) return undefined
    if (d.length === 1 && (d[0] as number) >= 1 && (d[0] as number) <= 16) return undefined
    if (d.length === 1 && d[0] === 0x81) return undefined
    const last = d[d.length - 1] as number
    if ((last & 0x7f) === 0 && (d.length === 1 || !((d[d.length - 2] as number) & 0x80))) return undefined
    n = scriptNum(d)
  } else return undefined
  return n < min || n > max ? undefined : n
}

/** Core MatchMultisig. */
function matchMultisig(script: Uint8Array): { required: number; keys: Uint8Array[] } | undefined {
  if (script.length < 1 || script[script.length - 1] !== OP_CHECKMULTISIG) return undefined
  const { ops, ok } = scriptOps(script)
  if (!ok) return undefined
  const required = multisigNumber(ops[0], 1, MAX_PUBKEYS_PER_MULTISIG)
  if (required === undefined) return undefined
  let i = 1
  const keys: Uint8Array[] = []
  while (i < ops.length && pubkeyValidSize((ops[i] as ScriptOp).data)) keys.push((ops[i++] as ScriptOp).data)
  const count = multisigNumber(ops[i], required, MAX_PUBKEYS_PER_MULTISIG)
  if (count === undefined || keys.length !== count) return undefined
  // The count must be followed by OP_CHECKMULTISIG and nothing else.
  return i + 2 === ops.length ? { required, keys } : undefined
}

/** Core IsPushOnly from an offset: every opcode is a push or OP_1NEGATE..OP_16 (OP_RESERVED included). */
function isPushOnly(script: Uint8Array): boolean {
  const { ops, ok } = scriptOps(script)
  return ok && ops.every((o) => o.opcode <= OP_16)
}

/** Core Solver: the standard template an output script matches. */
export function solve(script: Uint8Array): Solved {
  const none = { pubkeys: [], required: 0 }
  if (isP2SH(script)) return { type: 'scripthash', ...none }
  const w = witnessProgram(script)
  if (w) {
    const t: OutputType =
      w.version === 0 && w.program.length === 20
        ? 'witness_v0_keyhash'
        : w.version === 0 && w.program.length === 32
          ? 'witness_v0_scripthash'
          : w.version === 1 && w.program.length === 32
            ? 'witness_v1_taproot'
            : isPayToAnchor(script)
              ? 'anchor'
              : w.version !== 0
                ? 'witness_unknown'
                : 'nonstandard'
    return { type: t, ...none, witness: t === 'nonstandard' ? undefined : w }
  }
  if (script.length >= 1 && script[0] === OP_RETURN && isPushOnly(script.subarray(1))) {
    return { type: 'nulldata', ...none }
  }
  // Core MatchPayToPubkey: <33 or 65 byte key> OP_CHECKSIG.
  const keyLen = script.length - 2
  if (
    (keyLen === 33 || keyLen === 65) &&
    script[0] === keyLen &&
    script[script.length - 1] === OP_CHECKSIG &&
    pubkeyValidSize(script.subarray(1, 1 + keyLen))
  ) {
    return { type: 'pubkey', pubkeys: [script.subarray(1, 1 + keyLen)], required: 0 }
  }
  if (isP2PKH(script)) return { type: 'pubkeyhash', ...none }
  const m = matchMultisig(script)
  if (m) return { type: 'multisig', pubkeys: m.keys, required: m.required }
  return { type: 'nonstandard', ...none }
}
