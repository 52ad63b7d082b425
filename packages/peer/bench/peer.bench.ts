/**
 * @node/peer benchmark: messages per second through a loopback pair of
 * peers (small `inv`s, pipelined pings, ~1 MB blocks) and heap bytes per
 * idle connected peer, with bcoin 1.0.2's `lib/net/peer` measured the same
 * way in the same run (a standalone bcoin Peer pair: bcoin's Peer needs no
 * pool or chain for the handshake and packet flow).
 */
import { createRequire } from 'node:module'
import { createServer, type Server, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type Block, encodeBlock, InvType, networks, Tx } from '@node/wire'
import { type BenchOptions, type BenchRow, printRows, row } from '../../../bench/lib.ts'
import { NonceSet, Peer } from '../src/index.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const network = networks.regtest

function memory(): number {
  for (let i = 0; i < 3; i++) gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r))

async function waitFor(cond: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  const end = performance.now() + limitMs
  while (!cond()) {
    if (performance.now() > end) throw new Error(`Timed out waiting for ${what}.`)
    await yieldLoop()
  }
}

function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address()
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0 })
    }),
  )
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/** A ~`bytes` block of realistic-sized (≈ 250-byte, 1-in 2-out) transactions. */
export function makeBlock(bytes: number): Block {
  const txs: Tx[] = []
  let size = 80
  for (let i = 0; size < bytes; i++) {
    const prevHash = new Uint8Array(32)
    new DataView(prevHash.buffer).setUint32(0, i, true)
    const tx = new Tx({
      version: 2,
      inputs: [
        {
          prevHash,
          prevIndex: 0,
          script: new Uint8Array(107).fill(i & 0xff),
          sequence: 0xfffffffe,
          witness: [],
        },
      ],
      outputs: [
        { value: 10_000n, script: new Uint8Array(25).fill(0x76) },
        { value: 20_000n, script: new Uint8Array(22).fill(0x00) },
      ],
      locktime: 0,
    })
    txs.push(tx)
    size += tx.size()
  }
  return {
    header: {
      version: 4,
      prevBlock: new Uint8Array(32),
      merkleRoot: new Uint8Array(32),
      time: 1,
      bits: 0x207fffff,
      nonce: 0,
    },
    txs,
  }
}

// --- a pair of ours ---------------------------------------------------------------------

export interface Pair {
  sendInv(i: number): void
  sendPing(i: number): void
  sendBlock(): void
  buffered(): number
  drain(): Promise<void>
  received(): { inv: number; pong: number; block: number }
  close(): Promise<void>
}

/** A loopback pair of our peers; `v2Transport` makes both ends speak BIP324 (bip324.bench.ts). */
export async function oursPair(block: Block, v2Transport = false): Promise<Pair> {
  let inbound: Peer | undefined
  const { server, port } = await listen((s) => {
    inbound = Peer.accept({ nonces: new NonceSet() }, s, {
      network,
      maxSendBufferBytes: 64 << 20,
      v2Transport,
    })
  })
  const out = await Peer.connect(
    { nonces: new NonceSet() },
    { network, host: '127.0.0.1', port, maxSendBufferBytes: 64 << 20, v2Transport },
  )
  await waitFor(() => inbound !== undefined, 'accept')
  const inp = inbound!
  await inp.whenReady()
  const counts = { inv: 0, pong: 0, block: 0 }
  inp.on('message', (m) => {
    if (m.command === 'inv') counts.inv++
    else if (m.command === 'block') counts.block++
  })
  const hash = new Uint8Array(32)
  const pongsAtStart = out.stats().received['pong']?.messages ?? 0
  return {
    sendInv(i) {
      hash[0] = i & 0xff
      hash[1] = (i >> 8) & 0xff
      hash[2] = (i >> 16) & 0xff
      out.send({ command: 'inv', inventory: [{ type: InvType.WTX, hash }] })
    },
    sendPing(i) {
      out.send({ command: 'ping', nonce: BigInt(i + 1) })
    },
    sendBlock() {
      out.send({ command: 'block', block })
    },
    buffered: () => out.bufferedBytes,
    drain: () => waitFor(() => out.bufferedBytes < 256 * 1024, 'drain'),
    received: () => ({ ...counts, pong: (out.stats().received['pong']?.messages ?? 0) - pongsAtStart }),
    async close() {
      out.destroy()
      inp.destroy()
      await Promise.all([out.closed, inp.closed])
      await closeServer(server)
    },
  }
}

// --- a pair of bcoin's ------------------------------------------------------------------

