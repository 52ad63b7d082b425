/**
 * A regtest chain whose blocks create, then spend with real signatures,
 * every kind of output (scripts.ts): P2PK, P2PKH, bare 1-of-2 and 2-of-3
 * multisig, P2SH multisig, P2WPKH, P2WSH multisig, P2SH-P2WPKH, P2TR by key
 * and by script, and P2WSH scripts locked by OP_CHECKLOCKTIMEVERIFY and by
 * OP_CHECKSEQUENCEVERIFY with a BIP68 relative lock.
 *
 * ```ts
 * const chain = await generateScriptChain({ blocks: 150, taproot: false, seed: 'x' })
 * const utxos = expectedUtxos(chain.blocks) // equals chain.utxos
 * ```
 *
 * The rules are Core's regtest (src/kernel/chainparams.cpp `CRegTestParams`):
 * segwit from genesis, BIP34/65/66 and CSV from height 1, coinbase maturity
 * 100 (src/consensus/consensus.h `COINBASE_MATURITY`). Layout:
 *
 * - Heights 1–100: the coinbase only, paying a P2WPKH key of the generator.
 * - From 101: a funding transaction spends the coinbase that just matured
 *   into one output of each kind (the CLTV script locks at this height, the
 *   CSV script {@link CSV_LOCK} blocks after its confirmation).
 * - From 103: a spending transaction (version 2, lock time height − 1)
 *   spends every output funded two blocks earlier into a P2WPKH and a P2PKH
 *   output; its CSV input has sequence {@link CSV_LOCK} (BIP68), the others
 *   0xfffffffe, so the lock time is enforced and CLTV holds.
 * - Fees are 10,000 sat per transaction; the coinbase takes subsidy + fees.
 *
 * The same options give the same blocks (keys, values and signatures derive
 * from the seed; block times follow the clock unless `startTime` is given).
 */
import { createHash } from 'node:crypto'
import { decodeBlock, hashToHex, type NetworkParams, regtest, Tx, type TxOut } from '@node/wire'
import {
  type BlockTx,
  type ChainBlock,
  chainKeys,
  makeCoinbase,
  makeRng,
  mineBlock,
  subsidy,
} from './chaingen.ts'
import { createFastSigner, loadEcc } from './chaingen-sign.ts'
import { CHAINGEN_TIP_LAG, COINBASE_MATURITY } from './constants.ts'
import { ChainGenError } from './errors.ts'
import {
  KeyRing,
  OUTPUT_KINDS,
  type OutputKind,
  outpointKey,
  type Spendable,
  type SpendPlan,
  TAPROOT_KINDS,
} from './scripts.ts'

/** Relative lock (blocks) of the CSV outputs. */
export const CSV_LOCK = 2
/** Fee of every generated transaction, in satoshis. */
export const SCRIPTGEN_FEE = 10_000n
/** Keys of a script chain. */
const SCRIPTGEN_KEYS = 8
/** Blocks a script chain may have: the first spends are at height 103. */
const MIN_BLOCKS = COINBASE_MATURITY + 3
const MAX_BLOCKS = 2_000
/** Sequence that leaves the lock time enforced and BIP68 off (bit 31 set). */
export const SEQUENCE_LOCKTIME = 0xfffffffe

/** One output of the UTXO set, as a replay of the chain finds it. */
export interface UtxoEntry {
  readonly value: bigint
  readonly script: Uint8Array
  /** Height of the block that created it. */
  readonly height: number
  readonly coinbase: boolean
}

/** Unspent outputs by `txid:vout` (txid in display order). */
export type UtxoSet = Map<string, UtxoEntry>

export interface ScriptChainOptions {
  /** Blocks after genesis, {@link MIN_BLOCKS} … 2,000; default 150. */
  blocks?: number | undefined
  /** Keys, key choice and values derive from it; default `'scriptgen'`. */
  seed?: string | undefined
  /** Create and spend P2TR outputs (default true); false for nodes without taproot (bcoin 1.0.2). */
  taproot?: boolean | undefined
  /** Time of block 1, seconds since the epoch; default: the tip a minute before now. */
  startTime?: number | undefined
  /** Seconds between blocks; default 60. */
  spacing?: number | undefined
  /** Clock in milliseconds (default Date.now). */
  now?: (() => number) | undefined
}

