import { InvType } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { type Misbehaviour, Peer } from '../src/index.ts'
import { network, peerServer, RawRemote, rawServer, until } from './helpers.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const h = (i: number) => new Uint8Array(32).fill(i)

async function inbound(init: Parameters<typeof peerServer>[1] = {}) {
  const srv = await peerServer({}, init)
  cleanups.push(srv.close)
  const raw = await RawRemote.connect(srv.port)
  cleanups.push(() => raw.destroy())
  const peer = await srv.next()
  return { raw, peer }
}

describe('received inventory', () => {
  it('after wtxidrelay, MSG_TX invs are dropped and MSG_WTX kept (BIP339)', async () => {
    const { raw, peer } = await inbound()
    await raw.handshakeAsClient({}, [{ command: 'wtxidrelay' }])
    const st = await peer.whenReady()
    expect(st.wtxidRelay).toBe(true)
    const invs: string[][] = []
    peer.on('message', (m) => {
      if (m.command === 'inv') invs.push(m.inventory.map((i) => `${i.type}:${i.hash[0]}`))
    })
    raw.send({
      command: 'inv',
      inventory: [
        { type: InvType.TX, hash: h(1) },
        { type: InvType.WTX, hash: h(2) },
        { type: InvType.BLOCK, hash: h(3) },
      ],
    })
    raw.send({ command: 'inv', inventory: [{ type: InvType.TX, hash: h(4) }] })
    raw.send({ command: 'inv', inventory: [{ type: InvType.WTX, hash: h(5) }] })
    await until(() => invs.length === 2)
    expect(invs).toEqual([['5:2', '2:3'], ['5:5']])
    expect(peer.knowsInventory({ type: InvType.WTX, hash: h(2) })).toBe(true)
    expect(peer.knowsInventory({ type: InvType.TX, hash: h(1) })).toBe(false)
  })

  it('without wtxidrelay, MSG_WTX invs are dropped', async () => {
    const { raw, peer } = await inbound()
    await raw.handshakeAsClient()
    await peer.whenReady()
    const invs: number[][] = []
    peer.on('message', (m) => {
      if (m.command === 'inv') invs.push(m.inventory.map((i) => i.type))
    })
    raw.send({
      command: 'inv',
      inventory: [
        { type: InvType.WTX, hash: h(1) },
        { type: InvType.TX, hash: h(2) },
      ],
    })
    await until(() => invs.length === 1)
    expect(invs).toEqual([[InvType.TX]])
  })

  it('disconnects a peer that sends transaction invs on a relay = false link', async () => {
    const srv = await rawServer()
    cleanups.push(srv.close)
    const p = Peer.connect(
      {},
      { network, host: '127.0.0.1', port: srv.port, connectionType: 'block-relay-only' },
    )
    const raw = await srv.next()
    await raw.handshakeAsServer()
    const peer = await p
    const reports: Misbehaviour[] = []
    peer.on('misbehaving', (r) => reports.push(r))
    raw.send({ command: 'inv', inventory: [{ type: InvType.BLOCK, hash: h(1) }] })
    raw.send({ command: 'inv', inventory: [{ type: InvType.TX, hash: h(2) }] })
    await raw.waitClosed()
    expect(reports.map((r) => `${r.error.code}/${r.severity}`)).toEqual(['TX_RELAY_VIOLATION/disconnect'])
  })
})

describe('block announcements', () => {
  it('records sendcmpct (version 2 only) and feefilter (within MAX_MONEY)', async () => {
    const { raw, peer } = await inbound()
    await raw.handshakeAsClient()
    const st = await peer.whenReady()
    raw.send({ command: 'sendcmpct', announce: true, version: 1n })
    raw.send({ command: 'feefilter', feeRate: -1n })
    raw.send({ command: 'ping', nonce: 1n })
    await raw.next('pong')
    expect(st.features.compact).toBeUndefined()
    expect(st.features.feeFilter).toBe(0n)
    raw.send({ command: 'sendcmpct', announce: true, version: 2n })
    raw.send({ command: 'feefilter', feeRate: 1234n })
    raw.send({ command: 'ping', nonce: 2n })
    await raw.nth('pong', 2)
    expect(st.features.compact).toEqual({ announce: true, version: 2n })
    expect(st.features.feeFilter).toBe(1234n)
  })
})

describe('sending', () => {
  it('marks sent inventory as known and counts traffic per command', async () => {
    const { raw, peer } = await inbound()
    await raw.handshakeAsClient()
    await peer.whenReady()
    expect(peer.send({ command: 'inv', inventory: [{ type: InvType.WTX, hash: h(8) }] })).toBe(true)
    await raw.next('inv')
    expect(peer.knowsInventory({ type: InvType.WTX, hash: h(8) })).toBe(true)
    const s = peer.stats()
    expect(s.sent['inv']).toEqual({ messages: 1, bytes: 24 + 1 + 36 })
    expect(s.bytesSent).toBe(Object.values(s.sent).reduce((n, c) => n + c.bytes, 0))
    expect(s.messagesSent).toBe(Object.values(s.sent).reduce((n, c) => n + c.messages, 0))
    expect(s.bytesReceived).toBe(Object.values(s.received).reduce((n, c) => n + c.bytes, 0))
  })
})
