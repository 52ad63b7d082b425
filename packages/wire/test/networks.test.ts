import {
  blockHash,
  compactToTarget,
  decodeBlock,
  encodeBlock,
  getNetwork,
  hashToBigInt,
  hashToHex,
  networks,
  targetToCompact,
  targetToWork,
} from '@node/wire'
import { describe, expect, it } from 'vitest'
import { hex } from './helpers.ts'

// Genesis hashes and magics from Core kernel/chainparams.cpp.
const expected = {
  mainnet: ['f9beb4d9', 8333, '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f'],
  testnet3: ['0b110907', 18333, '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943'],
  testnet4: ['1c163f28', 48333, '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043'],
  signet: ['0a03cf40', 38333, '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6'],
  regtest: ['fabfb5da', 18444, '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206'],
} as const

describe('network parameters', () => {
  for (const [name, [magic, port, genesis]] of Object.entries(expected)) {
    it(`${name}: magic, port and a genesis block that decodes from its bytes to the known hash`, () => {
      const p = getNetwork(name)
      expect(hex(p.magic)).toBe(magic)
      expect(p.defaultPort).toBe(port)
      expect(hashToHex(p.genesisHash)).toBe(genesis)
      // Serialize the genesis block, decode it from the bytes, and hash again.
      const bytes = encodeBlock(p.genesis)
      const again = decodeBlock(bytes)
      expect(hashToHex(blockHash(again.header))).toBe(genesis)
      expect(hex(encodeBlock(again))).toBe(hex(bytes))
      // Its own proof of work holds against its bits, which are within powLimit.
      const { target } = compactToTarget(p.genesis.header.bits)
      expect(target <= p.powLimit).toBe(true)
      expect(hashToBigInt(p.genesisHash) <= target).toBe(true)
    })
  }

  it('mainnet genesis is the famous 285-byte block', () => {
    const bytes = encodeBlock(networks.mainnet.genesis)
    expect(bytes.length).toBe(285)
    expect(hashToHex(networks.mainnet.genesis.header.merkleRoot)).toBe(
      '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b',
    )
  })

  it('accepts Core aliases and rejects unknown names', () => {
    expect(getNetwork('main').name).toBe('mainnet')
    expect(getNetwork('testnet').name).toBe('testnet3')
    expect(() => getNetwork('simnet')).toThrow(TypeError)
  })
})

describe('compact targets', () => {
  it('round-trips the powLimits of every network', () => {
    for (const p of Object.values(networks)) {
      expect(targetToCompact(p.powLimit)).toBe(p.powLimitBits)
    }
  })

  it("matches Core's SetCompact/GetCompact cases (arith_uint256_tests)", () => {
    expect(compactToTarget(0x01003456).target).toBe(0n)
    expect(compactToTarget(0x01123456).target).toBe(0x12n)
    expect(targetToCompact(0x12n)).toBe(0x01120000)
    expect(compactToTarget(0x02008000).target).toBe(0x80n)
    expect(targetToCompact(0x80n)).toBe(0x02008000)
    expect(compactToTarget(0x05009234).target).toBe(0x92340000n)
    expect(targetToCompact(0x92340000n)).toBe(0x05009234)
    expect(compactToTarget(0x04923456).negative).toBe(true)
    expect(compactToTarget(0x20123456).target).toBe(
      0x1234560000000000000000000000000000000000000000000000000000000000n,
    )
    expect(compactToTarget(0xff123456).overflow).toBe(true)
  })

  it('gives the work of the minimum difficulty as 2^32 + 2^32/0xffff...', () => {
    expect(targetToWork(compactToTarget(0x1d00ffff).target)).toBe(0x100010001n)
  })
})