export interface ScriptChain {
  readonly params: NetworkParams
  readonly seed: string
  readonly taproot: boolean
  /** Blocks 1 … n. */
  readonly blocks: readonly ChainBlock[]
  /** The UTXO set at the tip, as the generator tracked it. */
  readonly utxos: UtxoSet
  /** The kinds of output spent, with how many inputs spent each. */
  readonly spentKinds: ReadonlyMap<OutputKind, number>
  /** How to spend each output script the generator made (by script hex). */
  readonly plans: ReadonlyMap<string, SpendPlan>
  readonly ring: KeyRing
}

/** Core's `CScript::IsUnspendable`: OP_RETURN first, or over 10,000 bytes. Such outputs are never coins. */
export function isUnspendable(script: Uint8Array): boolean {
  return (script.length > 0 && script[0] === 0x6a) || script.length > 10_000
}

const isCoinbaseTx = (tx: Tx): boolean =>
  tx.inputs.length === 1 &&
  tx.inputs[0]!.prevIndex === 0xffffffff &&
  tx.inputs[0]!.prevHash.every((b) => b === 0)

/**
 * The UTXO set after `blocks` (in order, from height 1 or on `base`), by
 * plain replay: each transaction removes the outputs it spends and adds its
 * own (Core's `UpdateCoins`/`AddCoins`, unspendable outputs left out).
 * Throws ChainGenError on a spend of an output that is not there.
 */
export function expectedUtxos(
  blocks: readonly Pick<ChainBlock, 'raw' | 'height'>[],
  base: ReadonlyMap<string, UtxoEntry> = new Map(),
): UtxoSet {
  const utxos: UtxoSet = new Map(base)
  for (const b of blocks) {
    for (const tx of decodeBlock(b.raw).txs) {
      const coinbase = isCoinbaseTx(tx)
      if (!coinbase) {
        for (const i of tx.inputs) {
          const key = outpointKey(i.prevHash, i.prevIndex)
          if (!utxos.delete(key))
            throw new ChainGenError(`Block ${b.height} spends ${key}, which is not unspent.`)
        }
      }
      const txid = tx.txid()
      tx.outputs.forEach((o, vout) => {
        if (isUnspendable(o.script)) return
        // A copy: a view would keep the whole block alive.
        utxos.set(outpointKey(txid, vout), {
          value: o.value,
          script: Uint8Array.from(o.script),
          height: b.height,
          coinbase,
        })
      })
    }
  }
  return utxos
}

/** The outputs of `utxos` the chain's generator knows how to spend, oldest first. */
export function spendable(chain: ScriptChain, utxos: ReadonlyMap<string, UtxoEntry>): Spendable[] {
  const out: Spendable[] = []
  for (const [key, u] of utxos) {
    const plan = chain.plans.get(Buffer.from(u.script).toString('hex'))
    if (!plan) continue
    const [txidHex, vout] = key.split(':') as [string, string]
    const txid = Buffer.from(txidHex, 'hex').reverse()
    out.push({ txid: new Uint8Array(txid), vout: Number(vout), ...u, plan })
  }
  return out.sort((a, b) => a.height - b.height || a.vout - b.vout)
}

/** A transaction as a block carries it. */
export function blockTx(tx: Tx): BlockTx {
  return { raw: tx.toBytes(true), txid: tx.txid(), wtxid: tx.wtxid() }
}

/** The time field of a serialized block's header. */
export function blockTime(raw: Uint8Array): number {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.length).readUInt32LE(68)
}

