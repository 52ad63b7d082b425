/**
 * The node's RPC methods with bitcoind's shapes and error codes, called with
 * the `bitcoin-core` npm client against a real Server on regtest.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, type Server } from '@node/server'
import { networks } from '@node/wire'
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
    expect(await client.command('getblockhash', 3)).toBe(hashes[2])
    expect(await rpcError('getblockhash', 99)).toBe(-8)
    const header = (await client.command('getblockheader', hashes[2])) as Record<string, unknown>
    expect(header).toMatchObject({
      hash: hashes[2],
      height: 3,
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

  it('network methods: counts, totals, added nodes, bans and addresses with bitcoind error codes', async () => {
    expect(await client.command('getconnectioncount')).toBe(0)
    expect(await client.command('getpeerinfo')).toEqual([])
    const net = (await client.command('getnetworkinfo')) as Record<string, unknown>
    expect(net).toMatchObject({
      subversion: '/btcnode:0.1.0/',
      protocolversion: 70016,
      connections: 0,
      localservicesnames: ['NETWORK', 'WITNESS'],
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
    await client.command('clearbanned')
    expect(await client.command('listbanned')).toEqual([])
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
