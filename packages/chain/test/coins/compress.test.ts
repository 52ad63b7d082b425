/**
 * Core's coin encoding: amount vectors and loops of src/test/compress_tests.cpp
 * (`compress_amounts`), VARINT bit patterns of src/test/serialize_tests.cpp
 * (`varints_bitpatterns`), the coin vectors of src/test/coins_tests.cpp
 * (`ccoins_serialization`), the script special forms of compressor.cpp, and
 * round trips. Bitcoin Core, MIT licence.
 */
import { Reader } from '@node/wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeVarInt, readVarInt } from '../../src/coins/compress.ts'
import { compressAmount, compressScript, decodeCoin, decompressAmount, encodeCoin } from '../../src/index.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const COIN = 100_000_000n
const CENT = 1_000_000n

describe('amount compression (compress_tests.cpp)', () => {
  it('matches the fixed pairs', () => {
    const pairs: [bigint, bigint][] = [
      [0n, 0x0n],
      [1n, 0x1n],
      [CENT, 0x7n],
      [COIN, 0x9n],
      [50n * COIN, 0x32n],
      [21_000_000n * COIN, 0x1406f40n],
    ]
    for (const [dec, enc] of pairs) {
      expect(compressAmount(dec)).toBe(enc)
      expect(decompressAmount(enc)).toBe(dec)
    }
  })

  it('round trips every multiple Core checks', () => {
    const encodes = (v: bigint): boolean => decompressAmount(compressAmount(v)) === v
    for (let i = 1n; i <= 100_000n; i++) if (!encodes(i)) throw new Error(`unit ${i}`)
    for (let i = 1n; i <= 10_000n; i++) if (!encodes(i * CENT)) throw new Error(`cent ${i}`)
    for (let i = 1n; i <= 10_000n; i++) if (!encodes(i * COIN)) throw new Error(`coin ${i}`)
    for (let i = 1n; i <= 420_000n; i++) if (!encodes(i * 50n * COIN)) throw new Error(`50 coin ${i}`)
    for (let i = 0n; i < 100_000n; i++)
      if (compressAmount(decompressAmount(i)) !== i) throw new Error(`decode ${i}`)
  })
})

describe('VARINT (serialize_tests.cpp varints_bitpatterns)', () => {
  const vectors: [number, string][] = [
    [0, '00'],
    [0x7f, '7f'],
    [0x80, '8000'],
    [0x1234, 'a334'],
    [0xffff, '82fe7f'],
    [0x123456, 'c7e756'],
    [0x80123456, '86ffc7e756'],
    [0xffffffff, '8efefefe7f'],
  ]
  it.each(vectors)('%i ↔ %s', (n, h) => {
    expect(hex(encodeVarInt(n))).toBe(h)
    expect(readVarInt(new Reader(unhex(h)))).toBe(n)
  })

  it('rejects a VARINT that overflows a uint32, as ReadVarInt does', () => {
    expect(readVarInt(new Reader(encodeVarInt(0xffffffff)), 'x', 0xffffffff)).toBe(0xffffffff)
    for (const n of [2 ** 32, 2 ** 40, 2 ** 50]) {
      expect(() => readVarInt(new Reader(encodeVarInt(n)), 'x', 0xffffffff)).toThrow(
        expect.objectContaining({ code: 'CORRUPT_COIN' }),
      )
    }
  })
})

const p2pkh = (h: string): Uint8Array => unhex(`76a914${h}88ac`)
// secp256k1's generator G, uncompressed (y is even)
const G_UNCOMPRESSED =
  '0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8'

