/**
 * The header tree's validated tip: candidates (Core setBlockIndexCandidates /
 * FindMostWorkChain), a tip moved only by `setTip` when `autoActivate` is
 * off, failure marks instead of deletion (BLOCK_FAILED_VALID /
 * BLOCK_FAILED_CHILD, InvalidateBlock) and `reconsider`
 * (ResetBlockFailureFlags).
 */
import { type BlockHeader, blockHash, type Hash, networks } from '@node/wire'
import { describe, expect, it } from 'vitest'
import {
  BLOCK_FAILED_CHILD,
  BLOCK_FAILED_VALID,
  HeaderChain,
  type HeaderChainInit,
  type HeaderEntry,
  type TipChange,
} from '../src/index.ts'
import { mineChain } from './helpers.ts'

const NOW = () => 1_800_000_000

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

const hashes = (hs: readonly BlockHeader[]): Hash[] => hs.map((h) => blockHash(h))
const heights = (es: readonly HeaderEntry[]): number[] => es.map((e) => e.height)

interface Setup {
  chain: HeaderChain
  tips: TipChange[]
  best: TipChange[]
  evicted: HeaderEntry[][]
}

function setup(init: Partial<HeaderChainInit> = {}): Setup {
  const tips: TipChange[] = []
  const best: TipChange[] = []
  const evicted: HeaderEntry[][] = []
  const chain = new HeaderChain({
    network: networks.regtest,
    now: NOW,
    onTipChanged: (c) => tips.push(c),
    onBestHeaderChanged: (c) => best.push(c),
    onEvicted: (e) => evicted.push([...e]),
    ...init,
  })
  return { chain, tips, best, evicted }
}

/** Add `headers` and store all their blocks; returns their entries. */
function addWithData(chain: HeaderChain, headers: readonly BlockHeader[]): HeaderEntry[] {
  chain.addHeaders(headers)
  return hashes(headers).map((h) => chain.markHaveData(h)!)
}

describe('with autoActivate off, only setTip moves the block tip', () => {
  it('markHaveData never moves the tip; bestCandidate names the most-work chain of blocks we have', () => {
    const { chain, tips } = setup({ autoActivate: false })
    const a = addWithData(chain, mineChain(chain.genesis, 5, 1))
    expect(chain.tip).toBe(chain.genesis)
    expect(tips).toEqual([])
    expect(chain.bestCandidate()).toBe(a[4])
    expect(chain.bestHeader).toBe(a[4])
    // Blocks that do not complete a chain are not candidates.
    const b = mineChain(a[1]!, 6, 2)
    chain.addHeaders(b)
    for (const h of hashes(b).slice(1)) chain.markHaveData(h)
    expect(chain.bestCandidate()).toBe(a[4])
    chain.markHaveData(blockHash(b[0]!))
    const b6 = chain.get(blockHash(b[5]!))!
    expect(chain.bestCandidate()).toBe(b6)
    expect(chain.tip).toBe(chain.genesis)
    expect(tips).toEqual([])
  })

  it('setTip moves the tip and reports the disconnected (newest first) and connected (oldest first) entries', () => {
    const { chain, tips } = setup({ autoActivate: false })
    const a = addWithData(chain, mineChain(chain.genesis, 5, 1))
    chain.setTip(a[2]!)
    expect(chain.tip).toBe(a[2])
    expect(heights(tips[0]!.connected)).toEqual([1, 2, 3])
    chain.setTip(a[4]!)
    const b = addWithData(chain, mineChain(a[1]!, 4, 2)) // heights 3..6 off height 2
    expect(chain.tip).toBe(a[4])
    chain.setTip(b[3]!)
    const reorg = tips[tips.length - 1]!
    expect(reorg.oldTip).toBe(a[4])
    expect(reorg.newTip).toBe(b[3])
    expect(reorg.disconnected).toEqual([a[4], a[3], a[2]])
    expect(reorg.connected).toEqual(b)
    expect(chain.activeAtHeight(3)).toBe(b[0])
    // Back down to an ancestor: only disconnects.
    chain.setTip(a[1]!)
    expect(heights(tips[tips.length - 1]!.disconnected)).toEqual([6, 5, 4, 3])
    expect(tips[tips.length - 1]!.connected).toEqual([])
    // The same tip again reports nothing.
    const n = tips.length
    chain.setTip(a[1]!)
    expect(tips).toHaveLength(n)
  })

  it('setTip refuses an entry without its blocks, a failed one, and one from another tree (INVALID_TIP)', () => {
    const { chain } = setup({ autoActivate: false })
    const hs = mineChain(chain.genesis, 3, 1)
    chain.addHeaders(hs)
    chain.markHaveData(blockHash(hs[0]!))
    chain.markHaveData(blockHash(hs[2]!)) // height 2 missing
    expect(codeOf(() => chain.setTip(chain.get(blockHash(hs[2]!))!))).toBe('INVALID_TIP')
    const other = setup().chain
    other.addHeaders(hs)
    expect(codeOf(() => chain.setTip(other.get(blockHash(hs[0]!))!))).toBe('INVALID_TIP')
    chain.invalidate(blockHash(hs[0]!))
    expect(codeOf(() => chain.setTip(chain.get(blockHash(hs[0]!))!))).toBe('INVALID_TIP')
    expect(chain.tip).toBe(chain.genesis)
  })

  it('loadTrusted leaves the tip to the caller, but knows the candidates', () => {
    const source = setup().chain
    const hs = mineChain(source.genesis, 8, 1)
    const { chain, tips } = setup({ autoActivate: false })
    chain.loadTrusted(hs.map((header, i) => ({ header, haveData: i < 6 })))
    expect(chain.bestHeader.height).toBe(8)
    expect(chain.tip).toBe(chain.genesis)
    expect(tips).toEqual([])
    expect(chain.bestCandidate().height).toBe(6)
  })
})

