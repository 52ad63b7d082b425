/**
 * Invalid blocks on a script chain (scriptgen.ts): each is one block on the
 * tip of a valid chain that breaks exactly one consensus rule, with a right
 * merkle root, witness commitment and proof of work, labelled with the
 * reason Bitcoin Core rejects it with:
 *
 * | kind                       | Core's reason                                   | where in Core                                  |
 * |----------------------------|-------------------------------------------------|------------------------------------------------|
 * | double-spend-in-block      | bad-txns-inputs-missingorspent                  | consensus/tx_verify.cpp `Consensus::CheckTxInputs` |
 * | double-spend-across-blocks | bad-txns-inputs-missingorspent                  | same                                           |
 * | missing-input              | bad-txns-inputs-missingorspent                  | same                                           |
 * | immature-coinbase          | bad-txns-premature-spend-of-coinbase            | same                                           |
 * | overspend                  | bad-txns-in-belowout                            | same                                           |
 * | coinbase-amount            | bad-cb-amount                                   | validation.cpp `Chainstate::ConnectBlock`      |
 * | bad-signature              | block-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element) | validation.cpp `ConnectBlock` via `CheckInputScripts` |
 * | bad-witness                | block-script-verify-flag-failed (Witness program hash mismatch) | same (interpreter.cpp `VerifyWitnessProgram`: a P2WPKH witness of 3 items) |
 * | too-many-sigops            | bad-blk-sigops                                  | validation.cpp `CheckBlock` (legacy sigops × 4 over 80,000) |
 * | bip30                      | bad-txns-BIP30                                  | validation.cpp `ConnectBlock` (needs BIP34 not yet active: see `params`) |
 * | bip68-unmet                | bad-txns-nonfinal                               | validation.cpp `ConnectBlock` (`SequenceLocks`) |
 * | cltv-fail                  | block-script-verify-flag-failed (Locktime requirement not satisfied) | interpreter.cpp `CheckLockTime` |
 * | csv-fail                   | block-script-verify-flag-failed (Locktime requirement not satisfied) | interpreter.cpp `CheckSequence` |
 *
 * The script failure texts are Core's `ScriptErrorString`, taken from
 * @node/consensus's SCRIPT_ERRORS. Every block pays its coinbase the
 * subsidy alone (never over the limit) unless the rule broken is the
 * coinbase amount, and spends only outputs the chain's generator can sign for.
 */
import { SCRIPT_ERRORS, type ScriptErrorCode } from '@node/consensus'
import { decodeBlock, type NetworkParams, sha256, Tx, type TxOut } from '@node/wire'
import type { ChainBlock } from './chaingen.ts'
import { subsidy } from './chaingen.ts'
import { COINBASE_MATURITY } from './constants.ts'
import { ChainGenError } from './errors.ts'
import {
  blockOn,
  expectedUtxos,
  parentOf,
  SCRIPTGEN_FEE,
  type ScriptChain,
  SEQUENCE_LOCKTIME,
  spendable,
  type UtxoSet,
} from './scriptgen.ts'
import type { Spendable } from './scripts.ts'

export const BAD_BLOCK_KINDS = [
  'double-spend-in-block',
  'double-spend-across-blocks',
  'missing-input',
  'immature-coinbase',
  'overspend',
  'coinbase-amount',
  'bad-signature',
  'bad-witness',
  'too-many-sigops',
  'bip30',
  'bip68-unmet',
  'cltv-fail',
  'csv-fail',
] as const
export type BadBlockKind = (typeof BAD_BLOCK_KINDS)[number]

/** BIP34 height a node must use to judge the `bip30` block (Core: `-testactivationheight=bip34@…`). */
export const BIP30_TEST_BIP34_HEIGHT = 100_000_000

export interface BadBlock {
  readonly kind: BadBlockKind
  /** The block, at the prefix tip's height + 1. */
  readonly block: ChainBlock
  /** Core's reject reason. */
  readonly reason: string
  /** The network parameters the block is invalid under, when not plain regtest's (bip30). */
  readonly params?: NetworkParams | undefined
}

export interface BadBlockOptions {
  /** Build on the chain's block at this height (default: its tip). */
  tipHeight?: number | undefined
}

const scriptFailure = (code: ScriptErrorCode): string =>
  `block-script-verify-flag-failed (${SCRIPT_ERRORS[code]})`

