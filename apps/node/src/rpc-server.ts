/**
 * A JSON-RPC server over node:http that behaves like bitcoind's
 * (httprpc.cpp, httpserver.cpp, rpc/request.cpp, rpc/server.cpp), so its
 * clients (bitcoin-cli, the `bitcoin-core` npm package, scripts) work as is.
 *
 * Per request, in Core's order:
 * 1. the peer address must be loopback or in `-rpcallowip`, else 403;
 * 2. only POST to `/`: other verbs get 405, other paths 404;
 * 3. HTTP Basic auth: no header gives 401 with `WWW-Authenticate`; a wrong
 *    password waits 250 ms, then 401;
 * 4. more than {@link RPC_MAX_IN_FLIGHT} requests in progress gives 503
 *    "Work queue depth exceeded";
 * 5. a body over {@link RPC_MAX_BODY_BYTES} (32 MiB, Core's MAX_SIZE) gives 413;
 * 6. the JSON body is one request object or a batch array.
 *
 * Replies follow Core's `JSONRPCReplyObj`: JSON-RPC 1.0/1.1 replies carry
 * both `result` and `error` (one null) and `id`; a request with
 * `"jsonrpc": "2.0"` gets `jsonrpc`, one of `result`/`error`, and `id`. A
 * failed 1.x single request gets HTTP 400 (invalid request), 404 (method not
 * found) or 500 (anything else) with the JSON error body; 2.0 requests and
 * batches always get 200; a 2.0 notification (no `id`) gets 204.
 *
 * Methods are registered by the host with {@link RpcServer.register}. `help`
 * and `uptime` are built in, and `stop` when the host passes `onStopRequest`.
 *
 * Over 600 lines, for a reason: the HTTP and JSON-RPC layer bitcoind has (auth,
 * batching, limits, errors, help) in one transport.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { NetAddress, SubNet } from '@node/addrmgr'
import { type Logger, Service, silentLogger, sleep } from '@node/runtime'
import { Credentials, deleteCookie, generateCookie, writeCookie } from './auth.ts'
import type { Endpoint } from './config.ts'
import {
  RPC_AUTH_FAILURE_DELAY_MS,
  RPC_MAX_BATCH,
  RPC_MAX_BODY_BYTES,
  RPC_MAX_CONNECTIONS,
  RPC_MAX_HEADER_BYTES,
  RPC_MAX_IN_FLIGHT,
  RPC_SERVER_TIMEOUT_MS,
  RPC_STOP_GRACE_MS,
} from './constants.ts'
import { RpcBindError } from './errors.ts'
import { stringifyJson } from './json.ts'
import {
  httpStatusForRpcError,
  RpcError,
  RpcErrorCode,
  type RpcErrorObject,
  toRpcErrorObject,
} from './rpc-errors.ts'

/** JSON types as Core's RPCArg names them; `amount` is a number or a string, `range` a number or an array. */
export type RpcParamType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'amount' | 'range' | 'any'

/** The subnets Core always lets reach RPC: 127.0.0.0/8 and ::1. */
function loopbackSubnets(): SubNet[] {
  return [SubNet.parse('127.0.0.0/8'), SubNet.parse('::1')]
}

/** Upper bound for `stop`'s `wait`, so a request cannot hold the server for long. */
const MAX_STOP_WAIT_MS = 10_000

export interface RpcParamSpec {
  readonly name: string
  readonly type: RpcParamType
  readonly optional?: boolean | undefined
  readonly description?: string | undefined
}

export interface RpcMethodOptions {
  /** Named, typed parameters (checked as Core's RPCHelpMan does). */
  readonly params?: readonly RpcParamSpec[] | undefined
  /** Without `params`: the accepted count of positional parameters. */
  readonly arity?: { readonly min: number; readonly max: number } | undefined
  /**
   * Help category, e.g. 'Blockchain', 'Network', 'Control' (default 'Misc').
   * 'Hidden' methods (test-only, as Core's "hidden" category) are left out of
   * the `help` list but answer `help <name>`.
   */
  readonly category?: string | undefined
  /** Help text after the usage line. */
  readonly description?: string | undefined
}

export interface RpcContext {
  /** Aborted when the server stops. */
  readonly signal: AbortSignal
  readonly method: string
  /** The request id (null when absent). */
  readonly id: unknown
  /** Authenticated user name (`__cookie__` for cookie auth). */
  readonly user: string
  readonly remoteAddress: string
}

