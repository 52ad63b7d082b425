/**
 * The daemon's host: builds the node from its configuration — createNode
 * (address manager, ban list, block store, block manager, peers) and the
 * JSON-RPC server with every node method — for runDaemon to start in order
 * and stop in reverse.
 */

import type { Startable } from '@node/runtime'
import { createNode, type Server, type ServerInit } from '@node/server'
import { type ChainStateRpc, chainStateRpc } from './chainstate-rpc.ts'
import type { DaemonContext, DaemonHost } from './cli.ts'
import type { NodeConfig } from './config.ts'
import { MAX_SUBVERSION_LENGTH } from './constants.ts'
import { ConfigError } from './errors.ts'
import { ProgressLogger, type ProgressSample } from './progress.ts'
import { registerNodeMethods } from './rpc-methods.ts'
import { registerTestMethods } from './rpc-test-methods.ts'
import { registerValidationMethods } from './rpc-validation-methods.ts'

/**
 * Core FormatSubVersion: `/btcnode:<version>(comment; comment)/` (BIP14), at
 * most MAX_SUBVERSION_LENGTH characters (init.cpp refuses to start otherwise).
 */
export function userAgent(version: string, comments: readonly string[] = []): string {
  const ua = `/btcnode:${version}${comments.length > 0 ? `(${comments.join('; ')})` : ''}/`
  if (ua.length > MAX_SUBVERSION_LENGTH) {
    throw new ConfigError(
      `Total length of network version string (${ua.length}) exceeds maximum length (${MAX_SUBVERSION_LENGTH}). Reduce the number or size of uacomments.`,
    )
  }
  return ua
}

/** Core-style integer version: 0.1.0 → 100. */
export function versionNumber(version: string): number {
  const [maj = 0, min = 0, pat = 0] = version.split('.').map((x) => Number.parseInt(x, 10) || 0)
  return maj * 10000 + min * 100 + pat
}

function endpoint(e: { host: string; port: number }): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`
}

/** The Server's options from the daemon's configuration. */
export function serverInit(config: NodeConfig, version: string): ServerInit {
  const connect = config.connect
  const noOutbound = connect.mode === 'none'
  return {
    network: config.params,
    dataDir: config.datadir,
    listen: config.listen,
    bind: config.bind.length > 0 ? config.bind.map(endpoint) : undefined,
    onionBind: config.onionBind.length > 0 ? config.onionBind.map(endpoint) : undefined,
    port: config.port,
    maxConnections: config.maxConnections,
    connect: connect.mode === 'only' ? connect.peers.map(endpoint) : undefined,
    addnode: config.addnode.map(endpoint),
    seednode: config.seednode.map(endpoint),
    externalIp: config.externalIp.map(endpoint),
    discover: config.discover,
    v2Transport: config.v2Transport,
    proxy: config.proxy ? endpoint(config.proxy) : undefined,
    onionProxy: config.onionProxy ? endpoint(config.onionProxy) : config.onionProxy,
    proxyRandomize: config.proxyRandomize,
    dnsSeed: config.dnsSeed && connect.mode === 'auto',
    dns: config.dns,
    fixedSeeds: connect.mode === 'auto',
    // Core -connect=0: no automatic outbound, but the outbound and feeler
    // slots stay reserved (125 − 8 − 2 − 1 = 114 inbound).
    useAddrmanOutgoing: !noOutbound,
    whitelist: config.whitelist.map((w) => ({
      range: w.subnet.toString(),
      permissions: w.permissions,
      inbound: w.inbound,
      outbound: w.outbound,
    })),
    // The daemon logs the sync progress line itself (ProgressLogger).
    progressIntervalMs: 0,
    userAgent: userAgent(version, config.uaComments),
    handshakeTimeoutMs: config.peerTimeout * 1000,
    maxUploadTarget: config.maxUploadTarget,
    minimumChainWork: config.minimumChainWork ?? undefined,
    dbCacheMiB: config.dbCacheMiB,
    scriptThreads: config.scriptThreads,
    assumeValid: config.assumeValid,
    reindex: config.reindex,
    reindexChainstate: config.reindexChainstate,
  }
}

/** What the progress line reports, read from the Server. */
export function progressSample(server: Server): ProgressSample {
  const chain = server.blockManager.chain
  return {
    height: chain.tip.height,
    headerHeight: chain.bestHeader.height,
    bytes: server.netTotals().received,
    peers: server.blockManager.syncPeerCount,
  }
}

export function nodeHost(version: string): DaemonHost {
  return {
    build(ctx: DaemonContext): Startable[] {
      const logger = ctx.logger.logger
      const server = createNode(serverInit(ctx.config, version), { logger })
      // A block store that cannot write stops the node, as bitcoind aborts.
      server.on('fatal', (err) => ctx.fail(err))
      for (const w of ctx.config.warnings) logger.child({ component: 'node' }).warn(w)
      const progress = new ProgressLogger({ logger, sample: () => progressSample(server) })
      if (ctx.rpc) {
        // No chain state (UTXO set) yet: the methods that need it say so.
        const cs = server.blockManager.chainstate
        const chainState: ChainStateRpc | undefined = cs ? chainStateRpc(cs) : undefined
        registerNodeMethods(ctx.rpc, server, {
          version: versionNumber(version),
          userAgent: userAgent(version, ctx.config.uaComments),
          chainState,
        })
        registerTestMethods(ctx.rpc, server)
        registerValidationMethods(ctx.rpc, server, chainState)
        return [server, progress, ctx.rpc]
      }
      return [server, progress]
    },
  }
}
