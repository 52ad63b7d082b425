import { type Block, blockHash, encodeBlock, hashToHex, Tx, zeroHash } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { Peer } from '../src/index.ts'
import { header, peerServer, RawRemote, tick, until } from './helpers.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A block of about `bytes` bytes (one transaction with a big output script). */
function bigBlock(i: number, bytes: number): Block {
  const tx = new Tx({
    version: 1,
    inputs: [
      { prevHash: zeroHash(), prevIndex: 0xffffffff, script: Uint8Array.of(1, i), sequence: 0, witness: [] },
    ],
    outputs: [{ value: 0n, script: new Uint8Array(bytes).fill(0x6a) }],
    locktime: 0,
  })
  return { header: header(i), txs: [tx] }
}

async function inbound(init: Parameters<typeof peerServer>[1] = {}) {
  const srv = await peerServer({}, init)
  cleanups.push(srv.close)
  const raw = await RawRemote.connect(srv.port)
  cleanups.push(() => raw.destroy())
  const peer = await srv.next()
  await raw.handshakeAsClient()
  await peer.whenReady()
  return { raw, peer }
}

/** Send `n` blocks, pacing like a host that waits for the buffer to drain (but not forever). */
async function serve(peer: Peer, n: number, size: number): Promise<number> {
  let sent = 0
  for (let i = 0; i < n && peer.state.status === 'ready'; i++) {
    if (peer.send({ command: 'block', block: bigBlock(i, size) })) sent++
    for (let t = 0; t < 200 && peer.bufferedBytes > size && peer.state.status === 'ready'; t++) await tick()
  }
  return sent
}

describe('send queue', () => {
  it('a ping overtakes blocks queued before it', async () => {
    const { raw, peer } = await inbound({ maxSendBufferBytes: 64 * 1024 * 1024 })
    raw.socket.pause()
    const before = raw.received.length
    for (let i = 0; i < 8; i++) peer.send({ command: 'block', block: bigBlock(i, 1_000_000) })
    expect(peer.bufferedBytes).toBeGreaterThan(4_000_000)
    const rtt = peer.ping()
    raw.socket.resume()
    // Answer the ping as soon as it arrives.
    const ping = await raw.next('ping', before)
    raw.send({ command: 'pong', nonce: ping.nonce })
    await rtt
    await raw.nth('block', 8)
    const order = raw.commands().slice(before)
    const pingAt = order.indexOf('ping')
    const lastBlock = order.lastIndexOf('block')
    expect(pingAt).toBeLessThan(lastBlock)
    // Only what was already handed to the socket went first.
    expect(order.slice(0, pingAt).filter((c) => c === 'block').length).toBeLessThan(8)
  })

  it('a peer that reads gets everything; a host that keeps pushing to one that stopped reading hits the guard', async () => {
    const good = await inbound({ maxSendBufferBytes: 4 * 1024 * 1024 })
    expect(await serve(good.peer, 30, 1_000_000)).toBe(30)
    await good.raw.nth('block', 30)
    expect(good.peer.state.status).toBe('ready')

    const bad = await inbound({ maxSendBufferBytes: 4 * 1024 * 1024 })
    bad.raw.socket.pause()
    const sent = await serve(bad.peer, 200, 1_000_000)
    expect(sent).toBeLessThan(200)
    expect(bad.peer.state.status).toBe('closed')
    if (bad.peer.state.status === 'closed') {
      expect(bad.peer.state.error).toMatchObject({ code: 'SEND_BUFFER_FULL' })
    }
    expect(bad.peer.bufferedBytes).toBe(0)
  })
})

describe('sendEncoded', () => {
  it('sends an already encoded block as it is, and the remote decodes the same block', async () => {
    const { raw, peer } = await inbound()
    const block = bigBlock(7, 5000)
    const bytes = encodeBlock(block)
    expect(peer.sendEncoded('block', bytes)).toBe(true)
    await until(() => raw.received.some((m) => m.command === 'block'))
    const got = raw.received.find((m) => m.command === 'block')
    expect(got?.command === 'block' && hashToHex(blockHash(got.block.header))).toBe(
      hashToHex(blockHash(block.header)),
    )
    expect(got?.command === 'block' && encodeBlock(got.block)).toEqual(bytes)
    expect(peer.stats().sent['block']?.messages).toBe(1)
  })
})
