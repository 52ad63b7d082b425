/**
 * Descriptor parsing and checksums for scantxoutset, against Core's
 * src/test/descriptor_tests.cpp vectors (hex keys only; this node takes no
 * xpub or WIF keys) and bitcoinjs-lib as a second implementation of the
 * output scripts.
 */
import { networks, toHex } from '@node/wire'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { describe, expect, it } from 'vitest'
import { DescriptorError, descriptorChecksum, parseDescriptor } from '../src/descriptor.ts'

bitcoin.initEccLib(ecc)

// Core descriptor_tests.cpp: the key of L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1.
const KEY = '03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd'
const UNCOMPRESSED =
  '04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235'
const XONLY = KEY.slice(2)
const main = networks.mainnet

function one(desc: string): { script: string; desc: string } {
  const r = parseDescriptor(desc, main)
  expect(r).toHaveLength(1)
  return { script: toHex(r[0]!.script), desc: r[0]!.desc }
}

function message(desc: string): string {
  try {
    parseDescriptor(desc, main)
  } catch (err) {
    expect(err).toBeInstanceOf(DescriptorError)
    return (err as Error).message
  }
  throw new Error(`parsed: ${desc}`)
}

describe('descriptor checksums (Core DescriptorChecksum)', () => {
  it('gives the checksums of Core descriptor_tests "Checksums"', () => {
    const prv =
      "sh(multi(2,[00000000/111'/222]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc,xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L/0))"
    const pub =
      "sh(multi(2,[00000000/111'/222]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL,xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/0))"
    expect(descriptorChecksum(prv)).toBe('ggrsrxfy')
    expect(descriptorChecksum(pub)).toBe('tjg09x5t')
  })

  it('accepts a matching checksum and refuses the others with Core messages', () => {
    const body = `pkh(${KEY})`
    const sum = descriptorChecksum(body)
    expect(one(`${body}#${sum}`).script).toBe('76a9149a1c78a507689f6f54b847ad1cef1e614ee23f1e88ac')
    expect(message(`${body}#`)).toBe('Expected 8 character checksum, not 0 characters')
    expect(message(`${body}#${sum}a`)).toBe('Expected 8 character checksum, not 9 characters')
    expect(message(`${body}#${sum}#${sum}`)).toBe("Multiple '#' symbols")
    const wrong = sum.startsWith('q') ? `p${sum.slice(1)}` : `q${sum.slice(1)}`
    expect(message(`${body}#${wrong}`)).toBe(
      `Provided checksum '${wrong}' does not match computed checksum '${sum}'`,
    )
    expect(message('raw(é)')).toBe('Invalid characters in payload')
  })
})

describe('single-key descriptors (Core descriptor_tests "Basic single-key compressed")', () => {
  it('expands pk, pkh, wpkh and sh(wpkh) to Core scripts with inferred descriptors', () => {
    expect(one(`pk(${KEY})`)).toEqual({
      script: `21${KEY}ac`,
      desc: `pk(${KEY})#${descriptorChecksum(`pk(${KEY})`)}`,
    })
    expect(one(`pkh(${KEY})`).script).toBe('76a9149a1c78a507689f6f54b847ad1cef1e614ee23f1e88ac')
    expect(one(`wpkh(${KEY})`).script).toBe('00149a1c78a507689f6f54b847ad1cef1e614ee23f1e')
    expect(one(`sh(wpkh(${KEY}))`)).toEqual({
      script: 'a91484ab21b1b2fd065d4504ff693d832434b6108d7b87',
      desc: `sh(wpkh(${KEY}))#${descriptorChecksum(`sh(wpkh(${KEY}))`)}`,
    })
  })

  it('tweaks tr() keys as BIP86 does, x-only or compressed, inferring tr(XONLY)', () => {
    const expected = '512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11'
    const inferred = `tr(${XONLY})#${descriptorChecksum(`tr(${XONLY})`)}`
    expect(one(`tr(${XONLY})`)).toEqual({ script: expected, desc: inferred })
    expect(one(`tr(${KEY})`)).toEqual({ script: expected, desc: inferred })
    const js = bitcoin.payments.p2tr({ internalPubkey: Buffer.from(XONLY, 'hex') })
    expect(toHex(js.output!)).toBe(expected)
  })

  it('matches bitcoinjs-lib for the scripts of another key', () => {
    const key = '02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9'
    const pubkey = Buffer.from(key, 'hex')
    const w = bitcoin.payments.p2wpkh({ pubkey })
    expect(one(`pkh(${key})`).script).toBe(toHex(bitcoin.payments.p2pkh({ pubkey }).output!))
    expect(one(`wpkh(${key})`).script).toBe(toHex(w.output!))
    expect(one(`sh(wpkh(${key}))`).script).toBe(toHex(bitcoin.payments.p2sh({ redeem: w }).output!))
    expect(one(`pk(${key})`).script).toBe(toHex(bitcoin.payments.p2pk({ pubkey }).output!))
  })

  it('allows uncompressed keys in pk and pkh only, and refuses hybrid and off-curve keys', () => {
    expect(one(`pk(${UNCOMPRESSED})`).script).toBe(`41${UNCOMPRESSED}ac`)
    expect(one(`pkh(${UNCOMPRESSED})`).script).toBe('76a914b5bd079c4d57cc7fc28ecf8213a6b791625b818388ac')
    expect(message(`wpkh(${UNCOMPRESSED})`)).toBe('wpkh(): Uncompressed keys are not allowed')
    expect(message(`sh(wpkh(${UNCOMPRESSED}))`)).toBe('wpkh(): Uncompressed keys are not allowed')
    expect(message(`pkh(07${UNCOMPRESSED.slice(2)})`)).toBe('pkh(): Hybrid public keys are not allowed')
    // Core "Invalid pubkey": 32 bytes outside tr(), and a key not on the curve.
    expect(message(`pkh(${XONLY})`)).toBe(`pkh(): Pubkey '${XONLY}' is invalid`)
    const offCurve = `02${'00'.repeat(31)}05`
    expect(message(`pk(${offCurve})`)).toBe(`pk(): Pubkey '${offCurve}' is invalid`)
  })
})

describe('addr() and raw()', () => {
  it('evaluates addresses of the network and raw scripts, inferring as Core does', () => {
    const a = one('addr(bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4)')
    expect(a.script).toBe('0014751e76e8199196d454941c45d1b3a323f1433bd6')
    expect(a.desc).toBe(
      `addr(bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4)#${descriptorChecksum('addr(bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4)')}`,
    )
    // Core's scantxoutset example: raw() of mainnet 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S.
    const r = one('raw(76a91411b366edfc0a8b66feebae5c2e25a7b6a5d1cf3188ac)#fm24fxxy')
    expect(r.script).toBe('76a91411b366edfc0a8b66feebae5c2e25a7b6a5d1cf3188ac')
    expect(r.desc).toBe(
      `addr(12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S)#${descriptorChecksum('addr(12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S)')}`,
    )
    expect(message('addr(bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx)')).toBe('Address is not valid')
    expect(message('raw(zz)')).toBe('Raw script is not hex')
    expect(message('foo(00)')).toBe("'foo(00)' is not a valid descriptor function")
  })
})
