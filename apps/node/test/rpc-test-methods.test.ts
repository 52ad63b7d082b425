/**
 * Core's test RPCs (rpc/net.cpp, rpc/node.cpp) against a real Server on
 * regtest over TCP on 127.0.0.1, called with the `bitcoin-core` client:
 * shapes, error codes, and the effect each has on connections.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Peer } from '@node/peer'
import { createNode, type Server } from '@node/server'
import { blockHash, hexToHash, InvType, networks } from '@node/wire'
import Client from 'bitcoin-core'
import * as bitcoin from 'bitcoinjs-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerNodeMethods } from '../src/rpc-methods.ts'
import { RpcServer } from '../src/rpc-server.ts'
import { registerTestMethods } from '../src/rpc-test-methods.ts'

const ADDRESS = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 4), network: bitcoin.networks.regtest })
  .address!
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
const dirs: string[] = []
const servers: Server[] = []
const rpcs: RpcServer[] = []

async function node(network = networks.regtest, extra: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'btcnode-rpct-'))
  dirs.push(dir)
  const server = createNode(
    {
      network,
      dataDir: dir,
      bind: ['127.0.0.1:0'],
      dnsSeed: false,
      fixedSeeds: false,
      progressIntervalMs: 0,
      localRoutable: true,
      ...extra,
    },
    { resolve: async () => [] },
  )
  servers.push(server)
  await server.start()
  const cookieFile = join(dir, '.cookie')
  const rpc = new RpcServer({}, { auth: { kind: 'cookie', cookieFile }, authFailureDelayMs: 0 })
  rpcs.push(rpc)
  registerNodeMethods(rpc, server, { version: 100, userAgent: '/btcnode:0.1.0/' })
  registerTestMethods(rpc, server)
  await rpc.start()
  const [username, password] = (await readFile(cookieFile, 'utf8')).split(':') as [string, string]
  const client = new Client({
    host: `http://127.0.0.1:${rpc.addresses()[0]?.port}`,
    username,
    password,
    logger: quiet,
    timeout: 10_000,
  })
  return { server, client }
}

async function rpcError(client: Client, method: string, ...params: unknown[]) {
  try {
    await client.command(method, ...params)
  } catch (err) {
    return { code: (err as { code?: number }).code, message: (err as Error).message }
  }
  return undefined
}

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

type PeerJson = { id: number; connection_type: string; version: number; addr: string }

let a: Awaited<ReturnType<typeof node>>
let b: Awaited<ReturnType<typeof node>>

beforeAll(async () => {
  // A has one full-relay and one block-relay-only outbound slot.
  a = await node(networks.regtest, { maxOutbound: 1, maxBlockRelayOnly: 1 })
  b = await node()
})

afterAll(async () => {
  for (const r of rpcs) await r.stop()
  for (const s of servers) await s.stop()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const peersOf = async (c: Client) => (await c.command('getpeerinfo')) as PeerJson[]

describe("Core's test RPCs", () => {
  it('addconnection opens each outbound type; a full type answers -34; a bad type -8', async () => {
    const target = `127.0.0.1:${b.server.ports[0]}`
    const closed: number[] = []
    b.server.on('peer:closed', (p) => closed.push(p.id))
    const ready: number[] = []
    b.server.on('peer:ready', (p) => ready.push(p.id))

    // A feeler completes its handshake with B, then A closes it.
    await a.client.command('addconnection', target, 'feeler', false)
    await until(() => ready.length === 1 && closed.length === 1)
    expect(await peersOf(a.client)).toEqual([])

    expect(await a.client.command('addconnection', target, 'block-relay-only', false)).toEqual({
      address: target,
      connection_type: 'block-relay-only',
    })
    await until(async () =>
      (await peersOf(a.client)).some((p) => p.connection_type === 'block-relay-only' && p.version > 0),
    )
    expect(await rpcError(a.client, 'addconnection', target, 'block-relay-only', false)).toEqual({
      code: -34,
      message: 'Error: Already at capacity for specified connection type.',
    })
    expect((await rpcError(a.client, 'addconnection', target, 'manual', false))?.code).toBe(-8)
    expect((await rpcError(a.client, 'addconnection', target, 'inbound', false))?.code).toBe(-8)

    // Dropped by id; an id no longer connected is -29.
    const [brOnly] = await peersOf(a.client)
    expect(await a.client.command('disconnectnode', '', brOnly!.id)).toBeNull()
    await until(async () => (await peersOf(a.client)).length === 0)
    expect((await rpcError(a.client, 'disconnectnode', '', brOnly!.id))?.code).toBe(-29)
  })

  it('setnetworkactive false drops every peer and refuses connections until true', async () => {
    const target = `127.0.0.1:${b.server.ports[0]}`
    await a.client.command('addconnection', target, 'outbound-full-relay', false)
    await until(async () => (await peersOf(a.client)).some((p) => p.version > 0))
    expect(await a.client.command('setnetworkactive', false)).toBe(false)
    expect(await a.client.command('getnetworkinfo')).toMatchObject({ networkactive: false })
    await until(async () => (await peersOf(a.client)).length === 0)
    // Neither dialling nor accepting while off.
    await a.client.command('addconnection', target, 'outbound-full-relay', false)
    await expect(
      Peer.connect({}, { network: networks.regtest, host: '127.0.0.1', port: a.server.ports[0]! }),
    ).rejects.toThrow()
    expect(await peersOf(a.client)).toEqual([])
    expect(await a.client.command('setnetworkactive', true)).toBe(true)
    await a.client.command('addconnection', target, 'outbound-full-relay', false)
    await until(async () => (await peersOf(a.client)).some((p) => p.version > 0))
    const [p] = await peersOf(a.client)
    await a.client.command('disconnectnode', '', p!.id)
    await until(async () => (await peersOf(a.client)).length === 0)
  })

  it('sendmsgtopeer queues a raw message to a peer by id', async () => {
    const raw = await Peer.connect(
      {},
      { network: networks.regtest, host: '127.0.0.1', port: a.server.ports[0]! },
    )
    try {
      const got: string[] = []
      raw.on('message', (m) => got.push(m.command))
      let id = -1
      await until(async () => {
        const p = (await peersOf(a.client)).find((x) => x.version > 0)
        id = p?.id ?? -1
        return id >= 0
      })
      expect(await a.client.command('sendmsgtopeer', id, 'getaddr', '')).toEqual({})
      await until(() => got.includes('getaddr'))
      expect(await rpcError(a.client, 'sendmsgtopeer', id, 'waytoolongtype', '')).toEqual({
        code: -8,
        message: 'Error: msg_type too long, max length is 12',
      })
      expect((await rpcError(a.client, 'sendmsgtopeer', id, 'ping', 'zz'))?.code).toBe(-8)
      expect(await rpcError(a.client, 'sendmsgtopeer', 9999, 'ping', '')).toEqual({
        code: -1,
        message: 'Error: Could not send message to peer',
      })
    } finally {
      raw.destroy()
    }
  })

  it('getaddrmaninfo and getrawaddrman show the address manager as Core does', async () => {
    await a.client.command('addpeeraddress', '1.2.3.4', 8333)
    await a.client.command('addpeeraddress', '2001:db8::1', 8333, true)
    const info = (await a.client.command('getaddrmaninfo')) as Record<
      string,
      { new: number; tried: number; total: number }
    >
    expect(Object.keys(info)).toEqual(['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns', 'all_networks'])
    expect(info['ipv4']).toMatchObject({ new: 1, total: 1 })
    expect(info['all_networks']!.total).toBe(info['ipv4']!.total + info['ipv6']!.total)
    const raw = (await a.client.command('getrawaddrman')) as Record<
      'new' | 'tried',
      Record<string, Record<string, unknown>>
    >
    const entries = [...Object.entries(raw.new), ...Object.entries(raw.tried)]
    const v4 = entries.find(([, e]) => e['address'] === '1.2.3.4')
    expect(v4?.[0]).toMatch(/^\d+\/\d+$/)
    expect(v4?.[1]).toMatchObject({ port: 8333, network: 'ipv4', services: 9 })
    expect(typeof v4?.[1]['time']).toBe('number')
    expect(Object.keys(raw.new).length + Object.keys(raw.tried).length).toBe(info['all_networks']!.total)
  })

  it('setmocktime checks its range; syncwithvalidationinterfacequeue answers null; hidden methods stay out of help', async () => {
    expect((await rpcError(a.client, 'setmocktime', -1))?.code).toBe(-8)
    expect(await a.client.command('setmocktime', 2_000_000_000)).toBeNull()
    await a.client.command('addpeeraddress', '5.6.7.8', 8333)
    const raw = (await a.client.command('getrawaddrman')) as Record<
      string,
      Record<string, Record<string, unknown>>
    >
    const e = Object.values(raw['new']!).find((x) => x['address'] === '5.6.7.8')
    expect(e?.['time']).toBe(2_000_000_000)
    expect(await a.client.command('setmocktime', 0)).toBeNull()
    expect(await a.client.command('syncwithvalidationinterfacequeue')).toBeNull()
    const help = (await a.client.command('help')) as string
    for (const m of ['setmocktime', 'addconnection', 'sendmsgtopeer', 'getaddrmaninfo', 'getrawaddrman']) {
      expect(help).not.toMatch(new RegExp(`^${m}`, 'm'))
    }
    expect(help).toMatch(/^setnetworkactive state/m)
  })

  it('setmocktime and addconnection are regtest-only', async () => {
    const main = await node(networks.mainnet)
    expect(await rpcError(main.client, 'setmocktime', 1)).toEqual({
      code: -1,
      message: 'setmocktime is for regression testing (-regtest mode) only',
    })
    expect(await rpcError(main.client, 'addconnection', '127.0.0.1:1', 'feeler', false)).toEqual({
      code: -1,
      message: 'addconnection is for regression testing (-regtest mode) only.',
    })
  })
})

/**
 * Ask a connected peer for one block by getdata: resolves with 'block', or
 * 'notfound'; rejects when the peer closes first or nothing comes in time.
 */
