/**
 * The server's lifecycle over real sockets: the Startable contract, and stop()
 * under load — 125 ready inbound peers, peers and dials mid-handshake, and a
 * block sync in flight — bounded, with every handle closed afterwards.
 */
import { EventEmitter } from 'node:events'
import net, { type Socket } from 'node:net'
import path from 'node:path'
import { BlockStore, mineBlock } from '@node/chain'
import { NonceSet, Peer } from '@node/peer'
import { expectNoLeaks, settledResources, startableSuite } from '@node/testkit'
import { blockHash, encodeBlock, encodeHeader } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import {
  cleanup,
  delay,
  makeServer,
  mine,
  RawPeer,
  regtest,
  startServer,
  tmpDir,
  until,
  within,
} from './helpers.ts'

/** Issue 6: stop with 125 connected peers finishes in under 2 s. */
const STOP_BOUND_MS = 2_000

afterEach(cleanup)

startableSuite('Server', {
  setup: async () => {
    const subject = makeServer()
    // The server's own emitter is a typed set of callbacks; mirror it into an
    // EventEmitter the suite can watch for late events.
    const events = new EventEmitter()
    subject.on('peer:ready', (i) => events.emit('peer:ready', i))
    subject.on('peer:closed', (i) => events.emit('peer:closed', i))
    return {
      subject,
      events,
      // A real inbound peer, so stop has a socket, a peer and its timers to close.
      exercise: async () => {
        await RawPeer.open({ port: subject.ports[0]! })
        await until(() => subject.connectionCount === 1, 5_000, 'the inbound peer')
      },
    }
  },
  stopBoundMs: STOP_BOUND_MS,
})

describe('Server stop under load', () => {
  it('stops with 125 ready inbound peers in under 2 s; every peer sees the close and no handle is left', async () => {
    const baseline = await settledResources()
    // 125 inbound peers need 125 + 11 connection slots.
    const server = await startServer({ maxConnections: 136 })
    const port = server.ports[0]!
    const nonces = new NonceSet()
    const remotes: Peer[] = []
    // At most 8 handshakes in progress per /24: connect in batches of 8.
    while (remotes.length < 125) {
      const n = Math.min(8, 125 - remotes.length)
      const batch = await Promise.all(
        Array.from({ length: n }, () =>
          Peer.connect({ nonces }, { network: regtest, host: '127.0.0.1', port, connectTimeoutMs: 5_000 }),
        ),
      )
      remotes.push(...batch)
    }
    await until(() => server.connectionCount === 125, 10_000, '125 ready inbound peers')
    expect(server.peerInfo().filter((p) => p.inbound)).toHaveLength(125)

    await within(server.stop(), STOP_BOUND_MS, 'stop() with 125 peers')
    expect(server.status).toBe('stopped')
    expect(server.connectionCount).toBe(0)
    // Every remote side saw its connection end.
    await within(Promise.all(remotes.map((p) => p.closed)), 2_000, 'the remote peers closing')
    expect(remotes.every((p) => p.status === 'closed')).toBe(true)
    await expectNoLeaks(baseline)
  }, 30_000)

  it('stops while inbound peers and an outbound dial are mid-handshake', async () => {
    const baseline = await settledResources()
    // A listener that accepts the server's dial and never answers its version.
    const held: Socket[] = []
    const blackHole = net.createServer((s) => {
      held.push(s)
      s.on('error', () => {})
      s.resume() // read (and drop) the version, so the close is seen
    })
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve))
    const holePort = (blackHole.address() as net.AddressInfo).port
    const server = await startServer({ addnode: [`127.0.0.1:${holePort}`], dialIntervalMs: 20 })
    const port = server.ports[0]!
    // 12 silent sockets (never send version) from 3 different /24s, and 4 that
    // send version but never verack.
    const silent = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        RawPeer.connect({ port, localAddress: `127.0.${10 + (i % 3)}.${1 + i}` }),
      ),
    )
    const halfway = await Promise.all(
      Array.from({ length: 4 }, (_, i) => RawPeer.connect({ port, localAddress: `127.0.20.${1 + i}` })),
    )
    for (const h of halfway) h.send(h.version())
    await Promise.all(halfway.map((h) => h.waitFor('verack')))
    await until(() => held.length === 1, 5_000, 'the addnode dial to arrive')
    await until(() => server.peerInfo().length === 17, 5_000, 'every connection to be tracked')
    expect(server.connectionCount).toBe(0)

    await within(server.stop(), STOP_BOUND_MS, 'stop() mid-handshake')
    await within(
      Promise.all([...silent, ...halfway].map((r) => r.closed)),
      2_000,
      'the inbound sockets closing',
    )
    await until(() => held.every((s) => s.closed), 2_000, 'the outbound dial closing')
    await new Promise<void>((resolve) => blackHole.close(() => resolve()))
    await expectNoLeaks(baseline)
  }, 20_000)

  it('stops mid-sync, keeps what it stored, and a restart on the same data directory finishes the sync', async () => {
    const source = await startServer()
    await mine(source, 300)
    const dataDir = tmpDir()
    const baseline = await settledResources()
    const connect = [`127.0.0.1:${source.ports[0]}`]
    const syncing = await startServer({ dataDir, connect, dialIntervalMs: 20 })
    // Wait until blocks are being downloaded, then stop.
    await until(() => syncing.blockManager.blocksInFlight > 0, 10_000, 'blocks in flight')
    await within(syncing.stop(), STOP_BOUND_MS, 'stop() during a block sync')
    const reached = syncing.blockManager.chain.tip.height
    expect(reached).toBeLessThan(300)
    await expectNoLeaks(baseline)
    // The source saw the peer go and is still fine.
    await until(() => source.connectionCount === 0, 5_000, 'the source to notice')

    const again = await startServer({ dataDir, connect, dialIntervalMs: 20 })
    // Blocks stored before the stop are not downloaded again.
    expect(again.blockManager.chain.tip.height).toBeGreaterThanOrEqual(reached)
    await until(() => again.blockManager.chain.tip.height === 300, 15_000, 'the sync to finish')
    expect(again.blockManager.chain.tip.hash).toEqual(source.blockManager.chain.tip.hash)
  }, 30_000)
})

