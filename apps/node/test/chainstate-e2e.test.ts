/**
 * Full validation end to end, on one real daemon (regtest, tsx, a temporary
 * data directory, the `bitcoin-core` RPC client): a chain spending every
 * output type is submitted with `submitblock`, invalid blocks of each kind
 * are answered with Core's reject reason (rpc/mining.cpp `submitblock` →
 * `BIP22ValidationResult`: the BlockValidationState's reject reason) and
 * leave the tip where it was, then blocks are mined on top, a branch with
 * more work reorganises the chain, and the UTXO set survives SIGKILL,
 * `-reindex-chainstate` and `-reindex` with the same `hash_serialized_3`.
 * Expected hashes are computed without the node: testkit's replay of the
 * blocks hashed by `computeUtxoStats` (helpers/utxo-stats.ts).
 */
import {
  BAD_BLOCK_KINDS,
  badBlock,
  buildFork,
  expectedUtxos,
  freePorts,
  generateScriptChain,
  SCRIPTGEN_FEE,
  type ScriptChain,
} from '@node/testkit'
import { toHex } from '@node/wire'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDaemons, type Daemon, datadir, launch, until } from './helpers/daemon.ts'
import { expectedStats } from './helpers/utxo-stats.ts'

bitcoin.initEccLib(ecc)

const BLOCKS = 130
const MINED = 3
/** The reorg: the branch forks this many blocks below the submitted chain's tip. */
const DEPTH = 5

afterEach(cleanupDaemons)

const network = bitcoin.networks.regtest
const MINER = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 9), network }).address!

interface TxOutSetInfo {
  height: number
  bestblock: string
  txouts: number
  total_amount: number
  hash_serialized_3?: string
  muhash?: string
}

const sats = (btc: number): bigint => BigInt(Math.round(btc * 1e8))

async function utxoHash(d: Daemon): Promise<TxOutSetInfo> {
  return (await d.client.command('gettxoutsetinfo')) as TxOutSetInfo
}

async function submitAll(d: Daemon, blocks: readonly { raw: Uint8Array }[]): Promise<void> {
  for (const b of blocks) expect(await d.client.command('submitblock', toHex(b.raw))).toBeNull()
}

/** One unspent output of each kind at the chain's tip, as txid/vout/script/value. */
function coinsByKind(chain: ScriptChain) {
  const byKind = new Map<string, { txid: string; vout: number; script: Uint8Array; value: bigint }>()
  for (const [key, u] of chain.utxos) {
    const plan = chain.plans.get(Buffer.from(u.script).toString('hex'))
    if (!plan || byKind.has(plan.kind)) continue
    const [txid, vout] = key.split(':') as [string, string]
    byKind.set(plan.kind, { txid, vout: Number(vout), script: u.script, value: u.value })
  }
  return byKind
}

