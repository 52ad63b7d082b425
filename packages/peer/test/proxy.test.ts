/**
 * Outbound connections through a SOCKS5 proxy (Core -proxy, netbase.cpp
 * `ConnectThroughProxy`), against a proxy this test runs on loopback: the
 * handshake runs over the proxied stream, the proxy sees a CONNECT naming
 * the destination, a refusal is a connect failure, and the connect timeout
 * covers a proxy that never answers.
 */
import { startSocks5Proxy } from '@node/testkit/socks5-proxy'
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectError, ConnectTimeoutError, Peer, PeerClosedError } from '../src/index.ts'
import { network, rawServer } from './helpers.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('Peer.dial through a SOCKS5 proxy', () => {
  it('handshakes over the proxied stream; the proxy saw a CONNECT to the destination with our credentials', async () => {
    const proxy = await startSocks5Proxy()
    cleanups.push(proxy.close)
    const srv = await rawServer()
    cleanups.push(srv.close)
    const p = Peer.connect(
      {},
      {
        network,
        host: '127.0.0.1',
        port: srv.port,
        proxy: { host: '127.0.0.1', port: proxy.port, credentials: { username: '0', password: '0' } },
      },
    )
    const raw = await srv.next()
    await raw.handshakeAsServer()
    const peer = await p
    cleanups.push(async () => peer.destroy())
    expect(peer.state.status).toBe('ready')
    expect(peer.address).toBe(`127.0.0.1:${srv.port}`)
    expect(proxy.seen).toEqual([
      { methods: [0, 2], username: '0', password: '0', atyp: 3, host: '127.0.0.1', port: srv.port },
    ])
    raw.send({ command: 'ping', nonce: 5n })
    expect((await raw.next('pong')).nonce).toBe(5n)
  })

  it('a proxy that refuses the CONNECT is a connect failure', async () => {
    const proxy = await startSocks5Proxy({ reply: 0x05 })
    cleanups.push(proxy.close)
    const err = await Peer.connect(
      {},
      { network, host: 'example.onion', port: 8333, proxy: { host: '127.0.0.1', port: proxy.port } },
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PeerClosedError)
    expect((err as PeerClosedError).cause).toBeInstanceOf(ConnectError)
    expect(proxy.seen[0]?.host).toBe('example.onion')
  })

  it('the connect timeout covers a proxy that never answers; destroy() leaves nothing open', async () => {
    const proxy = await startSocks5Proxy({ silent: true })
    cleanups.push(proxy.close)
    const peer = Peer.dial(
      {},
      {
        network,
        host: '127.0.0.1',
        port: 1,
        connectTimeoutMs: 200,
        proxy: { host: '127.0.0.1', port: proxy.port },
      },
    )
    const err = await peer.whenReady().catch((e: unknown) => e)
    expect((err as PeerClosedError).cause).toBeInstanceOf(ConnectTimeoutError)
    await peer.closed
    // The aborted exchange closed the proxy connection.
    const second = Peer.dial(
      {},
      { network, host: '127.0.0.1', port: 1, proxy: { host: '127.0.0.1', port: proxy.port } },
    )
    second.destroy()
    await second.closed
    expect(second.state.status).toBe('closed')
  })
})
