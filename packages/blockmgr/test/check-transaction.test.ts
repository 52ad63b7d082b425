/**
 * Core's CheckTransaction, rule by rule (src/consensus/tx_check.cpp), and
 * CheckBlock running it on every transaction of a block.
 */
import { type Block, blockHash, decodeBlock, decodeTx, merkleRoot, networks, Tx, type TxIn } from '@node/wire'
import { describe, expect, it } from 'vitest'
import {
  BadTransactionError,
  checkBlock,
  checkProofOfWork,
  checkTransaction,
  MAX_MONEY,
  mineBlock,
} from '../src/index.ts'
import { wireBlock } from './helpers.ts'

const payTo = Uint8Array.of(0x51)

function input(fill: number, index = 0, script: Uint8Array = new Uint8Array(0)): TxIn {
  return {
    prevHash: new Uint8Array(32).fill(fill),
    prevIndex: index,
    script,
    sequence: 0xffffffff,
    witness: [],
  }
}

const NULL_INPUT: TxIn = {
  prevHash: new Uint8Array(32),
  prevIndex: 0xffffffff,
  script: Uint8Array.of(1, 1),
  sequence: 0xffffffff,
  witness: [],
}

function tx(inputs: TxIn[], values: bigint[] = [1n], script: Uint8Array = payTo): Tx {
  return new Tx({ version: 2, inputs, outputs: values.map((value) => ({ value, script })), locktime: 0 })
}

function reason(fn: () => void): string | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(Error)
    return (err as { reason?: string }).reason
  }
  return undefined
}

