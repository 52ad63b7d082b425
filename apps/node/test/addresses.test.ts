/**
 * Addresses as an operator types and reads them over RPC: getnodeaddresses
 * labels networks by the one address parser (`@node/addrmgr`), and addnode
 * accepts host names, resolved by the Server's injected resolver.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server as NetServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from '@node/runtime'
import { createNode, type Server } from '@node/server'
import { networks } from '@node/wire'
import Client from 'bitcoin-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerNodeMethods } from '../src/rpc-methods.ts'
import { RpcServer } from '../src/rpc-server.ts'

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

/** A logger that keeps every record, to count the lines an event logs. */
function recordingLogger(): Logger & { records: { level: string; obj: unknown; msg: unknown }[] } {
  const records: { level: string; obj: unknown; msg: unknown }[] = []
  const make =
    (level: string) =>
    (obj: unknown, msg?: unknown): void => {
      records.push({ level, obj, msg })
    }
  const logger = {
    records,
    trace: make('trace'),
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    fatal: make('fatal'),
    child: () => logger,
    isLevelEnabled: () => true,
  }
  return logger as unknown as Logger & { records: typeof records }
}

let dir: string
let server: Server
let rpc: RpcServer
let client: Client
let listener: NetServer
let listenPort = 0
const accepted: Socket[] = []
const log = recordingLogger()
const lookups: string[] = []

beforeAll(async () => {
  // A plain TCP listener stands in for the peer a host name points to: the
  // test only needs to see that the node dialled it.
  listener = createServer((s) => {
    accepted.push(s)
    s.on('error', () => {})
  })
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  listenPort = (listener.address() as { port: number }).port
  dir = await mkdtemp(join(tmpdir(), 'btcnode-addr-'))
  server = createNode(
    {
      network: networks.regtest,
      dataDir: dir,
      bind: ['127.0.0.1:0'],
      dnsSeed: false,
      fixedSeeds: false,
      progressIntervalMs: 0,
      dialIntervalMs: 20,
      manualRetryBaseMs: 50,
      manualRetryMaxMs: 50,
    },
    {
      logger: log,
      // A fake resolver: one name maps to loopback, every other name fails.
      resolve: async (host) => {
        lookups.push(host)
        if (host === 'peer.test') return ['127.0.0.1']
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
      },
    },
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
  for (const s of accepted) s.destroy()
  await new Promise<void>((resolve) => listener.close(() => resolve()))
  await rm(dir, { recursive: true, force: true })
})

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('getnodeaddresses', () => {
  it('labels an IPv6 address ending in :1 as ipv6, not as a host with port 1', async () => {
    expect(await client.command('addpeeraddress', '2a01:4f8::1', 8333)).toEqual({ success: true })
    expect(await client.command('addpeeraddress', '8.8.8.8', 8333)).toEqual({ success: true })
    const addrs = (await client.command('getnodeaddresses', 0)) as { address: string; network: string }[]
    expect(addrs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ address: '2a01:4f8::1', network: 'ipv6' }),
        expect.objectContaining({ address: '8.8.8.8', network: 'ipv4' }),
      ]),
    )
    const v6 = (await client.command('getnodeaddresses', 0, 'ipv6')) as { address: string }[]
    expect(v6.map((a) => a.address)).toEqual(['2a01:4f8::1'])
  })
})

describe('addnode with host names', () => {
  it('resolves a name with the injected resolver and dials it', async () => {
    const before = accepted.length
    await client.command('addnode', `peer.test:${listenPort}`, 'add')
    await until(() => accepted.length > before)
    expect(lookups).toContain('peer.test')
    await client.command('addnode', `peer.test:${listenPort}`, 'remove')
  })

  it('onetry resolves a name too', async () => {
    const before = accepted.length
    await client.command('addnode', `peer.test:${listenPort}`, 'onetry')
    await until(() => accepted.length > before)
  })

  it('keeps an unresolvable name, and logs one line per failed attempt, without a stack', async () => {
    await client.command('addnode', 'bogus', 'add')
    const info = (await client.command('getaddednodeinfo')) as { addednode: string }[]
    expect(info.map((n) => n.addednode)).toContain('bogus')
    const failures = () => log.records.filter((r) => JSON.stringify(r.obj ?? {}).includes('"bogus'))
    await until(() => lookups.filter((h) => h === 'bogus').length >= 2)
    await until(() => failures().length >= 2)
    // Still added after failing: Core keeps trying it.
    const again = (await client.command('getaddednodeinfo')) as { addednode: string }[]
    expect(again.map((n) => n.addednode)).toContain('bogus')
    // One line per attempt, and none carries an Error (whose stack pino would print).
    const attempts = lookups.filter((h) => h === 'bogus').length
    expect(failures().length).toBeLessThanOrEqual(attempts)
    for (const r of failures()) {
      expect(r.level).toBe('warn')
      expect(Object.values(r.obj as object).some((v) => v instanceof Error)).toBe(false)
    }
    await client.command('addnode', 'bogus', 'remove')
  })
})
