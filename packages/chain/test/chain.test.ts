import { type BlockHeader, blockHash, hashToHex, networks } from '@node/wire'
import { describe, expect, it } from 'vitest'
import {
  HeaderChain,
  type HeaderEntry,
  mineBlock,
  nextWorkRequired,
  type PowEntry,
  type TipChange,
} from '../src/index.ts'
import { headersFile, mineChain } from './helpers.ts'

const mainHeaders = headersFile('mainnet-1-1111.bin')
// A clock well after these blocks were mined.
const NOW = () => 1_800_000_000

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('header chain on real mainnet headers', () => {
  it('accepts headers 1–1111 and ends at the known hash', () => {
    const chain = new HeaderChain({ network: networks.mainnet, now: NOW })
    const r = chain.addHeaders(mainHeaders)
    expect(r.added).toHaveLength(1111)
    expect(chain.bestHeader.height).toBe(1111)
    expect(hashToHex(chain.bestHeader.hash)).toBe(
      '00000000ca59764b4ff11d88ea67e641dba94a17520ebd10f1631b21a18d5805',
    )
    // The same headers again add nothing.
    expect(chain.addHeaders(mainHeaders).added).toHaveLength(0)
  })

  const mutations: [string, (h: BlockHeader) => BlockHeader, string][] = [
    ['nonce', (h) => ({ ...h, nonce: h.nonce ^ 1 }), 'BAD_POW'],
    [
      'merkle root',
      (h) => ({ ...h, merkleRoot: h.merkleRoot.map((b, i) => (i === 0 ? b ^ 1 : b)) }),
      'BAD_POW',
    ],
    ['timestamp', (h) => ({ ...h, time: h.time + 1 }), 'BAD_POW'],
    ['bits (easier target)', (h) => ({ ...h, bits: 0x1d01ffff }), 'BAD_POW'],
    [
      'prev hash',
      (h) => ({ ...h, prevBlock: h.prevBlock.map((b, i) => (i === 0 ? b ^ 1 : b)) }),
      'ORPHAN_HEADER',
    ],
  ]
  for (const [what, mutate, code] of mutations) {
    it(`a header with a mutated ${what} fails with ${code}; its peer is ${code === 'ORPHAN_HEADER' ? 'not discouraged' : 'discouraged'}`, () => {
      const chain = new HeaderChain({ network: networks.mainnet, now: NOW })
      chain.addHeaders(mainHeaders.slice(0, 500))
      let caught: { code?: string; severity?: string } | undefined
      try {
        chain.addHeaders([mutate(mainHeaders[500]!)])
      } catch (err) {
        caught = err as { code?: string; severity?: string }
      }
      expect(caught?.code).toBe(code)
      expect(caught?.severity).toBe(code === 'ORPHAN_HEADER' ? 'ignore' : 'discourage')
      expect(chain.bestHeader.height).toBe(500)
    })
  }

  it('rejects headers that do not link to each other in one message', () => {
    const chain = new HeaderChain({ network: networks.mainnet, now: NOW })
    expect(codeOf(() => chain.addHeaders([mainHeaders[0]!, mainHeaders[2]!]))).toBe('NON_CONTINUOUS_HEADERS')
    expect(chain.bestHeader.height).toBe(1)
  })

  it('rejects a header more than two hours in the future, without punishing', () => {
    const chain = new HeaderChain({ network: networks.mainnet, now: () => mainHeaders[0]!.time - 7201 })
    let caught: { code?: string; severity?: string } | undefined
    try {
      chain.addHeaders([mainHeaders[0]!])
    } catch (err) {
      caught = err as typeof caught
    }
    expect(caught).toMatchObject({ code: 'TIME_TOO_NEW', severity: 'ignore' })
  })

  it('builds a locator of dense then sparse hashes ending at genesis, and serves headers after it', () => {
    const chain = new HeaderChain({ network: networks.mainnet, now: NOW })
    chain.addHeaders(mainHeaders)
    const loc = chain.locator()
    expect(hashToHex(loc[0]!)).toBe(hashToHex(chain.bestHeader.hash))
    expect(hashToHex(loc[loc.length - 1]!)).toBe(hashToHex(networks.mainnet.genesisHash))
    expect(loc.length).toBeLessThanOrEqual(101)
    const heights = loc.map((h) => chain.get(h)!.height)
    expect(heights.slice(0, 11)).toEqual([1111, 1110, 1109, 1108, 1107, 1106, 1105, 1104, 1103, 1102, 1101])
    // Headers are served from the chain of blocks we have (Core ProcessGetHeaders):
    // with headers only, a peer that knows up to height 1000 gets nothing.
    const peerLocator = chain.locator(chain.atHeight(1000)!)
    expect(chain.headersAfter(peerLocator, new Uint8Array(32))).toEqual([])
    // With the blocks stored, it gets 1001..1111.
    for (let h = 1; h <= 1111; h++) chain.markHaveData(chain.atHeight(h)!.hash)
    const served = chain.headersAfter(peerLocator, new Uint8Array(32))!
    expect(served.map((e) => e.height)).toEqual(Array.from({ length: 111 }, (_, i) => 1001 + i))
  })
})

