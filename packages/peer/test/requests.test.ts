import { blockHash, encodeBlock, InvType, Services, Tx, ZERO_HASH } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { Peer, type StallInfo } from '../src/index.ts'
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
        prevHash: ZERO_HASH,
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

describe('getHeaders', () => {
  it('sends getheaders and resolves with the headers that answer it', async () => {
    const { raw, peer } = await outbound()
    const locator = [new Uint8Array(32).fill(1)]
    const pending = peer.getHeaders(locator)
    const req = await raw.next('getheaders')
    expect(hex(req.locator[0]!)).toBe(hex(locator[0]!))
    expect(hex(req.hashStop)).toBe(hex(ZERO_HASH))
    raw.send({ command: 'headers', headers: [header(1), header(2)] })
    const res = await pending
    expect(res.headers.map((h) => h.nonce)).toEqual([1, 2])
    expect(peer.stats().headersInFlight).toBe(0)
  })

  it('emits unsolicited headers as a message', async () => {
    const { raw, peer } = await outbound()
    const got: string[] = []
    peer.on('message', (m) => got.push(m.command))
    raw.send({ command: 'headers', headers: [header(5)] })
    await until(() => got.length > 0)
    expect(got).toEqual(['headers'])
  })

  it('times out with a typed error and reports the stall, keeping the peer open', async () => {
    const { raw, peer } = await outbound()
    const stalls: StallInfo[] = []
    peer.on('stalled', (s) => stalls.push(s))
    const err = await peer.getHeaders([ZERO_HASH], ZERO_HASH, { timeoutMs: 30 }).catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'REQUEST_TIMEOUT',
      command: 'getheaders',
      expect: 'headers',
      timeoutMs: 30,
    })
    expect(stalls).toHaveLength(1)
    expect(stalls[0]).toMatchObject({ command: 'getheaders', expect: 'headers' })
    expect(stalls[0]!.waitedMs).toBeGreaterThanOrEqual(29)
    expect(peer.state.status).toBe('ready')
    expect(peer.stats().headersInFlight).toBe(0)
    await raw.next('getheaders')
  })

  it('aborts with the caller signal', async () => {
    const { peer } = await outbound()
    const ac = new AbortController()
    const p = peer.getHeaders([ZERO_HASH], ZERO_HASH, { signal: ac.signal })
    ac.abort()
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' })
    expect(peer.stats().headersInFlight).toBe(0)
  })

  it('bounds requests in flight', async () => {
    const { peer } = await outbound()
    const ps = Array.from({ length: 8 }, () => peer.getHeaders([ZERO_HASH]).catch(() => {}))
    await expect(peer.getHeaders([ZERO_HASH])).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' })
    peer.destroy()
    await Promise.all(ps)
  })
})

describe('getBlock', () => {
  it('batches one tick of requests into one getdata for witness blocks, and resolves each', async () => {
    const { raw, peer } = await outbound()
    const b1 = coinbaseBlock(1)
    const b2 = coinbaseBlock(2)
    const h1 = blockHash(b1.header)
    const h2 = blockHash(b2.header)
    const p1 = peer.getBlock(h1)
    const p2 = peer.getBlock(h2)
    expect(peer.getBlock(h1)).toBe(p1)
    const gd = await raw.next('getdata')
    expect(gd.inventory.map((i) => [i.type, hex(i.hash)])).toEqual([
      [InvType.WITNESS_BLOCK, hex(h1)],
      [InvType.WITNESS_BLOCK, hex(h2)],
    ])
    raw.send({ command: 'block', block: b2 })
    raw.send({ command: 'notfound', inventory: [{ type: InvType.WITNESS_BLOCK, hash: h1 }] })
    const r2 = await p2
    expect(r2.kind).toBe('block')
    if (r2.kind === 'block') {
      expect(hex(blockHash(r2.block.header))).toBe(hex(h2))
      expect(r2.size).toBe(24 + encodeBlock(b2).length)
    }
    expect(await p1).toEqual({ kind: 'notfound' })
    expect(peer.stats().blocksInFlight).toBe(0)
    expect(peer.knowsInventory({ type: InvType.BLOCK, hash: h2 })).toBe(true)
  })

  it('asks for non-witness blocks from a peer without NODE_WITNESS', async () => {
    const { raw, peer } = await outbound({ connectionType: 'manual' }, { services: Services.NODE_NETWORK })
    const p = peer.getBlock(new Uint8Array(32).fill(4), { timeoutMs: 10_000 }).catch(() => {})
    expect((await raw.next('getdata')).inventory[0]?.type).toBe(InvType.BLOCK)
    peer.destroy()
    await p
  })

  it('reports a stalled block download and emits unsolicited blocks as messages', async () => {
    const { raw, peer } = await outbound()
    const stalls: StallInfo[] = []
    const messages: string[] = []
    peer.on('stalled', (s) => stalls.push(s))
    peer.on('message', (m) => messages.push(m.command))
    const hash = new Uint8Array(32).fill(9)
    await expect(peer.getBlock(hash, { timeoutMs: 20 })).rejects.toMatchObject({
      code: 'REQUEST_TIMEOUT',
      command: 'getdata',
      expect: 'block',
    })
    expect(stalls).toHaveLength(1)
    expect(hex(stalls[0]!.hash!)).toBe(hex(hash))
    // The late block is no longer a response: it goes to the host, who decides (bcoin disconnects).
    raw.send({ command: 'block', block: coinbaseBlock(3) })
    raw.send({ command: 'notfound', inventory: [{ type: InvType.TX, hash }] })
    await until(() => messages.length === 2)
    expect(messages).toEqual(['block', 'notfound'])
  })
})

describe('destroy', () => {
  it('rejects every pending request with PEER_CLOSED, emits close once, is idempotent', async () => {
    const { raw, peer } = await outbound()
    const closes: unknown[] = []
    let after = 0
    peer.on('close', (info) => closes.push(info))
    const ps = [peer.getHeaders([ZERO_HASH]), peer.getBlock(new Uint8Array(32).fill(1)), peer.ping()].map(
      (p) => p.catch((e: unknown) => e),
    )
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
    await expect(peer.getHeaders([])).rejects.toMatchObject({ code: 'PEER_NOT_READY' })
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
