/**
 * The daemon's JSON-RPC methods, with bitcoind's names, parameters and
 * result fields: chain (getblockchaininfo, getblock, …), network
 * (getpeerinfo, getnetworkinfo, setban, …) and regtest mining
 * (generatetoaddress, generateblock).
 *
 * Core: rpc/blockchain.cpp (getblockchaininfo with GuessVerificationProgress
 * and CalculateCurrentUsage, getblock with ParseVerbosity and blockToJSON,
 * blockheaderToJSON), rpc/net.cpp (getpeerinfo from CNodeStats and
 * CNodeStateStats, setban), core_write.cpp for transactions (tx-json.ts).
 *
 * Over 600 lines, for a reason: the registrations of bitcoind's node methods,
 * one short handler each.
 */
import { NETWORK_NAMES, type NetAddress, Network, parseService, SubNet } from '@node/addrmgr'
import { guessVerificationProgress, type HeaderEntry, medianTimePast, mineBlock } from '@node/chain'
import type { Server } from '@node/server'
import {
  type Block,
  blockHash,
  decodeBlock,
  decodeTx,
  encodeBlock,
  encodeHeader,
  fromHex,
  hashToHex,
  hexToHash,
  isProtocolError,
  type NetworkParams,
  PROTOCOL_VERSION,
  Services,
  type Tx,
  toHex,
} from '@node/wire'
import { addressToScript } from './address.ts'
import type { ChainStateRpc } from './chainstate-rpc.ts'
import { RpcError, RpcErrorCode } from './rpc-errors.ts'
import type { RpcServer } from './rpc-server.ts'
import { txToJson } from './tx-json.ts'

export interface NodeRpcOptions {
  /** Integer version for getnetworkinfo (Core style: 10000 = 0.1.0). */
  version: number
  userAgent: string
  /** The UTXO set and validation, for the undo data of getblock verbosity 2 and 3; absent until wired in. */
  chainState?: ChainStateRpc | undefined
}

/** Core's chain names. */
export function chainName(n: NetworkParams): string {
  switch (n.name) {
    case 'mainnet':
      return 'main'
    case 'testnet3':
      return 'test'
    default:
      return n.name
  }
}

/** Core GetDifficulty: difficulty relative to the 0x1d00ffff target. */
export function difficulty(bits: number): number {
  let shift = (bits >>> 24) & 0xff
  let diff = 0x0000ffff / (bits & 0x00ffffff)
  while (shift < 29) {
    diff *= 256
    shift++
  }
  while (shift > 29) {
    diff /= 256
    shift--
  }
  return diff
}

function hex64(n: bigint): string {
  return n.toString(16).padStart(64, '0')
}

function bitsHex(bits: number): string {
  return (bits >>> 0).toString(16).padStart(8, '0')
}

/** The output script of an address, or RPC_INVALID_ADDRESS_OR_KEY. */
function payToScript(address: string, n: NetworkParams): Uint8Array {
  try {
    return addressToScript(address, n)
  } catch {
    throw new RpcError(RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY, 'Error: Invalid address')
  }
}

const SERVICE_NAMES: [bigint, string][] = [
  [Services.NODE_NETWORK, 'NETWORK'],
  [Services.NODE_BLOOM, 'BLOOM'],
  [Services.NODE_WITNESS, 'WITNESS'],
  [Services.NODE_COMPACT_FILTERS, 'COMPACT_FILTERS'],
  [Services.NODE_NETWORK_LIMITED, 'NETWORK_LIMITED'],
  [Services.NODE_P2P_V2, 'P2P_V2'],
]

/** Core GetServicesNames / serviceFlagToStr: each set bit, low to high; an unknown one as UNKNOWN[2^n]. */
export function serviceNames(s: bigint): string[] {
  const names: string[] = []
  for (let bit = 0; bit < 64; bit++) {
    const flag = 1n << BigInt(bit)
    if ((s & flag) === 0n) continue
    names.push(SERVICE_NAMES.find(([f]) => f === flag)?.[1] ?? `UNKNOWN[2^${bit}]`)
  }
  return names
}

function servicesHex(s: bigint): string {
  return s.toString(16).padStart(16, '0')
}