describe('difficulty retargets on real mainnet headers (822528–826560)', () => {
  const headers = headersFile('mainnet-822528-826560.bin')
  let prev: PowEntry | undefined
  const entries: PowEntry[] = []
  headers.forEach((h, i) => {
    const e: PowEntry = { height: 822528 + i, time: h.time, bits: h.bits, prev }
    entries.push(e)
    prev = e
  })
  const at = (_: PowEntry, height: number) => entries[height - 822528]

  for (const [height, bits] of [
    [824544, 0x1703d869],
    [826560, 0x1704005a],
  ] as const) {
    it(`computes the bits of height ${height} as 0x${bits.toString(16)}`, () => {
      const last = entries[height - 1 - 822528]!
      expect(nextWorkRequired(last, headers[height - 822528]!.time, networks.mainnet, at)).toBe(bits)
      expect(headers[height - 822528]!.bits).toBe(bits)
    })
  }

  it('keeps the bits between retargets', () => {
    const last = entries[1000]!
    expect(nextWorkRequired(last, last.time + 600, networks.mainnet, at)).toBe(last.bits)
  })

  it("testnet3's 20-minute rule gives the minimum difficulty to a late block, and BIP94 bases the retarget on the period's first block", () => {
    const late = { height: 100, time: 1_000_000, bits: 0x1c0fffff, prev: undefined }
    expect(nextWorkRequired(late, late.time + 1201, networks.testnet3)).toBe(networks.testnet3.powLimitBits)
    expect(nextWorkRequired(late, late.time + 1200, networks.testnet3)).toBe(0x1c0fffff)
    expect(nextWorkRequired(late, late.time + 1201, networks.mainnet)).toBe(0x1c0fffff)
  })
})

