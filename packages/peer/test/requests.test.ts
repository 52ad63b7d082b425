import { encodeBlock, InvType, Tx, zeroHash } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { Peer } from '../src/index.ts'
import { header, network, type RawRemote, rawServer, until } from './helpers.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** Our outbound peer, ready, talking to a raw remote. */
async function outbound(
  init: Partial<Parameters<typeof Peer.connect>[1]> = {},
  version: Parameters<RawRemote['handshakeAsServer']>[0] = {},
): Promise<{ raw: RawRemote; peer: Peer }> {
  const srv = await rawServer()
  cleanups.push(srv.close)
  const connecting = Peer.connect({}, { network, host: '127.0.0.1', port: srv.port, ...init })
  const raw = await srv.next()
  await raw.handshakeAsServer(version)
  const peer = await connecting
  cleanups.push(async () => {
    peer.destroy()
    await peer.closed
  })
  return { raw, peer }
}

function coinbaseBlock(i: number) {
  const tx = new Tx({
    version: 1,
    inputs: [
      {
        prevHash: zeroHash(),
        prevIndex: 0xffffffff,
        script: Uint8Array.of(1, i & 0xff),
        sequence: 0xffffffff,
        witness: [],
      },
    ],
    outputs: [{ value: 50n, script: Uint8Array.of(0x51) }],
    locktime: 0,
  })
  return { header: header(i), txs: [tx] }
}

describe('chain messages go to the host', () => {
  // The peer keeps no request system of its own: the block manager owns
  // block and header requests, so every headers, block and notfound message
  // goes to the host.
  it('emits headers as a message', async () => {
    const { raw, peer } = await outbound()
    const got: string[] = []
    peer.on('message', (m) => got.push(m.command))
    raw.send({ command: 'headers', headers: [header(5)] })
    await until(() => got.length > 0)
    expect(got).toEqual(['headers'])
  })

  it('emits a block with the payload bytes it was decoded from, and notfound', async () => {
    const { raw, peer } = await outbound()
    const messages: string[] = []
    const payloads: (Uint8Array | undefined)[] = []
    peer.on('message', (m, payload) => {
      messages.push(m.command)
      payloads.push(payload)
    })
    const block = coinbaseBlock(3)
    raw.send({ command: 'block', block })
    raw.send({ command: 'notfound', inventory: [{ type: InvType.TX, hash: new Uint8Array(32).fill(9) }] })
    await until(() => messages.length === 2)
    expect(messages).toEqual(['block', 'notfound'])
    expect(hex(payloads[0]!)).toBe(hex(encodeBlock(block)))
  })
})

describe('destroy', () => {
  it('rejects every pending request with PEER_CLOSED, emits close once, is idempotent', async () => {
    const { raw, peer } = await outbound()
    const closes: unknown[] = []
    let after = 0
    peer.on('close', (info) => closes.push(info))
    const ps = [peer.ping()].map((p) => p.catch((e: unknown) => e))
    peer.on('message', () => after++)
    peer.destroy()
    peer.destroy()
    for (const e of await Promise.all(ps)) expect(e).toMatchObject({ code: 'PEER_CLOSED' })
    expect(closes).toEqual([{ error: undefined, wasReady: true, reconnectAsV1: false }])
    expect(peer.send({ command: 'getaddr' })).toBe(false)
    await expect(peer.ping()).rejects.toMatchObject({ code: 'PEER_CLOSED' })
    await expect(peer.whenReady()).rejects.toMatchObject({ code: 'PEER_CLOSED' })
    await raw.waitClosed()
    expect(after).toBe(0)
  })

  it('throws a typed error when sending before the handshake', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    const peer = Peer.dial({}, { network, host: '127.0.0.1', port: srv.port })
    cleanups.push(() => peer.destroy())
    expect(() => peer.send({ command: 'getaddr' })).toThrow(
      expect.objectContaining({ code: 'PEER_NOT_READY' }),
    )
    await expect(peer.ping()).rejects.toMatchObject({ code: 'PEER_NOT_READY' })
  })

  it('connect rejects on a refused port and on an aborted signal', async () => {
    const srv = await rawServer()
    const port = srv.port
    await srv.close()
    await expect(Peer.connect({}, { network, host: '127.0.0.1', port })).rejects.toMatchObject({
      code: 'PEER_CLOSED',
      cause: { code: 'CONNECT_FAILED' },
    })
    const ac = new AbortController()
    ac.abort()
    await expect(
      Peer.connect({}, { network, host: '127.0.0.1', port, signal: ac.signal }),
    ).rejects.toMatchObject({
      cause: { code: 'ABORTED' },
    })
  })

  it('aborting the connect signal later closes a ready peer', async () => {
    const ac = new AbortController()
    const { peer } = await outbound({ signal: ac.signal })
    ac.abort()
    expect(peer.state.status).toBe('closed')
    if (peer.state.status === 'closed') expect(peer.state.error?.code).toBe('ABORTED')
  })

  it('a throwing listener is caught and does not stop the peer', async () => {
    const { raw, peer } = await outbound()
    peer.on('message', () => {
      throw new Error('host bug')
    })
    const seen: string[] = []
    peer.on('message', (m) => seen.push(m.command))
    raw.send({ command: 'getaddr' })
    raw.send({ command: 'ping', nonce: 3n })
    await raw.next('pong')
    expect(seen).toEqual(['getaddr'])
    expect(peer.state.status).toBe('ready')
  })

  it('every on() has an off()', async () => {
    const { raw, peer } = await outbound()
    const seen: string[] = []
    const fn = (m: { command: string }) => seen.push(m.command)
    const off = peer.on('message', fn)
    off()
    peer.once('message', fn)
    raw.send({ command: 'getaddr' })
    raw.send({ command: 'getaddr' })
    raw.send({ command: 'ping', nonce: 3n })
    await raw.next('pong')
    expect(seen).toEqual(['getaddr'])
  })
})
