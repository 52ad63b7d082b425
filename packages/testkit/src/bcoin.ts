/**
 * bcoin 1.0.2 regtest nodes as real peers for tests and benchmarks.
 *
 * ```ts
 * const a = await startBcoin({ segwitGenesis: true })
 * const b = await startBcoin({ connect: [`127.0.0.1:${a.p2pPort}`] })
 * try {
 *   await mine(a, 200)
 *   await waitForHeight(b, 200, { timeoutMs: 30_000 })
 * } finally {
 *   await Promise.all([a.stop(), b.stop()])
 * }
 * ```
 *
 * Each node is a child process running `bcoin/launch.cjs`, which keeps bcoin
 * on loopback (see that file and the README). Ports come from freePorts();
 * RPC is JSON over HTTP to 127.0.0.1 with a random per-node API key.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { TimeoutError } from '@node/runtime'
import { assertCapacity, track } from './children.ts'
import {
  BCOIN_PORT_ATTEMPTS,
  BCOIN_READY_TIMEOUT_MS,
  BCOIN_RPC_TIMEOUT_MS,
  BCOIN_STOP_TIMEOUT_MS,
  MINE_BATCH,
  REGTEST_MINING_ADDRESS,
  STDERR_TAIL_BYTES,
} from './constants.ts'
import { BcoinRpcError, BcoinStartError } from './errors.ts'
import { freePorts } from './resources.ts'

/** Absolute path of the loopback-only launcher (CommonJS, run with plain `node`). */
export const BCOIN_LAUNCHER: string = fileURLToPath(new URL('../bcoin/launch.cjs', import.meta.url))

export interface StartBcoinOptions {
  /** Outbound peers, `host:port` on loopback only (127.0.0.0/8, [::1], localhost). */
  connect?: readonly string[] | undefined
  /** Segwit active from genesis, as in Core's regtest (stock bcoin: from height 432). */
  segwitGenesis?: boolean | undefined
  /**
   * Connect blocks up to this height without checking their scripts, like
   * Core's -assumevalid (coins are still spent and created, the block checks
   * still run). bcoin verifies signatures in pure JS (a few hundred a
   * second), so a node that only needs to hold a generated chain, or a
   * measurement of bcoin's sync without signature checks, uses this.
   */
  assumeValidHeight?: number | undefined
  /**
   * Enforce BIP66, BIP65 (CHECKLOCKTIMEVERIFY) and CSV (BIP68/112/113) from
   * height 1, as Core's regtest does (stock bcoin: BIP66 and BIP65 from 1251
   * and 1351, CSV once signalled through BIP9), so that a failing CLTV or CSV
   * and an unmet relative lock are rejected on a short chain.
   */
  coreScriptHeights?: boolean | undefined
  /**
   * A folder with bcrypto native addons built outside the install
   * (`secp256k1.node`, and `bcrypto.node` if it built): bcoin then verifies
   * signatures with libsecp256k1 instead of bcrypto's JavaScript. The
   * benchmark builds it on demand (bench/native-crypto.ts); the normal
   * install builds nothing. The node refuses to start if the addon does not load.
   */
  nativeCryptoDir?: string | undefined
  /** Turn on bcoin's debug log and copy the launcher's output to this process's stderr. */
  log?: boolean | undefined
  /** How long to wait for READY before killing the launcher (default {@link BCOIN_READY_TIMEOUT_MS}). */
  readyTimeoutMs?: number | undefined
  /** How long stop() waits after SIGTERM before SIGKILL (default {@link BCOIN_STOP_TIMEOUT_MS}). */
  stopTimeoutMs?: number | undefined
}

export interface RpcOptions {
  /** Bound on this call (default {@link BCOIN_RPC_TIMEOUT_MS}). */
  timeoutMs?: number | undefined
}

export interface BcoinNode {
  /** P2P port on 127.0.0.1. */
  readonly p2pPort: number
  /** JSON-RPC port on 127.0.0.1. */
  readonly rpcPort: number
  /** Process id of the launcher (the bcoin node itself). */
  readonly pid: number
  /** `127.0.0.1:<p2pPort>`, ready for another node's `connect`. */
  readonly p2pAddress: string
  /** True once the process has exited. */
  readonly exited: boolean
  /** bcrypto's backends in that process: ECDSA `native` (libsecp256k1) or `js`; SHA-256 `native`, `node` (OpenSSL) or `js`. */
  readonly crypto: CryptoBackends
  /** Call a bitcoind-style JSON-RPC method (bcoin's names and parameters). */
  rpc<T = unknown>(method: string, params?: readonly unknown[], options?: RpcOptions): Promise<T>
  /** SIGTERM, wait for exit up to the stop timeout, then SIGKILL. Idempotent. */
  stop(): Promise<void>
}

