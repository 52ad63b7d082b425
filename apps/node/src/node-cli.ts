/**
 * `btcnode-cli`: call the node's JSON-RPC like bitcoin-cli.
 *
 * ```sh
 * btcnode-cli -regtest getblockcount
 * btcnode-cli -regtest getblockhash 0
 * btcnode-cli -regtest -named getblock blockhash=00..ff verbosity=1
 * btcnode-cli -regtest -netinfo 2
 * btcnode-cli -regtest -getinfo
 * ```
 *
 * Credentials come from `-rpcuser`/`-rpcpassword` or the cookie in the data
 * directory, the port from `-rpcport` or the network's default; it reads the
 * same config file as the daemon (ignoring the daemon's options). Parameters
 * are JSON-parsed where bitcoin-cli would (its conversion table for the
 * methods we serve) and, for methods it does not know, when they parse as
 * JSON; everything else is sent as a string. Output and exit codes are
 * bitcoin-cli's: a string result is printed raw, other results as indented
 * JSON, null as nothing; an RPC error prints `error code: N` and
 * `error message:` on stderr and exits with |N| (mod 256, never 0).
 *
 * Over 600 lines, for a reason: bitcoin-cli's behaviour (options, -getinfo,
 * -netinfo, output) in one program.
 */
import { request } from 'node:http'
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { splitHostPort } from '@node/addrmgr'
import { type NetworkName, networks } from '@node/wire'
import {
  formatHelp,
  type OptionSpec,
  optionTable,
  parseArgv,
  parseConfFile,
  type RawSetting,
  Settings,
} from './args.ts'
import { readCookie } from './auth.ts'
import { CHAIN_NAMES, NETWORK_SECTION, readIncludes } from './config.ts'
import {
  CLI_DEFAULT_RPCCONNECT,
  CLI_DEFAULT_TIMEOUT_S,
  CLI_PROGRAM_NAME,
  COOKIE_FILENAME,
  DEFAULT_CONF_FILENAME,
} from './constants.ts'
import { defaultDatadir, networkDatadir, type PlatformInfo, resolveIn } from './datadir.ts'
import { ConfigError } from './errors.ts'
import { formatGetinfo, type GetinfoChain, type GetinfoNetwork } from './getinfo.ts'
import { stringifyJson } from './json.ts'
import { formatNetinfo, type NetworkInfo, type PeerInfo } from './netinfo.ts'
import { DAEMON_OPTIONS } from './options.ts'

const OPTS = 'Options'
const CHAIN = 'Chain selection options'

