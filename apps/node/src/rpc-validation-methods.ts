/**
 * The RPC methods of full validation, with bitcoind's names, parameters,
 * defaults, result fields and error codes:
 *
 * - rpc/blockchain.cpp: `gettxout`, `gettxoutsetinfo` (the set at its best
 *   block only: this node has no coinstatsindex), `scantxoutset`
 *   (FindScriptPubKey, CoinsViewScanReserver: one scan at a time, `status`
 *   and `abort` while it runs), `invalidateblock`, `reconsiderblock`,
 *   `verifychain`, `getchaintxstats`;
 * - rpc/rawtransaction.cpp: `getrawtransaction` for a transaction in a block
 *   named by its hash (no txindex, no mempool), with fees and prevouts from
 *   undo data at verbosity 2 (TxToJSON, TxVerbosity::SHOW_DETAILS_AND_PREVOUT);
 * - rpc/output_script.cpp: `createmultisig` (multisig.ts).
 *
 * Those that need the UTXO set answer RPC_MISC_ERROR while the daemon has no
 * chain state (chainstate-rpc.ts).
 */
import { type HeaderEntry, medianTimePast } from '@node/chain'
import type { Server } from '@node/server'
import { decodeBlock, hashToHex, toHex } from '@node/wire'
import {
  type ChainStateRpc,
  requireChainState,
  type ScannedCoin,
  type UtxoHashType,
} from './chainstate-rpc.ts'
import { DescriptorError, type DescriptorScript, parseDescriptor } from './descriptor.ts'
import { createMultisig } from './multisig.ts'
import { RpcError, RpcErrorCode } from './rpc-errors.ts'
import { parseHash, readBlockBytes, toInt } from './rpc-methods.ts'
import { jsonTypeName, type RpcServer } from './rpc-server.ts'
import { btcValue, scriptPubKeyJson, txToJson } from './tx-json.ts'

/** Core DEFAULT_CHECKLEVEL. */
const DEFAULT_CHECKLEVEL = 3
/** Core DEFAULT_CHECKBLOCKS. */
const DEFAULT_CHECKBLOCKS = 6

/** Core ParseVerbosity(arg, default, allow_bool = true). */
function parseVerbosity(v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback
  if (typeof v === 'boolean') return v ? 1 : 0
  return toInt(v, 'verbosity')
}

/** UniValue getInt<uint32_t>: "JSON integer out of range" outside 0..2^32-1. */
function toUint32(v: unknown, name: string): number {
  const n = toInt(v, name)
  if (n < 0 || n > 0xffffffff) throw new RpcError(RpcErrorCode.RPC_MISC_ERROR, 'JSON integer out of range')
  return n
}

/** Core ParseDescriptorRange (rpc/util.cpp, with ParseRange): an end, or [begin, end]. */
function parseDescriptorRange(v: unknown): [number, number] {
  let low: number
  let high: number
  if (typeof v === 'number') [low, high] = [0, v]
  else if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') {
    ;[low, high] = [v[0], v[1]]
    if (low > high) {
      throw new RpcError(
        RpcErrorCode.RPC_INVALID_PARAMETER,
        'Range specified as [begin,end] must not have begin after end',
      )
    }
  } else {
    throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Range must be specified as end or as [begin,end]')
  }
  if (low < 0)
    throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Range should be greater or equal than 0')
  if (high >= 2 ** 31) throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'End of range is too high')
  if (high >= low + 1_000_000) throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Range is too large')
  return [low, high]
}

/** Core's order of a std::map<COutPoint, Coin>: txid bytes (internal order), then index. */
function compareOutpoints(a: ScannedCoin, b: ScannedCoin): number {
  for (let i = 0; i < 32; i++) {
    const d = (a.txid[i] as number) - (b.txid[i] as number)
    if (d !== 0) return d
  }
  return a.vout - b.vout
}

