import { encodeMessage, Services } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { NonceSet, Peer, type PeerEvents } from '../src/index.ts'
import { network, peerPair, peerServer, RawRemote, rawServer, versionMessage } from './helpers.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('handshake between two of our peers', () => {
  it('completes in both directions with the negotiated features', async () => {
    const pair = await peerPair({
      outbound: { userAgent: '/out:1.0/', startHeight: 11 },
      inbound: { userAgent: '/in:2.0/', startHeight: () => 22 },
    })
    cleanups.push(pair.close)
    const { out, inp } = pair
    expect(out.state.status).toBe('ready')
    expect(inp.state.status).toBe('ready')
    if (out.state.status !== 'ready' || inp.state.status !== 'ready') return
    expect(out.state.version).toBe(70016)
    expect(out.state.wtxidRelay).toBe(true)
    expect(out.state.addrV2).toBe(true)
    expect(inp.state.wtxidRelay).toBe(true)
    expect(out.state.remote.userAgent).toBe('/in:2.0/')
    expect(out.state.remote.startHeight).toBe(22)
    expect(inp.state.remote.userAgent).toBe('/out:1.0/')
    expect(inp.state.remote.startHeight).toBe(11)
    expect(inp.state.remote.services).toBe(Services.NODE_NETWORK | Services.NODE_WITNESS)
    expect(inp.state.remote.relay).toBe(true)
    expect(out.direction).toBe('outbound')
    expect(inp.direction).toBe('inbound')
    expect(out.connectionType).toBe('outbound-full-relay')
    expect(inp.connectionType).toBe('inbound')
    const s = out.stats()
    expect(s.sent['version']?.messages).toBe(1)
    expect(s.sent['verack']?.messages).toBe(1)
    expect(s.sent['wtxidrelay']?.messages).toBe(1)
    expect(s.received['version']?.messages).toBe(1)
    expect(s.version).toBe(70016)
    expect(s.userAgent).toBe('/in:2.0/')
    expect(s.address).toBe(`127.0.0.1:${s.address.split(':')[1]}`)
    expect(s.connectedAt).toBeTypeOf('number')
    expect(s.readyAt).toBeGreaterThanOrEqual(s.connectedAt!)
  })

  it('negotiates down to the lower version and skips 70016 features', async () => {
    const pair = await peerPair({ inbound: { protocolVersion: 70015 } })
    cleanups.push(pair.close)
    const { out, inp } = pair
    if (out.state.status !== 'ready' || inp.state.status !== 'ready') throw new Error('not ready')
    expect(out.state.version).toBe(70015)
    expect(inp.state.version).toBe(70015)
    expect(out.state.remote.version).toBe(70015)
    expect(inp.state.remote.version).toBe(70016)
    expect(out.state.wtxidRelay).toBe(false)
    expect(out.state.addrV2).toBe(false)
    expect(out.stats().sent['wtxidrelay']).toBeUndefined()
    expect(out.stats().sent['sendaddrv2']).toBeUndefined()
    expect(inp.stats().sent['sendaddrv2']).toBeUndefined()
  })

  it('emits ready once with the ready state', async () => {
    const srv = await peerServer()
    cleanups.push(srv.close)
    const peer = Peer.dial({}, { network, host: '127.0.0.1', port: srv.port })
    cleanups.push(async () => {
      peer.destroy()
      await peer.closed
    })
    expect(peer.state.status).toBe('connecting')
    const readies: PeerEvents['ready'][0][] = []
    peer.on('ready', (s) => readies.push(s))
    const st = await peer.whenReady()
    expect(readies).toEqual([st])
    expect(peer.state).toBe(st)
  })
})

