/**
 * The node's RPC methods with bitcoind's shapes and error codes, called with
 * the `bitcoin-core` npm client against a real Server on regtest.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mineBlock } from '@node/chain'
import { Peer } from '@node/peer'
import { createNode, type Server } from '@node/server'
import { hashToHex, networks, Services } from '@node/wire'
import Client from 'bitcoin-core'
import * as bitcoin from 'bitcoinjs-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerNodeMethods } from '../src/rpc-methods.ts'
import { RpcServer } from '../src/rpc-server.ts'

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
const ADDRESS = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 9), network: bitcoin.networks.regtest })
  .address!
let dir: string
let server: Server
let rpc: RpcServer
let client: Client

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btcnode-rpcm-'))
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
  const cookieFile = join(dir, '.cookie')
  rpc = new RpcServer({}, { auth: { kind: 'cookie', cookieFile }, authFailureDelayMs: 0 })
  registerNodeMethods(rpc, server, { version: 100, userAgent: '/btcnode:0.1.0/' })
  await rpc.start()
  const [username, password] = (await readFile(cookieFile, 'utf8')).split(':') as [string, string]
  client = new Client({
    host: `http://127.0.0.1:${rpc.addresses()[0]?.port}`,
    username,
    password,
    logger: quiet,
    timeout: 10_000,
  })
})

afterAll(async () => {
  await rpc.stop()
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

async function rpcError(method: string, ...params: unknown[]): Promise<number | undefined> {
  try {
    await client.command(method, ...params)
  } catch (err) {
    return (err as { code?: number }).code
  }
  return undefined
}

describe('node RPC methods', () => {
  it('mines with generatetoaddress and reports the chain as bitcoind does', async () => {
    const hashes = (await client.command('generatetoaddress', 5, ADDRESS)) as string[]
    expect(hashes).toHaveLength(5)
    const info = (await client.command('getblockchaininfo')) as Record<string, unknown>
    expect(info).toMatchObject({
      chain: 'regtest',
      blocks: 5,
      headers: 5,
      bestblockhash: hashes[4],
      initialblockdownload: false,
    })
    expect(info['chainwork']).toMatch(/^[0-9a-f]{64}$/)
    // Regtest has no transaction statistics: a chain we have is complete.
    expect(info['verificationprogress']).toBe(1)
    // The block files hold the five blocks (56-byte record header each).
    let blockBytes = 0
    for (const h of hashes) blockBytes += 56 + ((await client.command('getblock', h, 0)) as string).length / 2
    expect(info['size_on_disk']).toBeGreaterThanOrEqual(blockBytes)
    expect(await client.command('getblockhash', 3)).toBe(hashes[2])
    expect(await rpcError('getblockhash', 99)).toBe(-8)
    const header = (await client.command('getblockheader', hashes[2])) as Record<string, unknown>
    expect(header).toMatchObject({
      hash: hashes[2],
      height: 3,
      nTx: 1,
      confirmations: 3,
      previousblockhash: hashes[1],
      nextblockhash: hashes[3],
    })
    expect(await client.command('getblockheader', hashes[2], false)).toMatch(/^[0-9a-f]{160}$/)
    expect(await rpcError('getblockheader', '00'.repeat(32))).toBe(-5)
    const raw = (await client.command('getblock', hashes[0], 0)) as string
    const block = bitcoin.Block.fromHex(raw)
    expect(block.getId()).toBe(hashes[0])
    expect(await client.command('getdifficulty')).toBeCloseTo(4.656542373906925e-10, 15)
    const tips = (await client.command('getchaintips')) as { status: string; height: number }[]
    expect(tips).toEqual([{ height: 5, hash: hashes[4], branchlen: 0, status: 'active' }])
  })

  it('submitblock answers duplicate, and a decode error with -22; generateblock mines one block', async () => {
    const best = (await client.command('getbestblockhash')) as string
    const raw = (await client.command('getblock', best, 0)) as string
    expect(await client.command('submitblock', raw)).toBe('duplicate')
    expect(await rpcError('submitblock', 'zz')).toBe(-22)
    const before = (await client.command('getblockcount')) as number
    const r = (await client.command('generateblock', ADDRESS, [])) as { hash: string }
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(await client.command('getblockcount')).toBe(before + 1)
    expect(await rpcError('generatetoaddress', 1, 'not-an-address')).toBe(-5)
  })

  it('getblock follows bitcoind verbosity: hex at 0 and below, txids at 1, decoded transactions from 2', async () => {
    // A spend paying to several output types. The node checks scripts: it spends a
    // matured coinbase paid to P2WSH(OP_TRUE), whose witness is the script alone.
    const opTrue = bitcoin.payments.p2wsh({
      redeem: { output: Buffer.from([0x51]) },
      network: bitcoin.networks.regtest,
    })
    const [first] = (await client.command('generatetoaddress', 101, opTrue.address)) as string[]
    const [coinbase] = ((await client.command('getblock', first, 1)) as { tx: string[] }).tx as [string]
    const spend = new bitcoin.Transaction()
    spend.version = 2
    spend.addInput(Buffer.from(coinbase, 'hex').reverse(), 0, 0xfffffffe)
    spend.setWitness(0, [Buffer.from([0x51])])
    const p2pkh = bitcoin.payments.p2pkh({ hash: Buffer.alloc(20, 1), network: bitcoin.networks.regtest })
    const p2sh = bitcoin.payments.p2sh({ hash: Buffer.alloc(20, 2), network: bitcoin.networks.regtest })
    spend.addOutput(p2pkh.output!, 1_000n)
    spend.addOutput(p2sh.output!, 2_000n)
    spend.addOutput(bitcoin.payments.embed({ data: [Buffer.from('hi')] }).output!, 0n)
    const { hash } = (await client.command('generateblock', ADDRESS, [spend.toHex()])) as { hash: string }
    const raw = (await client.command('getblock', hash, 0)) as string
    for (const v of [-1, false]) expect(await client.command('getblock', hash, v)).toBe(raw)
    const one = (await client.command('getblock', hash, 1)) as { tx: string[]; nTx: number }
    expect(one.tx).toEqual([bitcoin.Block.fromHex(raw).transactions![0]!.getId(), spend.getId()])
    expect(one.nTx).toBe(2)
    expect(await client.command('getblockheader', hash)).toMatchObject({ nTx: 2 })
    expect(await client.command('getblock', hash, true)).toEqual(one)
    expect(await client.command('getblock', hash)).toEqual(one)

    type TxJson = { vin: object[]; vout: { scriptPubKey: object }[] }
    const two = (await client.command('getblock', hash, 2)) as { tx: TxJson[] }
    expect(two).toMatchObject({ hash, nTx: 2, size: raw.length / 2 })
    const [cb, tx] = two.tx as [TxJson, TxJson]
    expect(Object.keys(cb.vin[0] as object)).toEqual(['coinbase', 'txinwitness', 'sequence'])
    expect(cb.vout[0]).toMatchObject({
      value: 50,
      n: 0,
      scriptPubKey: { address: ADDRESS, type: 'witness_v0_keyhash' },
    })
    expect(tx).toMatchObject({
      txid: spend.getId(),
      hash: Buffer.from(spend.getHash(true)).reverse().toString('hex'),
      version: 2,
      size: spend.byteLength(),
      vsize: spend.virtualSize(),
      weight: spend.weight(),
      locktime: 0,
      vin: [
        {
          txid: coinbase,
          vout: 0,
          scriptSig: { asm: '', hex: '' },
          txinwitness: ['51'],
          sequence: 0xfffffffe,
        },
      ],
      vout: [
        { value: 0.00001, n: 0, scriptPubKey: { address: p2pkh.address, type: 'pubkeyhash' } },
        { value: 0.00002, n: 1, scriptPubKey: { address: p2sh.address, type: 'scripthash' } },
        { value: 0, n: 2, scriptPubKey: { asm: 'OP_RETURN 26984', type: 'nulldata' } },
      ],
      hex: spend.toHex(),
    })
    expect(tx.vout[2]?.scriptPubKey).not.toHaveProperty('address')
    // No chain state, so no undo data: 3 and above answer as 2, as Core for a block without undo (help says so).
    for (const v of [3, 5]) expect(await client.command('getblock', hash, v)).toEqual(two)
    expect(await client.command('help', 'getblock')).toMatch(/a block that is not connected has none/)
  })

  it('network methods: counts, totals, added nodes, bans and addresses with bitcoind error codes', async () => {
    expect(await client.command('getconnectioncount')).toBe(0)
    expect(await client.command('getpeerinfo')).toEqual([])
    const net = (await client.command('getnetworkinfo')) as Record<string, unknown>
    expect(net).toMatchObject({
      subversion: '/btcnode:0.1.0/',
      protocolversion: 70016,
      connections: 0,
      localservicesnames: ['NETWORK', 'WITNESS', 'P2P_V2'], // -v2transport is on by default
    })
    const totals = (await client.command('getnettotals')) as Record<string, unknown>
    expect(totals['totalbytesrecv']).toBe(0)
    await client.command('addnode', '127.0.0.1:1', 'add')
    expect(await rpcError('addnode', '127.0.0.1:1', 'add')).toBe(-23)
    expect((await client.command('getaddednodeinfo')) as unknown[]).toHaveLength(1)
    await client.command('addnode', '127.0.0.1:1', 'remove')
    expect(await rpcError('addnode', '127.0.0.1:1', 'remove')).toBe(-24)
    expect(await rpcError('disconnectnode', '127.0.0.1:9')).toBe(-29)
    await client.command('setban', '203.0.113.0/24', 'add', 3600)
    const banned = (await client.command('listbanned')) as { address: string; ban_duration: number }[]
    expect(banned.map((b) => b.address)).toEqual(['203.0.113.0/24'])
    expect(banned[0]!.ban_duration).toBe(3600)
    expect(await rpcError('setban', 'not-a-subnet', 'add')).toBe(-30)
    // Banning it again is bitcoind's -23; so is an address inside a banned subnet.
    expect(await rpcError('setban', '203.0.113.0/24', 'add')).toBe(-23)
    expect(await rpcError('setban', '203.0.113.7', 'add')).toBe(-23)
    // The netmask form, as -rpcallowip takes it, is the same subnet as its CIDR.
    await client.command('setban', '198.51.0.0/255.255.0.0', 'add', 3600)
    expect(await rpcError('setban', '198.51.0.0/16', 'add')).toBe(-23)
    expect(await rpcError('setban', '198.51.0.0/255.255.0.0', 'add')).toBe(-23)
    expect(((await client.command('listbanned')) as { address: string }[]).map((b) => b.address)).toEqual(
      expect.arrayContaining(['203.0.113.0/24', '198.51.0.0/16']),
    )
    await client.command('setban', '198.51.0.0/255.255.0.0', 'remove')
    await client.command('clearbanned')
    expect(await client.command('listbanned')).toEqual([])
    // addpeeraddress is in Core's hidden category: callable, documented, not listed.
    const help = (await client.command('help')) as string
    expect(help).toContain('== Network ==')
    expect(help).not.toMatch(/addpeeraddress|== Hidden ==/)
    expect(await client.command('help', 'addpeeraddress')).toMatch(/^addpeeraddress "address" port/)
    expect(await client.command('addpeeraddress', '8.8.8.8', 8333)).toEqual({ success: true })
    const addrs = (await client.command('getnodeaddresses', 0)) as {
      address: string
      port: number
      network: string
    }[]
    expect(addrs).toEqual([expect.objectContaining({ address: '8.8.8.8', port: 8333, network: 'ipv4' })])
    expect(await rpcError('getnodeaddresses', 1, 'bogus')).toBe(-8)
    expect(await client.command('ping')).toBeNull()
  })
})

describe('bitcoind-compatible calls (issue 13)', () => {
  it('every method takes its parameters by name; an empty object is no parameters', async () => {
    const named = new Client({
      host: `http://127.0.0.1:${rpc.addresses()[0]?.port}`,
      username: rpc.user,
      password: (await readFile(join(dir, '.cookie'), 'utf8')).split(':')[1]!,
      logger: quiet,
      timeout: 10_000,
      version: '0.21.0', // the client sends a lone object as named params from 0.14
    })
    const help = (await client.command('help')) as string
    const names = [...help.matchAll(/^([a-z]+)(?: |$)/gm)].map((m) => m[1]!)
    expect(names.length).toBeGreaterThan(20)
    for (const name of names) {
      let code: number | undefined
      try {
        await named.command(name, {})
      } catch (err) {
        code = (err as { code?: number }).code
      }
      // -1 (the help text: a required parameter is missing) is what bitcoind answers too.
      expect({ name, code }).not.toEqual({ name, code: -8 })
    }
    const best = (await client.command('getbestblockhash')) as string
    expect(await named.command('getblock', { blockhash: best, verbosity: 0 })).toBe(
      await client.command('getblock', best, 0),
    )
    expect(await named.command('getblockhash', { height: 0 })).toBe(await client.command('getblockhash', 0))
  })

  it('getpeerinfo names unknown service bits UNKNOWN[2^n], as Core serviceFlagToStr', async () => {
    const peer = await Peer.connect(
      {},
      {
        network: networks.regtest,
        host: '127.0.0.1',
        port: server.ports[0]!,
        services: Services.NODE_NETWORK | Services.NODE_WITNESS | (1n << 24n) | (1n << 63n),
      },
    )
    try {
      let info: { servicesnames: string[] }[] = []
      for (let i = 0; i < 100 && info.length === 0; i++) {
        info = (await client.command('getpeerinfo')) as typeof info
        if (info.length === 0) await new Promise((r) => setTimeout(r, 10))
      }
      expect(info[0]?.servicesnames).toEqual(['NETWORK', 'WITNESS', 'UNKNOWN[2^24]', 'UNKNOWN[2^63]'])
    } finally {
      peer.destroy()
    }
  })

  it('addnode add refuses the same node written another way (127.1 is 127.0.0.1)', async () => {
    await client.command('addnode', '127.0.0.1:1', 'add')
    try {
      expect(await rpcError('addnode', '127.1:1', 'add')).toBe(-23)
      expect(await rpcError('addnode', '[::ffff:127.0.0.1]:1', 'add')).toBe(-23)
      expect(await rpcError('addnode', '127.0.0.1:2', 'add')).toBeUndefined()
      await client.command('addnode', '127.0.0.1:2', 'remove')
    } finally {
      await client.command('addnode', '127.0.0.1:1', 'remove')
    }
  })

  it('getblock answers the genesis block at every verbosity', async () => {
    const genesis = (await client.command('getblockhash', 0)) as string
    const raw = (await client.command('getblock', genesis, 0)) as string
    expect(bitcoin.Block.fromHex(raw).getId()).toBe(genesis)
    expect(await client.command('getblock', genesis, 1)).toMatchObject({ hash: genesis, height: 0, nTx: 1 })
    const two = (await client.command('getblock', genesis, 2)) as { tx: { vout: { value: number }[] }[] }
    expect(two.tx[0]!.vout[0]!.value).toBe(50)
  })

  it('generatetoaddress pays a bech32m (P2TR) address', async () => {
    const program = Buffer.alloc(32, 7)
    const p2tr = {
      address: bitcoin.address.toBech32(program, 1, 'bcrt'),
      output: Buffer.concat([Buffer.from([0x51, 32]), program]),
    }
    expect(p2tr.address).toMatch(/^bcrt1p/)
    const [hash] = (await client.command('generatetoaddress', 1, p2tr.address)) as string[]
    const block = (await client.command('getblock', hash, 2)) as {
      tx: { vout: { scriptPubKey: { address?: string; type: string; hex: string } }[] }[]
    }
    expect(block.tx[0]!.vout[0]!.scriptPubKey).toMatchObject({
      address: p2tr.address,
      type: 'witness_v1_taproot',
      hex: p2tr.output!.toString('hex'),
    })
  })
})

describe('node RPC methods on mainnet', () => {
  it('getblockchaininfo at genesis during IBD: verification progress from the tx statistics, not 1', async () => {
    const mdir = await mkdtemp(join(tmpdir(), 'btcnode-rpcm-main-'))
    const main = createNode(
      { network: networks.mainnet, dataDir: mdir, bind: ['127.0.0.1:0'], dnsSeed: false, fixedSeeds: false },
      { resolve: async () => [] },
    )
    await main.start()
    const mrpc = new RpcServer(
      {},
      { auth: { kind: 'password', user: 'u', password: 'p' }, authFailureDelayMs: 0 },
    )
    registerNodeMethods(mrpc, main, { version: 100, userAgent: '/btcnode:0.1.0/' })
    try {
      await mrpc.start()
      const c = new Client({
        host: `http://127.0.0.1:${mrpc.addresses()[0]?.port}`,
        username: 'u',
        password: 'p',
        logger: quiet,
        timeout: 10_000,
      })
      const info = (await c.command('getblockchaininfo')) as Record<string, number | boolean>
      expect(info).toMatchObject({ chain: 'main', blocks: 0, initialblockdownload: true })
      // One transaction of more than a billion: a little above 0 (written in
      // exponent form, which this client hands back as a string).
      const progress = Number(info['verificationprogress'])
      expect(progress).toBeGreaterThan(0)
      expect(progress).toBeLessThan(1e-8)
      const genesis = (await c.command('getblockhash', 0)) as string
      expect(await c.command('getblockheader', genesis)).toMatchObject({ nTx: 1, height: 0 })
    } finally {
      await mrpc.stop()
      await main.stop()
      await rm(mdir, { recursive: true, force: true })
    }
  })
})

describe('getchaintips status', () => {
  it('says invalid for a branch whose block was marked failed, as bitcoind does', async () => {
    const chain = server.blockManager.chain
    const tip = chain.tip
    const fork = tip.prev!
    const header = mineBlock({
      network: networks.regtest,
      prev: { hash: fork.hash, height: fork.height, time: fork.time },
      payTo: Uint8Array.of(0x51),
      time: tip.time + 1,
      extraNonce: 77,
    }).header
    const entry = chain.addHeaders([header]).last!
    chain.invalidate(entry.hash)
    const tips = (await client.command('getchaintips')) as {
      status: string
      hash: string
      branchlen: number
    }[]
    expect(tips).toContainEqual({
      height: entry.height,
      hash: hashToHex(entry.hash),
      branchlen: 1,
      status: 'invalid',
    })
    expect(tips.filter((t) => t.status === 'active')).toEqual([
      { height: tip.height, hash: hashToHex(tip.hash), branchlen: 0, status: 'active' },
    ])
  })
})
