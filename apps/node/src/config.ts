/**
 * The daemon's configuration: command line plus config file, resolved with
 * bitcoind's rules (see `args.ts`) into a frozen {@link NodeConfig}.
 *
 * ```ts
 * const config = await loadConfig(process.argv.slice(2))
 * config.network     // 'regtest'
 * config.datadir     // '/home/me/.btcnode/regtest'
 * config.rpc.port    // 18443
 * ```
 *
 * Over 600 lines, for a reason: every bitcoind option the daemon takes,
 * validated in one pass as bitcoind does.
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism, homedir } from 'node:os'
import { dirname, resolve } from 'node:path'
import { SubNet, splitHostPort } from '@node/addrmgr'
import { IMPLICIT_PERMISSIONS, PEER_PERMISSIONS, PERMISSION_NAMES, type PeerPermission } from '@node/peer'
import { getNetwork, type NetworkName, type NetworkParams } from '@node/wire'
import { type OptionTable, parseArgv, parseConfFile, type RawSetting, Settings } from './args.ts'
import {
  COOKIE_FILENAME,
  DEFAULT_CONF_FILENAME,
  DEFAULT_DB_CACHE_MIB,
  DEFAULT_DEBUGLOGFILE,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PEER_CONNECT_TIMEOUT,
  DEFAULT_PROXY_PORT,
  MAX_SCRIPTCHECK_THREADS,
  PROGRAM_NAME,
} from './constants.ts'
import { defaultDatadir, networkDatadir, type PlatformInfo, resolveIn } from './datadir.ts'
import { ConfigError } from './errors.ts'
import { DAEMON_OPTION_TABLE } from './options.ts'

/** Peer permissions a whitelist entry can grant (Core's `NetPermissionFlags`). */
export type { PeerPermission }

/** A host (numeric address or name) and a port, split by Core's SplitHostPort. */
export interface Endpoint {
  readonly host: string
  readonly port: number
}

