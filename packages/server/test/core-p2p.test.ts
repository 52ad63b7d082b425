/**
 * Behaviour on the wire that Core's own p2p functional tests check, replayed
 * against our node over loopback with a raw peer (net_processing.cpp
 * ProcessGetHeaders and the sendheaders announcement rule).
 */
import { mineBlock } from '@node/blockmgr'
import { blockHash, hashToHex, type Message } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, delay, mine, RawPeer, regtest, startServer, until } from './helpers.ts'

afterEach(cleanup)

type Of<C extends Message['command']> = Extract<Message, { command: C }>

describe('getheaders as Core answers it (ProcessGetHeaders)', () => {
  it('an empty locator with a hash stop we hold only the header of gets no answer; one we have the block of gets that header', async () => {
    const server = await startServer()
    await mine(server, 3)
    const tip = server.blockManager.chain.tip
    const peer = await RawPeer.open({ port: server.ports[0]! })
    // A valid next header whose block we never send: the node holds its header only.
    const next = mineBlock({
      network: regtest,
      prev: { hash: tip.hash, height: tip.height, time: tip.time },
      payTo: Uint8Array.of(0x51),
      time: tip.time + 1,
    })
    const nextHash = blockHash(next.header)
    peer.send({ command: 'headers', headers: [next.header] })
    await until(
      () => server.blockManager.chain.get(nextHash) !== undefined,
      5_000,
      'the header to be accepted',
    )
    await delay(100)
    const before = peer.count('headers')
    peer.send({ command: 'getheaders', version: 70016, locator: [], hashStop: nextHash })
    await delay(500)
    expect(peer.count('headers')).toBe(before)
    // The tip's block we have: its header comes back.
    peer.send({ command: 'getheaders', version: 70016, locator: [], hashStop: tip.hash })
    const reply = (await peer.waitFor(
      'headers',
      5_000,
      (m) => (m as Of<'headers'>).headers.length === 1,
    )) as Of<'headers'>
    expect(hashToHex(blockHash(reply.headers[0]!))).toBe(hashToHex(tip.hash))
  })
})

describe('sendheaders (BIP130)', () => {
  it('a peer whose getheaders locator starts at our tip has our tip: the next block reaches it as headers, not inv', async () => {
    const server = await startServer()
    await mine(server, 2)
    const peer = await RawPeer.open({ port: server.ports[0]! })
    peer.send({ command: 'sendheaders' })
    peer.send({
      command: 'getheaders',
      version: 70016,
      locator: [server.blockManager.chain.tip.hash],
      hashStop: new Uint8Array(32),
    })
    await peer.waitFor('headers', 5_000, (m) => (m as Of<'headers'>).headers.length === 0)
    const invsBefore = peer.count('inv')
    await mine(server, 1)
    const newTip = hashToHex(server.blockManager.chain.tip.hash)
    const announced = (await peer.waitFor('headers', 5_000, (m) =>
      (m as Of<'headers'>).headers.some((h) => hashToHex(blockHash(h)) === newTip),
    )) as Of<'headers'>
    expect(announced.headers).toHaveLength(1)
    expect(peer.count('inv')).toBe(invsBefore)
  })
})