/** node-cli's own options (bitcoin-cli's names). */
export const CLI_OPTIONS: readonly OptionSpec[] = Object.freeze([
  {
    name: 'help',
    aliases: ['h', '?'],
    kind: 'bool',
    cliOnly: true,
    category: OPTS,
    help: 'Print this help message and exit.',
  },
  { name: 'version', kind: 'bool', cliOnly: true, category: OPTS, help: 'Print version and exit.' },
  {
    name: 'conf',
    kind: 'string',
    value: '<file>',
    cliOnly: true,
    negatable: true,
    category: OPTS,
    help: `Specify the configuration file (default: ${DEFAULT_CONF_FILENAME}). Relative paths are prefixed by the data directory.`,
  },
  {
    name: 'datadir',
    kind: 'string',
    value: '<dir>',
    category: OPTS,
    help: 'Specify the data directory (for the cookie and the config file).',
  },
  {
    name: 'named',
    kind: 'bool',
    category: OPTS,
    help: 'Pass named instead of positional arguments (default: 0).',
  },
  {
    name: 'color',
    kind: 'string',
    value: '<when>',
    category: OPTS,
    help: 'Color setting for CLI output (default: auto). Valid values: always, auto (add color codes when standard output is connected to a terminal), never. Only applies to the output of -getinfo.',
  },
  {
    name: 'getinfo',
    kind: 'bool',
    category: OPTS,
    help: 'Get general information from the remote server. Note that unlike server-side RPC calls, the output of -getinfo is the result of multiple non-atomic requests. Some entries in the output may represent results from different states.',
  },
  {
    name: 'netinfo',
    kind: 'string',
    value: '<level>',
    negatable: true,
    category: OPTS,
    help: 'Get network peer connection information from the node. An optional level 0-4 (also as the first argument) adds a table of peers: 1 without addresses, 2 with addresses, 3 with versions, 4 with both.',
  },
  {
    name: 'rpcclienttimeout',
    kind: 'int',
    value: '<n>',
    min: 0,
    category: OPTS,
    help: `Timeout in seconds during HTTP requests, or 0 for no timeout (default: ${CLI_DEFAULT_TIMEOUT_S}).`,
  },
  {
    name: 'rpcconnect',
    kind: 'string',
    value: '<ip>',
    category: OPTS,
    help: `Send commands to the node running on <ip> (default: ${CLI_DEFAULT_RPCCONNECT}).`,
  },
  {
    name: 'rpccookiefile',
    kind: 'string',
    value: '<loc>',
    category: OPTS,
    help: 'Location of the auth cookie (default: data dir).',
  },
  {
    name: 'rpcpassword',
    kind: 'string',
    value: '<pw>',
    category: OPTS,
    help: 'Password for JSON-RPC connections.',
  },
  {
    name: 'rpcport',
    kind: 'int',
    value: '<port>',
    min: 1,
    max: 65535,
    networkOnly: true,
    category: OPTS,
    help: 'Connect to JSON-RPC on <port> (default: 8332, testnet3: 18332, testnet4: 48332, signet: 38332, regtest: 18443).',
  },
  {
    name: 'rpcuser',
    kind: 'string',
    value: '<user>',
    category: OPTS,
    help: 'Username for JSON-RPC connections.',
  },
  { name: 'rpcwait', kind: 'bool', category: OPTS, help: 'Wait for the RPC server to start.' },
  {
    name: 'rpcwaittimeout',
    kind: 'int',
    value: '<n>',
    min: 0,
    category: OPTS,
    help: 'Timeout in seconds to wait for the RPC server to start, or 0 for no timeout (default: 0).',
  },
  {
    name: 'stdin',
    kind: 'bool',
    category: OPTS,
    help: 'Read extra arguments from standard input, one per line, until EOF.',
  },
  {
    name: 'chain',
    aliases: ['network'],
    kind: 'string',
    value: '<chain>',
    category: CHAIN,
    help: 'Use the chain <chain> (main, test, testnet4, signet, regtest).',
  },
  { name: 'regtest', kind: 'bool', category: CHAIN, help: 'Use the regression test chain.' },
  { name: 'signet', kind: 'bool', category: CHAIN, help: 'Use the signet chain.' },
  { name: 'testnet', kind: 'bool', category: CHAIN, help: 'Use the testnet3 chain.' },
  { name: 'testnet4', kind: 'bool', category: CHAIN, help: 'Use the testnet4 chain.' },
] satisfies OptionSpec[])

const CLI_TABLE = optionTable(CLI_OPTIONS)
/** For reading the shared config file: the daemon's options are known there too. */
const CONF_TABLE = optionTable([...CLI_OPTIONS, ...DAEMON_OPTIONS.filter((o) => !CLI_TABLE.has(o.name))])

/**
 * Parameters bitcoin-cli parses as JSON (Core's `vRPCConvertParams`), by
 * method: [index, name]. Methods listed with no entries take only strings.
 */
