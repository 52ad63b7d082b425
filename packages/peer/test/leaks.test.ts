/**
 * After destroy(), nothing is left: process.getActiveResourcesInfo() is back
 * to its baseline (sockets, servers, timers, connect requests).
 */
import { activeResources, expectNoLeaks, settledResources } from '@node/testkit'
import { describe, expect, it } from 'vitest'
import { Peer } from '../src/index.ts'
import { network, peerPair, peerServer, RawRemote, rawServer } from './helpers.ts'

describe('leaks', () => {
  it('a ready pair with pending requests, trickles and pings leaves nothing after destroy', async () => {
    const baseline = await settledResources()
    const pair = await peerPair()
    const { out, inp } = pair
    expect(activeResources()['TCPSocketWrap'] ?? 0).toBeGreaterThan(baseline['TCPSocketWrap'] ?? 0)
    const pending = [out.ping().catch(() => {})]
    out.announceTransactions([{ txid: new Uint8Array(32).fill(1), wtxid: new Uint8Array(32).fill(2) }])
    inp.relayAddresses([{ time: 1, services: 9n, networkId: 1, addr: Uint8Array.of(1, 2, 3, 4), port: 1 }])
    await out.ping()
    inp.destroy()
    out.destroy()
    await Promise.all(pending)
    await pair.close()
    await expectNoLeaks(baseline)
  })

  it('a peer destroyed while connecting, while handshaking, or by the remote leaves nothing', async () => {
    const baseline = await settledResources()
    const raws = await rawServer()
    // Destroyed while the TCP connect is in flight.
    const p1 = Peer.dial({}, { network, host: '127.0.0.1', port: raws.port })
    p1.destroy()
    // Destroyed while handshaking.
    const p2 = Peer.dial({}, { network, host: '127.0.0.1', port: raws.port })
    const r2 = await raws.next()
    await r2.next('version')
    p2.destroy()
    // Closed by the remote after the handshake.
    const srv = await peerServer()
    const raw = await RawRemote.connect(srv.port)
    const p3 = await srv.next()
    await raw.handshakeAsClient()
    await p3.whenReady()
    raw.destroy()
    await p3.closed
    expect(p3.state).toMatchObject({ status: 'closed', error: { code: 'REMOTE_CLOSED' }, wasReady: true })
    await Promise.all([p1.closed, p2.closed])
    await raws.close()
    await srv.close()
    await expectNoLeaks(baseline)
  })
})
