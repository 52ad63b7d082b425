/**
 * Behaviour on the wire that Core's own p2p functional tests check, replayed
 * against our node over loopback with a raw peer (net_processing.cpp
 * ProcessGetHeaders and the sendheaders announcement rule).
 */
import { mineBlock } from '@node/chain'
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

/** Send a ping and wait for its pong: everything sent before it has been processed. */
async function syncWithPing(peer: RawPeer): Promise<void> {
  const nonce = BigInt(Math.floor(Math.random() * 2 ** 48))
  peer.send({ command: 'ping', nonce })
  await peer.waitFor('pong', 5_000, (m) => (m as Of<'pong'>).nonce === nonce)
}

/** `n` blocks on top of `prev`, each built on the one before. */
function chainOn(prev: { hash: Uint8Array; height: number; time: number }, n: number, extraNonce = 0) {
  const out: ReturnType<typeof mineBlock>[] = []
  let p = prev
  for (let i = 0; i < n; i++) {
    const b = mineBlock({
      network: regtest,
      prev: p,
      payTo: Uint8Array.of(0x51),
      time: p.time + 1,
      extraNonce,
    })
    out.push(b)
    p = { hash: blockHash(b.header), height: p.height + 1, time: b.header.time }
  }
  return out
}

describe('unrequested blocks (Core AcceptBlock, MaybePunishNodeForBlock)', () => {
  it('a whole block whose parent we do not know costs the connection', async () => {
    const server = await startServer()
    await mine(server, 1)
    const peer = await RawPeer.open({ port: server.ports[0]! })
    const [orphan] = chainOn(
      { hash: new Uint8Array(32).fill(7), height: 5, time: server.blockManager.chain.tip.time },
      1,
    )
    peer.send({ command: 'block', block: orphan! })
    expect(await peer.closesWithin(5_000)).toBe(true)
  })

  it('one more than 288 blocks above our tip is not stored; one within 288 is', async () => {
    const server = await startServer()
    const tip = server.blockManager.chain.tip
    const blocks = chainOn({ hash: tip.hash, height: tip.height, time: tip.time }, 300)
    const peer = await RawPeer.open({ port: server.ports[0]! })
    peer.answerPings = true
    // The headers of all 300; the node asks for the first blocks and we never answer.
    peer.send({ command: 'headers', headers: blocks.slice(0, 2000).map((b) => b.header) })
    await until(() => server.blockManager.chain.bestHeader.height === 300, 5_000, 'the headers')
    const far = blocks[299]! // height 300: 300 above our tip (0)
    const near = blocks[199]! // height 200
    peer.send({ command: 'block', block: far })
    peer.send({ command: 'block', block: near })
    await syncWithPing(peer)
    await delay(200)
    expect(server.store.hasBlock(blockHash(far.header))).toBe(false)
    expect(server.store.hasBlock(blockHash(near.header))).toBe(true)
    expect(peer.isClosed).toBe(false)
  })

  it('an unrequested block with as much work as our tip is stored (a candidate), and the tip stays', async () => {
    const server = await startServer()
    await mine(server, 2)
    const tip = server.blockManager.chain.tip
    const parent = tip.prev!
    const [sibling] = chainOn({ hash: parent.hash, height: parent.height, time: parent.time }, 1, 99)
    const peer = await RawPeer.open({ port: server.ports[0]! })
    peer.send({ command: 'block', block: sibling! })
    await syncWithPing(peer)
    await until(() => server.store.hasBlock(blockHash(sibling!.header)), 5_000, 'the sibling to be stored')
    expect(hashToHex(server.blockManager.chain.tip.hash)).toBe(hashToHex(tip.hash))
  })
})

describe('block download from announcements (Core HeadersDirectFetchBlocks)', () => {
  it('a sibling header with as much work as our tip is fetched at once', async () => {
    const server = await startServer()
    await mine(server, 2)
    const parent = server.blockManager.chain.tip.prev!
    const [sibling] = chainOn({ hash: parent.hash, height: parent.height, time: parent.time }, 1, 42)
    const peer = await RawPeer.open({ port: server.ports[0]! })
    peer.send({ command: 'headers', headers: [sibling!.header] })
    const want = hashToHex(blockHash(sibling!.header))
    await peer.waitFor('getdata', 5_000, (m) =>
      (m as Of<'getdata'>).inventory.some((i) => hashToHex(i.hash) === want),
    )
  })

  it('after an inv of a fork tip, the earliest missing block of the fork is requested first', async () => {
    const server = await startServer()
    await mine(server, 2)
    const base = server.blockManager.chain.tip.prev!
    const fork = chainOn({ hash: base.hash, height: base.height, time: base.time }, 2, 7) // heights 2 and 3
    const peer = await RawPeer.open({ port: server.ports[0]! })
    // Answer the node's first getheaders (we know nothing it lacks yet).
    await peer.waitFor('getheaders', 5_000)
    peer.send({ command: 'headers', headers: [] })
    await syncWithPing(peer)
    const getheadersBefore = peer.count('getheaders')
    peer.send({ command: 'inv', inventory: [{ type: 2, hash: blockHash(fork[1]!.header) }] })
    await until(() => peer.count('getheaders') > getheadersBefore, 5_000, 'a getheaders')
    peer.send({ command: 'headers', headers: fork.map((b) => b.header) })
    const first = (await peer.waitFor('getdata', 5_000)) as Of<'getdata'>
    expect(hashToHex(first.inventory[0]!.hash)).toBe(hashToHex(blockHash(fork[0]!.header)))
  })

  it('a peer without NODE_NETWORK gets no unprompted getheaders; its headers announcement gets a getdata, and its inv a getheaders', async () => {
    const server = await startServer()
    await mine(server, 2)
    const tip = server.blockManager.chain.tip
    const peer = await RawPeer.open({ port: server.ports[0]!, services: 8n /* NODE_WITNESS only */ })
    await syncWithPing(peer)
    await delay(300)
    expect(peer.count('getheaders')).toBe(0)
    const [next, after] = chainOn({ hash: tip.hash, height: tip.height, time: tip.time }, 2)
    peer.send({ command: 'headers', headers: [next!.header] })
    const want = hashToHex(blockHash(next!.header))
    await peer.waitFor('getdata', 5_000, (m) =>
      (m as Of<'getdata'>).inventory.some((i) => hashToHex(i.hash) === want),
    )
    expect(peer.count('getheaders')).toBe(0)
    peer.send({ command: 'inv', inventory: [{ type: 2, hash: blockHash(after!.header) }] })
    await until(() => peer.count('getheaders') === 1, 5_000, 'a getheaders after the inv')
  })
})
