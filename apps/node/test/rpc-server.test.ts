import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SubNet } from '@node/addrmgr'
import { startableSuite } from '@node/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RpcError, RpcErrorCode } from '../src/rpc-errors.ts'
import { RpcServer, type RpcServerInit } from '../src/rpc-server.ts'
import { basicAuth, http } from './helpers/http.ts'

let dir: string
let server: RpcServer | undefined
const AUTH = basicAuth('alice', 'pw')

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btcnode-rpc-'))
})
afterEach(async () => {
  await server?.stop()
  server = undefined
  await rm(dir, { recursive: true, force: true })
})

async function start(init: Partial<RpcServerInit> = {}, now?: () => number): Promise<number> {
  server = new RpcServer(
    { now },
    { auth: { kind: 'password', user: 'alice', password: 'pw' }, authFailureDelayMs: 0, ...init },
  )
  server.register('echo', (params) => params, { category: 'Test', arity: { min: 0, max: 10 } })
  server.register(
    'getblockhash',
    (params) => {
      const height = params[0] as number
      if (height < 0) throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Block height out of range')
      return height.toString(16).padStart(64, '0')
    },
    { category: 'Blockchain', params: [{ name: 'height', type: 'number' }] },
  )
  server.register('getblock', (params) => ({ hash: params[0], verbosity: params[1] ?? 'default' }), {
    category: 'Blockchain',
    params: [
      { name: 'blockhash', type: 'string' },
      { name: 'verbosity', type: 'number', optional: true },
    ],
  })
  server.register('boom', () => {
    throw new Error('Something broke')
  })
  server.register('big', () => ({ n: 2n ** 63n - 1n, small: 5n }))
  await server.start()
  const [addr] = server.addresses()
  if (!addr) throw new Error('not bound')
  return addr.port
}

const call = (port: number, body: unknown, auth = AUTH) =>
  http(port, { body: typeof body === 'string' ? body : JSON.stringify(body), auth })

