/**
 * @node/daemon benchmark: JSON-RPC requests per second over one keep-alive
 * connection on loopback, single calls and 100-request batches. The peer is
 * a bare node:http handler that parses the body, checks a Basic auth header
 * and answers `{result, error, id}` with none of our checks (allow list,
 * work queue, body limit, parameter validation): what bitcoind compatibility
 * costs over the minimum.
 */

import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, createServer, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type BenchOptions, type BenchRow, printRows, row, timeItAsync } from '../../../bench/lib.ts'
import { RpcServer } from '../src/rpc-server.ts'

const AUTH = `Basic ${Buffer.from('u:p').toString('base64')}`

function post(agent: Agent, port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        agent,
        headers: { Authorization: AUTH, 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve(Buffer.concat(chunks).toString()))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function bare(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.headers.authorization !== AUTH) {
        res.writeHead(401).end()
        return
      }
      const parsed = JSON.parse(Buffer.concat(chunks).toString()) as { id: unknown } | Array<{ id: unknown }>
      const one = (r: { id: unknown }) => ({ result: 101, error: null, id: r.id })
      const body = `${JSON.stringify(Array.isArray(parsed) ? parsed.map(one) : one(parsed))}\n`
      res
        .writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
        .end(body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const minMs = opts.quick ? 300 : 2000
  const dir = await mkdtemp(join(tmpdir(), 'btcnode-bench-'))
  const ours = new RpcServer({}, { auth: { kind: 'password', user: 'u', password: 'p' } })
  ours.register('getblockcount', () => 101, { params: [] })
  await ours.start()
  const peer = await bare()
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const single = '{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}'
  const batch = JSON.stringify(
    Array.from({ length: 100 }, (_, i) => ({ id: i, method: 'getblockcount', params: [] })),
  )
  try {
    const oursPort = ours.addresses()[0]?.port ?? 0
    const oursSingle = await timeItAsync(() => post(agent, oursPort, single), minMs)
    const peerSingle = await timeItAsync(() => post(agent, peer.port, single), minMs)
    const oursBatch = await timeItAsync(() => post(agent, oursPort, batch), minMs)
    const peerBatch = await timeItAsync(() => post(agent, peer.port, batch), minMs)
    return [
      row({
        group: 'daemon rpc',
        name: 'single getblockcount, one keep-alive connection',
        ours: 1000 / oursSingle,
        peer: 1000 / peerSingle,
        peerName: 'bare node:http handler',
        unit: 'requests/s',
        goal: '>= 0.8× bare http',
        higherIsBetter: true,
      }),
      row({
        group: 'daemon rpc',
        name: 'batches of 100 getblockcount',
        ours: (100 * 1000) / oursBatch,
        peer: (100 * 1000) / peerBatch,
        peerName: 'bare node:http handler',
        unit: 'requests/s',
        goal: '>= 0.5× bare http',
        higherIsBetter: true,
      }),
    ]
  } finally {
    agent.destroy()
    await ours.stop()
    await peer.close()
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printRows(await run({ quick: process.argv.includes('--quick') }))
}
