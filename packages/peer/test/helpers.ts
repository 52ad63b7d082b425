/**
 * Test helpers: real TCP on 127.0.0.1 with port 0, a pair of our peers, and a
 * scripted "raw" remote that speaks the wire protocol by hand so tests can
 * send anything, in any order.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import {
  type BlockHeader,
  encodeMessage,
  FrameDecoder,
  type Message,
  type MessageOf,
  networks,
  PROTOCOL_VERSION,
  Services,
} from '@node/wire'
import { type ConnectInit, NonceSet, Peer, type PeerComponents, type PeerInit } from '../src/index.ts'

export const network = networks.regtest
export const magic = network.magic

/** Yield to the event loop without timers (safe under fake timers). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Wait (without timers) until `cond()` holds; gives up after `maxTicks` event-loop turns. */
export async function until(cond: () => boolean, maxTicks = 100_000): Promise<void> {
  for (let i = 0; i < maxTicks; i++) {
    if (cond()) return
    await tick()
  }
  throw new Error('Condition not reached.')
}

export interface Listener {
  port: number
  close(): Promise<void>
}

/** A loopback server on port 0 that hands each accepted socket to `onSocket`. */
export async function listen(onSocket: (socket: Socket) => void): Promise<Listener & { server: Server }> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
    onSocket(s)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no port')
  return {
    server,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Our inbound peers behind a loopback listener. */
export async function peerServer(
  components: PeerComponents = {},
  init: Partial<PeerInit> = {},
): Promise<Listener & { peers: Peer[]; next(): Promise<Peer> }> {
  const peers: Peer[] = []
  const waiting: ((p: Peer) => void)[] = []
  const l = await listen((socket) => {
    const p = Peer.accept(components, socket, { network, ...init })
    peers.push(p)
    waiting.shift()?.(p)
  })
  let taken = 0
  return {
    port: l.port,
    peers,
    next: () => {
      const i = taken++
      const p = peers[i]
      if (p) return Promise.resolve(p)
      return new Promise<Peer>((resolve) => waiting.push(resolve))
    },
    close: async () => {
      for (const p of peers) p.destroy()
      await l.close()
      await Promise.all(peers.map((p) => p.closed))
    },
  }
}

/**
 * Two of our peers connected over loopback, both ready. They play two
 * different nodes, so each side has its own nonce set (a shared one would
 * rightly be detected as a connection to ourselves).
 */
export async function peerPair(
  options: {
    outboundComponents?: PeerComponents
    inboundComponents?: PeerComponents
    inbound?: Partial<PeerInit>
    outbound?: Partial<ConnectInit>
  } = {},
): Promise<{ out: Peer; inp: Peer; close(): Promise<void> }> {
  const srv = await peerServer(options.inboundComponents ?? { nonces: new NonceSet() }, options.inbound)
  const out = await Peer.connect(options.outboundComponents ?? { nonces: new NonceSet() }, {
    network,
    host: '127.0.0.1',
    port: srv.port,
    ...options.outbound,
  })
  const inp = await srv.next()
  await inp.whenReady()
  return {
    out,
    inp,
    close: async () => {
      out.destroy()
      await out.closed
      await srv.close()
    },
  }
}

export function versionMessage(over: Partial<MessageOf<'version'>> = {}): MessageOf<'version'> {
  return {
    command: 'version',
    version: PROTOCOL_VERSION,
    services: Services.NODE_NETWORK | Services.NODE_WITNESS,
    timestamp: BigInt(Math.floor(Date.now() / 1000)),
    addrRecv: { services: 0n, ip: new Uint8Array(16), port: 0 },
    addrFrom: { services: 0n, ip: new Uint8Array(16), port: 0 },
    nonce: 0x1234_5678_9abc_def0n,
    userAgent: '/raw:1.0/',
    startHeight: 7,
    relay: true,
    ...over,
  }
}

/**
 * A hand-driven remote: records every message it receives and sends
 * whatever a test asks, including raw bytes.
 */
export class RawRemote {
  readonly socket: Socket
  readonly received: Message[] = []
  readonly unknown: string[] = []
  readonly decoder = new FrameDecoder({ magic })
  bytesReceived = 0
  closed = false
  readonly #closed: Promise<void>

  constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length
      for (const ev of this.decoder.push(chunk)) {
        if (ev.kind === 'message') this.received.push(ev.message)
        else if (ev.kind === 'unknown') this.unknown.push(ev.command)
      }
    })
    socket.on('error', () => {})
    this.#closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true
        resolve()
      }),
    )
  }

  static async connect(port: number): Promise<RawRemote> {
    const socket = createConnection({ host: '127.0.0.1', port })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawRemote(socket)
  }

  send(m: Message): void {
    this.socket.write(encodeMessage(magic, m))
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes)
  }

  commands(): string[] {
    return this.received.map((m) => m.command)
  }

  /** Wait (without timers) for the first received message of `command` after index `from`. */
  async next<C extends Message['command']>(command: C, from = 0): Promise<MessageOf<C>> {
    for (;;) {
      for (let i = from; i < this.received.length; i++) {
        const m = this.received[i]!
        if (m.command === command) return m as MessageOf<C>
      }
      if (this.closed) throw new Error(`closed before ${command}; got ${this.commands().join(',')}`)
      await tick()
    }
  }

  /** Wait for the `n`-th (1-based) message of `command`. */
  async nth<C extends Message['command']>(command: C, n: number): Promise<MessageOf<C>> {
    for (;;) {
      const all = this.received.filter((m) => m.command === command)
      if (all.length >= n) return all[n - 1] as MessageOf<C>
      if (this.closed) throw new Error(`closed before ${command} #${n}; got ${this.commands().join(',')}`)
      await tick()
    }
  }

  /** Play the outbound side of the handshake against our inbound peer. */
  async handshakeAsClient(version: Partial<MessageOf<'version'>> = {}, extra: Message[] = []): Promise<void> {
    this.send(versionMessage(version))
    await this.next('version')
    for (const m of extra) this.send(m)
    this.send({ command: 'verack' })
    await this.next('verack')
  }

  /** Play the inbound side: answer our outbound peer's version. */
  async handshakeAsServer(version: Partial<MessageOf<'version'>> = {}, extra: Message[] = []): Promise<void> {
    await this.next('version')
    this.send(versionMessage(version))
    for (const m of extra) this.send(m)
    this.send({ command: 'verack' })
    await this.next('verack')
  }

  waitClosed(): Promise<void> {
    return this.#closed
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** A raw remote listening for our outbound peer. */
export async function rawServer(): Promise<Listener & { next(): Promise<RawRemote> }> {
  const remotes: RawRemote[] = []
  const waiting: ((r: RawRemote) => void)[] = []
  const l = await listen((socket) => {
    const r = new RawRemote(socket)
    remotes.push(r)
    waiting.shift()?.(r)
  })
  let taken = 0
  return {
    port: l.port,
    next: () => {
      const r = remotes[taken++]
      if (r) return Promise.resolve(r)
      return new Promise<RawRemote>((resolve) => waiting.push(resolve))
    },
    close: async () => {
      for (const r of remotes) r.destroy()
      await l.close()
    },
  }
}

/** A regtest-style header (not valid PoW; the peer does not check). */
export function header(i: number): BlockHeader {
  const prev = new Uint8Array(32)
  prev[0] = i & 0xff
  prev[1] = (i >> 8) & 0xff
  return {
    version: 4,
    prevBlock: prev,
    merkleRoot: new Uint8Array(32).fill(1),
    time: 1_700_000_000 + i,
    bits: 0x207fffff,
    nonce: i,
  }
}

/** A CompactSize prefix. */
export function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n)
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8)
  return Uint8Array.of(0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff)
}
