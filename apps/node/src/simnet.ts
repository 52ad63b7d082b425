/**
 * simnet: a local network of our nodes on regtest, on loopback. Starts N
 * nodes, wires them as a random graph (each node learns the addresses of a
 * random subset of the others and connects as it would on the real network),
 * mines blocks at a chosen rate on random nodes, and reports per node its
 * outbound/inbound peers and height, and how long each block took to reach
 * every node. Everything stops cleanly on Ctrl-C.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { NetAddress } from '@node/addrmgr'
import { medianTimePast, mineBlock } from '@node/chain'
import { type Logger, silentLogger } from '@node/runtime'
import { createNode, type Server } from '@node/server'
import { hashToHex, networks } from '@node/wire'

export interface SimnetOptions {
  /** Number of nodes (1–30 on a 2-core machine). */
  nodes: number
  /** Each node is told about this many random others (default min(10, nodes − 1)). */
  degree?: number | undefined
  /** Seconds between blocks; 0 mines nothing. */
  blockInterval: number
  /** Stop after this many blocks (0: run until stopped). */
  blocks?: number | undefined
  logger?: Logger | undefined
  /** Random source in [0, 1) (default Math.random). */
  random?: (() => number) | undefined
  /** Where reports go (default stdout). */
  print?: ((line: string) => void) | undefined
}

export interface BlockReport {
  height: number
  hash: string
  minedBy: number
  /** Milliseconds until each node had it (index = node). */
  arrivals: (number | undefined)[]
}

export interface NodeReport {
  index: number
  port: number
  outbound: number
  inbound: number
  height: number
}

export class Simnet {
  readonly #opts: SimnetOptions
  readonly #random: () => number
  readonly #print: (line: string) => void
  readonly nodes: Server[] = []
  readonly #dirs: string[] = []
  readonly blocks: BlockReport[] = []
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(opts: SimnetOptions) {
    if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 64)
      throw new RangeError('nodes must be 1–64.')
    this.#opts = { ...opts }
    this.#random = opts.random ?? Math.random
    this.#print = opts.print ?? ((l) => process.stdout.write(`${l}\n`))
  }

  async start(): Promise<void> {
    const logger = this.#opts.logger ?? silentLogger
    for (let i = 0; i < this.#opts.nodes; i++) {
      const dir = await mkdtemp(join(tmpdir(), `simnet-${i}-`))
      this.#dirs.push(dir)
      const s = createNode(
        {
          network: networks.regtest,
          dataDir: dir,
          bind: ['127.0.0.1:0'],
          dnsSeed: false,
          fixedSeeds: false,
          localRoutable: true,
          progressIntervalMs: 0,
        },
        { logger: logger.child({ node: i }), resolve: async () => [] },
      )
      await s.start()
      this.nodes.push(s)
    }
    // A random graph: each node learns `degree` random others.
    const degree = Math.min(this.#opts.degree ?? 10, this.nodes.length - 1)
    const now = Math.floor(Date.now() / 1000)
    this.nodes.forEach((s, i) => {
      const others = this.nodes.map((_, j) => j).filter((j) => j !== i)
      for (let k = others.length - 1; k > 0; k--) {
        const r = Math.floor(this.#random() * (k + 1))
        ;[others[k], others[r]] = [others[r]!, others[k]!]
      }
      const picked = others.slice(0, degree)
      s.addrManager.addrman.add(
        picked.map((j) => ({
          addr: NetAddress.parse('127.0.0.1'),
          port: this.nodes[j]!.ports[0]!,
          time: now - 60,
          services: 9n,
        })),
        NetAddress.parse('127.0.0.2'),
      )
    })
    if (this.#opts.blockInterval > 0) this.#schedule()
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.mineOne()
        .then((r) => {
          const done = r.arrivals.filter((a) => a !== undefined)
          const max = Math.max(...(done as number[]))
          this.#print(
            `block ${r.height} ${r.hash.slice(0, 16)}… mined by node ${r.minedBy}: reached ${done.length}/${this.nodes.length} nodes, slowest after ${max.toFixed(1)} ms`,
          )
          this.#print(this.table())
          const limit = this.#opts.blocks ?? 0
          if (limit > 0 && this.blocks.length >= limit) void this.stop()
          else this.#schedule()
        })
        .catch((err: unknown) => {
          this.#print(`mining failed: ${(err as Error).message}`)
          this.#schedule()
        })
    }, this.#opts.blockInterval * 1000)
  }

  /** Mine a block on a random node and wait (up to 30 s) until every node has it. */
  async mineOne(): Promise<BlockReport> {
    const i = Math.floor(this.#random() * this.nodes.length)
    const miner = this.nodes[i]!.blockManager
    const tip = miner.chain.tip
    const block = mineBlock({
      network: networks.regtest,
      prev: { hash: tip.hash, height: tip.height, time: tip.time, medianTimePast: medianTimePast(tip) },
      payTo: Uint8Array.of(0x51),
      extraNonce: Math.floor(this.#random() * 0xffffffff),
    })
    const height = tip.height + 1
    const arrivals: (number | undefined)[] = this.nodes.map(() => undefined)
    const t0 = performance.now()
    const waits = this.nodes.map(
      (s, j) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (s.blockManager.chain.tip.height >= height) {
              arrivals[j] = performance.now() - t0
              s.blockManager.off('tip', check)
              clearTimeout(timer)
              resolve()
            }
          }
          const timer = setTimeout(() => {
            s.blockManager.off('tip', check)
            resolve()
          }, 30_000)
          s.blockManager.on('tip', check)
        }),
    )
    await miner.submitBlock(block)
    await Promise.all(waits)
    const report: BlockReport = { height, hash: hashToHex(miner.chain.tip.hash), minedBy: i, arrivals }
    this.blocks.push(report)
    return report
  }

  reports(): NodeReport[] {
    return this.nodes.map((s, index) => {
      const peers = s.peerInfo().filter((p) => p.stats.status === 'ready')
      return {
        index,
        port: s.ports[0] ?? 0,
        outbound: peers.filter((p) => !p.inbound).length,
        inbound: peers.filter((p) => p.inbound).length,
        height: s.blockManager.chain.tip.height,
      }
    })
  }

  table(): string {
    const rows = this.reports()
    const last = this.blocks[this.blocks.length - 1]
    const lines = ['node  port   out  in  height  last block (ms)']
    for (const r of rows) {
      const t = last?.arrivals[r.index]
      lines.push(
        `${String(r.index).padStart(4)}  ${String(r.port).padEnd(5)}  ${String(r.outbound).padStart(3)}  ${String(r.inbound).padStart(2)}  ${String(r.height).padStart(6)}  ${t === undefined ? '—' : t.toFixed(1)}`,
      )
    }
    return lines.join('\n')
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    clearTimeout(this.#timer)
    await Promise.all(this.nodes.map((s) => s.stop()))
    await Promise.all(this.#dirs.map((d) => rm(d, { recursive: true, force: true })))
  }
}
