/**
 * A regtest chain of realistically filled blocks that bcoin 1.0.2 (which
 * checks every script and every coin) accepts, for sync tests and benchmarks.
 *
 * ```ts
 * import { generateChain, startBcoin, submitChain } from '@node/testkit'
 *
 * const chain = await generateChain({ blocks: 300, targetBlockSize: 500_000 })
 * // assume-valid: bcoin checks ECDSA in pure JS, ~6 s per filled block.
 * const a = await startBcoin({ segwitGenesis: true, assumeValidHeight: 300 })
 * await submitChain(a, chain.blocks)
 * ```
 *
 * - Blocks 1–100 are coinbase-only and pay the generator's keys (P2WPKH).
 * - From height 101 on, each block spends the coinbase that just matured into
 *   50–200 outputs, then fills itself up to the target size with
 *   transactions spending the oldest unspent outputs first (outputs of the
 *   same block too, after their parent): payments (1 in, 2 out), 2-in-2-out,
 *   consolidations (2–5 in, 1 out), small and large batches (1 in, 3–8 or
 *   10–50 out). Fee rates 1–20 sat/vB; the coinbase takes subsidy + fees.
 * - Every input is P2WPKH with a BIP143 signature (SIGHASH_ALL, low S),
 *   version 2, sequence 0xfffffffd, lock time height − 1 (as Core's wallet).
 *   Signing uses a fixed nonce per key (chaingen-sign.ts): cheap, and valid.
 * - Block times are strictly increasing, `spacing` seconds apart, the last a
 *   minute before generation, so no node finds a block in the future and the
 *   tip is recent (nodes leave initial block download on it).
 * - Segwit is active from genesis (Core's regtest): start bcoin with
 *   `segwitGenesis: true`.
 *
 * The same options and seed give the same transactions (keys, amounts and
 * signatures are deterministic); block times follow the clock unless
 * `startTime` is given. Chains are cached in the OS temp folder, keyed by the
 * options, and made again once the cached tip is older than `maxCacheAgeSec`.
 *
 * Over 600 lines, for a reason: a test tool that builds whole regtest chains;
 * its parts only make sense together.
 */
import { createHash, hash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  type BlockHeader,
  blockHash,
  bytesEqual,
  compactToTarget,
  encodeHeader,
  hashToHex,
  merkleRoot,
  type NetworkParams,
  regtest,
  sha256d,
  Tx,
  witnessCommitment,
} from '@node/wire'
import type { BcoinNode, RpcOptions } from './bcoin.ts'
import { createFastSigner, type FastSigner, loadEcc } from './chaingen-sign.ts'
import {
  CHAINGEN_DEFAULT_BLOCK_SIZE,
  CHAINGEN_DEFAULT_SPACING,
  CHAINGEN_FANOUT_MAX,
  CHAINGEN_FANOUT_MIN,
  CHAINGEN_FORMAT,
  CHAINGEN_KEYS,
  CHAINGEN_MAX_BLOCK_SIZE,
  CHAINGEN_MAX_BLOCKS,
  CHAINGEN_MAX_CACHE_AGE_SEC,
  CHAINGEN_MAX_CACHE_FILES,
  CHAINGEN_MAX_FEE_RATE,
  CHAINGEN_MAX_INPUTS,
  CHAINGEN_MIN_OUTPUT,
  CHAINGEN_POOL_SOFT_CAP,
  CHAINGEN_TIP_LAG,
  CHAINGEN_WEIGHT_RESERVE,
  COINBASE_MATURITY,
} from './constants.ts'
import { ChainGenError, ChainSubmitError } from './errors.ts'

/** One generated block. */
export interface ChainBlock {
  readonly height: number
  /** Block hash in RPC (display) byte order, as `getblockhash` returns it. */
  readonly hash: string
  /** The serialized block with witness data, as `submitblock` and the `block` message carry it. */
  readonly raw: Uint8Array
  /** Transactions in the block, the coinbase included. */
  readonly txCount: number
}

