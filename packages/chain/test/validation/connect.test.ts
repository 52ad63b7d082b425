/**
 * connectBlock and disconnectBlock against Core's ConnectBlock and
 * DisconnectBlock: each reject reason, undo data that restores the exact
 * view, coinbase maturity, BIP30, BIP68 and the script checks inline and in
 * a worker pool.
 */
import { ScriptCheckPool } from '@node/consensus'
import { MAX_MONEY, regtest, type Tx } from '@node/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BlockConsensusError,
  type ConnectContext,
  connectBlock,
  disconnectBlock,
  LayeredView,
} from '../../src/index.ts'
import {
  block,
  COIN,
  coinbase,
  ctxAt,
  MemoryView,
  mtp,
  OP_RETURN_DATA,
  OP_TRUE,
  out,
  PUSH2_EQUAL,
  p2sh,
  p2wsh,
  pushNum,
  spend,
} from './helpers.ts'

const EVAL_FALSE =
  'block-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)'

/** A view holding the outputs of a height-1 coinbase paying 5 BTC to each script. */
async function funded(scripts: Uint8Array[], height = 1): Promise<{ view: MemoryView; cb: Tx }> {
  const view = new MemoryView()
  const cb = coinbase(
    height,
    scripts.map((s) => out(5n * COIN, s)),
  )
  await connectBlock(block([cb]), ctxAt(height), view)
  return { view, cb }
}

/** The reject reason connectBlock throws, or 'ok'. */
async function verdict(
  txs: Tx[],
  ctx: ConnectContext,
  view: MemoryView,
  pool?: ScriptCheckPool,
): Promise<string> {
  const layer = new LayeredView(view)
  try {
    await connectBlock(block(txs), ctx, layer, pool)
    layer.commit()
    return 'ok'
  } catch (err) {
    layer.discard()
    if (err instanceof BlockConsensusError) {
      expect(err.severity).toBe('discourage')
      expect(err.code).toBe('BLOCK_CONSENSUS')
      return err.reason
    }
    throw err
  }
}

/** A coinbase at `height` paying `value` to OP_TRUE. */
function cbAt(height: number, value: bigint): Tx {
  return coinbase(height, [out(value)])
}

const SUBSIDY = 50n * COIN

