/**
 * The full-validation RPC methods (gettxout, gettxoutsetinfo, scantxoutset,
 * invalidateblock, reconsiderblock, verifychain, getchaintxstats,
 * getrawtransaction, createmultisig, getblock verbosity 2 and 3) over HTTP
 * with the `bitcoin-core` client, against a real regtest Server and its
 * real chain state (`chainStateRpc(server.blockManager.chainstate)`).
 *
 * The UTXO hashes expected are computed without the chain state: testkit's
 * replay of the node's blocks (`expectedUtxos`) hashed by `computeUtxoStats`
 * (helpers/utxo-stats.ts). The shapes, field names and error codes asserted
 * here are bitcoind's.
 *
 * Over 500 lines, for a reason: the tests of ten methods share one mined
 * chain (102 blocks and a spend), built once.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bogoSize } from '@node/chain'
import { createNode, type Server } from '@node/server'
import { expectedUtxos } from '@node/testkit'
import { decodeBlock, hashToHex, networks, toHex } from '@node/wire'
import Client from 'bitcoin-core'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ChainStateRpc, chainStateRpc } from '../src/chainstate-rpc.ts'
import { descriptorChecksum } from '../src/descriptor.ts'
import { readBlockBytes, registerNodeMethods } from '../src/rpc-methods.ts'
import { RpcServer } from '../src/rpc-server.ts'
import { registerValidationMethods } from '../src/rpc-validation-methods.ts'
import { expectedStats } from './helpers/utxo-stats.ts'

bitcoin.initEccLib(ecc)

// Core descriptor_tests.cpp's key (WIF L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1).
const KEY = '03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd'
const PRIVATE_KEY = Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex')
const XONLY = KEY.slice(2)
const network = bitcoin.networks.regtest
const pubkey = Buffer.from(KEY, 'hex')
const WPKH = bitcoin.payments.p2wpkh({ pubkey, network })
const PKH = bitcoin.payments.p2pkh({ pubkey, network })
const TR = bitcoin.payments.p2tr({ internalPubkey: Buffer.from(XONLY, 'hex'), network })
const withSum = (d: string): string => `${d}#${descriptorChecksum(d)}`

/** While set, scans wait on it before their first coin (to look at status and abort while one runs). */
let gate: Promise<void> | undefined