describe('RpcServer: HTTP and auth', () => {
  it('binds 127.0.0.1 by default on the given port (0 = any)', async () => {
    const port = await start()
    expect(server?.addresses()).toEqual([{ host: '127.0.0.1', port }])
    expect(port).toBeGreaterThan(0)
  })

  it('answers 401 with WWW-Authenticate without credentials and with wrong ones', async () => {
    const port = await start()
    const none = await http(port, { body: '{"method":"echo"}' })
    expect(none.status).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Basic realm="jsonrpc"')
    expect(none.text).toBe('')
    const wrong = await call(port, { method: 'echo' }, basicAuth('alice', 'nope'))
    expect(wrong.status).toBe(401)
  })

  it('writes a cookie file at start, accepts it, and deletes it at stop', async () => {
    const cookieFile = join(dir, '.cookie')
    const port = await start({ auth: { kind: 'cookie', cookieFile } })
    const cookie = await readFile(cookieFile, 'utf8')
    expect(cookie).toMatch(/^__cookie__:[0-9a-f]{64}$/)
    const [user, password] = cookie.split(':') as [string, string]
    const ok = await call(port, { method: 'echo', params: [1], id: 1 }, basicAuth(user, password))
    expect(ok.json).toEqual({ result: [1], error: null, id: 1 })
    expect((await call(port, { method: 'echo' }, AUTH)).status).toBe(401)
    await server?.stop()
    await expect(readFile(cookieFile)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('uses a fresh cookie on every start', async () => {
    const cookieFile = join(dir, '.cookie')
    await start({ auth: { kind: 'cookie', cookieFile } })
    const first = await readFile(cookieFile, 'utf8')
    await server?.stop()
    await server?.start()
    expect(await readFile(cookieFile, 'utf8')).not.toBe(first)
  })

  it('accepts only POST to /', async () => {
    const port = await start()
    const get = await http(port, { method: 'GET', auth: AUTH })
    expect(get.status).toBe(405)
    expect(get.text).toBe('JSONRPC server handles only POST requests')
    expect((await http(port, { path: '/rest/chaininfo.json', auth: AUTH, body: '{}' })).status).toBe(404)
  })

  it('refuses clients outside loopback and -rpcallowip with 403', async () => {
    const port = await start({
      allowLoopback: false,
      allowIp: [SubNet.parse('10.0.0.0/8')],
    })
    const r = await call(port, { method: 'echo' })
    expect(r.status).toBe(403)
  })

  it('refuses a body over the limit with 413', async () => {
    const port = await start({ maxBodyBytes: 1000 })
    const big = JSON.stringify({ method: 'echo', params: ['x'.repeat(2000)] })
    expect((await call(port, big)).status).toBe(413)
    // Within the limit is fine.
    expect((await call(port, { method: 'echo', params: ['x'.repeat(100)] })).status).toBe(200)
  })

  it('refuses headers over 8 KiB (Core: MAX_HEADERS_SIZE) with 431', async () => {
    const port = await start()
    const r = await http(port, { body: '{}', auth: AUTH, headers: { 'X-Big': 'a'.repeat(10_000) } })
    expect(r.status).toBe(431)
  })

  it('answers 503 "Work queue depth exceeded" past the in-flight limit', async () => {
    const port = await start({ maxInFlight: 1 })
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    server?.register('wait', async () => {
      await gate
      return 'done'
    })
    const first = call(port, { method: 'wait', id: 1 })
    // Wait until the first request is in the handler.
    for (let i = 0; i < 100; i++) {
      const r = await call(port, { method: 'echo', id: 2 })
      if (r.status === 503) {
        expect(r.text).toBe('Work queue depth exceeded')
        break
      }
      if (i === 99) throw new Error('never saw 503')
      await new Promise((r2) => setTimeout(r2, 5))
    }
    release()
    expect((await first).json).toEqual({ result: 'done', error: null, id: 1 })
  })
})

describe('RpcServer: JSON-RPC like bitcoind', () => {
  it('replies to JSON-RPC 1.0 with result, error and id', async () => {
    const port = await start()
    const r = await call(port, { jsonrpc: '1.0', id: 'curltest', method: 'getblockhash', params: [0] })
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('application/json')
    expect(r.text.endsWith('\n')).toBe(true)
    expect(r.json).toEqual({ result: '0'.repeat(64), error: null, id: 'curltest' })
  })

  it('replies to JSON-RPC 2.0 without the null field', async () => {
    const port = await start()
    const r = await call(port, { jsonrpc: '2.0', id: 7, method: 'getblockhash', params: [1] })
    expect(r.json).toEqual({ jsonrpc: '2.0', result: `${'0'.repeat(63)}1`, id: 7 })
  })

  it('gives HTTP 404 and -32601 for an unknown method (1.0), 200 with the error for 2.0', async () => {
    const port = await start()
    const v1 = await call(port, { id: 1, method: 'nosuch' })
    expect(v1.status).toBe(404)
    expect(v1.headers['content-type']).toBe('application/json')
    expect(v1.json).toEqual({ result: null, error: { code: -32601, message: 'Method not found' }, id: 1 })
    const v2 = await call(port, { jsonrpc: '2.0', id: 1, method: 'nosuch' })
    expect(v2.status).toBe(200)
    expect(v2.json).toEqual({ jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 1 })
  })

  it('gives HTTP 500 for handler errors: RpcError codes and -1 for other exceptions', async () => {
    const port = await start()
    const bad = await call(port, { id: 1, method: 'getblockhash', params: [-1] })
    expect(bad.status).toBe(500)
    expect(bad.json).toEqual({
      result: null,
      error: { code: -8, message: 'Block height out of range' },
      id: 1,
    })
    const boom = await call(port, { id: 2, method: 'boom' })
    expect(boom.status).toBe(500)
    expect(boom.json).toEqual({ result: null, error: { code: -1, message: 'Something broke' }, id: 2 })
  })

  it('gives -32700 for unparsable JSON and a non-object top level', async () => {
    const port = await start()
    const r = await call(port, '{"method": ')
    expect(r.status).toBe(500)
    expect(r.json).toEqual({ result: null, error: { code: -32700, message: 'Parse error' }, id: null })
    const t = await call(port, '42')
    expect(t.json).toEqual({
      result: null,
      error: { code: -32700, message: 'Top-level object parse error' },
      id: null,
    })
  })

  it.each([
    [{ id: 3 }, 'Missing method'],
    [{ id: 3, method: 5 }, 'Method must be a string'],
    [{ id: 3, method: 'echo', params: 'x' }, 'Params must be an array or object'],
    [{ id: 3, method: 'echo', jsonrpc: 2 }, 'jsonrpc field must be a string'],
    [{ id: 3, method: 'echo', jsonrpc: '3.0' }, 'JSON-RPC version not supported'],
  ])('gives HTTP 400 and -32600 for %j', async (body, message) => {
    const port = await start()
    const r = await call(port, body)
    expect(r.status).toBe(400)
    expect(r.json).toEqual({ result: null, error: { code: -32600, message }, id: 3 })
  })

  it('answers a 2.0 notification with 204 and no body, after running it', async () => {
    const port = await start()
    let ran = 0
    server?.register('tick', () => ++ran)
    const r = await call(port, { jsonrpc: '2.0', method: 'tick' })
    expect(r.status).toBe(204)
    expect(r.text).toBe('')
    expect(ran).toBe(1)
    // A 1.0 request without id is not a notification.
    expect((await call(port, { method: 'tick' })).json).toEqual({ result: 2, error: null, id: null })
  })

  it('handles batches: every reply with status 200, errors inline, notifications left out', async () => {
    const port = await start()
    const r = await call(port, [
      { id: 1, method: 'getblockhash', params: [2] },
      { id: 2, method: 'nosuch' },
      { jsonrpc: '2.0', id: 3, method: 'boom' },
      { jsonrpc: '2.0', method: 'echo' },
      'garbage',
      { id: 5, method: 'getblockhash', params: ['x'] },
    ])
    expect(r.status).toBe(200)
    expect(r.json).toEqual([
      { result: `${'0'.repeat(63)}2`, error: null, id: 1 },
      { result: null, error: { code: -32601, message: 'Method not found' }, id: 2 },
      { jsonrpc: '2.0', error: { code: -1, message: 'Something broke' }, id: 3 },
      { result: null, error: { code: -32600, message: 'Invalid Request object' }, id: null },
      {
        result: null,
        error: {
          code: -3,
          message:
            'Wrong type passed:\n{\n    "Position 1 (height)": "JSON value of type string is not of expected type number"\n}',
        },
        id: 5,
      },
    ])
    expect((await call(port, [])).json).toEqual([])
    const allNotes = await call(port, [{ jsonrpc: '2.0', method: 'echo' }])
    expect(allNotes.status).toBe(204)
  })

  it('caps batch size', async () => {
    const port = await start({ maxBatch: 2 })
    const r = await call(port, [{ method: 'echo' }, { method: 'echo' }, { method: 'echo' }])
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ error: { code: -32600 } })
  })

  it('checks parameter count (help text as -1, as Core) and types (-3)', async () => {
    const port = await start()
    const few = await call(port, { id: 1, method: 'getblockhash', params: [] })
    expect(few.status).toBe(500)
    expect(few.json).toMatchObject({
      error: { code: -1, message: expect.stringMatching(/^getblockhash height\n/) },
    })
    const many = await call(port, { id: 1, method: 'getblock', params: ['a', 1, 2] })
    expect(many.json).toMatchObject({
      error: { code: -1, message: expect.stringMatching(/^getblock "blockhash" \( verbosity \)/) },
    })
    const type = await call(port, { id: 1, method: 'getblock', params: ['a', 'one'] })
    expect(type.json).toMatchObject({
      error: { code: -3, message: expect.stringContaining('Position 2 (verbosity)') },
    })
    const nullRequired = await call(port, { id: 1, method: 'getblockhash', params: [null] })
    expect(nullRequired.json).toMatchObject({
      error: { code: -3, message: expect.stringContaining('type null') },
    })
  })

  it('accepts named parameters and null for an omitted optional one', async () => {
    const port = await start()
    expect(
      (await call(port, { id: 1, method: 'getblock', params: { blockhash: 'h', verbosity: 0 } })).json,
    ).toEqual({
      result: { hash: 'h', verbosity: 0 },
      error: null,
      id: 1,
    })
    expect((await call(port, { id: 1, method: 'getblock', params: ['h', null] })).json).toMatchObject({
      result: { hash: 'h', verbosity: 'default' },
    })
    const unknown = await call(port, { id: 1, method: 'getblock', params: { blockhash: 'h', foo: 1 } })
    expect(unknown.json).toMatchObject({ error: { code: -8, message: 'Unknown named parameter foo' } })
  })

  it('writes bigint results as JSON numbers', async () => {
    const port = await start()
    const r = await call(port, { id: 1, method: 'big' })
    expect(r.text).toBe('{"result":{"n":9223372036854775807,"small":5},"error":null,"id":1}\n')
  })

  it('has built-in help and uptime', async () => {
    let t = 1_000_000
    const port = await start({}, () => t)
    const list = (await call(port, { id: 1, method: 'help' })).json as { result: string }
    expect(list.result).toContain('== Blockchain ==\ngetblock "blockhash" ( verbosity )\ngetblockhash height')
    expect(list.result).toContain('== Control ==\nhelp ( "command" )\nuptime')
    const one = (await call(port, { id: 1, method: 'help', params: ['getblockhash'] })).json as {
      result: string
    }
    expect(one.result).toMatch(/^getblockhash height\n\nArguments:\n1\. height/)
    expect((await call(port, { id: 1, method: 'help', params: ['nope'] })).json).toMatchObject({
      result: 'help: unknown command: nope',
    })
    t += 12_345
    expect((await call(port, { id: 1, method: 'uptime' })).json).toMatchObject({ result: 12 })
  })

  it('registers stop when the host asks, and calls back after replying', async () => {
    let stopped = 0
    const port = await start({ onStopRequest: () => stopped++ })
    const r = await call(port, { id: 1, method: 'stop' })
    expect(r.json).toEqual({ result: 'btcnode stopping', error: null, id: 1 })
    for (let i = 0; i < 50 && stopped === 0; i++) await new Promise((res) => setTimeout(res, 5))
    expect(stopped).toBe(1)
  })

  it('stop takes its optional wait (milliseconds) positionally or by name, and {} as no parameters', async () => {
    let stopped = 0
    const port = await start({ onStopRequest: () => stopped++ })
    const t0 = Date.now()
    const r = await call(port, { id: 1, method: 'stop', params: { wait: 120 } })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100)
    expect(r.json).toEqual({ result: 'btcnode stopping', error: null, id: 1 })
    expect((await call(port, { id: 2, method: 'stop', params: [0] })).json).toMatchObject({ error: null })
    expect((await call(port, { id: 3, method: 'stop', params: {} })).json).toMatchObject({ error: null })
    expect((await call(port, { id: 4, method: 'uptime', params: {} })).json).toMatchObject({ error: null })
    for (let i = 0; i < 50 && stopped < 3; i++) await new Promise((res) => setTimeout(res, 5))
    expect(stopped).toBe(3)
  })

  it('rejects bad method names and required-after-optional params at registration', async () => {
    const s = new RpcServer({}, { auth: { kind: 'password', user: 'a', password: 'b' } })
    expect(() => s.register('Bad-Name', () => 1)).toThrow(TypeError)
    expect(() =>
      s.register('x', () => 1, {
        params: [
          { name: 'a', type: 'string', optional: true },
          { name: 'b', type: 'string' },
        ],
      }),
    ).toThrow(/required parameter b after an optional one/)
    expect(s.methods()).toEqual(['help', 'uptime'])
  })
})