describe('coin serialization (coins_tests.cpp ccoins_serialization)', () => {
  it('decodes Core’s good examples', () => {
    const c1 = decodeCoin(unhex('97f23c835800816115944e077fe7c803cfa57f29b36bf87c1d35'))
    expect(c1).toEqual({
      coinbase: false,
      height: 203998,
      value: 60_000_000_000n,
      script: p2pkh('816115944e077fe7c803cfa57f29b36bf87c1d35'),
    })
    const c2 = decodeCoin(unhex('8ddf77bbd123008c988f1a4a4de2161e0f50aac7f17e7f9555caa4'))
    expect(c2).toEqual({
      coinbase: true,
      height: 120891,
      value: 110397n,
      script: p2pkh('8c988f1a4a4de2161e0f50aac7f17e7f9555caa4'),
    })
    expect(decodeCoin(unhex('000006'))).toEqual({
      coinbase: false,
      height: 0,
      value: 0n,
      script: new Uint8Array(0),
    })
    // and encodes them back to the same bytes
    expect(hex(encodeCoin(c1))).toBe('97f23c835800816115944e077fe7c803cfa57f29b36bf87c1d35')
    expect(hex(encodeCoin(c2))).toBe('8ddf77bbd123008c988f1a4a4de2161e0f50aac7f17e7f9555caa4')
  })

  it('rejects a script that ends past the data, with a typed error', () => {
    expect(() => decodeCoin(unhex('000007'))).toThrow(expect.objectContaining({ code: 'CORRUPT_COIN' }))
    // a 3e9-byte script size (Core: VARINT(3000000000) = 8a95c0bb00)
    expect(hex(encodeVarInt(3_000_000_000))).toBe('8a95c0bb00')
    expect(() => decodeCoin(unhex('00008a95c0bb00'))).toThrow(
      expect.objectContaining({ code: 'CORRUPT_COIN' }),
    )
  })

  it('every strict prefix of a coin throws CorruptCoinError, trailing bytes too', () => {
    const bytes = unhex('97f23c835800816115944e077fe7c803cfa57f29b36bf87c1d35')
    for (let i = 0; i < bytes.length; i++) {
      expect(() => decodeCoin(bytes.subarray(0, i))).toThrow(
        expect.objectContaining({ name: 'CorruptCoinError', code: 'CORRUPT_COIN', severity: 'ignore' }),
      )
    }
    expect(() => decodeCoin(Uint8Array.from([...bytes, 0]))).toThrow(
      expect.objectContaining({ code: 'CORRUPT_COIN' }),
    )
  })
})

describe('script compression (compressor.cpp)', () => {
  const h20 = '11'.repeat(20)
  it('P2PKH and P2SH become 21 bytes', () => {
    expect(hex(compressScript(p2pkh(h20))!)).toBe(`00${h20}`)
    expect(hex(compressScript(unhex(`a914${h20}87`))!)).toBe(`01${h20}`)
  })

  it('compressed P2PK becomes 33 bytes, uncompressed P2PK too when the key is valid', () => {
    const x = G_UNCOMPRESSED.slice(2, 66)
    expect(hex(compressScript(unhex(`2102${x}ac`))!)).toBe(`02${x}`)
    expect(hex(compressScript(unhex(`2103${x}ac`))!)).toBe(`03${x}`)
    expect(hex(compressScript(unhex(`41${G_UNCOMPRESSED}ac`))!)).toBe(`04${x}`)
    const coin = { value: 5_000_000_000n, script: unhex(`41${G_UNCOMPRESSED}ac`), height: 1, coinbase: true }
    const enc = encodeCoin(coin)
    expect(enc.length).toBe(1 + 1 + 33) // code, amount, special form
    expect(decodeCoin(enc)).toEqual(coin)
  })

  it('an uncompressed P2PK whose key is not on the curve is stored whole (size + 6)', () => {
    const bad = unhex(`4104${'00'.repeat(63)}07ac`)
    expect(compressScript(bad)).toBeUndefined()
    const coin = { value: 1n, script: bad, height: 0, coinbase: false }
    const enc = encodeCoin(coin)
    expect(enc[2]).toBe(67 + 6)
    expect(decodeCoin(enc)).toEqual(coin)
  })

  it('other scripts are VARINT(size + 6) then the bytes; an oversized stored script reads as OP_RETURN', () => {
    const script = new Uint8Array(200).fill(0x51)
    const enc = encodeCoin({ value: 0n, script, height: 0, coinbase: false })
    expect(hex(enc.subarray(2, 4))).toBe(hex(encodeVarInt(206)))
    // VARINT(10001 + 6) then 10001 bytes: Core replaces it with a lone OP_RETURN
    const big = Uint8Array.from([0, 0, ...encodeVarInt(10_007), ...new Uint8Array(10_001)])
    expect(decodeCoin(big).script).toEqual(Uint8Array.of(0x6a))
  })

  it('round trips any coin', () => {
    const script = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      fc.uint8Array({ minLength: 20, maxLength: 20 }).map((h) => p2pkh(hex(h))),
      fc.uint8Array({ minLength: 20, maxLength: 20 }).map((h) => unhex(`a914${hex(h)}87`)),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((x) => unhex(`2102${hex(x)}ac`)),
    )
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 21_000_000n * COIN }),
        script,
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.boolean(),
        (value, s, height, coinbase) => {
          const coin = { value, script: s, height, coinbase }
          expect(decodeCoin(encodeCoin(coin))).toEqual(coin)
        },
      ),
      { numRuns: 500 },
    )
  })
})