export interface GenerateChainOptions {
  /** Blocks after genesis (1 … {@link CHAINGEN_MAX_BLOCKS}). Transactions start at height 101. */
  blocks: number
  /** Serialized size (with witness) that blocks from height 101 are filled to; default 500,000. */
  targetBlockSize?: number | undefined
  /** Keys, amounts and shapes derive from it; default `'testkit'`. */
  seed?: string | undefined
  /** Seconds between block times; default 600. */
  spacing?: number | undefined
  /** Time of block 1 in seconds since the epoch; default: the last block one minute before now. */
  startTime?: number | undefined
  /** Read and write the on-disk cache (default true). */
  cache?: boolean | undefined
  /** Cache folder; default `<os tmp>/node-testkit-chaingen`. */
  cacheDir?: string | undefined
  /** A cached chain whose tip is older is made again (default 6 h; ignored with `startTime`). */
  maxCacheAgeSec?: number | undefined
  /** Clock in milliseconds (default Date.now). */
  now?: (() => number) | undefined
  /** Called for each block in order, generated or read from the cache. */
  onBlock?: ((block: ChainBlock) => void) | undefined
}

export interface GeneratedChain {
  /** Blocks 1 … n, in order. */
  readonly blocks: readonly ChainBlock[]
  /** True when the blocks were read from the cache. */
  readonly fromCache: boolean
  /** Milliseconds spent generating (or loading). */
  readonly ms: number
  /** Bytes of all blocks. */
  readonly bytes: number
  /** Transactions in all blocks, coinbases included. */
  readonly txs: number
  /** The cache file, or null without the cache. */
  readonly cachePath: string | null
}

/** A key the generator owns. */
export interface ChainKey {
  readonly privateKey: Uint8Array
  /** Compressed public key. */
  readonly publicKey: Uint8Array
  /** HASH160 of the public key. */
  readonly pubkeyHash: Uint8Array
  /** P2WPKH output script: OP_0 PUSH20 pubkeyHash. */
  readonly script: Uint8Array
}

// --- keys --------------------------------------------------------------------

/** The generator's keys for a seed: private key i = SHA256("chaingen key <seed> <i>"). */
export async function chainKeys(seed = 'testkit', count = CHAINGEN_KEYS): Promise<ChainKey[]> {
  const ecc = await loadEcc()
  const { crypto } = await import('bitcoinjs-lib')
  const keys: ChainKey[] = []
  for (let i = 0; keys.length < count; i++) {
    const privateKey = createHash('sha256').update(`chaingen key ${seed} ${i}`).digest()
    if (!ecc.isPrivate(privateKey)) continue // out of range: astronomically unlikely
    const publicKey = ecc.pointFromScalar(privateKey, true)
    if (!publicKey) continue
    const pubkeyHash = crypto.hash160(publicKey)
    const script = new Uint8Array(22)
    script.set([0x00, 0x14], 0)
    script.set(pubkeyHash, 2)
    keys.push({ privateKey: new Uint8Array(privateKey), publicKey, pubkeyHash, script })
  }
  return keys
}

// --- deterministic randomness ----------------------------------------------------

/** sfc32, seeded from SHA-256 of the seed: a fast, well-mixed PRNG in [0, 1). */
export function makeRng(seed: string): () => number {
  const h = createHash('sha256').update(`chaingen rng ${seed}`).digest()
  let a = h.readUInt32LE(0)
  let b = h.readUInt32LE(4)
  let c = h.readUInt32LE(8)
  let d = h.readUInt32LE(12)
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 16; i++) next()
  return next
}

// --- planning ----------------------------------------------------------------------

interface Coin {
  readonly txid: Uint8Array
  readonly vout: number
  readonly value: number
  readonly key: number
}

/** A transaction as a block carries it: its bytes (with witness) and both hashes, wire order. */
export interface BlockTx {
  readonly raw: Uint8Array
  readonly txid: Uint8Array
  readonly wtxid: Uint8Array
}

/** A signed transaction, serialized. */
interface Built extends BlockTx {
  /** Size without witness data. */
  readonly stripped: number
  readonly fee: number
}

const SEQUENCE = 0xfffffffd
/** Stripped size of a P2WPKH input and output. */
const INPUT_SIZE = 41
const OUTPUT_SIZE = 31
/** Witness of a P2WPKH input at most: count ‖ (len ‖ DER ≤ 71 ‖ hash type) ‖ (len ‖ 33-byte key). */
const WITNESS_SIZE = 1 + 1 + 72 + 1 + 33
/** Header, transaction count and coinbase, counted before any transaction. */
const BLOCK_OVERHEAD = 80 + 3 + 300
const MAX_WEIGHT = 4_000_000 - CHAINGEN_WEIGHT_RESERVE

const varIntSize = (n: number): number => (n < 0xfd ? 1 : n <= 0xffff ? 3 : 5)

