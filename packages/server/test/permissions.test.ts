/**
 * What a peer may send us and what it costs, by its permissions (Core
 * net_processing.cpp `ProcessMessage`, `MaybeDiscourageAndDisconnect`,
 * `RejectIncomingTxs`; net_permissions.cpp): BIP37 messages while we do not
 * offer NODE_BLOOM, misbehaviour from whitelisted peers with and without
 * `noban`, and transactions after our version's relay = 0.
 */
import { mineBlock } from '@node/chain'
import { blockHash, decodeTx, type Message } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, delay, mine, RawPeer, regtest, startServer } from './helpers.ts'

afterEach(cleanup)

type Of<C extends Message['command']> = Extract<Message, { command: C }>

const BIP37: Message[] = [
  { command: 'mempool' },
  { command: 'filterload', filter: new Uint8Array(8), hashFuncs: 1, tweak: 0, flags: 0 },
  { command: 'filteradd', data: new Uint8Array(20) },
  { command: 'filterclear' },
]

/** Send a ping and wait for its pong: everything sent before it has been processed. */
async function syncWithPing(peer: RawPeer): Promise<void> {
  const nonce = BigInt(Math.floor(Math.random() * 2 ** 48))
  peer.send({ command: 'ping', nonce })
  await peer.waitFor('pong', 5_000, (m) => (m as Of<'pong'>).nonce === nonce)
}

describe('BIP37 messages while we do not offer NODE_BLOOM (Core: disconnect)', () => {
  it.each(BIP37.map((m) => [m.command, m] as const))(
    '%s costs the connection, not a discouragement',
    async (_, m) => {
      const server = await startServer()
      const peer = await RawPeer.open({ port: server.ports[0]!, localAddress: '127.0.31.1' })
      const ours = peer.received.find((x) => x.command === 'version') as Of<'version'>
      expect(ours.services & 4n).toBe(0n) // no NODE_BLOOM
      peer.send(m)
      expect(await peer.closesWithin(5_000)).toBe(true)
      expect(server.bans.isDiscouraged('127.0.31.1')).toBe(false)
    },
  )

  it('a noban peer is only ignored for mempool, but still disconnected for filterload', async () => {
    const server = await startServer({ whitelist: ['127.0.31.0/24'] })
    const port = server.ports[0]!
    const peer = await RawPeer.open({ port, localAddress: '127.0.31.2' })
    peer.send({ command: 'mempool' })
    await syncWithPing(peer)
    await delay(50)
    expect(peer.isClosed).toBe(false)
    peer.send(BIP37[1]!)
    expect(await peer.closesWithin(5_000)).toBe(true)
  })
})

describe('-whitelist permissions (Core net_permissions.cpp): only noban protects a misbehaving peer', () => {
  /** Two valid headers on our tip that skip the one between them. */
  async function nonContinuous(server: Awaited<ReturnType<typeof startServer>>) {
    await mine(server, 1)
    const tip = server.blockManager.chain.tip
    let prev = { hash: tip.hash, height: tip.height, time: tip.time }
    const headers = []
    for (let i = 0; i < 3; i++) {
      const b = mineBlock({ network: regtest, prev, payTo: Uint8Array.of(0x51), time: prev.time + 1 })
      headers.push(b.header)
      prev = { hash: blockHash(b.header), height: prev.height + 1, time: b.header.time }
    }
    return [headers[0]!, headers[2]!]
  }

  it('with the addr permission only, non-continuous headers still cost the connection', async () => {
    const server = await startServer({ whitelist: [{ range: '127.0.32.0/24', permissions: ['addr'] }] })
    const peer = await RawPeer.open({ port: server.ports[0]!, localAddress: '127.0.32.1' })
    peer.send({ command: 'headers', headers: await nonContinuous(server) })
    expect(await peer.closesWithin(5_000)).toBe(true)
    expect(server.bans.isDiscouraged('127.0.32.1')).toBe(true)
  })

  it('with noban (implied by an entry without permissions), the peer stays and is not discouraged', async () => {
    const server = await startServer({ whitelist: ['127.0.32.0/24'] })
    const peer = await RawPeer.open({ port: server.ports[0]!, localAddress: '127.0.32.2' })
    peer.send({ command: 'headers', headers: await nonContinuous(server) })
    await syncWithPing(peer)
    await delay(50)
    expect(peer.isClosed).toBe(false)
    expect(server.bans.isDiscouraged('127.0.32.2')).toBe(false)
    expect(server.bans.permissionsOf('127.0.32.2', true)).toEqual(['noban', 'relay', 'mempool', 'download'])
  })
})

describe('the relay flag of our version says what we do (BIP37; Core -blocksonly)', () => {
  const tx = decodeTx(
    Buffer.from(
      '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0151ffffffff0100000000000000000151' +
        '00000000',
      'hex',
    ),
  )

  it('we send relay = 0 (no mempool); a peer that sends a transaction anyway is disconnected', async () => {
    const server = await startServer()
    const peer = await RawPeer.open({ port: server.ports[0]!, localAddress: '127.0.33.1' })
    const ours = peer.received.find((x) => x.command === 'version') as Of<'version'>
    expect(ours.relay).toBe(false)
    peer.send({ command: 'tx', tx })
    expect(await peer.closesWithin(5_000)).toBe(true)
  })

  it('a peer with the relay permission may send transactions', async () => {
    const server = await startServer({ whitelist: [{ range: '127.0.33.0/24', permissions: ['relay'] }] })
    const peer = await RawPeer.open({ port: server.ports[0]!, localAddress: '127.0.33.2' })
    peer.send({ command: 'tx', tx })
    await syncWithPing(peer)
    await delay(50)
    expect(peer.isClosed).toBe(false)
  })
})
