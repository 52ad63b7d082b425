/**
 * Script bytes: opcodes, parsing one operation at a time, script numbers,
 * and the script shapes consensus recognises.
 *
 * Core: src/script/script.h and script.cpp (`opcodetype`, `GetScriptOp`,
 * `CScriptNum`, `CheckMinimalPush`, `IsPushOnly`, `IsPayToScriptHash`,
 * `IsWitnessProgram`, `IsOpSuccess`), src/script/interpreter.cpp (`CastToBool`,
 * `FindAndDelete`).
 */

export const OP = {
  OP_0: 0x00,
  PUSHDATA1: 0x4c,
  PUSHDATA2: 0x4d,
  PUSHDATA4: 0x4e,
  OP_1NEGATE: 0x4f,
  RESERVED: 0x50,
  OP_1: 0x51,
  OP_16: 0x60,
  NOP: 0x61,
  VER: 0x62,
  IF: 0x63,
  NOTIF: 0x64,
  VERIF: 0x65,
  VERNOTIF: 0x66,
  ELSE: 0x67,
  ENDIF: 0x68,
  VERIFY: 0x69,
  RETURN: 0x6a,
  TOALTSTACK: 0x6b,
  FROMALTSTACK: 0x6c,
  '2DROP': 0x6d,
  '2DUP': 0x6e,
  '3DUP': 0x6f,
  '2OVER': 0x70,
  '2ROT': 0x71,
  '2SWAP': 0x72,
  IFDUP: 0x73,
  DEPTH: 0x74,
  DROP: 0x75,
  DUP: 0x76,
  NIP: 0x77,
  OVER: 0x78,
  PICK: 0x79,
  ROLL: 0x7a,
  ROT: 0x7b,
  SWAP: 0x7c,
  TUCK: 0x7d,
  CAT: 0x7e,
  SUBSTR: 0x7f,
  LEFT: 0x80,
  RIGHT: 0x81,
  SIZE: 0x82,
  INVERT: 0x83,
  AND: 0x84,
  OR: 0x85,
  XOR: 0x86,
  EQUAL: 0x87,
  EQUALVERIFY: 0x88,
  RESERVED1: 0x89,
  RESERVED2: 0x8a,
  '1ADD': 0x8b,
  '1SUB': 0x8c,
  '2MUL': 0x8d,
  '2DIV': 0x8e,
  NEGATE: 0x8f,
  ABS: 0x90,
  NOT: 0x91,
  '0NOTEQUAL': 0x92,
  ADD: 0x93,
  SUB: 0x94,
  MUL: 0x95,
  DIV: 0x96,
  MOD: 0x97,
  LSHIFT: 0x98,
  RSHIFT: 0x99,
  BOOLAND: 0x9a,
  BOOLOR: 0x9b,
  NUMEQUAL: 0x9c,
  NUMEQUALVERIFY: 0x9d,
  NUMNOTEQUAL: 0x9e,
  LESSTHAN: 0x9f,
  GREATERTHAN: 0xa0,
  LESSTHANOREQUAL: 0xa1,
  GREATERTHANOREQUAL: 0xa2,
  MIN: 0xa3,
  MAX: 0xa4,
  WITHIN: 0xa5,
  RIPEMD160: 0xa6,
  SHA1: 0xa7,
  SHA256: 0xa8,
  HASH160: 0xa9,
  HASH256: 0xaa,
  CODESEPARATOR: 0xab,
  CHECKSIG: 0xac,
  CHECKSIGVERIFY: 0xad,
  CHECKMULTISIG: 0xae,
  CHECKMULTISIGVERIFY: 0xaf,
  NOP1: 0xb0,
  CHECKLOCKTIMEVERIFY: 0xb1,
  CHECKSEQUENCEVERIFY: 0xb2,
  NOP4: 0xb3,
  NOP5: 0xb4,
  NOP6: 0xb5,
  NOP7: 0xb6,
  NOP8: 0xb7,
  NOP9: 0xb8,
  NOP10: 0xb9,
  CHECKSIGADD: 0xba,
  INVALIDOPCODE: 0xff,
} as const

/** One parsed operation: the opcode, and the pushed bytes for a push. */
export interface ScriptOp {
  opcode: number
  data: Uint8Array | undefined
}