export interface WhitelistEntry {
  readonly subnet: SubNet
  readonly permissions: readonly PeerPermission[]
  /** True when no permissions were named and Core's implicit set was applied. */
  readonly implicit: boolean
  readonly inbound: boolean
  readonly outbound: boolean
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'

/**
 * How outbound connections are made:
 * - `auto`: from the address manager (and DNS seeds, seed nodes);
 * - `only`: to the `-connect` peers only;
 * - `none`: no automatic connections (`-noconnect`, `-connect=0`).
 */
export type ConnectMode =
  | { readonly mode: 'auto' }
  | { readonly mode: 'only'; readonly peers: readonly Endpoint[] }
  | { readonly mode: 'none' }

export interface RpcConfig {
  /** `-server` (default true). */
  readonly enabled: boolean
  /** Endpoints to listen on. */
  readonly bind: readonly Endpoint[]
  readonly port: number
  /** Who may connect: loopback plus `-rpcallowip`. */
  readonly allowIp: readonly SubNet[]
  /** Cookie auth (no `-rpcpassword`) or a fixed user and password. */
  readonly auth:
    | { readonly kind: 'cookie'; readonly cookieFile: string }
    | { readonly kind: 'password'; readonly user: string; readonly password: string }
}

export interface LogConfig {
  /** Base level: `-loglevel=<level>`, else debug with `-debug`/`-debug=all`, else info. */
  readonly level: LogLevel
  /** Per-category levels from `-loglevel=<category>:<level>`. */
  readonly categoryLevels: Readonly<Record<string, LogLevel>>
  /** `-debug` categories (components logged at debug level); `['all']` for all. */
  readonly debugCategories: readonly string[]
  readonly printToConsole: boolean
  /** Absolute path of the log file, or null with `-nodebuglogfile`. */
  readonly file: string | null
}

export interface NodeConfig {
  readonly help: boolean
  readonly version: boolean
  readonly network: NetworkName
  readonly params: NetworkParams
  /** The base data directory (holds the config file). */
  readonly baseDatadir: string
  /** True when `-datadir` was given (then it must exist). */
  readonly datadirExplicit: boolean
  /** The network's data directory (lock, cookie, log, chain files). */
  readonly datadir: string
  /** The config file that was read, if any. */
  readonly confFile: string | null
  readonly listen: boolean
  readonly port: number
  readonly bind: readonly Endpoint[]
  /** Listeners for connections a Tor daemon forwards to our onion service (-bind=<addr>[:<port>]=onion; port: the network's + 1). */
  readonly onionBind: readonly Endpoint[]
  readonly connect: ConnectMode
  readonly addnode: readonly Endpoint[]
  readonly seednode: readonly Endpoint[]
  /** Our public addresses (-externalip). */
  readonly externalIp: readonly Endpoint[]
  /** Advertise routable addresses of our interfaces (-discover). */
  readonly discover: boolean
  /** BIP324 v2 transport: advertise NODE_P2P_V2, accept and try v2 (-v2transport, default on). */
  readonly v2Transport: boolean
  /** SOCKS5 proxy for outbound connections (-proxy); undefined: connect directly. */
  readonly proxy: Endpoint | undefined
  /** SOCKS5 proxy for Tor peers (-onion): an endpoint, `false` for none (-onion=0), undefined: -proxy's. */
  readonly onionProxy: Endpoint | false | undefined
  /** Random credentials for every proxied connection (-proxyrandomize, default on). */
  readonly proxyRandomize: boolean
  readonly maxConnections: number
  readonly dnsSeed: boolean
  /** Look up host names given to -connect, -addnode, -seednode and addnode (Core -dns). */
  readonly dns: boolean
  readonly whitelist: readonly WhitelistEntry[]
  /** -uacomment values (BIP14), shown in the user agent. */
  readonly uaComments: readonly string[]
  /** -peertimeout, seconds: how long a new connection has to complete the handshake. */
  readonly peerTimeout: number
  /** -minimumchainwork, or null for the network's value. */
  readonly minimumChainWork: bigint | null
  /** -maxuploadtarget in bytes per 24 h (0: no target). */
  readonly maxUploadTarget: number
  /** -assumevalid as display hex, or null when off (-assumevalid=0, or none for the network). */
  readonly assumeValid: string | null
  /** -dbcache in MiB. */
  readonly dbCacheMiB: number
  /** Script check worker threads from -par (0: checks run in the main thread). */
  readonly scriptThreads: number
  /** -reindex: rebuild the block index and the chain state from the block files. */
  readonly reindex: boolean
  /** -reindex-chainstate: rebuild the chain state from the stored blocks. */
  readonly reindexChainstate: boolean
  readonly rpc: RpcConfig
  readonly log: LogConfig
  /** Things the operator should hear about (ignored options, ...). Log them at start. */
  readonly warnings: readonly string[]
}

export interface LoadConfigDeps {
  readonly platform?: PlatformInfo | undefined
  /** Read a file; resolve `undefined` if it does not exist. */
  readonly readFile?: ((path: string) => Promise<string | undefined>) | undefined
  /** Directory against which a relative `-datadir` is resolved (default `process.cwd()`). */
  readonly cwd?: string | undefined
  /** Cores available, for -par (default node:os availableParallelism). */
  readonly availableParallelism?: (() => number) | undefined
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError(`Cannot read configuration file ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** The config-file section name of each network. */
export const NETWORK_SECTION: Readonly<Record<NetworkName, string>> = Object.freeze({
  mainnet: 'main',
  testnet3: 'test',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
})

const CHAIN_FLAGS: ReadonlyArray<readonly [string, NetworkName]> = [
  ['regtest', 'regtest'],
  ['signet', 'signet'],
  ['testnet', 'testnet3'],
  ['testnet4', 'testnet4'],
]

/** `-chain=<name>` values (bitcoind's and ours) and the network each names. */
export const CHAIN_NAMES: Readonly<Record<string, NetworkName>> = {
  main: 'mainnet',
  mainnet: 'mainnet',
  test: 'testnet3',
  testnet: 'testnet3',
  testnet3: 'testnet3',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
}

/** Core's chain names plus our own network names. */
function chainByName(name: string, where: string): NetworkName {
  const net = Object.hasOwn(CHAIN_NAMES, name) ? CHAIN_NAMES[name] : undefined
  if (!net) {
    throw new ConfigError(
      `Invalid chain "${name}" (${where}). Allowed values: main, test, testnet4, signet, regtest.`,
    )
  }
  return net
}

/**
 * Select the network from the command line and the config file's default
 * section, like Core's `GetChainTypeString`: at most one of -regtest, -signet,
 * -testnet, -testnet4 and -chain may be set.
 */
function selectNetwork(cli: readonly RawSetting[], conf: readonly RawSetting[]): NetworkName {
  // Only the default section can select a network.
  const s = new Settings(DAEMON_OPTION_TABLE, cli, conf, null, true)
  const chosen: NetworkName[] = []
  for (const [flag, net] of CHAIN_FLAGS) if (s.getBool(flag, false)) chosen.push(net)
  const chain = s.getString('chain')
  if (chain) chosen.push(chainByName(chain, s.where('chain')))
  if (chosen.length > 1) {
    throw new ConfigError(
      'Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain/-network. Can use at most one.',
    )
  }
  return chosen[0] ?? 'mainnet'
}

function parseEndpoints(values: readonly string[], option: string, defaultPort: number): Endpoint[] {
  return values.map((v) => {
    // Core SplitHostPort; port 0 (pick one) is allowed where Core's Lookup allows it.
    const hp = splitHostPort(v, defaultPort)
    const portOk = hp.valid || (hp.port === 0 && hp.host !== v)
    if (!portOk || hp.host === '' || /[\s[\]]/.test(hp.host)) {
      throw new ConfigError(`Invalid address in -${option}: "${v}".`)
    }
    return Object.freeze({ host: hp.host, port: hp.port })
  })
}

/** Parse one `-whitelist` value, `[perm,perm@]subnet`, as Core's `NetWhitelistPermissions::TryParse`. */
export function parseWhitelist(value: string): WhitelistEntry {
  const at = value.indexOf('@')
  const perms = new Set<PeerPermission>()
  let inbound = false
  let outbound = false
  let implicit = false
  if (at === -1) {
    implicit = true
    for (const p of IMPLICIT_PERMISSIONS) perms.add(p)
  } else {
    for (const word of value.slice(0, at).split(',')) {
      if (word === '') continue
      if (word === 'in') inbound = true
      else if (word === 'out') outbound = true
      else {
        const granted = PERMISSION_NAMES[word]
        if (!granted) throw new ConfigError(`Invalid P2P permission in -whitelist: "${word}".`)
        for (const p of granted) perms.add(p)
      }
    }
    if ((inbound || outbound) && perms.size === 0) {
      throw new ConfigError(`Only direction was set, no permissions in -whitelist: "${value}".`)
    }
  }
  if (!inbound && !outbound) inbound = true
  const net = value.slice(at + 1)
  const subnet = SubNet.tryParse(net)
  if (!subnet || !(subnet.network.isIPv4() || subnet.network.isIPv6()))
    throw new ConfigError(`Invalid netmask specified in -whitelist: "${net}".`)
  return Object.freeze({
    subnet,
    permissions: Object.freeze(PEER_PERMISSIONS.filter((p) => perms.has(p))),
    implicit,
    inbound,
    outbound,
  })
}

const LEVELS: Readonly<Record<string, LogLevel>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
}

function parseLevel(word: string, where: string): LogLevel {
  const level = LEVELS[word.toLowerCase()]
  if (!level) {
    throw new ConfigError(
      `Unsupported log level "${word}" in -loglevel (${where}). Use trace, debug, info, warning, error or fatal.`,
    )
  }
  return level
}

/** Freeze plain objects and arrays recursively; typed arrays cannot be frozen and are left as they are. */
function deepFreeze<T>(value: T, skip?: unknown): T {
  if (
    value &&
    typeof value === 'object' &&
    value !== skip &&
    !ArrayBuffer.isView(value) &&
    !Object.isFrozen(value)
  ) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v, skip)
  }
  return value
}

/**
 * The `includeconf` values of one config-file section, after its last
 * `noincludeconf` (Core's SettingsSpan::negated()).
 */
function includeValues(conf: readonly RawSetting[], section: string | null): string[] {
  const list = conf.filter((x) => x.name === 'includeconf' && x.section === section)
  let from = 0
  list.forEach((x, i) => {
    if (x.negated) from = i + 1
  })
  return list.slice(from).flatMap((x) => (x.value === null ? [] : [x.value]))
}

/**
 * Core's ArgsManager::ReadConfigFiles for `includeconf`: the main file's
 * values in the chosen network's section, then in the default section, name
 * files relative to the base data directory; each is read after the main file
 * (so the main file's single values win). A file that cannot be read is an
 * error. `includeconf` inside an included file is ignored with a warning: one
 * level only. Returns the main file's settings followed by the included ones.
 */
export async function readIncludes(
  conf: readonly RawSetting[],
  baseDatadir: string,
  read: (path: string) => Promise<string | undefined>,
  warnings: string[],
  opts: {
    /** The network the settings so far select. */
    network: (conf: readonly RawSetting[]) => NetworkName
    table: OptionTable
    ignoreUnknown?: boolean | undefined
  },
): Promise<RawSetting[]> {
  const network = opts.network(conf)
  const names = [...includeValues(conf, NETWORK_SECTION[network]), ...includeValues(conf, null)]
  const out = [...conf]
  for (const name of names) {
    const path = resolveIn(baseDatadir, name)
    const text = await read(path)
    if (text === undefined) throw new ConfigError(`Failed to include configuration file ${name}`)
    const parsed = parseConfFile(text, path, opts.table, { ignoreUnknown: opts.ignoreUnknown })
    warnings.push(...parsed.warnings)
    for (const x of parsed.settings) {
      if (x.name === 'includeconf') {
        if (!x.negated) {
          warnings.push(
            `-includeconf cannot be used from included files; ignoring -includeconf=${x.value ?? ''} (${x.where})`,
          )
        }
        continue
      }
      out.push(x)
    }
  }
  // An included file that changed the network leaves that network's includes unread.
  const final = opts.network(out)
  if (final !== network) {
    for (const name of includeValues(conf, NETWORK_SECTION[final])) {
      warnings.push(`-includeconf cannot be used from included files; ignoring -includeconf=${name}`)
    }
  }
  return out
}

/**
 * Parse `argv` (without node and script) and the config file into a frozen
 * {@link NodeConfig}. With `-help` or `-version`, the config file is not read
 * and only those flags are meaningful. Throws {@link ConfigError}.
 */
export async function loadConfig(argv: readonly string[], deps: LoadConfigDeps = {}): Promise<NodeConfig> {
  const platform = deps.platform ?? { platform: process.platform, home: homedir(), env: process.env }
  const read = deps.readFile ?? readIfExists
  const cwd = deps.cwd ?? process.cwd()
  const { settings: cli } = parseArgv(argv, DAEMON_OPTION_TABLE, { program: PROGRAM_NAME })
  // Core ParseParameters: only -noincludeconf may be given on the command line.
  const cliInclude = cli.find((x) => x.name === 'includeconf' && !x.negated)
  if (cliInclude) {
    throw new ConfigError(
      `-includeconf cannot be used from commandline; -includeconf=${JSON.stringify(cliInclude.value ?? '')}`,
    )
  }
  const cliOnly = new Settings(DAEMON_OPTION_TABLE, cli, [], null, true)
  const help = cliOnly.getBool('help', false)
  const version = cliOnly.getBool('version', false)

  // The base directory and the config file come from the command line only.
  const cliDatadir = cliOnly.getString('datadir')
  let baseDatadir = cliDatadir ? resolve(cwd, cliDatadir) : defaultDatadir(platform)
  let datadirExplicit = Boolean(cliDatadir)
  const confOpt = cliOnly.getString('conf')
  let confFile: string | null = null
  let conf: RawSetting[] = []
  const warnings: string[] = []
  if (!help && !version && confOpt !== null) {
    const path =
      confOpt === undefined ? resolveIn(baseDatadir, DEFAULT_CONF_FILENAME) : resolveIn(baseDatadir, confOpt)
    const text = await read(path)
    if (text === undefined && confOpt !== undefined) {
      throw new ConfigError(`Specified config file "${path}" could not be opened.`)
    }
    if (text !== undefined) {
      confFile = path
      const parsed = parseConfFile(text, path, DAEMON_OPTION_TABLE)
      conf = parsed.settings
      warnings.push(...parsed.warnings)
      if (!cli.some((x) => x.name === 'includeconf')) {
        conf = await readIncludes(conf, baseDatadir, read, warnings, {
          network: (c) => selectNetwork(cli, c),
          table: DAEMON_OPTION_TABLE,
        })
      }
    }
  }

  const network = help || version ? 'mainnet' : selectNetwork(cli, conf)
  const params = getNetwork(network)
  const s = new Settings(DAEMON_OPTION_TABLE, cli, conf, NETWORK_SECTION[network], network === 'mainnet')
  warnings.push(...s.warnings)

  // A datadir set in the config file applies when none is on the command line
  // (Core allows it); the config file is not re-read from the new place.
  if (!cliDatadir) {
    const fromConf = s.getString('datadir')
    if (fromConf) {
      baseDatadir = resolve(confFile ? dirname(confFile) : cwd, fromConf)
      datadirExplicit = true
    }
  } else if (cliDatadir === null) {
    throw new ConfigError('Negating of -datadir is meaningless and therefore forbidden.')
  }
  const datadir = networkDatadir(baseDatadir, network)

  if (s.getBool('daemon', false)) {
    throw new ConfigError(
      '-daemon is not supported: run btcnode in the foreground under a service manager (systemd, launchd).',
    )
  }

  // Peer-to-peer.
  const port = s.getInt('port', params.defaultPort)
  // Core: -bind=<addr>[:<port>][=onion]; an onion bind's port defaults to the
  // network's onion service target port (its default port + 1).
  const bindRaw = s.getList('bind').values
  const isOnion = (v: string): boolean => v.endsWith('=onion')
  for (const v of bindRaw) {
    if (!isOnion(v) && v.includes('=')) {
      throw new ConfigError(
        `Specified -bind address "${v}" has an invalid network type (only =onion is known).`,
      )
    }
  }
  const bind = parseEndpoints(
    bindRaw.filter((v) => !isOnion(v)),
    'bind',
    port,
  )
  const onionBind = parseEndpoints(
    bindRaw.filter(isOnion).map((v) => v.slice(0, -'=onion'.length)),
    'bind',
    params.defaultPort + 1,
  )
  const connectList = s.getList('connect')
  let connect: ConnectMode = { mode: 'auto' }
  if (connectList.negated || (connectList.values.length === 1 && connectList.values[0] === '0')) {
    connect = { mode: 'none' }
  } else if (connectList.values.length > 0) {
    connect = { mode: 'only', peers: parseEndpoints(connectList.values, 'connect', params.defaultPort) }
  }
  const addnode = parseEndpoints(s.getList('addnode').values, 'addnode', params.defaultPort)
  const seednode = parseEndpoints(s.getList('seednode').values, 'seednode', params.defaultPort)
  const externalIp = parseEndpoints(s.getList('externalip').values, 'externalip', port)
  const maxConnections = s.getInt('maxconnections', DEFAULT_MAX_CONNECTIONS)
  // Core's parameter interactions: -bind implies -listen; -connect (any form)
  // or -maxconnections=0 turn off DNS seeding and listening unless set explicitly.
  let listenDefault = true
  let dnsSeedDefault = true
  if (connectList.set || maxConnections <= 0) {
    listenDefault = false
    dnsSeedDefault = false
  }
  if (bind.length + onionBind.length > 0) listenDefault = true
  const listen = s.getBool('listen', listenDefault)
  const dnsSeed = s.getBool('dnsseed', dnsSeedDefault)
  const dns = s.getBool('dns', true)
  // Core: -discover defaults to on when listening without -externalip.
  const discover = s.getBool('discover', listen && externalIp.length === 0)
  const v2Transport = s.getBool('v2transport', true)
  // Core init.cpp: -proxy and -onion take ip[:port] (port 9050); "0" or a
  // negation means none, and -onion=0 leaves Tor without a proxy.
  const proxyArg = s.getString('proxy')
  const proxy =
    proxyArg === undefined || proxyArg === null || proxyArg === '0'
      ? undefined
      : parseEndpoints([proxyArg], 'proxy', DEFAULT_PROXY_PORT)[0]
  const onionArg = s.getString('onion')
  const onionProxy =
    onionArg === undefined
      ? undefined
      : onionArg === null || onionArg === '0'
        ? (false as const)
        : parseEndpoints([onionArg], 'onion', DEFAULT_PROXY_PORT)[0]
  const proxyRandomize = s.getBool('proxyrandomize', true)
  // Core -blocksonly: accepted and validated. Without a mempool the node
  // behaves as -blocksonly=1 either way (relay = 0 in our version message,
  // transactions from peers without the relay permission disconnect them).
  s.getBool('blocksonly', false)
  if (bind.length + onionBind.length > 0 && !listen) {
    throw new ConfigError('Cannot set -bind together with -listen=0.')
  }
  const whitelist = s.getList('whitelist').values.map(parseWhitelist)
  const uaComments = s.getList('uacomment').values
  for (const c of uaComments) {
    // Core init.cpp: SanitizeString(cmt, SAFE_CHARS_UA_COMMENT) must leave it unchanged.
    if (!/^[A-Za-z0-9 .,;\-_?@]*$/.test(c))
      throw new ConfigError(`User Agent comment (${c}) contains unsafe characters.`)
  }
  const peerTimeout = s.getInt('peertimeout', DEFAULT_PEER_CONNECT_TIMEOUT)
  const workOpt = s.getString('minimumchainwork')
  let minimumChainWork: bigint | null = null
  if (workOpt !== null && workOpt !== undefined) {
    // Core IsHexNumber: an optional 0x, then at least one hex digit.
    const hex = workOpt.startsWith('0x') ? workOpt.slice(2) : workOpt
    if (!/^[0-9a-fA-F]{1,64}$/.test(hex))
      throw new ConfigError(`Invalid non-hex (${workOpt}) minimum chain work value specified`)
    minimumChainWork = BigInt(`0x${hex}`)
  }
  if (s.getBool('peerbloomfilters', false)) {
    throw new ConfigError(
      '-peerbloomfilters=1 is not supported: this node does not implement BIP37 bloom filters (NODE_BLOOM).',
    )
  }
  const uploadOpt = s.getString('maxuploadtarget')
  const maxUploadTarget = uploadOpt ? parseByteUnits(uploadOpt, 1024 * 1024) : 0
  if (maxUploadTarget === undefined) throw new ConfigError(`Unable to parse -maxuploadtarget: '${uploadOpt}'`)
  // Core -assumevalid: a block hash (up to 64 hex digits, zero-padded on the
  // left as uint256S does); 0 turns it off.
  let assumeValid: string | null = params.assumeValid
  const avOpt = s.getString('assumevalid')
  if (avOpt !== null && avOpt !== undefined) {
    const hex = avOpt.startsWith('0x') ? avOpt.slice(2) : avOpt
    if (!/^[0-9a-fA-F]{1,64}$/.test(hex))
      throw new ConfigError(`Invalid assumevalid block hash specified (${avOpt})`)
    assumeValid = /^0+$/.test(hex) ? null : hex.toLowerCase().padStart(64, '0')
  }
  const dbCacheMiB = s.getInt('dbcache', DEFAULT_DB_CACHE_MIB)
  // Core -par: 0 = one thread per core, < 0 = leave that many cores free;
  // the count includes the thread that runs the node, so -par=1 checks
  // scripts inline. Core caps script threads at 15.
  const cores = deps.availableParallelism?.() ?? availableParallelism()
  let par = s.getInt('par', 0)
  if (par <= 0) par += cores
  const threads = Math.min(MAX_SCRIPTCHECK_THREADS, Math.max(1, par))
  const scriptThreads = threads === 1 ? 0 : threads
  const ignoredLogFlags = ['logtimemicros', 'logthreadnames', 'logsourcelocations', 'debugexclude'].filter(
    (n) => s.isSet(n),
  )
  if (ignoredLogFlags.length > 0) {
    warnings.push(
      `Ignoring ${ignoredLogFlags.map((n) => `-${n}`).join(', ')}: they change only bitcoind's log format.`,
    )
  }
  if (s.isSet('disablewallet')) warnings.push('Ignoring -disablewallet: this node has no wallet.')

