/**
 * disconnectBlock (Core's DisconnectBlock/ApplyTxInUndo results) and the
 * LayeredView that keeps a failed block's changes out of the chain state.
 */
import { hexToHash } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { CoinOverwriteError, connectBlock, disconnectBlock, LayeredView } from '../../src/index.ts'
import { block, COIN, coinbase, ctxAt, MemoryView, OP_RETURN_DATA, OP_TRUE, out, spend } from './helpers.ts'

const SUBSIDY = 50n * COIN

/** A view with a height-1 coinbase of two 25 BTC outputs and a connected height-101 block spending one. */
async function connected() {
  const view = new MemoryView()
  const cb = coinbase(1, [out(25n * COIN), out(25n * COIN)])
  await connectBlock(block([cb]), ctxAt(1), view)
  const before = view.snapshot()
  const a = spend([{ tx: cb, vout: 0 }], [out(20n * COIN), { value: 0n, script: OP_RETURN_DATA }])
  const b = spend(
    [
      { tx: a, vout: 0 },
      { tx: cb, vout: 1 },
    ],
    [out(45n * COIN)],
  )
  const blk = block([coinbase(101, [out(SUBSIDY + 5n * COIN)]), a, b])
  const { undo } = await connectBlock(blk, ctxAt(101), view)
  return { view, before, blk, undo, at: { height: 101, hash: ctxAt(101).hash }, cb, a, b }
}

describe('disconnectBlock', () => {
  it('restores the view exactly, inputs spent inside the block included', async () => {
    const { view, before, blk, undo, at } = await connected()
    expect(disconnectBlock(blk, undo, view, at)).toBe('ok')
    expect(view.snapshot()).toEqual(before)
  })

  it('reports unclean when an output of the block is missing or differs, and still restores the inputs', async () => {
    const { view, before, blk, undo, at, b } = await connected()
    view.spend(b.txid(), 0)
    expect(disconnectBlock(blk, undo, view, at)).toBe('unclean')
    expect(view.snapshot()).toEqual(before)

    const again = await connected()
    const coin = again.view.spend(again.b.txid(), 0)!
    again.view.add(again.b.txid(), 0, { ...coin, height: 100 })
    expect(disconnectBlock(again.blk, again.undo, again.view, again.at)).toBe('unclean')
  })

  it('reports unclean when a restored coin is already there (Core ApplyTxInUndo)', async () => {
    const { view, blk, undo, at, cb } = await connected()
    view.add(cb.txid(), 1, { value: 1n, script: OP_TRUE, height: 1, coinbase: true })
    expect(disconnectBlock(blk, undo, view, at)).toBe('unclean')
    expect(view.get(cb.txid(), 1)?.value).toBe(25n * COIN)
  })

  it('fails when the undo data does not fit the block', async () => {
    const { view, blk, undo, at } = await connected()
    expect(disconnectBlock(blk, undo.slice(1), view, at)).toBe('failed')
    expect(disconnectBlock(blk, [undo[0]!, undo[1]!.slice(1)], view, at)).toBe('failed')
    const noHeight = [undo[0]!, [undo[1]![0]!, { ...undo[1]![1]!, height: 0 }]]
    expect(disconnectBlock(blk, noHeight, new LayeredView(view), at)).toBe('failed')
  })

  it('does not count the two overwritten mainnet coinbases as unclean (IsBIP30Unspendable)', () => {
    const cb = coinbase(91_722, [out(SUBSIDY)])
    const blk = block([cb])
    const hash = hexToHash('00000000000271a2dc26e7667f8419f2e15416dc6955e5a6c6cdf3f2574dd08e')
    expect(disconnectBlock(blk, [], new MemoryView(), { height: 91_722, hash })).toBe('ok')
    expect(disconnectBlock(blk, [], new MemoryView(), { height: 91_722, hash: ctxAt(5).hash })).toBe(
      'unclean',
    )
  })
})

describe('LayeredView', () => {
  it('keeps a failed block out of the parent and commits a good one exactly as a direct connection', async () => {
    const direct = new MemoryView()
    const parent = new MemoryView()
    const cb = coinbase(1, [out(SUBSIDY)])
    await connectBlock(block([cb]), ctxAt(1), direct)
    await connectBlock(block([cb]), ctxAt(1), parent)
    const before = parent.snapshot()
    // Spends the coin, then fails on the coinbase amount.
    const a = spend([{ tx: cb, vout: 0 }], [out(SUBSIDY)])
    const bad = block([coinbase(101, [out(SUBSIDY + 1n)]), a])
    const layer = new LayeredView(parent)
    await expect(connectBlock(bad, ctxAt(101), layer)).rejects.toMatchObject({ reason: 'bad-cb-amount' })
    expect(layer.get(cb.txid(), 0)).toBeUndefined()
    layer.discard()
    expect(parent.snapshot()).toEqual(before)

    const good = block([coinbase(101, [out(SUBSIDY)]), a])
    const layer2 = new LayeredView(parent)
    await connectBlock(good, ctxAt(101), layer2)
    expect(parent.snapshot()).toEqual(before)
    layer2.commit()
    expect(layer2.size).toBe(0)
    await connectBlock(good, ctxAt(101), direct)
    expect(parent.snapshot()).toEqual(direct.snapshot())
  })

  it('refuses to overwrite an unspent coin without overwrite, and allows it once spent', () => {
    const parent = new MemoryView()
    const cb = coinbase(1, [out(SUBSIDY)])
    const coin = { value: 1n, script: OP_TRUE, height: 1, coinbase: false }
    parent.add(cb.txid(), 0, coin)
    const layer = new LayeredView(parent)
    expect(() => layer.add(cb.txid(), 0, coin)).toThrow(CoinOverwriteError)
    expect(layer.spend(cb.txid(), 0)).toEqual(coin)
    expect(layer.spend(cb.txid(), 0)).toBeUndefined()
    layer.add(cb.txid(), 0, { ...coin, value: 2n })
    layer.add(cb.txid(), 1, coin)
    layer.commit()
    expect(parent.get(cb.txid(), 0)?.value).toBe(2n)
    expect(parent.get(cb.txid(), 1)).toEqual(coin)
  })
})
