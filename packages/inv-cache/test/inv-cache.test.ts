import { InvType, WITNESS_FLAG } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { InvCache, invKey, normalizeInvType } from '../src/index.ts'
import { hashOf, item } from './helpers.ts'

describe('invKey', () => {
  it('is equal for equal (type, hash) values held in different objects', () => {
    // btcd keys by pointer, so these two never match there (btcd peer/peer.go `knownInventory`).
    const a = { type: InvType.TX, hash: hashOf(1) }
    const b = { type: InvType.TX, hash: Uint8Array.from(hashOf(1)) }
    expect(a.hash).not.toBe(b.hash)
    expect(invKey(a)).toBe(invKey(b))
  })

  it('reads a hash that is a view into a larger buffer', () => {
    const big = new Uint8Array(100)
    big.set(hashOf(7), 40)
    expect(invKey({ type: 2, hash: big.subarray(40, 72) })).toBe(invKey({ type: 2, hash: hashOf(7) }))
  })

  it('drops the witness flag but keeps txid and wtxid keys apart', () => {
    const h = hashOf(3)
    expect(invKey({ type: InvType.WITNESS_BLOCK, hash: h })).toBe(invKey({ type: InvType.BLOCK, hash: h }))
    expect(invKey({ type: InvType.WITNESS_TX, hash: h })).toBe(invKey({ type: InvType.TX, hash: h }))
    expect(invKey({ type: InvType.WTX, hash: h })).not.toBe(invKey({ type: InvType.TX, hash: h }))
    expect(invKey({ type: InvType.BLOCK, hash: h })).not.toBe(invKey({ type: InvType.TX, hash: h }))
    expect(invKey({ type: 2, hash: h })).toBe(`2:${Buffer.from(h).toString('hex')}`)
  })

  it('normalises types as unsigned 32-bit numbers', () => {
    expect(normalizeInvType(InvType.FILTERED_WITNESS_BLOCK)).toBe(InvType.FILTERED_BLOCK)
    expect(normalizeInvType(0xffffffff)).toBe((0xffffffff & ~WITNESS_FLAG) >>> 0)
    expect(normalizeInvType(0x80000002)).toBe(0x80000002)
  })
})

describe('InvCache', () => {
  it('remembers what was added and nothing else', () => {
    const c = new InvCache({}, { max: 10 })
    c.add(item(InvType.TX, 1))
    expect(c.has(item(InvType.TX, 1))).toBe(true)
    expect(c.has(item(InvType.WITNESS_TX, 1))).toBe(true)
    expect(c.has(item(InvType.WTX, 1))).toBe(false)
    expect(c.has(item(InvType.TX, 2))).toBe(false)
    expect(c.size).toBe(1)
  })

  it('never holds more than max, evicting the least recently added', () => {
    const c = new InvCache({}, { max: 100 })
    for (let i = 0; i < 1000; i++) c.add(item(InvType.TX, i))
    expect(c.size).toBe(100)
    expect(c.has(item(InvType.TX, 899))).toBe(false)
    for (let i = 900; i < 1000; i++) expect(c.has(item(InvType.TX, i))).toBe(true)
  })

  it('re-adding refreshes an entry so it outlives newer ones', () => {
    const c = new InvCache({}, { max: 3 })
    c.addMany([item(1, 1), item(1, 2), item(1, 3)])
    c.add(item(1, 1))
    c.add(item(1, 4))
    expect(c.has(item(1, 1))).toBe(true)
    expect(c.has(item(1, 2))).toBe(false)
  })

  it('filterUnknown returns unknown items in order, once, and marks them', () => {
    const c = new InvCache({}, { max: 100 })
    c.add(item(InvType.BLOCK, 2))
    const input = [
      item(InvType.BLOCK, 1),
      item(InvType.WITNESS_BLOCK, 2),
      item(InvType.BLOCK, 3),
      item(InvType.BLOCK, 1),
    ]
    const out = c.filterUnknown(input)
    expect(out).toEqual([input[0], input[2]])
    expect(c.has(item(InvType.BLOCK, 3))).toBe(true)
    expect(c.filterUnknown(input)).toEqual([])
  })

  it('filterUnknown with mark: false changes nothing', () => {
    const c = new InvCache({}, { max: 100 })
    const out = c.filterUnknown([item(1, 1), item(1, 2)], { mark: false })
    expect(out).toHaveLength(2)
    expect(c.size).toBe(0)
  })

  it('delete and clear forget', () => {
    const c = new InvCache()
    c.addMany([item(1, 1), item(1, 2)])
    expect(c.delete(item(1, 1))).toBe(true)
    expect(c.delete(item(1, 1))).toBe(false)
    expect(c.has(item(1, 2))).toBe(true)
    c.clear()
    expect(c.size).toBe(0)
    expect(c.has(item(1, 2))).toBe(false)
  })

  it('defaults to 5,000 entries and rejects unbounded or invalid sizes', () => {
    expect(new InvCache().max).toBe(5000)
    for (const max of [0, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN, 2_000_000]) {
      expect(() => new InvCache({}, { max })).toThrow(
        expect.objectContaining({ code: 'INVALID_CACHE_OPTION' }),
      )
    }
  })
})
