/**
 * Block structure checks (Core CheckBlock and the structural parts of
 * ContextualCheckBlock): merkle root with the CVE-2012-2459 mutation check,
 * one coinbase and only first, size and weight limits, Core's
 * CheckTransaction on every transaction, BIP34 height in the coinbase, and
 * the BIP141 witness commitment.
 *
 * The rules that need the UTXO set (inputs, amounts, scripts, BIP30, BIP68,
 * sigops) are ConnectBlock's (validation/connect.ts), run by the Chainstate
 * when the block is connected.
 */

import { checkTransaction, TxValidationError } from '@node/consensus'
import {
  type Block,
  blockHash,
  blockMerkleRoot,
  bytesEqual,
  compactSizeLength,
  type Hash,
  hashToHex,
  MAX_BLOCK_WEIGHT,
  type NetworkParams,
  WITNESS_SCALE_FACTOR,
  witnessCommitment,
  witnessCommitmentIndex,
  witnessMerkleRoot,
} from '@node/wire'
import { BadBlockError } from './errors.ts'
import { checkProofOfWork } from './pow.ts'

/** Encode a number as Core's CScriptNum push for the BIP34 height. */
export function bip34HeightPush(height: number): Uint8Array {
  if (height === 0) return Uint8Array.of(0x00)
  if (height >= 1 && height <= 16) return Uint8Array.of(0x50 + height) // OP_1..OP_16
  const bytes: number[] = []
  let v = height
  while (v > 0) {
    bytes.push(v & 0xff)
    v = Math.floor(v / 256)
  }
  if (bytes[bytes.length - 1]! & 0x80) bytes.push(0)
  return Uint8Array.from([bytes.length, ...bytes])
}

/** The block's size without witness data, from its transactions' sizes (no encoding). */
function strippedBlockSize(block: Block): number {
  let n = 80 + compactSizeLength(block.txs.length)
  for (const tx of block.txs) n += tx.strippedSize()
  return n
}

/**
 * Context-free checks (Core CheckBlock, src/validation.cpp), including
 * CheckTransaction on every transaction (check-transaction.ts). Core's
 * legacy sigop limit ('bad-blk-sigops') is not checked here. `raw` is the
 * block's serialization and `hash` its header's hash, if the caller has them.
 */
export function checkBlock(
  block: Block,
  p: NetworkParams,
  raw?: Uint8Array,
  hash: Hash = blockHash(block.header),
): void {
  if (!checkProofOfWork(hash, block.header.bits, p)) {
    throw new BadBlockError('high-hash', 'The block hash does not meet its target.')
  }
  const { root, mutated } = blockMerkleRoot(block)
  if (!bytesEqual(root, block.header.merkleRoot)) {
    throw new BadBlockError('bad-txnmrklroot', 'The merkle root does not match the transactions.')
  }
  // A mutated block (duplicate transactions giving the same root) is not
  // punished by Core: the same header may belong to a valid block.
  if (mutated)
    throw new BadBlockError(
      'bad-txns-duplicate',
      'The transaction list is a merkle-tree mutation.',
      'disconnect',
    )
  if (block.txs.length === 0) throw new BadBlockError('bad-blk-length', 'The block has no transactions.')
  const strippedSize = raw && !block.txs.some((t) => t.hasWitness()) ? raw.length : strippedBlockSize(block)
  if (
    block.txs.length * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT ||
    strippedSize * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT
  ) {
    throw new BadBlockError('bad-blk-length', 'The block is over the size limit.')
  }
  if (!block.txs[0]!.isCoinbase())
    throw new BadBlockError('bad-cb-missing', 'The first transaction is not a coinbase.')
  for (let i = 1; i < block.txs.length; i++) {
    if (block.txs[i]!.isCoinbase())
      throw new BadBlockError('bad-cb-multiple', `Transaction ${i} is a second coinbase.`)
  }
  // Core CheckBlock: CheckTransaction on every transaction; the block takes the transaction's reject reason.
  for (const tx of block.txs) {
    try {
      checkTransaction(tx)
    } catch (err) {
      if (!(err instanceof TxValidationError)) throw err
      throw new BadBlockError(
        err.reason,
        `Transaction check failed (tx hash ${hashToHex(tx.txid())}): ${err.message}`,
      )
    }
  }
}

/**
 * Checks that need the block's height (Core ContextualCheckBlock): BIP34
 * height in the coinbase, the witness commitment once segwit is active (and
 * no witness data without one), and the weight limit.
 */
export function contextualCheckBlock(block: Block, height: number, p: NetworkParams): void {
  if (height >= p.bip34Height) {
    const expect = bip34HeightPush(height)
    const script = block.txs[0]!.inputs[0]!.script
    if (script.length < expect.length || !bytesEqual(script.subarray(0, expect.length), expect)) {
      throw new BadBlockError('bad-cb-height', `The coinbase does not start with the block height ${height}.`)
    }
  }
  const segwit = height >= p.segwitHeight
  let hasCommitment = false
  if (segwit) {
    const idx = witnessCommitmentIndex(block)
    if (idx >= 0) {
      hasCommitment = true
      const witness = block.txs[0]!.inputs[0]!.witness
      if (witness.length !== 1 || witness[0]!.length !== 32) {
        throw new BadBlockError(
          'bad-witness-nonce-size',
          "The coinbase's witness reserved value is not one 32-byte item.",
        )
      }
      const commitment = witnessCommitment(witnessMerkleRoot(block), witness[0]!)
      const script = block.txs[0]!.outputs[idx]!.script
      if (!bytesEqual(script.subarray(6, 38), commitment)) {
        throw new BadBlockError(
          'bad-witness-merkle-match',
          'The witness commitment does not match the witness data.',
        )
      }
    }
  }
  if (!hasCommitment && block.txs.some((t) => t.hasWitness())) {
    throw new BadBlockError('unexpected-witness', 'The block has witness data but no witness commitment.')
  }
  let weight = 0
  for (const tx of block.txs) weight += tx.weight()
  weight += 80 * WITNESS_SCALE_FACTOR
  if (weight > MAX_BLOCK_WEIGHT)
    throw new BadBlockError('bad-blk-weight', `The block weight ${weight} is over the limit.`)
}