/**
 * A cursor over a script, reading one operation at a time (Core's
 * `GetScriptOp`). After a failed read `pos` has moved past what was read,
 * as in Core; the script ends at the first failure.
 */
export class ScriptReader {
  readonly script: Uint8Array
  pos = 0
  opcode = OP.INVALIDOPCODE as number
  data: Uint8Array | undefined = undefined
  constructor(script: Uint8Array, pos = 0) {
    this.script = script
    this.pos = pos
  }
  get done(): boolean {
    return this.pos >= this.script.length
  }
  /** Read the next operation into `opcode`/`data`; false at the end or on a truncated push. */
  next(): boolean {
    const s = this.script
    const end = s.length
    this.opcode = OP.INVALIDOPCODE
    this.data = undefined
    if (this.pos >= end) return false
    const opcode = s[this.pos++]!
    if (opcode <= OP.PUSHDATA4) {
      let size: number
      if (opcode < OP.PUSHDATA1) size = opcode
      else if (opcode === OP.PUSHDATA1) {
        if (end - this.pos < 1) return false
        size = s[this.pos++]!
      } else if (opcode === OP.PUSHDATA2) {
        if (end - this.pos < 2) return false
        size = s[this.pos]! | (s[this.pos + 1]! << 8)
        this.pos += 2
      } else {
        if (end - this.pos < 4) return false
        size =
          (s[this.pos]! | (s[this.pos + 1]! << 8) | (s[this.pos + 2]! << 16) | (s[this.pos + 3]! << 24)) >>> 0
        this.pos += 4
      }
      if (end - this.pos < size) return false
      this.data = s.subarray(this.pos, this.pos + size)
      this.pos += size
    }
    this.opcode = opcode
    return true
  }
}

/** Parse a whole script; undefined when a push runs past the end. */
export function parseScript(script: Uint8Array): ScriptOp[] | undefined {
  const r = new ScriptReader(script)
  const ops: ScriptOp[] = []
  while (!r.done) {
    if (!r.next()) return undefined
    ops.push({ opcode: r.opcode, data: r.data })
  }
  return ops
}

/** `OP_1`…`OP_16` to 1…16, `OP_0` to 0 (Core's `DecodeOP_N`). */
export function decodeOpN(opcode: number): number {
  if (opcode === OP.OP_0) return 0
  return opcode - (OP.OP_1 - 1)
}

/** The shortest push of `data` (Core's `CScript::operator<<(std::vector<unsigned char>)`). */
export function pushData(data: Uint8Array): Uint8Array {
  const n = data.length
  let head: number[]
  if (n < OP.PUSHDATA1) head = [n]
  else if (n <= 0xff) head = [OP.PUSHDATA1, n]
  else if (n <= 0xffff) head = [OP.PUSHDATA2, n & 0xff, n >> 8]
  else head = [OP.PUSHDATA4, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]
  const out = new Uint8Array(head.length + n)
  out.set(head)
  out.set(data, head.length)
  return out
}

/** True when `opcode` is the shortest way to push `data` (Core's `CheckMinimalPush`). */
export function checkMinimalPush(data: Uint8Array, opcode: number): boolean {
  const n = data.length
  if (n === 0) return opcode === OP.OP_0
  if (n === 1 && data[0]! >= 1 && data[0]! <= 16) return opcode === OP.OP_1 + (data[0]! - 1)
  if (n === 1 && data[0] === 0x81) return opcode === OP.OP_1NEGATE
  if (n <= 75) return opcode === n
  if (n <= 255) return opcode === OP.PUSHDATA1
  if (n <= 65535) return opcode === OP.PUSHDATA2
  return true
}

/** Core's `CastToBool`: any non-zero byte, except a lone sign bit at the end (negative zero). */
export function castToBool(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== 0) return !(i === v.length - 1 && v[i] === 0x80)
  }
  return false
}

/** Thrown by {@link decodeNum} (Core's `scriptnum_error`). */
export class ScriptNumError extends Error {}

/**
 * Decode a script number (Core's `CScriptNum(vch, fRequireMinimal, nMaxNumSize)`):
 * little-endian, sign in the top bit of the last byte; at most `maxSize` bytes.
 */