function writeVarInt(buf: Buffer, at: number, n: number): number {
  if (n < 0xfd) {
    buf[at] = n
    return at + 1
  }
  if (n <= 0xffff) {
    buf[at] = 0xfd
    buf.writeUInt16LE(n, at + 1)
    return at + 3
  }
  buf[at] = 0xfe
  buf.writeUInt32LE(n, at + 1)
  return at + 5
}

/** Double SHA-256 with Node's one-shot hash (no Hash objects: this runs a few thousand times a block). */
const dsha = (data: Uint8Array): Buffer => hash('sha256', hash('sha256', data, 'buffer'), 'buffer')

/** Stripped and total size of a P2WPKH-only transaction (total: signatures at their largest). */
function txSizes(ins: number, outs: number): { stripped: number; total: number } {
  const stripped = 4 + varIntSize(ins) + INPUT_SIZE * ins + varIntSize(outs) + OUTPUT_SIZE * outs + 4
  return { stripped, total: stripped + 2 + WITNESS_SIZE * ins }
}

/**
 * Chooses, builds and signs the transactions of each block. It owns the
 * unspent outputs: a queue, oldest first (bounded by the outputs the chain
 * creates), and the coinbases waiting to mature.
 */
class Planner {
  readonly #keys: readonly ChainKey[]
  readonly #signer: FastSigner
  readonly #scriptCodes: readonly Uint8Array[]
  readonly #rng: () => number
  #pool: Coin[] = []
  #head = 0
  readonly #coinbases = new Map<number, Coin>()
  readonly #pre = Buffer.alloc(182)

