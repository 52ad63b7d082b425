/**
 * A SOCKS5 client for outbound connections through a proxy (`-proxy`, Tor),
 * as Core's `Socks5()` in netbase.cpp does it (RFC 1928, with RFC 1929
 * username/password authentication):
 *
 * - the greeting offers "no authentication", and "username/password" too when
 *   credentials are given; Core gives random credentials to every connection
 *   with `-proxyrandomize` (the default) so Tor puts each peer on its own
 *   circuit (stream isolation);
 * - CONNECT always names the destination as a domain name (ATYP 3), IP
 *   literals and `.onion` names alike, so the proxy resolves it and no DNS
 *   lookup leaks from us;
 * - each step waits at most `timeoutMs` (Core SOCKS5_RECV_TIMEOUT, 20 s);
 * - reply codes are reported with Core's words, Tor's extended codes included.
 *
 * The returned socket is past the SOCKS5 exchange: whatever arrives after the
 * reply belongs to the peer and is put back in front of the stream.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { NodeError } from '@node/runtime'

/** Core SOCKS5_RECV_TIMEOUT. */
export const SOCKS5_TIMEOUT_MS = 20_000

export interface ProxyCredentials {
  username: string
  password: string
}

export interface Socks5Options {
  proxyHost: string
  proxyPort: number
  /** Destination: an IP literal or a host name (for Tor, a `.onion` name). */
  host: string
  port: number
  /** Offer username/password authentication with these (Core `-proxyrandomize`). */
  credentials?: ProxyCredentials | undefined
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
}

/** The proxy failed, refused or broke the SOCKS5 exchange. */
export class Socks5Error extends NodeError {
  /** The reply code (REP) when the proxy answered the CONNECT with one. */
  readonly reply: number | undefined
  constructor(message: string, reply?: number, options?: { cause?: unknown }) {
    super('SOCKS5_FAILED', message, options)
    this.name = 'Socks5Error'
    this.reply = reply
  }
}

/** Core's words for each SOCKS5 reply code (netbase.cpp Socks5ErrorString). */
export function socks5ReplyText(code: number): string {
  switch (code) {
    case 0x01:
      return 'general failure'
    case 0x02:
      return 'connection not allowed'
    case 0x03:
      return 'network unreachable'
    case 0x04:
      return 'host unreachable'
    case 0x05:
      return 'connection refused'
    case 0x06:
      return 'TTL expired'
    case 0x07:
      return 'protocol error'
    case 0x08:
      return 'address type not supported'
    case 0xf0:
      return 'onion service descriptor can not be found'
    case 0xf1:
      return 'onion service descriptor is invalid'
    case 0xf2:
      return 'onion service introduction failed'
    case 0xf3:
      return 'onion service rendezvous failed'
    case 0xf4:
      return 'onion service missing client authorization'
    case 0xf5:
      return 'onion service wrong client authorization'
    case 0xf6:
      return 'onion service invalid address'
    case 0xf7:
      return 'onion service introduction timed out'
    default:
      return `unknown (0x${code.toString(16).padStart(2, '0')})`
  }
}

const VERSION = 0x05
const METHOD_NONE = 0x00
const METHOD_USER_PASS = 0x02
const CMD_CONNECT = 0x01
const ATYP_IPV4 = 0x01
const ATYP_DOMAIN = 0x03
const ATYP_IPV6 = 0x04

/**
 * Reads exact byte counts from a socket during the exchange. Bytes beyond
 * what was asked stay buffered; `rest()` hands them back at the end.
 */
class ExactReader {
  readonly #socket: Socket
  #buf: Buffer = Buffer.alloc(0)
  #want: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined
  #failed: Error | undefined