describe('bestCandidate', () => {
  it('breaks a tie of work by first seen, and follows the tip with autoActivate on', () => {
    const { chain } = setup()
    const a = mineChain(chain.genesis, 3, 1)
    const b = mineChain(chain.genesis, 3, 2)
    chain.addHeaders(a)
    chain.addHeaders(b)
    // b's blocks arrive first, but a's headers were seen first.
    addWithData(chain, b)
    expect(chain.tip.height).toBe(3)
    addWithData(chain, a)
    expect(chain.bestCandidate()).toBe(chain.get(blockHash(a[2]!)))
    // The tip only moves on more work: it stays on b.
    expect(chain.tip).toBe(chain.get(blockHash(b[2]!)))
    const c = addWithData(chain, mineChain(chain.get(blockHash(a[2]!))!, 1, 3))
    expect(chain.bestCandidate()).toBe(c[0])
    expect(chain.tip).toBe(c[0])
  })

  it('never returns an entry evicted by the side-branch cap', () => {
    const { chain, evicted } = setup({ autoActivate: false, maxSideHeaders: 3 })
    const main = addWithData(chain, mineChain(chain.genesis, 6, 1))
    chain.setTip(main[5]!)
    const side = addWithData(chain, mineChain(chain.genesis, 3, 2))
    expect(chain.sideHeaders).toBe(3)
    // Make the side branch the best candidate by failing the main chain...
    chain.setTip(chain.genesis)
    chain.invalidate(main[0]!.hash)
    expect(chain.bestCandidate()).toBe(side[2])
    // ...then bring the main chain back, and a heavier branch evicts the side one.
    chain.reconsider(main[0]!.hash)
    expect(chain.bestCandidate()).toBe(main[5])
    chain.addHeaders(mineChain(main[4]!, 3, 3))
    expect(evicted.flat()).toContain(side[2])
    expect(chain.has(side[2]!.hash)).toBe(false)
    expect(chain.bestCandidate()).toBe(main[5])
    chain.invalidate(main[0]!.hash)
    expect(chain.bestCandidate()).toBe(chain.genesis)
  })
})

