/**
 * Sync with full validation (issue 15's benchmark), over loopback, against
 * bcoin 1.0.2 in the same run:
 *
 * - the filled regtest chain (testkit generateChain, held and served by a
 *   bcoin node A), synced bcoin → ours and ours → ours with every script
 *   checked, against bcoin → bcoin validating with bcoin's native crypto
 *   (libsecp256k1, built on demand by packages/testkit/bench/native-crypto.ts;
 *   bcrypto's JavaScript if that build is not possible, said in the rows);
 * - the same with -assumevalid=<tip> against bcoin's assume-valid
 *   (its checkpoint path up to the tip, see the testkit launcher);
 * - the same sync with a small -dbcache (forcing flushes) and a large one:
 *   rates, flushes, flush time and memory per cached coin, read from the
 *   node's chain state (`n/a` on a node that does not report them);
 * - validated inputs per second against the raw libsecp256k1 ECDSA
 *   verification rate on this machine's cores (measured with the consensus
 *   benchmark's own code).
 *
 * Rates are over the filled blocks (heights 101 … tip), as in testkit's sync
 * benchmark, whose measureSync this reuses.
 */
import os from 'node:os'
import { pathToFileURL } from 'node:url'
import { bestOf, ecdsaBenchItems, verifyEcdsaItems } from '../packages/consensus/bench/consensus.bench.ts'
import type { Server, ServerInit } from '../packages/server/src/index.ts'
import { ensureNativeCrypto, type NativeCryptoResult } from '../packages/testkit/bench/native-crypto.ts'
import {
  bcoinSyncNode,
  measureSync,
  prepareSource,
  type SyncNode,
  type SyncResult,
} from '../packages/testkit/bench/sync.bench.ts'
import { type BcoinNode, type ChainBlock, startBcoin } from '../packages/testkit/src/index.ts'
import { decodeBlock, hashToHex } from '../packages/wire/src/index.ts'
import { type BenchOptions, type BenchRow, printRows, row } from './lib.ts'
import { type OurNode, startOurs } from './system.bench.ts'

const COINBASE_ONLY = 100
/** Bound on one sync: a node that stalls fails its rows instead of the whole run's time. */
const SYNC_TIMEOUT_MS = 5 * 60_000

/** The full-validation options of our node's configuration. */
type FullValidationInit = Pick<ServerInit, 'dbCacheMiB' | 'scriptThreads' | 'assumeValid'>

/** What a node that validates fully reports about its chain state (all optional: older nodes report none). */
export interface ChainstateReport {
  connected: number | null
  inputs: number | null
  flushes: number | null
  flushMs: number | null
  /** Memory of the coins cache, bytes, and coins in it. */
  cacheBytes: number | null
  cacheCoins: number | null
}

const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null

/** Call `x.name()` or read `x.name`, whichever it is; undefined if neither. */
function prop(x: unknown, name: string): unknown {
  if (x === null || typeof x !== 'object') return undefined
  const v = (x as Record<string, unknown>)[name]
  return typeof v === 'function' ? (v as () => unknown).call(x) : v
}

/**
 * The chain state's counters: `server.blockManager.chainstate.stats`
 * (`{ connected, inputs, flushes, flushMs }`), and the coins cache's memory
 * (`coins`/`cache` with `usage()` and `size`), where the node has them.
 */
export function readChainstate(server: Server): ChainstateReport | null {
  const cs = prop(server.blockManager, 'chainstate')
  if (cs === undefined || cs === null) return null
  const stats = prop(cs, 'stats')
  const cache = prop(cs, 'coins') ?? prop(cs, 'cache') ?? prop(cs, 'coinsCache')
  return {
    connected: num(prop(stats, 'connected')),
    inputs: num(prop(stats, 'inputs')),
    flushes: num(prop(stats, 'flushes')),
    flushMs: num(prop(stats, 'flushMs')),
    cacheBytes: num(prop(stats, 'cacheBytes')) ?? num(prop(cache, 'usage')),
    cacheCoins: num(prop(stats, 'cacheCoins')) ?? num(prop(cache, 'size')),
  }
}

