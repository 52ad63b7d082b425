import { readFileSync } from 'node:fs'
import { FastRandom } from '@node/addrmgr'
import { describe, expect, it } from 'vitest'
import { deterministicRandomizer, SipHasher, siphash24, sipKeyFromBytes } from '../src/siphash.ts'

interface VectorFile {
  key: string
  vectors: { length: number; hash: string }[]
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/siphash-vectors.json', import.meta.url), 'utf8'),
) as VectorFile
const key = Buffer.from(fixture.key, 'hex')
const input = Uint8Array.from({ length: 64 }, (_, i) => i)

/** A plain BigInt model of SipHash-2-4, written from the paper, to cross-check the 32-bit one. */
function model(k: Uint8Array, data: Uint8Array): bigint {
  const M = (1n << 64n) - 1n
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M
  const view = new DataView(k.buffer, k.byteOffset, 16)
  const k0 = view.getBigUint64(0, true)
  const k1 = view.getBigUint64(8, true)
  let v0 = k0 ^ 0x736f6d6570736575n
  let v1 = k1 ^ 0x646f72616e646f6dn
  let v2 = k0 ^ 0x6c7967656e657261n
  let v3 = k1 ^ 0x7465646279746573n
  const round = (): void => {
    v0 = (v0 + v1) & M
    v1 = rotl(v1, 13n) ^ v0
    v0 = rotl(v0, 32n)
    v2 = (v2 + v3) & M
    v3 = rotl(v3, 16n) ^ v2
    v0 = (v0 + v3) & M
    v3 = rotl(v3, 21n) ^ v0
    v2 = (v2 + v1) & M
    v1 = rotl(v1, 17n) ^ v2
    v2 = rotl(v2, 32n)
  }
  const full = data.length - (data.length % 8)
  for (let i = 0; i < full; i += 8) {
    let m = 0n
    for (let j = 7; j >= 0; j--) m = (m << 8n) | BigInt(data[i + j]!)
    v3 ^= m
    round()
    round()
    v0 ^= m
  }
  let t = BigInt(data.length & 0xff) << 56n
  for (let i = full; i < data.length; i++) t |= BigInt(data[i]!) << BigInt(8 * (i - full))
  v3 ^= t
  round()
  round()
  v0 ^= t
  v2 ^= 0xffn
  for (let i = 0; i < 4; i++) round()
  return v0 ^ v1 ^ v2 ^ v3
}

describe('SipHash-2-4 reference vectors', () => {
  it.each(fixture.vectors)('$length bytes -> $hash', ({ length, hash }) => {
    expect(siphash24(key, input.subarray(0, length))).toBe(BigInt(`0x${hash}`))
  })

  it('gives the same result fed in pieces, as Core’s CSipHasher test does', () => {
    const want = (n: number): bigint => BigInt(`0x${fixture.vectors[n]!.hash}`)
    const h = new SipHasher(sipKeyFromBytes(key))
    expect(h.finalize()).toBe(want(0))
    h.write(Uint8Array.of(0))
    expect(h.finalize()).toBe(want(1))
    h.write(Uint8Array.of(1, 2, 3, 4, 5, 6, 7))
    expect(h.finalize()).toBe(want(8))
    h.writeU64(0x0f0e0d0c0b0a0908n)
    expect(h.finalize()).toBe(want(16))
    h.write(Uint8Array.of(16, 17))
    expect(h.finalize()).toBe(want(18))
    // A word written off a word boundary goes through the byte path.
    h.writeU64(0x1918171615141312n)
    expect(h.finalize()).toBe(want(26))
    h.write(input.subarray(26, 33))
    expect(h.finalize()).toBe(want(33))
  })

  it('a clone continues independently', () => {
    const h = new SipHasher(sipKeyFromBytes(key)).write(input.subarray(0, 5))
    const c = h.clone()
    c.write(input.subarray(5, 20))
    expect(c.finalize()).toBe(BigInt(`0x${fixture.vectors[20]!.hash}`))
    expect(h.finalize()).toBe(BigInt(`0x${fixture.vectors[5]!.hash}`))
  })

  it('matches a BigInt model on random keys and inputs', () => {
    const rng = FastRandom.deterministic()
    for (let i = 0; i < 300; i++) {
      const k = rng.randbytes(16)
      const data = rng.randbytes(rng.randrange(80))
      expect(siphash24(k, data)).toBe(model(k, data))
    }
  })

  it('writeU64 is eight little-endian bytes', () => {
    const k = sipKeyFromBytes(key)
    const bytes = Uint8Array.of(0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0xf1)
    expect(new SipHasher(k).writeU64(0xf123456789abcdefn).finalize()).toBe(siphash24(k, bytes))
    // Numbers and negative values wrap to 64 bits as Core's uint64_t does.
    expect(new SipHasher(k).writeU64(7).finalize()).toBe(new SipHasher(k).writeU64(7n).finalize())
    expect(new SipHasher(k).writeU64(-1n).finalize()).toBe(
      new SipHasher(k).writeU64(0xffffffffffffffffn).finalize(),
    )
  })

  it('deterministicRandomizer writes the id first', () => {
    const k = sipKeyFromBytes(key)
    expect(deterministicRandomizer(k, 5n).writeU64(9n).finalize()).toBe(
      new SipHasher(k).writeU64(5n).writeU64(9n).finalize(),
    )
  })

  it('rejects a key that is not 16 bytes', () => {
    expect(() => sipKeyFromBytes(new Uint8Array(15))).toThrow(
      expect.objectContaining({ code: 'BAD_SIPHASH_KEY' }),
    )
  })
})
