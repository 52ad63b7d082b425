/**
 * The RPC server against `bitcoin-core`, an npm RPC client for bitcoind that
 * we did not write: if it can talk to us, so can existing tooling.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Client from 'bitcoin-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RpcError, RpcErrorCode } from '../src/rpc-errors.ts'
import { RpcServer } from '../src/rpc-server.ts'

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
let dir: string
let server: RpcServer
let host: string
let cookie: { user: string; password: string }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btcnode-bc-'))
  const cookieFile = join(dir, '.cookie')
  server = new RpcServer({}, { auth: { kind: 'cookie', cookieFile }, authFailureDelayMs: 0 })
  server.register('getblockcount', () => 101, { category: 'Blockchain', params: [] })
  server.register(
    'getblockhash',
    (params) => {
      const h = params[0] as number
      if (h > 101) throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Block height out of range')
      return h.toString(16).padStart(64, '0')
    },
    { category: 'Blockchain', params: [{ name: 'height', type: 'number' }] },
  )
  server.register('getnettotals', () => ({ totalbytesrecv: 2n ** 53n + 1n, totalbytessent: 10 }), {
    category: 'Network',
    params: [],
  })
  await server.start()
  host = `http://127.0.0.1:${server.addresses()[0]?.port}`
  const [user, password] = (await readFile(cookieFile, 'utf8')).split(':') as [string, string]
  cookie = { user, password }
})

afterAll(async () => {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

const client = (over: Partial<{ username: string; password: string }> = {}) =>
  new Client({
    host,
    username: cookie.user,
    password: cookie.password,
    logger: quiet,
    timeout: 5000,
    ...over,
  })

describe('bitcoin-core npm client', () => {
  it('calls methods with the cookie credentials', async () => {
    const c = client()
    expect(await c.command('getblockcount')).toBe(101)
    expect(await c.command('getblockhash', 5)).toBe(`${'0'.repeat(63)}5`)
    expect(await c.command('uptime')).toBeGreaterThanOrEqual(0)
  })

  it('sees our errors as bitcoind errors', async () => {
    const c = client()
    await expect(c.command('getblockhash', 500)).rejects.toMatchObject({
      code: -8,
      message: 'Block height out of range',
    })
    await expect(c.command('nosuchmethod')).rejects.toMatchObject({
      code: -32601,
      message: 'Method not found',
    })
  })

  it('sends batches and gets per-request results', async () => {
    const c = client()
    const out = (await c.command([
      { method: 'getblockcount' },
      { method: 'getblockhash', parameters: [1] },
      { method: 'getblockhash', parameters: [1000] },
    ])) as unknown[]
    expect(out[0]).toBe(101)
    expect(out[1]).toBe(`${'0'.repeat(63)}1`)
    expect(out[2]).toMatchObject({ code: -8 })
  })

  it('reads 64-bit integers without losing precision (json-bigint)', async () => {
    const totals = (await client().command('getnettotals')) as { totalbytesrecv: string }
    expect(String(totals.totalbytesrecv)).toBe('9007199254740993')
  })

  it('fails with 401 on a wrong password', async () => {
    await expect(client({ password: 'wrong' }).command('getblockcount')).rejects.toMatchObject({ code: 401 })
  })
})