/**
 * A method implementation. Receives positional parameters (named ones are
 * converted; an omitted optional parameter is `undefined`). Returns the
 * result (bigint is written as a JSON number) or throws an {@link RpcError}.
 */
export type RpcHandler = (params: readonly unknown[], ctx: RpcContext) => unknown

export type RpcAuthConfig =
  | { readonly kind: 'cookie'; readonly cookieFile: string }
  | { readonly kind: 'password'; readonly user: string; readonly password: string }

export interface RpcServerComponents {
  logger?: Logger | undefined
  /** Milliseconds clock for `uptime` (default Date.now). */
  now?: (() => number) | undefined
  /** Random source for the cookie (default crypto.randomBytes). */
  randomBytes?: ((n: number) => Buffer) | undefined
}

export interface RpcServerInit {
  /** Where to listen (port 0 picks a free port). Default 127.0.0.1:0. */
  bind?: readonly Endpoint[] | undefined
  /** Extra subnets allowed besides loopback (`-rpcallowip`). */
  allowIp?: readonly SubNet[] | undefined
  /** Allow 127.0.0.0/8 and ::1 (default true, as Core always does); false is for tests. */
  allowLoopback?: boolean | undefined
  auth: RpcAuthConfig
  maxBodyBytes?: number | undefined
  maxInFlight?: number | undefined
  maxConnections?: number | undefined
  maxBatch?: number | undefined
  serverTimeoutMs?: number | undefined
  authFailureDelayMs?: number | undefined
  stopGraceMs?: number | undefined
  /** If given, registers `stop`: replies "<name> stopping", then calls this once the reply is sent. */
  onStopRequest?: (() => void) | undefined
  /** Name in the `stop` reply (default 'btcnode'). */
  programName?: string | undefined
}

interface Method {
  readonly name: string
  readonly handler: RpcHandler
  readonly options: RpcMethodOptions
}

type JsonVersion = '1' | '2'

interface ParsedRequest {
  id: unknown
  hasId: boolean
  version: JsonVersion
  method: string
  params: unknown
}

/** Thrown inside request processing; carries Core's error object. */
class RequestError extends Error {
  readonly error: RpcErrorObject
  constructor(code: number, message: string) {
    super(message)
    this.error = { code, message }
  }
}

/** Most methods that can be registered (a bound; Core has about 150). */
const MAX_METHODS = 1_000

/** Core's uvTypeName. */
export function jsonTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (Array.isArray(v)) return 'array'
  switch (typeof v) {
    case 'boolean':
      return 'bool'
    case 'number':
    case 'bigint':
      return 'number'
    case 'string':
      return 'string'
    default:
      return 'object'
  }
}

function matchesType(type: RpcParamType, v: unknown): boolean {
  const t = jsonTypeName(v)
  switch (type) {
    case 'any':
      return true
    case 'string':
      return t === 'string'
    case 'number':
      return t === 'number'
    case 'boolean':
      return t === 'bool'
    case 'object':
      return t === 'object'
    case 'array':
      return t === 'array'
    case 'amount':
      return t === 'number' || t === 'string'
    case 'range':
      return t === 'number' || t === 'array'
  }
}

function expectedTypeName(type: RpcParamType): string {
  switch (type) {
    case 'boolean':
      return 'bool'
    case 'amount':
      return 'number or string'
    case 'range':
      return 'number or array'
    default:
      return type
  }
}

/** The one-line usage, Core style: `getblock "blockhash" ( verbosity )`. */
export function usageLine(name: string, options: RpcMethodOptions): string {
  const params = options.params ?? []
  const fmt = (p: RpcParamSpec): string => (p.type === 'string' ? `"${p.name}"` : p.name)
  const required = params.filter((p) => !p.optional).map(fmt)
  const optional = params.filter((p) => p.optional).map(fmt)
  return [name, ...required, ...(optional.length > 0 ? [`( ${optional.join(' ')} )`] : [])].join(' ')
}

/** The full help text of a method. */
export function helpText(name: string, options: RpcMethodOptions): string {
  const lines = [usageLine(name, options)]
  if (options.description) lines.push('', options.description)
  const params = options.params ?? []
  if (params.length > 0) {
    lines.push('', 'Arguments:')
    params.forEach((p, i) => {
      const kind = `${expectedTypeName(p.type)}, ${p.optional ? 'optional' : 'required'}`
      lines.push(`${i + 1}. ${p.name}    (${kind})${p.description ? ` ${p.description}` : ''}`)
    })
  }
  return lines.join('\n')
}