  constructor(keys: readonly ChainKey[], signer: FastSigner, rng: () => number) {
    this.#keys = keys
    this.#signer = signer
    this.#rng = rng
    // BIP143 scriptCode of a P2WPKH input: the P2PKH script, with its length.
    this.#scriptCodes = keys.map((k) => {
      const s = new Uint8Array(26)
      s.set([0x19, 0x76, 0xa9, 0x14], 0)
      s.set(k.pubkeyHash, 4)
      s.set([0x88, 0xac], 24)
      return s
    })
  }

  get unspent(): number {
    return this.#pool.length - this.#head
  }

  addCoinbase(height: number, coin: Coin): void {
    this.#coinbases.set(height, coin)
  }

  #int(n: number): number {
    return Math.floor(this.#rng() * n)
  }

  #take(): Coin | undefined {
    if (this.#head >= this.#pool.length) return undefined
    return this.#pool[this.#head++]
  }

  /** Signed transactions for the block at `height`, up to `targetSize` bytes and the weight limit. */
  plan(height: number, targetSize: number): Built[] {
    const built: Built[] = []
    let size = BLOCK_OVERHEAD
    let weight = BLOCK_OVERHEAD * 4
    const locktime = height - 1
    const add = (b: Built): void => {
      built.push(b)
      size += b.raw.length
      weight += b.stripped * 3 + b.raw.length
    }

    // The coinbase that matures at this height, split into many outputs.
    const matured = this.#coinbases.get(height - COINBASE_MATURITY)
    if (matured) {
      this.#coinbases.delete(height - COINBASE_MATURITY)
      const outs = CHAINGEN_FANOUT_MIN + this.#int(CHAINGEN_FANOUT_MAX - CHAINGEN_FANOUT_MIN + 1)
      const b = this.#build([matured], outs, locktime)
      if (b) add(b)
    }

    for (;;) {
      if (size >= targetSize || this.unspent === 0) break
      const { ins, outs } = this.#shape()
      const coins: Coin[] = []
      for (let i = 0; i < ins; i++) {
        const c = this.#take()
        if (!c) break
        coins.push(c)
      }
      // Too little value for the outputs: add inputs (a consolidation).
      while (
        coins.length < CHAINGEN_MAX_INPUTS &&
        this.#spendable(coins, outs) < CHAINGEN_MIN_OUTPUT * (outs === 1 ? 1 : 3 * outs)
      ) {
        const c = this.#take()
        if (!c) break
        coins.push(c)
      }
      const sizes = txSizes(coins.length, outs)
      if (
        size + sizes.total > targetSize ||
        weight + sizes.stripped * 3 + sizes.total > MAX_WEIGHT ||
        this.#spendable(coins, 1) < CHAINGEN_MIN_OUTPUT
      ) {
        this.#head -= coins.length
        break
      }
      const b = this.#build(coins, outs, locktime)
      if (!b) {
        this.#head -= coins.length
        break
      }
      add(b)
    }
    if (this.#head > 65_536 && this.#head * 2 > this.#pool.length) {
      this.#pool = this.#pool.slice(this.#head)
      this.#head = 0
    }
    return built
  }

  /** Inputs and outputs of the next transaction: a mix like a busy block's. */
  #shape(): { ins: number; outs: number } {
    if (this.unspent > CHAINGEN_POOL_SOFT_CAP && this.#rng() < 0.5) return { ins: 2 + this.#int(4), outs: 1 }
    const r = this.#rng()
    if (r < 0.55) return { ins: 1, outs: 2 } // payment and change
    if (r < 0.72) return { ins: 2, outs: 2 }
    if (r < 0.84) return { ins: 2 + this.#int(4), outs: 1 } // consolidation
    if (r < 0.96) return { ins: 1, outs: 3 + this.#int(6) } // small batch
    return { ins: 1, outs: 10 + this.#int(41) } // payout batch
  }

  #feeFor(ins: number, outs: number, rate: number): number {
    const { stripped, total } = txSizes(ins, outs)
    return Math.ceil((stripped * 3 + total) / 4) * rate
  }

  /** Value left for `outs` outputs after the fee at the highest rate. */
  #spendable(coins: readonly Coin[], outs: number): number {
    let sum = 0
    for (const c of coins) sum += c.value
    return sum - this.#feeFor(coins.length, outs, CHAINGEN_MAX_FEE_RATE)
  }

  /** Output values: all that is left after the fee, split like payments and change. */
  #split(avail: number, outs: number): number[] {
    if (outs === 1) return [avail]
    if (outs === 2) {
      const pay = Math.floor(avail * (0.1 + 0.8 * this.#rng()))
      return [pay, avail - pay]
    }
    const w = Array.from({ length: outs }, () => 0.5 + this.#rng())
    const sum = w.reduce((a, b) => a + b, 0)
    const values: number[] = []
    let left = avail
    for (let i = 0; i < outs - 1; i++) {
      const v = Math.floor((avail * w[i]!) / sum)
      values.push(v)
      left -= v
    }
    values.push(left)
    return values
  }

  /**
   * Build and sign a transaction spending `coins`; its outputs join the
   * queue. Undefined if the coins cannot pay for it.
   */
  #build(coins: readonly Coin[], wantOuts: number, locktime: number): Built | undefined {
    const rate = 1 + this.#int(CHAINGEN_MAX_FEE_RATE)
    let inValue = 0
    for (const c of coins) inValue += c.value
    let outs = wantOuts
    while (outs > 1 && inValue - this.#feeFor(coins.length, outs, rate) < CHAINGEN_MIN_OUTPUT * 3 * outs)
      outs--
    const fee = this.#feeFor(coins.length, outs, rate)
    const avail = inValue - fee
    if (avail < CHAINGEN_MIN_OUTPUT) return undefined
    const values = this.#split(avail, outs)
    const outKeys = values.map(() => this.#int(this.#keys.length))

    // The stripped serialization: version ‖ inputs ‖ outputs ‖ lock time.
    const n = coins.length
    const { stripped: strippedSize } = txSizes(n, outs)
    const stripped = Buffer.allocUnsafe(strippedSize)
    stripped.writeUInt32LE(2, 0)
    let at = writeVarInt(stripped, 4, n)
    const prevouts = Buffer.allocUnsafe(36 * n)
    for (let i = 0; i < n; i++) {
      const c = coins[i]!
      prevouts.set(c.txid, i * 36)
      prevouts.writeUInt32LE(c.vout, i * 36 + 32)
      stripped.set(prevouts.subarray(i * 36, i * 36 + 36), at)
      stripped[at + 36] = 0 // empty scriptSig
      stripped.writeUInt32LE(SEQUENCE, at + 37)
      at += INPUT_SIZE
    }
    at = writeVarInt(stripped, at, outs)
    const outsStart = at
    for (let i = 0; i < outs; i++) {
      stripped.writeUInt32LE(values[i]! % 0x1_0000_0000, at)
      stripped.writeUInt32LE(Math.floor(values[i]! / 0x1_0000_0000), at + 4)
      stripped[at + 8] = 22
      stripped.set(this.#keys[outKeys[i]!]!.script, at + 9)
      at += OUTPUT_SIZE
    }
    const outsEnd = at
    stripped.writeUInt32LE(locktime, at)
    const txid = dsha(stripped)
    for (let i = 0; i < outs; i++) this.#pool.push({ txid, vout: i, value: values[i]!, key: outKeys[i]! })

    // BIP143 (SIGHASH_ALL). The 182-byte preimage: version 0, hashPrevouts 4,
    // hashSequence 36, outpoint 68, scriptCode 104 (26 bytes), amount 130,
    // sequence 138, hashOutputs 142, lock time 174, hash type 178.
    const sequences = Buffer.allocUnsafe(4 * n)
    for (let i = 0; i < n; i++) sequences.writeUInt32LE(SEQUENCE, i * 4)
    const pre = this.#pre
    pre.writeUInt32LE(2, 0)
    pre.set(dsha(prevouts), 4)
    pre.set(dsha(sequences), 36)
    pre.set(dsha(stripped.subarray(outsStart, outsEnd)), 142)
    pre.writeUInt32LE(locktime, 174)
    pre.writeUInt32LE(1, 178)
    const witnesses: Uint8Array[] = []
    let witnessSize = 0
    for (let i = 0; i < n; i++) {
      const c = coins[i]!
      pre.set(prevouts.subarray(i * 36, i * 36 + 36), 68)
      pre.set(this.#scriptCodes[c.key]!, 104)
      pre.writeUInt32LE(c.value % 0x1_0000_0000, 130)
      pre.writeUInt32LE(Math.floor(c.value / 0x1_0000_0000), 134)
      pre.writeUInt32LE(SEQUENCE, 138)
      const sig = this.#signer.sign(c.key, dsha(pre))
      witnesses.push(sig)
      witnessSize += 1 + 1 + sig.length + 1 + 33
    }

    // With witness: version ‖ 00 01 ‖ inputs and outputs ‖ witnesses ‖ lock time.
    const raw = Buffer.allocUnsafe(strippedSize + 2 + witnessSize)
    raw.writeUInt32LE(2, 0)
    raw[4] = 0
    raw[5] = 1
    raw.set(stripped.subarray(4, strippedSize - 4), 6)
    at = strippedSize + 2 - 4
    for (let i = 0; i < n; i++) {
      const sig = witnesses[i]!
      raw[at] = 2
      raw[at + 1] = sig.length
      raw.set(sig, at + 2)
      at += 2 + sig.length
      raw[at] = 33
      raw.set(this.#keys[coins[i]!.key]!.publicKey, at + 1)
      at += 34
    }
    raw.writeUInt32LE(locktime, at)
    return { raw, txid, wtxid: dsha(raw), stripped: strippedSize, fee }
  }
}

// --- blocks --------------------------------------------------------------------------

/**
 * Core's `CScript() << n` for a positive number (the BIP34 height, a lock
 * time in a script): OP_1…OP_16, else a minimal little-endian push.
 */
export function heightPush(height: number): Uint8Array {
  if (height >= 1 && height <= 16) return Uint8Array.of(0x50 + height)
  const bytes: number[] = []
  for (let v = height; v > 0; v = Math.floor(v / 256)) bytes.push(v & 0xff)
  if (bytes[bytes.length - 1]! & 0x80) bytes.push(0)
  return Uint8Array.from([bytes.length, ...bytes])
}

/** The block subsidy at `height` (Core's `GetBlockSubsidy`). */
export function subsidy(height: number, p: NetworkParams): bigint {
  const halvings = Math.floor(height / p.subsidyHalvingInterval)
  return halvings >= 64 ? 0n : (50n * 100_000_000n) >> BigInt(halvings)
}

const COMMITMENT_HEADER = Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed)

/**
 * A coinbase for the block at `height` holding `txs`: the BIP34 height and
 * `tag` in its script, `outputs`, then the BIP141 witness commitment (with
 * an all-zero reserved value in its witness).
 */
export function makeCoinbase(
  height: number,
  txs: readonly BlockTx[],
  outputs: readonly { value: bigint; script: Uint8Array }[],
  tag: Uint8Array,
): Tx {
  const reserved = new Uint8Array(32)
  const witnessRoot = merkleRoot([new Uint8Array(32), ...txs.map((t) => t.wtxid)]).root
  const commitment = new Uint8Array(38)
  commitment.set(COMMITMENT_HEADER, 0)
  commitment.set(witnessCommitment(witnessRoot, reserved), 6)
  return new Tx({
    version: 2,
    inputs: [
      {
        prevHash: new Uint8Array(32),
        prevIndex: 0xffffffff,
        script: Uint8Array.from([...heightPush(height), tag.length, ...tag]),
        sequence: 0xffffffff,
        witness: [reserved],
      },
    ],
    outputs: [...outputs, { value: 0n, script: commitment }],
    locktime: 0,
  })
}

/**
 * The block on `prev` made of `coinbase` and `txs`, its nonce ground until
 * the proof of work meets `p.powLimitBits` (regtest's target passes about
 * every second hash).
 */
export function mineBlock(
  p: NetworkParams,
  prev: Uint8Array,
  time: number,
  coinbase: Tx,
  txs: readonly BlockTx[],
): { raw: Uint8Array; hash: Uint8Array } {
  const root = merkleRoot([coinbase.txid(), ...txs.map((t) => t.txid)]).root
  const bits = p.powLimitBits
  const { target } = compactToTarget(bits)
  for (let nonce = 0; nonce <= 0xffffffff; nonce++) {
    const header: BlockHeader = { version: 0x20000000, prevBlock: prev, merkleRoot: root, time, bits, nonce }
    const hash = blockHash(header)
    if (BigInt(`0x${hashToHex(hash)}`) > target) continue
    const cb = coinbase.toBytes()
    let size = 80 + varIntSize(txs.length + 1) + cb.length
    for (const t of txs) size += t.raw.length
    const raw = Buffer.allocUnsafe(size)
    raw.set(encodeHeader(header), 0)
    let at = writeVarInt(raw, 80, txs.length + 1)
    raw.set(cb, at)
    at += cb.length
    for (const t of txs) {
      raw.set(t.raw, at)
      at += t.raw.length
    }
    return { raw, hash }
  }
  throw new ChainGenError(`No nonce meets the target on ${hashToHex(prev)}.`)
}

/** The block at `height`: {@link makeCoinbase} paying `value` to `payTo`, then {@link mineBlock}. */
function assemble(
  p: NetworkParams,
  height: number,
  prev: Uint8Array,
  time: number,
  txs: readonly Built[],
  value: bigint,
  payTo: Uint8Array,
  tag: Uint8Array,
): { raw: Uint8Array; hash: Uint8Array; coinbase: Tx } {
  const coinbase = makeCoinbase(height, txs, [{ value, script: payTo }], tag)
  return { ...mineBlock(p, prev, time, coinbase, txs), coinbase }
}

/** The transaction count of a serialized block (the compact size after the header). */
function txCountOf(raw: Uint8Array): number {
  const first = raw[80]!
  if (first < 0xfd) return first
  const v = new DataView(raw.buffer, raw.byteOffset + 81)
  if (first === 0xfd) return v.getUint16(0, true)
  return v.getUint32(0, true)
}

// --- options and cache ---------------------------------------------------------------

interface Resolved {
  blocks: number
  targetBlockSize: number
  seed: string
  spacing: number
  startTime: number | undefined
}

function resolve(o: GenerateChainOptions): Resolved {
  const blocks = o.blocks
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > CHAINGEN_MAX_BLOCKS) {
    throw new ChainGenError(`blocks must be an integer from 1 to ${CHAINGEN_MAX_BLOCKS}, got ${blocks}.`)
  }
  const targetBlockSize = o.targetBlockSize ?? CHAINGEN_DEFAULT_BLOCK_SIZE
  if (
    !Number.isInteger(targetBlockSize) ||
    targetBlockSize < 1_000 ||
    targetBlockSize > CHAINGEN_MAX_BLOCK_SIZE
  ) {
    throw new ChainGenError(
      `targetBlockSize must be an integer from 1,000 to ${CHAINGEN_MAX_BLOCK_SIZE}, got ${targetBlockSize}.`,
    )
  }
  const spacing = o.spacing ?? CHAINGEN_DEFAULT_SPACING
  if (!Number.isInteger(spacing) || spacing < 1)
    throw new ChainGenError(`spacing must be a positive integer.`)
  return { blocks, targetBlockSize, seed: o.seed ?? 'testkit', spacing, startTime: o.startTime }
}

/** Where the chain for these options is cached. */
export function chainCachePath(options: GenerateChainOptions): string {
  const r = resolve(options)
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        format: CHAINGEN_FORMAT,
        network: 'regtest',
        blocks: r.blocks,
        targetBlockSize: r.targetBlockSize,
        seed: r.seed,
        spacing: r.spacing,
        startTime: r.startTime ?? null,
      }),
    )
    .digest('hex')
    .slice(0, 24)
  return join(options.cacheDir ?? join(tmpdir(), 'node-testkit-chaingen'), `chain-${key}.bin`)
}

const MAGIC = Buffer.from('TKCHAIN\0', 'latin1')

/** The cached blocks, or undefined if the file is missing, damaged, of another format or too old. */
async function readCache(
  path: string,
  r: Resolved,
  p: NetworkParams,
  nowSec: number,
  maxAgeSec: number,
): Promise<ChainBlock[] | undefined> {
  let buf: Buffer
  try {
    buf = await readFile(path)
  } catch {
    return undefined
  }
  try {
    if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC) || buf.readUInt32LE(8) !== CHAINGEN_FORMAT)
      return
    const metaLen = buf.readUInt32LE(12)
    const meta = JSON.parse(buf.subarray(16, 16 + metaLen).toString('utf8')) as { blocks: number }
    if (meta.blocks !== r.blocks) return
    const blocks: ChainBlock[] = []
    let at = 16 + metaLen
    let prev = p.genesisHash
    for (let height = 1; height <= r.blocks; height++) {
      if (at + 4 > buf.length) return
      const len = buf.readUInt32LE(at)
      if (len < 81 || at + 4 + len > buf.length) return
      const raw = new Uint8Array(buf.buffer, buf.byteOffset + at + 4, len)
      if (!bytesEqual(raw.subarray(4, 36), prev)) return
      const hash = sha256d(raw.subarray(0, 80))
      blocks.push({ height, hash: hashToHex(hash), raw, txCount: txCountOf(raw) })
      prev = hash
      at += 4 + len
    }
    if (at !== buf.length) return
    const tip = blocks[blocks.length - 1]!
    const tipTime = Buffer.from(tip.raw.buffer, tip.raw.byteOffset + 68, 4).readUInt32LE(0)
    if (tipTime > nowSec + 2 * 60 * 60) return
    if (r.startTime === undefined && tipTime < nowSec - maxAgeSec) return
    return blocks
  } catch {
    return undefined
  }
}