describe('checkTransaction (Core CheckTransaction)', () => {
  it('passes every transaction of real mainnet blocks', () => {
    for (const name of ['block300025.raw', 'block426884.raw', 'block-574200.blk']) {
      const b = decodeBlock(wireBlock(name))
      for (const t of b.txs) expect(() => checkTransaction(t)).not.toThrow()
    }
  })

  it('refuses a transaction without inputs (bad-txns-vin-empty) or outputs (bad-txns-vout-empty)', () => {
    expect(reason(() => checkTransaction(tx([])))).toBe('bad-txns-vin-empty')
    expect(reason(() => checkTransaction(tx([input(1)], [])))).toBe('bad-txns-vout-empty')
  })

  it('the error is typed and discourages the sender', () => {
    let caught: unknown
    try {
      checkTransaction(tx([input(1), input(1)]))
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(BadTransactionError)
    const e = caught as BadTransactionError
    expect(e.name).toBe('BadTransactionError')
    expect(e.code).toBe('BAD_TX')
    expect(e.severity).toBe('discourage')
    expect(e.reason).toBe('bad-txns-inputs-duplicate')
  })

  it('refuses a transaction over 1,000,000 bytes without witness data (bad-txns-oversize)', () => {
    // One output script sized so that the stripped transaction is exactly 1,000,000 bytes, then one more.
    const base = tx([input(1)], [1n], new Uint8Array(0)).strippedSize()
    // The script length becomes a 5-byte compact size (0xfe ...) above 65,535.
    const fits = tx([input(1)], [1n], new Uint8Array(1_000_000 - base - 4))
    expect(fits.strippedSize()).toBe(1_000_000)
    expect(() => checkTransaction(fits)).not.toThrow()
    const over = tx([input(1)], [1n], new Uint8Array(1_000_000 - base - 3))
    expect(reason(() => checkTransaction(over))).toBe('bad-txns-oversize')
  })

  it('counts only the serialization without witness data towards the size', () => {
    const big = [new Uint8Array(1_100_000)]
    const t = new Tx({
      version: 2,
      inputs: [{ ...input(1), witness: big }],
      outputs: [{ value: 1n, script: payTo }],
      locktime: 0,
    })
    expect(t.size()).toBeGreaterThan(1_000_000)
    expect(() => checkTransaction(t)).not.toThrow()
  })

  it('refuses a negative output value (bad-txns-vout-negative), also one encoded as a 64-bit value with the top bit set', () => {
    expect(reason(() => checkTransaction(tx([input(1)], [-1n])))).toBe('bad-txns-vout-negative')
    // On the wire the value is 8 bytes; ff..ff is -1 to Core's int64 CAmount.
    const decoded = decodeTx(tx([input(1)], [(1n << 64n) - 1n]).toBytes())
    expect(decoded.outputs[0]!.value).toBe((1n << 64n) - 1n)
    expect(reason(() => checkTransaction(decoded))).toBe('bad-txns-vout-negative')
    expect(reason(() => checkTransaction(tx([input(1)], [1n << 63n])))).toBe('bad-txns-vout-negative')
  })

  it('refuses an output worth more than 21 million BTC (bad-txns-vout-toolarge); exactly 21 million passes', () => {
    expect(() => checkTransaction(tx([input(1)], [MAX_MONEY]))).not.toThrow()
    expect(() => checkTransaction(tx([input(1)], [0n]))).not.toThrow()
    expect(reason(() => checkTransaction(tx([input(1)], [MAX_MONEY + 1n])))).toBe('bad-txns-vout-toolarge')
  })

  it('refuses outputs that together exceed 21 million BTC (bad-txns-txouttotal-toolarge, CVE-2010-5139)', () => {
    expect(() => checkTransaction(tx([input(1)], [MAX_MONEY - 5n, 5n]))).not.toThrow()
    expect(reason(() => checkTransaction(tx([input(1)], [MAX_MONEY, 1n])))).toBe(
      'bad-txns-txouttotal-toolarge',
    )
    // The 2010 overflow: two outputs that wrap a 64-bit sum.
    const half = 0x7ffffffffffffff0n
    expect(reason(() => checkTransaction(tx([input(1)], [half, half])))).toBe('bad-txns-vout-toolarge')
  })

  it('refuses a transaction that spends the same outpoint twice (bad-txns-inputs-duplicate, CVE-2018-17144)', () => {
    expect(reason(() => checkTransaction(tx([input(1), input(1)])))).toBe('bad-txns-inputs-duplicate')
    // Not adjacent, among many inputs.
    const many = Array.from({ length: 50 }, (_, i) => input(2, i))
    expect(() => checkTransaction(tx(many))).not.toThrow()
    expect(reason(() => checkTransaction(tx([...many, input(2, 17)])))).toBe('bad-txns-inputs-duplicate')
    // Same hash, other index; same index, other hash: distinct outpoints.
    expect(() => checkTransaction(tx([input(3, 0), input(3, 1), input(4, 0)]))).not.toThrow()
  })

  it('refuses a coinbase whose scriptSig is not 2 to 100 bytes (bad-cb-length)', () => {
    const cb = (n: number) => tx([{ ...NULL_INPUT, script: new Uint8Array(n) }], [50n * 100_000_000n])
    expect(cb(2).isCoinbase()).toBe(true)
    expect(() => checkTransaction(cb(2))).not.toThrow()
    expect(() => checkTransaction(cb(100))).not.toThrow()
    expect(reason(() => checkTransaction(cb(1)))).toBe('bad-cb-length')
    expect(reason(() => checkTransaction(cb(101)))).toBe('bad-cb-length')
  })

  it('refuses a null prevout outside the coinbase (bad-txns-prevout-null)', () => {
    expect(reason(() => checkTransaction(tx([input(1), NULL_INPUT])))).toBe('bad-txns-prevout-null')
    expect(reason(() => checkTransaction(tx([NULL_INPUT, input(1), input(2)])))).toBe('bad-txns-prevout-null')
    // A null hash with another index, or index 0xffffffff with another hash, is not null.
    expect(() =>
      checkTransaction(
        tx([input(1), { ...NULL_INPUT, prevIndex: 0 }, { ...input(5), prevIndex: 0xffffffff }]),
      ),
    ).not.toThrow()
  })
})

describe('checkBlock runs CheckTransaction on every transaction', () => {
  const g = networks.regtest.genesis
  const prev = { hash: networks.regtest.genesisHash, height: 0, time: g.header.time }

  it('a block with a transaction spending the same outpoint twice is refused with its reason (CVE-2018-17144)', () => {
    const b = mineBlock({
      network: networks.regtest,
      prev,
      payTo,
      txs: [tx([input(1)]), tx([input(7), input(7)])],
    })
    let caught: unknown
    try {
      checkBlock(b, networks.regtest)
    } catch (err) {
      caught = err
    }
    expect((caught as { reason?: string }).reason).toBe('bad-txns-inputs-duplicate')
    expect((caught as { code?: string }).code).toBe('BAD_BLOCK')
    expect((caught as { severity?: string }).severity).toBe('discourage')
    expect((caught as Error).message).toContain('Transaction check failed')
  })

  it("a block whose coinbase breaks a rule, or a later transaction's output, is refused", () => {
    const big = mineBlock({ network: networks.regtest, prev, payTo, txs: [tx([input(1)], [MAX_MONEY + 1n])] })
    expect(reason(() => checkBlock(big, networks.regtest))).toBe('bad-txns-vout-toolarge')
    // A coinbase with a 1-byte scriptSig (re-ground for the new merkle root).
    const b = mineBlock({ network: networks.regtest, prev, payTo })
    const cb = b.txs[0]!
    const short = new Tx({
      version: cb.version,
      inputs: [{ ...cb.inputs[0]!, script: Uint8Array.of(0x51), witness: [] }],
      outputs: cb.outputs.slice(0, 1),
      locktime: 0,
    })
    const root = merkleRoot([short.txid()]).root
    let block: Block | undefined
    for (let nonce = 0; !block; nonce++) {
      const header = { ...b.header, merkleRoot: root, nonce }
      if (checkProofOfWork(blockHash(header), header.bits, networks.regtest)) block = { header, txs: [short] }
    }
    expect(reason(() => checkBlock(block!, networks.regtest))).toBe('bad-cb-length')
  })
})
