/**
 * A handshake and ping exchange with a peer we did not write: bcoin 1.0.2
 * in regtest, strictly on loopback (the @node/testkit launcher).
 */
import { type BcoinNode, expectNoLeaks, settledResources, startBcoin } from '@node/testkit'
import { Services } from '@node/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NonceSet, Peer } from '../../src/index.ts'
import { network, peerServer } from '../helpers.ts'

let bcoin: BcoinNode
beforeAll(async () => {
  bcoin = await startBcoin({ segwitGenesis: true })
}, 60_000)
afterAll(async () => {
  await bcoin?.stop()
})

interface BcoinPeerInfo {
  subver: string
  inbound: boolean
  version: number
}

describe('bcoin interop', () => {
  it('outbound: handshake, negotiated 70015, ping/pong both ways, bcoin sees our user agent', async () => {
    const baseline = await settledResources()
    const messages: string[] = []
    // dial (not connect) so the listener is there before the first message.
    const peer = Peer.dial(
      { nonces: new NonceSet() },
      {
        network,
        host: '127.0.0.1',
        port: bcoin.p2pPort,
        userAgent: '/node-test:0.1.0/',
        pingIntervalMs: 1000,
      },
    )
    peer.on('message', (m) => messages.push(m.command))
    try {
      await peer.whenReady()
      if (peer.state.status !== 'ready') throw new Error('not ready')
      const { remote, version, wtxidRelay, addrV2 } = peer.state
      expect(remote.userAgent).toBe('/bcoin:v1.0.2/')
      expect(remote.version).toBe(70015)
      expect(version).toBe(70015)
      expect(remote.services & (Services.NODE_NETWORK | Services.NODE_WITNESS)).toBe(9n)
      // bcoin has no wtxidrelay or addrv2, and we do not offer them below 70016.
      expect(wtxidRelay).toBe(false)
      expect(addrV2).toBe(false)
      expect(peer.stats().sent['wtxidrelay']).toBeUndefined()

      const rtt = await peer.ping()
      expect(rtt).toBeGreaterThanOrEqual(0)
      expect(peer.stats().pingMs).toBe(rtt)

      const info = await bcoin.rpc<BcoinPeerInfo[]>('getpeerinfo')
      const us = info.find((p) => p.subver === '/node-test:0.1.0/')
      expect(us).toMatchObject({ inbound: true, version: 70016 })

      // bcoin pings every 30 s; our answer keeps it happy. It also asks for addresses.
      const deadline = Date.now() + 10_000
      while (!messages.includes('getaddr') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20))
      expect(messages).toContain('getaddr')
      // bcoin sent sendcmpct(0, 2) after verack: recorded, not forwarded.
      expect(peer.state.features.compact).toEqual({ announce: false, version: 2n })
      expect(peer.stats().received['pong']?.messages).toBeGreaterThanOrEqual(1)
    } finally {
      peer.destroy()
      await peer.closed
    }
    expect(peer.state.status).toBe('closed')
    await expectNoLeaks(baseline)
  }, 30_000)

  it('inbound: bcoin dials us, we accept and complete the handshake', async () => {
    const srv = await peerServer({ nonces: new NonceSet() })
    const dialer = await startBcoin({ connect: [`127.0.0.1:${srv.port}`], segwitGenesis: true })
    try {
      const peer = await srv.next()
      // Listen before the handshake completes: bcoin asks for blocks from its tip right after it.
      const getblocks = new Promise<string>((resolve) => {
        const off = peer.on('message', (m) => {
          if (m.command === 'getblocks') {
            off()
            resolve(m.command)
          }
        })
      })
      const st = await peer.whenReady()
      expect(peer.direction).toBe('inbound')
      expect(st.remote.userAgent).toBe('/bcoin:v1.0.2/')
      expect(st.version).toBe(70015)
      expect(await getblocks).toBe('getblocks')
      expect(await peer.ping()).toBeGreaterThanOrEqual(0)
    } finally {
      await dialer.stop()
      await srv.close()
    }
  }, 60_000)
})