const REASONS: Readonly<Record<BadBlockKind, string>> = {
  'double-spend-in-block': 'bad-txns-inputs-missingorspent',
  'double-spend-across-blocks': 'bad-txns-inputs-missingorspent',
  'missing-input': 'bad-txns-inputs-missingorspent',
  'immature-coinbase': 'bad-txns-premature-spend-of-coinbase',
  overspend: 'bad-txns-in-belowout',
  'coinbase-amount': 'bad-cb-amount',
  'bad-signature': scriptFailure('EVAL_FALSE'),
  'bad-witness': scriptFailure('WITNESS_PROGRAM_MISMATCH'),
  'too-many-sigops': 'bad-blk-sigops',
  bip30: 'bad-txns-BIP30',
  'bip68-unmet': 'bad-txns-nonfinal',
  'cltv-fail': scriptFailure('UNSATISFIED_LOCKTIME'),
  'csv-fail': scriptFailure('UNSATISFIED_LOCKTIME'),
}

/** Core's reject reason for each kind. */
export function badBlockReason(kind: BadBlockKind): string {
  return REASONS[kind]
}

/** OP_CHECKMULTISIG counts 20 legacy sigops: 1,001 of them cost 80,080, over the 80,000 limit. */
const SIGOP_BOMB = new Uint8Array(1_001).fill(0xae)

interface Context {
  readonly chain: ScriptChain
  readonly prefix: readonly ChainBlock[]
  readonly utxos: UtxoSet
  readonly coins: readonly Spendable[]
  /** Height of the bad block. */
  readonly height: number
}

/** `coin` spent to one P2WPKH output of `value` (default: its value less the fee), signed. */
function spendTx(
  ctx: Context,
  coin: Spendable,
  o: { value?: bigint; version?: number; sequence?: number; locktime?: number; key?: number } = {},
): Tx {
  const to = ctx.chain.ring.output('p2wpkh', o.key ?? ctx.height + 1)
  return ctx.chain.ring.sign(
    new Tx({
      version: o.version ?? 2,
      inputs: [
        {
          prevHash: coin.txid,
          prevIndex: coin.vout,
          script: new Uint8Array(0),
          sequence: o.sequence ?? SEQUENCE_LOCKTIME,
          witness: [],
        },
      ],
      outputs: [{ value: o.value ?? coin.value - SCRIPTGEN_FEE, script: to.script }],
      locktime: o.locktime ?? ctx.height - 1,
    }),
    [coin],
  )
}

/** A P2WPKH output spendable at the bad block's height (mature), oldest first. */
function matureCoin(ctx: Context): Spendable {
  const c = ctx.coins.find(
    (c) => c.plan.kind === 'p2wpkh' && (!c.coinbase || c.height <= ctx.height - COINBASE_MATURITY),
  )
  if (!c) throw new ChainGenError(`No mature P2WPKH output at height ${ctx.height - 1}.`)
  return c
}

function coinWhere(ctx: Context, what: string, test: (c: Spendable) => boolean): Spendable {
  const c = ctx.coins.find(test)
  if (!c) throw new ChainGenError(`No ${what} unspent at height ${ctx.height - 1}.`)
  return c
}

/** `tx` with input 0's witness replaced by `f(witness)`. */
function withWitness(tx: Tx, f: (w: readonly Uint8Array[]) => Uint8Array[]): Tx {
  const inputs = tx.inputs.map((i, n) => (n === 0 ? { ...i, witness: f(i.witness) } : i))
  return new Tx({ version: tx.version, inputs, outputs: tx.outputs, locktime: tx.locktime })
}

