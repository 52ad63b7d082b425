/**
 * The daemon's run loop, without the node's own components: parse options,
 * prepare the data directory, take the lock, open the logs, install signal
 * handlers, start the RPC server and whatever the host builds, wait for a
 * stop request (signal or the `stop` RPC), stop everything in reverse and
 * release the lock.
 *
 * ```ts
 * // bin.ts
 * process.exitCode = await runDaemon(process.argv.slice(2), {
 *   build: ({ config, logger, rpc }) => [addrmgr, blockmgr, server, rpc],
 * })
 * ```
 *
 * Errors an operator can fix (bad options, a locked or missing data
 * directory, a port in use) are one line on stderr and exit code 1, never a
 * stack trace.
 */
import { createRequire } from 'node:module'
import { isNodeError, type Startable, startInOrder, stopInReverse } from '@node/runtime'
import { formatHelp } from './args.ts'
import { type LoadConfigDeps, loadConfig, type NodeConfig } from './config.ts'
import { PROGRAM_NAME, STOP_DEADLINE_MS } from './constants.ts'
import { ensureDatadir } from './datadir.ts'
import { LockFile } from './lockfile.ts'
import { type ConsoleSink, createNodeLogger, type NodeLogger } from './logging.ts'
import { DAEMON_OPTIONS } from './options.ts'
import { RpcServer } from './rpc-server.ts'
import { installSignalHandlers, type SignalSource } from './signals.ts'

export interface DaemonContext {
  readonly config: NodeConfig
  readonly logger: NodeLogger
  /** The RPC server (already configured, not started); register methods on it. */
  readonly rpc: RpcServer | undefined
  /** Ask the daemon to stop (what the `stop` RPC does). */
  readonly requestStop: () => void
  /**
   * Stop the daemon because of a fatal error (a block store write failed):
   * one line on stderr and in the log, a clean stop, exit code 1.
   */
  readonly fail: (err: unknown) => void
  /** Aborted when a stop is requested. */
  readonly signal: AbortSignal
}

export interface DaemonHost {
  /**
   * Build the node's components in start order. Include `ctx.rpc` where it
   * should start (it is appended if missing). Everything returned is started
   * with startInOrder and stopped in reverse.
   */
  build(ctx: DaemonContext): readonly Startable[] | Promise<readonly Startable[]>
}

export interface DaemonIo {
  stdout: ConsoleSink
  stderr: { write(chunk: string): unknown }
}

export interface RunDaemonOptions {
  io?: DaemonIo | undefined
  signals?: SignalSource | undefined
  /** Immediate exit on a second signal (default process.exit). */
  exit?: ((code: number) => void) | undefined
  config?: LoadConfigDeps | undefined
  version?: string | undefined
  stopDeadlineMs?: number | undefined
}

/** The daemon's version, from its package.json. */
export function daemonVersion(): string {
  try {
    const require = createRequire(import.meta.url)
    return (require('../package.json') as { version: string }).version
  } catch {
    return 'unknown'
  }
}

/** Help text for `btcnode -help`. */
export function daemonHelp(version: string): string {
  return formatHelp(
    `${PROGRAM_NAME} version ${version}\n\nUsage: ${PROGRAM_NAME} [options]   Start the Bitcoin node`,
    DAEMON_OPTIONS,
  )
}

/** One line for an operator: the message of our errors, or a short description of others. */
export function errorLine(err: unknown): string {
  if (isNodeError(err)) return `Error: ${err.message}`
  if (err instanceof Error) return `Error: ${err.message}`
  return `Error: ${String(err)}`
}

/**
 * Run the daemon until it is told to stop. Resolves with the exit code: 0 after
 * an orderly stop, 1 when it could not start or stopped on a fatal error.
 */
export async function runDaemon(
  argv: readonly string[],
  host: DaemonHost,
  options: RunDaemonOptions = {},
): Promise<number> {
  const io = options.io ?? { stdout: process.stdout, stderr: process.stderr }
  const version = options.version ?? daemonVersion()
  const exit = options.exit ?? ((code: number) => process.exit(code))

  let config: NodeConfig
  try {
    config = await loadConfig(argv, options.config)
  } catch (err) {
    io.stderr.write(`${errorLine(err)}\n`)
    return 1
  }
  if (config.help) {
    io.stdout.write(`${daemonHelp(version)}\n`)
    return 0
  }
  if (config.version) {
    io.stdout.write(`${PROGRAM_NAME} version ${version}\n`)
    return 0
  }

  // Signal handlers come first, so a Ctrl-C during start-up is honoured.
  const stopController = new AbortController()
  let fatal: { err: unknown } | undefined
  let forced = false
  let logger: NodeLogger | undefined
  const uninstall = installSignalHandlers(
    {
      onShutdown: () => stopController.abort(),
      onForceExit: (code) => {
        forced = true
        exit(code)
      },
      onReopen: () => logger?.reopen(),
    },
    { source: options.signals },
  )
  const lock = new LockFile({}, { dir: config.datadir })
  let parts: Startable[] = []
  let code = 0
  try {
    await ensureDatadir({
      base: config.baseDatadir,
      network: config.datadir,
      explicit: config.datadirExplicit,
    })
    await lock.start()
    logger = await createNodeLogger(config.log, { console: io.stdout })
    const log = logger.forComponent('init')
    log.info(
      { version, network: config.network, datadir: config.datadir, conf: config.confFile },
      `Starting ${PROGRAM_NAME} ${version} on ${config.network}.`,
    )
    for (const w of config.warnings) log.warn(w)
    const requestStop = (): void => stopController.abort()
    const fail = (err: unknown): void => {
      fatal ??= { err }
      stopController.abort()
    }
    const rpc = config.rpc.enabled
      ? new RpcServer(
          { logger: logger.forComponent('rpc') },
          {
            bind: config.rpc.bind,
            allowIp: config.rpc.allowIp,
            auth: config.rpc.auth,
            onStopRequest: requestStop,
            programName: PROGRAM_NAME,
          },
        )
      : undefined
    parts = [...(await host.build({ config, logger, rpc, requestStop, fail, signal: stopController.signal }))]
    if (rpc && !parts.includes(rpc)) parts.push(rpc)
    if (!stopController.signal.aborted) {
      await startInOrder(parts, { signal: stopController.signal })
      log.info('Started; waiting for a stop request (SIGINT, SIGTERM or the stop RPC).')
      await new Promise<void>((resolve) => {
        if (stopController.signal.aborted) resolve()
        else stopController.signal.addEventListener('abort', () => resolve(), { once: true })
      })
    }
    if (fatal) {
      code = 1
      io.stderr.write(`${errorLine(fatal.err)}\n`)
      logger.root.fatal({ err: fatal.err }, `${errorLine(fatal.err)} Stopping.`)
    } else log.info('Stopping.')
  } catch (err) {
    if (!stopController.signal.aborted || !isNodeError(err) || err.code !== 'ABORTED') {
      code = 1
      io.stderr.write(`${errorLine(err)}\n`)
      logger?.root.fatal({ err }, 'Could not start.')
    }
  } finally {
    await stopInReverse(parts, options.stopDeadlineMs ?? STOP_DEADLINE_MS, logger?.forComponent('init'))
    await lock.stop()
    if (!forced) logger?.forComponent('init').info('Stopped.')
    await logger?.close()
    uninstall()
  }
  return code
}