export class RpcServer extends Service {
  readonly #logger: Logger
  readonly #now: () => number
  readonly #random: (n: number) => Buffer
  readonly #bind: readonly Endpoint[]
  readonly #allow: readonly SubNet[]
  readonly #auth: RpcAuthConfig
  readonly #maxBody: number
  readonly #maxInFlight: number
  readonly #maxConnections: number
  readonly #maxBatch: number
  readonly #timeoutMs: number
  readonly #authDelayMs: number
  readonly #graceMs: number
  readonly #onStopRequest: (() => void) | undefined
  readonly #programName: string
  /** Registered methods; bounded by MAX_METHODS. */
  readonly #methods = new Map<string, Method>()
  /** Open sockets, tracked from accept; bounded by maxConnections. */
  readonly #sockets = new Set<Socket>()
  /** Sockets whose peer is outside the allow list (weak: gone with the socket). */
  readonly #denied = new WeakSet<Socket>()
  #servers: Server[] = []
  #addresses: Endpoint[] = []
  #credentials: Credentials | undefined
  #user = ''
  #cookieWritten: string | undefined
  #inFlight = 0
  #startedAt = 0
  #stopping = false
  /** Resolves when the last in-flight request finishes. */
  #idle: (() => void) | undefined

  constructor(components: RpcServerComponents, init: RpcServerInit) {
    super()
    this.#logger = (components.logger ?? silentLogger).child({ component: 'rpc' })
    this.#now = components.now ?? Date.now
    this.#random = components.randomBytes ?? randomBytes
    this.#bind = [...(init.bind ?? [{ host: '127.0.0.1', port: 0 }])]
    this.#allow = [...(init.allowLoopback === false ? [] : loopbackSubnets()), ...(init.allowIp ?? [])]
    this.#auth = { ...init.auth }
    this.#maxBody = init.maxBodyBytes ?? RPC_MAX_BODY_BYTES
    this.#maxInFlight = init.maxInFlight ?? RPC_MAX_IN_FLIGHT
    this.#maxConnections = init.maxConnections ?? RPC_MAX_CONNECTIONS
    this.#maxBatch = init.maxBatch ?? RPC_MAX_BATCH
    this.#timeoutMs = init.serverTimeoutMs ?? RPC_SERVER_TIMEOUT_MS
    this.#authDelayMs = init.authFailureDelayMs ?? RPC_AUTH_FAILURE_DELAY_MS
    this.#graceMs = init.stopGraceMs ?? RPC_STOP_GRACE_MS
    this.#onStopRequest = init.onStopRequest
    this.#programName = init.programName ?? 'btcnode'
    this.#registerBuiltins()
  }

  /**
   * Register a method. Names are case-sensitive and lower case as in Core.
   * Registering a name twice replaces the handler.
   */
  register(name: string, handler: RpcHandler, options: RpcMethodOptions = {}): void {
    if (!/^[a-z0-9_]+$/.test(name)) throw new TypeError(`Invalid RPC method name "${name}".`)
    if (!this.#methods.has(name) && this.#methods.size >= MAX_METHODS) {
      throw new RangeError(`Too many RPC methods (max ${MAX_METHODS}).`)
    }
    if (options.params) {
      let seenOptional = false
      for (const p of options.params) {
        if (p.optional) seenOptional = true
        else if (seenOptional)
          throw new TypeError(`RPC method ${name}: required parameter ${p.name} after an optional one.`)
      }
    }
    this.#methods.set(name, { name, handler, options: { ...options } })
  }

