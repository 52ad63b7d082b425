/**
 * A block maker for regtest (and tests on any network with a low target):
 * a coinbase paying the subsidy to a given script, with the BIP34 height and
 * the BIP141 witness commitment, optional transactions, and a nonce ground
 * until the proof of work holds. Used by the tests and by the daemon's
 * `generatetoaddress`.
 */
import {
  type Block,
  type BlockHeader,
  blockHash,
  type Hash,
  merkleRoot,
  type NetworkParams,
  sha256d,
  Tx,
  witnessMerkleRoot,
} from '@node/wire'
import { bip34HeightPush } from './checks.ts'
import { checkProofOfWork } from './pow.ts'
import { blockSubsidy } from './validation/subsidy.ts'

export interface MineOptions {
  network: NetworkParams
  /** Parent block: its hash, height, time and the median time past of its chain. */
  prev: { hash: Hash; height: number; time: number; medianTimePast?: number | undefined }
  /** nBits to use; defaults to the network's powLimitBits (regtest never retargets). */
  bits?: number | undefined
  /** Output script paid by the coinbase (e.g. P2WPKH). */
  payTo: Uint8Array
  txs?: readonly Tx[] | undefined
  /** Seconds since the epoch; defaults to max(now, prev MTP + 1). */
  time?: number | undefined
  /** Extra bytes in the coinbase script, to make blocks at the same height differ. */
  extraNonce?: number | undefined
  /** Fees to add to the subsidy. */
  fees?: bigint | undefined
  version?: number | undefined
  /** Give up after this many nonces (the target is too hard for a test). */
  maxTries?: number | undefined
}

const COMMITMENT_HEADER = Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed)

export function mineBlock(o: MineOptions): Block {
  const p = o.network
  const height = o.prev.height + 1
  const txs = o.txs ?? []
  const extra = o.extraNonce ?? 0
  const heightPush = bip34HeightPush(height)
  // Height push, then a 4-byte extra nonce push (keeps the script ≥ 2 bytes as consensus requires).
  const scriptSig = Uint8Array.from([
    ...heightPush,
    4,
    extra & 0xff,
    (extra >>> 8) & 0xff,
    (extra >>> 16) & 0xff,
    (extra >>> 24) & 0xff,
  ])
  const segwit = height >= p.segwitHeight
  const reserved = new Uint8Array(32)
  const outputs = [{ value: blockSubsidy(height, p) + (o.fees ?? 0n), script: o.payTo }]
  let coinbase = new Tx({
    version: 2,
    inputs: [
      {
        prevHash: new Uint8Array(32),
        prevIndex: 0xffffffff,
        script: scriptSig,
        sequence: 0xffffffff,
        witness: segwit ? [reserved] : [],
      },
    ],
    outputs,
    locktime: 0,
  })
  if (segwit) {
    // Core always adds the commitment once segwit is active.
    const draft: Block = { header: emptyHeader(), txs: [coinbase, ...txs] }
    const commitment = sha256d(witnessMerkleRoot(draft), reserved)
    const script = new Uint8Array(38)
    script.set(COMMITMENT_HEADER, 0)
    script.set(commitment, 6)
    coinbase = new Tx({ ...coinbase, inputs: coinbase.inputs, outputs: [...outputs, { value: 0n, script }] })
  }
  const all = [coinbase, ...txs]
  const root = merkleRoot(all.map((t) => t.txid())).root
  const mtp = o.prev.medianTimePast ?? o.prev.time
  const time = o.time ?? Math.max(Math.floor(Date.now() / 1000), mtp + 1)
  const bits = o.bits ?? p.powLimitBits
  const base = { version: o.version ?? 0x20000000, prevBlock: o.prev.hash, merkleRoot: root, time, bits }
  const maxTries = o.maxTries ?? 1_000_000
  for (let nonce = 0; nonce < maxTries; nonce++) {
    const header: BlockHeader = { ...base, nonce }
    if (checkProofOfWork(blockHash(header), bits, p)) return { header, txs: all }
  }
  throw new RangeError(`No valid nonce in ${maxTries} tries: the target is too hard for the block maker.`)
}

function emptyHeader(): BlockHeader {
  return {
    version: 0,
    prevBlock: new Uint8Array(32),
    merkleRoot: new Uint8Array(32),
    time: 0,
    bits: 0,
    nonce: 0,
  }
}