export const CONVERT_PARAMS: Readonly<Record<string, ReadonlyArray<readonly [number, string]>>> = {
  addnode: [[2, 'v2transport']],
  addpeeraddress: [
    [1, 'port'],
    [2, 'tried'],
  ],
  clearbanned: [],
  disconnectnode: [[1, 'nodeid']],
  echojson: Array.from({ length: 10 }, (_, i) => [i, `arg${i}`] as const),
  generateblock: [
    [1, 'transactions'],
    [2, 'submit'],
  ],
  generatetoaddress: [
    [0, 'nblocks'],
    [2, 'maxtries'],
  ],
  getaddednodeinfo: [],
  getbestblockhash: [],
  getblock: [[1, 'verbosity']],
  getblockchaininfo: [],
  getblockcount: [],
  getblockhash: [[0, 'height']],
  getblockheader: [[1, 'verbose']],
  getchaintips: [],
  getconnectioncount: [],
  getdifficulty: [],
  getnettotals: [],
  getnetworkinfo: [],
  getnodeaddresses: [[0, 'count']],
  getpeerinfo: [],
  help: [],
  invalidateblock: [],
  listbanned: [],
  ping: [],
  reconsiderblock: [],
  setban: [
    [2, 'bantime'],
    [3, 'absolute'],
  ],
  setnetworkactive: [[0, 'state']],
  stop: [],
  submitblock: [],
  uptime: [],
  waitforblockheight: [
    [0, 'height'],
    [1, 'timeout'],
  ],
}

function parseJsonArg(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    throw new ConfigError(`Error parsing JSON: ${value}`)
  }
}

/** Convert command-line arguments to RPC params as bitcoin-cli does (see {@link CONVERT_PARAMS}). */
export function convertParams(
  method: string,
  args: readonly string[],
  named: boolean,
): unknown[] | Record<string, unknown> {
  const table = Object.hasOwn(CONVERT_PARAMS, method) ? CONVERT_PARAMS[method] : undefined
  const tryJson = (v: string): unknown => {
    try {
      return JSON.parse(v)
    } catch {
      return v
    }
  }
  if (named) {
    const out: Record<string, unknown> = {}
    for (const arg of args) {
      const eq = arg.indexOf('=')
      if (eq === -1)
        throw new ConfigError(`No '=' in named argument '${arg}', this needs to be presented as "key=value".`)
      const name = arg.slice(0, eq)
      const value = arg.slice(eq + 1)
      if (Object.hasOwn(out, name)) throw new ConfigError(`Parameter ${name} specified multiple times`)
      if (!table) out[name] = tryJson(value)
      else out[name] = table.some(([, n]) => n === name) ? parseJsonArg(value) : value
    }
    return out
  }
  return args.map((value, i) => {
    if (!table) return tryJson(value)
    return table.some(([idx]) => idx === i) ? parseJsonArg(value) : value
  })
}

export interface CliIo {
  stdout: { write(s: string): unknown }
  stderr: { write(s: string): unknown }
  /** Standard input, for -stdin (default: process.stdin). */
  readStdin?: (() => Promise<string>) | undefined
}

export interface CliDeps {
  io?: CliIo | undefined
  platform?: PlatformInfo | undefined
  readFile?: ((path: string) => Promise<string | undefined>) | undefined
  cwd?: string | undefined
  /** Unix seconds (for -netinfo ages). */
  now?: (() => number) | undefined
  sleep?: ((ms: number) => Promise<void>) | undefined
  version?: string | undefined
}

/** A failure that bitcoin-cli reports as `error: <message>` with exit code 1. */
class CliFailure extends Error {
  readonly transient: boolean
  constructor(message: string, transient = false) {
    super(message)
    this.transient = transient
  }
}

interface Target {
  host: string
  port: number
  /** The Authorization header; read per attempt so -rpcwait sees a cookie written later. */
  auth: () => Promise<string>
  timeoutMs: number
}

async function post(target: Target, body: string): Promise<{ status: number; text: string }> {
  const auth = await target.auth()
  return new Promise((resolvePost, reject) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        method: 'POST',
        path: '/',
        agent: false,
        headers: {
          Authorization: auth,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
        timeout: target.timeoutMs || undefined,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolvePost({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () =>
      req.destroy(new CliFailure('timeout on transient error: the server did not answer in time')),
    )
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof CliFailure) reject(err)
      else
        reject(
          new CliFailure(
            `Could not connect to the server ${target.host}:${target.port}\n\n` +
              'Make sure the btcnode server is running and that you are connecting to the correct RPC port.\n' +
              `Use "${CLI_PROGRAM_NAME} -help" for more info.`,
            true,
          ),
        )
    })
    req.end(body)
  })
}

