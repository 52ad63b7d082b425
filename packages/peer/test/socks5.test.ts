/**
 * The SOCKS5 client against a SOCKS5 server this test runs on loopback: the
 * exchange Core's Socks5() makes (domain-name CONNECT, optional RFC 1929
 * credentials), the proxy's failures reported with Core's words, timeouts,
 * and the first bytes of the peer kept when they arrive with the reply.
 */
import net, { type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Socks5Error, socks5Connect } from '../src/socks5.ts'

interface SeenRequest {
  methods: number[]
  username?: string
  password?: string
  atyp: number
  host: string
  port: number
}

interface ProxyBehaviour {
  /** Reply code to CONNECT (default 0, success). */
  reply?: number
  /** Never answer the greeting. */
  silent?: boolean
  /** Send these bytes right after the success reply, in the same write. */
  earlyBytes?: Buffer
}

const servers: Server[] = []
const sockets: Socket[] = []

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))))
})

function listen(server: Server): Promise<number> {
  servers.push(server)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  )
}

/** A small SOCKS5 server: no auth or username/password, CONNECT by any address type. */
async function startProxy(b: ProxyBehaviour = {}): Promise<{ port: number; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = []
  const server = net.createServer((client) => {
    sockets.push(client)
    client.on('error', () => {})
    let buf = Buffer.alloc(0)
    let stage: 'greeting' | 'auth' | 'request' | 'piped' = 'greeting'
    const req: Partial<SeenRequest> = {}
    client.on('data', (chunk: Buffer) => {
      if (stage === 'piped') return
      buf = Buffer.concat([buf, chunk])
      for (;;) {
        if (stage === 'greeting') {
          if (b.silent) return
          if (buf.length < 2 || buf.length < 2 + buf[1]!) return
          req.methods = [...buf.subarray(2, 2 + buf[1]!)]
          buf = buf.subarray(2 + buf[1]!)
          const userPass = req.methods.includes(2)
          client.write(Buffer.of(5, userPass ? 2 : 0))
          stage = userPass ? 'auth' : 'request'
        } else if (stage === 'auth') {
          if (buf.length < 2) return
          const ul = buf[1]!
          if (buf.length < 3 + ul) return
          const pl = buf[2 + ul]!
          if (buf.length < 3 + ul + pl) return
          req.username = buf.subarray(2, 2 + ul).toString()
          req.password = buf.subarray(3 + ul, 3 + ul + pl).toString()
          buf = buf.subarray(3 + ul + pl)
          client.write(Buffer.of(1, 0))
          stage = 'request'
        } else if (stage === 'request') {
          if (buf.length < 5) return
          const atyp = buf[3]!
          const len = atyp === 3 ? 1 + buf[4]! : atyp === 1 ? 4 : 16
          if (buf.length < 4 + len + 2) return
          const host = atyp === 3 ? buf.subarray(5, 5 + buf[4]!).toString() : 'ip'
          const port = buf.readUInt16BE(4 + len)
          buf = buf.subarray(4 + len + 2)
          seen.push({ ...(req as SeenRequest), atyp, host, port })
          if (b.reply) {
            client.write(Buffer.of(5, b.reply, 0, 1, 0, 0, 0, 0, 0, 0))
            client.end()
            return
          }
          const upstream = net.connect({ host, port }, () => {
            const ok = Buffer.of(5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90)
            client.write(b.earlyBytes ? Buffer.concat([ok, b.earlyBytes]) : ok)
            stage = 'piped'
            if (buf.length > 0) upstream.write(buf)
            client.pipe(upstream).pipe(client)
          })
          sockets.push(upstream)
          upstream.on('error', () => client.destroy())
          return
        } else return
      }
    })
  })
  const port = await listen(server)
  return { port, seen }
}

/** A TCP echo server: the destination behind the proxy. */
async function startEcho(): Promise<number> {
  const server = net.createServer((s) => {
    sockets.push(s)
    s.on('error', () => {})
    s.pipe(s)
  })
  return listen(server)
}