/** The real chain state's RPC view, its scans held at {@link gate}. */
function gated(real: ChainStateRpc): ChainStateRpc {
  return {
    ...real,
    scanCoins(scripts, signal) {
      const scan = real.scanCoins(scripts, signal)
      const held = gate
      return {
        get bestBlock() {
          return scan.bestBlock
        },
        get scanned() {
          return scan.scanned
        },
        get progress() {
          return scan.progress
        },
        async *[Symbol.asyncIterator]() {
          if (held) await held
          yield* scan
        },
      }
    },
  }
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
let dir: string
let server: Server
let chainState: ChainStateRpc
let withState: RpcServer
let without: RpcServer
let client: Client
let bare: Client
/** Block hashes by height (1..). */
let hashes: string[]
let spend: bitcoin.Transaction
let spendBlock: string

async function makeClient(rpc: RpcServer, cookieFile: string): Promise<Client> {
  await rpc.start()
  const [username, password] = (await readFile(cookieFile, 'utf8')).split(':') as [string, string]
  return new Client({
    host: `http://127.0.0.1:${rpc.addresses()[0]?.port}`,
    username,
    password,
    logger: quiet,
    timeout: 20_000,
  })
}

async function failure(
  c: Client,
  method: string,
  ...params: unknown[]
): Promise<{ code: number; message: string }> {
  try {
    await c.command(method, ...params)
  } catch (err) {
    return { code: (err as { code: number }).code, message: (err as Error).message }
  }
  throw new Error(`${method} did not fail`)
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btcnode-rpcv-'))
  server = createNode(
    {
      network: networks.regtest,
      dataDir: dir,
      bind: ['127.0.0.1:0'],
      dnsSeed: false,
      fixedSeeds: false,
      progressIntervalMs: 0,
    },
    { resolve: async () => [] },
  )
  await server.start()
  chainState = gated(chainStateRpc(server.blockManager.chainstate!))
  const opts = { version: 100, userAgent: '/btcnode:0.1.0/' }
  withState = new RpcServer(
    {},
    { auth: { kind: 'cookie', cookieFile: join(dir, 'a.cookie') }, authFailureDelayMs: 0 },
  )
  registerNodeMethods(withState, server, { ...opts, chainState })
  registerValidationMethods(withState, server, chainState)
  without = new RpcServer(
    {},
    { auth: { kind: 'cookie', cookieFile: join(dir, 'b.cookie') }, authFailureDelayMs: 0 },
  )
  registerNodeMethods(without, server, opts)
  registerValidationMethods(without, server, undefined)
  client = await makeClient(withState, join(dir, 'a.cookie'))
  bare = await makeClient(without, join(dir, 'b.cookie'))

  // 101 blocks to wpkh(KEY), then one spending block 1's coinbase to pkh(KEY) and tr(KEY).
  hashes = (await client.command('generatetoaddress', 101, WPKH.address)) as string[]
  const cb1 = decodeBlock(await readBlockBytes(server, server.blockManager.chain.activeAtHeight(1)!)).txs[0]!
  spend = new bitcoin.Transaction()
  spend.version = 2
  spend.addInput(Buffer.from(cb1.txid()), 0, 0xffffffff, Buffer.alloc(0))
  spend.addOutput(PKH.output!, 1_000_000_000n)
  spend.addOutput(TR.output!, 3_999_990_000n)
  // Signed: the chain state checks the script (BIP143 P2WPKH).
  const sighash = spend.hashForWitnessV0(0, PKH.output!, 5_000_000_000n, bitcoin.Transaction.SIGHASH_ALL)
  const sig = bitcoin.script.signature.encode(
    Buffer.from(ecc.sign(sighash, PRIVATE_KEY)),
    bitcoin.Transaction.SIGHASH_ALL,
  )
  spend.setWitness(0, [sig, pubkey])
  spendBlock = ((await client.command('generateblock', WPKH.address, [spend.toHex()])) as { hash: string })
    .hash
  hashes.push(spendBlock)
}, 120_000)