export interface BlockOnOptions {
  /** Coinbase outputs before the witness commitment; default: `value` to `payTo`. */
  outputs?: readonly TxOut[] | undefined
  /** Use this exact coinbase (no commitment added: it must already be right). */
  coinbase?: Tx | undefined
  /** Coinbase script tag (default `'scriptgen'`). */
  tag?: Uint8Array | undefined
  /** Block time (default: one second after the parent). */
  time?: number | undefined
}

/**
 * A block on `parent` at `height` holding `txs`, with its coinbase, merkle
 * root, witness commitment and proof of work right.
 */
export function blockOn(
  p: NetworkParams,
  parent: { readonly hash: Uint8Array; readonly time: number },
  height: number,
  txs: readonly Tx[],
  payTo: { readonly value: bigint; readonly script: Uint8Array },
  options: BlockOnOptions = {},
): { block: ChainBlock; coinbase: Tx } {
  const bt = txs.map(blockTx)
  const coinbase =
    options.coinbase ??
    makeCoinbase(height, bt, options.outputs ?? [payTo], options.tag ?? new TextEncoder().encode('scriptgen'))
  const { raw, hash } = mineBlock(p, parent.hash, options.time ?? parent.time + 1, coinbase, bt)
  return { block: { height, hash: hashToHex(hash), raw, txCount: txs.length + 1 }, coinbase }
}

/** Wire-order hash of a ChainBlock (its `hash` is in display order). */
export const wireHash = (b: Pick<ChainBlock, 'hash'>): Uint8Array =>
  new Uint8Array(Buffer.from(b.hash, 'hex').reverse())

/** The tip of `blocks` (or genesis) as {@link blockOn} takes a parent. */
export function parentOf(
  p: NetworkParams,
  blocks: readonly ChainBlock[],
): { hash: Uint8Array; time: number } {
  const last = blocks[blocks.length - 1]
  return last
    ? { hash: wireHash(last), time: blockTime(last.raw) }
    : { hash: p.genesisHash, time: p.genesis.header.time }
}

