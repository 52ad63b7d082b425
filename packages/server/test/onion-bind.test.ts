/**
 * Core `-bind=<addr>=onion`: connections accepted on an onion bind came
 * through Tor (Core `CNode::m_inbound_onion`), whatever their (loopback)
 * address says; the other listeners' peers do not.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, RawPeer, startServer, until } from './helpers.ts'

afterEach(cleanup)

describe('onion binds', () => {
  it('a peer accepted on the onion bind is an onion peer; one on the plain bind is not', async () => {
    const server = await startServer({ bind: ['127.0.0.1:0'], onionBind: ['127.0.0.1:0'] })
    expect(server.ports).toHaveLength(2)
    const [plainPort, onionPort] = server.ports
    const plain = await RawPeer.open({ port: plainPort!, localAddress: '127.0.40.1' })
    const onion = await RawPeer.open({ port: onionPort!, localAddress: '127.0.40.2' })
    await until(() => server.peerInfo().length === 2, 5_000, 'both peers')
    const byAddr = new Map(server.peerInfo().map((p) => [p.addr.split(':')[0], p.inboundOnion]))
    expect(byAddr.get('127.0.40.1')).toBe(false)
    expect(byAddr.get('127.0.40.2')).toBe(true)
    plain.destroy()
    onion.destroy()
  })
})