describe('handshake order on the wire', () => {
  it('outbound: version first; wtxidrelay and sendaddrv2 before verack; nothing optional after', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    const connecting = Peer.connect({}, { network, host: '127.0.0.1', port: srv.port })
    const raw = await srv.next()
    await raw.handshakeAsServer()
    const peer = await connecting
    cleanups.push(async () => peer.destroy())
    await raw.next('ping')
    expect(raw.commands().slice(0, 5)).toEqual(['version', 'wtxidrelay', 'sendaddrv2', 'verack', 'ping'])
    const v = raw.received[0]
    if (v?.command !== 'version') throw new Error('no version')
    expect(v.version).toBe(70016)
    expect(v.userAgent).toBe('/node:0.1.0/')
    expect(v.relay).toBe(true)
    expect(v.addrRecv.port).toBe(srv.port)
    expect(Buffer.from(v.addrRecv.ip).toString('hex')).toBe('00000000000000000000ffff7f000001')
  })

  it('sends sendcmpct, sendheaders and feefilter after verack only when asked to', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    const connecting = Peer.connect(
      {},
      {
        network,
        host: '127.0.0.1',
        port: srv.port,
        compactBlocks: true,
        sendHeaders: true,
        feeFilter: 1000n,
      },
    )
    const raw = await srv.next()
    await raw.handshakeAsServer()
    const peer = await connecting
    cleanups.push(async () => peer.destroy())
    await raw.next('ping')
    expect(raw.commands().slice(3)).toEqual(['verack', 'sendcmpct', 'sendheaders', 'feefilter', 'ping'])
    const cmpct = await raw.next('sendcmpct')
    expect(cmpct.announce).toBe(false)
    expect(cmpct.version).toBe(2n)
    expect((await raw.next('feefilter')).feeRate).toBe(1000n)
  })

  it('inbound: sends nothing before the remote version, then answers it', async () => {
    const srv = await peerServer()
    cleanups.push(srv.close)
    const raw = await RawRemote.connect(srv.port)
    cleanups.push(async () => raw.destroy())
    const peer = await srv.next()
    const reports: string[] = []
    peer.on('misbehaving', (r) => reports.push(r.error.code))
    // Core ignores anything before version (and so answers no ping).
    raw.send({ command: 'ping', nonce: 5n })
    raw.send(versionMessage())
    await raw.next('verack')
    expect(raw.commands()).toEqual(['version', 'wtxidrelay', 'sendaddrv2', 'verack'])
    expect(reports).toEqual(['MESSAGE_BEFORE_VERSION'])
    raw.send({ command: 'verack' })
    await peer.whenReady()
    expect(raw.received.some((m) => m.command === 'pong')).toBe(false)
  })

  it('ignores non-negotiation messages between version and verack', async () => {
    const srv = await peerServer()
    cleanups.push(srv.close)
    const raw = await RawRemote.connect(srv.port)
    cleanups.push(async () => raw.destroy())
    const peer = await srv.next()
    const reports: string[] = []
    peer.on('misbehaving', (r) => reports.push(`${r.error.code}/${r.severity}`))
    raw.send(versionMessage())
    await raw.next('verack')
    raw.send({ command: 'ping', nonce: 9n })
    raw.send({ command: 'verack' })
    const ready = await peer.whenReady()
    expect(ready.status).toBe('ready')
    expect(reports).toEqual(['MESSAGE_BEFORE_VERACK/ignore'])
    raw.send({ command: 'ping', nonce: 10n })
    expect((await raw.next('pong')).nonce).toBe(10n)
  })

  it('wtxid relay needs both sides; addrv2 needs the peer to ask', async () => {
    const srv = await peerServer()
    cleanups.push(srv.close)
    const raw = await RawRemote.connect(srv.port)
    cleanups.push(async () => raw.destroy())
    const peer = await srv.next()
    await raw.handshakeAsClient({}, [{ command: 'sendaddrv2' }])
    const st = await peer.whenReady()
    expect(st.wtxidRelay).toBe(false)
    expect(st.addrV2).toBe(true)
  })
})

