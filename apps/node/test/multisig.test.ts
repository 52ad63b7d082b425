/**
 * createmultisig's work against bitcoind's answers for the keys of Core's
 * help example (rpc/output_script.cpp), and against bitcoinjs-lib as a
 * second implementation of the P2MS, P2SH and P2WSH scripts and addresses.
 */
import { networks, toHex } from '@node/wire'
import * as bitcoin from 'bitcoinjs-lib'
import { describe, expect, it } from 'vitest'
import { descriptorChecksum } from '../src/descriptor.ts'
import { createMultisig } from '../src/multisig.ts'
import { RpcErrorCode } from '../src/rpc-errors.ts'

const K1 = '03789ed0bb717d88f7d321a368d905e7430207ebbd82bd342cf11ae157a7ace5fd'
const K2 = '03dbc6764b8884a92e871274b87583e6d5c2a58819473e17e107ef3f6aa5a61626'
const REDEEM = `5221${K1}21${K2}52ae`
const UNCOMPRESSED =
  '04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235'
const withSum = (d: string): string => `${d}#${descriptorChecksum(d)}`

function rpcFailure(f: () => unknown): { code: number; message: string } {
  try {
    f()
  } catch (err) {
    return { code: (err as { rpcCode: number }).rpcCode, message: (err as Error).message }
  }
  throw new Error('no error')
}

