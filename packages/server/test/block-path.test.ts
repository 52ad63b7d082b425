/**
 * The block path: a block that arrives over a socket is hashed once and
 * relayed from the bytes it came in, never encoded again (btcd hands the
 * received `buf` to OnBlock the same way). `@node/wire`'s blockHash and
 * encodeBlock are wrapped in counting spies for this file, so every call
 * from the peer, the server and the block manager is counted.
 */
import { mineBlock } from '@node/chain'
import { blockHash, encodeBlock, encodeHeader, hashToHex, InvType, type Message, toHex } from '@node/wire'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, mine, RawPeer, startServer, until } from './helpers.ts'

vi.mock('@node/wire', async (importOriginal) => {
  const wire = await importOriginal<typeof import('@node/wire')>()
  return { ...wire, blockHash: vi.fn(wire.blockHash), encodeBlock: vi.fn(wire.encodeBlock) }
})

afterEach(cleanup)

describe('the block path', () => {
  it('a block from a socket is hashed once and relayed to another peer without being re-encoded', async () => {
    const s = await startServer()
    await mine(s, 2)
    const port = s.ports[0]!
    const from = await RawPeer.open({ port })
    const to = await RawPeer.open({ port, localAddress: '127.0.0.2' })
    await until(() => s.blockManager.peerCount === 2, 5_000, 'both peers handed to the block manager')
    const tip = s.blockManager.chain.tip
    const block = mineBlock({
      network: s.network,
      prev: { hash: tip.hash, height: tip.height, time: tip.time },
      payTo: Uint8Array.of(0x51),
      time: tip.time + 1,
    })
    const hashBytes = blockHash(block.header)
    const hash = hashToHex(hashBytes)
    const hashes = vi.mocked(blockHash)
    const encodes = vi.mocked(encodeBlock)
    hashes.mockClear()
    encodes.mockClear()

    from.send({ command: 'block', block })
    const announced = (m: Message) =>
      m.command === 'inv' && m.inventory.some((i) => hashToHex(i.hash) === hash)
    await to.waitFor('inv', 10_000, announced)
    to.send({ command: 'getdata', inventory: [{ type: InvType.WITNESS_BLOCK, hash: hashBytes }] })
    const got = await to.waitFor('block', 10_000)
    // The same block (compared by its header's bytes, so the test hashes nothing meanwhile).
    expect(got.command === 'block' && toHex(encodeHeader(got.block.header))).toBe(
      toHex(encodeHeader(block.header)),
    )
    await until(() => s.blockManager.chain.tip.height === tip.height + 1, 5_000, 'the block stored')

    const ofBlock = hashes.mock.results.filter((r) => r.type === 'return' && hashToHex(r.value) === hash)
    expect(ofBlock).toHaveLength(1)
    expect(encodes).not.toHaveBeenCalled()
  })
})
