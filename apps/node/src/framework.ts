/**
 * The daemon framework: everything `btcnode` needs that does not depend on
 * the node's own packages (beyond `@node/wire`, and `@node/addrmgr` for
 * reading addresses and subnets). `index.ts` and `bin.ts` wire it to the node.
 *
 * - {@link loadConfig}: bitcoind-style flags and bitcoin.conf into a frozen {@link NodeConfig}.
 * - {@link runDaemon}: the run loop (datadir, lock, logs, signals, RPC, ordered start/stop).
 * - {@link RpcServer}: bitcoind-compatible JSON-RPC over HTTP; {@link RpcError} and {@link RpcErrorCode}.
 * - {@link LockFile}, {@link createNodeLogger}, {@link installSignalHandlers}.
 * - {@link main} as `nodeCliMain`: the bitcoin-cli-like companion; {@link formatNetinfo}.
 * - {@link formatProgress} and {@link RateTracker}: the sync progress line.
 */
export { formatHelp, type OptionSpec } from './args.ts'
export { Credentials, generateCookie, readCookie } from './auth.ts'
export {
  type DaemonContext,
  type DaemonHost,
  type DaemonIo,
  daemonHelp,
  daemonVersion,
  errorLine,
  type RunDaemonOptions,
  runDaemon,
} from './cli.ts'
export {
  type ConnectMode,
  type Endpoint,
  type LoadConfigDeps,
  type LogConfig,
  type LogLevel,
  loadConfig,
  NETWORK_SECTION,
  type NodeConfig,
  type PeerPermission,
  parseWhitelist,
  type RpcConfig,
  type WhitelistEntry,
} from './config.ts'
export * from './constants.ts'
export { defaultDatadir, ensureDatadir, networkDatadir, networkSubdir, type PlatformInfo } from './datadir.ts'
export * from './errors.ts'
export { stringifyJson } from './json.ts'
export { LockFile, type LockFileComponents, type LockFileInit, processIsAlive } from './lockfile.ts'
export { type ConsoleSink, componentLevel, createNodeLogger, type NodeLogger } from './logging.ts'
export { formatNetinfo, type NetinfoOptions, type NetworkInfo, type PeerInfo } from './netinfo.ts'
export {
  CLI_OPTIONS,
  type CliDeps,
  type CliIo,
  CONVERT_PARAMS,
  convertParams,
  main as nodeCliMain,
} from './node-cli.ts'
export { DAEMON_OPTIONS } from './options.ts'
export { formatDuration, formatProgress, percentOf, RateTracker, type SyncProgress } from './progress.ts'
export * from './rpc-errors.ts'
export {
  helpText,
  type RpcAuthConfig,
  type RpcContext,
  type RpcHandler,
  type RpcMethodOptions,
  type RpcParamSpec,
  type RpcParamType,
  RpcServer,
  type RpcServerComponents,
  type RpcServerInit,
  usageLine,
} from './rpc-server.ts'
export { installSignalHandlers, type ShutdownSignal, SIGNAL_EXIT_CODE, type SignalSource } from './signals.ts'