describe('RpcServer: stop', () => {
  it('closes idle keep-alive connections at once', async () => {
    const port = await start()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', agent, headers: { Authorization: AUTH } },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end('{"method":"echo"}')
      })
      expect(status).toBe(200)
      const t0 = Date.now()
      await server?.stop()
      // Bounded well below the keep-alive timeout (30 s): a loose sanity bound, not a timing test.
      expect(Date.now() - t0).toBeLessThan(5_000)
    } finally {
      agent.destroy()
    }
  })

  it('aborts in-flight handlers and cuts their sockets after the grace period', async () => {
    const port = await start({ stopGraceMs: 50 })
    let aborted = false
    server?.register('hang', (_p, ctx) => {
      ctx.signal.addEventListener('abort', () => {
        aborted = true
      })
      return new Promise(() => {})
    })
    const pending = call(port, { method: 'hang' }).then(
      () => 'replied',
      () => 'cut',
    )
    await new Promise((r) => setTimeout(r, 50))
    await server?.stop()
    expect(aborted).toBe(true)
    expect(await pending).toBe('cut')
  })

  it('fails to start when the port is taken, and cleans up its cookie', async () => {
    const port = await start()
    const cookieFile = join(dir, '.cookie2')
    const second = new RpcServer(
      {},
      { bind: [{ host: '127.0.0.1', port }], auth: { kind: 'cookie', cookieFile } },
    )
    await expect(second.start()).rejects.toMatchObject({ code: 'RPC_BIND_FAILED' })
    await expect(readFile(cookieFile)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('RpcServer lifecycle', () => {
  startableSuite('RpcServer', {
    setup: async () => {
      const subject = new RpcServer({}, { auth: { kind: 'cookie', cookieFile: join(dir, '.cookie') } })
      return {
        subject,
        exercise: async () => {
          const [addr] = subject.addresses()
          await http(addr?.port ?? 0, { body: '{"method":"uptime"}' })
        },
      }
    },
  })
})