/** Core's network name of a peer's `host:port` (GetNetworkName of its routable class). */
function networkName(addr: string): string {
  let a: NetAddress | undefined
  try {
    a = parseService(addr, 0).addr
  } catch {
    a = undefined
  }
  return addressNetworkName(a)
}

/** Core GetNetworkName(addr.GetNetClass()): `ipv4`, `ipv6`, `onion`, …, or `not_publicly_routable`. */
export function addressNetworkName(a: NetAddress | undefined): string {
  if (!a?.isRoutable()) return NETWORK_NAMES[Network.UNROUTABLE]!
  return NETWORK_NAMES[a.getNetClass()] ?? NETWORK_NAMES[Network.UNROUTABLE]!
}

/** An integer parameter, or RPC_TYPE_ERROR. */
export function toInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new RpcError(
      RpcErrorCode.RPC_TYPE_ERROR,
      `JSON value of type ${typeof v} for ${name} is not of expected type number`,
    )
  }
  return v
}

/** Core ParseHashV: 64 hex characters, or RPC_INVALID_PARAMETER naming the parameter. */
export function parseHash(v: unknown, name: string): Uint8Array {
  const text = String(v)
  if (typeof v !== 'string' || v.length !== 64) {
    throw new RpcError(
      RpcErrorCode.RPC_INVALID_PARAMETER,
      `${name} must be of length 64 (not ${text.length}, for '${text}')`,
    )
  }
  if (!/^[0-9a-fA-F]{64}$/.test(v)) {
    throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, `${name} must be hexadecimal string (not '${v}')`)
  }
  return hexToHash(v.toLowerCase())
}

/**
 * A block's bytes from the store. The genesis block is not in the store
 * (Core writes it at init in LoadGenesisBlock); its bytes are the network's
 * parameters.
 */
export async function readBlockBytes(server: Server, e: HeaderEntry): Promise<Uint8Array> {
  const chain = server.blockManager.chain
  if (e === chain.genesis) return encodeBlock(server.network.genesis)
  const bytes = e.haveData ? await server.store.getBlock(e.hash) : undefined
  if (!bytes) throw new RpcError(RpcErrorCode.RPC_MISC_ERROR, 'Block not available (not fully downloaded)')
  return bytes
}

/**
 * A `setban` target in the form the ban list takes: `ip/netmask` and `ip/bits`
 * become canonical CIDR (`1.2.0.0/255.255.0.0` → `1.2.0.0/16`), read by the
 * same parser as `-rpcallowip` (addrmgr SubNet) (Core's LookupSubNet accepts both forms);
 * anything else (a single address, an onion name, garbage) is passed on as
 * given for the ban list to accept or refuse.
 */
function banTarget(text: string): string {
  if (!text.includes('/')) return text
  return SubNet.tryParse(text)?.toString() ?? text
}

