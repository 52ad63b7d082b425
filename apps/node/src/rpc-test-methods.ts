/**
 * Core's RPCs for tests (the "hidden" category), so that harnesses written
 * for bitcoind can drive the node deterministically: rpc/node.cpp
 * `setmocktime`, `syncwithvalidationinterfacequeue`; rpc/net.cpp
 * `addconnection`, `sendmsgtopeer`, `getaddrmaninfo`, `getrawaddrman`, and
 * the listed `setnetworkactive`. Names, parameters, results, error codes and
 * the regtest-only restrictions are Core's.
 */
import { NETWORK_NAMES, Network } from '@node/addrmgr'
import type { AutomaticOutboundType, Server } from '@node/server'
import { fromHex, Services } from '@node/wire'
import { RpcError, RpcErrorCode } from './rpc-errors.ts'
import { addressNetworkName } from './rpc-methods.ts'
import { helpText, type RpcMethodOptions, type RpcServer } from './rpc-server.ts'

/** Core: the largest mock time, in seconds (std::chrono::nanoseconds::max()). */
const MAX_MOCK_TIME = 9_223_372_036
/** Core CMessageHeader::MESSAGE_TYPE_SIZE. */
const MESSAGE_TYPE_SIZE = 12
const CONNECTION_TYPES: readonly AutomaticOutboundType[] = [
  'outbound-full-relay',
  'block-relay-only',
  'addr-fetch',
  'feeler',
]
/** The networks getaddrmaninfo reports, in Core's order (not unroutable or internal). */
const ADDRMAN_NETWORKS = [Network.IPV4, Network.IPV6, Network.ONION, Network.I2P, Network.CJDNS]

