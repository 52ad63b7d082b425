/**
 * Strict and lax DER. Before BIP66 a block could carry any signature that
 * Core's lax parser reads (negative R/S, excess zero padding, wrong or
 * long-form length bytes); those spends must verify without DERSIG and fail
 * with it. High S is valid by consensus and rejected by the LOW_S policy.
 */
import { Tx } from '@node/wire'
import * as tiny from 'tiny-secp256k1'
import { describe, expect, it } from 'vitest'
import {
  isValidSignatureEncoding,
  legacySighash,
  parseDerLax,
  ScriptFlags,
  SIGHASH_ALL,
  verifyInput,
} from '../src/index.ts'
import { OP, pushData } from '../src/script.ts'

const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')
const key = Uint8Array.from(Buffer.from('11'.repeat(32), 'hex'))
const pubkey = tiny.pointFromScalar(key, true)!
const scriptPubKey = Uint8Array.from([...pushData(pubkey), OP.CHECKSIG])

function int(bytes: Uint8Array): number[] {
  // Minimal positive DER integer.
  let i = 0
  while (i < bytes.length - 1 && bytes[i] === 0 && !(bytes[i + 1]! & 0x80)) i++
  const v = [...bytes.subarray(i)]
  return v[0]! & 0x80 ? [0, ...v] : v
}
function der(
  r: number[],
  s: number[],
  opts: { seqLen?: number[]; rLen?: number[]; sLen?: number[] } = {},
): Uint8Array {
  const body = [0x02, ...(opts.rLen ?? [r.length]), ...r, 0x02, ...(opts.sLen ?? [s.length]), ...s]
  return Uint8Array.from([0x30, ...(opts.seqLen ?? [body.length]), ...body])
}

/** A transaction spending `<pubkey> CHECKSIG`, and the hash its signature signs. */
function spend(sigWithType?: Uint8Array): Tx {
  return new Tx({
    version: 1,
    locktime: 0,
    inputs: [
      {
        prevHash: new Uint8Array(32).fill(7),
        prevIndex: 0,
        script: sigWithType ? pushData(sigWithType) : new Uint8Array(0),
        sequence: 0xffffffff,
        witness: [],
      },
    ],
    outputs: [{ value: 1000n, script: Uint8Array.of(OP.OP_1) }],
  })
}
const hash = legacySighash(spend(), 0, scriptPubKey, SIGHASH_ALL)

/** A compact signature of `hash` whose R has its top bit set (so strict DER pads it). */
function signHighR(): Uint8Array {
  for (let i = 0; ; i++) {
    const extra = new Uint8Array(32)
    extra[0] = i
    const sig = tiny.sign(hash, key, extra)
    if (sig[0]! & 0x80) return sig
  }
}

const compact = signHighR()
const r = compact.subarray(0, 32)
const s = compact.subarray(32)

const withType = (d: Uint8Array): Uint8Array => Uint8Array.from([...d, SIGHASH_ALL])
const check = (d: Uint8Array, flags: number): unknown => {
  try {
    return verifyInput(spend(withType(d)), 0, [{ value: 2000n, script: scriptPubKey }], flags)
  } catch (err) {
    return (err as { code: string }).code
  }
}

const historic: [string, Uint8Array][] = [
  ['negative R (no zero pad before a high bit)', der([...r], int(s))],
  ['excess zero padding of R', der([0, 0, ...int(r)], int(s))],
  ['excess zero padding of S', der(int(r), [0, 0, ...int(s)])],
  ['wrong sequence length byte', der(int(r), int(s), { seqLen: [0x10] })],
  ['long-form sequence length', der(int(r), int(s), { seqLen: [0x81, 4 + int(r).length + int(s).length] })],
  ['long-form R length', der(int(r), int(s), { rLen: [0x81, int(r).length] })],
  [
    'long-form S length with leading zero length bytes',
    der(int(r), int(s), { sLen: [0x82, 0, int(s).length] }),
  ],
  ['trailing garbage after S', Uint8Array.from([...der(int(r), int(s)), 0xab, 0xcd])],
]

describe('DER', () => {
  it('the strict encoding verifies under every flag set', () => {
    const strict = der(int(r), int(s))
    expect(isValidSignatureEncoding(withType(strict))).toBe(true)
    expect(check(strict, 0)).toBe(true)
    expect(check(strict, ScriptFlags.DERSIG | ScriptFlags.STRICTENC | ScriptFlags.LOW_S)).toBe(true)
  })

  for (const [name, sig] of historic) {
    it(`${name}: valid without DERSIG, SIG_DER with it`, () => {
      expect(isValidSignatureEncoding(withType(sig))).toBe(false)
      expect(parseDerLax(sig)).toEqual(compact)
      expect(check(sig, 0)).toBe(true)
      expect(check(sig, ScriptFlags.P2SH)).toBe(true)
      expect(check(sig, ScriptFlags.DERSIG)).toBe('SIG_DER')
    })
  }

  it('R of 33 significant bytes or not below n gives a signature no key verifies', () => {
    const big = der([1, ...r], int(s))
    expect(parseDerLax(big)).toEqual(new Uint8Array(64))
    expect(check(big, 0)).toBe('EVAL_FALSE')
    const nBytes = Uint8Array.from(Buffer.from(N.toString(16), 'hex'))
    expect(parseDerLax(der(int(nBytes), int(s)))).toEqual(new Uint8Array(64))
  })

  it('what even the lax parser rejects fails without flags', () => {
    const notSequence = der(int(r), int(s))
    notSequence[0] = 0x31
    expect(parseDerLax(notSequence)).toBeUndefined()
    expect(check(notSequence, 0)).toBe('EVAL_FALSE')
  })

  it('high S is valid by consensus and fails LOW_S', () => {
    const sHigh = N - BigInt(`0x${Buffer.from(s).toString('hex')}`)
    const sBytes = Uint8Array.from(Buffer.from(sHigh.toString(16).padStart(64, '0'), 'hex'))
    const sig = der(int(r), int(sBytes))
    expect(isValidSignatureEncoding(withType(sig))).toBe(true)
    expect(check(sig, ScriptFlags.DERSIG | ScriptFlags.STRICTENC)).toBe(true)
    expect(check(sig, ScriptFlags.LOW_S)).toBe('SIG_HIGH_S')
  })
})
