/**
 * @node/wire benchmark: block decoding (ours vs bitcoinjs-lib vs bcoin) on
 * real mainnet blocks, and framing + checksum throughput against raw
 * node:crypto SHA-256 of the same bytes.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as bitcoin from 'bitcoinjs-lib'
import { type BenchOptions, type BenchRow, printRows, row, timeIt } from '../../../bench/lib.ts'
import { decodeBlock, FrameDecoder, frame, frameHeader, networks } from '../src/index.ts'

const fixture = (name: string) =>
  new Uint8Array(readFileSync(fileURLToPath(new URL(`../test/fixtures/blocks/${name}`, import.meta.url))))

interface BcoinBlock {
  txs: { hash(): Buffer }[]
}

function loadBcoin(): { fromRaw(b: Buffer): BcoinBlock } {
  process.env['NODE_BACKEND'] = 'js'
  const require = createRequire(import.meta.url)
  return require('bcoin/lib/primitives/block') as { fromRaw(b: Buffer): BcoinBlock }
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const minMs = opts.quick ? 250 : 1000
  const blocks = ['block300025.raw', 'block426884.raw', 'block-574200.blk'].map(fixture)
  const bufs = blocks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  const totalMB = blocks.reduce((n, b) => n + b.length, 0) / 1e6
  const BcoinBlock = loadBcoin()
  const rows: BenchRow[] = []

  const ours = timeIt(() => {
    for (const b of blocks) decodeBlock(b)
  }, minMs)
  const bjs = timeIt(() => {
    for (const b of bufs) bitcoin.Block.fromBuffer(b)
  }, minMs)
  const bc = timeIt(() => {
    for (const b of bufs) BcoinBlock.fromRaw(b)
  }, minMs)
  const mbps = (ms: number) => totalMB / (ms / 1000)
  rows.push(
    row({
      group: 'wire',
      name: 'block decode',
      ours: mbps(ours),
      peer: mbps(bjs),
      peerName: 'bitcoinjs-lib 7',
      unit: 'MB/s',
      goal: '≥ 2×',
      higherIsBetter: true,
    }),
    row({
      group: 'wire',
      name: 'block decode',
      ours: mbps(ours),
      peer: mbps(bc),
      peerName: 'bcoin 1.0.2',
      unit: 'MB/s',
      goal: '≥ 1.5×',
      higherIsBetter: true,
    }),
  )

  // Decoding plus every txid, the work a node really does with a block.
  const oursH = timeIt(() => {
    for (const b of blocks) for (const tx of decodeBlock(b).txs) tx.txid()
  }, minMs)
  const bjsH = timeIt(() => {
    for (const b of bufs) for (const tx of bitcoin.Block.fromBuffer(b).transactions ?? []) tx.getHash()
  }, minMs)
  const bcH = timeIt(() => {
    for (const b of bufs) for (const tx of BcoinBlock.fromRaw(b).txs) tx.hash()
  }, minMs)
  rows.push(
    row({
      group: 'wire',
      name: 'block decode + txids',
      ours: mbps(oursH),
      peer: mbps(bjsH),
      peerName: 'bitcoinjs-lib 7',
      unit: 'MB/s',
      goal: '≥ 2×',
      higherIsBetter: true,
    }),
    row({
      group: 'wire',
      name: 'block decode + txids',
      ours: mbps(oursH),
      peer: mbps(bcH),
      peerName: 'bcoin 1.0.2',
      unit: 'MB/s',
      goal: '≥ 1.5×',
      higherIsBetter: true,
      note: 'bcoin hashes in JS (NODE_BACKEND=js)',
    }),
  )

  // Framing: encode (checksum + copy) and stream-decode (checksum check) of
  // the same payloads, against one raw SHA-256 pass over them.
  const { magic } = networks.mainnet
  const raw = timeIt(() => {
    for (const b of blocks) createHash('sha256').update(b).digest()
  }, minMs)
  const framed = blocks.map((b) => frame(magic, 'bench', b))
  // What a peer sends: the header, then the payload itself (no copy).
  const enc = timeIt(() => {
    for (const b of blocks) frameHeader(magic, 'bench', b)
  }, minMs)
  const dec = timeIt(() => {
    const d = new FrameDecoder({ magic })
    for (const f of framed) {
      // Delivered in 64 KiB chunks, as a socket would.
      for (let off = 0; off < f.length; off += 65536) d.push(f.subarray(off, off + 65536))
    }
  }, minMs)
  rows.push(
    row({
      group: 'wire',
      name: 'frame encode (header + checksum, payload sent as is)',
      ours: mbps(enc),
      peer: mbps(raw),
      peerName: 'raw SHA-256',
      unit: 'MB/s',
      goal: '≥ 0.8×',
      higherIsBetter: true,
    }),
    row({
      group: 'wire',
      name: 'frame stream-decode (64 KiB chunks)',
      ours: mbps(dec),
      peer: mbps(raw),
      peerName: 'raw SHA-256',
      unit: 'MB/s',
      goal: '≥ 0.8×',
      higherIsBetter: true,
    }),
  )
  return rows
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printRows(await run({ quick: process.argv.includes('--quick') }))
}