function getBlock(
  p: Peer,
  hash: Uint8Array,
  o: { timeoutMs?: number } = {},
): Promise<{ kind: 'block' | 'notfound' }> {
  const want = Buffer.from(hash).toString('hex')
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(() => reject(new Error('No answer to getdata in time.'))),
      o.timeoutMs ?? 10_000,
    )
    const offs: (() => void)[] = []
    const done = (f: () => void): void => {
      clearTimeout(timer)
      for (const off of offs) off()
      f()
    }
    offs.push(
      p.on('message', (m) => {
        if (m.command === 'block' && Buffer.from(blockHash(m.block.header)).toString('hex') === want)
          done(() => resolve({ kind: 'block' }))
        else if (
          m.command === 'notfound' &&
          m.inventory.some((i) => Buffer.from(i.hash).toString('hex') === want)
        )
          done(() => resolve({ kind: 'notfound' }))
      }),
      p.on('close', () => done(() => reject(new Error('The peer closed the connection.')))),
    )
    p.send({ command: 'getdata', inventory: [{ type: InvType.WITNESS_BLOCK, hash }] })
  })
}

describe('-maxuploadtarget (Core OutboundTargetReached, ProcessGetBlockData)', () => {
  it('refuses blocks older than a week once the cycle target less the block buffer is reached; whitelisted peers are exempt', async () => {
    const limited = await node(networks.regtest, { maxUploadTarget: 4096 })
    const exempt = await node(networks.regtest, { maxUploadTarget: 4096, whitelist: ['127.0.0.1'] })
    const now = Math.floor(Date.now() / 1000)
    const hashes: Record<string, string> = {}
    for (const n of [limited, exempt]) {
      // One block two weeks old, then one of today.
      await n.client.command('setmocktime', now - 14 * 86400)
      const [old] = (await n.client.command('generatetoaddress', 1, ADDRESS)) as string[]
      await n.client.command('setmocktime', now)
      const [fresh] = (await n.client.command('generatetoaddress', 1, ADDRESS)) as string[]
      hashes[`${n === limited ? 'l' : 'e'}old`] = old!
      hashes[`${n === limited ? 'l' : 'e'}new`] = fresh!
    }
    const connect = (n: typeof limited) =>
      Peer.connect({}, { network: networks.regtest, host: '127.0.0.1', port: n.server.ports[0]! })
    const totals = async (n: typeof limited) =>
      ((await n.client.command('getnettotals')) as { uploadtarget: Record<string, unknown> }).uploadtarget

    // At the start of a cycle the buffer (144 blocks of 4 MB) is above the target.
    expect(await totals(limited)).toMatchObject({
      timeframe: 86400,
      target: 4096,
      target_reached: false,
      serve_historical_blocks: false,
      time_left_in_cycle: 86400,
    })
    let p = await connect(limited)
    expect((await getBlock(p, hexToHash(hashes['lnew']!))).kind).toBe('block')
    await expect(getBlock(p, hexToHash(hashes['lold']!))).rejects.toThrow()
    await p.closed
    // The whitelisted (download permission) peer gets the old block.
    const w = await connect(exempt)
    expect((await getBlock(w, hexToHash(hashes['eold']!))).kind).toBe('block')
    w.destroy()

    // Five minutes before the cycle ends the buffer is gone: old blocks are served until the target is used up.
    await limited.client.command('setmocktime', now + 86400 - 300)
    expect(await totals(limited)).toMatchObject({ serve_historical_blocks: true, time_left_in_cycle: 300 })
    p = await connect(limited)
    let served = 0
    for (let i = 0; i < 100; i++) {
      let r: Awaited<ReturnType<typeof getBlock>>
      try {
        r = await getBlock(p, hexToHash(hashes['lold']!), { timeoutMs: 5000 })
      } catch {
        break // disconnected once the target was reached
      }
      expect(r.kind).toBe('block')
      served++
    }
    expect(served).toBeGreaterThan(0)
    expect(served).toBeLessThan(100)
    expect(await totals(limited)).toMatchObject({
      target_reached: true,
      serve_historical_blocks: false,
      bytes_left_in_cycle: 0,
    })
    await limited.client.command('setmocktime', 0)
  })
})