/** Write the chain to `path` atomically (a temporary file renamed over it), then prune old files. */
async function writeCache(path: string, blocks: readonly ChainBlock[]): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true })
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const meta = Buffer.from(JSON.stringify({ blocks: blocks.length, format: CHAINGEN_FORMAT }), 'utf8')
  const head = Buffer.alloc(16)
  MAGIC.copy(head, 0)
  head.writeUInt32LE(CHAINGEN_FORMAT, 8)
  head.writeUInt32LE(meta.length, 12)
  const fh = await open(tmp, 'wx')
  try {
    await fh.writev([head, meta])
    for (let i = 0; i < blocks.length; i += 64) {
      const parts: Uint8Array[] = []
      for (const b of blocks.slice(i, i + 64)) {
        const len = Buffer.alloc(4)
        len.writeUInt32LE(b.raw.length, 0)
        parts.push(len, b.raw)
      }
      await fh.writev(parts)
    }
    await fh.close()
    await rename(tmp, path)
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(tmp, { force: true })
    throw err
  }
  await pruneCache(dir)
}

/** Keep the newest {@link CHAINGEN_MAX_CACHE_FILES} chains in the cache folder. */
async function pruneCache(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => /^chain-[0-9a-f]{24}\.bin$/.test(n))
  if (names.length <= CHAINGEN_MAX_CACHE_FILES) return
  const dated = await Promise.all(
    names.map(async (n) => ({ n, t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })),
  )
  dated.sort((a, b) => b.t - a.t)
  await Promise.all(dated.slice(CHAINGEN_MAX_CACHE_FILES).map(({ n }) => rm(join(dir, n), { force: true })))
}

