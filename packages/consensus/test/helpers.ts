/**
 * Test helpers: Core's script text notation (src/core_io.cpp `ParseScript`),
 * as the JSON vectors write scripts, and flag handling of Core's test harness
 * (src/test/transaction_tests.cpp `FillFlags`/`TrimFlags`).
 */
import { readFileSync } from 'node:fs'
import { fromHex } from '@node/wire'
import { ScriptFlags } from '../src/index.ts'
import { encodeNum, OP, pushData } from '../src/script.ts'

const NAMES = new Map<string, number>()
for (const [name, op] of Object.entries(OP)) {
  NAMES.set(name, op)
  NAMES.set(`OP_${name}`, op)
}
NAMES.set('NOP2', OP.CHECKLOCKTIMEVERIFY)
NAMES.set('NOP3', OP.CHECKSEQUENCEVERIFY)
NAMES.set('OP_NOP2', OP.CHECKLOCKTIMEVERIFY)
NAMES.set('OP_NOP3', OP.CHECKSEQUENCEVERIFY)

/** Bytes of a script written in Core's test notation. */
export function parseScriptText(text: string): Uint8Array {
  const out: number[] = []
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (/^-?\d+$/.test(w)) {
      const n = Number(w)
      if (n === 0) out.push(OP.OP_0)
      else if (n === -1 || (n >= 1 && n <= 16)) out.push(n === -1 ? OP.OP_1NEGATE : OP.OP_1 + n - 1)
      else out.push(...pushData(encodeNum(n)))
    } else if (w.startsWith('0x') && w.length > 2 && /^[0-9a-fA-F]+$/.test(w.slice(2))) {
      out.push(...fromHex(w.slice(2)))
    } else if (w.length >= 2 && w.startsWith("'") && w.endsWith("'")) {
      out.push(...pushData(new TextEncoder().encode(w.slice(1, -1))))
    } else {
      const op = NAMES.get(w)
      if (op === undefined) throw new Error(`Unknown script word ${w}.`)
      out.push(op)
    }
  }
  return Uint8Array.from(out)
}

/** Core's FillFlags: CLEANSTACK needs WITNESS, WITNESS needs P2SH. */
export function fillFlags(flags: number): number {
  let f = flags
  if (f & ScriptFlags.CLEANSTACK) f |= ScriptFlags.WITNESS
  if (f & ScriptFlags.WITNESS) f |= ScriptFlags.P2SH
  if (f & ScriptFlags.TAPROOT) f |= ScriptFlags.WITNESS | ScriptFlags.P2SH
  return f
}

/** Core's TrimFlags: drop what lost its prerequisite. */
export function trimFlags(flags: number): number {
  let f = flags
  if (!(f & ScriptFlags.P2SH)) f &= ~ScriptFlags.WITNESS
  if (!(f & ScriptFlags.WITNESS)) f &= ~(ScriptFlags.CLEANSTACK | ScriptFlags.TAPROOT)
  return f
}

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T
}
