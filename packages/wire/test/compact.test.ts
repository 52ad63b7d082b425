import {
  decodeBlock,
  decodePayload,
  encodePayload,
  makeCompactBlock,
  reconstructBlock,
  shortId,
  shortIdKey,
} from '@node/wire'
import { describe, expect, it } from 'vitest'
import { fixture, hex } from './helpers.ts'

describe('BIP152 compact blocks', () => {
  const block = decodeBlock(new Uint8Array(fixture('blocks/block426884.raw')))
  const compact = decodePayload('cmpctblock', new Uint8Array(fixture('blocks/compact426884.raw')))

  it("computes the same 408 short ids as bcoin's compact block of mainnet block 426884", () => {
    const key = shortIdKey(compact.header, compact.nonce)
    const ours = block.txs.slice(1).map((t) => hex(shortId(key, t.txid())))
    expect(compact.shortIds).toHaveLength(408)
    expect(ours).toEqual(compact.shortIds.map(hex))
  })

  it('builds a compact block from a block and reconstructs it', () => {
    const m = makeCompactBlock(block, 0x1234567890abcdefn, 1)
    expect(hex(encodePayload(m))).toBe(hex(encodePayload(decodePayload('cmpctblock', encodePayload(m)))))
    // Without a mempool, everything but the coinbase is missing.
    const r = reconstructBlock(m)
    expect('missing' in r && r.missing.length).toBe(408)
    // With every transaction known, the block comes back whole.
    const key = shortIdKey(m.header, m.nonce)
    const byId = new Map(block.txs.map((t) => [hex(shortId(key, t.txid())), t]))
    const r2 = reconstructBlock(m, (id) => byId.get(id))
    expect('block' in r2 && r2.block.txs.length).toBe(409)
  })

  it('a block with only a coinbase is complete from the compact block alone', () => {
    const one = { header: block.header, txs: [block.txs[0]!] }
    const r = reconstructBlock(makeCompactBlock(one, 1n))
    // The header's merkle root is for 409 transactions: a mismatch, so nothing is trusted.
    expect('missing' in r).toBe(true)
  })
})
