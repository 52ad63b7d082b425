/**
 * BIP341's reference wallet vectors (bip341_wallet_vectors.json):
 * `scriptPubKey[]` gives trees, their leaf hashes, merkle roots, tweaks,
 * output keys and control blocks; `keyPathSpending[0]` a transaction with
 * nine spent outputs, the per-transaction hashes (single SHA256, natural byte
 * order), and for seven inputs the signature message hash and the signed
 * witness. Core reads the key-path part (`bip341_keypath_test_vectors`); we
 * read both, and verify the signed transaction through the interpreter.
 */
import { decodeTx, fromHex, Tx, toHex } from '@node/wire'
import * as tiny from 'tiny-secp256k1'
import { describe, expect, it } from 'vitest'
import {
  ScriptFlags,
  SighashCache,
  TxVerifier,
  tapbranchHash,
  tapleafHash,
  taprootSighash,
  tapTweakHash,
} from '../src/index.ts'
import { verifyTaprootCommitment } from '../src/interpreter.ts'
import { fixture } from './helpers.ts'

interface Leaf {
  id: number
  script: string
  leafVersion: number
}
type TreeNode = Leaf | TreeNode[]

interface Vectors {
  scriptPubKey: {
    given: { internalPubkey: string; scriptTree: TreeNode | null }
    intermediary: { leafHashes?: string[]; merkleRoot: string | null; tweak: string; tweakedPubkey: string }
    expected: { scriptPubKey: string; scriptPathControlBlocks?: string[] }
  }[]
  keyPathSpending: {
    given: { rawUnsignedTx: string; utxosSpent: { scriptPubKey: string; amountSats: number }[] }
    intermediary: {
      hashAmounts: string
      hashOutputs: string
      hashPrevouts: string
      hashScriptPubkeys: string
      hashSequences: string
    }
    inputSpending: {
      given: { txinIndex: number; hashType: number; merkleRoot: string | null; internalPrivkey: string }
      intermediary: { internalPubkey: string; tweak: string; sigHash: string }
      expected: { witness: string[] }
    }[]
    auxiliary: { fullySignedTx: string }
  }[]
}

const v = fixture<Vectors>('bip341_wallet_vectors.json')
const FLAGS = ScriptFlags.P2SH | ScriptFlags.WITNESS | ScriptFlags.TAPROOT

/** The tree's merkle root, collecting each leaf's hash by id. */
function merkle(node: TreeNode, leaves: Map<number, Uint8Array>): Uint8Array {
  if (Array.isArray(node)) return tapbranchHash(merkle(node[0]!, leaves), merkle(node[1]!, leaves))
  const h = tapleafHash(node.leafVersion, fromHex(node.script))
  leaves.set(node.id, h)
  return h
}

describe('BIP341 scriptPubKey vectors', () => {
  it('leaf hashes, merkle roots, tweaks, output keys and control blocks match', () => {
    expect(v.scriptPubKey.length).toBe(7)
    for (const c of v.scriptPubKey) {
      const internal = fromHex(c.given.internalPubkey)
      const leaves = new Map<number, Uint8Array>()
      const root = c.given.scriptTree ? merkle(c.given.scriptTree, leaves) : undefined
      expect(root ? toHex(root) : null).toBe(c.intermediary.merkleRoot)
      for (const [id, h] of leaves) expect(toHex(h)).toBe(c.intermediary.leafHashes![id])
      const tweak = tapTweakHash(internal, root)
      expect(toHex(tweak)).toBe(c.intermediary.tweak)
      const output = tiny.xOnlyPointAddTweak(internal, tweak)!
      expect(toHex(output.xOnlyPubkey)).toBe(c.intermediary.tweakedPubkey)
      expect(c.expected.scriptPubKey).toBe(`5120${c.intermediary.tweakedPubkey}`)
      for (const [id, cb] of (c.expected.scriptPathControlBlocks ?? []).entries()) {
        const control = fromHex(cb)
        expect(verifyTaprootCommitment(control, output.xOnlyPubkey, leaves.get(id)!)).toBe(true)
        // The wrong parity bit breaks the commitment.
        const flipped = control.slice()
        flipped[0]! ^= 1
        expect(verifyTaprootCommitment(flipped, output.xOnlyPubkey, leaves.get(id)!)).toBe(false)
      }
    }
  })
})

describe('BIP341 key-path spending vectors', () => {
  const k = v.keyPathSpending[0]!
  const tx = decodeTx(fromHex(k.given.rawUnsignedTx))
  const spent = k.given.utxosSpent.map((u) => ({
    value: BigInt(u.amountSats),
    script: fromHex(u.scriptPubKey),
  }))

  it('computes the per-transaction hashes', () => {
    const cache = new SighashCache(tx, spent)
    expect(toHex(cache.amounts())).toBe(k.intermediary.hashAmounts)
    expect(toHex(cache.outputs())).toBe(k.intermediary.hashOutputs)
    expect(toHex(cache.prevouts())).toBe(k.intermediary.hashPrevouts)
    expect(toHex(cache.scripts())).toBe(k.intermediary.hashScriptPubkeys)
    expect(toHex(cache.sequences())).toBe(k.intermediary.hashSequences)
  })

  it('computes each input’s tweak and signature hash', () => {
    expect(k.inputSpending.length).toBe(7)
    const cache = new SighashCache(tx, spent)
    for (const input of k.inputSpending) {
      const root = input.given.merkleRoot ? fromHex(input.given.merkleRoot) : undefined
      expect(toHex(tapTweakHash(fromHex(input.intermediary.internalPubkey), root))).toBe(
        input.intermediary.tweak,
      )
      const hash = taprootSighash(cache, input.given.txinIndex, input.given.hashType, undefined)
      expect(toHex(hash!)).toBe(input.intermediary.sigHash)
    }
  })

  it('verifies every signed input of the fully signed transaction, and rejects a changed signature', () => {
    const signed = decodeTx(fromHex(k.auxiliary.fullySignedTx))
    const verifier = new TxVerifier(signed, spent)
    for (const input of k.inputSpending) {
      expect(toHex(signed.inputs[input.given.txinIndex]!.witness[0]!)).toBe(input.expected.witness[0])
      expect(verifier.verify(input.given.txinIndex, FLAGS)).toBe(true)
    }
    // Input 0's signature with one bit changed.
    const bad = signed.inputs[0]!.witness[0]!.slice()
    bad[10]! ^= 1
    const inputs = signed.inputs.map((i, n) => (n === 0 ? { ...i, witness: [bad] } : i))
    const changed = new TxVerifier(
      new Tx({ version: signed.version, inputs, outputs: signed.outputs, locktime: signed.locktime }),
      spent,
    )
    expect(() => changed.verify(0, FLAGS)).toThrow(expect.objectContaining({ code: 'SCHNORR_SIG', input: 0 }))
    // Without TAPROOT the same spend is anyone-can-spend (pre-activation).
    expect(changed.verify(0, ScriptFlags.P2SH | ScriptFlags.WITNESS)).toBe(true)
  })
})
