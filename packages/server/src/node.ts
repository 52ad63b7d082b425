/**
 * createNode: composition in one place. It builds the node's components —
 * the address manager, ban list, block store and block manager, the random
 * source, the clock, the resolver and the logger — and hands them to the
 * Server, which passes them on to its policy modules (as js-libp2p's
 * `components`). Nothing else constructs a collaborator.
 *
 * @example
 * ```ts
 * const node = createNode({ network: networks.regtest, dataDir, bind: ['127.0.0.1:0'], dnsSeed: false })
 * await node.start()
 * node.blockManager.chain.tip
 * await node.stop()
 * ```
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { AddrManager, FastRandom, type RandomSource } from '@node/addrmgr'
import { BlockManager } from '@node/blockmgr'
import { BlockStore, CoinsCache, CoinsDB, coinsCacheBytes, DEFAULT_DB_CACHE } from '@node/chain'
import { ScriptCheckPool } from '@node/consensus'
import { type Logger, silentLogger } from '@node/runtime'
import { hexToHash } from '@node/wire'
import { BanList } from './bans.ts'
import { MockableClock } from './clock.ts'
import type { NodeComponents, Resolver } from './components.ts'
import type { ServerInit } from './config.ts'
import { Server } from './server.ts'

/** What the host may supply; everything else gets a default. */
export interface ServerComponents {
  logger?: Logger | undefined
  /** Resolves a host name to IP addresses (default node:dns); tests and offline runs replace it. */
  resolve?: Resolver | undefined
  /** Wall clock in milliseconds (default Date.now). */
  now?: (() => number) | undefined
  /** Randomness (default FastRandom seeded from the OS). */
  random?: RandomSource | undefined
}

/** Build the components from `config`, and the Server over them. Nothing starts until `start()`. */
export function createNode(config: ServerInit, overrides: ServerComponents = {}): Server {
  const logger = overrides.logger ?? silentLogger
  const clock = new MockableClock(overrides.now ?? Date.now)
  const now = clock.now
  const random = overrides.random ?? new FastRandom()
  // Seeding and outbound bound every lookup themselves (dnsTimeoutMs), whatever the resolver does.
  const resolve: Resolver =
    overrides.resolve ?? (async (host) => (await dnsLookup(host, { all: true })).map((a) => a.address))
  const addrManager = new AddrManager(
    { logger, now, random },
    {
      dataDir: config.dataDir,
      magic: config.network.magic,
      localRoutable: config.localRoutable,
      saveIntervalMs: config.peersDumpIntervalMs,
    },
  )
  const bans = new BanList({ logger, now }, { dataDir: config.dataDir, whitelist: config.whitelist ?? [] })
  const store = new BlockStore({ logger }, { dir: join(config.dataDir, 'blocks'), reindex: config.reindex })
  // Full validation: the UTXO set in <datadir>/chainstate behind a cache of
  // -dbcache, and script checks on worker threads (the chain state starts
  // and stops both).
  const coinsDb = new CoinsDB({
    datadir: config.dataDir,
    logger,
    wipe: config.reindex === true || config.reindexChainstate === true,
  })
  const coins = new CoinsCache({
    db: coinsDb,
    maxBytes: coinsCacheBytes(config.dbCacheMiB ?? DEFAULT_DB_CACHE).coins,
    now,
    random: () => random.randbits(32) / 2 ** 32,
    logger,
  })
  const threads = config.scriptThreads ?? availableParallelism()
  const scriptPool = threads > 0 ? new ScriptCheckPool({ workers: threads, logger }) : undefined
  const assumeValid = config.assumeValid === undefined ? config.network.assumeValid : config.assumeValid
  const blockManager = new BlockManager(
    { logger, store, now, coins: { db: coinsDb, cache: coins }, scriptPool },
    {
      network: config.network,
      progressInterval: config.progressIntervalMs,
      minimumChainWork: config.minimumChainWork,
      assumeValid: assumeValid ? hexToHash(assumeValid) : undefined,
      reindex: config.reindex,
    },
  )
  const components: NodeComponents = {
    logger,
    now,
    clock,
    random,
    resolve,
    addrManager,
    bans,
    store,
    blockManager,
  }
  return new Server(components, config)
}
