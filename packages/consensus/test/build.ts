/**
 * Signed transactions for tests and the benchmark: P2WPKH and P2TR key-path
 * spends, signed with tiny-secp256k1 from deterministic keys.
 */
import { sha256, Tx } from '@node/wire'
import * as tiny from 'tiny-secp256k1'
import {
  type ScriptCheck,
  ScriptFlags,
  SIGHASH_ALL,
  SIGHASH_DEFAULT,
  SighashCache,
  type SpentOutput,
  segwitV0Sighash,
  taprootSighash,
  tapTweakHash,
} from '../src/index.ts'
import { hash160 } from '../src/interpreter.ts'

export const BLOCK_FLAGS =
  ScriptFlags.P2SH |
  ScriptFlags.WITNESS |
  ScriptFlags.TAPROOT |
  ScriptFlags.DERSIG |
  ScriptFlags.CHECKLOCKTIMEVERIFY |
  ScriptFlags.CHECKSEQUENCEVERIFY |
  ScriptFlags.NULLDUMMY

/** Strict DER of a 64-byte compact signature. */
export function derEncode(compact: Uint8Array): Uint8Array {
  const int = (b: Uint8Array): number[] => {
    let i = 0
    while (i < b.length - 1 && b[i] === 0 && !(b[i + 1]! & 0x80)) i++
    const v = [...b.subarray(i)]
    return v[0]! & 0x80 ? [0, ...v] : v
  }
  const r = int(compact.subarray(0, 32))
  const s = int(compact.subarray(32))
  return Uint8Array.from([0x30, r.length + s.length + 4, 0x02, r.length, ...r, 0x02, s.length, ...s])
}

export function keyAt(seed: string, i: number): Uint8Array {
  return sha256(new TextEncoder().encode(`${seed}/${i}`))
}

export interface SignedSpend {
  tx: Tx
  spent: SpentOutput[]
}

function unsigned(i: number, witness: Uint8Array[]): Tx {
  const prevHash = sha256(Uint8Array.of(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 0x55))
  return new Tx({
    version: 2,
    locktime: 0,
    inputs: [{ prevHash, prevIndex: i % 3, script: new Uint8Array(0), sequence: 0xfffffffe, witness }],
    outputs: [
      { value: 90_000n, script: Uint8Array.from([0x00, 0x14, ...new Uint8Array(20).fill(i & 0xff)]) },
    ],
  })
}

/** A P2WPKH spend signed with key `i` of `seed`. */
export function p2wpkhSpend(seed: string, i: number): SignedSpend {
  const key = keyAt(seed, i)
  const pubkey = tiny.pointFromScalar(key, true)!
  const h = hash160(pubkey)
  const spent = [{ value: 100_000n, script: Uint8Array.from([0x00, 0x14, ...h]) }]
  const scriptCode = Uint8Array.from([0x76, 0xa9, 0x14, ...h, 0x88, 0xac])
  const draft = unsigned(i, [])
  const hash = segwitV0Sighash(new SighashCache(draft), 0, scriptCode, spent[0]!.value, SIGHASH_ALL)
  const sig = Uint8Array.from([...derEncode(tiny.sign(hash, key)), SIGHASH_ALL])
  return { tx: unsigned(i, [sig, pubkey]), spent }
}

/** A P2TR key-path spend (no script tree) signed with key `i` of `seed`. */
export function p2trSpend(seed: string, i: number): SignedSpend {
  let key = keyAt(seed, i)
  const point = tiny.pointFromScalar(key, true)!
  if (point[0] === 3) key = tiny.privateNegate(key)
  const internal = point.subarray(1)
  const tweak = tapTweakHash(internal, undefined)
  const output = tiny.xOnlyPointAddTweak(internal, tweak)!
  const tweakedKey = tiny.privateAdd(key, tweak)!
  const spent = [{ value: 100_000n, script: Uint8Array.from([0x51, 0x20, ...output.xOnlyPubkey]) }]
  const draft = unsigned(i, [])
  const hash = taprootSighash(new SighashCache(draft, spent), 0, SIGHASH_DEFAULT, undefined)!
  return { tx: unsigned(i, [tiny.signSchnorr(hash, tweakedKey)]), spent }
}

/** A block's worth of P2WPKH spends as script checks. */
export function p2wpkhChecks(seed: string, n: number, flags = BLOCK_FLAGS): ScriptCheck[] {
  const checks: ScriptCheck[] = []
  for (let i = 0; i < n; i++) {
    const { tx, spent } = p2wpkhSpend(seed, i)
    checks.push({ tx, spent, flags })
  }
  return checks
}