// --- generation ----------------------------------------------------------------------

/**
 * Make (or read from the cache) a regtest chain of `blocks` blocks, filled
 * from height 101 up to `targetBlockSize` bytes. See the module comment.
 */
export async function generateChain(options: GenerateChainOptions): Promise<GeneratedChain> {
  const r = resolve(options)
  const p = regtest
  const now = options.now ?? Date.now
  const started = performance.now()
  const nowSec = Math.floor(now() / 1000)
  const useCache = options.cache ?? true
  const cachePath = useCache ? chainCachePath(options) : null
  const summary = (blocks: ChainBlock[], fromCache: boolean): GeneratedChain => {
    let bytes = 0
    let txs = 0
    for (const b of blocks) {
      bytes += b.raw.length
      txs += b.txCount
    }
    return { blocks, fromCache, ms: performance.now() - started, bytes, txs, cachePath }
  }

  if (cachePath) {
    const maxAge = options.maxCacheAgeSec ?? CHAINGEN_MAX_CACHE_AGE_SEC
    const cached = await readCache(cachePath, r, p, nowSec, maxAge)
    if (cached) {
      if (options.onBlock) for (const b of cached) options.onBlock(b)
      return summary(cached, true)
    }
  }

  const startTime = r.startTime ?? nowSec - CHAINGEN_TIP_LAG - (r.blocks - 1) * r.spacing
  const tipTime = startTime + (r.blocks - 1) * r.spacing
  if (tipTime > nowSec + 2 * 60 * 60 - CHAINGEN_TIP_LAG) {
    throw new ChainGenError(`The last block would be more than 2 hours in the future (time ${tipTime}).`)
  }
  if (startTime <= p.genesis.header.time) {
    throw new ChainGenError(`Block 1 would not be later than the genesis block (time ${startTime}).`)
  }

  const keys = await chainKeys(r.seed)
  const signer = await createFastSigner(
    keys.map((k) => k.privateKey),
    r.seed,
  )
  const planner = new Planner(keys, signer, makeRng(r.seed))
  const tag = createHash('sha256').update(`chaingen tag ${r.seed}`).digest().subarray(0, 4)
  const blocks: ChainBlock[] = []
  let prev = p.genesisHash
  for (let height = 1; height <= r.blocks; height++) {
    const txs = height > COINBASE_MATURITY ? planner.plan(height, r.targetBlockSize) : []
    let fees = 0
    for (const t of txs) fees += t.fee
    const key = height % keys.length
    const value = subsidy(height, p) + BigInt(fees)
    const time = startTime + (height - 1) * r.spacing
    const { raw, hash, coinbase } = assemble(p, height, prev, time, txs, value, keys[key]!.script, tag)
    planner.addCoinbase(height, { txid: coinbase.txid(), vout: 0, value: Number(value), key })
    prev = hash
    const b: ChainBlock = { height, hash: hashToHex(hash), raw, txCount: txs.length + 1 }
    blocks.push(b)
    options.onBlock?.(b)
  }
  if (cachePath) await writeCache(cachePath, blocks)
  return summary(blocks, false)
}