describe('createmultisig', () => {
  it("gives bitcoind's answers for Core's help-example keys", () => {
    expect(createMultisig(2, [K1, K2], 'legacy', networks.regtest)).toEqual({
      address: '2NGRTbZBLGV4tJ3y4Avz7sa2Dea9o93UaPH',
      redeemScript: REDEEM,
      descriptor: withSum(`sh(multi(2,${K1},${K2}))`),
    })
    expect(createMultisig(2, [K1, K2], 'legacy', networks.mainnet).address).toBe(
      '3QsFXpFJf2ZY6GLWVoNFFd2xSDwdS713qX',
    )
    expect(createMultisig(2, [K1, K2], 'bech32', networks.testnet3)).toEqual({
      address: 'tb1q0jnggjwnn22a4ywxc2pcw86c0d6tghqkgk3hlryrxl7nmxkylmnqdcdsu7',
      redeemScript: REDEEM,
      descriptor: withSum(`wsh(multi(2,${K1},${K2}))`),
    })
    expect(createMultisig(2, [K1, K2], 'p2sh-segwit', networks.regtest)).toEqual({
      address: '2MtrgHUaouokgnbFVdrbJCwtrcTnyKUWi3o',
      redeemScript: REDEEM,
      descriptor: withSum(`sh(wsh(multi(2,${K1},${K2})))`),
    })
  })

  it('matches bitcoinjs-lib for 1 to 16 keys of every type', () => {
    const keys: string[] = []
    // Two valid keys alternately (Core allows repeated keys).
    for (let i = 0; i < 20; i++) keys.push(i % 2 === 0 ? K1 : K2)
    for (const m of [1, 3, 15, 16]) {
      const ks = keys.slice(0, m)
      const pubkeys = ks.map((k) => Buffer.from(k, 'hex'))
      const network = bitcoin.networks.regtest
      const p2ms = bitcoin.payments.p2ms({ m: Math.min(m, 2), pubkeys, network }, { validate: false })
      const ours = createMultisig(Math.min(m, 2), ks, 'bech32', networks.regtest)
      expect(ours.redeemScript).toBe(toHex(p2ms.output!))
      expect(ours.address).toBe(bitcoin.payments.p2wsh({ redeem: p2ms, network }).address)
      const nested = createMultisig(Math.min(m, 2), ks, 'p2sh-segwit', networks.regtest)
      expect(nested.address).toBe(
        bitcoin.payments.p2sh({ redeem: bitcoin.payments.p2wsh({ redeem: p2ms, network }), network }).address,
      )
      if (p2ms.output!.length <= 520) {
        expect(createMultisig(Math.min(m, 2), ks, 'legacy', networks.regtest).address).toBe(
          bitcoin.payments.p2sh({ redeem: p2ms, network }).address,
        )
      }
    }
  })

  it('pushes counts of 17 to 20 keys as numbers (Core CScript << int64), not as opcodes', () => {
    const keys = new Array<string>(20).fill(K1)
    const r = createMultisig(17, keys, 'bech32', networks.regtest)
    expect(r.redeemScript).toBe(`0111${`21${K1}`.repeat(20)}0114ae`)
  })

  it('falls back to legacy with a warning when a key is uncompressed', () => {
    const r = createMultisig(1, [K1, UNCOMPRESSED], 'bech32', networks.regtest)
    expect(r.descriptor).toBe(withSum(`sh(multi(1,${K1},${UNCOMPRESSED}))`))
    expect(r.warnings).toEqual([
      'Unable to make chosen address type, please ensure no uncompressed public keys are present.',
    ])
    expect(createMultisig(1, [K1, UNCOMPRESSED], 'legacy', networks.regtest).warnings).toBeUndefined()
  })

  it('takes hybrid keys as Core HexToPubKey does (parity checked), as legacy', () => {
    const hybrid = `07${UNCOMPRESSED.slice(2)}`
    const r = createMultisig(1, [hybrid], 'bech32', networks.regtest)
    expect(r.redeemScript).toBe(`5141${hybrid}51ae`)
    expect(r.address).toMatch(/^2/)
    expect(r.descriptor).toBe(withSum(`addr(${r.address})`))
    expect(r.warnings).toHaveLength(1)
    // y of this key is odd: 06 (even) is not the same point.
    const wrong = `06${UNCOMPRESSED.slice(2)}`
    expect(rpcFailure(() => createMultisig(1, [wrong], 'legacy', networks.regtest)).message).toBe(
      `Pubkey "${wrong}" must be cryptographically valid.`,
    )
  })

  it("refuses what Core refuses, with Core's codes and texts", () => {
    const n = networks.regtest
    expect(rpcFailure(() => createMultisig(0, [K1], 'legacy', n))).toEqual({
      code: RpcErrorCode.RPC_INVALID_PARAMETER,
      message: 'a multisignature address must require at least one key to redeem',
    })
    expect(rpcFailure(() => createMultisig(3, [K1, K2], 'legacy', n))).toEqual({
      code: RpcErrorCode.RPC_INVALID_PARAMETER,
      message: 'not enough keys supplied (got 2 keys, but need at least 3 to redeem)',
    })
    expect(rpcFailure(() => createMultisig(1, new Array<string>(21).fill(K1), 'legacy', n))).toEqual({
      code: RpcErrorCode.RPC_INVALID_PARAMETER,
      message: 'Number of keys involved in the multisignature address creation > 20\nReduce the number',
    })
    // 16 compressed keys: 3 + 16 * 34 = 547 bytes, over the 520-byte P2SH limit; fine for P2WSH.
    const sixteen = new Array<string>(16).fill(K1)
    expect(rpcFailure(() => createMultisig(1, sixteen, 'legacy', n))).toEqual({
      code: RpcErrorCode.RPC_INVALID_PARAMETER,
      message: 'redeemScript exceeds size limit: 547 > 520',
    })
    expect(createMultisig(1, sixteen, 'bech32', n).address).toMatch(/^bcrt1q/)
    expect(rpcFailure(() => createMultisig(1, [K1], 'bech32m', n))).toEqual({
      code: RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY,
      message: 'createmultisig cannot create bech32m multisig addresses',
    })
    expect(rpcFailure(() => createMultisig(1, [K1], 'p2pkh', n))).toEqual({
      code: RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY,
      message: "Unknown address type 'p2pkh'",
    })
    expect(rpcFailure(() => createMultisig(1, ['zz'], 'legacy', n)).message).toBe(
      'Pubkey "zz" must be a hex string',
    )
    expect(rpcFailure(() => createMultisig(1, ['0203'], 'legacy', n)).message).toBe(
      'Pubkey "0203" must have a length of either 33 or 65 bytes',
    )
    const offCurve = `02${'00'.repeat(31)}05`
    expect(rpcFailure(() => createMultisig(1, [offCurve], 'legacy', n))).toEqual({
      code: RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY,
      message: `Pubkey "${offCurve}" must be cryptographically valid.`,
    })
  })
})
