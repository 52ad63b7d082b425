import { readFileSync } from 'node:fs'
import { InvType } from '@node/wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { murmur3, RollingBloomFilter, RollingInvFilter, rollingFilterParams } from '../src/index.ts'
import { hashOf, item, seeded } from './helpers.ts'

const vectors = JSON.parse(readFileSync(new URL('./fixtures/murmur3.json', import.meta.url), 'utf8')) as {
  valid: { description: string; seed: number; hex: string; hash: string }[]
}

describe('murmur3', () => {
  for (const v of vectors.valid) {
    it(v.description, () => {
      const got = murmur3(v.seed, new Uint8Array(Buffer.from(v.hex, 'hex')))
      expect(got.toString(16).padStart(8, '0')).toBe(v.hash)
    })
  }
})

function invBytes(type: number, hash: Uint8Array): Uint8Array {
  const out = new Uint8Array(36)
  new DataView(out.buffer).setUint32(0, type, true)
  out.set(hash, 4)
  return out
}

describe('RollingBloomFilter', () => {
  it('sizes itself as Core does: 20 hash functions for 1e-6, 10 for 0.001', () => {
    expect(rollingFilterParams(50_000, 0.000001).hashFuncs).toBe(20)
    expect(rollingFilterParams(5_000, 0.001).hashFuncs).toBe(10)
    const f = new RollingInvFilter({ random32: seeded(1) }, { entries: 50_000, fpRate: 0.000001 })
    f.add(item(1, 0))
    // Two planes of ≈ 2.16 Mbit each: about 540 KB, fixed.
    expect(f.byteLength).toBeGreaterThan(500_000)
    expect(f.byteLength).toBeLessThan(600_000)
  })

  it('hashes an inventory item in place exactly as the 36 bytes type ‖ hash', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x3fffffff }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (type, hash) => {
          const f = new RollingBloomFilter({ random32: seeded(type) }, { entries: 100, fpRate: 0.0001 })
          f.addInv({ type, hash })
          expect(f.has(invBytes(type, hash))).toBe(true)
          const g = new RollingBloomFilter({ random32: seeded(type) }, { entries: 100, fpRate: 0.0001 })
          g.add(invBytes(type, hash))
          expect(g.hasInv({ type, hash })).toBe(true)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('remembers at least the last `entries` insertions, and forgets old ones', () => {
    const f = new RollingInvFilter({ random32: seeded(2) }, { entries: 1000, fpRate: 0.001 })
    for (let i = 0; i < 6000; i++) f.add(item(InvType.TX, i))
    for (let i = 5000; i < 6000; i++) expect(f.has(item(InvType.TX, i))).toBe(true)
    let stillThere = 0
    for (let i = 0; i < 1000; i++) if (f.has(item(InvType.TX, i))) stillThere++
    expect(stillThere).toBeLessThan(10) // only false positives remain
    expect(f.size).toBeLessThanOrEqual(1500)
  })

  it('keeps its false-positive rate near the target when full', () => {
    const f = new RollingInvFilter({ random32: seeded(3) }, { entries: 10_000, fpRate: 0.001 })
    for (let i = 0; i < 15_000; i++) f.add(item(InvType.TX, i, 'in'))
    let fp = 0
    const trials = 100_000
    for (let i = 0; i < trials; i++) if (f.has(item(InvType.TX, i, 'out'))) fp++
    // Expected ≈ 100 at 0.001; allow 2.5× for the double-hashing approximation.
    expect(fp).toBeLessThan(250)
  })

  it('uses fixed memory whatever is inserted', () => {
    const f = new RollingInvFilter({ random32: seeded(4) }, { entries: 2000, fpRate: 0.0001 })
    f.add(item(1, -1))
    const bytes = f.byteLength
    for (let i = 0; i < 30_000; i++) f.add(item(1, i))
    expect(f.byteLength).toBe(bytes)
    expect(f.size).toBeLessThanOrEqual(3000)
  })

  it('normalises the witness flag and keeps tx and wtx apart', () => {
    const f = new RollingInvFilter({ random32: seeded(5) }, { entries: 100, fpRate: 0.000001 })
    const h = hashOf(9)
    f.add({ type: InvType.WITNESS_BLOCK, hash: h })
    expect(f.has({ type: InvType.BLOCK, hash: h })).toBe(true)
    f.add({ type: InvType.TX, hash: h })
    expect(f.has({ type: InvType.WITNESS_TX, hash: h })).toBe(true)
    expect(f.has({ type: InvType.WTX, hash: h })).toBe(false)
  })

  it('filterUnknown returns unknown items once and marks them', () => {
    const f = new RollingInvFilter({ random32: seeded(6) }, { entries: 1000, fpRate: 0.000001 })
    f.add(item(5, 2))
    const input = [item(5, 1), item(5, 2), item(5, 3), item(5, 1)]
    expect(f.filterUnknown(input)).toEqual([input[0], input[2]])
    expect(f.filterUnknown(input)).toEqual([])
    expect(f.filterUnknown([item(5, 4)], { mark: false })).toHaveLength(1)
    expect(f.has(item(5, 4))).toBe(false)
  })

  it('clear forgets everything and frees the planes', () => {
    const f = new RollingBloomFilter({ random32: seeded(7) }, { entries: 100, fpRate: 0.01 })
    const data = new Uint8Array([1, 2, 3])
    expect(f.has(data)).toBe(false)
    expect(f.byteLength).toBe(0)
    f.add(data)
    expect(f.has(data)).toBe(true)
    f.clear()
    expect(f.has(data)).toBe(false)
    expect(f.byteLength).toBe(0)
  })

  it('a secret tweak changes which items collide', () => {
    const a = new RollingInvFilter({ random32: () => 1 }, { entries: 100, fpRate: 0.05 })
    const b = new RollingInvFilter({ random32: () => 2 }, { entries: 100, fpRate: 0.05 })
    for (let i = 0; i < 150; i++) {
      a.add(item(1, i))
      b.add(item(1, i))
    }
    const fpA: number[] = []
    const fpB: number[] = []
    for (let i = 1000; i < 3000; i++) {
      if (a.has(item(1, i))) fpA.push(i)
      if (b.has(item(1, i))) fpB.push(i)
    }
    expect(fpA.length).toBeGreaterThan(0)
    expect(fpA).not.toEqual(fpB)
  })

  it('rejects invalid sizes', () => {
    for (const init of [
      { entries: 0 },
      { entries: 1.5 },
      { entries: 1e9 },
      { fpRate: 0 },
      { fpRate: 1 },
      { fpRate: Number.NaN },
    ]) {
      expect(() => new RollingBloomFilter({}, init)).toThrow(
        expect.objectContaining({ code: 'INVALID_CACHE_OPTION' }),
      )
    }
  })
})
