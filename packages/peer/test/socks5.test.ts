/**
 * The SOCKS5 client against a SOCKS5 server this test runs on loopback: the
 * exchange Core's Socks5() makes (domain-name CONNECT, optional RFC 1929
 * credentials), the proxy's failures reported with Core's words, timeouts,
 * and the first bytes of the peer kept when they arrive with the reply.
 */
import net, { type Server, type Socket } from 'node:net'
import { type Socks5Proxy, type Socks5ProxyBehaviour, startSocks5Proxy } from '@node/testkit/socks5-proxy'
import { afterEach, describe, expect, it } from 'vitest'
import { Socks5Error, socks5Connect } from '../src/socks5.ts'

const servers: Server[] = []
const sockets: Socket[] = []

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await Promise.all(proxies.splice(0).map((p) => p.close()))
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))))
})

function listen(server: Server): Promise<number> {
  servers.push(server)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  )
}

const proxies: Socks5Proxy[] = []

async function startProxy(b: Socks5ProxyBehaviour = {}): Promise<Socks5Proxy> {
  const p = await startSocks5Proxy(b)
  proxies.push(p)
  return p
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