function readSome(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c])
      if (buf.length >= n) {
        s.off('data', onData)
        resolve(buf)
      }
    }
    s.on('data', onData)
    s.once('error', reject)
  })
}

describe('socks5Connect', () => {
  it('connects through the proxy, naming the destination as a domain name (no DNS of ours), and carries data both ways', async () => {
    const echo = await startEcho()
    const proxy = await startProxy()
    const s = await socks5Connect({
      proxyHost: '127.0.0.1',
      proxyPort: proxy.port,
      host: '127.0.0.1',
      port: echo,
    })
    sockets.push(s)
    s.write('hello')
    expect((await readSome(s, 5)).toString()).toBe('hello')
    expect(proxy.seen).toEqual([{ methods: [0], atyp: 3, host: '127.0.0.1', port: echo }])
  })

  it('offers username/password when given credentials (Core -proxyrandomize), and the proxy receives them', async () => {
    const echo = await startEcho()
    const proxy = await startProxy()
    const s = await socks5Connect({
      proxyHost: '127.0.0.1',
      proxyPort: proxy.port,
      host: '127.0.0.1',
      port: echo,
      credentials: { username: '7', password: '7' },
    })
    sockets.push(s)
    expect(proxy.seen[0]).toMatchObject({ methods: [0, 2], username: '7', password: '7' })
  })

  it('reports a refusal with the reply code and Core’s words, and closes the socket', async () => {
    const proxy = await startProxy({ reply: 0x05 })
    const err = await socks5Connect({
      proxyHost: '127.0.0.1',
      proxyPort: proxy.port,
      host: 'x.onion',
      port: 8333,
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Socks5Error)
    expect(err).toMatchObject({ code: 'SOCKS5_FAILED', reply: 5 })
    expect((err as Error).message).toContain('connection refused')
    const tor = await startProxy({ reply: 0xf0 })
    const err2 = await socks5Connect({
      proxyHost: '127.0.0.1',
      proxyPort: tor.port,
      host: 'x.onion',
      port: 8333,
    }).catch((e: unknown) => e as Error)
    expect((err2 as Error).message).toContain('onion service descriptor can not be found')
  })

  it('gives up on a proxy that does not answer, within the timeout', async () => {
    const proxy = await startProxy({ silent: true })
    const t0 = Date.now()
    const err = await socks5Connect({
      proxyHost: '127.0.0.1',
      proxyPort: proxy.port,
      host: '127.0.0.1',
      port: 1,
      timeoutMs: 150,
    }).catch((e: unknown) => e as Error)
    expect(err).toBeInstanceOf(Socks5Error)
    expect((err as Error).message).toMatch(/did not answer within 150 ms/)
    expect(Date.now() - t0).toBeLessThan(5_000)
  })

  it('fails cleanly when nothing listens on the proxy port', async () => {
    const server = net.createServer()
    const port = await listen(server)
    await new Promise<void>((r) => server.close(() => r()))
    servers.splice(servers.indexOf(server), 1)
    const err = await socks5Connect({
      proxyHost: '127.0.0.1',
      proxyPort: port,
      host: '127.0.0.1',
      port: 1,
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Socks5Error)
  })

  it('keeps the bytes the peer sent right behind the proxy’s reply', async () => {
    const echo = await startEcho()
    const proxy = await startProxy({ earlyBytes: Buffer.from('early') })
    const s = await socks5Connect({
      proxyHost: '127.0.0.1',
      proxyPort: proxy.port,
      host: '127.0.0.1',
      port: echo,
    })
    sockets.push(s)
    expect((await readSome(s, 5)).toString()).toBe('early')
  })

  it('refuses a destination name longer than 255 bytes before connecting', async () => {
    await expect(
      socks5Connect({ proxyHost: '127.0.0.1', proxyPort: 9, host: 'a'.repeat(256), port: 1 }),
    ).rejects.toBeInstanceOf(Socks5Error)
  })
})
