/**
 * BIP324 policy (Core -v2transport): two of our nodes speak v2 by default and
 * advertise NODE_P2P_V2; a node with -v2transport=0 is reached over v1 after
 * one v2 attempt (reconnect-as-v1); peerInfo reports the transport and the
 * session id, as getpeerinfo does.
 */
import { Services } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, startServer, until } from './helpers.ts'

afterEach(cleanup)

describe('v2 transport policy', () => {
  it('two of our nodes connect over v2 by default, with the same session id on both sides', async () => {
    const a = await startServer()
    const b = await startServer({ addnode: [`127.0.0.1:${a.ports[0]}`], dialIntervalMs: 10 })
    const ready = (): boolean =>
      a.peerInfo()[0]?.transportProtocol === 'v2' &&
      b.peerInfo()[0]?.transportProtocol === 'v2' &&
      b.peerInfo()[0]?.stats.remoteVersion !== undefined &&
      a.peerInfo()[0]?.stats.remoteVersion !== undefined
    await until(ready, 10_000, 'a v2 connection')
    const pa = a.peerInfo()[0]!
    const pb = b.peerInfo()[0]!
    expect(pa.sessionId).toMatch(/^[0-9a-f]{64}$/)
    expect(pa.sessionId).toBe(pb.sessionId)
    // Each side saw NODE_P2P_V2 in the other's version.
    expect((pb.stats.services ?? 0n) & Services.NODE_P2P_V2).toBe(Services.NODE_P2P_V2)
    expect((pa.stats.services ?? 0n) & Services.NODE_P2P_V2).toBe(Services.NODE_P2P_V2)
  })

  it('a node with -v2transport=0 is reached over v1 after one v2 attempt, and does not advertise NODE_P2P_V2', async () => {
    const a = await startServer({ v2Transport: false })
    const b = await startServer({ addnode: [`127.0.0.1:${a.ports[0]}`], dialIntervalMs: 10 })
    await until(
      () =>
        b.peerInfo()[0]?.stats.remoteVersion !== undefined &&
        a.peerInfo()[0]?.stats.remoteVersion !== undefined,
      10_000,
      'a v1 connection',
    )
    const pb = b.peerInfo()[0]!
    expect(pb.transportProtocol).toBe('v1')
    expect(pb.sessionId).toBe('')
    expect((pb.stats.services ?? 0n) & Services.NODE_P2P_V2).toBe(0n)
    expect(a.peerInfo()[0]!.transportProtocol).toBe('v1')
    expect(b.peerInfo()).toHaveLength(1)
  })
})