export interface CryptoBackends {
  readonly secp256k1: 'native' | 'js'
  readonly sha256: 'native' | 'node' | 'js'
}

interface Ready {
  port: number
  httpPort: number
  pid: number
  crypto: CryptoBackends
}

/** Keeps the last `max` bytes written to a stream, for error messages. */
class Tail {
  #text = ''
  readonly #max: number
  constructor(max: number) {
    this.#max = max
  }
  push(chunk: string): void {
    this.#text = (this.#text + chunk).slice(-this.#max)
  }
  toString(): string {
    return this.#text.trim()
  }
}

class BcoinProcess implements BcoinNode {
  readonly p2pPort: number
  readonly rpcPort: number
  readonly pid: number
  readonly p2pAddress: string
  readonly crypto: CryptoBackends
  readonly #child: ChildProcess
  readonly #apiKey: string
  readonly #stopTimeoutMs: number
  readonly #closed: Promise<void>
  #exited = false
  #stopping: Promise<void> | undefined

  constructor(
    child: ChildProcess,
    ready: Ready,
    apiKey: string,
    stopTimeoutMs: number,
    closed: Promise<void>,
  ) {
    this.#child = child
    this.#apiKey = apiKey
    this.#stopTimeoutMs = stopTimeoutMs
    this.p2pPort = ready.port
    this.rpcPort = ready.httpPort
    this.pid = ready.pid
    this.p2pAddress = `127.0.0.1:${ready.port}`
    this.crypto = ready.crypto
    this.#closed = closed.then(() => {
      this.#exited = true
    })
  }

  get exited(): boolean {
    return this.#exited
  }

  rpc<T = unknown>(method: string, params: readonly unknown[] = [], options: RpcOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? BCOIN_RPC_TIMEOUT_MS
    const body = JSON.stringify({ jsonrpc: '1.0', id: 1, method, params })
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.rpcPort,
          method: 'POST',
          path: '/',
          // No keep-alive pool: nothing stays open between calls (leak checks stay clean).
          agent: false,
          timeout: timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Basic ${Buffer.from(`testkit:${this.#apiKey}`).toString('base64')}`,
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', (err) => reject(new BcoinRpcError(method, null, err.message, { cause: err })))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let reply: { result?: unknown; error?: { code?: number; message?: string } | null }
            try {
              reply = JSON.parse(text) as typeof reply
            } catch {
              reject(new BcoinRpcError(method, null, `HTTP ${res.statusCode}: ${text.slice(0, 200)}`))
              return
            }
            if (reply.error) {
              reject(
                new BcoinRpcError(method, reply.error.code ?? null, reply.error.message ?? 'unknown error'),
              )
              return
            }
            resolve(reply.result as T)
          })
        },
      )
      req.on('timeout', () => req.destroy(new TimeoutError(`bcoin RPC ${method} took over ${timeoutMs} ms.`)))
      req.on('error', (err) => reject(new BcoinRpcError(method, null, err.message, { cause: err })))
      req.end(body)
    })
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    if (this.#exited) return
    this.#child.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#stopTimeoutMs)
    })
    try {
      if ((await Promise.race([this.#closed.then(() => 'closed' as const), late])) === 'late') {
        this.#child.kill('SIGKILL')
        await this.#closed
      }
    } finally {
      clearTimeout(timer)
    }
  }
}

/** Resolves when the child has exited and its stdio pipes are closed. */
function whenClosed(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  // 'close' always follows 'exit', once the stdio pipes have closed too.
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
}

async function launchOnce(
  options: StartBcoinOptions,
): Promise<{ node: BcoinNode } | { retry: true; error: BcoinStartError }> {
  assertCapacity()
  const [port, httpPort] = (await freePorts(2)) as [number, number]
  const apiKey = randomBytes(24).toString('hex')
  const args = [BCOIN_LAUNCHER, `--port=${port}`, `--http-port=${httpPort}`, '--exit-with-parent=1']
  if (options.connect && options.connect.length > 0) args.push(`--connect=${options.connect.join(',')}`)
  if (options.segwitGenesis) args.push('--segwit-genesis=1')
  if (options.coreScriptHeights) args.push('--core-script-heights=1')
  if (options.assumeValidHeight !== undefined && options.assumeValidHeight > 0) {
    args.push(`--assume-valid=${Math.floor(options.assumeValidHeight)}`)
  }
  if (options.nativeCryptoDir) args.push(`--native-crypto=${options.nativeCryptoDir}`)
  if (options.log) args.push('--log=1')
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_BACKEND: 'js', TESTKIT_BCOIN_API_KEY: apiKey }
  // The launcher is plain CommonJS: keep loaders meant for this process (tsx, vitest) out of it.
  Reflect.deleteProperty(env, 'NODE_OPTIONS')

  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env })
  track(child)
  const closed = whenClosed(child)
  const stderr = new Tail(STDERR_TAIL_BYTES)
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr.push(chunk)
    if (options.log) process.stderr.write(chunk)
  })
  // stdin is only the parent-liveness pipe; swallow EPIPE if the child is already gone.
  child.stdin?.on('error', () => {})
  child.on('error', (err) => stderr.push(`spawn error: ${err.message}\n`))

  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const timeoutMs = options.readyTimeoutMs ?? BCOIN_READY_TIMEOUT_MS
  let timer: NodeJS.Timeout | undefined
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new BcoinStartError(`bcoin did not say READY within ${timeoutMs} ms.`, null, 'SIGKILL', ''))
      }, timeoutMs)
      lines.on('line', (line) => {
        if (options.log) process.stderr.write(`${line}\n`)
        if (!line.startsWith('READY ')) return
        try {
          resolve(JSON.parse(line.slice('READY '.length)) as Ready)
        } catch {
          child.kill('SIGKILL')
          reject(new BcoinStartError(`bcoin printed a malformed READY line: ${line}`, null, null, ''))
        }
      })
      void closed.then(({ code, signal }) =>
        reject(new BcoinStartError('bcoin exited before it was ready.', code, signal, '')),
      )
    })
    return {
      node: new BcoinProcess(
        child,
        ready,
        apiKey,
        options.stopTimeoutMs ?? BCOIN_STOP_TIMEOUT_MS,
        closed.then(() => {}),
      ),
    }
  } catch (err) {
    await closed
    const e = err as BcoinStartError
    const error = new BcoinStartError(e.message.split('\n')[0] ?? '', e.exitCode, e.signal, stderr.toString())
    if (/EADDRINUSE/.test(error.stderr)) return { retry: true, error }
    throw error
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Start a bcoin regtest node on loopback and wait until it listens. If a
 * chosen port was taken in between, retries with fresh ports
 * ({@link BCOIN_PORT_ATTEMPTS} attempts in all).
 */
export async function startBcoin(options: StartBcoinOptions = {}): Promise<BcoinNode> {
  let last: BcoinStartError | undefined
  for (let attempt = 0; attempt < BCOIN_PORT_ATTEMPTS; attempt++) {
    const r = await launchOnce(options)
    if ('node' in r) return r.node
    last = r.error
  }
  throw last as BcoinStartError
}

/**
 * Mine `n` blocks to `address` (default: the public test key's address) with
 * `generatetoaddress`, in batches of {@link MINE_BATCH}. Returns the block
 * hashes in order (RPC byte order, as shown by explorers).
 */
export async function mine(
  node: BcoinNode,
  n: number,
  address: string = REGTEST_MINING_ADDRESS,
  options: RpcOptions = {},
): Promise<string[]> {
  const hashes: string[] = []
  while (hashes.length < n) {
    const batch = Math.min(MINE_BATCH, n - hashes.length)
    hashes.push(...(await node.rpc<string[]>('generatetoaddress', [batch, address], options)))
  }
  return hashes
}

/** Height of the node's best chain. */
export function getBlockCount(node: BcoinNode): Promise<number> {
  return node.rpc<number>('getblockcount')
}

/** Hash (RPC byte order) of the best block. */
export function getBestBlockHash(node: BcoinNode): Promise<string> {
  return node.rpc<string>('getbestblockhash')
}

/** Hash (RPC byte order) of the block at `height` on the best chain. */
export function getBlockHash(node: BcoinNode, height: number): Promise<string> {
  return node.rpc<string>('getblockhash', [height])
}

/** The serialized block (with witness data) for `hash` (RPC byte order). */
export async function getRawBlock(node: BcoinNode, hash: string): Promise<Buffer> {
  return Buffer.from(await node.rpc<string>('getblock', [hash, false]), 'hex')
}

/** The serialized block at `height` on the best chain. */
export async function getRawBlockAt(node: BcoinNode, height: number): Promise<Buffer> {
  return getRawBlock(node, await getBlockHash(node, height))
}

export interface WaitOptions {
  /** Give up after this long (required: every wait is bounded). */
  timeoutMs: number
  /** Poll interval (default 50 ms). */
  intervalMs?: number | undefined
}

/** Poll until the node's height is at least `height`; TimeoutError after `timeoutMs`. */
export async function waitForHeight(node: BcoinNode, height: number, options: WaitOptions): Promise<number> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const now = await node.rpc<number>('getblockcount', [], { timeoutMs: Math.max(1, deadline - Date.now()) })
    if (now >= height) return now
    if (Date.now() >= deadline) {
      throw new TimeoutError(`bcoin stayed at height ${now} < ${height} for ${options.timeoutMs} ms.`)
    }
    await new Promise<void>((resolve) => setTimeout(resolve, options.intervalMs ?? 50))
  }
}

/** True while a process with this pid exists (signal 0 probes without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
