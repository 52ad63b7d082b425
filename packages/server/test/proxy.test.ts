/**
 * Outbound connections through a SOCKS5 proxy (Core -proxy, -proxyrandomize):
 * our node with a proxy reaches a second node of ours only through a SOCKS5
 * server this test runs on loopback, and never dials directly.
 */
import net from 'node:net'
import { startSocks5Proxy } from '@node/testkit/socks5-proxy'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, delay, startServer, until } from './helpers.ts'

afterEach(cleanup)

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const { port } = s.address() as net.AddressInfo
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

describe('-proxy (SOCKS5)', () => {
  it('connects to a -connect peer through the proxy, which saw the CONNECT with per-connection credentials', async () => {
    const proxy = await startSocks5Proxy()
    try {
      const b = await startServer({ maxOutbound: 0, maxBlockRelayOnly: 0 })
      const a = await startServer({
        connect: [`127.0.0.1:${b.ports[0]}`],
        proxy: `127.0.0.1:${proxy.port}`,
        manualRetryBaseMs: 100,
        dialIntervalMs: 10,
      })
      await until(() => a.peerInfo().some((p) => p.stats.status === 'ready'), 10_000, 'the handshake')
      expect(b.peerInfo().filter((p) => p.inbound)).toHaveLength(1)
      expect(proxy.seen[0]).toMatchObject({ atyp: 3, host: '127.0.0.1', port: b.ports[0], methods: [0, 2] })
      // Core -proxyrandomize: credentials differ from one connection to the next.
      a.disconnect(a.peerInfo()[0]!.id)
      await until(() => proxy.seen.length >= 2, 10_000, 'a second connection')
      expect(proxy.seen[1]!.username).not.toBe(proxy.seen[0]!.username)
    } finally {
      await proxy.close()
    }
  }, 20_000)

  it('with -proxyrandomize=0 no credentials are offered', async () => {
    const proxy = await startSocks5Proxy()
    try {
      const b = await startServer({ maxOutbound: 0, maxBlockRelayOnly: 0 })
      const a = await startServer({
        connect: [`127.0.0.1:${b.ports[0]}`],
        proxy: `127.0.0.1:${proxy.port}`,
        proxyRandomize: false,
      })
      await until(() => a.peerInfo().some((p) => p.stats.status === 'ready'), 10_000, 'the handshake')
      expect(proxy.seen[0]).toEqual({ methods: [0], atyp: 3, host: '127.0.0.1', port: b.ports[0] })
    } finally {
      await proxy.close()
    }
  })

  it('with the proxy unreachable, no direct connection is made', async () => {
    const b = await startServer({ maxOutbound: 0, maxBlockRelayOnly: 0 })
    const a = await startServer({
      connect: [`127.0.0.1:${b.ports[0]}`],
      proxy: `127.0.0.1:${await deadPort()}`,
      manualRetryBaseMs: 50,
      manualRetryMaxMs: 50,
      dialIntervalMs: 10,
    })
    await delay(1_000)
    expect(b.connectionCount).toBe(0)
    expect(a.peerInfo().filter((p) => p.stats.status === 'ready')).toHaveLength(0)
  })
})
