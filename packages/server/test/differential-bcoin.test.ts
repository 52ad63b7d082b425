/**
 * Differential test: our node against bcoin 1.0.2 validating fully (every
 * script, no assume-valid, BIP65/66/CSV from height 1 as Core's regtest),
 * on loopback P2P. Every block reaches our node over a real connection —
 * from bcoin, or from a raw test peer — never by RPC; bcoin's verdict on
 * the same block is its RPC `submitblock` answer (or its tip, for blocks it
 * fetched from us).
 *
 * 1. The taproot-free script chain (testkit's generateScriptChain: every
 *    output kind bcoin knows, real signatures) goes to bcoin; our node syncs
 *    it from bcoin. Same tip, and our UTXO set equals bcoin's (gettxout per
 *    coin, gettxoutsetinfo's count) and the replay's (expectedUtxos).
 * 2. Each invalid block of testkit's badBlock (all kinds but bip30, which is
 *    invalid only under other BIP34 parameters) on the same tip: both reject
 *    it for the same reason (Core's reject reason, which bcoin spells with
 *    its pre-28 names), our tip stays, the block is marked failed, and the
 *    peer that sent it whole is discouraged and dropped (Core
 *    MaybePunishNodeForBlock: BLOCK_CONSENSUS on a requested block). A child
 *    of it is rejected by both, and the peer that sends its header is
 *    discouraged too (BLOCK_INVALID_PREV). bcoin hears nothing of the bad
 *    block from us. A valid block on the same tip, sent the same way, is
 *    accepted by our node and reaches bcoin from us.
 * 3. A 10-block branch (testkit's buildFork) with more work goes to bcoin;
 *    our node reorganises onto it from bcoin, and its UTXO set equals the
 *    replay of the new best chain.
 * 4. A branch with more work whose second block is invalid: both reject the
 *    block; our node returns to its old tip as Core does (bcoin 1.0.2 stays
 *    on the branch's last valid block, with less work: recorded below).
 */
import { computeUtxoStats } from '@node/chain'
import {
  BAD_BLOCK_KINDS,
  type BadBlockKind,
  type BcoinNode,
  badBlock,
  blockOn,
  buildFork,
  type ChainBlock,
  expectedUtxos,
  generateScriptChain,
  outpointKey,
  parentOf,
  type ScriptChain,
  startBcoin,
  submitChain,
  type UtxoSet,
} from '@node/testkit'
import { decodeBlock, hashToHex, InvType } from '@node/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Server } from '../src/index.ts'
import { cleanup, RawPeer, recordingLogger, startServer, until } from './helpers.ts'

/** Blocks of the shared chain; block BLOCKS + 1 of the generated chain is the valid control. */
const BLOCKS = 150
/** The reorg's branch length (it replaces REORG - 1 blocks). */
const REORG = 10
const KINDS = BAD_BLOCK_KINDS.filter((k): k is Exclude<BadBlockKind, 'bip30'> => k !== 'bip30')

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
/** Wire order of a display-order hash. */
const wire = (display: string): Uint8Array => Buffer.from(display, 'hex').reverse()

/**
 * A verdict in one vocabulary: bcoin answers `rejected: <reason>`, names a
 * script failure `mandatory-script-verify-flag-failed` (Core before 28) and
 * gives no script error text; Core (and we) say
 * `block-script-verify-flag-failed (<script error>)`.
 */
function verdict(reason: string | null): string {
  if (reason === null) return 'accepted'
  return reason
    .replace(/^rejected: /, '')
    .replace(/ \(.*\)$/, '')
    .replace(/^mandatory-script-verify-flag-failed$/, 'block-script-verify-flag-failed')
}

