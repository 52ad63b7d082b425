/**
 * System benchmarks of the whole node against bcoin 1.0.2 in the same run:
 *
 * - sync: a regtest chain of realistically filled blocks, bcoin → ours,
 *   ours → ours and bcoin → bcoin (testkit's sync benchmark, with our node
 *   plugged in);
 * - relay: a new block across a line of 10 nodes, per-hop latency, ours vs a
 *   line of 10 bcoin nodes;
 * - scale: stop time of a node with 125 connected peers.
 *
 * Our nodes run in this process (a Server each, on loopback); bcoin nodes
 * run as child processes through testkit's loopback-only launcher.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { mineBlock } from '../packages/chain/src/index.ts'
import { NonceSet, Peer } from '../packages/peer/src/index.ts'
import { createNode, type Server, type ServerInit } from '../packages/server/src/index.ts'
import { type OurNodeFactory, run as syncRun } from '../packages/testkit/bench/sync.bench.ts'
import {
  type BcoinNode,
  freePorts,
  REGTEST_MINING_ADDRESS,
  startBcoin,
} from '../packages/testkit/src/index.ts'
import { hashToHex, networks } from '../packages/wire/src/index.ts'
import { type BenchOptions, type BenchRow, printRows, row } from './lib.ts'

const net = networks.regtest

export interface OurNode {
  server: Server
  dir: string
  stop(): Promise<void>
}

export async function startOurs(
  connect: readonly string[],
  extra: Partial<ServerInit> = {},
): Promise<OurNode> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-node-'))
  const server = createNode(
    {
      network: net,
      dataDir: dir,
      bind: ['127.0.0.1:0'],
      connect,
      dnsSeed: false,
      fixedSeeds: false,
      localRoutable: true,
      progressIntervalMs: 0,
      feelerIntervalMs: 0,
      ...extra,
    },
    { resolve: async () => [] },
  )
  await server.start()
  return {
    server,
    dir,
    async stop() {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const oursFactory: OurNodeFactory = async ({ connect }) => {
  // v1: bcoin drops a BIP324 handshake and our node does not retry a -connect peer with v1.
  const n = await startOurs(connect, { v2Transport: false })
  const chain = n.server.blockManager.chain
  return {
    p2pAddress: `127.0.0.1:${n.server.ports[0]}`,
    height: async () => chain.tip.height,
    hashAt: async (h: number) => {
      const e = chain.activeAtHeight(h)
      return e ? hashToHex(e.hash) : ''
    },
    stop: () => n.stop(),
  }
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, pollMs = 5): Promise<void> {
  const end = performance.now() + ms
  while (!(await cond())) {
    if (performance.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, pollMs))
  }
}

/** Per-hop latency of a new block across a line of `n` of our nodes. */
async function relayOurs(n: number, rounds: number): Promise<number> {
  const nodes: OurNode[] = []
  try {
    for (let i = 0; i < n; i++) {
      const prev = nodes[i - 1]
      nodes.push(await startOurs(prev ? [`127.0.0.1:${prev.server.ports[0]}`] : []))
    }
    // Leave initial block download everywhere: a first block, then wait for the line.
    const times: number[] = []
    for (let r = 0; r <= rounds; r++) {
      const head = nodes[0]!.server.blockManager
      const tip = head.chain.tip
      const b = mineBlock({
        network: net,
        prev: { hash: tip.hash, height: tip.height, time: tip.time },
        payTo: Uint8Array.of(0x51),
        time: Math.max(Math.floor(Date.now() / 1000), tip.time + 1),
        extraNonce: r,
      })
      const target = tip.height + 1
      const last = nodes[n - 1]!.server.blockManager
      const arrived = new Promise<number>((resolve) => {
        const fn = () => {
          if (last.chain.tip.height >= target) {
            last.off('tip', fn)
            resolve(performance.now())
          }
        }
        last.on('tip', fn)
      })
      const t0 = performance.now()
      await head.submitBlock(b)
      const t1 = await Promise.race([
        arrived,
        new Promise<number>((_, reject) =>
          setTimeout(() => reject(new Error('relay timed out')), 30_000).unref(),
        ),
      ])
      if (r > 0) times.push((t1 - t0) / (n - 1))
    }
    return times.reduce((a, b) => a + b, 0) / times.length
  } finally {
    for (const x of nodes.reverse()) await x.stop()
  }
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
// A regtest P2WPKH address (key hash 0102…14).
const OUR_ADDRESS = 'bcrt1qqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5phstwt'

interface Daemon {
  rpc<T>(method: string, params?: unknown[]): Promise<T>
  stop(): Promise<void>
}

/** Our daemon as a child process (from the sources, through tsx), like bcoin's launcher runs bcoin. */
async function startDaemon(p2pPort: number, rpcPort: number, connect: string | undefined): Promise<Daemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-daemon-'))
  const args = [
    '--conditions=@node/source',
    '--import',
    'tsx',
    path.join(root, 'apps/node/src/bin.ts'),
    '-regtest',
    `-datadir=${dir}`,
    `-port=${p2pPort}`,
    '-bind=127.0.0.1',
    '-listen=1',
    `-rpcport=${rpcPort}`,
    '-printtoconsole=0',
    ...(connect ? [`-connect=${connect}`] : ['-connect=0']),
  ]
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const cookie = path.join(dir, 'regtest', '.cookie')
  const end = performance.now() + 30_000
  while (!existsSync(cookie)) {
    if (performance.now() > end || child.exitCode !== null) throw new Error('our daemon did not start')
    await new Promise((r) => setTimeout(r, 20))
  }
  const auth = `Basic ${Buffer.from(readFileSync(cookie, 'utf8')).toString('base64')}`
  let id = 0
  return {
    async rpc<T>(method: string, params: unknown[] = []): Promise<T> {
      const res = await fetch(`http://127.0.0.1:${rpcPort}/`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '1.0', id: ++id, method, params }),
      })
      const body = (await res.json()) as { result: T; error: { message: string } | null }
      if (body.error) throw new Error(body.error.message)
      return body.result
    },
    async stop() {
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Median of a list. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** Per-hop latency across a line of `n` of our daemons, measured over RPC exactly as for bcoin. */
async function relayOursDaemons(n: number, rounds: number): Promise<number> {
  const nodes: Daemon[] = []
  try {
    const ports = await freePorts(2 * n)
    for (let i = 0; i < n; i++) {
      nodes.push(
        await startDaemon(
          ports[2 * i]!,
          ports[2 * i + 1]!,
          i > 0 ? `127.0.0.1:${ports[2 * (i - 1)]}` : undefined,
        ),
      )
    }
    const head = nodes[0]!
    const last = nodes[n - 1]!
    await until(async () => (await head.rpc<number>('getconnectioncount')) >= 1, 20_000, 20)
    await until(async () => (await last.rpc<number>('getconnectioncount')) >= 1, 20_000, 20)
    return await lineLatency(head, last, n, rounds, OUR_ADDRESS)
  } finally {
    await Promise.all(nodes.map((x) => x.stop()))
  }
}

interface RpcNode {
  rpc<T>(method: string, params?: unknown[]): Promise<T>
}

/**
 * Median per-hop latency over `rounds` blocks (after one warm-up block):
 * mine on the head by RPC, poll the last node's height by RPC every 2 ms.
 * The same method for our daemons and for bcoin.
 */
async function lineLatency(
  head: RpcNode,
  last: RpcNode,
  n: number,
  rounds: number,
  address: string,
): Promise<number> {
  const times: number[] = []
  for (let r = 0; r <= rounds; r++) {
    const before = await last.rpc<number>('getblockcount')
    const t0 = performance.now()
    await head.rpc('generatetoaddress', [1, address])
    await until(async () => (await last.rpc<number>('getblockcount')) > before, 30_000, 2)
    if (r > 0) times.push((performance.now() - t0) / (n - 1))
  }
  return median(times)
}

/** Per-hop latency of a new block across a line of `n` bcoin nodes. */
async function relayBcoin(n: number, rounds: number): Promise<number> {
  const nodes: BcoinNode[] = []
  try {
    for (let i = 0; i < n; i++) {
      const prev = nodes[i - 1]
      nodes.push(await startBcoin({ connect: prev ? [prev.p2pAddress] : [], segwitGenesis: true }))
    }
    const head = nodes[0]!
    const last = nodes[n - 1]!
    return await lineLatency(head, last, n, rounds, REGTEST_MINING_ADDRESS)
  } finally {
    await Promise.all(nodes.map((x) => x.stop()))
  }
}

/** Stop time of a node with `n` connected inbound peers. */
async function stopWithPeers(n: number): Promise<{ stopMs: number; connected: number }> {
  const node = await startOurs([], { maxConnections: n + 20 })
  const nonces = new NonceSet()
  const peers: Peer[] = []
  try {
    const port = node.server.ports[0]!
    for (let i = 0; i < n; i++) {
      peers.push(
        await Peer.connect(
          { nonces },
          { network: net, host: '127.0.0.1', port, connectionType: 'outbound-full-relay' },
        ),
      )
    }
    await until(() => node.server.connectionCount >= n, 20_000, 20)
    const connected = node.server.connectionCount
    const t0 = performance.now()
    await node.server.stop()
    return { stopMs: performance.now() - t0, connected }
  } finally {
    for (const p of peers) p.destroy()
    await node.stop()
  }
}

export async function run(
  opts: BenchOptions & { parts?: readonly string[] | undefined },
): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const want = (p: string) => !opts.parts || opts.parts.includes(p)
  if (want('sync')) rows.push(...(await syncRun({ quick: opts.quick, ours: oursFactory })))
  if (!want('relay')) return rows.concat(want('scale') ? await scaleRows() : [])

  const lineLength = 10
  const rounds = opts.quick ? 5 : 15
  const ours = await relayOursDaemons(lineLength, rounds)
  const bcoin = await relayBcoin(lineLength, rounds)
  const inProcess = await relayOurs(lineLength, rounds)
  rows.push(
    row({
      group: 'relay',
      name: `new block across a line of ${lineLength} nodes, per hop`,
      ours,
      peer: bcoin,
      peerName: 'bcoin 1.0.2 line',
      unit: 'ms/hop',
      goal: '≤ 0.5× bcoin',
      higherIsBetter: false,
      note: `one process per node, block mined by RPC, last node polled by RPC; median of ${rounds} blocks`,
    }),
    row({
      group: 'relay',
      name: `new block across a line of ${lineLength} of our nodes in one process, per hop`,
      ours: inProcess,
      peer: null,
      peerName: null,
      unit: 'ms/hop',
      goal: 'report',
      higherIsBetter: false,
      note: 'timed by tip events, no RPC polling; all nodes share one event loop',
    }),
  )

  if (want('scale')) rows.push(...(await scaleRows()))
  return rows
}

async function scaleRows(): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const stop = await stopWithPeers(125)
  rows.push(
    row({
      group: 'scale',
      name: `stop with ${stop.connected} connected peers`,
      ours: stop.stopMs,
      peer: null,
      peerName: null,
      unit: 'ms',
      goal: '≤ 2000 ms',
      higherIsBetter: false,
    }),
  )
  return rows
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const parts = process.argv
    .find((a) => a.startsWith('--parts='))
    ?.slice(8)
    .split(',')
  printRows(await run({ quick: process.argv.includes('--quick'), parts }))
}