  // RPC.
  const rpcPort = s.getInt('rpcport', params.rpcPort)
  const allowRaw = s.getList('rpcallowip').values
  const allowIp: SubNet[] = [SubNet.parse('127.0.0.0/8'), SubNet.parse('::1')]
  for (const v of allowRaw) {
    // Core LookupSubNet: `ip`, `ip/bits` or `ip/netmask`.
    const subnet = SubNet.tryParse(v)
    if (!subnet || !(subnet.network.isIPv4() || subnet.network.isIPv6())) {
      throw new ConfigError(`Invalid -rpcallowip subnet specification: "${v}".`)
    }
    if (!allowIp.some((x) => x.equals(subnet))) allowIp.push(subnet)
  }
  const rpcBindRaw = s.getList('rpcbind').values
  let rpcBind: Endpoint[]
  if (allowRaw.length === 0 || rpcBindRaw.length === 0) {
    rpcBind = [{ host: '127.0.0.1', port: rpcPort }]
    if (allowRaw.length > 0) {
      warnings.push('Option -rpcallowip was specified without -rpcbind; this does not usually make sense.')
    }
    if (rpcBindRaw.length > 0) {
      warnings.push(
        'Option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect.',
      )
    }
  } else {
    rpcBind = parseEndpoints(rpcBindRaw, 'rpcbind', rpcPort)
  }
  const rpcUser = s.getString('rpcuser') ?? ''
  const rpcPassword = s.getString('rpcpassword') ?? ''
  if (rpcUser.includes(':')) throw new ConfigError('-rpcuser cannot contain a colon (":").')
  let auth: RpcConfig['auth']
  if (rpcPassword !== '') {
    auth = { kind: 'password', user: rpcUser, password: rpcPassword }
  } else {
    if (rpcUser !== '')
      warnings.push('-rpcuser is ignored without -rpcpassword; using cookie authentication.')
    const cookie = s.getString('rpccookiefile') ?? COOKIE_FILENAME
    auth = { kind: 'cookie', cookieFile: resolveIn(datadir, cookie) }
  }

