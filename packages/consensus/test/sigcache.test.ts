/** The signature cache: salted keys, fixed memory, and it saves verifications. */

import { Tx } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { SIGHASH_ALL, SighashCache, SignatureCache, segwitV0Sighash, TxVerifier } from '../src/index.ts'
import { BLOCK_FLAGS, p2wpkhSpend } from './build.ts'

describe('SignatureCache', () => {
  it('never grows past its bound: 32 bytes per slot, a power of two of slots', () => {
    const cache = new SignatureCache({ maxBytes: 10_000, salt: new Uint8Array(32) })
    expect(cache.capacity).toBe(256)
    expect(cache.bytes).toBe(8192)
    for (let i = 0; i < 5000; i++) cache.add(cache.key(1, Uint8Array.of(i & 0xff, i >> 8)))
    expect(cache.bytes).toBe(8192)
    // Recent entries are found; an entry never added is not.
    expect(cache.has(cache.key(1, Uint8Array.of(4999 & 0xff, 4999 >> 8)))).toBe(true)
    expect(cache.has(cache.key(2, Uint8Array.of(1, 2)))).toBe(false)
  })

  it('keys depend on the secret salt', () => {
    const a = new SignatureCache({ maxBytes: 4096, salt: new Uint8Array(32).fill(1) })
    const b = new SignatureCache({ maxBytes: 4096, salt: new Uint8Array(32).fill(2) })
    expect(a.key(1, Uint8Array.of(9))).not.toEqual(b.key(1, Uint8Array.of(9)))
  })

  it('a cached signature is not verified again; without storing, nothing is cached', () => {
    const { tx, spent } = p2wpkhSpend('cache', 1)
    const cache = new SignatureCache({ maxBytes: 4096 })
    new TxVerifier(tx, spent, { sigcache: cache }).verifyAll(BLOCK_FLAGS)
    expect([...new Uint8Array(cache.table)].some((b) => b !== 0)).toBe(false)
    new TxVerifier(tx, spent, { sigcache: cache, storeInCache: true }).verifyAll(BLOCK_FLAGS)
    expect([...new Uint8Array(cache.table)].some((b) => b !== 0)).toBe(true)
  })

  it('a hit is trusted without verifying: an entry for a forged signature makes it pass', () => {
    // This is what makes the salt essential: whoever can write entries decides validity.
    const { tx, spent } = p2wpkhSpend('cache', 2)
    const [sig, pub] = tx.inputs[0]!.witness as [Uint8Array, Uint8Array]
    const forged = sig.slice()
    forged[10]! ^= 1
    const bad = new Tx({
      version: tx.version,
      locktime: tx.locktime,
      outputs: tx.outputs,
      inputs: [{ ...tx.inputs[0]!, witness: [forged, pub] }],
    })
    const cache = new SignatureCache({ maxBytes: 4096 })
    expect(() => new TxVerifier(bad, spent, { sigcache: cache }).verifyAll(BLOCK_FLAGS)).toThrow()
    const scriptCode = Uint8Array.from([0x76, 0xa9, 0x14, ...spent[0]!.script.subarray(2), 0x88, 0xac])
    const hash = segwitV0Sighash(new SighashCache(bad), 0, scriptCode, spent[0]!.value, SIGHASH_ALL)
    cache.add(cache.key(0x45, hash, forged.subarray(0, -1), pub)) // 0x45: the ECDSA kind byte
    expect(new TxVerifier(bad, spent, { sigcache: cache }).verifyAll(BLOCK_FLAGS)).toBe(true)
  })
})