// --- submitting --------------------------------------------------------------------------

export interface SubmitChainOptions extends RpcOptions {
  /** Called after each block the node accepted. */
  onBlock?: ((block: ChainBlock) => void) | undefined
}

/**
 * Submit `blocks` (heights 1 … n, in order) to a bcoin node with
 * `submitblock`, skipping those it already has (its tip must be one of
 * ours). Each must be accepted (bcoin answers null); afterwards the node's
 * height and best block must be our last block's. Throws ChainSubmitError.
 */
export async function submitChain(
  node: BcoinNode,
  blocks: readonly ChainBlock[],
  options: SubmitChainOptions = {},
): Promise<void> {
  const rpc = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }
  const have = await node.rpc<number>('getblockcount', [], rpc)
  if (have > 0) {
    const mine = blocks[have - 1]
    const theirs = await node.rpc<string>('getblockhash', [have], rpc)
    if (!mine || mine.hash !== theirs) {
      throw new ChainSubmitError(
        have + 1,
        blocks[have]?.hash ?? '?',
        `the node's tip ${theirs} at height ${have} is not ours`,
      )
    }
  }
  for (const b of blocks.slice(have)) {
    const hex = Buffer.from(b.raw.buffer, b.raw.byteOffset, b.raw.length).toString('hex')
    const answer = await node.rpc<string | null>('submitblock', [hex], rpc)
    if (answer !== null) throw new ChainSubmitError(b.height, b.hash, String(answer))
    options.onBlock?.(b)
  }
  const last = blocks[blocks.length - 1]
  if (!last) return
  const count = await node.rpc<number>('getblockcount', [], rpc)
  const best = await node.rpc<string>('getbestblockhash', [], rpc)
  if (count !== last.height || best !== last.hash) {
    throw new ChainSubmitError(
      last.height,
      last.hash,
      `afterwards the node is at height ${count}, best ${best}`,
    )
  }
}