describe('invalidate marks failed entries instead of deleting them', () => {
  /** Main chain 1..6 with data, a side branch 3'..5' off height 2 with data; tip at 6. */
  function forked(autoActivate: boolean) {
    const s = setup({ autoActivate })
    const { chain } = s
    const main = addWithData(chain, mineChain(chain.genesis, 6, 1))
    const side = addWithData(chain, mineChain(main[1]!, 3, 2))
    if (!autoActivate) chain.setTip(main[5]!)
    expect(chain.tip).toBe(main[5])
    return { ...s, main, side }
  }

  it('marks the block failed-valid and its descendants failed-child; they stay known as invalid', () => {
    const { chain, main } = forked(false)
    chain.setTip(main[2]!)
    chain.invalidate(main[3]!.hash)
    expect(main[3]!.failure).toBe(BLOCK_FAILED_VALID)
    expect(main[4]!.failure).toBe(BLOCK_FAILED_CHILD)
    expect(main[5]!.failure).toBe(BLOCK_FAILED_CHILD)
    expect(main.map((e) => chain.failed(e))).toEqual([false, false, false, true, true, true])
    expect(chain.isInvalid(main[5]!.hash)).toBe(true)
    expect(chain.isInvalid(main[2]!.hash)).toBe(false)
    expect(chain.has(main[5]!.hash)).toBe(true)
    // A failed block is not served to peers (Core BlockRequestAllowed: IsValid).
    expect(chain.blockRequestAllowed(main[5]!)).toBe(false)
    // Headers on it, or of it again, are refused with bad-prevblk.
    expect(codeOf(() => chain.addHeaders(mineChain(main[5]!, 1, 9)))).toBe('BAD_PREVBLK')
    expect(codeOf(() => chain.addHeaders([main[4]!.header]))).toBe('BAD_PREVBLK')
  })

  it('with autoActivate off, refuses to fail a block on the block chain, and never moves the tip', () => {
    const { chain, main, side, tips } = forked(false)
    expect(codeOf(() => chain.invalidate(main[3]!.hash))).toBe('INVALID_TIP')
    expect(chain.failed(main[3]!)).toBe(false)
    // The caller disconnects first, then invalidates.
    chain.setTip(main[2]!)
    const n = tips.length
    chain.invalidate(main[3]!.hash)
    expect(chain.tip).toBe(main[2])
    expect(tips).toHaveLength(n)
    // bestCandidate skips the failed branch: the side branch (5') has more work than 3.
    expect(chain.bestCandidate()).toBe(side[2])
    chain.setTip(chain.bestCandidate())
    expect(chain.tip).toBe(side[2])
  })

  it('recomputes the best header among the entries not failed', () => {
    const { chain, main, side, best } = forked(true)
    expect(chain.bestHeader).toBe(main[5])
    chain.invalidate(main[2]!.hash)
    expect(chain.bestHeader).toBe(side[2])
    const change = best[best.length - 1]!
    expect(change.oldTip).toBe(main[5])
    expect(change.disconnected).toEqual([main[5], main[4], main[3], main[2]])
    expect(change.connected).toEqual(side)
    expect(chain.onBestChain(main[2]!)).toBe(false)
    // Headers-only entries below a failed one are no candidates, but do count for the best header.
    const longer = mineChain(main[1]!, 6, 7)
    chain.addHeaders(longer)
    expect(chain.bestHeader.height).toBe(8)
    expect(chain.bestCandidate()).toBe(side[2])
  })

  it('with autoActivate on (the default), moves the tip back to the best valid chain', () => {
    const { chain, main, side, tips } = forked(true)
    chain.invalidate(main[3]!.hash)
    expect(chain.tip).toBe(side[2])
    const reorg = tips[tips.length - 1]!
    expect(reorg.oldTip).toBe(main[5])
    expect(reorg.disconnected).toEqual([main[5], main[4], main[3], main[2]])
    expect(reorg.connected).toEqual(side)
    // A block of the failed branch arriving later never makes it the tip.
    const more = mineChain(main[5]!, 1, 5)
    expect(codeOf(() => chain.addHeaders(more))).toBe('BAD_PREVBLK')
    expect(chain.tip).toBe(side[2])
  })
})

