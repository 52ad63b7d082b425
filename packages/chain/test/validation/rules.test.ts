/**
 * GetBlockSubsidy, Core's BIP30 enforcement conditions and the assumevalid
 * script-skip condition.
 */
import { hexToHash, mainnet, regtest } from '@node/wire'
import { describe, expect, it } from 'vitest'
import {
  type AssumeValidEntry,
  blockProofEquivalentTime,
  blockSubsidy,
  scriptCheckReason,
} from '../../src/index.ts'
import { BIP34_IMPLIES_BIP30_LIMIT, bip30Applies } from '../../src/validation/bip30.ts'
import { fakeHash } from './helpers.ts'

describe('blockSubsidy', () => {
  it('halves every interval and is zero from the 64th halving', () => {
    expect(blockSubsidy(0, mainnet)).toBe(5_000_000_000n)
    expect(blockSubsidy(209_999, mainnet)).toBe(5_000_000_000n)
    expect(blockSubsidy(210_000, mainnet)).toBe(2_500_000_000n)
    expect(blockSubsidy(840_000, mainnet)).toBe(312_500_000n)
    expect(blockSubsidy(32 * 210_000, mainnet)).toBe(1n)
    expect(blockSubsidy(33 * 210_000, mainnet)).toBe(0n)
    expect(blockSubsidy(64 * 210_000, mainnet)).toBe(0n)
    expect(blockSubsidy(150, regtest)).toBe(2_500_000_000n)
    // Core's shift by 64 or more would be undefined; a shift modulo 64 would give 50 BTC again.
    expect(blockSubsidy(64 * 150, regtest)).toBe(0n)
  })

  it('sums to just under 21 million bitcoin', () => {
    let total = 0n
    for (let h = 0; h < 64; h++) total += blockSubsidy(h * 210_000, mainnet) * 210_000n
    expect(total).toBe(2_099_999_997_690_000n)
  })
})

describe('bip30Applies', () => {
  const bip34Hash = hexToHash('000000000000024b89b42a942fe0d9fea3bb44ab7bd1b19115dd6a759c0808b8')
  const onMain = () => bip34Hash

  it('skips the check on the chain through Core BIP34 block, up to BIP34_IMPLIES_BIP30_LIMIT', () => {
    expect(bip30Applies(mainnet, 227_931, fakeHash(1), onMain)).toBe(true) // parent below the BIP34 block
    expect(bip30Applies(mainnet, 227_932, fakeHash(1), onMain)).toBe(false)
    expect(bip30Applies(mainnet, BIP34_IMPLIES_BIP30_LIMIT - 1, fakeHash(1), onMain)).toBe(false)
    expect(bip30Applies(mainnet, BIP34_IMPLIES_BIP30_LIMIT, fakeHash(1), onMain)).toBe(true)
    // Another block at the BIP34 height: enforced.
    expect(bip30Applies(mainnet, 300_000, fakeHash(1), () => fakeHash(2))).toBe(true)
  })

  it('exempts the two historic repeats, and only those hashes', () => {
    const h91842 = hexToHash('00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec')
    const h91880 = hexToHash('00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721')
    expect(bip30Applies(mainnet, 91_842, h91842, () => undefined)).toBe(false)
    expect(bip30Applies(mainnet, 91_880, h91880, () => undefined)).toBe(false)
    expect(bip30Applies(mainnet, 91_842, h91880, () => undefined)).toBe(true)
    expect(bip30Applies(mainnet, 91_843, fakeHash(1), () => undefined)).toBe(true)
  })

  it('always applies on regtest, whose BIP34 hash is unset', () => {
    expect(bip30Applies(regtest, 500, fakeHash(500), () => fakeHash(1))).toBe(true)
  })
})

describe('assumevalid', () => {
  interface E extends AssumeValidEntry {
    prev: E | undefined
  }
  const BITS = 0x207fffff // regtest: work 2 per block
  function chain(length: number, from?: E, tag = 0): E[] {
    const out: E[] = []
    let prev = from
    for (let i = 0; i < length; i++) {
      const height = prev ? prev.height + 1 : 0
      const hash = fakeHash(height)
      hash[31] = tag
      const e: E = { hash, height, chainWork: (prev?.chainWork ?? 0n) + 2n, bits: BITS, prev }
      out.push(e)
      prev = e
    }
    return out
  }
  const ancestor = (e: E, height: number): E | undefined => {
    let cur: E | undefined = e
    while (cur && cur.height > height) cur = cur.prev
    return cur?.height === height ? cur : undefined
  }
  const main = chain(4000)
  const net = { minimumChainWork: 0n, powTargetSpacing: 600 }
  const input = (block: E, over: Partial<{ assumeValid: E | null | undefined; bestHeader: E }> = {}) => ({
    block,
    assumeValid: main[3500],
    bestHeader: main[3999]!,
    ancestor,
    network: net,
    ...over,
  })

  it('measures work in seconds at the tip difficulty', () => {
    expect(blockProofEquivalentTime(main[3999]!, main[1983]!, main[3999]!, 600)).toBe(2016n * 600n)
    expect(blockProofEquivalentTime(main[1983]!, main[3999]!, main[3999]!, 600)).toBe(-2016n * 600n)
  })

  it('skips scripts only more than two weeks of work below the best header', () => {
    expect(scriptCheckReason(input(main[100]!))).toBeUndefined()
    expect(scriptCheckReason(input(main[1982]!))).toBeUndefined()
    // Exactly two weeks (2,016 blocks at 600 s) is not enough.
    expect(scriptCheckReason(input(main[1983]!))).toBe('block too recent relative to best header')
  })

  it('checks scripts when any of Core conditions fails', () => {
    expect(scriptCheckReason(input(main[100]!, { assumeValid: null }))).toBe('assumevalid=0 (always verify)')
    expect(scriptCheckReason(input(main[100]!, { assumeValid: undefined }))).toBe(
      'assumevalid hash not in headers',
    )
    expect(scriptCheckReason(input(main[100]!, { assumeValid: main[50] }))).toBe(
      'block height above assumevalid height',
    )
    const fork = chain(3000, main[99], 7)
    expect(scriptCheckReason(input(fork[0]!))).toBe('block not in assumevalid chain')
    // Assumed-valid block on the fork, best header on the main chain.
    expect(scriptCheckReason(input(fork[0]!, { assumeValid: fork[2900] }))).toBe(
      'block not in best header chain',
    )
    expect(scriptCheckReason({ ...input(main[100]!), network: { ...net, minimumChainWork: 8001n } })).toBe(
      'best header chainwork below minimumchainwork',
    )
    expect(
      scriptCheckReason({ ...input(main[100]!), network: { ...net, minimumChainWork: 8000n } }),
    ).toBeUndefined()
  })
})