interface BcoinPeer {
  open(): Promise<void>
  send(packet: unknown): void
  drain(): Promise<void>
  destroy(): void
  on(ev: string, fn: (p: { type: number; cmd: string }) => void): void
  drainSize: number
  socket: Socket
}
interface BcoinModules {
  Peer: { fromInbound(o: unknown, s: Socket): BcoinPeer; fromOutbound(o: unknown, a: unknown): BcoinPeer }
  NetAddress: { fromHostname(h: string, n: string): unknown }
  packets: Record<string, new (...args: never[]) => unknown>
  InvItem: new (type: number, hash: Buffer) => unknown
  BcoinBlock: { fromRaw(b: Buffer): unknown }
  Logger: new (o: unknown) => unknown
}

function loadBcoin(): BcoinModules {
  process.env['NODE_BACKEND'] = 'js'
  const here = createRequire(import.meta.url)
  // Resolve bcoin's own dependencies (blgr) from bcoin's directory.
  const require = createRequire(here.resolve('bcoin/lib/net/peer'))
  return {
    Peer: require('bcoin/lib/net/peer') as BcoinModules['Peer'],
    NetAddress: require('bcoin/lib/net/netaddress') as BcoinModules['NetAddress'],
    packets: require('bcoin/lib/net/packets') as BcoinModules['packets'],
    InvItem: require('bcoin/lib/primitives/invitem') as BcoinModules['InvItem'],
    BcoinBlock: require('bcoin/lib/primitives/block') as BcoinModules['BcoinBlock'],
    Logger: require('blgr') as BcoinModules['Logger'],
  }
}

async function bcoinPair(bc: BcoinModules, rawBlock: Uint8Array): Promise<Pair> {
  const logger = new bc.Logger({ level: 'none' }) as { open(): Promise<void> }
  await logger.open()
  const options = { network: 'regtest', logger }
  const PeerClass = bc.Peer as unknown as {
    fromOptions(o: unknown): BcoinPeer & { accept(s: Socket): void; connect(a: unknown): void }
  }
  let inbound: BcoinPeer | undefined
  let inboundOpen: Promise<void> | undefined
  const { server, port } = await listen((s) => {
    const p = PeerClass.fromOptions(options)
    p.accept(s)
    inbound = p
    inboundOpen = p.open()
  })
  const out = PeerClass.fromOptions(options)
  out.connect(bc.NetAddress.fromHostname(`127.0.0.1:${port}`, 'regtest'))
  await out.open()
  await waitFor(() => inboundOpen !== undefined, 'accept')
  await inboundOpen
  const inp = inbound!
  const counts = { inv: 0, pong: 0, block: 0 }
  inp.on('packet', (p) => {
    if (p.cmd === 'inv') counts.inv++
    else if (p.cmd === 'block') counts.block++
  })
  out.on('packet', (p) => {
    if (p.cmd === 'pong') counts.pong++
  })
  const { InvPacket, PingPacket, BlockPacket } = bc.packets as unknown as {
    InvPacket: new (items: unknown[]) => unknown
    PingPacket: new (nonce: Buffer) => unknown
    BlockPacket: new (block: unknown, witness: boolean) => unknown
  }
  const block = bc.BcoinBlock.fromRaw(Buffer.from(rawBlock))
  const hash = Buffer.alloc(32)
  return {
    sendInv(i) {
      hash.writeUInt32LE(i, 0)
      out.send(new InvPacket([new bc.InvItem(InvType.WTX, Buffer.from(hash))]))
    },
    sendPing(i) {
      const nonce = Buffer.alloc(8)
      nonce.writeUInt32LE(i + 1, 0)
      out.send(new PingPacket(nonce))
    },
    sendBlock() {
      out.send(new BlockPacket(block, true))
    },
    buffered: () => out.socket.writableLength,
    drain: () => waitFor(() => out.socket.writableLength < 256 * 1024, 'drain'),
    received: () => ({ ...counts }),
    async close() {
      out.destroy()
      inp.destroy()
      await closeServer(server)
    },
  }
}

// --- measurements -----------------------------------------------------------------------

/** Send `n` messages with `send`, pacing on the send buffer; return messages per second. */
export async function throughput(
  pair: Pair,
  n: number,
  send: (i: number) => void,
  received: () => number,
  highWater: number,
): Promise<number> {
  const base = received()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    send(i)
    if (pair.buffered() > highWater) await pair.drain()
  }
  await waitFor(() => received() - base >= n, 'messages')
  return n / ((performance.now() - t0) / 1000)
}

