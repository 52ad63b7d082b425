/**
 * Test helpers for the server's socket tests: a throwaway data directory, a
 * server on 127.0.0.1 port 0 with seeding off, a raw peer that speaks the
 * wire protocol from any 127.x.y.z source address, a logger that records, a
 * clock the test moves by hand, and bounded waits.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net, { type Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { mineBlock } from '@node/chain'
import type { Logger } from '@node/runtime'
import {
  encodeMessage,
  FrameDecoder,
  frame,
  type Message,
  type NetworkParams,
  networks,
  PROTOCOL_VERSION,
  Services,
} from '@node/wire'
import { createNode, type Server, type ServerComponents, type ServerInit } from '../src/index.ts'

export const regtest = networks.regtest

/** Directories and servers made by the helpers, for `cleanup()`. */
const dirs: string[] = []
const servers = new Set<Server>()
const raws = new Set<RawPeer>()

export function tmpDir(prefix = 'server-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix))
  dirs.push(d)
  return d
}

/** Stop every server and raw peer the helpers made, and delete their directories. */
export async function cleanup(): Promise<void> {
  for (const r of raws) r.destroy()
  raws.clear()
  await Promise.all([...servers].map((s) => s.stop()))
  servers.clear()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** A server on 127.0.0.1 port 0: no seeding, loopback routable, no feelers; not started. */
export function makeServer(init: Partial<ServerInit> = {}, components: ServerComponents = {}): Server {
  const s = createNode(
    {
      network: regtest,
      dataDir: init.dataDir ?? tmpDir(),
      bind: ['127.0.0.1:0'],
      dnsSeed: false,
      fixedSeeds: false,
      localRoutable: true,
      progressIntervalMs: 0,
      feelerIntervalMs: 0,
      ...init,
    },
    { resolve: async () => [], ...components },
  )
  servers.add(s)
  return s
}

export async function startServer(
  init: Partial<ServerInit> = {},
  components: ServerComponents = {},
): Promise<Server> {
  const s = makeServer(init, components)
  await s.start()
  return s
}

/** Poll `cond` every 10 ms; throw after `ms`. */
export async function until(cond: () => boolean, ms = 10_000, what = 'a condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`)
    await delay(10)
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolve with `p`, or reject after `ms` (the timer is cleared either way). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms.`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Mine `n` regtest blocks on `s` (submitted as if mined locally). */
export async function mine(s: Server, n: number, extraNonce = 0): Promise<void> {
  for (let i = 0; i < n; i++) {
    const tip = s.blockManager.chain.tip
    const b = mineBlock({
      network: s.network,
      prev: { hash: tip.hash, height: tip.height, time: tip.time },
      payTo: Uint8Array.of(0x51),
      time: Math.max(tip.time + 1, Math.floor(Date.now() / 1000) - 7200 + tip.height),
      extraNonce,
    })
    await s.blockManager.submitBlock(b)
  }
}

/** A clock the test moves by hand (for `components.now`). */
export class ManualClock {
  t: number
  constructor(start = Date.now()) {
    this.t = start
  }
  readonly now = (): number => this.t
  advance(ms: number): void {
    this.t += ms
  }
}

export interface LogRecord {
  level: string
  msg: string
  fields: Record<string, unknown>
}

/** A pino-shaped logger that keeps every record (bounded: the newest 10,000). */
export function recordingLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = []
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: string) =>
      (a?: unknown, b?: unknown): void => {
        const fields = typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : {}
        const msg = typeof a === 'string' ? a : typeof b === 'string' ? b : ''
        records.push({ level, msg, fields: { ...bindings, ...fields } })
        if (records.length > 10_000) records.shift()
      }
    return {
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      fatal: at('fatal'),
      child: (more) => make({ ...bindings, ...more }),
      isLevelEnabled: () => true,
    } as Logger
  }
  return { logger: make({}), records }
}

// --- a raw peer -------------------------------------------------------------------

export interface RawConnectOptions {
  port: number
  /** Source address, any 127.x.y.z on Linux (default 127.0.0.1). */
  localAddress?: string | undefined
  network?: NetworkParams | undefined
}

export interface HandshakeOptions {
  relay?: boolean | undefined
  services?: bigint | undefined
  /** Send `sendaddrv2` before verack (default false: addresses come as `addr`). */
  addrV2?: boolean | undefined
}

/**
 * One TCP connection that speaks the wire protocol by hand: the remote side
 * of a server's peer, with full control over what is sent (and what is not).
 * It answers pings and records every message it receives.
 */
export class RawPeer {
  readonly socket: Socket
  readonly network: NetworkParams
  readonly received: Message[] = []
  readonly closed: Promise<void>
  readonly #decoder: FrameDecoder
  readonly #waiters = new Set<() => void>()
  #isClosed = false
  answerPings = true

  private constructor(socket: Socket, network: NetworkParams) {
    this.socket = socket
    this.network = network
    raws.add(this)
    this.#decoder = new FrameDecoder({ magic: network.magic })
    this.closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.#isClosed = true
        raws.delete(this)
        this.#wake()
        resolve()
      })
    })
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      for (const ev of this.#decoder.push(chunk)) {
        if (ev.kind !== 'message') continue
        this.received.push(ev.message)
        if (this.received.length > 100_000) this.received.shift()
        if (ev.message.command === 'ping' && this.answerPings) {
          this.send({ command: 'pong', nonce: ev.message.nonce })
        }
      }
      this.#wake()
    })
  }

  /** Connect (no handshake yet). Rejects if the connection fails. */
  static connect(o: RawConnectOptions): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host: '127.0.0.1',
        port: o.port,
        localAddress: o.localAddress ?? '127.0.0.1',
        noDelay: true,
      })
      socket.once('error', reject)
      socket.once('connect', () => {
        socket.off('error', reject)
        resolve(new RawPeer(socket, o.network ?? regtest))
      })
    })
  }

  /** Wrap an accepted socket (the remote side of a server's outbound dial). */
  static wrap(socket: Socket, network: NetworkParams = regtest): RawPeer {
    return new RawPeer(socket, network)
  }

  /** Connect and complete the version handshake as the dialling side. */
  static async open(o: RawConnectOptions & HandshakeOptions): Promise<RawPeer> {
    const p = await RawPeer.connect(o)
    await p.handshake(o)
    return p
  }

  get isClosed(): boolean {
    return this.#isClosed
  }

  send(m: Message): void {
    if (!this.#isClosed) this.socket.write(encodeMessage(this.network.magic, m))
  }

  /** A frame with any payload (for messages the encoder would refuse). */
  sendFrame(command: string, payload: Uint8Array): void {
    if (!this.#isClosed) this.socket.write(frame(this.network.magic, command, payload))
  }

  version(o: HandshakeOptions = {}): Message {
    return {
      command: 'version',
      version: PROTOCOL_VERSION,
      services: o.services ?? Services.NODE_NETWORK | Services.NODE_WITNESS,
      timestamp: BigInt(Math.floor(Date.now() / 1000)),
      addrRecv: { services: 0n, ip: new Uint8Array(16), port: 0 },
      addrFrom: { services: 0n, ip: new Uint8Array(16), port: 0 },
      nonce: randomBytes(8).readBigUInt64LE(0),
      userAgent: '/raw-test:0.0/',
      startHeight: 0,
      relay: o.relay ?? true,
    }
  }

  /** As the dialling side: send version (and verack) and wait for the other side's verack. */
  async handshake(o: HandshakeOptions = {}, ms = 5_000): Promise<void> {
    this.send(this.version(o))
    await this.waitFor('version', ms)
    if (o.addrV2) this.send({ command: 'sendaddrv2' })
    this.send({ command: 'verack' })
    await this.waitFor('verack', ms)
  }

  /** As the answering side (an outbound dial of the server reached us). */
  async answerHandshake(o: HandshakeOptions = {}, ms = 5_000): Promise<Message & { command: 'version' }> {
    const v = (await this.waitFor('version', ms)) as Message & { command: 'version' }
    this.send(this.version(o))
    if (o.addrV2) this.send({ command: 'sendaddrv2' })
    this.send({ command: 'verack' })
    await this.waitFor('verack', ms)
    return v
  }

  count(command: string): number {
    return this.received.filter((m) => m.command === command).length
  }

  /** The first received message with this command (or matching `pred`); waits up to `ms`. */
  async waitFor(command: string, ms = 5_000, pred: (m: Message) => boolean = () => true): Promise<Message> {
    const end = Date.now() + ms
    for (;;) {
      const m = this.received.find((x) => x.command === command && pred(x))
      if (m) return m
      if (this.#isClosed) throw new Error(`The connection closed before '${command}' arrived.`)
      const left = end - Date.now()
      if (left <= 0) throw new Error(`No '${command}' within ${ms} ms.`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left)
        function done(): void {
          clearTimeout(timer)
          resolve()
        }
        this.#waiters.add(done)
      })
    }
  }

  /** Resolves true if the connection closes within `ms`. */
  async closesWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const r = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms)
      }),
    ])
    clearTimeout(timer)
    return r
  }

  destroy(): void {
    this.socket.destroy()
  }

  #wake(): void {
    const ws = [...this.#waiters]
    this.#waiters.clear()
    for (const w of ws) w()
  }
}