/** Mine a regtest chain of `n` blocks on top of `from`. */
describe('best chain and reorganisations (regtest)', () => {
  it('follows the chain with more work and reports what was disconnected and connected', () => {
    const best: TipChange[] = []
    const tips: TipChange[] = []
    const chain = new HeaderChain({
      network: networks.regtest,
      now: NOW,
      onBestHeaderChanged: (c) => best.push(c),
      onTipChanged: (c) => tips.push(c),
    })
    const a = mineChain(chain.genesis, 5, 1)
    chain.addHeaders(a)
    expect(chain.bestHeader.height).toBe(5)
    for (const h of a) chain.markHaveData(blockHash(h))
    expect(chain.tip.height).toBe(5)
    // A competing branch from height 2, two blocks longer.
    const b = mineChain(chain.atHeight(2)!, 5, 2)
    chain.addHeaders(b.slice(0, 3))
    expect(hashToHex(chain.bestHeader.hash)).toBe(hashToHex(blockHash(a[4]!))) // equal work: first seen stays
    chain.addHeaders(b.slice(3))
    expect(chain.bestHeader.height).toBe(7)
    const change = best[best.length - 1]!
    expect(change.disconnected.map((e) => e.height)).toEqual([5, 4, 3])
    expect(change.connected.map((e) => e.height)).toEqual([3, 4, 5, 6, 7])
    // The block tip moves only to a chain of blocks we have with more work:
    // at equal work (height 5 on both branches) the first seen stays.
    for (const h of b.slice(0, 3)) chain.markHaveData(blockHash(h))
    expect(hashToHex(chain.tip.hash)).toBe(hashToHex(blockHash(a[4]!)))
    chain.markHaveData(blockHash(b[3]!))
    expect(chain.tip.height).toBe(6)
    const reorg = tips[tips.length - 1]!
    expect(reorg.disconnected.map((e) => e.height)).toEqual([5, 4, 3])
    expect(reorg.connected.map((e) => e.height)).toEqual([3, 4, 5, 6])
    chain.markHaveData(blockHash(b[4]!))
    expect(chain.tip.height).toBe(7)
    expect(tips[tips.length - 1]!.disconnected).toEqual([])
  })

  it('bounds the headers kept off the best chain', () => {
    const chain = new HeaderChain({ network: networks.regtest, now: NOW, maxSideHeaders: 3 })
    chain.addHeaders(mineChain(chain.genesis, 10, 1))
    const side = mineChain(chain.genesis, 5, 2)
    expect(codeOf(() => chain.addHeaders(side))).toBe('HEADER_LIMIT')
    expect(chain.sideHeaders).toBe(3)
  })

  /** A chain of `n` blocks with data (so the block tip is its end), `maxSide` side headers allowed. */
  function withBlocks(n: number, maxSide: number, evicted: HeaderEntry[][] = []): HeaderChain {
    const chain = new HeaderChain({
      network: networks.regtest,
      now: NOW,
      maxSideHeaders: maxSide,
      onEvicted: (e) => evicted.push([...e]),
    })
    const main = mineChain(chain.genesis, n, 1)
    chain.addHeaders(main)
    for (const h of main) chain.markHaveData(blockHash(h))
    expect(chain.tip.height).toBe(n)
    return chain
  }

  it('at the cap, a branch with more work than the least-work side branch evicts it, and the eviction is reported', () => {
    const evicted: HeaderEntry[][] = []
    const chain = withBlocks(20, 6, evicted)
    // Two side branches of 3 off genesis: 6 side headers, the cap.
    chain.addHeaders(mineChain(chain.genesis, 3, 2))
    const second = mineChain(chain.genesis, 3, 3)
    chain.addHeaders(second)
    expect(chain.sideHeaders).toBe(6)
    // A third of the same work is refused: no more work than our tip or the held branches.
    expect(codeOf(() => chain.addHeaders(mineChain(chain.genesis, 3, 4)))).toBe('HEADER_LIMIT')
    expect(chain.sideHeaders).toBe(6)
    // A branch of 5 off height 5 has more work (10) than the held ones (4): the newer least-work one goes.
    const heavier = mineChain(chain.atHeight(5)!, 5, 5)
    const r = chain.addHeaders(heavier)
    expect(r.added).toHaveLength(5)
    expect(chain.sideHeaders).toBeLessThanOrEqual(6)
    expect(evicted).toHaveLength(2)
    expect(evicted[0]!.map((e) => e.height)).toEqual([3, 2, 1])
    expect(hashToHex(evicted[0]![0]!.hash)).toBe(hashToHex(blockHash(second[2]!)))
    expect(chain.has(blockHash(second[0]!))).toBe(false)
    expect(chain.tips().some((t) => t.entry === r.last)).toBe(true)
  })

  it('never refuses a branch with more work than our tip, even when every side header is its own', () => {
    const chain = withBlocks(10, 3)
    const fork = chain.atHeight(8)!
    // 5 headers off height 8: 13 blocks of work, more than our 10; the first
    // four are side headers while they are added (over the cap of 3).
    const branch = mineChain(fork, 5, 9)
    const r = chain.addHeaders(branch)
    expect(r.added).toHaveLength(5)
    expect(chain.bestHeader.height).toBe(13)
    expect(chain.bestHeader).toBe(r.last)
  })

  it('holds the cap again when headers are loaded from the store', () => {
    const source = withBlocks(10, 100)
    const a = mineChain(source.genesis, 4, 2)
    const b = mineChain(source.genesis, 3, 3)
    source.addHeaders(a)
    source.addHeaders(b)
    const records = [...source.bestRange(0, 10), ...[...a, ...b].map((h) => source.get(blockHash(h))!)]
      .sort((x, y) => x.height - y.height)
      .map((e) => ({ header: e.header, haveData: e.haveData }))
    const loaded = new HeaderChain({ network: networks.regtest, now: NOW, maxSideHeaders: 4 })
    loaded.loadTrusted(records)
    expect(loaded.tip.height).toBe(10)
    expect(loaded.sideHeaders).toBeLessThanOrEqual(4)
    // The least-work branch (3 headers) went; the 4-header one stayed.
    expect(loaded.has(blockHash(a[3]!))).toBe(true)
    expect(loaded.has(blockHash(b[0]!))).toBe(false)
  })

  it('rejects a timestamp not above the median of the last 11 blocks (time-too-old)', () => {
    const chain = new HeaderChain({ network: networks.regtest, now: NOW })
    chain.addHeaders(mineChain(chain.genesis, 11, 1))
    const tip = chain.bestHeader
    const b = mineBlock({
      network: networks.regtest,
      prev: { hash: tip.hash, height: tip.height, time: tip.time },
      payTo: Uint8Array.of(0x51),
      time: chain.atHeight(6)!.time, // the median of heights 1..11
    })
    expect(codeOf(() => chain.addHeaders([b.header]))).toBe('TIME_TOO_OLD')
  })

  it('rejects version-1 headers once BIP34 is active, and wrong bits', () => {
    const chain = new HeaderChain({ network: networks.regtest, now: NOW })
    const g = chain.genesis
    const v1 = mineBlock({
      network: networks.regtest,
      prev: { hash: g.hash, height: 0, time: g.time },
      payTo: Uint8Array.of(0x51),
      time: g.time + 1,
      version: 1,
    })
    expect(codeOf(() => chain.addHeaders([v1.header]))).toBe('BAD_VERSION')
    const hard = mineBlock({
      network: networks.regtest,
      prev: { hash: g.hash, height: 0, time: g.time },
      payTo: Uint8Array.of(0x51),
      time: g.time + 1,
      bits: 0x2000ffff,
    })
    expect(codeOf(() => chain.addHeaders([hard.header]))).toBe('BAD_DIFFBITS')
    // A header whose parent was invalid is refused as such.
    const child = mineBlock({
      network: networks.regtest,
      prev: { hash: blockHash(hard.header), height: 1, time: hard.header.time },
      payTo: Uint8Array.of(0x51),
      time: hard.header.time + 1,
    })
    expect(codeOf(() => chain.addHeaders([child.header]))).toBe('BAD_PREVBLK')
  })

  it('loads stored headers back without re-checking, and resumes the block tip', () => {
    const first = new HeaderChain({ network: networks.regtest, now: NOW })
    const hs = mineChain(first.genesis, 20, 1)
    const again = new HeaderChain({ network: networks.regtest, now: NOW })
    again.loadTrusted(hs.map((header, i) => ({ header, haveData: i < 12 })))
    expect(again.bestHeader.height).toBe(20)
    expect(again.tip.height).toBe(12)
  })
})