/** Build {@link ScriptChain}; see the module comment. */
export async function generateScriptChain(options: ScriptChainOptions = {}): Promise<ScriptChain> {
  const n = options.blocks ?? 150
  if (!Number.isInteger(n) || n < MIN_BLOCKS || n > MAX_BLOCKS)
    throw new ChainGenError(`blocks must be an integer from ${MIN_BLOCKS} to ${MAX_BLOCKS}, got ${n}.`)
  const seed = options.seed ?? 'scriptgen'
  const taproot = options.taproot ?? true
  const spacing = options.spacing ?? 60
  const p = regtest
  const nowSec = Math.floor((options.now ?? Date.now)() / 1000)
  const startTime = options.startTime ?? nowSec - CHAINGEN_TIP_LAG - (n - 1) * spacing
  if (startTime <= p.genesis.header.time) throw new ChainGenError('Block 1 would not be later than genesis.')

  const keys = await chainKeys(`scriptgen ${seed}`, SCRIPTGEN_KEYS)
  const signer = await createFastSigner(
    keys.map((k) => k.privateKey),
    `scriptgen ${seed}`,
  )
  const ring = new KeyRing(keys, signer, await loadEcc())
  const rng = makeRng(`scriptgen ${seed}`)
  const tag = createHash('sha256').update(`scriptgen tag ${seed}`).digest().subarray(0, 4)
  const kinds = OUTPUT_KINDS.filter((k) => taproot || !TAPROOT_KINDS.has(k))

  const plans = new Map<string, SpendPlan>()
  const wallet = new Map<string, Spendable>()
  const funded = new Map<number, Spendable[]>()
  const coinbases = new Map<number, Spendable>()
  const spentKinds = new Map<OutputKind, number>()
  const remember = (script: Uint8Array, plan: SpendPlan): void => {
    plans.set(Buffer.from(script).toString('hex'), plan)
  }
  const addOutputs = (
    tx: Tx,
    height: number,
    coinbase: boolean,
    planOf: (vout: number) => SpendPlan,
  ): Spendable[] => {
    const txid = tx.txid()
    const made: Spendable[] = []
    tx.outputs.forEach((o, vout) => {
      if (isUnspendable(o.script)) return
      const s: Spendable = {
        txid,
        vout,
        value: o.value,
        script: o.script,
        height,
        coinbase,
        plan: planOf(vout),
      }
      wallet.set(outpointKey(txid, vout), s)
      made.push(s)
    })
    return made
  }
  const spend = (coins: readonly Spendable[]): void => {
    for (const c of coins) {
      wallet.delete(outpointKey(c.txid, c.vout))
      spentKinds.set(c.plan.kind, (spentKinds.get(c.plan.kind) ?? 0) + 1)
    }
  }
  const pick = (): number => Math.floor(rng() * keys.length)

  const blocks: ChainBlock[] = []
  for (let h = 1; h <= n; h++) {
    const txs: Tx[] = []
    const after: (() => void)[] = []

    const matured = coinbases.get(h - COINBASE_MATURITY)
    if (matured) {
      // Funding: one output of each kind.
      const outs = kinds.map((kind) => ring.output(kind, pick(), kind === 'p2wsh-cltv' ? h : CSV_LOCK))
      const total = matured.value - SCRIPTGEN_FEE
      const each = total / BigInt(outs.length)
      const outputs = outs.map((o, i) => ({
        value: i === outs.length - 1 ? total - each * BigInt(outs.length - 1) : each,
        script: o.script,
      }))
      const tx = ring.sign(
        new Tx({
          version: 2,
          inputs: [
            {
              prevHash: matured.txid,
              prevIndex: matured.vout,
              script: new Uint8Array(0),
              sequence: SEQUENCE_LOCKTIME,
              witness: [],
            },
          ],
          outputs,
          locktime: h - 1,
        }),
        [matured],
      )
      txs.push(tx)
      after.push(() => {
        spend([matured])
        for (const o of outs) remember(o.script, o.plan)
        funded.set(
          h,
          addOutputs(tx, h, false, (v) => outs[v]!.plan),
        )
      })
    }

    const due = funded.get(h - 2)
    if (due) {
      // Spending: every output funded two blocks ago.
      const total = due.reduce((s, c) => s + c.value, 0n) - SCRIPTGEN_FEE
      const first = Math.floor(Number(total) * (0.3 + 0.4 * rng()))
      const a = ring.output('p2wpkh', pick())
      const b = ring.output('p2pkh', pick())
      const tx = ring.sign(
        new Tx({
          version: 2,
          inputs: due.map((c) => ({
            prevHash: c.txid,
            prevIndex: c.vout,
            script: new Uint8Array(0),
            sequence: c.plan.kind === 'p2wsh-csv' ? CSV_LOCK : SEQUENCE_LOCKTIME,
            witness: [],
          })),
          outputs: [
            { value: BigInt(first), script: a.script },
            { value: total - BigInt(first), script: b.script },
          ],
          locktime: h - 1,
        }),
        due,
      )
      txs.push(tx)
      after.push(() => {
        spend(due)
        funded.delete(h - 2)
        remember(a.script, a.plan)
        remember(b.script, b.plan)
        addOutputs(tx, h, false, (v) => (v === 0 ? a.plan : b.plan))
      })
    }

    const payTo = ring.output('p2wpkh', h)
    const value = subsidy(h, p) + SCRIPTGEN_FEE * BigInt(txs.length)
    const time = startTime + (h - 1) * spacing
    const { block, coinbase } = blockOn(
      p,
      parentOf(p, blocks),
      h,
      txs,
      { value, script: payTo.script },
      { tag, time },
    )
    blocks.push(block)
    for (const f of after) f()
    remember(payTo.script, payTo.plan)
    const [cb] = addOutputs(coinbase, h, true, () => payTo.plan)
    if (cb) coinbases.set(h, cb)
  }

  const utxos: UtxoSet = new Map()
  for (const [key, s] of wallet)
    utxos.set(key, { value: s.value, script: s.script, height: s.height, coinbase: s.coinbase })
  return { params: p, seed, taproot, blocks, utxos, spentKinds, plans, ring }
}