/** The transactions and coinbase of the bad block of `kind`. */
function contents(
  ctx: Context,
  kind: BadBlockKind,
): { txs: Tx[]; outputs?: TxOut[]; coinbase?: Tx; params?: NetworkParams } {
  const { chain, height } = ctx
  const sub = subsidy(height, chain.params)
  const payTo = chain.ring.output('p2wpkh', height).script
  switch (kind) {
    case 'double-spend-in-block': {
      const c = matureCoin(ctx)
      return { txs: [spendTx(ctx, c, { key: 1 }), spendTx(ctx, c, { key: 2 })] }
    }
    case 'double-spend-across-blocks': {
      // Block 1's coinbase output, spent by the funding transaction at height 101.
      const first = ctx.prefix[0]
      if (!first || ctx.prefix.length <= COINBASE_MATURITY) throw new ChainGenError('No output spent yet.')
      const cb = decodeBlock(first.raw).txs[0]!
      const out = cb.outputs[0]!
      const plan = chain.plans.get(Buffer.from(out.script).toString('hex'))
      if (!plan) throw new ChainGenError('Block 1 does not pay the generator.')
      const coin: Spendable = {
        txid: cb.txid(),
        vout: 0,
        value: out.value,
        script: out.script,
        height: 1,
        coinbase: true,
        plan,
      }
      return { txs: [spendTx(ctx, coin)] }
    }
    case 'missing-input': {
      const model = matureCoin(ctx)
      const txid = sha256(new TextEncoder().encode(`missing input ${chain.seed}`))
      return { txs: [spendTx(ctx, { ...model, txid, vout: 0 })] }
    }
    case 'immature-coinbase': {
      const c = coinWhere(ctx, 'coinbase of the tip', (c) => c.coinbase && c.height === height - 1)
      return { txs: [spendTx(ctx, c)] }
    }
    case 'overspend': {
      const c = matureCoin(ctx)
      return { txs: [spendTx(ctx, c, { value: c.value + 1n })] }
    }
    case 'coinbase-amount':
      return { txs: [], outputs: [{ value: sub + 1n, script: payTo }] }
    case 'bad-signature': {
      // The signature's last byte of s flipped: still strict DER, no longer valid.
      const tx = spendTx(ctx, matureCoin(ctx))
      return {
        txs: [
          withWitness(tx, ([sig, key]) => {
            const bad = Uint8Array.from(sig!)
            bad[bad.length - 2]! ^= 0x01
            return [bad, key!]
          }),
        ],
      }
    }
    case 'bad-witness': {
      // A P2WPKH witness must be exactly [signature, key].
      const tx = spendTx(ctx, matureCoin(ctx))
      return { txs: [withWitness(tx, (w) => [...w, Uint8Array.of(1)])] }
    }
    case 'too-many-sigops':
      return {
        txs: [],
        outputs: [
          { value: sub, script: payTo },
          { value: 0n, script: SIGOP_BOMB },
        ],
      }
    case 'bip30': {
      // Repeat a coinbase-only block's coinbase whose output is still unspent.
      for (let h = Math.min(COINBASE_MATURITY, ctx.prefix.length); h >= 1; h--) {
        const cb = decodeBlock(ctx.prefix[h - 1]!.raw).txs[0]!
        const key = `${Buffer.from(cb.txid()).reverse().toString('hex')}:0`
        if (ctx.utxos.has(key))
          return { txs: [], coinbase: cb, params: { ...chain.params, bip34Height: BIP30_TEST_BIP34_HEIGHT } }
      }
      throw new ChainGenError('No coinbase-only block with an unspent coinbase.')
    }
    case 'bip68-unmet': {
      // Confirmed in the tip; a relative lock of 10 blocks needs 9 more.
      const c = coinWhere(
        ctx,
        'P2WPKH output of the tip',
        (c) => c.plan.kind === 'p2wpkh' && !c.coinbase && c.height === height - 1,
      )
      return { txs: [spendTx(ctx, c, { sequence: 10, locktime: 0 })] }
    }
    case 'cltv-fail': {
      const c = coinWhere(ctx, 'CLTV output', (c) => c.plan.kind === 'p2wsh-cltv')
      return { txs: [spendTx(ctx, c, { locktime: c.plan.lock! - 1 })] }
    }
    case 'csv-fail': {
      // BIP68 is met (one block), the script's CSV (two) is not.
      const c = coinWhere(ctx, 'CSV output', (c) => c.plan.kind === 'p2wsh-csv')
      return { txs: [spendTx(ctx, c, { sequence: c.plan.lock! - 1 })] }
    }
  }
}

/** The bad block of `kind` on `chain` (or on its block at `tipHeight`). */
export function badBlock(chain: ScriptChain, kind: BadBlockKind, options: BadBlockOptions = {}): BadBlock {
  const tip = options.tipHeight ?? chain.blocks.length
  if (!Number.isInteger(tip) || tip < 1 || tip > chain.blocks.length)
    throw new ChainGenError(`tipHeight must be from 1 to ${chain.blocks.length}, got ${tip}.`)
  const prefix = chain.blocks.slice(0, tip)
  const utxos = expectedUtxos(prefix)
  const ctx: Context = { chain, prefix, utxos, coins: spendable(chain, utxos), height: tip + 1 }
  const c = contents(ctx, kind)
  const sub = subsidy(ctx.height, chain.params)
  const payTo = chain.ring.output('p2wpkh', ctx.height).script
  const { block } = blockOn(
    chain.params,
    parentOf(chain.params, prefix),
    ctx.height,
    c.txs,
    { value: sub, script: payTo },
    { outputs: c.outputs, coinbase: c.coinbase, tag: new TextEncoder().encode(`bad ${kind}`) },
  )
  return { kind, block, reason: REASONS[kind], params: c.params }
}

/** One bad block of every kind on the same tip. */
export function badBlocks(chain: ScriptChain, options: BadBlockOptions = {}): BadBlock[] {
  return BAD_BLOCK_KINDS.map((k) => badBlock(chain, k, options))
}
