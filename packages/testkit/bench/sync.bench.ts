/**
 * Sync of a regtest chain of realistically filled blocks over loopback (issue
 * 5's benchmark): blocks/s and MB/s for bcoin → bcoin today, and for
 * bcoin → ours and ours → ours once a factory for our node is passed in.
 *
 * The chain (generateChain, cached in the OS temp folder): blocks 1–100
 * coinbase-only, then blocks filled to ~500 KB with signed P2WPKH
 * transactions (quick: 150 blocks, full: 400). Bcoin A gets it by
 * submitblock with assume-valid (it only has to hold and serve it). Rates
 * are measured over the filled blocks: from the syncing node's height 100 to
 * its target height.
 *
 * Two bcoin → bcoin baselines, because bcoin checks signatures in pure JS
 * (about 380 a second here, ~6 s per filled block):
 * - "validating": B checks every script, as the issue asks; measured over
 *   the first few filled blocks only (the rate is steady, the whole chain
 *   would take half an hour);
 * - "assume-valid": B skips script checks (bcoin's checkpoint path), so the
 *   rate is bcoin's download, block checks, coins and storage, which is what
 *   our node (no script validation) does.
 *
 * Extension points for the lead: {@link measureBcoinToOurs},
 * {@link measureOursToOurs} and `run({ quick, ours })` with an
 * {@link OurNodeFactory}.
 */
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { type BenchOptions, type BenchRow, printRows, row } from '../../../bench/lib.ts'
import { type BcoinNode, startBcoin } from '../src/bcoin.ts'
import { type ChainBlock, type GeneratedChain, generateChain, submitChain } from '../src/chaingen.ts'

/** A node that syncs a chain from a peer, as the benchmark sees it. */
export interface SyncNode {
  /** `127.0.0.1:<port>` that another node can connect to. */
  readonly p2pAddress: string
  /** Height of its best (block) chain. */
  height(): Promise<number>
  /** Hash (RPC byte order) of its block at `height`. */
  hashAt(height: number): Promise<string>
  stop(): Promise<void>
}

/**
 * Starts one of our nodes on regtest, on loopback, with an empty data
 * directory, connecting out to `connect` only. Resolves once it listens.
 * (To be provided by the daemon: the lead wires it in.)
 */
export type OurNodeFactory = (options: { connect: readonly string[] }) => Promise<SyncNode>

export interface SyncResult {
  /** Blocks and bytes measured (the filled blocks up to the target height). */
  readonly blocks: number
  readonly bytes: number
  /** Milliseconds from the node's height 100 to the target height. */
  readonly ms: number
  readonly blocksPerSec: number
  readonly mbPerSec: number
  /** Milliseconds from the node being started (ready) to the target height, the coinbase-only blocks included. */
  readonly totalMs: number
}

const COINBASE_ONLY = 100

async function waitHeight(node: SyncNode, height: number, timeoutMs: number, pollMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if ((await node.height()) >= height) return
    if (performance.now() > deadline) {
      throw new Error(
        `The node stayed below height ${height} for ${timeoutMs} ms (at ${await node.height()}).`,
      )
    }
    await new Promise<void>((resolve) => setTimeout(resolve, pollMs))
  }
}

/**
 * Start a node with `start` and time its sync of `chain` up to `until`
 * (default: the tip), checking it ends on our block. Stops the node unless
 * `keep`; returns it too.
 */
export async function measureSync(
  chain: readonly ChainBlock[],
  start: () => Promise<SyncNode>,
  options: {
    until?: number | undefined
    timeoutMs?: number | undefined
    pollMs?: number | undefined
    keep?: boolean
  } = {},
): Promise<{ result: SyncResult; node: SyncNode }> {
  const until = options.until ?? chain.length
  const timeoutMs = options.timeoutMs ?? 15 * 60_000
  const pollMs = options.pollMs ?? 20
  const node = await start()
  try {
    const ready = performance.now()
    await waitHeight(node, COINBASE_ONLY, timeoutMs, pollMs)
    const from = performance.now()
    await waitHeight(node, until, timeoutMs, pollMs)
    const end = performance.now()
    const expected = chain[until - 1]?.hash
    const got = await node.hashAt(until)
    if (got !== expected) throw new Error(`The node's block ${until} is ${got}, not ours (${expected}).`)
    const filled = chain.slice(COINBASE_ONLY, until)
    const bytes = filled.reduce((s, b) => s + b.raw.length, 0)
    const ms = end - from
    const result: SyncResult = {
      blocks: filled.length,
      bytes,
      ms,
      blocksPerSec: filled.length / (ms / 1000),
      mbPerSec: bytes / 1e6 / (ms / 1000),
      totalMs: end - ready,
    }
    if (!options.keep) await node.stop()
    return { result, node }
  } catch (err) {
    await node.stop()
    throw err
  }
}