export async function measure(
  pair: Pair,
  quick: boolean,
): Promise<{ inv: number; ping: number; block: number }> {
  const small = quick ? 20_000 : 100_000
  const blocks = quick ? 30 : 120
  // Warm-up.
  await throughput(
    pair,
    2000,
    (i) => pair.sendInv(i),
    () => pair.received().inv,
    1 << 20,
  )
  const inv = await throughput(
    pair,
    small,
    (i) => pair.sendInv(i),
    () => pair.received().inv,
    1 << 20,
  )
  const ping = await throughput(
    pair,
    small,
    (i) => pair.sendPing(i),
    () => pair.received().pong,
    1 << 20,
  )
  const block = await throughput(
    pair,
    blocks,
    () => pair.sendBlock(),
    () => pair.received().block,
    4 << 20,
  )
  return { inv, ping, block }
}

/**
 * Heap + ArrayBuffer bytes per idle connected peer: one listener, `n`
 * connections, both ends in this process, so the delta is divided by 2n.
 */
async function idleBytes(
  n: number,
  accept: (s: Socket) => { ready: Promise<unknown>; close(): Promise<void> | void },
  dial: (port: number) => Promise<{ close(): Promise<void> | void }>,
): Promise<number> {
  const inbound: { ready: Promise<unknown>; close(): Promise<void> | void }[] = []
  const { server, port } = await listen((s) => inbound.push(accept(s)))
  const before = memory()
  const outbound: { close(): Promise<void> | void }[] = []
  for (let i = 0; i < n; i++) outbound.push(await dial(port))
  await waitFor(() => inbound.length === n, 'accepts')
  await Promise.all(inbound.map((p) => p.ready))
  await new Promise((r) => setTimeout(r, 50))
  const after = memory()
  for (const p of [...outbound, ...inbound]) await p.close()
  await closeServer(server)
  return (after - before) / (2 * n)
}

async function oursIdle(n: number): Promise<number> {
  const nonces = new NonceSet()
  return idleBytes(
    n,
    (s) => {
      const p = Peer.accept({ nonces }, s, { network })
      return { ready: p.whenReady(), close: () => p.destroy() }
    },
    async (port) => {
      const p = await Peer.connect({ nonces: new NonceSet() }, { network, host: '127.0.0.1', port })
      return { close: () => p.destroy() }
    },
  )
}

async function bcoinIdle(bc: BcoinModules, n: number): Promise<number> {
  const logger = new bc.Logger({ level: 'none' }) as { open(): Promise<void> }
  await logger.open()
  const options = { network: 'regtest', logger }
  const PeerClass = bc.Peer as unknown as {
    fromOptions(o: unknown): BcoinPeer & { accept(s: Socket): void; connect(a: unknown): void }
  }
  return idleBytes(
    n,
    (s) => {
      const p = PeerClass.fromOptions(options)
      p.accept(s)
      return { ready: p.open(), close: () => p.destroy() }
    },
    async (port) => {
      const p = PeerClass.fromOptions(options)
      p.connect(bc.NetAddress.fromHostname(`127.0.0.1:${port}`, 'regtest'))
      await p.open()
      return { close: () => p.destroy() }
    },
  )
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const block = makeBlock(1_000_000)
  const raw = encodeBlock(block)
  const blockMB = raw.length / 1e6
  const bc = loadBcoin()

  const ours = await oursPair(block)
  const o = await measure(ours, opts.quick)
  await ours.close()
  const theirs = await bcoinPair(bc, raw)
  const b = await measure(theirs, opts.quick)
  await theirs.close()

  const idleN = opts.quick ? 50 : 200
  const oursIdleBytes = await oursIdle(idleN)
  const bcoinIdleBytes = await bcoinIdle(bc, idleN)

  const peer = { peerName: 'bcoin 1.0.2 lib/net/peer', higherIsBetter: true } as const
  return [
    row({
      group: 'peer',
      name: 'inv (1 entry) through a loopback pair',
      ours: o.inv,
      peer: b.inv,
      unit: 'msg/s',
      goal: '≥ 1×',
      ...peer,
    }),
    row({
      group: 'peer',
      name: 'ping → pong, pipelined',
      ours: o.ping,
      peer: b.ping,
      unit: 'round trips/s',
      goal: '≥ 1×',
      ...peer,
    }),
    row({
      group: 'peer',
      name: `block (${blockMB.toFixed(2)} MB, ${block.txs.length} txs) through a loopback pair`,
      ours: o.block,
      peer: b.block,
      unit: 'blocks/s',
      goal: '≥ 1.5×',
      note: `${(o.block * blockMB).toFixed(0)} vs ${(b.block * blockMB).toFixed(0)} MB/s`,
      ...peer,
    }),
    row({
      group: 'peer',
      name: `heap per idle connected peer (${idleN} connections, both ends)`,
      ours: oursIdleBytes,
      peer: bcoinIdleBytes,
      unit: 'bytes (heap + ArrayBuffers)',
      goal: '≤ 0.5× bcoin',
      higherIsBetter: false,
      peerName: peer.peerName,
    }),
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }))
}
