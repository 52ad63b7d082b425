/**
 * A block that breaks Core's CheckTransaction, sent over a real loopback
 * connection: a transaction spending the same outpoint twice
 * (CVE-2018-17144). The node must not store it or make it its tip, and
 * must discourage the peer that sent it (Core: BLOCK_CONSENSUS misbehaviour).
 */
import { mineBlock } from '@node/chain'
import { blockHash, InvType, type Message, Tx } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, delay, RawPeer, recordingLogger, regtest, startServer, until } from './helpers.ts'

afterEach(cleanup)

describe('invalid blocks from a peer', () => {
  it('a block with a transaction that spends one outpoint twice is not accepted, does not become the tip, and its sender is discouraged', async () => {
    const { logger, records } = recordingLogger()
    const server = await startServer({}, { logger })
    const port = server.ports[0]!
    const mgr = server.blockManager
    const g = mgr.chain.genesis

    const outpoint = {
      prevHash: new Uint8Array(32).fill(0xab),
      prevIndex: 0,
      sequence: 0xffffffff,
      witness: [],
    }
    const doubleSpend = new Tx({
      version: 2,
      inputs: [
        { ...outpoint, script: Uint8Array.of(0x51) },
        { ...outpoint, script: Uint8Array.of(0x52) },
      ],
      outputs: [{ value: 50n * 100_000_000n, script: Uint8Array.of(0x51) }],
      locktime: 0,
    })
    const block = mineBlock({
      network: regtest,
      prev: { hash: g.hash, height: 0, time: g.time },
      payTo: Uint8Array.of(0x51),
      txs: [doubleSpend],
    })
    const hash = blockHash(block.header)

    const bad = await RawPeer.open({ port, localAddress: '127.0.21.1' })
    bad.send({ command: 'headers', headers: [block.header] })
    // The header is valid and has more work than our tip: the node asks for the block.
    await bad.waitFor(
      'getdata',
      5_000,
      (m: Message) =>
        m.command === 'getdata' &&
        m.inventory.some((i) => (i.type & ~0x40000000) === InvType.BLOCK && Buffer.from(i.hash).equals(hash)),
    )
    bad.send({ command: 'block', block })

    expect(await bad.closesWithin(5_000)).toBe(true)
    expect(server.bans.isDiscouraged('127.0.21.1')).toBe(true)
    expect(
      records.some(
        (r) =>
          r.msg === 'Received an invalid block.' &&
          (r.fields['err'] as { reason?: string } | undefined)?.reason === 'bad-txns-inputs-duplicate',
      ),
    ).toBe(true)
    await delay(50)
    expect(mgr.chain.tip.height).toBe(0)
    expect(mgr.chain.isInvalid(hash)).toBe(true)
    expect(mgr.chain.get(hash)?.haveData ?? false).toBe(false)
    await until(() => server.peerInfo().length === 0, 5_000, 'the server to drop the peer')
  })
})