/**
 * Issue 11: right after a restart on a data directory with stored blocks,
 * stop() took 11–19 s (the load moved the block tip once a block, and each
 * move queued an fsync'ed tip write that stop() then waited for).
 */
describe('Server stop right after a restart', () => {
  const BLOCKS = 1_000
  /** A data directory holding `BLOCKS` regtest blocks, written straight to the store. */
  async function filledDataDir(): Promise<string> {
    const dataDir = tmpDir()
    const store = new BlockStore({}, { dir: path.join(dataDir, 'blocks') })
    await store.start()
    const headers: { hash: Uint8Array; header80: Uint8Array; height: number }[] = []
    const writes: Promise<void>[] = []
    let prev = { hash: regtest.genesisHash, height: 0, time: regtest.genesis.header.time }
    for (let h = 1; h <= BLOCKS; h++) {
      const b = mineBlock({ network: regtest, prev, payTo: Uint8Array.of(0x51), time: prev.time + 1 })
      const hash = blockHash(b.header)
      writes.push(store.putBlock(hash, encodeBlock(b), { height: h }))
      headers.push({ hash, header80: encodeHeader(b.header), height: h })
      prev = { hash, height: h, time: b.header.time }
    }
    await Promise.all(writes)
    await store.putHeaders(headers)
    await store.setTip(prev.hash, prev.height)
    await store.stop()
    return dataDir
  }

  it(`stops in well under a second at any moment of start-up, with ${BLOCKS} blocks stored`, async () => {
    const dataDir = await filledDataDir()
    // A full start: the stored blocks are connected (the UTXO set is new)
    // and become the chain tip.
    const first = makeServer({ dataDir })
    await first.start()
    await until(() => first.blockManager.chain.tip.height === BLOCKS, 30_000, 'the stored blocks to connect')
    await within(first.stop(), 1_000, 'stop after a full start')
    // Stop at several moments of start-up: at once, mid-load, and just after.
    for (const waitMs of [0, 1, 5, 20, 50, 200]) {
      const s = makeServer({ dataDir })
      const starting = s.start().catch(() => {})
      await delay(waitMs)
      const t0 = performance.now()
      await within(s.stop(), 1_000, `stop ${waitMs} ms into start-up`)
      await starting
      expect(performance.now() - t0).toBeLessThan(1_000)
    }
    // Nothing was lost by the early stops.
    const last = makeServer({ dataDir })
    await last.start()
    // The UTXO set was written at the first stop: the tip loads at once.
    expect(last.blockManager.chain.tip.height).toBe(BLOCKS)
    await last.stop()
  }, 60_000)
})