/** Register the full-validation methods; `chainState` is undefined until the daemon has one. */
export function registerValidationMethods(
  rpc: RpcServer,
  server: Server,
  chainState: ChainStateRpc | undefined,
): void {
  const mgr = server.blockManager
  const chain = mgr.chain
  const net = server.network

  const entryOf = (hashHex: unknown, name = 'blockhash'): HeaderEntry => {
    const e = chain.get(parseHash(hashHex, name))
    if (!e) throw new RpcError(RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY, 'Block not found')
    return e
  }

  // --- the UTXO set ----------------------------------------------------------------

  rpc.register(
    'gettxout',
    async (params) => {
      const txid = parseHash(params[0], 'txid')
      const n = toUint32(params[1], 'n')
      const cs = requireChainState(chainState, 'gettxout')
      // This node has no mempool: include_mempool changes nothing.
      const coin = await cs.getCoin(txid, n)
      if (!coin) return null
      const best = cs.bestBlock()
      return {
        bestblock: hashToHex(best.hash),
        confirmations: best.height - coin.height + 1,
        value: btcValue(coin.value),
        scriptPubKey: scriptPubKeyJson(coin.script, net),
        coinbase: coin.coinbase,
      }
    },
    {
      params: [
        { name: 'txid', type: 'string', description: 'The transaction id' },
        { name: 'n', type: 'number', description: 'vout number' },
        {
          name: 'include_mempool',
          type: 'boolean',
          optional: true,
          description: 'Whether to include the mempool (this node has none). Default true.',
        },
      ],
      category: 'Blockchain',
      description:
        'Returns details about an unspent transaction output, or null when it is spent or was never created.',
    },
  )

  rpc.register(
    'gettxoutsetinfo',
    async (params, ctx) => {
      const text = params[0] === undefined ? 'hash_serialized_3' : String(params[0])
      if (text !== 'hash_serialized_3' && text !== 'muhash' && text !== 'none') {
        throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, `'${text}' is not a valid hash_type`)
      }
      const hashType: UtxoHashType = text
      // Core without coinstatsindex: only the set at its best block.
      if (params[1] !== undefined) {
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_PARAMETER,
          'Querying specific block heights requires coinstatsindex',
        )
      }
      const cs = requireChainState(chainState, 'gettxoutsetinfo')
      const s = await cs.utxoStats(hashType, ctx.signal)
      return {
        height: s.height,
        bestblock: hashToHex(s.bestblock),
        txouts: s.txouts,
        bogosize: s.bogosize,
        ...(hashType === 'hash_serialized_3' ? { hash_serialized_3: s.hash_serialized_3 } : {}),
        ...(hashType === 'muhash' ? { muhash: s.muhash } : {}),
        total_amount: btcValue(s.total_amount),
        transactions: s.transactions,
        disk_size: s.disk_size,
      }
    },
    {
      params: [
        {
          name: 'hash_type',
          type: 'string',
          optional: true,
          description: "Which UTXO set hash to compute: 'hash_serialized_3' (default), 'muhash' or 'none'.",
        },
        {
          name: 'hash_or_height',
          type: 'any',
          optional: true,
          description:
            'A block hash or height: needs coinstatsindex, which this node does not have; only the current tip is answered.',
        },
        {
          name: 'use_index',
          type: 'boolean',
          optional: true,
          description: 'Use coinstatsindex (this node has none). Default true.',
        },
      ],
      category: 'Blockchain',
      description:
        'Returns statistics about the unspent transaction output set at the current tip. Note this call may take some time.',
    },
  )

  /** The scan running, if any (Core: g_scan_in_progress, g_scan_progress, g_should_abort_scan). */
  let scan: { abort: AbortController; progress: () => number } | undefined

  /** Core EvalDescriptorStringOrObject: a descriptor string, or {desc, range} (range is for HD keys, which this node does not take, but is checked as Core checks it). */
  const evalScanObject = (o: unknown): DescriptorScript[] => {
    let desc: string
    if (typeof o === 'string') desc = o
    else if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
      const d = (o as Record<string, unknown>)['desc']
      if (d === undefined || d === null) {
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_PARAMETER,
          'Descriptor needs to be provided in scan object',
        )
      }
      if (typeof d !== 'string') {
        throw new RpcError(
          RpcErrorCode.RPC_TYPE_ERROR,
          `JSON value of type ${jsonTypeName(d)} is not of expected type string`,
        )
      }
      desc = d
      const range = (o as Record<string, unknown>)['range']
      if (range !== undefined && range !== null) parseDescriptorRange(range)
    } else {
      throw new RpcError(
        RpcErrorCode.RPC_INVALID_PARAMETER,
        'Scan object needs to be either a string or an object',
      )
    }
    try {
      return parseDescriptor(desc, net)
    } catch (err) {
      if (err instanceof DescriptorError)
        throw new RpcError(RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY, err.message)
      throw err
    }
  }

  rpc.register(
    'scantxoutset',
    async (params, ctx) => {
      const action = String(params[0])
      if (action === 'status') return scan ? { progress: scan.progress() } : null
      if (action === 'abort') {
        if (!scan) return false
        scan.abort.abort()
        return true
      }
      if (action !== 'start')
        throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, `Invalid action '${action}'`)
      if (scan) {
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_PARAMETER,
          'Scan already in progress, use action "abort" or "status"',
        )
      }
      if (params[1] === undefined) {
        throw new RpcError(
          RpcErrorCode.RPC_MISC_ERROR,
          'scanobjects argument is required for the start action',
        )
      }
      const descs = new Map<string, string>()
      for (const o of params[1] as unknown[]) {
        for (const d of evalScanObject(o)) {
          const key = toHex(d.script)
          if (!descs.has(key)) descs.set(key, d.desc)
        }
      }
      const cs = requireChainState(chainState, 'scantxoutset')
      const abort = new AbortController()
      const onStop = (): void => abort.abort()
      ctx.signal.addEventListener('abort', onStop, { once: true })
      const walk = cs.scanCoins(new Set(descs.keys()), abort.signal)
      scan = { abort, progress: () => walk.progress }
      const found: ScannedCoin[] = []
      try {
        for await (const c of walk) found.push(c)
      } finally {
        scan = undefined
        ctx.signal.removeEventListener('abort', onStop)
      }
      found.sort(compareOutpoints)
      const best = walk.bestBlock
      const tip = chain.get(best.hash)
      let total = 0n
      const unspents = found.map(({ txid, vout, coin }) => {
        total += coin.value
        const scriptHex = toHex(coin.script)
        const block = tip ? chain.ancestor(tip, coin.height) : undefined
        return {
          txid: hashToHex(txid),
          vout,
          scriptPubKey: scriptHex,
          desc: descs.get(scriptHex) ?? '',
          amount: btcValue(coin.value),
          coinbase: coin.coinbase,
          height: coin.height,
          ...(block ? { blockhash: hashToHex(block.hash) } : {}),
          confirmations: best.height - coin.height + 1,
        }
      })
      return {
        success: !abort.signal.aborted,
        txouts: walk.scanned,
        height: best.height,
        bestblock: hashToHex(best.hash),
        unspents,
        total_amount: btcValue(total),
      }
    },
    {
      params: [
        {
          name: 'action',
          type: 'string',
          description:
            'The action to execute: "start" for starting a scan, "abort" for aborting the current scan (returns true when abort was successful), "status" for progress report (in %) of the current scan',
        },
        {
          name: 'scanobjects',
          type: 'array',
          optional: true,
          description:
            'Array of scan objects, required for "start": each a descriptor string or an object {"desc": descriptor}. This node evaluates addr(), raw(), pk(), pkh(), wpkh(), sh(wpkh()) and tr() (no script tree) with hex public keys.',
        },
      ],
      category: 'Blockchain',
      description:
        'Scans the unspent transaction output set for entries that match certain output descriptors. Only one scan runs at a time.',
    },
  )

  // --- block validity -------------------------------------------------------------

  rpc.register(
    'invalidateblock',
    async (params) => {
      const e = entryOf(params[0])
      const cs = requireChainState(chainState, 'invalidateblock')
      try {
        await cs.invalidateBlock(e.hash)
      } catch (err) {
        throw new RpcError(RpcErrorCode.RPC_DATABASE_ERROR, err instanceof Error ? err.message : String(err))
      }
      return null
    },
    {
      params: [
        { name: 'blockhash', type: 'string', description: 'the hash of the block to mark as invalid' },
      ],
      category: 'Blockchain',
      description: 'Permanently marks a block as invalid, as if it violated a consensus rule.',
    },
  )

  rpc.register(
    'reconsiderblock',
    async (params) => {
      const e = entryOf(params[0])
      const cs = requireChainState(chainState, 'reconsiderblock')
      try {
        await cs.reconsiderBlock(e.hash)
      } catch (err) {
        throw new RpcError(RpcErrorCode.RPC_DATABASE_ERROR, err instanceof Error ? err.message : String(err))
      }
      return null
    },
    {
      params: [{ name: 'blockhash', type: 'string', description: 'the hash of the block to reconsider' }],
      category: 'Blockchain',
      description:
        'Removes invalidity status of a block, its ancestors and its descendants, reconsider them for activation. This can be used to undo the effects of invalidateblock.',
    },
  )

  rpc.register(
    'verifychain',
    async (params) => {
      const checkLevel = params[0] === undefined ? DEFAULT_CHECKLEVEL : toInt(params[0], 'checklevel')
      const nBlocks = params[1] === undefined ? DEFAULT_CHECKBLOCKS : toInt(params[1], 'nblocks')
      return requireChainState(chainState, 'verifychain').verifyChain(checkLevel, nBlocks)
    },
    {
      params: [
        {
          name: 'checklevel',
          type: 'number',
          optional: true,
          description: `How thorough the block verification is (0-4). Default ${DEFAULT_CHECKLEVEL}.`,
        },
        {
          name: 'nblocks',
          type: 'number',
          optional: true,
          description: `The number of blocks to check, 0 for all. Default ${DEFAULT_CHECKBLOCKS}.`,
        },
      ],
      category: 'Blockchain',
      description: 'Verifies blockchain database. Returns true when the check passed.',
    },
  )

  rpc.register(
    'getchaintxstats',
    async (params) => {
      let e = chain.tip
      if (params[1] !== undefined) {
        e = entryOf(params[1])
        if (!chain.onActiveChain(e)) {
          throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Block is not in main chain')
        }
      }
      // Core: by default one month of blocks.
      let count = Math.floor((30 * 24 * 60 * 60) / net.powTargetSpacing)
      if (params[0] === undefined) count = Math.max(0, Math.min(count, e.height - 1))
      else {
        count = toInt(params[0], 'nblocks')
        if (count < 0 || (count > 0 && count >= e.height)) {
          throw new RpcError(
            RpcErrorCode.RPC_INVALID_PARAMETER,
            "Invalid block count: should be between 0 and the block's height - 1",
          )
        }
      }
      const past = chain.ancestor(e, e.height - count) as HeaderEntry
      const timeDiff = medianTimePast(e) - medianTimePast(past)
      const txCount = await mgr.chainTxCount(e)
      const out: Record<string, unknown> = {
        time: e.header.time,
        ...(txCount ? { txcount: txCount } : {}),
        window_final_block_hash: hashToHex(e.hash),
        window_final_block_height: e.height,
        window_block_count: count,
      }
      if (count > 0) {
        out['window_interval'] = timeDiff
        const pastCount = await mgr.chainTxCount(past)
        if (txCount && pastCount) {
          out['window_tx_count'] = txCount - pastCount
          if (timeDiff > 0) out['txrate'] = (txCount - pastCount) / timeDiff
        }
      }
      return out
    },
    {
      params: [
        {
          name: 'nblocks',
          type: 'number',
          optional: true,
          description: 'Size of the window in number of blocks. Default one month.',
        },
        {
          name: 'blockhash',
          type: 'string',
          optional: true,
          description: 'The hash of the block that ends the window. Default the chain tip.',
        },
      ],
      category: 'Blockchain',
      description: 'Compute statistics about the total number and rate of transactions in the chain.',
    },
  )

  // --- transactions ---------------------------------------------------------------

  rpc.register(
    'getrawtransaction',
    async (params) => {
      const txid = parseHash(params[0], 'parameter 1')
      if (hashToHex(txid) === hashToHex(net.genesis.header.merkleRoot)) {
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY,
          'The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved',
        )
      }
      const verbosity = parseVerbosity(params[1], 0)
      if (params[2] === undefined) {
        // No mempool and no txindex: only a block hash finds a transaction.
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY,
          'No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions.',
        )
      }
      const e = chain.get(parseHash(params[2], 'parameter 3'))
      if (!e) throw new RpcError(RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY, 'Block hash not found')
      if (!e.haveData && e !== chain.genesis) {
        throw new RpcError(RpcErrorCode.RPC_MISC_ERROR, 'Block not available')
      }
      const block = decodeBlock(await readBlockBytes(server, e))
      const key = hashToHex(txid)
      const index = block.txs.findIndex((t) => hashToHex(t.txid()) === key)
      const tx = block.txs[index]
      if (!tx) {
        throw new RpcError(
          RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY,
          'No such transaction found in the provided block. Use gettransaction for wallet transactions.',
        )
      }
      if (verbosity <= 0) return toHex(tx.toBytes(true))
      const active = chain.onActiveChain(e)
      // Core: verbosity 2 adds fee and prevouts when the block's undo data is there.
      const undo = verbosity >= 2 && index > 0 ? await chainState?.getUndo(e.hash) : undefined
      const coins = undo && undo.length === block.txs.length - 1 ? undo[index - 1] : undefined
      return {
        in_active_chain: active,
        ...txToJson(tx, net, coins ? { coins, prevouts: true } : undefined),
        blockhash: hashToHex(e.hash),
        ...(active
          ? { confirmations: chain.tip.height - e.height + 1, time: e.header.time, blocktime: e.header.time }
          : { confirmations: 0 }),
      }
    },
    {
      params: [
        { name: 'txid', type: 'string', description: 'The transaction id' },
        {
          name: 'verbosity',
          type: 'any',
          optional: true,
          description:
            '0 (or false) for hex-encoded data, 1 (or true) for a JSON object, 2 for a JSON object with fee and prevout. Default 0.',
        },
        {
          name: 'blockhash',
          type: 'string',
          optional: true,
          description:
            'The block in which to look for the transaction: required, as this node has no mempool and no -txindex.',
        },
      ],
      category: 'Rawtransactions',
      description: 'Returns a transaction of the given block.',
    },
  )

  // --- util -----------------------------------------------------------------------

  rpc.register(
    'createmultisig',
    (params) => {
      const required = toInt(params[0], 'nrequired')
      const keys = params[1] as unknown[]
      for (const k of keys) {
        if (typeof k !== 'string') {
          throw new RpcError(
            RpcErrorCode.RPC_TYPE_ERROR,
            `JSON value of type ${jsonTypeName(k)} is not of expected type string`,
          )
        }
      }
      const type = params[2] === undefined ? 'legacy' : String(params[2])
      return createMultisig(required, keys as string[], type, net)
    },
    {
      params: [
        {
          name: 'nrequired',
          type: 'number',
          description: 'The number of required signatures out of the m keys.',
        },
        { name: 'keys', type: 'array', description: 'The hex-encoded public keys.' },
        {
          name: 'address_type',
          type: 'string',
          optional: true,
          description:
            'The address type to use. Options are "legacy", "p2sh-segwit", and "bech32". Default "legacy".',
        },
      ],
      category: 'Util',
      description:
        'Creates a multi-signature address with n signatures of m keys required. It returns a json object with the address and redeemScript.',
    },
  )
}