/** Send one request (object or batch) and return the parsed reply, with bitcoin-cli's HTTP checks. */
async function callRpc(target: Target, body: unknown): Promise<unknown> {
  const { status, text } = await post(target, stringifyJson(body))
  if (status === 401) throw new CliFailure('Authorization failed: Incorrect rpcuser or rpcpassword')
  if (status === 503) throw new CliFailure(`Server response: ${text}`)
  if (status >= 400 && status !== 400 && status !== 404 && status !== 500) {
    throw new CliFailure(`server returned HTTP error ${status}`)
  }
  if (text === '') throw new CliFailure('no response from server')
  try {
    return JSON.parse(text)
  } catch {
    throw new CliFailure("couldn't parse reply from server")
  }
}

/** The network: the same rule as the daemon, from the command line and the file's default section. */
function cliNetwork(cli: readonly RawSetting[], conf: readonly RawSetting[]): NetworkName {
  const top = new Settings(CONF_TABLE, cli, conf, null, true)
  const chosen: NetworkName[] = []
  if (top.getBool('regtest', false)) chosen.push('regtest')
  if (top.getBool('signet', false)) chosen.push('signet')
  if (top.getBool('testnet', false)) chosen.push('testnet3')
  if (top.getBool('testnet4', false)) chosen.push('testnet4')
  const chain = top.getString('chain')
  if (chain) {
    const n = Object.hasOwn(CHAIN_NAMES, chain) ? CHAIN_NAMES[chain] : undefined
    if (!n)
      throw new ConfigError(
        `Invalid chain "${chain}". Allowed values: main, test, testnet4, signet, regtest.`,
      )
    chosen.push(n)
  }
  if (chosen.length > 1) {
    throw new ConfigError(
      'Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.',
    )
  }
  return chosen[0] ?? 'mainnet'
}