describe('version checks', () => {
  it('disconnects a peer below the minimum version (31800)', async () => {
    const srv = await peerServer()
    cleanups.push(srv.close)
    const raw = await RawRemote.connect(srv.port)
    const peer = await srv.next()
    const reports: string[] = []
    peer.on('misbehaving', (r) => reports.push(`${r.error.code}/${r.severity}`))
    raw.send(versionMessage({ version: 31799 }))
    await raw.waitClosed()
    expect(reports).toEqual(['OBSOLETE_VERSION/disconnect'])
    expect(peer.state.status).toBe('closed')
    if (peer.state.status === 'closed') expect(peer.state.error?.code).toBe('OBSOLETE_VERSION')
    expect(raw.commands()).toEqual([])
  })

  it('accepts exactly the minimum version, and negotiates it', async () => {
    const srv = await peerServer()
    cleanups.push(srv.close)
    const raw = await RawRemote.connect(srv.port)
    cleanups.push(async () => raw.destroy())
    const peer = await srv.next()
    await raw.handshakeAsClient({ version: 31800 })
    const st = await peer.whenReady()
    expect(st.version).toBe(31800)
    // BIP31: no pong for peers at or below 60000.
    raw.send({ command: 'ping', nonce: 1n })
    raw.send({ command: 'getaddr' })
    const got: string[] = []
    peer.on('message', (m) => got.push(m.command))
    while (got.length === 0) await new Promise((r) => setImmediate(r))
    expect(raw.received.some((m) => m.command === 'pong')).toBe(false)
  })

  it('drops a connection to ourselves (shared nonce set)', async () => {
    const nonces = new NonceSet()
    const srv = await peerServer({ nonces })
    cleanups.push(srv.close)
    const err = await Peer.connect({ nonces }, { network, host: '127.0.0.1', port: srv.port }).catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'PEER_CLOSED' })
    const inbound = await srv.next()
    await inbound.closed
    if (inbound.state.status !== 'closed') throw new Error('open')
    expect(inbound.state.error?.code).toBe('SELF_CONNECTION')
    expect(nonces.size).toBe(0)
  })

  it('disconnects an outbound peer without NETWORK and WITNESS, unless manual', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    const p1 = Peer.connect({}, { network, host: '127.0.0.1', port: srv.port })
    const r1 = await srv.next()
    await r1.next('version')
    r1.send(versionMessage({ services: Services.NODE_NETWORK }))
    const err = await p1.catch((e: unknown) => e)
    expect((err as Error & { cause?: { code?: string } }).cause?.code).toBe('MISSING_SERVICES')

    const p2 = Peer.connect({}, { network, host: '127.0.0.1', port: srv.port, connectionType: 'manual' })
    const r2 = await srv.next()
    await r2.handshakeAsServer({ services: Services.NODE_NETWORK })
    const peer = await p2
    cleanups.push(async () => peer.destroy())
    expect(peer.state.status).toBe('ready')
  })

  it('block-relay-only links send relay = false', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    const p = Peer.connect(
      {},
      { network, host: '127.0.0.1', port: srv.port, connectionType: 'block-relay-only' },
    )
    const raw = await srv.next()
    await raw.handshakeAsServer()
    const peer = await p
    cleanups.push(async () => peer.destroy())
    expect((await raw.next('version')).relay).toBe(false)
  })
})

describe('no message is lost to a late listener', () => {
  it('messages in the same chunk as the verack wait until Peer.connect() has returned', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    const connecting = Peer.connect({}, { network, host: '127.0.0.1', port: srv.port })
    const raw = await srv.next()
    await raw.next('version')
    // One write: version, verack and a getaddr land in one chunk.
    raw.write(
      Buffer.concat([
        encodeMessage(network.magic, versionMessage()),
        encodeMessage(network.magic, { command: 'verack' }),
        encodeMessage(network.magic, { command: 'getaddr' }),
      ]),
    )
    const peer = await connecting
    cleanups.push(async () => peer.destroy())
    const got: string[] = []
    peer.on('message', (m) => got.push(m.command))
    await raw.next('ping')
    while (got.length === 0) await new Promise((r) => setImmediate(r))
    expect(got).toEqual(['getaddr'])
  })
})
