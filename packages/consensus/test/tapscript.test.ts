/**
 * BIP341 script paths and BIP342 tapscript, with real signatures: the
 * control block and commitment, OP_CHECKSIGADD, OP_SUCCESSx, the
 * validation-weight budget, disabled CHECKMULTISIG, minimal IF, unknown key
 * types and leaf versions, OP_CODESEPARATOR positions, and the annex.
 */
import { sha256, Tx } from '@node/wire'
import * as tiny from 'tiny-secp256k1'
import { describe, expect, it } from 'vitest'
import {
  ScriptFlags as F,
  SIGHASH_DEFAULT,
  SighashCache,
  type SpentOutput,
  TxVerifier,
  tapbranchHash,
  tapleafHash,
  taprootSighash,
  tapTweakHash,
} from '../src/index.ts'
import { OP, pushData } from '../src/script.ts'
import { keyAt } from './build.ts'

const FLAGS = F.P2SH | F.WITNESS | F.TAPROOT

function xonlyKey(i: number): { priv: Uint8Array; x: Uint8Array } {
  let priv = keyAt('tapscript', i)
  const p = tiny.pointFromScalar(priv, true)!
  if (p[0] === 3) priv = tiny.privateNegate(priv)
  return { priv, x: p.subarray(1) }
}

const internal = xonlyKey(0)
const OTHER_LEAF = sha256(Uint8Array.of(42))

interface Spend {
  tx: Tx
  spent: SpentOutput[]
  /** Sign input 0 for this leaf (BIP342 message), with the given options. */
  sign(
    key: Uint8Array,
    opts?: { codeSeparatorPos?: number; hashType?: number; annex?: Uint8Array },
  ): Uint8Array
  control: Uint8Array
  withWitness(items: Uint8Array[]): Tx
}

/** A two-leaf tree: `script` (at leafVersion) and an unrelated leaf; spend through `script`. */
function scriptPath(script: Uint8Array, leafVersion = 0xc0): Spend {
  const leaf = tapleafHash(leafVersion, script)
  const root = tapbranchHash(leaf, OTHER_LEAF)
  const out = tiny.xOnlyPointAddTweak(internal.x, tapTweakHash(internal.x, root))!
  const control = Uint8Array.from([leafVersion | out.parity, ...internal.x, ...OTHER_LEAF])
  const spent = [{ value: 50_000n, script: Uint8Array.from([0x51, 0x20, ...out.xOnlyPubkey]) }]
  const make = (witness: Uint8Array[]): Tx =>
    new Tx({
      version: 2,
      locktime: 0,
      inputs: [{ prevHash: sha256(script), prevIndex: 1, script: new Uint8Array(0), sequence: 0, witness }],
      outputs: [{ value: 40_000n, script: Uint8Array.of(0x51) }],
    })
  const tx = make([])
  return {
    tx,
    spent,
    control,
    withWitness: make,
    sign(key, opts = {}) {
      const hashType = opts.hashType ?? SIGHASH_DEFAULT
      const annexHash = opts.annex ? sha256(Uint8Array.of(opts.annex.length), opts.annex) : undefined
      const hash = taprootSighash(new SighashCache(tx, spent), 0, hashType, annexHash, {
        leafHash: leaf,
        codeSeparatorPos: opts.codeSeparatorPos ?? 0xffffffff,
      })!
      const sig = tiny.signSchnorr(hash, key)
      return hashType === SIGHASH_DEFAULT ? sig : Uint8Array.from([...sig, hashType])
    },
  }
}

function run(s: Spend, stack: Uint8Array[], script: Uint8Array, flags = FLAGS, control = s.control): string {
  try {
    new TxVerifier(s.withWitness([...stack, script, control]), s.spent).verify(0, flags)
    return 'OK'
  } catch (err) {
    return (err as { code: string }).code
  }
}

const k1 = xonlyKey(1)
const k2 = xonlyKey(2)
const k3 = xonlyKey(3)
const checksig = (k: Uint8Array): number[] => [...pushData(k), OP.CHECKSIG]

