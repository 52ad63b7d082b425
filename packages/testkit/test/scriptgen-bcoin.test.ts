/**
 * The script chain, its invalid blocks and its forks against bcoin 1.0.2
 * validating fully (every script, no assume-valid), over loopback RPC.
 * bcoin has no taproot: only the taproot=false chain goes to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BAD_BLOCK_KINDS,
  type BadBlockKind,
  type BcoinNode,
  badBlock,
  buildFork,
  type ChainBlock,
  generateScriptChain,
  type ScriptChain,
  startBcoin,
  submitChain,
  type UtxoSet,
} from '../src/index.ts'

const BLOCKS = 150

/**
 * What bcoin answers `submitblock` with, next to Core's reason for the same
 * block (badBlockReason). The same reasons, with bcoin's "rejected: "
 * prefix; bcoin names script failures by their pre-28 Core name
 * (mandatory-script-verify-flag-failed) and without the script error text.
 */
const BCOIN_SAYS: Readonly<Record<BadBlockKind, string>> = {
  'double-spend-in-block': 'rejected: bad-txns-inputs-missingorspent',
  'double-spend-across-blocks': 'rejected: bad-txns-inputs-missingorspent',
  'missing-input': 'rejected: bad-txns-inputs-missingorspent',
  'immature-coinbase': 'rejected: bad-txns-premature-spend-of-coinbase',
  overspend: 'rejected: bad-txns-in-belowout',
  'coinbase-amount': 'rejected: bad-cb-amount',
  'bad-signature': 'rejected: mandatory-script-verify-flag-failed',
  'bad-witness': 'rejected: mandatory-script-verify-flag-failed',
  'too-many-sigops': 'rejected: bad-blk-sigops',
  bip30: 'rejected: bad-txns-BIP30',
  'bip68-unmet': 'rejected: bad-txns-nonfinal',
  'cltv-fail': 'rejected: mandatory-script-verify-flag-failed',
  'csv-fail': 'rejected: mandatory-script-verify-flag-failed',
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

interface TxOutReply {
  value: number
  scriptPubKey: { hex: string }
  coinbase: boolean
}

/** bcoin's coins for every entry of `expected` match, and every key of `gone` is spent. */
async function expectUtxos(node: BcoinNode, expected: UtxoSet, gone: Iterable<string>): Promise<void> {
  for (const [key, u] of expected) {
    const [txid, vout] = key.split(':') as [string, string]
    const got = await node.rpc<TxOutReply | null>('gettxout', [txid, Number(vout), false])
    expect(got, key).not.toBeNull()
    expect(Math.round(got!.value * 1e8), key).toBe(Number(u.value))
    expect(got!.scriptPubKey.hex, key).toBe(hex(u.script))
    expect(got!.coinbase, key).toBe(u.coinbase)
  }
  for (const key of gone) {
    if (expected.has(key)) continue
    const [txid, vout] = key.split(':') as [string, string]
    expect(await node.rpc('gettxout', [txid, Number(vout), false]), key).toBeNull()
  }
  const info = await node.rpc<{ txouts: number }>('gettxoutsetinfo')
  expect(info.txouts).toBe(expected.size)
}

async function submitAll(node: BcoinNode, blocks: readonly ChainBlock[]): Promise<void> {
  for (const b of blocks) {
    const answer = await node.rpc<string | null>('submitblock', [hex(b.raw)])
    expect(answer, `block ${b.height}`).toBeNull()
  }
}

describe('script chain against bcoin (full validation)', () => {
  let chain: ScriptChain
  let node: BcoinNode
  const tip = async (): Promise<string> => node.rpc<string>('getbestblockhash')

  beforeAll(async () => {
    chain = await generateScriptChain({ blocks: BLOCKS, seed: 'bcoin', taproot: false })
    node = await startBcoin({ segwitGenesis: true, coreScriptHeights: true })
  }, 60_000)
  afterAll(async () => {
    await node?.stop()
  })

  it('accepts the chain and holds the UTXO set a replay gives', { timeout: 240_000 }, async () => {
    await submitChain(node, chain.blocks, { timeoutMs: 60_000 })
    await expectUtxos(node, chain.utxos, [])
  })

  it.each([...BAD_BLOCK_KINDS])(
    'rejects the %s block and keeps its tip',
    { timeout: 60_000 },
    async (kind) => {
      const bad = badBlock(chain, kind)
      const before = await tip()
      expect(before).toBe(chain.blocks[BLOCKS - 1]!.hash)
      const answer = await node.rpc<string | null>('submitblock', [hex(bad.block.raw)])
      // Core: bad.reason; bcoin: BCOIN_SAYS[kind].
      expect({ kind, core: bad.reason, bcoin: answer }).toEqual({
        kind,
        core: bad.reason,
        bcoin: BCOIN_SAYS[kind],
      })
      expect(await tip()).toBe(before)
      expect(await node.rpc<number>('getblockcount')).toBe(BLOCKS)
    },
  )

  it('reorganises by 1, 10 and 100 blocks onto branches with more work', { timeout: 300_000 }, async () => {
    let best = { blocks: chain.blocks, utxos: chain.utxos }
    for (const depth of [1, 10, 100]) {
      const base = { ...chain, blocks: best.blocks }
      const fork = buildFork(base, { forkHeight: best.blocks.length - depth, tag: `reorg ${depth}` })
      await submitAll(node, fork.blocks)
      const last = fork.blocks[fork.blocks.length - 1]!
      expect(await tip(), `after the ${depth}-block reorg`).toBe(last.hash)
      expect(await node.rpc<number>('getblockcount')).toBe(last.height)
      // Every output of the old best chain that the branch does not have is gone.
      await expectUtxos(node, fork.utxos, best.utxos.keys())
      best = { blocks: fork.chain, utxos: fork.utxos }
    }
  })
})