interface OursHandle {
  sync: SyncNode
  node: OurNode
}

/** One of our nodes as a SyncNode, with the full-validation options; `last` keeps the node for its counters. */
function oursFactory(options: FullValidationInit): {
  start: (connect: readonly string[]) => Promise<SyncNode>
  last: () => OursHandle | undefined
} {
  let last: OursHandle | undefined
  // v1 transport: bcoin has no BIP324, and our node does not fall back to v1
  // against a -connect peer that drops the v2 handshake; ours → ours stays v1
  // too, so every row measures the same wire.
  const extra: Partial<ServerInit> & FullValidationInit = { ...options, v2Transport: false }
  return {
    last: () => last,
    async start(connect) {
      const node = await startOurs(connect, extra)
      const chain = node.server.blockManager.chain
      const sync: SyncNode = {
        p2pAddress: `127.0.0.1:${node.server.ports[0]}`,
        height: async () => chain.tip.height,
        hashAt: async (h: number) => {
          const e = chain.activeAtHeight(h)
          return e ? hashToHex(e.hash) : ''
        },
        stop: () => node.stop(),
      }
      last = { sync, node }
      return sync
    },
  }
}

interface Measured {
  result: SyncResult
  report: ChainstateReport | null
}

/** Sync `chain` into a fresh node of ours from `source`, reading its counters before it stops. */
async function syncOurs(
  chain: readonly ChainBlock[],
  source: string,
  options: FullValidationInit,
  keep = false,
): Promise<Measured & { node: SyncNode }> {
  const f = oursFactory(options)
  step(`our node from ${source}, ${JSON.stringify(options)}`)
  const { result, node } = await measureSync(chain, () => f.start([source]), {
    keep: true,
    timeoutMs: SYNC_TIMEOUT_MS,
  })
  const handle = f.last()
  const report = handle ? readChainstate(handle.node.server) : null
  if (!keep) await node.stop()
  return { result, report, node }
}

async function syncBcoin(
  chain: readonly ChainBlock[],
  source: BcoinNode,
  options: { validate: boolean; nativeCryptoDir: string | undefined; until?: number | undefined },
): Promise<{ result: SyncResult; crypto: string }> {
  let crypto = ''
  step(`bcoin → bcoin, ${options.validate ? 'validating' : 'assume-valid'}`)
  const start = async (): Promise<SyncNode> => {
    const b = await startBcoin({
      segwitGenesis: true,
      connect: [source.p2pAddress],
      assumeValidHeight: options.validate ? undefined : chain.length,
      nativeCryptoDir: options.nativeCryptoDir,
    })
    crypto = `bcoin ECDSA ${b.crypto.secp256k1}, SHA-256 ${b.crypto.sha256}`
    return bcoinSyncNode(b)
  }
  const { result } = await measureSync(chain, start, {
    until: options.until,
    pollMs: options.validate ? 50 : 20,
    timeoutMs: SYNC_TIMEOUT_MS,
  })
  return { result, crypto }
}

/** Non-coinbase inputs of the filled blocks (every one has a signature to check). */
function filledInputs(chain: readonly ChainBlock[]): number {
  let n = 0
  for (const b of chain.slice(COINBASE_ONLY)) {
    for (const tx of decodeBlock(b.raw).txs.slice(1)) n += tx.inputs.length
  }
  return n
}

const step = (what: string): void => {
  process.stderr.write(`bench: validation: ${what}\n`)
}

const fmtOr = (v: number | null, digits = 0): string => (v === null ? 'n/a' : v.toFixed(digits))

/** Says whether the measured node validated (it reports a chain state) or only checked block structure. */
function validatedNote(r: ChainstateReport | null, extra?: string): string {
  const what = r
    ? `node connected ${fmtOr(r.connected)} blocks, ${fmtOr(r.inputs)} inputs`
    : 'no chain state reported: this node checked block structure only'
  return extra ? `${extra}; ${what}` : what
}