describe('connectBlock', () => {
  it('connects spends, returns fees, inputs and sigop cost, and the undo data restores the exact view', async () => {
    const { view, cb } = await funded([OP_TRUE, p2sh(OP_TRUE), p2wsh(OP_TRUE), OP_TRUE])
    const before = view.snapshot()
    const a = spend([{ tx: cb, vout: 0 }], [out(4n * COIN), out(COIN - 1000n, PUSH2_EQUAL)])
    const b = spend(
      [
        { tx: cb, vout: 1, script: Uint8Array.of(0x01, 0x51) }, // push the redeem script OP_TRUE
        { tx: cb, vout: 2, witness: [OP_TRUE] },
        { tx: a, vout: 1, script: pushNum(2) }, // an output of the same block
      ],
      [out(11n * COIN - 5000n), { value: 0n, script: OP_RETURN_DATA }],
    )
    const fees = 1000n + 4000n
    const txs = [cbAt(101, SUBSIDY + fees), a, b]
    const layer = new LayeredView(view)
    const res = await connectBlock(block(txs), ctxAt(101), layer)
    layer.commit()
    expect(res.fees).toBe(fees)
    expect(res.inputs).toBe(5)
    // Coinbase and a: no sigops; the P2WSH input's witness script OP_TRUE has none.
    expect(res.sigOpCost).toBe(0)
    expect(res.undo.map((u) => u.length)).toEqual([1, 3])
    expect(res.undo[1]![2]).toMatchObject({ value: COIN - 1000n, height: 101, coinbase: false })
    // The spent coins are gone, the new ones are there, the OP_RETURN output is not stored.
    expect(view.get(cb.txid(), 0)).toBeUndefined()
    expect(view.get(a.txid(), 1)).toBeUndefined()
    expect(view.get(a.txid(), 0)).toMatchObject({ value: 4n * COIN, height: 101, coinbase: false })
    expect(view.get(b.txid(), 0)).toBeDefined()
    expect(view.get(b.txid(), 1)).toBeUndefined()
    expect(view.get(txs[0]!.txid(), 0)).toMatchObject({ coinbase: true, height: 101 })

    const back = new LayeredView(view)
    expect(disconnectBlock(block(txs), res.undo, back, { height: 101, hash: ctxAt(101).hash })).toBe('ok')
    back.commit()
    expect(view.snapshot()).toEqual(before)
  })

  it('rejects a missing input, a double spend in one block and a spend of a later output', async () => {
    const { view, cb } = await funded([OP_TRUE, OP_TRUE])
    const ghost = spend([{ tx: cbAt(7, SUBSIDY), vout: 0 }], [out(COIN)])
    expect(await verdict([cbAt(101, SUBSIDY), ghost], ctxAt(101), view)).toBe(
      'bad-txns-inputs-missingorspent',
    )
    const a = spend([{ tx: cb, vout: 0 }], [out(5n * COIN)])
    const a2 = spend([{ tx: cb, vout: 0 }], [out(4n * COIN)])
    expect(await verdict([cbAt(101, SUBSIDY), a, a2], ctxAt(101), view)).toBe(
      'bad-txns-inputs-missingorspent',
    )
    const child = spend([{ tx: a, vout: 0 }], [out(5n * COIN)])
    expect(await verdict([cbAt(101, SUBSIDY), child, a], ctxAt(101), view)).toBe(
      'bad-txns-inputs-missingorspent',
    )
    // Across blocks: once a is connected, a second spend of its input fails.
    expect(await verdict([cbAt(101, SUBSIDY), a], ctxAt(101), view)).toBe('ok')
    expect(await verdict([cbAt(102, SUBSIDY), a2], ctxAt(102), view)).toBe('bad-txns-inputs-missingorspent')
  })

  it('lets a coinbase output be spent at depth 100 and not 99', async () => {
    const { view, cb } = await funded([OP_TRUE], 5)
    const a = spend([{ tx: cb, vout: 0 }], [out(5n * COIN)])
    expect(await verdict([cbAt(104, SUBSIDY), a], ctxAt(104), view)).toBe(
      'bad-txns-premature-spend-of-coinbase',
    )
    expect(view.get(cb.txid(), 0)).toBeDefined()
    expect(await verdict([cbAt(105, SUBSIDY), a], ctxAt(105), view)).toBe('ok')
  })

  it('rejects out-of-range input values, outputs above inputs and accumulated fees above MAX_MONEY', async () => {
    const view = new MemoryView()
    const src = cbAt(1, 0n)
    view.add(src.txid(), 0, { value: MAX_MONEY + 1n, script: OP_TRUE, height: 1, coinbase: false })
    view.add(src.txid(), 1, { value: 15_000_000n * COIN, script: OP_TRUE, height: 1, coinbase: false })
    view.add(src.txid(), 2, { value: 15_000_000n * COIN, script: OP_TRUE, height: 1, coinbase: false })
    view.add(src.txid(), 3, { value: COIN, script: OP_TRUE, height: 1, coinbase: false })
    const big = spend([{ tx: src, vout: 0 }], [out(COIN)])
    expect(await verdict([cbAt(10, SUBSIDY), big], ctxAt(10), view)).toBe('bad-txns-inputvalues-outofrange')
    const over = spend([{ tx: src, vout: 3 }], [out(COIN + 1n)])
    expect(await verdict([cbAt(10, SUBSIDY), over], ctxAt(10), view)).toBe('bad-txns-in-belowout')
    const exact = spend([{ tx: src, vout: 3 }], [out(COIN)])
    expect(await verdict([cbAt(10, SUBSIDY), exact], ctxAt(10), view)).toBe('ok')
    const f1 = spend([{ tx: src, vout: 1 }], [out(0n)])
    const f2 = spend([{ tx: src, vout: 2 }], [out(0n)])
    expect(await verdict([cbAt(11, SUBSIDY), f1, f2], ctxAt(11), view)).toBe(
      'bad-txns-accumulated-fee-outofrange',
    )
  })

  it('rejects a coinbase paying more than subsidy plus fees, by one satoshi', async () => {
    const { view, cb } = await funded([OP_TRUE])
    const a = spend([{ tx: cb, vout: 0 }], [out(5n * COIN - 300n)])
    expect(await verdict([cbAt(101, SUBSIDY + 301n), a], ctxAt(101), view)).toBe('bad-cb-amount')
    expect(await verdict([cbAt(101, SUBSIDY + 300n), a], ctxAt(101), view)).toBe('ok')
    // After the first regtest halving (150 blocks) the subsidy is 25 BTC.
    expect(await verdict([cbAt(150, 25n * COIN + 1n)], ctxAt(150), view)).toBe('bad-cb-amount')
    expect(await verdict([cbAt(150, 25n * COIN)], ctxAt(150), view)).toBe('ok')
  })

  it('enforces BIP68 height and time locks once CSV is active', async () => {
    const { view, cb } = await funded([OP_TRUE, OP_TRUE, OP_TRUE])
    // Relative height lock of 110 blocks on a coin of height 1: valid from height 111.
    const h = spend([{ tx: cb, vout: 0, sequence: 110 }], [out(5n * COIN)])
    expect(await verdict([cbAt(110, SUBSIDY), h], ctxAt(110), view)).toBe('bad-txns-nonfinal')
    expect(await verdict([cbAt(111, SUBSIDY), h], ctxAt(111), view)).toBe('ok')
    // Version 1 does not opt in.
    const v1 = spend([{ tx: cb, vout: 1, sequence: 500 }], [out(5n * COIN)], { version: 1 })
    expect(await verdict([cbAt(112, SUBSIDY), v1], ctxAt(112), view)).toBe('ok')
    // Time lock: 250 × 512 s counted from the MTP of block 0 (the coin's parent).
    const units = 250
    const t = spend([{ tx: cb, vout: 2, sequence: (1 << 22) | units }], [out(5n * COIN)])
    const minTime = mtp(0) + units * 512 - 1
    const early = ctxAt(250, { prevMedianTimePast: minTime })
    expect(await verdict([cbAt(250, SUBSIDY), t], early, view)).toBe('bad-txns-nonfinal')
    const late = ctxAt(250, { prevMedianTimePast: minTime + 1 })
    expect(await verdict([cbAt(250, 25n * COIN), t], late, view)).toBe('ok')
  })

  it('does not enforce BIP68 below the CSV height', async () => {
    const net = { ...regtest, csvHeight: 1000 }
    const { view, cb } = await funded([OP_TRUE])
    const h = spend([{ tx: cb, vout: 0, sequence: 500 }], [out(5n * COIN)])
    expect(await verdict([cbAt(110, SUBSIDY), h], ctxAt(110, {}, net), view)).toBe('ok')
  })

  it('rejects a block above 80,000 sigop cost', async () => {
    const view = new MemoryView()
    // 1,000 CHECKMULTISIGs count 20 each: 20,000 sigops, cost 80,000: the limit exactly.
    const limit = new Uint8Array(1000).fill(0xae)
    expect(await verdict([coinbase(1, [out(SUBSIDY), out(0n, limit)])], ctxAt(1), view)).toBe('ok')
    const over = Uint8Array.of(...limit, 0xac)
    expect(await verdict([coinbase(2, [out(SUBSIDY), out(0n, over)])], ctxAt(2), view)).toBe('bad-blk-sigops')
  })

  it('skips the genesis block as Core does', async () => {
    const view = new MemoryView()
    const res = await connectBlock(regtest.genesis, ctxAt(0, { hash: regtest.genesisHash }), view)
    expect(res).toEqual({ undo: [], fees: 0n, sigOpCost: 0, inputs: 0 })
    expect(view.coins.size).toBe(0)
  })
})