  /** Names of the registered methods, sorted. */
  methods(): string[] {
    return [...this.#methods.keys()].sort()
  }

  /** Bound addresses (with the real port when 0 was asked); empty unless started. */
  addresses(): Endpoint[] {
    return this.#addresses.map((a) => ({ ...a }))
  }

  /** The credentials clients must use while started (the cookie, or rpcuser/rpcpassword). */
  get user(): string {
    return this.#user
  }

  #registerBuiltins(): void {
    this.register(
      'help',
      (params) => {
        const command = params[0]
        if (typeof command === 'string' && command !== '') {
          const m = this.#methods.get(command)
          if (!m) return `help: unknown command: ${command}`
          return helpText(m.name, m.options)
        }
        const byCategory = new Map<string, string[]>()
        for (const m of [...this.#methods.values()].sort((a, b) => a.name.localeCompare(b.name))) {
          const cat = m.options.category ?? 'Misc'
          // Core CRPCTable::help: the hidden category is not listed.
          if (cat.toLowerCase() === 'hidden') continue
          const list = byCategory.get(cat) ?? []
          list.push(usageLine(m.name, m.options))
          byCategory.set(cat, list)
        }
        return [...byCategory.keys()]
          .sort()
          .map((cat) => `== ${cat} ==\n${(byCategory.get(cat) ?? []).join('\n')}`)
          .join('\n\n')
      },
      {
        category: 'Control',
        params: [
          { name: 'command', type: 'string', optional: true, description: 'The command to get help on.' },
        ],
        description: 'List all commands, or get help for a specified command.',
      },
    )
    this.register('uptime', () => Math.floor((this.#now() - this.#startedAt) / 1000), {
      category: 'Control',
      params: [],
      description: 'Returns the total uptime of the server, in seconds.',
    })
    if (this.#onStopRequest) {
      const onStop = this.#onStopRequest
      this.register(
        'stop',
        async (params, ctx) => {
          // Core rpc/server.cpp stop(): the hidden `wait` (milliseconds) is
          // slept before the shutdown is requested (functional tests use it).
          const wait = params[0]
          if (typeof wait === 'number' && wait > 0) {
            await new Promise<void>((resolve) => {
              const done = (): void => {
                clearTimeout(t)
                ctx.signal.removeEventListener('abort', done)
                resolve()
              }
              const t = setTimeout(done, Math.min(wait, MAX_STOP_WAIT_MS))
              ctx.signal.addEventListener('abort', done, { once: true })
            })
          }
          // Run after this reply is written (Core: "Bitcoin Core stopping").
          const cancel = (): void => clearTimeout(timer)
          const timer = setTimeout(() => {
            ctx.signal.removeEventListener('abort', cancel)
            onStop()
          }, 0)
          ctx.signal.addEventListener('abort', cancel, { once: true })
          return `${this.#programName} stopping`
        },
        {
          category: 'Control',
          params: [
            { name: 'wait', type: 'number', optional: true, description: 'Milliseconds to wait first.' },
          ],
          description: `Request a graceful shutdown of ${this.#programName}.`,
        },
      )
    }
  }

  protected async onStart(signal: AbortSignal): Promise<void> {
    this.#stopping = false
    this.#startedAt = this.#now()
    // The cookie is made now and written once every listener is bound (as
    // Core: the HTTP server binds before the cookie exists), so a client that
    // waits for the file finds the server listening.
    let cookie: ReturnType<typeof generateCookie> | undefined
    if (this.#auth.kind === 'cookie') {
      cookie = generateCookie(this.#random)
      this.#credentials = new Credentials(cookie.user, cookie.password)
      this.#user = cookie.user
    } else {
      this.#credentials = new Credentials(this.#auth.user, this.#auth.password)
      this.#user = this.#auth.user
    }
    for (const ep of this.#bind) {
      if (signal.aborted) return
      const server = createServer({
        maxHeaderSize: RPC_MAX_HEADER_BYTES,
        requestTimeout: this.#timeoutMs,
        headersTimeout: Math.min(this.#timeoutMs, 60_000),
        keepAliveTimeout: this.#timeoutMs,
      })
      server.on('connection', this.#onConnection)
      server.on('request', this.#onRequest)
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        // Malformed HTTP, oversized headers, timeouts: answer if we still can.
        if (socket.writable && !socket.writableEnded) {
          const status =
            err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
          const reason = STATUS_CODES[status] ?? 'Bad Request'
          socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
        }
        socket.destroy()
      })
      this.#servers.push(server)
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(new RpcBindError(ep.host, ep.port, { cause: err }))
        server.once('error', onError)
        server.listen({ host: ep.host, port: ep.port, exclusive: true }, () => {
          server.off('error', onError)
          resolve()
        })
      })
      server.on('error', (err) => this.#logger.error({ err }, 'RPC server error.'))
      const addr = server.address()
      if (addr && typeof addr === 'object') {
        this.#addresses.push({ host: addr.address, port: addr.port })
        this.#logger.info({ host: addr.address, port: addr.port }, 'RPC server listening.')
      }
    }
    if (cookie && this.#auth.kind === 'cookie' && !signal.aborted) {
      await writeCookie(this.#auth.cookieFile, cookie)
      this.#cookieWritten = this.#auth.cookieFile
      this.#logger.info({ file: this.#auth.cookieFile }, 'Generated RPC authentication cookie.')
    }
  }

  protected async onStop(): Promise<void> {
    this.#stopping = true
    const servers = this.#servers
    this.#servers = []
    this.#addresses = []
    const closed = servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve())
        }),
    )
    for (const s of servers) s.closeIdleConnections()
    // Let in-flight requests finish within the grace period, then cut every socket.
    if (this.#inFlight > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#idle = resolve
        }),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.#graceMs)
        }),
      ])
      clearTimeout(timer)
      this.#idle = undefined
    }
    for (const s of servers) s.closeAllConnections()
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
    await Promise.all(closed)
    if (this.#cookieWritten) {
      const path = this.#cookieWritten
      this.#cookieWritten = undefined
      await deleteCookie(path).catch((err: unknown) =>
        this.#logger.warn({ err, file: path }, 'Could not delete the RPC cookie file.'),
      )
    }
    this.#credentials = undefined
  }

  readonly #onConnection = (socket: Socket): void => {
    if (this.#stopping || this.#sockets.size >= this.#maxConnections) {
      socket.destroy()
      return
    }
    // A socket's peer address does not change: check it once, answer 403 per request.
    if (!this.#allowed(socket.remoteAddress)) this.#denied.add(socket)
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
  }

  #allowed(remote: string | undefined): boolean {
    if (!remote) return false
    // A socket's address, zone dropped, read by the one address parser (Core LookupHost).
    const addr = NetAddress.tryParse(remote.split('%')[0]!)
    return addr !== undefined && this.#allow.some((s) => s.match(addr))
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const remote = req.socket.remoteAddress ?? ''
    if (this.#stopping) {
      res.shouldKeepAlive = false
      this.#reply(res, 503, '')
      req.resume()
      return
    }
    if (this.#denied.has(req.socket)) {
      this.#logger.debug(
        { peer: remote },
        'Rejected an RPC request: client network is not allowed RPC access.',
      )
      this.#reply(res, 403, '')
      req.resume()
      return
    }
    if (req.method !== 'POST') {
      this.#reply(res, 405, 'JSONRPC server handles only POST requests')
      req.resume()
      return
    }
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/') {
      this.#reply(res, 404, '')
      req.resume()
      return
    }
    if (this.#inFlight >= this.#maxInFlight) {
      this.#logger.warn({ max: this.#maxInFlight }, 'Request rejected because the RPC work queue is full.')
      this.#reply(res, 503, 'Work queue depth exceeded')
      req.resume()
      return
    }
    this.#inFlight++
    this.#handle(req, res, remote)
      .catch((err: unknown) => {
        this.#logger.error({ err }, 'Unexpected error while serving an RPC request.')
        if (!res.headersSent) this.#reply(res, 500, '')
      })
      .finally(() => {
        this.#inFlight--
        if (this.#inFlight === 0) this.#idle?.()
      })
  }

  #reply(
    res: ServerResponse,
    status: number,
    body: string,
    json = false,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return
    const h: Record<string, string | number> = { ...headers, 'Content-Length': Buffer.byteLength(body) }
    h['Content-Type'] = json ? 'application/json' : 'text/html; charset=ISO-8859-1'
    res.writeHead(status, h)
    res.end(body)
  }

  async #handle(req: IncomingMessage, res: ServerResponse, remote: string): Promise<void> {
    const header = req.headers.authorization
    if (header === undefined) {
      req.resume()
      this.#reply(res, 401, '', false, { 'WWW-Authenticate': 'Basic realm="jsonrpc"' })
      return
    }
    if (!this.#credentials?.check(header)) {
      req.resume()
      this.#logger.warn({ peer: remote }, 'Incorrect RPC password attempt.')
      await sleep(this.#authDelayMs, this.shutdownSignal).catch(() => {})
      this.#reply(res, 401, '', false, { 'WWW-Authenticate': 'Basic realm="jsonrpc"' })
      return
    }
    const body = await this.#readBody(req)
    if (body === null) {
      res.shouldKeepAlive = false
      this.#reply(res, 413, '')
      return
    }
    const signal = this.shutdownSignal ?? new AbortController().signal
    const ctxBase = { signal, user: this.#user, remoteAddress: remote }
    const send = (status: number, value: unknown): void => {
      this.#reply(res, status, `${stringifyJson(value)}\n`, true)
    }

    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      send(500, replyObject(null, { code: RpcErrorCode.RPC_PARSE_ERROR, message: 'Parse error' }, null, '1'))
      return
    }

    if (Array.isArray(parsed)) {
      if (parsed.length > this.#maxBatch) {
        send(
          400,
          replyObject(
            null,
            {
              code: RpcErrorCode.RPC_INVALID_REQUEST,
              message: `Batch too large (at most ${this.#maxBatch} requests)`,
            },
            null,
            '1',
          ),
        )
        return
      }
      const replies: unknown[] = []
      for (const item of parsed) {
        let request: ParsedRequest | undefined
        let reply: unknown
        try {
          request = parseRequest(item)
          const result = await this.#execute(request, ctxBase)
          reply = replyObject(result, null, request.id, request.version)
        } catch (err) {
          const error = err instanceof RequestError ? err.error : toRpcErrorObject(err)
          reply = replyObject(null, error, request?.id ?? null, request?.version ?? '1')
        }
        if (!(request && request.version === '2' && !request.hasId)) replies.push(reply)
        if (signal.aborted) break
      }
      // An all-notification batch gets no body; an empty batch gets [] (Core keeps that for old clients).
      if (replies.length === 0 && parsed.length > 0) {
        this.#reply(res, 204, '')
        return
      }
      send(200, replies)
      return
    }

    if (parsed === null || typeof parsed !== 'object') {
      send(
        500,
        replyObject(
          null,
          { code: RpcErrorCode.RPC_PARSE_ERROR, message: 'Top-level object parse error' },
          null,
          '1',
        ),
      )
      return
    }

    let request: ParsedRequest
    try {
      request = parseRequest(parsed)
    } catch (err) {
      const error = err instanceof RequestError ? err.error : toRpcErrorObject(err)
      const id = (parsed as Record<string, unknown>)['id'] ?? null
      send(httpStatusForRpcError(error.code), replyObject(null, error, id, '1'))
      return
    }
    try {
      const result = await this.#execute(request, ctxBase)
      if (request.version === '2' && !request.hasId) {
        this.#reply(res, 204, '')
        return
      }
      send(200, replyObject(result, null, request.id, request.version))
    } catch (err) {
      const error = err instanceof RequestError ? err.error : toRpcErrorObject(err)
      if (request.version === '2') {
        if (!request.hasId) this.#reply(res, 204, '')
        else send(200, replyObject(null, error, request.id, '2'))
        return
      }
      send(httpStatusForRpcError(error.code), replyObject(null, error, request.id, '1'))
    }
  }

  /** Read the body, or null once it passes the size limit (the rest is discarded). */
  #readBody(req: IncomingMessage): Promise<Buffer | null> {
    const declared = Number(req.headers['content-length'] ?? '0')
    if (declared > this.#maxBody) {
      req.resume()
      return Promise.resolve(null)
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      let over = false
      req.on('data', (chunk: Buffer) => {
        if (over) return
        size += chunk.length
        if (size > this.#maxBody) {
          over = true
          chunks.length = 0
          resolve(null)
          return
        }
        chunks.push(chunk)
      })
      req.once('end', () => {
        if (!over) resolve(Buffer.concat(chunks))
      })
      req.once('error', reject)
      req.once('close', () => {
        if (!req.complete && !over)
          reject(new Error('The client closed the request before sending all of it.'))
      })
    })
  }

  async #execute(request: ParsedRequest, ctxBase: Omit<RpcContext, 'method' | 'id'>): Promise<unknown> {
    const method = this.#methods.get(request.method)
    if (!method) throw new RequestError(RpcErrorCode.RPC_METHOD_NOT_FOUND, 'Method not found')
    const params = checkParams(method, request.params)
    if (this.#logger.isLevelEnabled('debug')) {
      this.#logger.debug(
        { method: method.name, user: ctxBase.user, peer: ctxBase.remoteAddress },
        'Received an RPC request.',
      )
    }
    const result = await method.handler(params, { ...ctxBase, method: method.name, id: request.id })
    return result === undefined ? null : result
  }
}