/** Register every node method on the RPC server. */
export function registerNodeMethods(rpc: RpcServer, server: Server, options: NodeRpcOptions): void {
  const mgr = server.blockManager
  const chain = mgr.chain
  const net = server.network

  const entryOf = (hashHex: unknown): HeaderEntry => {
    const e = chain.get(parseHash(hashHex, 'blockhash'))
    if (!e) throw new RpcError(RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY, 'Block not found')
    return e
  }

  const confirmations = (e: HeaderEntry): number =>
    chain.onActiveChain(e) ? chain.tip.height - e.height + 1 : -1

  const headerJson = (e: HeaderEntry, nTx: number) => {
    const next = chain.onActiveChain(e) ? chain.activeAtHeight(e.height + 1) : undefined
    return {
      hash: hashToHex(e.hash),
      confirmations: confirmations(e),
      height: e.height,
      version: e.header.version,
      versionHex: bitsHex(e.header.version),
      merkleroot: hashToHex(e.header.merkleRoot),
      time: e.header.time,
      mediantime: medianTimePast(e),
      nonce: e.header.nonce,
      bits: bitsHex(e.header.bits),
      difficulty: difficulty(e.header.bits),
      chainwork: hex64(e.chainWork),
      nTx,
      ...(e.prev ? { previousblockhash: hashToHex(e.prev.hash) } : {}),
      ...(next ? { nextblockhash: hashToHex(next.hash) } : {}),
    }
  }

  const readBlock = (e: HeaderEntry): Promise<Uint8Array> => readBlockBytes(server, e)

  // --- blockchain ---------------------------------------------------------------

  rpc.register(
    'getblockchaininfo',
    async () => {
      const tip = chain.tip
      const best = chain.bestHeader
      const chainTx = (await mgr.chainTxCount(tip)) ?? 0
      return {
        chain: chainName(net),
        blocks: tip.height,
        headers: best.height,
        bestblockhash: hashToHex(tip.hash),
        bits: bitsHex(tip.header.bits),
        difficulty: difficulty(tip.header.bits),
        time: tip.header.time,
        mediantime: medianTimePast(tip),
        verificationprogress: guessVerificationProgress(
          net.chainTxData,
          chainTx,
          tip.header.time,
          Math.floor(Date.now() / 1000),
        ),
        initialblockdownload: mgr.initialBlockDownload,
        chainwork: hex64(tip.chainWork),
        size_on_disk: server.store.sizeOnDisk,
        pruned: false,
        warnings: [],
      }
    },
    {
      params: [],
      category: 'Blockchain',
      description: 'Returns an object with the state of the chain.',
    },
  )

  rpc.register('getblockcount', () => chain.tip.height, {
    params: [],
    category: 'Blockchain',
    description: 'Returns the height of the most-work fully-downloaded chain.',
  })

  rpc.register('getbestblockhash', () => hashToHex(chain.tip.hash), {
    params: [],
    category: 'Blockchain',
    description: 'Returns the hash of the best (tip) block.',
  })

  rpc.register(
    'getblockhash',
    (params) => {
      const h = toInt(params[0], 'height')
      const e = chain.activeAtHeight(h)
      if (h < 0 || !e) throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Block height out of range')
      return hashToHex(e.hash)
    },
    {
      params: [{ name: 'height', type: 'number' }],
      category: 'Blockchain',
      description: 'Returns the hash of the block at a height.',
    },
  )

  rpc.register(
    'getblockheader',
    async (params) => {
      const e = entryOf(params[0])
      const verbose = params[1] === undefined ? true : Boolean(params[1])
      if (!verbose) return toHex(encodeHeader(e.header))
      // Core: nTx is 0 for a block whose data we do not have.
      return headerJson(e, (await mgr.blockTxCount(e)) ?? 0)
    },
    {
      params: [
        { name: 'blockhash', type: 'string' },
        { name: 'verbose', type: 'boolean', optional: true },
      ],
      category: 'Blockchain',
      description: 'Returns the header of a block, as an object or as hex.',
    },
  )

  rpc.register(
    'getblock',
    async (params) => {
      const e = entryOf(params[0])
      // Core ParseVerbosity(allow_bool): null → 1, true → 1, false → 0, else an integer.
      const v = params[1]
      const verbosity =
        v === undefined || v === null ? 1 : typeof v === 'boolean' ? (v ? 1 : 0) : toInt(v, 'verbosity')
      const bytes = await readBlock(e)
      if (verbosity <= 0) return toHex(bytes)
      const block = decodeBlock(bytes)
      const stripped = encodeBlock(block, false).length
      // Core blockToJSON: fees (2) and prevouts (3 and above) from the
      // block's undo data, when the block is connected and it has them.
      const undo = verbosity >= 2 ? await options.chainState?.getUndo(e.hash) : undefined
      const haveUndo = undo !== undefined && undo.length === block.txs.length - 1
      return {
        ...headerJson(e, block.txs.length),
        strippedsize: stripped,
        size: bytes.length,
        weight: stripped * 3 + bytes.length,
        tx: block.txs.map((t, i) =>
          verbosity === 1
            ? hashToHex(t.txid())
            : txToJson(
                t,
                net,
                haveUndo && i > 0 ? { coins: undo[i - 1] ?? [], prevouts: verbosity >= 3 } : undefined,
              ),
        ),
      }
    },
    {
      params: [
        { name: 'blockhash', type: 'string', description: 'The block hash.' },
        {
          name: 'verbosity',
          type: 'any',
          optional: true,
          description:
            '0 (or false) for hex-encoded data, 1 (or true) for a JSON object with transaction ids, 2 for a JSON object with transaction data and fees, 3 for a JSON object with transaction data and prevouts. Default 1.',
        },
      ],
      category: 'Blockchain',
      description:
        "Returns a block: hex (verbosity 0 or below), an object with its transaction ids (1), with its transactions decoded and each one's fee (2), and each input's prevout (3 and above). Fees and prevouts come from the block's undo data: a block that is not connected has none.",
    },
  )

  rpc.register(
    'getchaintips',
    () =>
      chain
        .tips()
        .map(({ entry, branchLength }) => ({
          height: entry.height,
          hash: hashToHex(entry.hash),
          branchlen: branchLength,
          status: chain.onActiveChain(entry)
            ? 'active'
            : chain.failed(entry)
              ? 'invalid'
              : entry.chainHasData
                ? 'valid-fork'
                : entry.haveData
                  ? 'valid-headers'
                  : 'headers-only',
        }))
        .sort((a, b) => b.height - a.height),
    {
      params: [],
      category: 'Blockchain',
      description: 'Returns every known tip of the block tree.',
    },
  )

  rpc.register('getdifficulty', () => difficulty(chain.tip.header.bits), {
    params: [],
    category: 'Blockchain',
    description: 'Returns the proof-of-work difficulty of the tip as a multiple of the minimum.',
  })

  // Core rpc/mining.cpp submitblock: a block known invalid is "duplicate-invalid",
  // one known with data "duplicate"; else BIP22ValidationResult: null when
  // accepted, the reject reason when invalid.
  const submit = async (block: Block): Promise<string | null> => {
    const hash = blockHash(block.header)
    if (chain.isInvalid(hash)) return 'duplicate-invalid'
    const known = chain.get(hash)
    if (known?.haveData) return 'duplicate'
    try {
      await mgr.submitBlock(block)
      return null
    } catch (err) {
      if (isProtocolError(err)) return (err as { reason?: string }).reason ?? err.code.toLowerCase()
      throw err
    }
  }

  rpc.register(
    'submitblock',
    async (params) => {
      let block: Block
      try {
        block = decodeBlock(fromHex(String(params[0])))
      } catch {
        throw new RpcError(RpcErrorCode.RPC_DESERIALIZATION_ERROR, 'Block decode failed')
      }
      return submit(block)
    },
    {
      params: [
        { name: 'hexdata', type: 'string' },
        { name: 'dummy', type: 'any', optional: true },
      ],
      category: 'Mining',
      description:
        "Submits a block; answers null when accepted, else the reason it was refused (Core's BIP22 result).",
    },
  )

  // --- regtest mining -----------------------------------------------------------

  const requireRegtest = () => {
    if (net.name !== 'regtest') {
      throw new RpcError(RpcErrorCode.RPC_METHOD_NOT_FOUND, 'This method is only available on regtest')
    }
  }

  const mineOne = async (payTo: Uint8Array, txs: Tx[] = []): Promise<string> => {
    const tip = chain.tip
    const b = mineBlock({
      network: net,
      prev: { hash: tip.hash, height: tip.height, time: tip.time, medianTimePast: medianTimePast(tip) },
      payTo,
      txs,
      // Core's block time: the node's (mockable) clock, above the median time past.
      time: Math.max(Math.floor(server.now() / 1000), medianTimePast(tip) + 1),
      extraNonce: Math.floor(Math.random() * 0xffffffff),
    })
    const reject = await submit(b)
    if (reject) throw new RpcError(RpcErrorCode.RPC_VERIFY_ERROR, `Block was rejected: ${reject}`)
    return hashToHex(blockHash(b.header))
  }

  rpc.register(
    'generatetoaddress',
    async (params) => {
      requireRegtest()
      const n = toInt(params[0], 'nblocks')
      if (n < 0 || n > 100_000) throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'nblocks out of range')
      const payTo = payToScript(String(params[1]), net)
      const out: string[] = []
      for (let i = 0; i < n; i++) out.push(await mineOne(payTo))
      return out
    },
    {
      params: [
        { name: 'nblocks', type: 'number' },
        { name: 'address', type: 'string' },
        { name: 'maxtries', type: 'number', optional: true },
      ],
      category: 'Generating',
      description: 'Mines blocks to an address (regtest only).',
    },
  )

  rpc.register(
    'generateblock',
    async (params) => {
      requireRegtest()
      const payTo = payToScript(String(params[0]), net)
      const list = Array.isArray(params[1]) ? params[1] : []
      const txs: Tx[] = []
      for (const t of list) {
        try {
          txs.push(decodeTx(fromHex(String(t))))
        } catch {
          throw new RpcError(
            RpcErrorCode.RPC_DESERIALIZATION_ERROR,
            `Transaction decode failed for ${String(t)}`,
          )
        }
      }
      return { hash: await mineOne(payTo, txs) }
    },
    {
      params: [
        { name: 'output', type: 'string' },
        { name: 'transactions', type: 'array' },
      ],
      category: 'Generating',
      description: 'Mines one block with the given raw transactions (regtest only).',
    },
  )

  // --- network ------------------------------------------------------------------

  rpc.register(
    'getpeerinfo',
    () =>
      server.peerInfo().map((p) => {
        const s = p.stats
        return {
          id: p.id,
          addr: p.addr,
          ...(p.addrBind !== undefined ? { addrbind: p.addrBind } : {}),
          network: p.inboundOnion ? 'onion' : networkName(p.addr),
          services: servicesHex(s.services ?? 0n),
          servicesnames: serviceNames(s.services ?? 0n),
          relaytxes: s.relay ?? false,
          lastsend: Math.floor(s.lastSend / 1000),
          lastrecv: Math.floor(s.lastRecv / 1000),
          last_transaction: 0,
          last_block: Math.floor(p.lastBlockAt / 1000),
          bytessent: s.bytesSent,
          bytesrecv: s.bytesReceived,
          conntime: Math.floor((s.connectedAt ?? 0) / 1000),
          timeoffset: s.timeOffset ?? 0,
          ...(s.pingMs !== undefined ? { pingtime: s.pingMs / 1000 } : {}),
          ...(s.minPingMs !== undefined ? { minping: s.minPingMs / 1000 } : {}),
          ...(s.pingWaitMs !== undefined ? { pingwait: s.pingWaitMs / 1000 } : {}),
          version: s.remoteVersion ?? 0,
          subver: s.userAgent ?? '',
          inbound: p.inbound,
          bip152_hb_to: false,
          bip152_hb_from: false,
          startingheight: s.startHeight ?? -1,
          presynced_headers: -1,
          synced_headers: p.syncedHeaders,
          synced_blocks: p.syncedBlocks,
          inflight: p.inflight,
          addr_relay_enabled: p.connectionType !== 'block-relay-only',
          addr_processed: 0,
          addr_rate_limited: 0,
          permissions: p.permissions,
          minfeefilter: 0,
          bytessent_per_msg: Object.fromEntries(Object.entries(s.sent).map(([k, v]) => [k, v.bytes])),
          bytesrecv_per_msg: Object.fromEntries(Object.entries(s.received).map(([k, v]) => [k, v.bytes])),
          connection_type: p.connectionType,
          transport_protocol_type: p.transportProtocol,
          session_id: p.sessionId,
        }
      }),
    {
      params: [],
      category: 'Network',
      description: 'Returns data about each connected peer.',
    },
  )

  rpc.register(
    'getnetworkinfo',
    () => {
      const peers = server.peerInfo()
      const inbound = peers.filter((p) => p.inbound).length
      const local = server.localServices
      return {
        version: options.version,
        subversion: options.userAgent,
        protocolversion: PROTOCOL_VERSION,
        localservices: servicesHex(local),
        localservicesnames: serviceNames(local),
        // The node has no mempool: our version says relay = 0 (as -blocksonly).
        localrelay: false,
        timeoffset: 0,
        networkactive: server.networkActive,
        connections: peers.length,
        connections_in: inbound,
        connections_out: peers.length - inbound,
        networks: ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'].map((name) => ({
          name,
          limited: name !== 'ipv4' && name !== 'ipv6',
          reachable: name === 'ipv4' || name === 'ipv6',
          proxy: '',
          proxy_randomize_credentials: false,
        })),
        relayfee: 0.00001,
        incrementalfee: 0.00001,
        localaddresses: [],
        warnings: [],
      }
    },
    { params: [], category: 'Network', description: 'Returns the state of P2P networking.' },
  )

  rpc.register('getconnectioncount', () => server.connectionCount, {
    params: [],
    category: 'Network',
    description: 'Returns the number of connected peers.',
  })

  rpc.register(
    'getnettotals',
    () => {
      const t = server.netTotals()
      return {
        totalbytesrecv: t.received,
        totalbytessent: t.sent,
        timemillis: Date.now(),
        uploadtarget: server.uploadTarget(),
      }
    },
    { params: [], category: 'Network', description: 'Returns traffic totals since start.' },
  )

  rpc.register(
    'ping',
    () => {
      server.pingAll()
      return null
    },
    { params: [], category: 'Network', description: 'Sends a ping to every peer.' },
  )

  rpc.register(
    'addnode',
    (params) => {
      const node = String(params[0])
      const command = String(params[1])
      if (command !== 'add' && command !== 'remove' && command !== 'onetry') {
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_PARAMETER,
          "Error: command must be one of 'add', 'remove', 'onetry'",
        )
      }
      // Core: add refuses the same node by address; remove matches the text.
      if (command === 'add' && server.hasAddedNode(node))
        throw new RpcError(RpcErrorCode.RPC_CLIENT_NODE_ALREADY_ADDED, 'Error: Node already added')
      if (command === 'remove' && !server.addedNodes().some((n) => n.target === node)) {
        throw new RpcError(
          RpcErrorCode.RPC_CLIENT_NODE_NOT_ADDED,
          'Error: Node could not be removed. It has not been added previously.',
        )
      }
      try {
        server.addNode(node, command)
      } catch {
        throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, `Error: Invalid node address ${node}`)
      }
      return null
    },
    {
      params: [
        { name: 'node', type: 'string' },
        { name: 'command', type: 'string' },
      ],
      category: 'Network',
      description: 'Adds, removes or tries a node once.',
    },
  )

  rpc.register(
    'getaddednodeinfo',
    (params) => {
      const only = params[0] === undefined ? undefined : String(params[0])
      const list = server.addedNodes().filter((n) => only === undefined || n.target === only)
      if (only !== undefined && list.length === 0) {
        throw new RpcError(RpcErrorCode.RPC_CLIENT_NODE_NOT_ADDED, 'Error: Node has not been added.')
      }
      return list.map((n) => ({
        addednode: n.target,
        connected: n.connected,
        addresses: n.connected ? [{ address: n.target, connected: 'outbound' }] : [],
      }))
    },
    {
      params: [{ name: 'node', type: 'string', optional: true }],
      category: 'Network',
      description: 'Returns the added nodes.',
    },
  )

  rpc.register(
    'disconnectnode',
    (params) => {
      const address = params[0]
      const nodeid = params[1]
      let ok = false
      if (typeof address === 'string' && address !== '' && nodeid === undefined)
        ok = server.disconnect(address)
      else if ((address === undefined || address === '') && typeof nodeid === 'number')
        ok = server.disconnect(nodeid)
      else
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_PARAMS,
          'Only one of address and nodeid should be provided.',
        )
      if (!ok)
        throw new RpcError(RpcErrorCode.RPC_CLIENT_NODE_NOT_CONNECTED, 'Node not found in connected nodes')
      return null
    },
    {
      params: [
        { name: 'address', type: 'string', optional: true },
        { name: 'nodeid', type: 'number', optional: true },
      ],
      category: 'Network',
      description: 'Disconnects a peer by address or id.',
    },
  )

  rpc.register(
    'setban',
    async (params) => {
      const subnet = banTarget(String(params[0]))
      const command = String(params[1])
      if (command === 'add') {
        const bantime = params[2] === undefined ? 0 : toInt(params[2], 'bantime')
        const absolute = params[3] === true
        const when = bantime <= 0 ? {} : absolute ? { until: bantime * 1000 } : { durationMs: bantime * 1000 }
        // Core setban: a subnet is banned when that exact subnet is; an address
        // when any ban covers it.
        const already = subnet.includes('/')
          ? server.bans.list().some((b) => b.subnet === subnet)
          : server.bans.isBanned(subnet)
        if (already) {
          throw new RpcError(RpcErrorCode.RPC_CLIENT_NODE_ALREADY_ADDED, 'Error: IP/Subnet already banned')
        }
        try {
          await server.ban(subnet, when)
        } catch {
          throw new RpcError(RpcErrorCode.RPC_CLIENT_INVALID_IP_OR_SUBNET, 'Error: Invalid IP/Subnet')
        }
        return null
      }
      if (command === 'remove') {
        let removed = false
        try {
          removed = await server.bans.unban(subnet)
        } catch {
          throw new RpcError(RpcErrorCode.RPC_CLIENT_INVALID_IP_OR_SUBNET, 'Error: Invalid IP/Subnet')
        }
        if (!removed)
          throw new RpcError(
            RpcErrorCode.RPC_CLIENT_INVALID_IP_OR_SUBNET,
            'Error: Unban failed. Requested address/subnet was not previously manually banned.',
          )
        return null
      }
      throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, "Error: command must be 'add' or 'remove'")
    },
    {
      params: [
        { name: 'subnet', type: 'string' },
        { name: 'command', type: 'string' },
        { name: 'bantime', type: 'number', optional: true },
        { name: 'absolute', type: 'boolean', optional: true },
      ],
      category: 'Network',
      description: 'Adds or removes an IP or subnet from the ban list.',
    },
  )

  rpc.register(
    'listbanned',
    () => {
      const now = Math.floor(Date.now() / 1000)
      return server.bans.list().map((b) => ({
        address: b.subnet,
        ban_created: Math.floor(b.createdAt / 1000),
        banned_until: Math.floor(b.bannedUntil / 1000),
        ban_duration: Math.floor((b.bannedUntil - b.createdAt) / 1000),
        time_remaining: Math.max(0, Math.floor(b.bannedUntil / 1000) - now),
      }))
    },
    { params: [], category: 'Network', description: 'Lists manually banned IPs and subnets.' },
  )

  rpc.register(
    'clearbanned',
    async () => {
      await server.bans.clear()
      return null
    },
    { params: [], category: 'Network', description: 'Clears all banned IPs.' },
  )

  rpc.register(
    'getnodeaddresses',
    (params) => {
      const count = params[0] === undefined ? 1 : toInt(params[0], 'count')
      if (count < 0) throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Address count out of range')
      const wanted = params[1] === undefined ? undefined : String(params[1])
      const nets: Record<string, number> = {
        ipv4: Network.IPV4,
        ipv6: Network.IPV6,
        onion: Network.ONION,
        i2p: Network.I2P,
        cjdns: Network.CJDNS,
      }
      if (wanted !== undefined && nets[wanted] === undefined) {
        throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, `Network not recognized: ${wanted}`)
      }
      const list = server.addrManager.addrman.getAddresses(
        count,
        0,
        wanted === undefined ? undefined : (nets[wanted] as Network),
        false,
      )
      return list.map((a) => ({
        time: a.time,
        services: Number(a.services),
        address: a.addr.toString(),
        port: a.port,
        network: addressNetworkName(a.addr),
      }))
    },
    {
      params: [
        { name: 'count', type: 'number', optional: true },
        { name: 'network', type: 'string', optional: true },
      ],
      category: 'Network',
      description: 'Returns known addresses from the address manager.',
    },
  )

  rpc.register(
    'addpeeraddress',
    (params) => {
      const address = String(params[0])
      const port = toInt(params[1], 'port')
      const tried = params[2] === true
      let success = false
      try {
        const s = parseService(`${address.includes(':') ? `[${address}]` : address}:${port}`, port)
        const now = Math.floor(server.now() / 1000)
        const addrman = server.addrManager.addrman
        success =
          addrman.add(
            [{ ...s, time: now, services: Services.NODE_NETWORK | Services.NODE_WITNESS }],
            s.addr,
          ) > 0
        if (success && tried) addrman.good(s, now)
      } catch {
        success = false
      }
      return { success }
    },
    {
      params: [
        { name: 'address', type: 'string' },
        { name: 'port', type: 'number' },
        { name: 'tried', type: 'boolean', optional: true },
      ],
      category: 'Hidden',
      description: 'Adds an address to the address manager (for testing).',
    },
  )
}