/** Run node-cli with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[], deps: CliDeps = {}): Promise<number> {
  const io = deps.io ?? { stdout: process.stdout, stderr: process.stderr }
  try {
    return await run(argv, deps, io)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    io.stderr.write(`error: ${message}\n`)
    return 1
  }
}

async function readStdinAll(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

async function run(argv: readonly string[], deps: CliDeps, io: CliIo): Promise<number> {
  const platform = deps.platform ?? { platform: process.platform, home: homedir(), env: process.env }
  const cwd = deps.cwd ?? process.cwd()
  const read =
    deps.readFile ??
    (async (p: string) => {
      const { readFile } = await import('node:fs/promises')
      return readFile(p, 'utf8').catch(() => undefined)
    })
  const { settings: cli, positional } = parseArgv(argv, CLI_TABLE, {
    program: CLI_PROGRAM_NAME,
    positional: true,
  })
  const cliOnly = new Settings(CLI_TABLE, cli, [], null, true)
  const version = deps.version ?? '0.0.0'
  if (cliOnly.getBool('help', false)) {
    const usage =
      `${CLI_PROGRAM_NAME} RPC client version ${version}\n\n` +
      `Usage:  ${CLI_PROGRAM_NAME} [options] <command> [params]  Send command to btcnode\n` +
      `or:     ${CLI_PROGRAM_NAME} [options] -named <command> [name=value]...  Send command with named arguments\n` +
      `or:     ${CLI_PROGRAM_NAME} [options] help  List commands\n` +
      `or:     ${CLI_PROGRAM_NAME} [options] help <command>  Get help for a command`
    io.stdout.write(`${formatHelp(usage, CLI_OPTIONS)}\n`)
    return 0
  }
  if (cliOnly.getBool('version', false)) {
    io.stdout.write(`${CLI_PROGRAM_NAME} RPC client version ${version}\n`)
    return 0
  }

  const datadirOpt = cliOnly.getString('datadir')
  const base = datadirOpt ? resolve(cwd, datadirOpt) : defaultDatadir(platform)
  const confOpt = cliOnly.getString('conf')
  let conf: RawSetting[] = []
  let confPath = '(none)'
  if (confOpt !== null) {
    confPath = resolveIn(base, confOpt ?? DEFAULT_CONF_FILENAME)
    const text = await read(confPath)
    if (text === undefined && confOpt !== undefined) {
      throw new ConfigError(`Specified config file "${confPath}" could not be opened.`)
    }
    if (text !== undefined) {
      conf = parseConfFile(text, confPath, CONF_TABLE, { ignoreUnknown: true }).settings
      // bitcoin-cli reads includeconf files as bitcoind does (ArgsManager::ReadConfigFiles).
      conf = await readIncludes(conf, base, read, [], {
        network: (c) => cliNetwork(cli, c),
        table: CONF_TABLE,
        ignoreUnknown: true,
      })
    }
  }
  const network = cliNetwork(cli, conf)
  const params = networks[network]
  const s = new Settings(CONF_TABLE, cli, conf, NETWORK_SECTION[network], network === 'mainnet')
  const datadir = networkDatadir(
    datadirOpt ? base : s.getString('datadir') ? resolve(cwd, s.getString('datadir') as string) : base,
    network,
  )

  // Where and how to connect.
  let port = params.rpcPort
  const connect = s.getString('rpcconnect') ?? CLI_DEFAULT_RPCCONNECT
  const ep = splitHostPort(connect, 0)
  if ((!ep.valid && ep.port !== 0) || ep.host === '')
    throw new ConfigError(`Invalid -rpcconnect: "${connect}".`)
  if (ep.port !== 0) port = ep.port
  if (s.isSet('rpcport')) port = s.getInt('rpcport', port)
  const password = s.getString('rpcpassword') ?? ''
  const rpcUser = s.getString('rpcuser') ?? ''
  const cookieFile = resolveIn(datadir, s.getString('rpccookiefile') ?? COOKIE_FILENAME)
  const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`
  const auth = async (): Promise<string> => {
    if (password !== '') return basic(rpcUser, password)
    const cookie = await readCookie(cookieFile)
    if (!cookie) {
      // Transient: with -rpcwait the daemon may not have written it yet.
      throw new CliFailure(
        'Could not locate RPC credentials. No authentication cookie could be found, and RPC password is not set.  ' +
          `See -rpcpassword.  Configuration file: (${confPath})`,
        true,
      )
    }
    return basic(cookie.user, cookie.password)
  }
  const target: Target = {
    host: ep.host,
    port,
    auth,
    timeoutMs: s.getInt('rpcclienttimeout', CLI_DEFAULT_TIMEOUT_S) * 1000,
  }

  const args = [...positional]
  if (s.getBool('stdin', false)) {
    const text = await (io.readStdin ?? readStdinAll)()
    args.push(...text.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1))
  }

  const netinfo = s.get('netinfo')
  const getinfo = s.getBool('getinfo', false)
  // Core ArgsManager::CheckMultipleCLIArgs.
  if (getinfo && netinfo && !netinfo.negated)
    throw new CliFailure('Only one of -getinfo, -netinfo may be specified.')

  // -getinfo: a batch of getnetworkinfo and getblockchaininfo (Core GetinfoRequestHandler).
  if (getinfo) {
    if (args.length > 0) throw new CliFailure('-getinfo takes no arguments')
    const color = s.getString('color') ?? 'auto'
    if (color !== 'always' && color !== 'auto' && color !== 'never') {
      throw new CliFailure('Invalid value for -color option. Valid values: always, auto, never.')
    }
    const reply = await withWait(s, deps, () =>
      callRpc(target, [
        { method: 'getnetworkinfo', params: [], id: 0 },
        { method: 'getblockchaininfo', params: [], id: 1 },
      ]),
    )
    if (!Array.isArray(reply)) throw new CliFailure('expected a batch reply')
    type Reply = { id?: unknown; result?: unknown; error?: { code: number; message: string } | null }
    const byId = (id: number): Reply => (reply as Reply[]).find((r) => r.id === id) ?? {}
    for (const r of [byId(0), byId(1)]) if (r.error) return printError(io, r.error)
    const tty = (io.stdout as { isTTY?: boolean }).isTTY === true && process.platform !== 'win32'
    io.stdout.write(
      `${formatGetinfo((byId(0).result ?? {}) as GetinfoNetwork, (byId(1).result ?? {}) as GetinfoChain, {
        color: color === 'always' || (color === 'auto' && tty),
      })}\n`,
    )
    return 0
  }

  // -netinfo: a batch of getnetworkinfo and getpeerinfo.
  if (netinfo && !netinfo.negated) {
    let levelText = netinfo.value ?? ''
    if (levelText === '' && args.length > 0 && /^\d+$/.test(args[0] ?? '')) levelText = args.shift() as string
    const level = levelText === '' ? 0 : Number(levelText)
    if (!Number.isInteger(level) || level < 0 || level > 4)
      throw new ConfigError(`Invalid -netinfo level "${levelText}" (0 to 4).`)
    const reply = await withWait(s, deps, () =>
      callRpc(target, [
        { method: 'getnetworkinfo', params: [], id: 0 },
        { method: 'getpeerinfo', params: [], id: 1 },
      ]),
    )
    if (!Array.isArray(reply)) throw new CliFailure('expected a batch reply')
    type Reply = { id?: unknown; result?: unknown; error?: { code: number; message: string } | null }
    const byId = (id: number): Reply => (reply as Reply[]).find((r) => r.id === id) ?? {}
    for (const r of [byId(0), byId(1)]) if (r.error) return printError(io, r.error)
    const now = deps.now?.() ?? Math.floor(Date.now() / 1000)
    io.stdout.write(
      `${formatNetinfo((byId(1).result ?? []) as PeerInfo[], (byId(0).result ?? {}) as NetworkInfo, {
        level,
        now,
        clientLine: `${CLI_PROGRAM_NAME} client v${version} ${network}`,
      })}\n`,
    )
    return 0
  }

  const method = args.shift()
  if (!method)
    throw new CliFailure(`too few parameters (need at least command). Use "${CLI_PROGRAM_NAME} -help".`)
  const rpcParams = convertParams(method, args, s.getBool('named', false))
  const reply = (await withWait(s, deps, () => callRpc(target, { method, params: rpcParams, id: 1 }))) as {
    result?: unknown
    error?: unknown
  }
  if (reply === null || typeof reply !== 'object' || !('result' in reply || 'error' in reply)) {
    throw new CliFailure('expected reply to have result, error and id properties')
  }
  if (reply.error !== undefined && reply.error !== null) {
    return printError(io, reply.error)
  }
  const result = reply.result
  if (result === null || result === undefined) return 0
  io.stdout.write(`${typeof result === 'string' ? result : stringifyJson(result, 2)}\n`)
  return 0
}

function printError(io: CliIo, error: unknown): number {
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown }
    let text = ''
    if (e.code !== undefined) text += `error code: ${String(e.code)}\n`
    if (typeof e.message === 'string') text += `error message:\n${e.message}`
    io.stderr.write(`${text}\n`)
    const code = typeof e.code === 'number' ? Math.abs(e.code) & 0xff : 1
    return code === 0 ? 1 : code
  }
  io.stderr.write(`error: ${stringifyJson(error)}\n`)
  return 1
}

/** With -rpcwait, retry while the server is unreachable or warming up (every second, up to -rpcwaittimeout). */
async function withWait<T>(s: Settings, deps: CliDeps, fn: () => Promise<T>): Promise<T> {
  if (!s.getBool('rpcwait', false)) return fn()
  const timeoutS = s.getInt('rpcwaittimeout', 0)
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const started = Date.now()
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (!(err instanceof CliFailure) || !err.transient) throw err
      if (timeoutS > 0 && Date.now() - started >= timeoutS * 1000) {
        throw new CliFailure(`timeout on transient error: ${err.message}`)
      }
      await sleep(1000)
    }
  }
}