/** Core's JSONRPCRequest::parse. */
function parseRequest(value: unknown): ParsedRequest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestError(RpcErrorCode.RPC_INVALID_REQUEST, 'Invalid Request object')
  }
  const obj = value as Record<string, unknown>
  const hasId = Object.hasOwn(obj, 'id')
  const id = hasId ? obj['id'] : null
  let version: JsonVersion = '1'
  const jv = obj['jsonrpc']
  if (jv !== undefined && jv !== null) {
    const fail = (message: string): never => {
      throw Object.assign(new RequestError(RpcErrorCode.RPC_INVALID_REQUEST, message), { id })
    }
    if (typeof jv !== 'string') fail('jsonrpc field must be a string')
    if (jv === '2.0') version = '2'
    else if (jv !== '1.0') fail('JSON-RPC version not supported')
  }
  const m = obj['method']
  if (m === undefined || m === null)
    throw new RequestError(RpcErrorCode.RPC_INVALID_REQUEST, 'Missing method')
  if (typeof m !== 'string')
    throw new RequestError(RpcErrorCode.RPC_INVALID_REQUEST, 'Method must be a string')
  const p = obj['params']
  let params: unknown = []
  if (Array.isArray(p) || (p !== null && typeof p === 'object')) params = p
  else if (p !== undefined && p !== null) {
    throw new RequestError(RpcErrorCode.RPC_INVALID_REQUEST, 'Params must be an array or object')
  }
  return { id, hasId, version, method: m, params }
}

