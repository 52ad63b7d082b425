/**
 * CheckBlock runs Core's CheckTransaction (from @node/consensus) on every
 * transaction of a block, and the block takes the transaction's reject reason.
 */
import { type Block, blockHash, MAX_MONEY, merkleRoot, networks, Tx, type TxIn } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { checkBlock, checkProofOfWork, mineBlock } from '../src/index.ts'

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