export async function run(opts: BenchOptions & { blocks?: number | undefined }): Promise<BenchRow[]> {
  const blocks = opts.blocks ?? (opts.quick ? 150 : 400)
  const targetBlockSize = 500_000
  const rows: BenchRow[] = []

  // bcoin's native crypto: built once into the temp folder (minutes the first time).
  process.stderr.write('bench: validation: bcoin native crypto (built on first use)…\n')
  const native: NativeCryptoResult = ensureNativeCrypto()
  const nativeDir = native.ok ? native.value.dir : undefined
  const nativeNote = native.ok
    ? `native crypto: ${native.value.note}${native.value.built ? ', built in this run' : ''}`
    : `native crypto NOT available (${native.reason}); bcoin uses bcrypto's JavaScript`

  // The raw libsecp256k1 rate: the consensus benchmark's items and loop.
  const { items } = ecdsaBenchItems(opts.quick ? 200 : 500)
  const [rawMs] = await bestOf(opts.quick ? 3 : 10, [() => verifyEcdsaItems(items)])
  const rawPerSec = (items.length / rawMs!) * 1000
  const cores = os.cpus().length

  const { chain, source } = await prepareSource({ blocks, targetBlockSize })
  const kept: SyncNode[] = []
  try {
    const filled = chain.blocks.slice(COINBASE_ONLY)
    const inputs = filledInputs(chain.blocks)
    const txs = filled.reduce((s, b) => s + b.txCount, 0)
    const group = `sync, full validation (regtest, ${blocks} blocks, ${filled.length} filled: ${Math.round(txs / filled.length)} tx, ${Math.round(inputs / filled.length)} inputs each)`
    const tip = chain.blocks[chain.blocks.length - 1]!.hash

    // --- bcoin → bcoin, validating and assume-valid ---
    // bcoin's JavaScript ECDSA does a few hundred signatures a second: without
    // the native build, only the first filled blocks are timed.
    const bcoinUntil = nativeDir ? undefined : COINBASE_ONLY + (opts.quick ? 3 : 10)
    const bcoinValidating = await syncBcoin(chain.blocks, source, {
      validate: true,
      nativeCryptoDir: nativeDir,
      until: bcoinUntil,
    })
    const bcoinTrusting = await syncBcoin(chain.blocks, source, {
      validate: false,
      nativeCryptoDir: nativeDir,
    })
    const bcoinName = (what: string): string =>
      `bcoin 1.0.2 → bcoin ${what} (${nativeDir ? 'native crypto' : 'JS crypto'})`
    rows.push(
      row({
        group,
        name: 'bcoin → bcoin, validating every script',
        ours: bcoinValidating.result.blocksPerSec,
        peer: null,
        peerName: null,
        unit: 'blocks/s',
        goal: 'calibration',
        higherIsBetter: true,
        note: `${bcoinValidating.result.blocks} filled blocks; ${bcoinValidating.crypto}; ${nativeNote}`,
      }),
    )

    // --- ours, full validation, default -dbcache ---
    const full = await syncOurs(chain.blocks, source.p2pAddress, {}, true)
    kept.push(full.node)
    const oursToOurs = await syncOurs(chain.blocks, full.node.p2pAddress, {})
    // --- ours, -assumevalid=<tip> ---
    const avBcoin = await syncOurs(chain.blocks, source.p2pAddress, { assumeValid: tip })
    const avOurs = await syncOurs(chain.blocks, full.node.p2pAddress, { assumeValid: tip })

    const vs = (
      r: SyncResult,
      name: string,
      peer: SyncResult,
      peerName: string,
      note?: string,
    ): BenchRow[] => [
      row({
        group,
        name,
        ours: r.blocksPerSec,
        peer: peer.blocksPerSec,
        peerName,
        unit: 'blocks/s',
        goal: '≥ 2×',
        higherIsBetter: true,
        note,
      }),
      row({
        group,
        name,
        ours: r.mbPerSec,
        peer: peer.mbPerSec,
        peerName,
        unit: 'MB/s',
        goal: '≥ 2×',
        higherIsBetter: true,
        note,
      }),
    ]
    const validatingName = bcoinName('validating')
    const trustingName = bcoinName('assume-valid')
    const partial =
      bcoinUntil === undefined
        ? undefined
        : `bcoin timed over its first ${bcoinValidating.result.blocks} filled blocks`
    rows.push(
      ...vs(
        full.result,
        'bcoin → ours, validating',
        bcoinValidating.result,
        validatingName,
        validatedNote(full.report, partial),
      ),
      ...vs(
        oursToOurs.result,
        'ours → ours, validating',
        bcoinValidating.result,
        validatingName,
        validatedNote(oursToOurs.report, partial),
      ),
      ...vs(
        avBcoin.result,
        'bcoin → ours, -assumevalid=tip',
        bcoinTrusting.result,
        trustingName,
        validatedNote(avBcoin.report),
      ),
      ...vs(
        avOurs.result,
        'ours → ours, -assumevalid=tip',
        bcoinTrusting.result,
        trustingName,
        validatedNote(avOurs.report),
      ),
    )

    // --- validated inputs/s against the signature bound ---
    const ratePair = (m: Measured, name: string): BenchRow => {
      const perSec = inputs / (m.result.ms / 1000)
      return row({
        group,
        name: `${name}: validated inputs/s vs raw libsecp256k1 ECDSA × ${cores} cores`,
        ours: perSec,
        peer: rawPerSec * cores,
        peerName: `raw ECDSA verify (${Math.round(rawPerSec)}/s on one core)`,
        unit: 'input/s',
        goal: 'report (1× = the signature bound)',
        higherIsBetter: true,
        note: validatedNote(m.report),
      })
    }
    rows.push(ratePair(full, 'bcoin → ours'), ratePair(oursToOurs, 'ours → ours'))

    // --- -dbcache small (flushes) and large ---
    for (const mib of [4, 1000]) {
      const m = await syncOurs(chain.blocks, source.p2pAddress, { dbCacheMiB: mib })
      const r = m.report
      const perCoin =
        r?.cacheBytes !== null && r?.cacheBytes !== undefined && r.cacheCoins
          ? r.cacheBytes / r.cacheCoins
          : null
      const flushNote = validatedNote(
        r,
        `flushes ${fmtOr(r?.flushes ?? null)}, flush time ${fmtOr(r?.flushMs ?? null)} ms`,
      )
      rows.push(
        ...vs(
          m.result,
          `bcoin → ours, validating, -dbcache=${mib}`,
          bcoinValidating.result,
          validatingName,
          flushNote,
        ),
        row({
          group,
          name: `-dbcache=${mib}: flush time`,
          ours: r?.flushMs ?? Number.NaN,
          peer: null,
          peerName: null,
          unit: 'ms',
          goal: 'report',
          higherIsBetter: false,
          note: `${fmtOr(r?.flushes ?? null)} flushes in ${(m.result.totalMs / 1000).toFixed(1)} s of sync`,
        }),
        row({
          group,
          name: `-dbcache=${mib}: memory per cached coin`,
          ours: perCoin ?? Number.NaN,
          peer: null,
          peerName: null,
          unit: 'bytes',
          goal: 'report',
          higherIsBetter: false,
          note: `${fmtOr(r?.cacheCoins ?? null)} coins cached at the end`,
        }),
      )
    }
  } finally {
    await Promise.all(kept.map((n) => n.stop()))
    await source.stop()
  }
  return rows
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const blocks = process.argv.find((a) => a.startsWith('--blocks='))?.slice(9)
  printRows(
    await run({
      quick: process.argv.includes('--quick'),
      blocks: blocks === undefined ? undefined : Number(blocks),
    }),
  )
}
