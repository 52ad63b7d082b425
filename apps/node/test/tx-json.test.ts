/**
 * Output scripts and transactions as bitcoind shows them (getblock 2,
 * decoderawtransaction): asm, type, address and inferred descriptor.
 *
 * Expected values marked "bitcoind" are copied from bitcoind's own RPC output
 * (decoderawtransaction / getblock / decodescript results for those scripts);
 * addresses are also cross-checked against bitcoinjs-lib.
 */
import { fromHex, networks, Tx } from '@node/wire'
import * as bitcoin from 'bitcoinjs-lib'
import { describe, expect, it } from 'vitest'
import { AddressError, addressToScript, scriptToAddress } from '../src/address.ts'
import { descriptorChecksum } from '../src/descriptor.ts'
import { scriptAsm, solve } from '../src/script.ts'
import { btcValue, scriptPubKeyJson, txToJson } from '../src/tx-json.ts'

const h = fromHex

describe('scriptPubKey JSON (Core ScriptToUniv)', () => {
  it.each([
    // bitcoind: mainnet block 1 coinbase output.
    [
      'mainnet',
      '410496b538e853519c726a2c91e61ec11600ae1390813a627c66fb8be7947be63c52da7589379515d4e0a604f8141781e62294721166bf621e73a82cbf2342c858eeac',
      {
        asm: '0496b538e853519c726a2c91e61ec11600ae1390813a627c66fb8be7947be63c52da7589379515d4e0a604f8141781e62294721166bf621e73a82cbf2342c858ee OP_CHECKSIG',
        desc: 'pk(0496b538e853519c726a2c91e61ec11600ae1390813a627c66fb8be7947be63c52da7589379515d4e0a604f8141781e62294721166bf621e73a82cbf2342c858ee)#qnv32gt7',
        type: 'pubkey',
      },
    ],
    // bitcoind (regtest): P2WSH and P2WPKH.
    [
      'regtest',
      '0020657760ca015175e42ff5b4470563b23adcf0d2973a0506a176a5569690d64437',
      {
        asm: '0 657760ca015175e42ff5b4470563b23adcf0d2973a0506a176a5569690d64437',
        desc: 'addr(bcrt1qv4mkpjsp2967gtl4k3rs2caj8tw0p55h8gzsdgtk54tfdyxkgsmsvc0c37)#xfhwt3ez',
        address: 'bcrt1qv4mkpjsp2967gtl4k3rs2caj8tw0p55h8gzsdgtk54tfdyxkgsmsvc0c37',
        type: 'witness_v0_scripthash',
      },
    ],
    [
      'regtest',
      '0014f66bcc7b6238eff7e548553b19611c234ddfe4a4',
      {
        asm: '0 f66bcc7b6238eff7e548553b19611c234ddfe4a4',
        desc: 'addr(bcrt1q7e4uc7mz8rhl0e2g25a3jcguydxale9yrnl4cz)#xps6m4ne',
        address: 'bcrt1q7e4uc7mz8rhl0e2g25a3jcguydxale9yrnl4cz',
        type: 'witness_v0_keyhash',
      },
    ],
    // bitcoind: taproot outputs on regtest, testnet and mainnet.
    [
      'regtest',
      '51209bcbd366c542d77635150211f6283d3ff4d9979d312cdf42e4bbd047aa77d961',
      {
        asm: '1 9bcbd366c542d77635150211f6283d3ff4d9979d312cdf42e4bbd047aa77d961',
        desc: 'rawtr(9bcbd366c542d77635150211f6283d3ff4d9979d312cdf42e4bbd047aa77d961)#q2ud38tc',
        address: 'bcrt1pn09axek9gtthvdg4qgglv2pa8l6dn9uaxykd7shyh0gy02nhm9sslp6ha5',
        type: 'witness_v1_taproot',
      },
    ],
    [
      'testnet3',
      '512083698e458c6664e1595d75da2597de1e22ee97d798e706c4c0a4b5a9823cd743',
      {
        desc: 'rawtr(83698e458c6664e1595d75da2597de1e22ee97d798e706c4c0a4b5a9823cd743)#lr3hfg6s',
        address: 'tb1psd5cu3vvvejwzk2awhdzt977rc3wa97hnrnsd3xq5j66nq3u6aps0rtp4w',
      },
    ],
    [
      'mainnet',
      '51203b8b3ab1453eb47e2d4903b963776680e30863df3625d3e74292338ae7928da1',
      {
        desc: 'rawtr(3b8b3ab1453eb47e2d4903b963776680e30863df3625d3e74292338ae7928da1)#tv35u9pg',
        address: 'bc1p8w9n4v298668ut2fqwukxamxsr3ssc7lxcja8e6zjgec4euj3ksswckxz6',
      },
    ],
    // bitcoind: OP_RETURN outputs (small pushes shown as numbers, OP_13 as 13).
    [
      'mainnet',
      '6a5d0414011400',
      { asm: 'OP_RETURN 13 1310996', desc: 'raw(6a5d0414011400)#cwmyltm8', type: 'nulldata' },
    ],
    ['testnet3', '6a024869', { asm: 'OP_RETURN 26952', desc: 'raw(6a024869)#nz6xdglz', type: 'nulldata' }],
    [
      'regtest',
      '6a24aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9',
      {
        asm: 'OP_RETURN aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9',
        desc: 'raw(6a24aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9)#cav96mf3',
        type: 'nulldata',
      },
    ],
    // bitcoind: bare 1-of-3 multisig.
    [
      'mainnet',
      '512103c46b73fe2ff939bea5d0a577950dc8876e863bed11c887d681417dfd70533e5121039036c8182c70770f8f6bd702a25c7179bfff1ccb3a844297a717226b88b976cc2102020202020202020202020202020202020202020202020202020202020202020253ae',
      {
        asm: '1 03c46b73fe2ff939bea5d0a577950dc8876e863bed11c887d681417dfd70533e51 039036c8182c70770f8f6bd702a25c7179bfff1ccb3a844297a717226b88b976cc 020202020202020202020202020202020202020202020202020202020202020202 3 OP_CHECKMULTISIG',
        desc: 'multi(1,03c46b73fe2ff939bea5d0a577950dc8876e863bed11c887d681417dfd70533e51,039036c8182c70770f8f6bd702a25c7179bfff1ccb3a844297a717226b88b976cc,020202020202020202020202020202020202020202020202020202020202020202)#jjleg3k0',
        type: 'multisig',
      },
    ],
  ] as const)('%s %s', (net, hex, expected) => {
    const j = scriptPubKeyJson(h(hex), networks[net])
    expect(j).toMatchObject({ hex, ...expected })
    if (!('address' in expected)) expect(j).not.toHaveProperty('address')
  })

  it('classifies the other templates as Core Solver does', () => {
    const type = (hex: string) => solve(h(hex)).type
    expect(type(`a914${'11'.repeat(20)}87`)).toBe('scripthash')
    expect(type(`76a914${'11'.repeat(20)}88ac`)).toBe('pubkeyhash')
    expect(type(`5228${'22'.repeat(40)}`)).toBe('witness_unknown')
    expect(type('51024e73')).toBe('anchor')
    expect(type(`0015${'33'.repeat(21)}`)).toBe('nonstandard')
    expect(type('6a76')).toBe('nonstandard') // OP_RETURN followed by a non-push
    expect(type('')).toBe('nonstandard')
    // A hybrid key is a pubkey output, but its descriptor is raw().
    const hybrid = `4106${'44'.repeat(64)}ac`
    expect(type(hybrid)).toBe('pubkey')
    expect(scriptPubKeyJson(h(hybrid), networks.mainnet).desc).toMatch(/^raw\(/)
    // A taproot output whose key is off the curve has an address descriptor.
    const offCurve = `5120${'00'.repeat(31)}05`
    expect(scriptPubKeyJson(h(offCurve), networks.mainnet).desc).toMatch(/^addr\(bc1p/)
  })

  it('writes asm with [error] for a truncated push and names every opcode', () => {
    expect(scriptAsm(h('4c'))).toBe('[error]')
    expect(scriptAsm(h('0201'))).toBe('[error]')
    expect(scriptAsm(h('0102'))).toBe('2')
    expect(scriptAsm(h('00 4f 60 b1 b2 ba fe'.replace(/ /g, '')))).toBe(
      '0 -1 16 OP_CHECKLOCKTIMEVERIFY OP_CHECKSEQUENCEVERIFY OP_CHECKSIGADD OP_UNKNOWN',
    )
    expect(scriptAsm(h('0481000000 0180 03ffffff'.replace(/ /g, '')))).toBe('129 0 -8388607')
  })

  it('descriptor checksum matches BIP380', () => {
    expect(descriptorChecksum('raw(deadbeef)')).toBe('89f8spxm')
  })
})

describe('addresses', () => {
  const cases: [keyof typeof networks, string][] = [
    ['mainnet', `76a914${'ab'.repeat(20)}88ac`],
    ['mainnet', `a914${'cd'.repeat(20)}87`],
    ['testnet3', `76a914${'01'.repeat(20)}88ac`],
    ['regtest', `a914${'00'.repeat(20)}87`],
    ['regtest', `0014${'09'.repeat(20)}`],
    ['signet', `0020${'fe'.repeat(32)}`],
    // (Taproot addresses are checked against bitcoind's output above: bitcoinjs-lib needs an EC library for them.)
    ['mainnet', `6028${'42'.repeat(40)}`],
    ['testnet4', `5202${'aa'.repeat(2)}`],
  ]
  const bjs = (n: keyof typeof networks): bitcoin.Network => ({
    messagePrefix: '',
    bech32: networks[n].bech32,
    bip32: { public: 0, private: 0 },
    pubKeyHash: networks[n].base58.pubkeyHash,
    scriptHash: networks[n].base58.scriptHash,
    wif: 0,
  })
  it.each(cases)('%s %s round-trips and matches bitcoinjs-lib', (net, hex) => {
    const address = scriptToAddress(h(hex), networks[net])
    expect(address).toBe(bitcoin.address.fromOutputScript(Buffer.from(hex, 'hex'), bjs(net)))
    expect(Buffer.from(addressToScript(address as string, networks[net])).toString('hex')).toBe(hex)
  })

  it('refuses another network, bad checksums and the wrong bech32 variant', () => {
    const a = scriptToAddress(h(`0014${'09'.repeat(20)}`), networks.regtest) as string
    expect(() => addressToScript(a, networks.mainnet)).toThrow(AddressError)
    expect(() =>
      addressToScript(`${a.slice(0, -1)}${a.endsWith('q') ? 'p' : 'q'}`, networks.regtest),
    ).toThrow(AddressError)
    // A v1 program with a bech32 (not bech32m) checksum (BIP350 test vector).
    expect(() =>
      addressToScript('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd', networks.mainnet),
    ).toThrow(AddressError)
    expect(() => addressToScript('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3', networks.mainnet)).toThrow(
      AddressError,
    )
    expect(addressToScript('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', networks.mainnet)).toHaveLength(25)
  })
})

describe('transactions (Core TxToUniv)', () => {
  it('shows a signed spend with a sighash-decoded scriptSig, witness, sequence and hex', () => {
    const sig = '3006020101020101' // strict DER, then the sighash byte
    const tx = new Tx({
      version: 2,
      inputs: [
        {
          prevHash: new Uint8Array(32).fill(7),
          prevIndex: 3,
          script: h(`09${sig}8121${'02'.repeat(33)}`),
          sequence: 0xfffffffd,
          witness: [h('aabb'), new Uint8Array(0)],
        },
      ],
      outputs: [{ value: 2_100_000_000_000_000n, script: h(`0014${'09'.repeat(20)}`) }],
      locktime: 0x80000000,
    })
    const j = txToJson(tx, networks.regtest)
    expect(j).toMatchObject({
      version: 2,
      locktime: 2147483648,
      vin: [
        {
          txid: '07'.repeat(32),
          vout: 3,
          scriptSig: { asm: `${sig}[ALL|ANYONECANPAY] ${'02'.repeat(33)}` },
          txinwitness: ['aabb', ''],
          sequence: 4294967293,
        },
      ],
      vout: [{ value: 21_000_000, n: 0, scriptPubKey: { type: 'witness_v0_keyhash' } }],
      hex: Buffer.from(tx.toBytes()).toString('hex'),
    })
    expect(j['weight']).toBe(tx.weight())
    expect(j['hash']).not.toBe(j['txid'])
    expect(Object.keys(j)).toEqual([
      'txid',
      'hash',
      'version',
      'size',
      'vsize',
      'weight',
      'locktime',
      'vin',
      'vout',
      'hex',
    ])
  })

  it('values are exact BTC amounts', () => {
    expect(btcValue(1n)).toBe(0.00000001)
    expect(btcValue(4_999_997_000n)).toBe(49.99997)
    expect(btcValue(2_099_999_997_690_000n)).toBe(20999999.9769)
  })
})
