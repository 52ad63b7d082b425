/**
 * Real signatures through connectBlock: a P2WPKH input (BIP143 signs its
 * own amount) and a P2TR key-path input (BIP341 signs every spent amount
 * and script) verify only when connectBlock hands the scripts the coins the
 * inputs really spend. Keys and signatures from tiny-secp256k1.
 */
import { createHash } from 'node:crypto'
import {
  ScriptCheckPool,
  SIGHASH_ALL,
  SIGHASH_DEFAULT,
  SighashCache,
  type SpentOutput,
  segwitV0Sighash,
  taprootSighash,
  tapTweakHash,
} from '@node/consensus'
import { sha256, Tx } from '@node/wire'
import * as tiny from 'tiny-secp256k1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BlockConsensusError, connectBlock, LayeredView } from '../../src/index.ts'
import { block, COIN, coinbase, ctxAt, MemoryView, out } from './helpers.ts'

function derEncode(compact: Uint8Array): Uint8Array {
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

const wpkhKey = sha256(new TextEncoder().encode('connect/wpkh'))
const wpkhPub = tiny.pointFromScalar(wpkhKey, true)!
const wpkhHash = new Uint8Array(createHash('ripemd160').update(sha256(wpkhPub)).digest())
const P2WPKH = Uint8Array.of(0x00, 0x14, ...wpkhHash)

let trKey = sha256(new TextEncoder().encode('connect/tr'))
const trPoint = tiny.pointFromScalar(trKey, true)!
if (trPoint[0] === 3) trKey = tiny.privateNegate(trKey)
const tweak = tapTweakHash(trPoint.subarray(1), undefined)
const P2TR = Uint8Array.of(0x51, 0x20, ...tiny.xOnlyPointAddTweak(trPoint.subarray(1), tweak)!.xOnlyPubkey)
const trTweaked = tiny.privateAdd(trKey, tweak)!

const SUBSIDY = 50n * COIN
const FEE = 10_000n

/** A height-1 coinbase paying 20 BTC to P2WPKH and 30 BTC to P2TR, and a spend of both signed over `signed` amounts. */
function build(signed: readonly bigint[]): { view: MemoryView; spendTx: Tx } {
  const view = new MemoryView()
  const cb = coinbase(1, [out(20n * COIN, P2WPKH), out(30n * COIN, P2TR)])
  for (const [vout, o] of cb.outputs.entries())
    view.add(cb.txid(), vout, { value: o.value, script: o.script, height: 1, coinbase: true })
  const make = (w0: Uint8Array[], w1: Uint8Array[]) =>
    new Tx({
      version: 2,
      inputs: [
        { prevHash: cb.txid(), prevIndex: 0, script: new Uint8Array(0), sequence: 0xffffffff, witness: w0 },
        { prevHash: cb.txid(), prevIndex: 1, script: new Uint8Array(0), sequence: 0xffffffff, witness: w1 },
      ],
      outputs: [out(50n * COIN - FEE)],
      locktime: 0,
    })
  const spent: SpentOutput[] = [
    { value: signed[0]!, script: P2WPKH },
    { value: signed[1]!, script: P2TR },
  ]
  const draft = make([], [])
  const hashes = new SighashCache(draft, spent)
  const scriptCode = Uint8Array.of(0x76, 0xa9, 0x14, ...wpkhHash, 0x88, 0xac)
  const h0 = segwitV0Sighash(hashes, 0, scriptCode, spent[0]!.value, SIGHASH_ALL)
  const h1 = taprootSighash(hashes, 1, SIGHASH_DEFAULT, undefined)!
  const sig0 = Uint8Array.of(...derEncode(tiny.sign(h0, wpkhKey)), SIGHASH_ALL)
  return { view, spendTx: make([sig0, wpkhPub], [tiny.signSchnorr(h1, trTweaked)]) }
}

async function verdict(signed: readonly bigint[], pool?: ScriptCheckPool): Promise<string> {
  const { view, spendTx } = build(signed)
  const blk = block([coinbase(101, [out(SUBSIDY + FEE)]), spendTx])
  try {
    await connectBlock(blk, ctxAt(101), new LayeredView(view), pool)
    return 'ok'
  } catch (err) {
    if (err instanceof BlockConsensusError) return err.reason
    throw err
  }
}

describe('connectBlock with signed inputs', () => {
  let pool: ScriptCheckPool
  beforeAll(async () => {
    pool = new ScriptCheckPool({ workers: 1 })
    await pool.start()
  })
  afterAll(async () => {
    await pool.stop()
  })

  it('accepts P2WPKH and P2TR spends signed over the amounts they spend', async () => {
    expect(await verdict([20n * COIN, 30n * COIN])).toBe('ok')
    expect(await verdict([20n * COIN, 30n * COIN], pool)).toBe('ok')
  })

  it('rejects a P2WPKH signature over another amount', async () => {
    const reason =
      'block-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)'
    expect(await verdict([20n * COIN + 1n, 30n * COIN])).toBe(reason)
    expect(await verdict([20n * COIN + 1n, 30n * COIN], pool)).toBe(reason)
  })

  it('rejects a taproot signature over other spent amounts', async () => {
    const reason = 'block-script-verify-flag-failed (Invalid Schnorr signature)'
    expect(await verdict([20n * COIN, 30n * COIN - 1n])).toBe(reason)
    expect(await verdict([20n * COIN, 30n * COIN - 1n], pool)).toBe(reason)
  })
})