describe('reconsider', () => {
  it('clears the marks of the entry, its descendants and its ancestors, and brings the branch back', () => {
    const { chain, tips } = setup()
    const main = addWithData(chain, mineChain(chain.genesis, 6, 1))
    const side = addWithData(chain, mineChain(main[1]!, 3, 2))
    chain.invalidate(main[2]!.hash)
    chain.invalidate(main[4]!.hash) // already failed-child: now failed-valid as well
    expect(main[4]!.failure).toBe(BLOCK_FAILED_VALID | BLOCK_FAILED_CHILD)
    expect(chain.tip).toBe(side[2])
    // Reconsidering a descendant clears its failed ancestors too (Core ResetBlockFailureFlags).
    chain.reconsider(main[5]!.hash)
    expect(main.map((e) => e.failure)).toEqual([0, 0, 0, 0, 0, 0])
    expect(chain.isInvalid(main[4]!.hash)).toBe(false)
    expect(chain.bestHeader).toBe(main[5])
    expect(chain.bestCandidate()).toBe(main[5])
    expect(chain.tip).toBe(main[5])
    expect(tips[tips.length - 1]!.connected).toEqual(main.slice(2))
    // Headers on the branch are taken again.
    expect(chain.addHeaders(mineChain(main[5]!, 1, 3)).added).toHaveLength(1)
  })

  it('with autoActivate off, restores the candidate without moving the tip', () => {
    const { chain, tips } = setup({ autoActivate: false })
    const main = addWithData(chain, mineChain(chain.genesis, 4, 1))
    chain.invalidate(main[1]!.hash)
    expect(chain.bestCandidate()).toBe(main[0])
    chain.reconsider(main[1]!.hash)
    expect(chain.bestCandidate()).toBe(main[3])
    expect(chain.tip).toBe(chain.genesis)
    expect(tips).toEqual([])
  })
})

describe('failed branches under the side-branch cap', () => {
  it('are evicted first, even with more work than our tip, and stay known as invalid', () => {
    const { chain, evicted } = setup({ autoActivate: false, maxSideHeaders: 8 })
    const main = addWithData(chain, mineChain(chain.genesis, 4, 1))
    chain.setTip(main[3]!)
    // A valid side branch of 2 off height 1.
    const keep = mineChain(main[0]!, 2, 3)
    chain.addHeaders(keep)
    // A heavier branch off genesis (6 headers) becomes the best header...
    const bad = mineChain(chain.genesis, 6, 2)
    chain.addHeaders(bad)
    expect(chain.bestHeader.height).toBe(6)
    expect(chain.sideHeaders).toBe(2 + 4)
    // ...and its first block fails: the whole branch is failed, off the best chain.
    chain.invalidate(blockHash(bad[0]!))
    expect(chain.bestHeader).toBe(main[3])
    expect(chain.sideHeaders).toBe(8)
    // At the cap, a header with as much work as our tip: the failed branch
    // goes (it has more work than the tip and the new header), not the
    // lighter valid one.
    const next = mineChain(main[2]!, 1, 4)
    expect(chain.addHeaders(next).added).toHaveLength(1)
    expect(chain.sideHeaders).toBeLessThanOrEqual(8)
    expect(evicted).toHaveLength(1)
    expect(heights(evicted[0]!)).toEqual([6, 5, 4, 3, 2, 1])
    expect(bad.every((h) => !chain.has(blockHash(h)))).toBe(true)
    expect(keep.every((h) => chain.has(blockHash(h)))).toBe(true)
    // Evicted failed blocks are still known as invalid, and refused again.
    expect(chain.isInvalid(blockHash(bad[3]!))).toBe(true)
    expect(codeOf(() => chain.addHeaders([bad[0]!]))).toBe('BAD_PREVBLK')
  })
})