afterAll(async () => {
  await withState.stop()
  await without.stop()
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('without a chain state', () => {
  it('the UTXO methods answer RPC_MISC_ERROR naming what is missing; the others work', async () => {
    const txid = spend.getId()
    for (const [method, params] of [
      ['gettxout', [txid, 0]],
      ['gettxoutsetinfo', []],
      ['scantxoutset', ['start', [`wpkh(${KEY})`]]],
      ['invalidateblock', [spendBlock]],
      ['reconsiderblock', [spendBlock]],
      ['verifychain', []],
    ] as const) {
      expect(await failure(bare, method, ...params)).toEqual({
        code: -1,
        message: `${method} needs the chain state (UTXO set), which this node does not have yet`,
      })
    }
    expect(await bare.command('scantxoutset', 'status')).toBeNull()
    expect(await bare.command('scantxoutset', 'abort')).toBe(false)
    // No undo data: no fee and no prevout, as Core without undo.
    const block = (await bare.command('getblock', spendBlock, 3)) as { tx: Record<string, unknown>[] }
    expect(block.tx[1]).not.toHaveProperty('fee')
    expect(block.tx[1]!['vin']).toEqual([expect.not.objectContaining({ prevout: expect.anything() })])
    const tx = (await bare.command('getrawtransaction', txid, 2, spendBlock)) as Record<string, unknown>
    expect(tx['txid']).toBe(txid)
    expect(tx).not.toHaveProperty('fee')
    expect(await bare.command('getchaintxstats')).toMatchObject({ window_final_block_hash: spendBlock })
  })
})

describe('gettxout', () => {
  it("answers bitcoind's object for an unspent output and null for a spent or unknown one", async () => {
    const chain = server.blockManager.chain
    const cb2 = decodeBlock(await readBlockBytes(server, chain.activeAtHeight(2)!)).txs[0]!
    const out = (await client.command('gettxout', hashToHex(cb2.txid()), 0)) as Record<string, unknown>
    expect(out).toEqual({
      bestblock: spendBlock,
      confirmations: 101,
      value: 50,
      scriptPubKey: {
        asm: `0 ${toHex(WPKH.hash!)}`,
        desc: withSum(`addr(${WPKH.address})`),
        hex: toHex(WPKH.output!),
        address: WPKH.address,
        type: 'witness_v0_keyhash',
      },
      coinbase: true,
    })
    expect(Object.keys(out)).toEqual(['bestblock', 'confirmations', 'value', 'scriptPubKey', 'coinbase'])
    const cb1 = decodeBlock(await readBlockBytes(server, chain.activeAtHeight(1)!)).txs[0]!
    expect(await client.command('gettxout', hashToHex(cb1.txid()), 0)).toBeNull()
    expect(await client.command('gettxout', spend.getId(), 2)).toBeNull()
    expect(await client.command('gettxout', spend.getId(), 1, false)).toMatchObject({
      confirmations: 1,
      value: 39.9999,
      coinbase: false,
      scriptPubKey: { type: 'witness_v1_taproot', address: TR.address },
    })
    expect(await failure(client, 'gettxout', 'zz', 0)).toEqual({
      code: -8,
      message: "txid must be of length 64 (not 2, for 'zz')",
    })
    expect(await failure(client, 'gettxout', 'g'.repeat(64), 0)).toEqual({
      code: -8,
      message: `txid must be hexadecimal string (not '${'g'.repeat(64)}')`,
    })
    expect((await failure(client, 'gettxout', spend.getId(), -1)).message).toBe('JSON integer out of range')
  })
})

describe('gettxoutsetinfo', () => {
  it('gives the set at its best block with the hash asked for, and refuses other blocks as Core without an index', async () => {
    // The set a replay of the node's blocks gives, hashed without the chain state.
    const chain = server.blockManager.chain
    const blocks = []
    for (let h = 1; h <= chain.tip.height; h++) {
      blocks.push({ height: h, raw: await readBlockBytes(server, chain.activeAtHeight(h)!) })
    }
    const utxos = expectedUtxos(blocks)
    const want = await expectedStats(utxos)
    let bogosize = 0
    for (const u of utxos.values()) bogosize += bogoSize(u.script)
    const info = (await client.command('gettxoutsetinfo')) as Record<string, unknown>
    // 102 coinbases (one spent, one in the spend block) + 2 outputs of the spend.
    expect(want).toMatchObject({
      txouts: 103,
      transactions: 102,
      totalAmount: 102n * 50n * 100_000_000n - 10_000n,
    })
    expect(info).toEqual({
      height: 102,
      bestblock: spendBlock,
      txouts: 103,
      bogosize,
      hash_serialized_3: want.hash_serialized_3,
      total_amount: 102 * 50 - 0.0001,
      transactions: 102,
      disk_size: expect.any(Number),
    })
    const mu = (await client.command('gettxoutsetinfo', 'muhash')) as Record<string, unknown>
    expect(mu['muhash']).toBe(want.muhash)
    expect(mu).not.toHaveProperty('hash_serialized_3')
    const none = (await client.command('gettxoutsetinfo', 'none')) as Record<string, unknown>
    expect(none).not.toHaveProperty('hash_serialized_3')
    expect(none).not.toHaveProperty('muhash')
    expect(await failure(client, 'gettxoutsetinfo', 'sha')).toEqual({
      code: -8,
      message: "'sha' is not a valid hash_type",
    })
    expect(await failure(client, 'gettxoutsetinfo', 'muhash', 5)).toEqual({
      code: -8,
      message: 'Querying specific block heights requires coinstatsindex',
    })
  })
})

describe('scantxoutset', () => {
  it('finds the coins of single-key descriptors with inferred descriptors, in outpoint order', async () => {
    const r = (await client.command('scantxoutset', 'start', [
      `pkh(${KEY})`,
      { desc: withSum(`tr(${KEY})`) },
    ])) as Record<string, unknown>
    expect(Object.keys(r)).toEqual(['success', 'txouts', 'height', 'bestblock', 'unspents', 'total_amount'])
    expect(r).toMatchObject({
      success: true,
      txouts: 103,
      height: 102,
      bestblock: spendBlock,
      total_amount: 49.9999,
    })
    const expected = [
      {
        txid: spend.getId(),
        vout: 0,
        scriptPubKey: toHex(PKH.output!),
        desc: withSum(`pkh(${KEY})`),
        amount: 10,
        coinbase: false,
        height: 102,
        blockhash: spendBlock,
        confirmations: 1,
      },
      {
        txid: spend.getId(),
        vout: 1,
        scriptPubKey: toHex(TR.output!),
        desc: withSum(`tr(${XONLY})`),
        amount: 39.9999,
        coinbase: false,
        height: 102,
        blockhash: spendBlock,
        confirmations: 1,
      },
    ]
    expect(r['unspents']).toEqual(expected)

    const w = (await client.command('scantxoutset', 'start', [`wpkh(${KEY})`])) as {
      unspents: { txid: string; vout: number; height: number; blockhash: string; desc: string }[]
      total_amount: number
    }
    // Block 1's coinbase is spent; 2..102 remain.
    expect(w.unspents).toHaveLength(101)
    expect(w.total_amount).toBe(101 * 50)
    for (const u of w.unspents) {
      expect(u.blockhash).toBe(hashes[u.height - 1])
      expect(u.desc).toBe(withSum(`wpkh(${KEY})`))
    }
    const keys = w.unspents.map((u) => Buffer.from(u.txid, 'hex').reverse().toString('hex'))
    expect(keys).toEqual([...keys].sort())
    // addr() and raw() are inferred without keys (Core InferDescriptor with an empty provider):
    // addr() for P2PKH, rawtr() for a taproot output.
    const a = (await client.command('scantxoutset', 'start', [
      `addr(${PKH.address})`,
      `raw(${toHex(TR.output!)})`,
    ])) as {
      unspents: { desc: string }[]
    }
    expect(a.unspents.map((u) => u.desc)).toEqual([
      withSum(`addr(${PKH.address})`),
      withSum(`rawtr(${toHex(TR.pubkey!)})`),
    ])
  })

  it("refuses bad actions and scan objects with Core's codes", async () => {
    expect(await failure(client, 'scantxoutset', 'go', [])).toEqual({
      code: -8,
      message: "Invalid action 'go'",
    })
    expect(await failure(client, 'scantxoutset', 'start')).toEqual({
      code: -1,
      message: 'scanobjects argument is required for the start action',
    })
    expect(await failure(client, 'scantxoutset', 'start', [5])).toEqual({
      code: -8,
      message: 'Scan object needs to be either a string or an object',
    })
    expect(await failure(client, 'scantxoutset', 'start', [{ desc: 5 }])).toEqual({
      code: -3,
      message: 'JSON value of type number is not of expected type string',
    })
    expect(await failure(client, 'scantxoutset', 'start', [{ range: 5 }])).toEqual({
      code: -8,
      message: 'Descriptor needs to be provided in scan object',
    })
    const desc = `wpkh(${KEY})`
    expect(await failure(client, 'scantxoutset', 'start', [{ desc, range: [5, 4] }])).toEqual({
      code: -8,
      message: 'Range specified as [begin,end] must not have begin after end',
    })
    expect(await failure(client, 'scantxoutset', 'start', [{ desc, range: 'x' }])).toEqual({
      code: -8,
      message: 'Range must be specified as end or as [begin,end]',
    })
    expect((await client.command('scantxoutset', 'start', [{ desc, range: 10 }])) as object).toHaveProperty(
      'success',
      true,
    )
    expect(await failure(client, 'scantxoutset', 'start', [`wpkh(${KEY})#00000000`])).toEqual({
      code: -5,
      message: `Provided checksum '00000000' does not match computed checksum '${descriptorChecksum(`wpkh(${KEY})`)}'`,
    })
  })

  it('runs one scan at a time: status shows its progress, abort ends it with success false', async () => {
    let open = (): void => {}
    gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const running = client.command('scantxoutset', 'start', [`wpkh(${KEY})`]) as Promise<
      Record<string, unknown>
    >
    let status: unknown = null
    for (let i = 0; i < 100 && status === null; i++) {
      status = await client.command('scantxoutset', 'status')
      if (status === null) await new Promise((r) => setTimeout(r, 10))
    }
    // Held before its first coin: nothing of the key space passed yet.
    expect(status).toEqual({ progress: 0 })
    expect(await failure(client, 'scantxoutset', 'start', [`pkh(${KEY})`])).toEqual({
      code: -8,
      message: 'Scan already in progress, use action "abort" or "status"',
    })
    expect(await client.command('scantxoutset', 'abort')).toBe(true)
    open()
    gate = undefined
    const r = await running
    expect(r).toMatchObject({ success: false, txouts: 0, unspents: [], total_amount: 0 })
    expect(await client.command('scantxoutset', 'status')).toBeNull()
    expect(await client.command('scantxoutset', 'abort')).toBe(false)
  })
})

describe('getblock with undo data', () => {
  it('adds each transaction fee at verbosity 2 and each input prevout at 3, as Core blockToJSON', async () => {
    type TxJson = Record<string, unknown> & { vin: Record<string, unknown>[] }
    const two = (await client.command('getblock', spendBlock, 2)) as { tx: TxJson[] }
    expect(two.tx[0]).not.toHaveProperty('fee')
    expect(two.tx[1]!['fee']).toBe(0.0001)
    expect(Object.keys(two.tx[1]!)).toEqual([
      'txid',
      'hash',
      'version',
      'size',
      'vsize',
      'weight',
      'locktime',
      'vin',
      'vout',
      'fee',
      'hex',
    ])
    expect(two.tx[1]!.vin[0]).not.toHaveProperty('prevout')
    const three = (await client.command('getblock', spendBlock, 3)) as { tx: TxJson[] }
    const vin = three.tx[1]!.vin[0]!
    // Core TxToUniv: the witness before the prevout.
    expect(Object.keys(vin)).toEqual(['txid', 'vout', 'scriptSig', 'txinwitness', 'prevout', 'sequence'])
    expect(vin['prevout']).toEqual({
      generated: true,
      height: 1,
      value: 50,
      scriptPubKey: {
        asm: `0 ${toHex(WPKH.hash!)}`,
        desc: withSum(`addr(${WPKH.address})`),
        hex: toHex(WPKH.output!),
        address: WPKH.address,
        type: 'witness_v0_keyhash',
      },
    })
    expect(three.tx[0]!.vin[0]).not.toHaveProperty('prevout')
  })
})

describe('getrawtransaction', () => {
  it('finds a transaction in the block given, with fee and prevouts at verbosity 2', async () => {
    const txid = spend.getId()
    expect(await client.command('getrawtransaction', txid, 0, spendBlock)).toBe(spend.toHex())
    expect(await client.command('getrawtransaction', txid, false, spendBlock)).toBe(spend.toHex())
    const one = (await client.command('getrawtransaction', txid, true, spendBlock)) as Record<string, unknown>
    expect(Object.keys(one)).toEqual([
      'in_active_chain',
      'txid',
      'hash',
      'version',
      'size',
      'vsize',
      'weight',
      'locktime',
      'vin',
      'vout',
      'hex',
      'blockhash',
      'confirmations',
      'time',
      'blocktime',
    ])
    expect(one).toMatchObject({ in_active_chain: true, txid, blockhash: spendBlock, confirmations: 1 })
    const two = (await client.command('getrawtransaction', txid, 2, spendBlock)) as Record<string, unknown>
    expect(two['fee']).toBe(0.0001)
    expect((two['vin'] as Record<string, unknown>[])[0]).toHaveProperty('prevout.height', 1)
  })

  it("answers Core's errors without a block hash, for a wrong block, and for the genesis coinbase", async () => {
    const txid = spend.getId()
    expect(await failure(client, 'getrawtransaction', txid)).toEqual({
      code: -5,
      message:
        'No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions.',
    })
    expect(await failure(client, 'getrawtransaction', txid, 1, hashes[0])).toEqual({
      code: -5,
      message: 'No such transaction found in the provided block. Use gettransaction for wallet transactions.',
    })
    expect(await failure(client, 'getrawtransaction', txid, 1, '11'.repeat(32))).toEqual({
      code: -5,
      message: 'Block hash not found',
    })
    const genesis = hashToHex(networks.regtest.genesis.header.merkleRoot)
    expect(await failure(client, 'getrawtransaction', genesis, 1, hashes[0])).toEqual({
      code: -5,
      message: 'The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved',
    })
  })
})

describe('getchaintxstats', () => {
  it('counts transactions over a window of the active chain', async () => {
    const tip = (await client.command('getchaintxstats')) as Record<string, unknown>
    // 103 blocks (genesis included) with one transaction each, plus the spend.
    expect(tip).toMatchObject({
      txcount: 104,
      window_final_block_hash: spendBlock,
      window_final_block_height: 102,
      window_block_count: 101,
      window_tx_count: 102,
    })
    const ten = (await client.command('getchaintxstats', 10, hashes[49])) as Record<string, unknown>
    expect(ten).toMatchObject({
      txcount: 51,
      window_final_block_height: 50,
      window_block_count: 10,
      window_tx_count: 10,
    })
    expect(await client.command('getchaintxstats', 0)).not.toHaveProperty('window_tx_count')
    expect(await failure(client, 'getchaintxstats', 102)).toEqual({
      code: -8,
      message: "Invalid block count: should be between 0 and the block's height - 1",
    })
    expect((await failure(client, 'getchaintxstats', 1, '11'.repeat(32))).code).toBe(-5)
  })
})

describe('invalidateblock, reconsiderblock, verifychain', () => {
  it('invalidateblock moves the tip and the UTXO set off the block, reconsiderblock back onto it', async () => {
    const before = (await client.command('gettxoutsetinfo')) as Record<string, unknown>
    expect(await client.command('invalidateblock', spendBlock)).toBeNull()
    expect(await client.command('getbestblockhash')).toBe(hashes[100])
    expect(await client.command('getchaintips')).toContainEqual(
      expect.objectContaining({ hash: spendBlock, status: 'invalid' }),
    )
    // The spend's outputs are gone and block 1's coinbase is back.
    expect(await client.command('gettxout', spend.getId(), 0)).toBeNull()
    const cb1 = decodeBlock(await readBlockBytes(server, server.blockManager.chain.activeAtHeight(1)!))
      .txs[0]!
    expect(await client.command('gettxout', hashToHex(cb1.txid()), 0)).toMatchObject({
      value: 50,
      coinbase: true,
    })
    expect(await client.command('gettxoutsetinfo')).toMatchObject({ height: 101, txouts: 101 })
    expect(await client.command('reconsiderblock', spendBlock)).toBeNull()
    expect(await client.command('getbestblockhash')).toBe(spendBlock)
    expect(await client.command('gettxoutsetinfo')).toEqual(before)
    expect(await failure(client, 'invalidateblock', '11'.repeat(32))).toEqual({
      code: -5,
      message: 'Block not found',
    })
  })

  it("verifychain checks the chain at Core's defaults (level 3, 6 blocks) or the values given", async () => {
    expect(await client.command('verifychain')).toBe(true)
    expect(await client.command('verifychain', 4, 0)).toBe(true)
    expect(await client.command('verifychain', 4, 10)).toBe(true)
  })
})

describe('createmultisig', () => {
  it('answers over RPC with the address type defaulting to legacy', async () => {
    const K2 = '03dbc6764b8884a92e871274b87583e6d5c2a58819473e17e107ef3f6aa5a61626'
    const K1 = '03789ed0bb717d88f7d321a368d905e7430207ebbd82bd342cf11ae157a7ace5fd'
    expect(await client.command('createmultisig', 2, [K1, K2])).toMatchObject({
      address: '2NGRTbZBLGV4tJ3y4Avz7sa2Dea9o93UaPH',
    })
    expect(await failure(client, 'createmultisig', 2, [K1, 5])).toEqual({
      code: -3,
      message: 'JSON value of type number is not of expected type string',
    })
  })
})
