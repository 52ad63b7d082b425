import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type BcoinNode,
  type BcoinRpcError,
  expectNoLeaks,
  getBestBlockHash,
  getBlockCount,
  getRawBlock,
  getRawBlockAt,
  liveChildren,
  mine,
  processAlive,
  REGTEST_MINING_ADDRESS_WITNESS,
  REGTEST_MINING_PUBKEY_HASH,
  settledResources,
  startBcoin,
  waitForHeight,
} from '../src/index.ts'

const sha256d = (b: Buffer): Buffer =>
  createHash('sha256').update(createHash('sha256').update(b).digest()).digest()
/** Block hash in RPC byte order from the first 80 bytes of a serialized block. */
const blockHash = (raw: Buffer): string =>
  Buffer.from(sha256d(raw.subarray(0, 80)))
    .reverse()
    .toString('hex')
// OP_RETURN PUSH36 aa21a9ed: the BIP141 witness commitment in a coinbase output.
const WITNESS_COMMITMENT = '6a24aa21a9ed'

// Every node a test starts is stopped afterwards, pass or fail.
const nodes: BcoinNode[] = []
async function start(opts?: Parameters<typeof startBcoin>[0]): Promise<BcoinNode> {
  const node = await startBcoin(opts)
  nodes.push(node)
  return node
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()))
})

describe('startBcoin', () => {
  it('starts on loopback, mines 10 blocks and serves them', { timeout: 30_000 }, async () => {
    const node = await start()
    expect(node.p2pPort).toBeGreaterThan(0)
    expect(node.rpcPort).toBeGreaterThan(0)
    expect(node.p2pPort).not.toBe(node.rpcPort)
    expect(node.p2pAddress).toBe(`127.0.0.1:${node.p2pPort}`)
    expect(processAlive(node.pid)).toBe(true)
    // Without nativeCryptoDir bcoin runs on bcrypto's JavaScript (nothing native is built on install).
    expect(node.crypto).toEqual({ secp256k1: 'js', sha256: 'js' })
    expect(await getBlockCount(node)).toBe(0)

    const hashes = await mine(node, 10)
    expect(hashes).toHaveLength(10)
    expect(await getBlockCount(node)).toBe(10)
    expect(await getBestBlockHash(node)).toBe(hashes[9])

    const raw = await getRawBlock(node, hashes[9] as string)
    expect(blockHash(raw)).toBe(hashes[9])
    // The header's previous-block field is block 9's hash (internal byte order).
    expect(Buffer.from(raw.subarray(4, 36)).reverse().toString('hex')).toBe(hashes[8])
    // The coinbase pays the documented test key: OP_DUP OP_HASH160 <hash> OP_EQUALVERIFY OP_CHECKSIG.
    expect(raw.toString('hex')).toContain(`76a914${REGTEST_MINING_PUBKEY_HASH}88ac`)
    // Stock bcoin regtest has no segwit below height 432: no witness commitment.
    expect(raw.toString('hex')).not.toContain(WITNESS_COMMITMENT)
    expect(blockHash(await getRawBlockAt(node, 1))).toBe(hashes[0])
  })

  it('with segwitGenesis, mines blocks with a witness commitment from height 1', {
    timeout: 30_000,
  }, async () => {
    const node = await start({ segwitGenesis: true })
    const [first] = await mine(node, 1, REGTEST_MINING_ADDRESS_WITNESS)
    const raw = (await getRawBlock(node, first as string)).toString('hex')
    expect(raw).toContain(WITNESS_COMMITMENT)
    // P2WPKH output to the same key: OP_0 PUSH20 <hash>.
    expect(raw).toContain(`0014${REGTEST_MINING_PUBKEY_HASH}`)
  })

  it('reports JSON-RPC errors as BcoinRpcError', { timeout: 30_000 }, async () => {
    const node = await start()
    const err = (await node.rpc('getblockhash', [5]).catch((e: unknown) => e)) as BcoinRpcError
    expect(err.code).toBe('BCOIN_RPC')
    expect(err.method).toBe('getblockhash')
    expect(err.rpcCode).toEqual(expect.any(Number))
    const unknown = (await node.rpc('nosuchmethod').catch((e: unknown) => e)) as BcoinRpcError
    expect(unknown.code).toBe('BCOIN_RPC')
  })

  it('B --connect A syncs 200 blocks from A', { timeout: 60_000 }, async () => {
    const a = await start({ segwitGenesis: true })
    const hashes = await mine(a, 200)
    const b = await start({ segwitGenesis: true, connect: [a.p2pAddress] })
    expect(await waitForHeight(b, 200, { timeoutMs: 30_000 })).toBe(200)
    expect(await getBestBlockHash(b)).toBe(hashes[199])
    expect(await a.rpc<unknown[]>('getpeerinfo')).toHaveLength(1)

    await Promise.all([a.stop(), b.stop()])
    expect(a.exited).toBe(true)
    expect(b.exited).toBe(true)
    expect(processAlive(a.pid)).toBe(false)
    expect(processAlive(b.pid)).toBe(false)
  })

  it('stop() is idempotent, ends the process and leaves no handle in this process', {
    timeout: 30_000,
  }, async () => {
    const baseline = await settledResources()
    const before = liveChildren()
    const node = await startBcoin()
    expect(liveChildren()).toBe(before + 1)
    await mine(node, 3)
    const first = node.stop()
    expect(node.stop()).toBe(first)
    await first
    await node.stop()
    expect(node.exited).toBe(true)
    expect(processAlive(node.pid)).toBe(false)
    expect(liveChildren()).toBe(before)
    await expectNoLeaks(baseline, { timeoutMs: 2_000 })
  })
})