  // Logging.
  const debugList = s.getList('debug')
  let debugCategories: string[] = []
  for (const v of debugList.values) {
    if (v === '' || v === '1' || v === 'all') debugCategories = ['all']
    else if (v === '0') debugCategories = []
    else if (!/^[a-z0-9_-]+$/i.test(v)) throw new ConfigError(`Unsupported logging category -debug=${v}.`)
    else if (!debugCategories.includes('all') && !debugCategories.includes(v)) debugCategories.push(v)
  }
  let level: LogLevel | undefined
  const categoryLevels: Record<string, LogLevel> = {}
  const levelWhere = s.where('loglevel')
  for (const v of s.getList('loglevel').values) {
    const colon = v.indexOf(':')
    if (colon === -1) level = parseLevel(v, levelWhere)
    else categoryLevels[v.slice(0, colon)] = parseLevel(v.slice(colon + 1), levelWhere)
  }
  level ??= debugCategories.includes('all') ? 'debug' : 'info'
  const logFileOpt = s.getString('debuglogfile')
  const logFile = logFileOpt === null ? null : resolveIn(datadir, logFileOpt ?? DEFAULT_DEBUGLOGFILE)

  const config: NodeConfig = {
    help,
    version,
    network,
    params,
    baseDatadir,
    datadirExplicit,
    datadir,
    confFile,
    listen,
    port,
    bind,
    onionBind,
    connect,
    addnode,
    seednode,
    externalIp,
    discover,
    v2Transport,
    proxy,
    onionProxy,
    proxyRandomize,
    maxConnections,
    dnsSeed,
    dns,
    whitelist,
    uaComments,
    peerTimeout,
    minimumChainWork,
    maxUploadTarget,
    assumeValid,
    dbCacheMiB,
    scriptThreads,
    reindex: s.getBool('reindex', false),
    reindexChainstate: s.getBool('reindex-chainstate', false),
    rpc: { enabled: s.getBool('server', true), bind: rpcBind, port: rpcPort, allowIp, auth },
    log: {
      level,
      categoryLevels,
      debugCategories,
      printToConsole: s.getBool('printtoconsole', true),
      file: logFile,
    },
    warnings,
  }
  // params is @node/wire's own frozen object; freeze the rest around it.
  return deepFreeze(config, params)
}

/**
 * Core ParseByteUnits: a non-negative integer with an optional unit suffix,
 * k/m/g/t in powers of 1000 and K/M/G/T in powers of 1024; without a suffix
 * `defaultUnit`. Undefined when it does not parse or is too large.
 */
export function parseByteUnits(text: string, defaultUnit: number): number | undefined {
  const units: Record<string, number> = {
    k: 1e3,
    K: 1024,
    m: 1e6,
    M: 1024 ** 2,
    g: 1e9,
    G: 1024 ** 3,
    t: 1e12,
    T: 1024 ** 4,
  }
  const last = text.slice(-1)
  const unit = units[last]
  const digits = unit === undefined ? text : text.slice(0, -1)
  if (!/^[0-9]+$/.test(digits)) return undefined
  const n = Number(digits) * (unit ?? defaultUnit)
  return Number.isSafeInteger(n) ? n : undefined
}