export function registerTestMethods(rpc: RpcServer, server: Server): void {
  const regtestOnly = (method: string, dot = ''): void => {
    // Core throws std::runtime_error here, which JSON-RPC answers as -1.
    if (server.network.name !== 'regtest')
      throw new RpcError(
        RpcErrorCode.RPC_MISC_ERROR,
        `${method} is for regression testing (-regtest mode) only${dot}`,
      )
  }

  rpc.register(
    'setmocktime',
    (params) => {
      regtestOnly('setmocktime')
      const time = params[0] as number
      if (!Number.isInteger(time) || time < 0 || time > MAX_MOCK_TIME) {
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_PARAMETER,
          `Mocktime must be in the range [0, ${MAX_MOCK_TIME}], not ${time}.`,
        )
      }
      server.setMockTime(time * 1000)
      return null
    },
    {
      params: [
        {
          name: 'timestamp',
          type: 'number',
          description: 'UNIX epoch time. Pass 0 to go back to using the system time.',
        },
      ],
      category: 'Hidden',
      description:
        'Set the local time to given timestamp (-regtest only). Pings, timeouts and the stale-tip check follow it.',
    },
  )

  rpc.register(
    'syncwithvalidationinterfacequeue',
    async () => {
      // Blocks are processed as they arrive; what is queued behind them runs
      // within the next turn of the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve))
      return null
    },
    { params: [], category: 'Hidden', description: 'Waits for the validation interface queue to catch up.' },
  )

  rpc.register(
    'setnetworkactive',
    (params) => {
      server.setNetworkActive(params[0] === true)
      return server.networkActive
    },
    {
      params: [
        { name: 'state', type: 'boolean', description: 'true to enable networking, false to disable' },
      ],
      category: 'Network',
      description: 'Disable/enable all p2p network activity.',
    },
  )

  const addconnection: RpcMethodOptions = {
    params: [
      { name: 'address', type: 'string', description: 'The IP address and port to attempt connecting to.' },
      {
        name: 'connection_type',
        type: 'string',
        description: 'outbound-full-relay, block-relay-only, addr-fetch or feeler',
      },
      { name: 'v2transport', type: 'boolean', description: 'Attempt to connect using BIP324 v2 transport' },
    ],
    category: 'Hidden',
    description: 'Open an outbound connection to a specified node. This RPC is for testing only.',
  }

  rpc.register(
    'addconnection',
    (params) => {
      regtestOnly('addconnection', '.')
      const address = String(params[0])
      const type = String(params[1]).trim() as AutomaticOutboundType
      if (!CONNECTION_TYPES.includes(type)) {
        throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, helpText('addconnection', addconnection))
      }
      const v2 = params[2] === true
      if (v2 && (server.localServices & Services.NODE_P2P_V2) === 0n) {
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_PARAMETER,
          'Error: Adding v2transport connections requires -v2transport init flag to be set.',
        )
      }
      let ok: boolean
      try {
        ok = server.addConnection(address, type, v2)
      } catch {
        ok = true // Core: a target that does not resolve fails later, quietly
      }
      if (!ok) {
        throw new RpcError(
          RpcErrorCode.RPC_CLIENT_NODE_CAPACITY_REACHED,
          'Error: Already at capacity for specified connection type.',
        )
      }
      return { address, connection_type: type }
    },
    addconnection,
  )

  rpc.register(
    'sendmsgtopeer',
    (params) => {
      const id = params[0] as number
      const type = String(params[1])
      if (type.length > MESSAGE_TYPE_SIZE) {
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_PARAMETER,
          `Error: msg_type too long, max length is ${MESSAGE_TYPE_SIZE}`,
        )
      }
      const hex = String(params[2])
      if (!/^([0-9a-fA-F]{2})*$/.test(hex))
        throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Error parsing input for msg')
      let sent = false
      try {
        sent = server.sendRawMessage(id, type, fromHex(hex))
      } catch {
        sent = false
      }
      if (!sent) throw new RpcError(RpcErrorCode.RPC_MISC_ERROR, 'Error: Could not send message to peer')
      return {}
    },
    {
      params: [
        { name: 'peer_id', type: 'number', description: 'The peer to send the message to.' },
        {
          name: 'msg_type',
          type: 'string',
          description: `The message type (maximum length ${MESSAGE_TYPE_SIZE})`,
        },
        {
          name: 'msg',
          type: 'string',
          description: 'The serialized message body to send, in hex, without a message header',
        },
      ],
      category: 'Hidden',
      description: 'Send a p2p message to a peer specified by id. This RPC is for testing only.',
    },
  )

  rpc.register(
    'getaddrmaninfo',
    () => {
      const addrman = server.addrManager.addrman
      const out: Record<string, { new: number; tried: number; total: number }> = {}
      for (const n of ADDRMAN_NETWORKS) {
        out[NETWORK_NAMES[n]!] = {
          new: addrman.size(n, 'new'),
          tried: addrman.size(n, 'tried'),
          total: addrman.size(n),
        }
      }
      out['all_networks'] = {
        new: addrman.size(undefined, 'new'),
        tried: addrman.size(undefined, 'tried'),
        total: addrman.size(),
      }
      return out
    },
    {
      params: [],
      category: 'Hidden',
      description:
        "Provides information about the node's address manager by returning the number of addresses in the `new` and `tried` tables and their sum for all networks.",
    },
  )

  rpc.register(
    'getrawaddrman',
    () => {
      const addrman = server.addrManager.addrman
      const tables: Record<'new' | 'tried', Record<string, unknown>> = { new: {}, tried: {} }
      for (const e of addrman.entries()) {
        const pos = addrman.findPosition(e)
        if (!pos) continue
        tables[pos.tried ? 'tried' : 'new'][`${pos.bucket}/${pos.position}`] = {
          address: e.addr.toString(),
          port: e.port,
          services: Number(e.services),
          time: e.time,
          network: addressNetworkName(e.addr),
          source: e.source.toString(),
          source_network: addressNetworkName(e.source),
        }
      }
      return tables
    },
    {
      params: [],
      category: 'Hidden',
      description:
        'EXPERIMENTAL warning: this call may be changed in future releases.\n\nReturns information on all address manager entries for the new and tried tables (each entry at the bucket/position of its first source).',
    },
  )
}