describe('BIP30', () => {
  // Regtest has no BIP34 hash, so BIP30 stays enforced; a high BIP34 height lets coinbases repeat.
  const net = { ...regtest, bip34Height: 100_000_000 }

  it('rejects a block whose coinbase repeats an unspent one, and accepts it once that is spent', async () => {
    const view = new MemoryView()
    const cb = coinbase(1, [out(SUBSIDY)])
    expect(await verdict([cb], ctxAt(1, {}, net), view)).toBe('ok')
    expect(await verdict([cb], ctxAt(2, {}, net), view)).toBe('bad-txns-BIP30')
    expect(view.get(cb.txid(), 0)?.height).toBe(1)
    const s = spend([{ tx: cb, vout: 0 }], [out(SUBSIDY)])
    expect(await verdict([coinbase(101, [out(SUBSIDY)]), s], ctxAt(101, {}, net), view)).toBe('ok')
    expect(await verdict([cb], ctxAt(102, {}, net), view)).toBe('ok')
    expect(view.get(cb.txid(), 0)?.height).toBe(102)
  })
})

describe('scripts', () => {
  let pool: ScriptCheckPool
  beforeAll(async () => {
    pool = new ScriptCheckPool({ workers: 1 })
    await pool.start()
  })
  afterAll(async () => {
    await pool.stop()
  })

  /** Blocks at height 101 with one failing script each, and the reason Core gives. */
  async function cases(): Promise<{ name: string; view: MemoryView; txs: Tx[]; reason: string }[]> {
    const cltv = Uint8Array.of(...pushNum(500), 0xb1) // 500 OP_CHECKLOCKTIMEVERIFY
    const csv = Uint8Array.of(...pushNum(10), 0xb2) // 10 OP_CHECKSEQUENCEVERIFY
    const { view, cb } = await funded([PUSH2_EQUAL, p2wsh(OP_TRUE), cltv, csv, OP_TRUE])
    const good = spend([{ tx: cb, vout: 4 }], [out(5n * COIN)])
    const lock = 'block-script-verify-flag-failed (Locktime requirement not satisfied)'
    const wrong = spend([{ tx: cb, vout: 0, script: pushNum(3) }], [out(5n * COIN)])
    const witness = spend([{ tx: cb, vout: 1, witness: [PUSH2_EQUAL] }], [out(5n * COIN)])
    const lt = spend([{ tx: cb, vout: 2, sequence: 0xfffffffe }], [out(5n * COIN)], { locktime: 100 })
    const seq = spend([{ tx: cb, vout: 3, sequence: 9 }], [out(5n * COIN)])
    return [
      { name: 'false result', view, txs: [cbAt(101, SUBSIDY), good, wrong], reason: EVAL_FALSE },
      {
        name: 'bad witness',
        view,
        txs: [cbAt(101, SUBSIDY), witness, good],
        reason: 'block-script-verify-flag-failed (Witness program hash mismatch)',
      },
      { name: 'CLTV', view, txs: [cbAt(101, SUBSIDY), lt], reason: lock },
      { name: 'CSV', view, txs: [cbAt(101, SUBSIDY), seq], reason: lock },
    ]
  }

  it('rejects failing scripts with Core reasons, inline and in the worker pool alike', async () => {
    for (const c of await cases()) {
      const before = c.view.snapshot()
      expect(await verdict(c.txs, ctxAt(101), c.view), c.name).toBe(c.reason)
      expect(await verdict(c.txs, ctxAt(101), c.view, pool), c.name).toBe(c.reason)
      // The failed block left the view as it was.
      expect(c.view.snapshot()).toEqual(before)
    }
  })

  it('names the failing transaction and input', async () => {
    const [c] = await cases()
    for (const p of [undefined, pool]) {
      const err = await connectBlock(block(c!.txs), ctxAt(101), new LayeredView(c!.view), p).catch((e) => e)
      expect(err).toBeInstanceOf(BlockConsensusError)
      expect(err).toMatchObject({ tx: 2, input: 0, reason: EVAL_FALSE })
    }
  })

  it('skips scripts when told to (assumevalid) and still checks the rest', async () => {
    const [c] = await cases()
    expect(await verdict(c!.txs, ctxAt(101, { checkScripts: false }), c!.view)).toBe('ok')
    const [d] = await cases()
    const txs = [cbAt(101, SUBSIDY + 1n), ...d!.txs.slice(1)]
    expect(await verdict(txs, ctxAt(101, { checkScripts: false }), d!.view)).toBe('bad-cb-amount')
  })

  it('reports a rule failure after a script failure before it, as Core with script threads', async () => {
    const [c] = await cases()
    const txs = [cbAt(101, SUBSIDY + 1n), ...c!.txs.slice(1)]
    expect(await verdict(txs, ctxAt(101), c!.view)).toBe('bad-cb-amount')
    expect(await verdict(txs, ctxAt(101), c!.view, pool)).toBe('bad-cb-amount')
  })
})
