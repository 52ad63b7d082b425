import { type Block, blockHash, decodeBlock, merkleRoot, networks, Tx } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { checkBlock, checkProofOfWork, contextualCheckBlock, mineBlock } from '../src/index.ts'
import { wireBlock } from './helpers.ts'

const blocks: [string, number, Block][] = [
  ['block 300025', 300025, decodeBlock(wireBlock('block300025.raw'))],
  ['block 426884', 426884, decodeBlock(wireBlock('block426884.raw'))],
  ['block 574200 (segwit, witness commitment)', 574200, decodeBlock(wireBlock('block-574200.blk'))],
]

function reason(fn: () => void): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { reason?: string }).reason
  }
  return undefined
}

describe('block checks on real mainnet blocks', () => {
  for (const [name, height, block] of blocks) {
    it(`${name} passes the structure checks at height ${height}`, () => {
      expect(() => checkBlock(block, networks.mainnet)).not.toThrow()
      expect(() => contextualCheckBlock(block, height, networks.mainnet)).not.toThrow()
    })
  }

  it('a block whose transactions do not match the merkle root fails (bad-txnmrklroot)', () => {
    const [, , b] = blocks[0]!
    const swapped: Block = { header: b.header, txs: [b.txs[0]!, b.txs[2]!, b.txs[1]!, ...b.txs.slice(3)] }
    expect(reason(() => checkBlock(swapped, networks.mainnet))).toBe('bad-txnmrklroot')
  })

  it('a wrong height in the coinbase fails (bad-cb-height)', () => {
    const [, height, b] = blocks[0]!
    expect(reason(() => contextualCheckBlock(b, height + 1, networks.mainnet))).toBe('bad-cb-height')
  })

  it('a tampered witness fails the commitment (bad-witness-merkle-match)', () => {
    const [, height, b] = blocks[2]!
    const i = b.txs.findIndex((t, k) => k > 0 && t.hasWitness())
    const tx = b.txs[i]!
    const inputs = tx.inputs.map((inp, k) =>
      k === 0 ? { ...inp, witness: inp.witness.map((w) => w.map((x) => x ^ 1)) } : inp,
    )
    const forged = new Tx({ version: tx.version, inputs, outputs: tx.outputs, locktime: tx.locktime })
    const txs = b.txs.slice()
    txs[i] = forged
    expect(reason(() => contextualCheckBlock({ header: b.header, txs }, height, networks.mainnet))).toBe(
      'bad-witness-merkle-match',
    )
  })
})

describe('block checks on regtest blocks', () => {
  const g = networks.regtest.genesis
  const prev = { hash: networks.regtest.genesisHash, height: 0, time: g.header.time }
  const payTo = Uint8Array.of(0x51)

  it('a mined block passes every check', () => {
    const b = mineBlock({ network: networks.regtest, prev, payTo })
    expect(() => checkBlock(b, networks.regtest)).not.toThrow()
    expect(() => contextualCheckBlock(b, 1, networks.regtest)).not.toThrow()
  })

  it('a duplicated last transaction gives the same merkle root but is refused (CVE-2012-2459)', () => {
    const base = mineBlock({ network: networks.regtest, prev, payTo })
    const spend = (n: number) =>
      new Tx({
        version: 2,
        inputs: [
          {
            prevHash: new Uint8Array(32).fill(n),
            prevIndex: 0,
            script: new Uint8Array(0),
            sequence: 0,
            witness: [],
          },
        ],
        outputs: [{ value: 1n, script: payTo }],
        locktime: 0,
      })
    const b = mineBlock({ network: networks.regtest, prev, payTo, txs: [spend(1), spend(2)] })
    const dup: Block = { header: b.header, txs: [...b.txs, b.txs[2]!] }
    expect(merkleRoot(dup.txs.map((t) => t.txid())).root).toEqual(b.header.merkleRoot)
    expect(reason(() => checkBlock(dup, networks.regtest))).toBe('bad-txns-duplicate')
    expect(base.txs).toHaveLength(1)
  })

  /** Re-grind the header for a changed transaction list (regtest targets are easy). */
  function regrind(b: Block, txs: Tx[]): Block {
    const root = merkleRoot(txs.map((t) => t.txid())).root
    for (let nonce = 0; ; nonce++) {
      const header = { ...b.header, merkleRoot: root, nonce }
      if (checkProofOfWork(blockHash(header), header.bits, networks.regtest)) return { header, txs }
    }
  }

  it('a block whose first transaction is not a coinbase, or with two coinbases, is refused', () => {
    const b = mineBlock({ network: networks.regtest, prev, payTo })
    const other = mineBlock({ network: networks.regtest, prev, payTo, extraNonce: 7 })
    expect(reason(() => checkBlock(regrind(b, [b.txs[0]!, other.txs[0]!]), networks.regtest))).toBe(
      'bad-cb-multiple',
    )
    const spend = new Tx({
      version: 2,
      inputs: [
        {
          prevHash: new Uint8Array(32).fill(9),
          prevIndex: 0,
          script: new Uint8Array(0),
          sequence: 0,
          witness: [],
        },
      ],
      outputs: [{ value: 1n, script: payTo }],
      locktime: 0,
    })
    expect(reason(() => checkBlock(regrind(b, [spend]), networks.regtest))).toBe('bad-cb-missing')
  })

  it('witness data without a commitment is refused (unexpected-witness)', () => {
    const b = mineBlock({ network: networks.regtest, prev, payTo })
    const cb = b.txs[0]!
    // Keep the witness on the coinbase but drop the commitment output.
    const noCommit = new Tx({
      version: cb.version,
      inputs: cb.inputs,
      outputs: cb.outputs.slice(0, 1),
      locktime: cb.locktime,
    })
    expect(
      reason(() => contextualCheckBlock({ header: b.header, txs: [noCommit] }, 1, networks.regtest)),
    ).toBe('unexpected-witness')
  })
})
