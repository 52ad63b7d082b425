/**
 * Flow control as Core does it (net.cpp fPauseSend / fPauseRecv,
 * InactivityCheck): a peer that asks faster than it reads is slowed down, not
 * disconnected; one that never reads is dropped by the 20-minute send
 * inactivity check. Real TCP on 127.0.0.1; the host answers `getheaders` the
 * way a node does, synchronously, from the `message` event.
 */
import { encodeMessage, FrameDecoder, zeroHash } from '@node/wire'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Peer } from '../src/index.ts'
import { header, magic, peerServer, RawRemote, tick, until } from './helpers.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  vi.useRealTimers()
  while (cleanups.length) await cleanups.pop()!()
})

const REQUESTS = 5_000
const HEADERS_PER_ANSWER = 100
const SEND_LIMIT = 64 * 1024
const RECV_LIMIT = 64 * 1024
/** What one socket read can add to the receive queue past its limit (Node reads 64 KiB at most). */
const ONE_READ = 64 * 1024

const headers = Array.from({ length: HEADERS_PER_ANSWER }, (_, i) => header(i))
const ANSWER_SIZE = encodeMessage(magic, { command: 'headers', headers }).length

/** One frame per request; the client writes them all at once. */
function pipelinedGetHeaders(n: number): Uint8Array {
  const one = encodeMessage(magic, {
    command: 'getheaders',
    version: 70016,
    locator: [zeroHash()],
    hashStop: zeroHash(),
  })
  const out = new Uint8Array(one.length * n)
  for (let i = 0; i < n; i++) out.set(one, i * one.length)
  return out
}

interface Bounds {
  /** Most unsent bytes seen when a request was handed to the host. */
  atDispatch: number
  /** Most unsent bytes seen at all. */
  send: number
  /** Most bytes of received messages seen waiting. */
  recv: number
  answered: number
}

/** The host: answers each getheaders with HEADERS_PER_ANSWER headers, recording the queues. */
function serveHeaders(peer: Peer): Bounds {
  const b: Bounds = { atDispatch: 0, send: 0, recv: 0, answered: 0 }
  peer.on('message', (m) => {
    if (m.command !== 'getheaders') return
    b.atDispatch = Math.max(b.atDispatch, peer.bufferedBytes)
    b.recv = Math.max(b.recv, peer.stats().recvQueueBytes)
    peer.send({ command: 'headers', headers })
    b.answered++
    b.send = Math.max(b.send, peer.bufferedBytes)
  })
  return b
}

function sample(peer: Peer, b: Bounds): void {
  if (peer.state.status === 'closed') return
  b.send = Math.max(b.send, peer.bufferedBytes)
  b.recv = Math.max(b.recv, peer.stats().recvQueueBytes)
}

/** A client that counts `headers` frames without keeping them (5,000 × 100 headers). */
async function client(port: number): Promise<{ raw: RawRemote; count: () => number }> {
  const raw = await RawRemote.connect(port)
  cleanups.push(() => raw.destroy())
  await raw.handshakeAsClient()
  // The peer pings right after verack; after that it sends nothing unasked.
  await raw.next('ping')
  expect(raw.decoder.partial).toBe(false)
  raw.socket.removeAllListeners('data')
  const decoder = new FrameDecoder({ magic })
  let n = 0
  raw.socket.on('data', (chunk: Buffer) => {
    for (const ev of decoder.push(chunk)) if (ev.kind === 'message' && ev.message.command === 'headers') n++
  })
  return { raw, count: () => n }
}

describe('backpressure (Core fPauseSend / fPauseRecv)', () => {
  it('a peer that pipelines 5,000 getheaders and reads slowly gets every answer, with both queues bounded', async () => {
    const srv = await peerServer({}, { sendBufferLimitBytes: SEND_LIMIT, recvQueueLimitBytes: RECV_LIMIT })
    cleanups.push(srv.close)
    const peerP = srv.next()
    const { raw, count } = await client(srv.port)
    const peer = await peerP
    const bounds = serveHeaders(peer)

    raw.socket.pause()
    raw.write(pipelinedGetHeaders(REQUESTS))
    // Both pauses engage: answers wait unsent, requests wait unhandled.
    await until(() => {
      sample(peer, bounds)
      return peer.state.status === 'closed' || peer.stats().recvQueueBytes > RECV_LIMIT
    })
    expect(peer.state.status).toBe('ready')
    expect(peer.bufferedBytes).toBeGreaterThan(SEND_LIMIT)
    const handledWhilePaused = bounds.answered
    for (let t = 0; t < 20; t++) await tick()
    expect(bounds.answered).toBe(handledWhilePaused)

    // Read a little at a time until every answer has arrived (bounded).
    for (let round = 0; round < 200_000 && count() < REQUESTS && peer.state.status === 'ready'; round++) {
      raw.socket.resume()
      await tick()
      raw.socket.pause()
      sample(peer, bounds)
      await tick()
      sample(peer, bounds)
    }
    raw.socket.resume()
    expect(peer.state.status).toBe('ready')
    expect(count()).toBe(REQUESTS)
    expect(bounds.answered).toBe(REQUESTS)
    // A request is handled only while the unsent bytes are within the limit;
    // its answer can take them past it by one answer.
    expect(bounds.atDispatch).toBeLessThanOrEqual(SEND_LIMIT)
    expect(bounds.send).toBeLessThanOrEqual(SEND_LIMIT + ANSWER_SIZE)
    // The socket is not read past the receive limit (one read may overshoot it).
    expect(bounds.recv).toBeGreaterThan(RECV_LIMIT)
    expect(bounds.recv).toBeLessThanOrEqual(RECV_LIMIT + ONE_READ)
  })

  it('a peer that never reads is disconnected after 20 minutes without send progress, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    const srv = await peerServer(
      {},
      { sendBufferLimitBytes: SEND_LIMIT, recvQueueLimitBytes: RECV_LIMIT, pingTimeoutMs: 24 * 60 * 60_000 },
    )
    cleanups.push(srv.close)
    const peerP = srv.next()
    const { raw } = await client(srv.port)
    const peer = await peerP
    const bounds = serveHeaders(peer)
    raw.socket.pause()
    raw.write(pipelinedGetHeaders(REQUESTS))
    await until(() => {
      sample(peer, bounds)
      return peer.state.status === 'closed' || peer.stats().recvQueueBytes > RECV_LIMIT
    })
    for (let minute = 0; minute < 19; minute++) {
      await vi.advanceTimersByTimeAsync(60_000)
      sample(peer, bounds)
      expect(peer.state.status).toBe('ready')
    }
    expect(bounds.answered).toBeLessThan(REQUESTS)
    expect(bounds.send).toBeLessThanOrEqual(SEND_LIMIT + ANSWER_SIZE)
    expect(bounds.recv).toBeLessThanOrEqual(RECV_LIMIT + ONE_READ)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(peer.state.status).toBe('closed')
    if (peer.state.status === 'closed') expect(peer.state.error).toMatchObject({ code: 'INACTIVITY_TIMEOUT' })
    expect(peer.bufferedBytes).toBe(0)
    expect(peer.stats().recvQueueBytes).toBe(0)
  })
})
