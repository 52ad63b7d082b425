/**
 * gettxoutsetinfo statistics (Core kernel/coinstats.cpp) and MuHash3072
 * (crypto/muhash.cpp) with the vectors of Core's src/test/crypto_tests.cpp
 * `muhash_tests` (Bitcoin Core, MIT licence).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256d } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { type Coin, CoinsCache, CoinsDB, computeUtxoStats, MuHash3072, txOutSer } from '../../src/index.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const rev = (b: Uint8Array): string => Buffer.from(b).reverse().toString('hex')
const fromInt = (i: number): Uint8Array => {
  const b = new Uint8Array(32)
  b[0] = i
  return b
}

describe('MuHash3072 (crypto_tests.cpp muhash_tests)', () => {
  it('FromInt(0) * FromInt(1) / FromInt(2) finalizes to Core’s digest', () => {
    const acc = new MuHash3072().insert(fromInt(0)).insert(fromInt(1)).remove(fromInt(2))
    expect(rev(acc.finalize())).toBe('10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863')
    const a = new MuHash3072().insert(fromInt(0))
    a.combine(new MuHash3072().insert(fromInt(1)))
    a.divide(new MuHash3072().insert(fromInt(2)))
    expect(rev(a.finalize())).toBe('10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863')
  })

  it('an overflowing state (numerator 2^3072 - 1, denominator 1) finalizes to Core’s digest', () => {
    const state = new Uint8Array(768).fill(0xff)
    state.fill(0, 384)
    state[384] = 1
    expect(hex(MuHash3072.fromState(state).finalize())).toBe(
      '3a31e6903aff0de9f62f9a9f7f8b861de76ce2cda09822b90014319ae5dc2271',
    )
  })

  it('is independent of order, and x*y/(y*x) is the empty set', () => {
    const a = new MuHash3072().insert(fromInt(3)).insert(fromInt(4)).remove(fromInt(5)).finalize()
    const b = new MuHash3072().remove(fromInt(5)).insert(fromInt(4)).insert(fromInt(3)).finalize()
    expect(hex(a)).toBe(hex(b))
    const z = new MuHash3072().insert(fromInt(7)).insert(fromInt(9)).remove(fromInt(9)).remove(fromInt(7))
    expect(hex(z.finalize())).toBe(hex(new MuHash3072().finalize()))
  })
})

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

function coinAt(i: number): { txid: Uint8Array; vout: number; coin: Coin } {
  const txid = sha256d(Uint8Array.of(i >> 2))
  return {
    txid,
    vout: [0, 1, 200, 300][i & 3]!,
    coin: {
      value: BigInt(1000 + i),
      script: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(i)),
      height: i,
      coinbase: i % 7 === 0,
    },
  }
}

async function buildSet(
  order: number[],
  flushEvery: number,
  change?: number,
): Promise<Awaited<ReturnType<typeof computeUtxoStats>>> {
  const datadir = await mkdtemp(join(tmpdir(), 'coins-stats-'))
  dirs.push(datadir)
  const db = new CoinsDB({ datadir })
  await db.start()
  const cache = new CoinsCache({ db, maxBytes: 1 << 30 })
  let n = 0
  for (const i of order) {
    const c = coinAt(i)
    const coin = i === change ? { ...c.coin, value: c.coin.value + 1n } : c.coin
    cache.add(c.txid, c.vout, coin)
    // a coin added and spent in between: never part of the set
    cache.add(c.txid, 1000 + c.vout, coin)
    cache.spend(c.txid, 1000 + c.vout)
    if (++n % flushEvery === 0) await cache.flush(sha256d(Uint8Array.of(n)), { erase: n % 2 === 0 })
  }
  await cache.flush(sha256d(Uint8Array.of(0xff)))
  const stats = await computeUtxoStats(db.iterate())
  await db.stop()
  return stats
}

describe('gettxoutsetinfo statistics (kernel/coinstats.cpp)', () => {
  const N = 40
  const forward = Array.from({ length: N }, (_, i) => i)
  const shuffled = [...forward].sort((a, b) => ((a * 7919) % 41) - ((b * 7919) % 41))

  it('hash_serialized_3 and muhash do not depend on insertion or flush order; counts as Core', async () => {
    const a = await buildSet(forward, 5)
    const b = await buildSet(shuffled, 13)
    expect(hex(a.hashSerialized3)).toBe(hex(b.hashSerialized3))
    expect(hex(a.muhash)).toBe(hex(b.muhash))
    expect(a.txouts).toBe(N)
    expect(a.transactions).toBe(N / 4)
    expect(a.totalAmount).toBe(BigInt(N * 1000 + (N * (N - 1)) / 2))
    expect(a.bogosize).toBe(N * (32 + 4 + 4 + 8 + 2 + 22))
    // hash_serialized_3 is SHA256d over TxOutSer in (txid bytes, vout) order: vout 200 before 300
    const sorted = forward.map(coinAt).sort((x, y) => Buffer.compare(x.txid, y.txid) || x.vout - y.vout)
    expect(hex(a.hashSerialized3)).toBe(hex(sha256d(...sorted.map((c) => txOutSer(c.txid, c.vout, c.coin)))))
    const mu = new MuHash3072()
    for (const c of sorted) mu.insert(txOutSer(c.txid, c.vout, c.coin))
    expect(hex(a.muhash)).toBe(hex(mu.finalize()))
  })

  it('one coin’s value changed changes both hashes', async () => {
    const a = await buildSet(forward, 5)
    const b = await buildSet(forward, 5, 17)
    expect(hex(a.hashSerialized3)).not.toBe(hex(b.hashSerialized3))
    expect(hex(a.muhash)).not.toBe(hex(b.muhash))
  })

  it('TxOutSer is outpoint, uint32 code, CTxOut', () => {
    const ser = txOutSer(new Uint8Array(32).fill(0xab), 2, {
      value: 5_000_000_000n,
      script: Uint8Array.of(0x51),
      height: 100,
      coinbase: true,
    })
    expect(hex(ser)).toBe(`${'ab'.repeat(32)}02000000c900000000f2052a010000000151`)
  })

  it('the empty set hashes to SHA256d of nothing', async () => {
    const s = await computeUtxoStats([])
    expect(hex(s.hashSerialized3)).toBe(hex(sha256d(new Uint8Array(0))))
    expect(s.transactions).toBe(0)
  })
})