/** A bcoin node seen as a {@link SyncNode}. */
export function bcoinSyncNode(node: BcoinNode): SyncNode {
  return {
    p2pAddress: node.p2pAddress,
    height: () => node.rpc<number>('getblockcount'),
    hashAt: (height) => node.rpc<string>('getblockhash', [height]),
    stop: () => node.stop(),
  }
}

/**
 * Generate (or load) the chain and load it into a bcoin node A that serves
 * it. A takes it with assume-valid: it only has to hold and serve it.
 */
export async function prepareSource(opts: {
  blocks: number
  targetBlockSize?: number | undefined
}): Promise<{ chain: GeneratedChain; source: BcoinNode; submitMs: number }> {
  const chain = await generateChain({ blocks: opts.blocks, targetBlockSize: opts.targetBlockSize })
  const source = await startBcoin({ segwitGenesis: true, assumeValidHeight: opts.blocks })
  try {
    const t = performance.now()
    await submitChain(source, chain.blocks)
    return { chain, source, submitMs: performance.now() - t }
  } catch (err) {
    await source.stop()
    throw err
  }
}

/** bcoin B syncing from bcoin A; with `validate`, B checks every script (then `until` bounds the run). */
export function measureBcoinToBcoin(
  chain: readonly ChainBlock[],
  source: BcoinNode,
  options: { validate: boolean; until?: number | undefined },
): Promise<SyncResult> {
  const start = async (): Promise<SyncNode> =>
    bcoinSyncNode(
      await startBcoin({
        segwitGenesis: true,
        connect: [source.p2pAddress],
        assumeValidHeight: options.validate ? undefined : chain.length,
      }),
    )
  return measureSync(chain, start, { until: options.until, pollMs: options.validate ? 100 : 20 }).then(
    (r) => r.result,
  )
}

/**
 * EXTENSION POINT — bcoin → ours: one of our nodes syncing from bcoin A.
 * With `keep`, the synced node is returned running (the source for
 * {@link measureOursToOurs}); the caller stops it.
 */
export async function measureBcoinToOurs(
  chain: readonly ChainBlock[],
  source: BcoinNode,
  startOurs: OurNodeFactory,
  options: { keep?: boolean } = {},
): Promise<{ result: SyncResult; node: SyncNode }> {
  return measureSync(chain, () => startOurs({ connect: [source.p2pAddress] }), {
    keep: options.keep ?? false,
  })
}

/** EXTENSION POINT — ours → ours: one of our nodes syncing from another of ours that has the chain. */
export async function measureOursToOurs(
  chain: readonly ChainBlock[],
  source: SyncNode,
  startOurs: OurNodeFactory,
): Promise<SyncResult> {
  return (await measureSync(chain, () => startOurs({ connect: [source.p2pAddress] }))).result
}

export interface SyncBenchOptions extends BenchOptions {
  /** Our node; without it only the bcoin rows are measured. */
  ours?: OurNodeFactory | undefined
  /** Override the chain length (default: quick 150, full 400). */
  blocks?: number | undefined
  /** Override the fill target (default 500,000 bytes). */
  targetBlockSize?: number | undefined
}