/** A UTXO set as plain data, sorted, for toEqual. */
function plain(
  utxos: ReadonlyMap<string, { value: bigint; script: Uint8Array; height: number; coinbase: boolean }>,
) {
  return [...utxos]
    .map(([key, u]) => ({
      key,
      value: u.value.toString(),
      script: hex(u.script),
      height: u.height,
      coinbase: u.coinbase,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

/** Our whole UTXO set, from one database snapshot, with the block it is at. */
async function ourUtxos(s: Server): Promise<{ tip: string; utxos: UtxoSet }> {
  const snap = await s.blockManager.chainstate!.snapshot()
  const utxos: UtxoSet = new Map()
  for await (const { txid, vout, coin } of snap.coins) {
    utxos.set(outpointKey(txid, vout), {
      value: coin.value,
      script: Uint8Array.from(coin.script),
      height: coin.height,
      coinbase: coin.coinbase,
    })
  }
  return { tip: hashToHex(snap.tip.hash), utxos }
}

interface TxOutReply {
  bestblock: string
  confirmations: number
  value: number
  scriptPubKey: { hex: string }
  coinbase: boolean
}

/** bcoin's UTXO set, read coin by coin for every key of `expected`, and its size. */
async function bcoinUtxos(
  b: BcoinNode,
  expected: UtxoSet,
): Promise<{ tip: string; utxos: UtxoSet; txouts: number }> {
  const tip = await b.rpc<string>('getbestblockhash')
  const height = await b.rpc<number>('getblockcount')
  const utxos: UtxoSet = new Map()
  for (const key of expected.keys()) {
    const [txid, vout] = key.split(':') as [string, string]
    const got = await b.rpc<TxOutReply | null>('gettxout', [txid, Number(vout), false])
    if (!got) continue
    utxos.set(key, {
      value: BigInt(Math.round(got.value * 1e8)),
      script: Buffer.from(got.scriptPubKey.hex, 'hex'),
      height: height - got.confirmations + 1,
      coinbase: got.coinbase,
    })
  }
  const info = await b.rpc<{ txouts: number }>('gettxoutsetinfo')
  return { tip, utxos, txouts: info.txouts }
}

/** Our gettxoutsetinfo totals (computeUtxoStats over a snapshot) equal bcoin's. */
async function expectSameTotals(s: Server, b: BcoinNode): Promise<void> {
  const snap = await s.blockManager.chainstate!.snapshot()
  const stats = await computeUtxoStats(snap.coins, { muhash: false })
  const info = await b.rpc<{ bestblock: string; txouts: number; total_amount: number }>('gettxoutsetinfo')
  expect({ tip: hashToHex(snap.tip.hash), txouts: stats.txouts, total: stats.totalAmount }).toEqual({
    tip: info.bestblock,
    txouts: info.txouts,
    total: BigInt(Math.round(info.total_amount * 1e8)),
  })
}

describe('differential: our node against bcoin 1.0.2 (full validation) over loopback P2P', () => {
  /** The generated chain: blocks 1 … BLOCKS shared, block BLOCKS + 1 the control. */
  let full: ScriptChain
  /** Blocks 1 … BLOCKS. */
  let chain: ScriptChain
  let bcoin: BcoinNode
  let ours: Server
  /** The best chain after the reorg test (blocks 1 … n). */
  let best: readonly ChainBlock[] = []
  const { logger, records } = recordingLogger()
  /** Our reject reason by block hash (display hex), from the chainstate or the block checks. */
  const ourReasons = new Map<string, string>()

  const ourReason = (hash: string): string | undefined => {
    const r = ourReasons.get(hash)
    if (r) return r
    const rec = records.find((x) => x.msg === 'Received an invalid block.' && x.fields['hash'] === hash)
    return (rec?.fields['err'] as { reason?: string } | undefined)?.reason
  }

  beforeAll(async () => {
    full = await generateScriptChain({ blocks: BLOCKS + 1, seed: 'differential', taproot: false })
    chain = {
      ...full,
      blocks: full.blocks.slice(0, BLOCKS),
      utxos: expectedUtxos(full.blocks.slice(0, BLOCKS)),
    }
    bcoin = await startBcoin({ segwitGenesis: true, coreScriptHeights: true })
    await submitChain(bcoin, chain.blocks, { timeoutMs: 60_000 })
    // Our node dials bcoin over v1 (bcoin 1.0.2 resets a v2 handshake and has no fallback).
    ours = await startServer({ connect: [bcoin.p2pAddress], v2Transport: false }, { logger })
    ours.blockManager.chainstate!.on('invalid', (e, err) => ourReasons.set(hashToHex(e.hash), err.reason))
  }, 240_000)

  afterAll(async () => {
    await cleanup()
    await bcoin?.stop()
  })

  it('our node syncs the script chain from bcoin: same tip, and the same UTXO set as bcoin and as a replay', async () => {
    const last = chain.blocks[BLOCKS - 1]!
    await until(
      () => hashToHex(ours.blockManager.chain.tip.hash) === last.hash,
      120_000,
      'our node to sync from bcoin',
    )
    expect(await bcoin.rpc<string>('getbestblockhash')).toBe(last.hash)

    const mine = await ourUtxos(ours)
    expect(mine.tip).toBe(last.hash)
    const theirs = await bcoinUtxos(bcoin, chain.utxos)
    expect(theirs.tip).toBe(last.hash)
    expect(plain(mine.utxos)).toEqual(plain(theirs.utxos))
    expect(mine.utxos.size).toBe(theirs.txouts)
    expect(plain(mine.utxos)).toEqual(plain(chain.utxos))
    // The chain spends every output kind bcoin knows: the comparison covered them.
    expect(chain.spentKinds.size).toBeGreaterThanOrEqual(8)
    await expectSameTotals(ours, bcoin)
  }, 180_000)

  /** Block announcements and blocks our node has sent bcoin; throws if the link is down. */
  function announcedToBcoin(): number {
    const link = ours.peerInfo().find((p) => p.addr === bcoin.p2pAddress)
    if (!link) throw new Error('Our node is no longer connected to bcoin.')
    const sent = link.stats.sent
    return ['inv', 'headers', 'block', 'cmpctblock'].reduce((n, c) => n + (sent[c]?.messages ?? 0), 0)
  }

  /**
   * Send `blocks` (a chain of them) to our node from a fresh raw peer at
   * `localAddress`: their headers first (they extend a block we have, so
   * the node asks for the blocks), then each block it asks for, as Core's
   * headers-first relay does.
   */
  async function deliver(blocks: readonly ChainBlock[], localAddress: string): Promise<RawPeer> {
    const decoded = blocks.map((b) => decodeBlock(b.raw))
    const wanted = new Set(blocks.map((b) => b.hash))
    const peer = await RawPeer.open({ port: ours.ports[0]!, localAddress })
    peer.send({ command: 'headers', headers: decoded.map((d) => d.header) })
    const requested = (): Set<string> => {
      const out = new Set<string>()
      for (const m of peer.received) {
        if (m.command !== 'getdata') continue
        for (const i of m.inventory)
          if ((i.type & ~0x40000000) === InvType.BLOCK) out.add(Buffer.from(i.hash).reverse().toString('hex'))
      }
      return out
    }
    await until(() => [...wanted].every((h) => requested().has(h)), 10_000, 'the node to ask for every block')
    for (const d of decoded) peer.send({ command: 'block', block: d })
    return peer
  }

  it.each(KINDS.map((k, i) => [k, i] as const))(
    'the %s block: bcoin and our node give the same verdict, on it and on a child of it; our tip stays, the block is failed, the senders discouraged',
    async (kind, i) => {
      const bad = badBlock(chain, kind)
      const tip = chain.blocks[BLOCKS - 1]!.hash
      expect(hashToHex(ours.blockManager.chain.tip.hash)).toBe(tip)

      const theirs = await bcoin.rpc<string | null>('submitblock', [hex(bad.block.raw)])
      expect(await bcoin.rpc<string>('getbestblockhash')).toBe(tip)

      const announcedBefore = announcedToBcoin()
      const address = `127.0.31.${i + 1}`
      const peer = await deliver([bad.block], address)
      expect(await peer.closesWithin(10_000), 'the node drops the sender').toBe(true)
      expect(ours.bans.isDiscouraged(address)).toBe(true)
      await ours.blockManager.chainstate!.idle()
      expect(ours.blockManager.chain.isInvalid(wire(bad.block.hash))).toBe(true)
      expect(hashToHex(ours.blockManager.chain.tip.hash)).toBe(tip)
      expect(hashToHex(ours.blockManager.chainstate!.utxoTip.hash)).toBe(tip)

      const reason = ourReason(bad.block.hash)
      // Both reject, for the same rule; ours in Core's words.
      expect({ kind, ours: verdict(reason ?? null), bcoin: verdict(theirs) }).toEqual({
        kind,
        ours: verdict(bad.reason),
        bcoin: verdict(bad.reason),
      })
      expect(reason).toBe(bad.reason)
      // A child of the failed block: bcoin rejects it, and our node refuses
      // its header and discourages the sender (Core AcceptBlockHeader:
      // BLOCK_INVALID_PREV "bad-prevblk", punished in MaybePunishNodeForBlock).
      const child = blockOn(
        full.params,
        parentOf(full.params, [...chain.blocks, bad.block]),
        BLOCKS + 2,
        [],
        {
          value: 1_000_000n,
          script: Uint8Array.of(0x51),
        },
      ).block
      // bcoin rejects it as `duplicate` (chain.js add: "Invalid ancestors",
      // ban score 100), or, when it kept no record of the parent (the parent
      // failed its context-free checks: too many sigops), as `bad-prevblk`.
      expect(await bcoin.rpc<string | null>('submitblock', [hex(child.raw)])).toBe(
        kind === 'too-many-sigops' ? 'rejected: bad-prevblk' : 'rejected: duplicate',
      )
      const childAddress = `127.0.34.${i + 1}`
      const second = await RawPeer.open({ port: ours.ports[0]!, localAddress: childAddress })
      second.send({ command: 'headers', headers: [decodeBlock(child.raw).header] })
      expect(await second.closesWithin(10_000), 'the node drops the sender of the child').toBe(true)
      expect(ours.bans.isDiscouraged(childAddress)).toBe(true)
      expect(second.received.some((m) => m.command === 'getdata')).toBe(false)
      expect(hashToHex(ours.blockManager.chain.tip.hash)).toBe(tip)
      // bcoin (a low-bandwidth compact-block peer) heard nothing of the
      // block from us: only a block on our chain is announced (Core
      // UpdatedBlockTip). The link is up and bcoin holds the same tip.
      expect(announcedToBcoin()).toBe(announcedBefore)
      expect(await bcoin.rpc<string>('getbestblockhash')).toBe(tip)
    },
    60_000,
  )

  it('a valid block on the same tip, sent the same way, is accepted by our node and reaches bcoin over P2P', async () => {
    const control = full.blocks[BLOCKS]!
    const peer = await deliver([control], '127.0.32.1')
    await until(() => hashToHex(ours.blockManager.chain.tip.hash) === control.hash, 20_000, 'our tip to move')
    expect(ours.bans.isDiscouraged('127.0.32.1')).toBe(false)
    expect(peer.isClosed).toBe(false)
    // Our node announces its new tip to bcoin, which fetches the block from us and accepts it.
    const end = Date.now() + 30_000
    while ((await bcoin.rpc<string>('getbestblockhash')) !== control.hash) {
      if (Date.now() > end) throw new Error('bcoin did not take the control block from our node.')
      await new Promise((r) => setTimeout(r, 100))
    }
    const mine = await ourUtxos(ours)
    expect(mine.tip).toBe(control.hash)
    expect(plain(mine.utxos)).toEqual(plain(full.utxos))
    peer.destroy()
  }, 60_000)

  it(`both follow a ${REORG}-block branch with more work; our node reorganises onto it from bcoin`, async () => {
    const fork = buildFork(full, { forkHeight: full.blocks.length - REORG + 1, tag: 'differential reorg' })
    expect(fork.blocks.length).toBe(REORG)
    for (const b of fork.blocks) {
      expect(
        await bcoin.rpc<string | null>('submitblock', [hex(b.raw)]),
        `branch block ${b.height}`,
      ).toBeNull()
    }
    const last = fork.blocks[REORG - 1]!
    expect(await bcoin.rpc<string>('getbestblockhash')).toBe(last.hash)
    await until(
      () => hashToHex(ours.blockManager.chain.tip.hash) === last.hash,
      60_000,
      'our node to reorganise',
    )

    const mine = await ourUtxos(ours)
    expect(mine.tip).toBe(last.hash)
    const expected = expectedUtxos(fork.chain)
    expect(plain(mine.utxos)).toEqual(plain(expected))
    expect(plain(mine.utxos)).toEqual(plain(fork.utxos))
    // bcoin's set after its own reorg: the same coins, and none of the old branch's.
    best = fork.chain
    const theirs = await bcoinUtxos(bcoin, expected)
    expect(plain(theirs.utxos)).toEqual(plain(expected))
    expect(theirs.txouts).toBe(expected.size)
    // The outputs the old branch created and the new one does not are gone on both sides.
    const stale = [...full.utxos.keys()].filter((k) => !expected.has(k))
    expect(stale.length).toBeGreaterThan(0)
    for (const key of stale) {
      const [txid, vout] = key.split(':') as [string, string]
      expect(await bcoin.rpc('gettxout', [txid, Number(vout), false]), key).toBeNull()
      expect(mine.utxos.has(key), key).toBe(false)
    }
    await expectSameTotals(ours, bcoin)
  }, 120_000)

  it('a branch with more work whose second block has a bad signature: both reject it; our node returns to the best valid chain', async () => {
    expect(best.length).toBeGreaterThan(0)
    const n = best.length
    const tip = best[n - 1]!.hash
    // Heights n-1 (valid), n (invalid), n+1 (valid on its own): one block more than our chain.
    const first = buildFork({ ...full, blocks: best }, { forkHeight: n - 2, length: 1, tag: 'bad branch' })
      .blocks[0]!
    const prefix = [...best.slice(0, n - 2), first]
    const bad = badBlock({ ...full, blocks: prefix }, 'bad-signature')
    const child = blockOn(full.params, parentOf(full.params, [...prefix, bad.block]), n + 1, [], {
      value: 1_000_000n,
      script: Uint8Array.of(0x51),
    }).block
    const branch = [first, bad.block, child]

    // bcoin stores the first two as a side branch (no more work yet); the
    // third makes it reorganise, which fails at the bad block: the same verdict.
    const answers: (string | null)[] = []
    for (const b of branch) answers.push(await bcoin.rpc<string | null>('submitblock', [hex(b.raw)]))
    expect(answers.map(verdict)).toEqual(['accepted', 'accepted', verdict(bad.reason)])
    // Where bcoin 1.0.2 and Core differ: after the failed reorganisation
    // bcoin stays on the branch's last valid block, which has less work
    // than its old tip; Core (validation.cpp ActivateBestChainStep, then
    // FindMostWorkChain without the failed branch) reconnects the old tip,
    // the most-work chain left. We do as Core (below).
    expect(await bcoin.rpc<string>('getbestblockhash')).toBe(first.hash)

    const address = '127.0.33.1'
    const peer = await deliver(branch, address)
    expect(await peer.closesWithin(10_000), 'the node drops the sender').toBe(true)
    expect(ours.bans.isDiscouraged(address)).toBe(true)
    await until(() => ourReason(bad.block.hash) !== undefined, 10_000, 'our verdict on the bad block')
    await ours.blockManager.chainstate!.idle()
    expect(ourReason(bad.block.hash)).toBe(bad.reason)
    const chainOf = ours.blockManager.chain
    expect(chainOf.isInvalid(wire(bad.block.hash))).toBe(true)
    expect(chainOf.isInvalid(wire(child.hash))).toBe(true)
    expect(chainOf.isInvalid(wire(first.hash))).toBe(false)
    expect(hashToHex(chainOf.tip.hash)).toBe(tip)
    const mine = await ourUtxos(ours)
    expect(mine.tip).toBe(tip)
    expect(plain(mine.utxos)).toEqual(plain(expectedUtxos(best)))
  }, 60_000)
})