/** Core's JSONRPCReplyObj. */
function replyObject(
  result: unknown,
  error: RpcErrorObject | null,
  id: unknown,
  version: JsonVersion,
): unknown {
  const reply: Record<string, unknown> = {}
  if (version === '2') reply['jsonrpc'] = '2.0'
  if (error === null) {
    reply['result'] = result
    if (version === '1') reply['error'] = null
  } else {
    if (version === '1') reply['result'] = null
    reply['error'] = error
  }
  reply['id'] = id
  return reply
}

/**
 * Named parameters to positional, the count check (Core throws the help text
 * as RPC_MISC_ERROR) and the type check (RPC_TYPE_ERROR "Wrong type passed").
 */
function checkParams(method: Method, raw: unknown): unknown[] {
  const specs = method.options.params
  let params: unknown[]
  if (Array.isArray(raw)) {
    params = [...raw]
  } else {
    if (!specs) {
      throw new RpcError(
        RpcErrorCode.RPC_INVALID_PARAMETER,
        `Method ${method.name} does not take named parameters`,
      )
    }
    const obj = raw as Record<string, unknown>
    params = []
    for (const key of Object.keys(obj)) {
      const i = specs.findIndex((s) => s.name === key)
      if (i === -1) throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, `Unknown named parameter ${key}`)
      params[i] = obj[key]
    }
    for (let i = 0; i < params.length; i++) if (!(i in params)) params[i] = null
  }
  if (specs) {
    const required = specs.filter((s) => !s.optional).length
    if (params.length < required || params.length > specs.length) {
      throw new RpcError(RpcErrorCode.RPC_MISC_ERROR, helpText(method.name, method.options))
    }
    const mismatch: Record<string, string> = {}
    specs.forEach((spec, i) => {
      const v = params[i]
      if (i >= params.length || (spec.optional && v === null)) return
      if (!matchesType(spec.type, v)) {
        mismatch[`Position ${i + 1} (${spec.name})`] =
          `JSON value of type ${jsonTypeName(v)} is not of expected type ${expectedTypeName(spec.type)}`
      }
    })
    if (Object.keys(mismatch).length > 0) {
      throw new RpcError(
        RpcErrorCode.RPC_TYPE_ERROR,
        `Wrong type passed:\n${JSON.stringify(mismatch, null, 4)}`,
      )
    }
    return specs
      .slice(0, Math.max(params.length, 0))
      .map((spec, i) => (spec.optional && params[i] === null ? undefined : params[i]))
  }
  const arity = method.options.arity
  if (arity && (params.length < arity.min || params.length > arity.max)) {
    throw new RpcError(RpcErrorCode.RPC_MISC_ERROR, helpText(method.name, method.options))
  }
  return params
}