export async function run(opts: SyncBenchOptions): Promise<BenchRow[]> {
  const blocks = opts.blocks ?? (opts.quick ? 150 : 400)
  const targetBlockSize = opts.targetBlockSize ?? 500_000
  const validated = opts.quick ? 3 : 10
  const group = `sync (regtest, ${blocks} blocks, ${blocks - COINBASE_ONLY} filled to ~${Math.round(targetBlockSize / 1000)} KB)`
  const rows: BenchRow[] = []
  const { chain, source, submitMs } = await prepareSource({ blocks, targetBlockSize })
  const nodes: SyncNode[] = []
  try {
    const filled = chain.blocks.slice(COINBASE_ONLY)
    const filledBytes = filled.reduce((s, b) => s + b.raw.length, 0)
    const filledTxs = filled.reduce((s, b) => s + b.txCount, 0)
    const calibration = { group, peer: null, peerName: null, goal: 'calibration', ratio: null }
    rows.push(
      row({
        ...calibration,
        name: chain.fromCache ? 'chain loaded from cache' : 'chain generated',
        ours: chain.ms,
        unit: 'ms',
        higherIsBetter: false,
        note: `${(chain.bytes / 1e6).toFixed(1)} MB, ${chain.txs} tx, filled blocks avg ${Math.round(filledBytes / filled.length / 1000)} KB / ${Math.round(filledTxs / filled.length)} tx${chain.fromCache ? '' : `, ${Math.round(blocks / (chain.ms / 1000))} blocks/s`}`,
      }),
      row({
        ...calibration,
        name: 'bcoin submitblock, assume-valid (source node A)',
        ours: blocks / (submitMs / 1000),
        unit: 'blocks/s',
        higherIsBetter: true,
      }),
    )

    const trusting = await measureBcoinToBcoin(chain.blocks, source, { validate: false })
    const validating = await measureBcoinToBcoin(chain.blocks, source, {
      validate: true,
      until: COINBASE_ONLY + validated,
    })
    const bcoinRows = (r: SyncResult, what: string, note: string): BenchRow[] => [
      row({
        ...calibration,
        name: `bcoin → bcoin, ${what}`,
        ours: r.blocksPerSec,
        unit: 'blocks/s',
        higherIsBetter: true,
        note,
      }),
      row({
        ...calibration,
        name: `bcoin → bcoin, ${what}`,
        ours: r.mbPerSec,
        unit: 'MB/s',
        higherIsBetter: true,
        note,
      }),
    ]
    rows.push(
      ...bcoinRows(trusting, 'assume-valid (no script checks)', `${trusting.blocks} filled blocks`),
      ...bcoinRows(validating, 'validating every script', `first ${validating.blocks} filled blocks`),
    )

    if (opts.ours) {
      const toOurs = await measureBcoinToOurs(chain.blocks, source, opts.ours, { keep: true })
      nodes.push(toOurs.node)
      const oursToOurs = await measureOursToOurs(chain.blocks, toOurs.node, opts.ours)
      const vs = (r: SyncResult, name: string): BenchRow[] => [
        row({
          group,
          name: `${name} vs bcoin → bcoin validating`,
          ours: r.blocksPerSec,
          peer: validating.blocksPerSec,
          peerName: 'bcoin 1.0.2 → bcoin (validating)',
          unit: 'blocks/s',
          goal: '≥ 2×',
          higherIsBetter: true,
        }),
        row({
          group,
          name: `${name} vs bcoin → bcoin validating`,
          ours: r.mbPerSec,
          peer: validating.mbPerSec,
          peerName: 'bcoin 1.0.2 → bcoin (validating)',
          unit: 'MB/s',
          goal: '≥ 2×',
          higherIsBetter: true,
        }),
        row({
          group,
          name: `${name} vs bcoin → bcoin assume-valid`,
          ours: r.mbPerSec,
          peer: trusting.mbPerSec,
          peerName: 'bcoin 1.0.2 → bcoin (assume-valid)',
          unit: 'MB/s',
          goal: 'report',
          higherIsBetter: true,
        }),
      ]
      rows.push(...vs(toOurs.result, 'bcoin → ours'), ...vs(oursToOurs, 'ours → ours'))
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
    await source.stop()
  }
  return rows
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  const arg = (name: string): number | undefined => {
    const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
    return v === undefined ? undefined : Number(v)
  }
  printRows(await run({ quick, blocks: arg('blocks'), targetBlockSize: arg('size') }))
}