  constructor(socket: Socket) {
    this.#socket = socket
    socket.on('data', this.#onData)
    socket.on('close', this.#onClose)
    socket.on('error', this.#onError)
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
    this.#serve()
  }

  readonly #onClose = (): void => {
    this.fail(new Socks5Error('The proxy closed the connection during the SOCKS5 exchange.'))
  }

  readonly #onError = (err: Error): void => {
    this.fail(new Socks5Error(`The proxy connection failed: ${err.message}`, undefined, { cause: err }))
  }

  fail(err: Error): void {
    this.#failed ??= err
    const w = this.#want
    this.#want = undefined
    w?.reject(this.#failed)
  }

  #serve(): void {
    const w = this.#want
    if (!w || this.#buf.length < w.n) return
    this.#want = undefined
    const out = this.#buf.subarray(0, w.n)
    this.#buf = this.#buf.subarray(w.n)
    w.resolve(out)
  }

  read(n: number): Promise<Buffer> {
    if (this.#failed) return Promise.reject(this.#failed)
    return new Promise((resolve, reject) => {
      this.#want = { n, resolve, reject }
      this.#serve()
    })
  }

  /** Detach and return what arrived beyond the exchange. */
  detach(): Buffer {
    this.#socket.off('data', this.#onData)
    this.#socket.off('close', this.#onClose)
    this.#socket.off('error', this.#onError)
    return this.#buf
  }
}

/**
 * Connect to `host:port` through the SOCKS5 proxy. Resolves with the socket
 * once the proxy reports success; rejects with a {@link Socks5Error} (and
 * closes the socket) otherwise.
 */
export async function socks5Connect(o: Socks5Options): Promise<Socket> {
  const host = Buffer.from(o.host, 'utf8')
  if (host.length === 0 || host.length > 255)
    throw new Socks5Error('The destination name is too long for SOCKS5.')
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 0xffff)
    throw new Socks5Error('Bad destination port.')
  const cred = o.credentials
  const user = cred ? Buffer.from(cred.username, 'utf8') : undefined
  const pass = cred ? Buffer.from(cred.password, 'utf8') : undefined
  if ((user && user.length > 255) || (pass && pass.length > 255)) {
    throw new Socks5Error('Proxy username or password is too long.')
  }
  const timeoutMs = o.timeoutMs ?? SOCKS5_TIMEOUT_MS
  const socket = netConnect({ host: o.proxyHost, port: o.proxyPort, noDelay: true })
  const reader = new ExactReader(socket)
  const timer = setTimeout(
    () => reader.fail(new Socks5Error(`The proxy did not answer within ${timeoutMs} ms.`)),
    timeoutMs,
  )
  const onAbort = (): void => reader.fail(new Socks5Error('The proxy connection was aborted.'))
  o.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    if (o.signal?.aborted) throw new Socks5Error('The proxy connection was aborted.')
    socket.write(
      cred ? Buffer.of(VERSION, 2, METHOD_NONE, METHOD_USER_PASS) : Buffer.of(VERSION, 1, METHOD_NONE),
    )
    const greeting = await reader.read(2)
    if (greeting[0] !== VERSION) throw new Socks5Error('The proxy failed to initialize.')
    if (greeting[1] === METHOD_USER_PASS && user && pass) {
      socket.write(Buffer.concat([Buffer.of(0x01, user.length), user, Buffer.of(pass.length), pass]))
      const auth = await reader.read(2)
      if (auth[0] !== 0x01 || auth[1] !== 0x00) throw new Socks5Error('The proxy refused the authentication.')
    } else if (greeting[1] !== METHOD_NONE) {
      throw new Socks5Error('The proxy requested a wrong authentication method.')
    }
    const port = Buffer.alloc(2)
    port.writeUInt16BE(o.port)
    socket.write(Buffer.concat([Buffer.of(VERSION, CMD_CONNECT, 0x00, ATYP_DOMAIN, host.length), host, port]))
    const head = await reader.read(4)
    if (head[0] !== VERSION) throw new Socks5Error('The proxy failed to accept the request.')
    if (head[1] !== 0x00) {
      throw new Socks5Error(
        `The proxy could not connect to ${o.host}:${o.port}: ${socks5ReplyText(head[1]!)}.`,
        head[1],
      )
    }
    if (head[2] !== 0x00) throw new Socks5Error('Error: malformed proxy response.')
    let addrLen: number
    if (head[3] === ATYP_IPV4) addrLen = 4
    else if (head[3] === ATYP_IPV6) addrLen = 16
    else if (head[3] === ATYP_DOMAIN) addrLen = (await reader.read(1))[0]!
    else throw new Socks5Error('Error: malformed proxy response.')
    await reader.read(addrLen + 2)
    const rest = reader.detach()
    if (rest.length > 0) socket.unshift(rest)
    return socket
  } catch (err) {
    reader.detach()
    socket.destroy()
    throw err instanceof Socks5Error ? err : new Socks5Error(String(err), undefined, { cause: err })
  } finally {
    clearTimeout(timer)
    o.signal?.removeEventListener('abort', onAbort)
  }
}