export function decodeNum(v: Uint8Array, minimal: boolean, maxSize = 4): number {
  const n = v.length
  if (n > maxSize) throw new ScriptNumError('script number overflow')
  if (n === 0) return 0
  if (minimal && (v[n - 1]! & 0x7f) === 0 && (n <= 1 || (v[n - 2]! & 0x80) === 0))
    throw new ScriptNumError('non-minimally encoded script number')
  let result = 0
  for (let i = 0; i < n; i++) result += v[i]! * 2 ** (8 * i)
  const top = v[n - 1]!
  if (top & 0x80) return -(result - 0x80 * 2 ** (8 * (n - 1)))
  return result
}

/** Encode a script number (Core's `CScriptNum::serialize`). */
export function encodeNum(value: number): Uint8Array {
  if (value === 0) return new Uint8Array(0)
  const neg = value < 0
  let abs = Math.abs(value)
  const out: number[] = []
  while (abs > 0) {
    out.push(abs % 256)
    abs = Math.floor(abs / 256)
  }
  if (out[out.length - 1]! & 0x80) out.push(neg ? 0x80 : 0)
  else if (neg) out[out.length - 1]! |= 0x80
  return Uint8Array.from(out)
}

/** Core's `CScriptNum::getint`: clamp to a 32-bit signed integer. */
export function clampInt(n: number): number {
  if (n > 0x7fffffff) return 0x7fffffff
  if (n < -0x80000000) return -0x80000000
  return n
}

/** Only push operations (OP_RESERVED counts, as in Core's `IsPushOnly`). */
export function isPushOnly(script: Uint8Array): boolean {
  const r = new ScriptReader(script)
  while (!r.done) {
    if (!r.next()) return false
    if (r.opcode > OP.OP_16) return false
  }
  return true
}

/** OP_HASH160 <20 bytes> OP_EQUAL (BIP16). */
export function isPayToScriptHash(s: Uint8Array): boolean {
  return s.length === 23 && s[0] === OP.HASH160 && s[1] === 0x14 && s[22] === OP.EQUAL
}

/** A witness program's version and program (BIP141), or undefined. */
export function witnessProgram(s: Uint8Array): { version: number; program: Uint8Array } | undefined {
  if (s.length < 4 || s.length > 42) return undefined
  const v = s[0]!
  if (v !== OP.OP_0 && (v < OP.OP_1 || v > OP.OP_16)) return undefined
  if (s[1]! + 2 !== s.length) return undefined
  return { version: decodeOpN(v), program: s.subarray(2) }
}

/** BIP342's OP_SUCCESSx opcodes (Core's `IsOpSuccess`). */
export function isOpSuccess(op: number): boolean {
  return (
    op === 80 ||
    op === 98 ||
    (op >= 126 && op <= 129) ||
    (op >= 131 && op <= 134) ||
    (op >= 137 && op <= 138) ||
    (op >= 141 && op <= 142) ||
    (op >= 149 && op <= 153) ||
    (op >= 187 && op <= 254)
  )
}

/**
 * Remove every occurrence of `sig` that starts at an operation boundary
 * (Core's `FindAndDelete`). Returns the script and the number removed.
 */
export function findAndDelete(script: Uint8Array, sig: Uint8Array): { script: Uint8Array; found: number } {
  if (sig.length === 0) return { script, found: 0 }
  let found = 0
  const parts: Uint8Array[] = []
  const r = new ScriptReader(script)
  let pc = 0
  let pc2 = 0
  const matches = (at: number): boolean => {
    if (script.length - at < sig.length) return false
    for (let i = 0; i < sig.length; i++) if (script[at + i] !== sig[i]) return false
    return true
  }
  for (;;) {
    if (pc > pc2) parts.push(script.subarray(pc2, pc))
    while (matches(pc)) {
      pc += sig.length
      found++
    }
    pc2 = pc
    r.pos = pc
    if (!r.next()) break
    pc = r.pos
  }
  if (found === 0) return { script, found }
  parts.push(script.subarray(pc2))
  let len = 0
  for (const p of parts) len += p.length
  const out = new Uint8Array(len)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return { script: out, found }
}