describe('tapscript', () => {
  it('<key> CHECKSIG: a valid signature passes, a changed one is SCHNORR_SIG, an empty one is false', () => {
    const script = Uint8Array.from(checksig(k1.x))
    const s = scriptPath(script)
    const sig = s.sign(k1.priv)
    expect(run(s, [sig], script)).toBe('OK')
    const bad = sig.slice()
    bad[3]! ^= 1
    expect(run(s, [bad], script)).toBe('SCHNORR_SIG')
    expect(run(s, [new Uint8Array(0)], script)).toBe('EVAL_FALSE')
    // An explicit SIGHASH_DEFAULT byte is a second encoding: refused.
    expect(run(s, [Uint8Array.from([...sig, 0])], script)).toBe('SCHNORR_SIG_HASHTYPE')
    // SIGHASH_ALL spelled out is a different message, signed as such.
    expect(run(s, [s.sign(k1.priv, { hashType: 1 })], script)).toBe('OK')
    expect(run(s, [Uint8Array.from([...sig, 1])], script)).toBe('SCHNORR_SIG')
  })

  it('2-of-3 with CHECKSIGADD', () => {
    const script = Uint8Array.from([
      ...checksig(k1.x),
      ...pushData(k2.x),
      OP.CHECKSIGADD,
      ...pushData(k3.x),
      OP.CHECKSIGADD,
      OP.OP_1 + 1,
      OP.NUMEQUAL,
    ])
    const s = scriptPath(script)
    const none = new Uint8Array(0)
    expect(run(s, [s.sign(k3.priv), none, s.sign(k1.priv)], script)).toBe('OK')
    expect(run(s, [none, none, s.sign(k1.priv)], script)).toBe('EVAL_FALSE')
    // CHECKSIGADD does not exist outside tapscript.
    const p2wshScript = Uint8Array.from([OP.OP_0, OP.OP_0, OP.OP_0, OP.CHECKSIGADD])
    const p2wsh = [{ value: 1n, script: Uint8Array.from([0, 32, ...sha256(p2wshScript)]) }]
    const tx = s.withWitness([p2wshScript])
    expect(() => new TxVerifier(tx, p2wsh).verify(0, FLAGS)).toThrow(
      expect.objectContaining({ code: 'BAD_OPCODE' }),
    )
  })

  it('OP_SUCCESSx makes the script succeed before anything runs, unless discouraged', () => {
    const script = Uint8Array.from([OP.RETURN, 0x50]) // OP_RESERVED is OP_SUCCESS80 in tapscript
    const s = scriptPath(script)
    expect(run(s, [], script)).toBe('OK')
    expect(run(s, [], script, FLAGS | F.DISCOURAGE_OP_SUCCESS)).toBe('DISCOURAGE_OP_SUCCESS')
    // The scan stops at an undecodable push before any OP_SUCCESSx…
    const broken = Uint8Array.from([OP.PUSHDATA1, 0x50])
    expect(run(scriptPath(broken), [], broken)).toBe('BAD_OPCODE')
    // …but an OP_SUCCESSx first wins even over oversized stack items.
    const first = Uint8Array.from([0xbb, OP.PUSHDATA1])
    expect(run(scriptPath(first), [new Uint8Array(600)], first)).toBe('OK')
  })

  it('the validation-weight budget: witness size + 50, each signature check costs 50', () => {
    const build = (n: number): Uint8Array => {
      const ops: number[] = []
      for (let i = 0; i < n; i++) ops.push(OP.DUP, ...pushData(k1.x), OP.CHECKSIGVERIFY)
      return Uint8Array.from([...ops, ...checksig(k1.x)])
    }
    const few = build(5)
    const s1 = scriptPath(few)
    expect(run(s1, [s1.sign(k1.priv)], few)).toBe('OK')
    const many = build(12)
    const s2 = scriptPath(many)
    expect(run(s2, [s2.sign(k1.priv)], many)).toBe('TAPSCRIPT_VALIDATION_WEIGHT')
    // Padding the witness raises the budget (an annex counts too).
    const annex = Uint8Array.from([0x50, ...new Uint8Array(200)])
    const sig = s2.sign(k1.priv, { annex })
    const tx = s2.withWitness([sig, many, s2.control, annex])
    expect(new TxVerifier(tx, s2.spent).verify(0, FLAGS)).toBe(true)
  })

  it('CHECKMULTISIG is disabled; IF arguments must be minimal by consensus', () => {
    const multisig = Uint8Array.from([OP.OP_0, OP.OP_0, OP.OP_0, OP.CHECKMULTISIG])
    expect(run(scriptPath(multisig), [], multisig)).toBe('TAPSCRIPT_CHECKMULTISIG')
    const cond = Uint8Array.from([OP.IF, OP.OP_1, OP.ELSE, OP.OP_1, OP.ENDIF])
    const s = scriptPath(cond)
    expect(run(s, [Uint8Array.of(1)], cond)).toBe('OK')
    expect(run(s, [new Uint8Array(0)], cond)).toBe('OK')
    expect(run(s, [Uint8Array.of(2)], cond, F.P2SH | F.WITNESS | F.TAPROOT)).toBe('TAPSCRIPT_MINIMALIF')
  })

  it('keys of unknown type verify as success unless discouraged; an empty key fails', () => {
    const script = Uint8Array.from([...pushData(new Uint8Array(33).fill(2)), OP.CHECKSIG])
    const s = scriptPath(script)
    expect(run(s, [Uint8Array.of(1)], script)).toBe('OK')
    expect(run(s, [Uint8Array.of(1)], script, FLAGS | F.DISCOURAGE_UPGRADABLE_PUBKEYTYPE)).toBe(
      'DISCOURAGE_UPGRADABLE_PUBKEYTYPE',
    )
    const empty = Uint8Array.from([OP.OP_0, OP.CHECKSIG])
    expect(run(scriptPath(empty), [Uint8Array.of(1)], empty)).toBe('TAPSCRIPT_EMPTY_PUBKEY')
  })

  it('signatures commit to the last executed OP_CODESEPARATOR position', () => {
    const script = Uint8Array.from([OP.NOP, OP.CODESEPARATOR, ...checksig(k1.x)])
    const s = scriptPath(script)
    expect(run(s, [s.sign(k1.priv, { codeSeparatorPos: 1 })], script)).toBe('OK')
    expect(run(s, [s.sign(k1.priv)], script)).toBe('SCHNORR_SIG')
  })

  it('unknown leaf versions succeed unless discouraged', () => {
    const script = Uint8Array.from([OP.RETURN])
    const s = scriptPath(script, 0xc2)
    expect(run(s, [], script)).toBe('OK')
    expect(run(s, [], script, FLAGS | F.DISCOURAGE_UPGRADABLE_TAPROOT_VERSION)).toBe(
      'DISCOURAGE_UPGRADABLE_TAPROOT_VERSION',
    )
  })

  it('control blocks: wrong size, wrong internal key, wrong path', () => {
    const script = Uint8Array.from([OP.OP_1])
    const s = scriptPath(script)
    expect(run(s, [], script)).toBe('OK')
    expect(run(s, [], script, FLAGS, s.control.subarray(0, 64))).toBe('TAPROOT_WRONG_CONTROL_SIZE')
    expect(run(s, [], script, FLAGS, s.control.subarray(0, 32))).toBe('TAPROOT_WRONG_CONTROL_SIZE')
    const otherKey = Uint8Array.from([s.control[0]!, ...k1.x, ...OTHER_LEAF])
    expect(run(s, [], script, FLAGS, otherKey)).toBe('WITNESS_PROGRAM_MISMATCH')
    const shortPath = s.control.subarray(0, 33)
    expect(run(s, [], script, FLAGS, shortPath)).toBe('WITNESS_PROGRAM_MISMATCH')
    // Stack items above 520 bytes are refused in tapscript as in segwit v0.
    expect(run(s, [new Uint8Array(521)], script)).toBe('PUSH_SIZE')
  })
})