describe('full validation end to end (regtest daemon)', () => {
  it('submits, rejects bad blocks with Core reasons, reorganises, and keeps its UTXO set through kill -9, -reindex-chainstate and -reindex', async () => {
    const chain = await generateScriptChain({ blocks: BLOCKS, taproot: true, seed: 'e2e' })
    const tip = chain.blocks[BLOCKS - 1]!.hash
    const [p2p, rpc] = (await freePorts(2)) as [number, number]
    const dir = await datadir()
    let d = await launch(dir, [p2p, rpc])
    await submitAll(d, chain.blocks)
    expect(await d.client.command('getbestblockhash')).toBe(tip)
    const atTip = await expectedStats(expectedUtxos(chain.blocks))
    expect(await utxoHash(d)).toMatchObject({
      height: BLOCKS,
      bestblock: tip,
      txouts: atTip.txouts,
      hash_serialized_3: atTip.hash_serialized_3,
    })
    expect(await d.client.command('gettxoutsetinfo', 'muhash')).toMatchObject({ muhash: atTip.muhash })

    // Each invalid block: Core's reason as the answer, the tip unmoved.
    // (bip30 needs BIP34 off, a test activation height this daemon has no flag for.)
    for (const kind of BAD_BLOCK_KINDS.filter((k) => k !== 'bip30')) {
      const bad = badBlock(chain, kind)
      expect(await d.client.command('submitblock', toHex(bad.block.raw)), kind).toBe(bad.reason)
      expect(await d.client.command('getbestblockhash'), kind).toBe(tip)
      // Core: a block known invalid is answered "duplicate-invalid" when sent again.
      expect(await d.client.command('submitblock', toHex(bad.block.raw)), kind).toBe('duplicate-invalid')
    }
    expect((await utxoHash(d)).hash_serialized_3).toBe(atTip.hash_serialized_3)

    // gettxout for a coin of each output type.
    const kinds = coinsByKind(chain)
    expect(kinds.size).toBe(12)
    for (const [kind, c] of kinds) {
      const out = (await d.client.command('gettxout', c.txid, c.vout)) as {
        bestblock: string
        value: number
        scriptPubKey: { hex: string }
      } | null
      expect(out, kind).not.toBeNull()
      expect(out!.bestblock).toBe(tip)
      expect(sats(out!.value), kind).toBe(c.value)
      expect(out!.scriptPubKey.hex, kind).toBe(toHex(c.script))
    }

    // scantxoutset finds a known P2WPKH coin by its address.
    const wpkh = kinds.get('p2wpkh')!
    const addr = bitcoin.address.fromOutputScript(Buffer.from(wpkh.script), network)
    const scan = (await d.client.command('scantxoutset', 'start', [`addr(${addr})`])) as {
      success: boolean
      unspents: { txid: string; vout: number; amount: number }[]
    }
    expect(scan.success).toBe(true)
    expect(scan.unspents).toContainEqual(
      expect.objectContaining({ txid: wpkh.txid, vout: wpkh.vout, amount: Number(wpkh.value) / 1e8 }),
    )

    // getblock verbosity 3: every input of the tip's spending transactions has its prevout.
    const block = (await d.client.command('getblock', tip, 3)) as {
      tx: {
        fee?: number
        vin: { coinbase?: string; prevout?: { value: number; scriptPubKey: { hex: string } } }[]
      }[]
    }
    expect(block.tx.length).toBeGreaterThan(1)
    for (const tx of block.tx.slice(1)) {
      expect(sats(tx.fee!)).toBe(SCRIPTGEN_FEE)
      for (const vin of tx.vin) expect(vin.prevout?.scriptPubKey.hex).toMatch(/^[0-9a-f]+$/)
    }

    // Mine on top, then a branch from DEPTH below the submitted tip, two
    // blocks longer than the chain: the node reorganises onto it.
    const mined = (await d.client.command('generatetoaddress', MINED, MINER)) as string[]
    const minedTip = mined[MINED - 1]!
    const before = await utxoHash(d)
    const fork = buildFork(chain, { forkHeight: BLOCKS - DEPTH, length: DEPTH + MINED + 2 })
    const forkTip = fork.blocks.at(-1)!.hash
    await submitAll(d, fork.blocks)
    expect(await d.client.command('submitblock', toHex(fork.blocks[0]!.raw))).toBe('duplicate')
    expect(await d.client.command('getbestblockhash')).toBe(forkTip)
    const tips = (await d.client.command('getchaintips')) as {
      hash: string
      status: string
      branchlen: number
    }[]
    expect(tips).toContainEqual(expect.objectContaining({ hash: forkTip, status: 'active', branchlen: 0 }))
    expect(tips).toContainEqual(
      expect.objectContaining({ hash: minedTip, status: 'valid-fork', branchlen: DEPTH + MINED }),
    )
    const onFork = await expectedStats(fork.utxos)
    const after = await utxoHash(d)
    expect(after.hash_serialized_3).not.toBe(before.hash_serialized_3)
    expect(after).toMatchObject({
      height: fork.chain.length,
      bestblock: forkTip,
      txouts: onFork.txouts,
      hash_serialized_3: onFork.hash_serialized_3,
    })
    expect(sats(after.total_amount)).toBe(onFork.totalAmount)

    // invalidateblock / reconsiderblock move the tip (the branch less its
    // tip still has more work than the mined chain).
    await d.client.command('invalidateblock', forkTip)
    expect(await d.client.command('getbestblockhash')).toBe(fork.blocks.at(-2)!.hash)
    expect((await utxoHash(d)).hash_serialized_3).toBe(
      (await expectedStats(expectedUtxos(fork.chain.slice(0, -1)))).hash_serialized_3,
    )
    await d.client.command('reconsiderblock', forkTip)
    expect(await d.client.command('getbestblockhash')).toBe(forkTip)
    expect(await d.client.command('verifychain', 4, 10)).toBe(true)
    expect((await utxoHash(d)).hash_serialized_3).toBe(onFork.hash_serialized_3)

    // kill -9 and restart: the same set.
    d.child.kill('SIGKILL')
    await d.exited
    d = await launch(dir, [p2p, rpc], ['-connect=0'])
    await until(async () => (await d.client.command('getbestblockhash')) === forkTip, 60_000)
    expect(await utxoHash(d)).toMatchObject({
      bestblock: forkTip,
      hash_serialized_3: onFork.hash_serialized_3,
    })

    // -reindex-chainstate, then -reindex: the same set, rebuilt.
    for (const flag of ['-reindex-chainstate', '-reindex']) {
      d.child.kill('SIGTERM')
      expect(await d.exited).toBe(0)
      d = await launch(dir, [p2p, rpc], ['-connect=0', flag])
      await until(async () => (await d.client.command('getbestblockhash')) === forkTip, 60_000)
      expect(await utxoHash(d), flag).toMatchObject({
        bestblock: forkTip,
        hash_serialized_3: onFork.hash_serialized_3,
      })
    }
    d.child.kill('SIGTERM')
    expect(await d.exited).toBe(0)
  }, 300_000)
})
