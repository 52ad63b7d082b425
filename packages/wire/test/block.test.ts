import {
  blockHash,
  blockMerkleRoot,
  decodeBlock,
  decodeTx,
  encodeBlock,
  hashToHex,
  isProtocolError,
  merkleRoot,
  sha256d,
  Tx,
  witnessCommitment,
  witnessCommitmentIndex,
  witnessMerkleRoot,
} from '@node/wire'
import * as bitcoin from 'bitcoinjs-lib'
import { describe, expect, it } from 'vitest'
import { btcdBlocks, fixture, hex } from './helpers.ts'

const realBlocks: [string, Uint8Array][] = [
  ['block 1', new Uint8Array(fixture('blocks/block1.raw'))],
  ['block 300025', new Uint8Array(fixture('blocks/block300025.raw'))],
  ['block 426884', new Uint8Array(fixture('blocks/block426884.raw'))],
  ['block 574200 (segwit)', new Uint8Array(fixture('blocks/block-574200.blk'))],
]

describe('real mainnet blocks against bitcoinjs-lib', () => {
  for (const [name, bytes] of realBlocks) {
    it(`${name}: same hash, txids, wtxids, merkle roots, and a byte-exact round trip`, () => {
      const ours = decodeBlock(bytes)
      const ref = bitcoin.Block.fromBuffer(Buffer.from(bytes))
      expect(hashToHex(blockHash(ours.header))).toBe(ref.getId())
      expect(ours.txs.length).toBe(ref.transactions!.length)
      ours.txs.forEach((tx, i) => {
        const r = ref.transactions![i]!
        expect(hashToHex(tx.txid())).toBe(r.getId())
        // bitcoinjs-lib reports the coinbase's wtxid as zero (its witness merkle leaf).
        if (i > 0) expect(hex(tx.wtxid())).toBe(Buffer.from(r.getHash(true)).toString('hex'))
        expect(tx.hasWitness()).toBe(r.hasWitnesses())
        expect(tx.weight()).toBe(r.weight())
      })
      const { root, mutated } = blockMerkleRoot(ours)
      expect(mutated).toBe(false)
      expect(hex(root)).toBe(hex(ours.header.merkleRoot))
      expect(hex(root)).toBe(
        Buffer.from(bitcoin.Block.calculateMerkleRoot(ref.transactions!)).toString('hex'),
      )
      expect(hex(encodeBlock(ours))).toBe(hex(bytes))
    })
  }

  it('block 574200: the witness commitment in the coinbase matches the wtxid merkle root', () => {
    const b = decodeBlock(realBlocks[3]![1])
    const idx = witnessCommitmentIndex(b)
    expect(idx).toBeGreaterThanOrEqual(0)
    const reserved = b.txs[0]!.inputs[0]!.witness[0]!
    const commitment = witnessCommitment(witnessMerkleRoot(b), reserved)
    expect(hex(b.txs[0]!.outputs[idx]!.script.subarray(6, 38))).toBe(hex(commitment))
    expect(hashToHex(blockHash(b.header))).toBe(
      '0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2',
    )
  })

  it("btcd's blocks 1..255 form a chain, and each merkle root recomputes", () => {
    const blocks = btcdBlocks().map((b) => decodeBlock(b))
    expect(blocks).toHaveLength(255)
    for (let i = 1; i < blocks.length; i++) {
      expect(hex(blocks[i]!.header.prevBlock)).toBe(hex(blockHash(blocks[i - 1]!.header)))
      expect(hex(blockMerkleRoot(blocks[i]!).root)).toBe(hex(blocks[i]!.header.merkleRoot))
    }
    expect(hashToHex(blockHash(blocks[254]!.header))).toBe(
      '00000000d0a75c861fabf9ff7b92022f60e4afeed9331fe5aa073d8e4706fe3c',
    )
  })
})

describe('merkle root mutation (CVE-2012-2459)', () => {
  it('a duplicated last pair gives the same root but is flagged as mutated', () => {
    const h = (n: number) => sha256d(Uint8Array.of(n))
    const three = [h(1), h(2), h(3)]
    const four = [h(1), h(2), h(3), h(3)]
    const a = merkleRoot(three)
    const b = merkleRoot(four)
    expect(hex(a.root)).toBe(hex(b.root))
    expect(a.mutated).toBe(false)
    expect(b.mutated).toBe(true)
  })
})

describe('transactions', () => {
  it('rejects a witness flag with no witness data (Core: superfluous witness record)', () => {
    // version 1 ‖ marker 00 ‖ flag 01 ‖ 1 input ‖ 1 output ‖ empty witness ‖ locktime
    const tx = new Tx({
      version: 1,
      inputs: [
        {
          prevHash: new Uint8Array(32).fill(1),
          prevIndex: 0,
          script: new Uint8Array(0),
          sequence: 0,
          witness: [],
        },
      ],
      outputs: [{ value: 1n, script: Uint8Array.of(0x51) }],
      locktime: 0,
    })
    const plain = tx.toBytes()
    const forged = new Uint8Array([
      ...plain.subarray(0, 4),
      0,
      1,
      ...plain.subarray(4, plain.length - 4),
      0,
      ...plain.subarray(plain.length - 4),
    ])
    let caught: unknown
    try {
      decodeTx(forged)
    } catch (err) {
      caught = err
    }
    expect(isProtocolError(caught)).toBe(true)
    expect(String(caught)).toContain('Superfluous witness')
  })

  it('keeps values above 2^53 exactly', () => {
    const tx = new Tx({
      version: 2,
      inputs: [],
      outputs: [{ value: 0xffffffffffffffffn, script: Uint8Array.of(0x6a) }],
      locktime: 0,
    })
    // An input-less transaction would be read as a segwit marker, so add one input.
    const withIn = new Tx({
      ...tx,
      inputs: [
        { prevHash: new Uint8Array(32), prevIndex: 1, script: new Uint8Array(0), sequence: 0, witness: [] },
      ],
    })
    expect(decodeTx(withIn.toBytes()).outputs[0]!.value).toBe(0xffffffffffffffffn)
  })
})
