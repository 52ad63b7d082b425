/**
 * Small components for testing the compliance suite itself: one that keeps
 * the Startable contract, and broken ones that each break one rule.
 */
import { EventEmitter } from 'node:events'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { type AbortOptions, Service, type Startable, type Status, sleep } from '@node/runtime'

/** Listens on 127.0.0.1:0 and ticks every 10 ms; cleans up everything on stop. */
export class TickService extends Service {
  readonly events = new EventEmitter()
  #server: Server | undefined
  #timer: NodeJS.Timeout | undefined
  // Bounded by the test: at most a handful of loopback connections.
  readonly #sockets = new Set<Socket>()

  get port(): number {
    const addr = this.#server?.address()
    return addr && typeof addr === 'object' ? addr.port : 0
  }

  protected async onStart(signal: AbortSignal): Promise<void> {
    const server = createServer((socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
      socket.on('error', () => {})
      this.events.emit('connection')
    })
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    if (signal.aborted) return
    this.#timer = setInterval(() => this.events.emit('tick'), 10)
  }

  protected async onStop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    for (const socket of this.#sockets) socket.destroy()
    const server = this.#server
    this.#server = undefined
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Open a client connection to the service and wait until the service has seen it. */
  async connectClient(): Promise<Socket> {
    const seen = new Promise<void>((resolve) => this.events.once('connection', () => resolve()))
    const client = createConnection({ host: '127.0.0.1', port: this.port })
    client.on('error', () => {})
    await seen
    return client
  }
}

/** Forgets its interval and its server on stop. */
export class LeakyService extends Service {
  #server: Server | undefined
  #timer: NodeJS.Timeout | undefined

  protected async onStart(): Promise<void> {
    this.#server = createServer()
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', () => resolve()))
    this.#timer = setInterval(() => {}, 1_000)
  }

  protected async onStop(): Promise<void> {
    // The bug under test: nothing is cleaned up.
  }

  /** What onStop() should have done; lets the test leave the process clean. */
  async reallyCleanUp(): Promise<void> {
    clearInterval(this.#timer)
    const server = this.#server
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** Emits one last event 20 ms after stop() has resolved. */
export class LateEmitterService extends Service {
  readonly events = new EventEmitter()

  protected async onStart(): Promise<void> {}

  protected async onStop(): Promise<void> {
    setTimeout(() => this.events.emit('stopped-late'), 20)
  }
}

/** A hand-written Startable whose stop() throws when it was never started. */
export class StopBeforeStartThrows implements Startable {
  status: Status = 'stopped'
  #started = false
  async start(): Promise<void> {
    this.#started = true
    this.status = 'started'
  }
  async stop(): Promise<void> {
    if (!this.#started) throw new Error('not started')
    this.status = 'stopped'
  }
}

/** A hand-written Startable whose second start() rejects instead of joining the first. */
export class SecondStartRejects implements Startable {
  status: Status = 'stopped'
  async start(): Promise<void> {
    if (this.status !== 'stopped') throw new Error('already starting')
    this.status = 'starting'
    await sleep(5)
    this.status = 'started'
  }
  async stop(): Promise<void> {
    this.status = 'stopped'
  }
}

/** start() takes 200 ms and ignores stop(); stop() waits for it. Unbounded in spirit. */
export class StopWaitsForSlowStart implements Startable {
  status: Status = 'stopped'
  #starting: Promise<void> | undefined
  start(_options?: AbortOptions): Promise<void> {
    this.#starting ??= (async () => {
      this.status = 'starting'
      await sleep(200)
      this.status = 'started'
    })()
    return this.#starting
  }
  async stop(): Promise<void> {
    await this.#starting
    this.#starting = undefined
    this.status = 'stopped'
  }
}
