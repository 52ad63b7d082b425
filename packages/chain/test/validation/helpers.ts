/**
 * Test helpers for block connection: an in-memory UtxoView, hand-built
 * transactions and blocks with anyone-can-spend scripts (no signatures
 * needed), and a connection context on regtest.
 */
import { createHash } from 'node:crypto'
import {
  type Block,
  type Hash,
  hashToHex,
  merkleRoot,
  type NetworkParams,
  regtest,
  sha256,
  Tx,
  type TxIn,
  type TxOut,
} from '@node/wire'
import type { Coin, ConnectContext, UtxoView } from '../../src/index.ts'
import { CoinOverwriteError } from '../../src/index.ts'

/** A Map-backed UtxoView with Core's overwrite rule. */
export class MemoryView implements UtxoView {
  readonly coins = new Map<string, { txid: Hash; vout: number; coin: Coin }>()

  static key(txid: Hash, vout: number): string {
    return `${hashToHex(txid)}:${vout}`
  }

  get(txid: Hash, vout: number): Coin | undefined {
    return this.coins.get(MemoryView.key(txid, vout))?.coin
  }

  spend(txid: Hash, vout: number): Coin | undefined {
    const k = MemoryView.key(txid, vout)
    const e = this.coins.get(k)
    if (!e) return undefined
    this.coins.delete(k)
    return e.coin
  }

  add(txid: Hash, vout: number, coin: Coin, overwrite = false): void {
    const k = MemoryView.key(txid, vout)
    if (!overwrite && this.coins.has(k)) throw new CoinOverwriteError(`overwrite ${vout}`)
    this.coins.set(k, { txid, vout, coin })
  }

  /** Every coin, sorted, as comparable plain values. */
  snapshot(): [string, { value: bigint; script: string; height: number; coinbase: boolean }][] {
    return [...this.coins.entries()]
      .map(
        ([k, e]) =>
          [
            k,
            {
              value: e.coin.value,
              script: Buffer.from(e.coin.script).toString('hex'),
              height: e.coin.height,
              coinbase: e.coin.coinbase,
            },
          ] as [string, { value: bigint; script: string; height: number; coinbase: boolean }],
      )
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
  }
}

export const OP_TRUE = Uint8Array.of(0x51)
/** OP_2 OP_EQUAL: spent by pushing 2. */
export const PUSH2_EQUAL = Uint8Array.of(0x52, 0x87)
export const OP_RETURN_DATA = Uint8Array.of(0x6a, 0x04, 1, 2, 3, 4)

function hash160(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('ripemd160').update(sha256(data)).digest())
}

/** P2SH of a redeem script. */
export function p2sh(redeem: Uint8Array): Uint8Array {
  return Uint8Array.of(0xa9, 0x14, ...hash160(redeem), 0x87)
}

/** P2WSH of a witness script. */
export function p2wsh(script: Uint8Array): Uint8Array {
  return Uint8Array.of(0x00, 0x20, ...sha256(script))
}

/** A script number push (small non-negative numbers), as Core's CScript << n. */
export function pushNum(n: number): Uint8Array {
  if (n === 0) return Uint8Array.of(0x00)
  if (n <= 16) return Uint8Array.of(0x50 + n)
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.push(v & 0xff)
  if (bytes[bytes.length - 1]! & 0x80) bytes.push(0)
  return Uint8Array.of(bytes.length, ...bytes)
}

export const COIN = 100_000_000n

/** A coinbase for `height` (its scriptSig pushes the height, so txids differ) paying `outputs`. */
export function coinbase(height: number, outputs: TxOut[], tag = 0): Tx {
  const script = Uint8Array.of(...pushNum(height), 0x01, tag)
  return new Tx({
    version: 2,
    inputs: [
      { prevHash: new Uint8Array(32), prevIndex: 0xffffffff, script, sequence: 0xffffffff, witness: [] },
    ],
    outputs,
    locktime: 0,
  })
}

export interface Spend {
  tx: Tx
  vout: number
  script?: Uint8Array
  witness?: Uint8Array[]
  sequence?: number
}

/** A transaction spending `spends` into `outputs`. */
export function spend(
  spends: Spend[],
  outputs: TxOut[],
  opts: { version?: number; locktime?: number } = {},
): Tx {
  const inputs: TxIn[] = spends.map((s) => ({
    prevHash: s.tx.txid(),
    prevIndex: s.vout,
    script: s.script ?? new Uint8Array(0),
    sequence: s.sequence ?? 0xffffffff,
    witness: s.witness ?? [],
  }))
  return new Tx({ version: opts.version ?? 2, inputs, outputs, locktime: opts.locktime ?? 0 })
}

export function out(value: bigint, script: Uint8Array = OP_TRUE): TxOut {
  return { value, script }
}

export function block(txs: Tx[], time = 1_700_000_000): Block {
  return {
    header: {
      version: 0x20000000,
      prevBlock: new Uint8Array(32),
      merkleRoot: merkleRoot(txs.map((t) => t.txid())).root,
      time,
      bits: 0x207fffff,
      nonce: 0,
    },
    txs,
  }
}

/** A block hash for tests: not any network's genesis. */
export function fakeHash(height: number): Hash {
  const h = new Uint8Array(32)
  h[0] = 0xee
  new DataView(h.buffer).setUint32(1, height, true)
  return h
}

/** Regtest context at `height`; MTP of height h is 1,600,000,000 + 600·h. */
export function ctxAt(
  height: number,
  over: Partial<ConnectContext> = {},
  network: NetworkParams = regtest,
): ConnectContext {
  return {
    network,
    height,
    hash: fakeHash(height),
    prevMedianTimePast: mtp(height - 1),
    medianTimePastAt: mtp,
    ancestorHash: () => undefined,
    checkScripts: true,
    ...over,
  }
}

export function mtp(height: number): number {
  return 1_600_000_000 + 600 * height
}
