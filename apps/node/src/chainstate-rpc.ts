/**
 * What the RPC needs from the chain state (the UTXO set and the block
 * validation around it), and nothing more: the coin lookups of `gettxout`,
 * the statistics of `gettxoutsetinfo` (Core: kernel/coinstats.cpp
 * ComputeUTXOStats), the cursor walk of `scantxoutset` (Core:
 * rpc/blockchain.cpp FindScriptPubKey over CCoinsViewCursor), block
 * invalidation (Core: validation.cpp Chainstate::InvalidateBlock and
 * ResetBlockFailureFlags), `verifychain` (Core: validation.cpp
 * CVerifyDB::VerifyDB) and each block's undo data (Core: undo.h CBlockUndo,
 * read by ReadBlockUndo) for the fees and prevouts of `getblock` and
 * `getrawtransaction`.
 *
 * The daemon runs without a chain state until one is wired in: every method
 * that needs it then answers RPC_MISC_ERROR saying so (Core answers
 * unsupported features of a node, such as a missing index, with an error
 * rather than a wrong result).
 */
import { type BlockUndo, type Chainstate, type Coin, computeUtxoStats, type HeaderEntry } from '@node/chain'
import { type Hash, hashToHex, toHex } from '@node/wire'
import { RpcError, RpcErrorCode } from './rpc-errors.ts'

/** Core CoinStatsHashType, by the names `gettxoutsetinfo` takes. */
export type UtxoHashType = 'hash_serialized_3' | 'muhash' | 'none'

/** A block of the chain the coins are at. */
export interface ChainStateBlock {
  readonly hash: Hash
  readonly height: number
}

/** Core CCoinsStats for the set at its best block (no index). */
export interface UtxoStats {
  readonly height: number
  readonly bestblock: Hash
  /** Unspent outputs. */
  readonly txouts: number
  /** Core's database-independent size metric (nBogoSize). */
  readonly bogosize: number
  /** For 'hash_serialized_3': Core's SHA256d of the serialized coins, in display (RPC) hex. */
  readonly hash_serialized_3?: string | undefined
  /** For 'muhash': the MuHash3072 digest, in display (RPC) hex. */
  readonly muhash?: string | undefined
  /** Satoshis. */
  readonly total_amount: bigint
  /** Transactions with at least one unspent output. */
  readonly transactions: number
  /** Bytes the coins database takes on disk (an estimate, as Core's). */
  readonly disk_size: number
}

/** A coin `scantxoutset` found. */
export interface ScannedCoin {
  readonly txid: Hash
  readonly vout: number
  readonly coin: Coin
}

/**
 * One walk over a snapshot of the coins: iterate it for the coins whose
 * output script is in the set asked for. It ends early, without error, when
 * its signal is aborted.
 */
export interface CoinScan extends AsyncIterable<ScannedCoin> {
  /** The block the snapshot is at. */
  readonly bestBlock: ChainStateBlock
  /** Coins looked at so far. */
  readonly scanned: number
  /** Approximate percent done, 0 to 100 (Core: from the first two txid bytes of the cursor). */
  readonly progress: number
}

/** The chain state as the RPC methods use it. */
export interface ChainStateRpc {
  /** The block the UTXO set is at (Core: CCoinsView::GetBestBlock). */
  bestBlock(): ChainStateBlock
  /** The unspent coin at an outpoint, undefined when spent or unknown. */
  getCoin(txid: Hash, vout: number): Promise<Coin | undefined>
  /** Statistics of the whole set at its best block. */
  utxoStats(hashType: UtxoHashType, signal?: AbortSignal): Promise<UtxoStats>
  /** Start a walk for the coins paying one of these output scripts (lowercase hex). */
  scanCoins(scripts: ReadonlySet<string>, signal: AbortSignal): CoinScan
  /** Mark a block and its descendants invalid and move the tip off them; rejects with the reason when it cannot. */
  invalidateBlock(hash: Hash): Promise<void>
  /** Clear the invalid marks of a block, its ancestors and descendants, and activate the best chain. */
  reconsiderBlock(hash: Hash): Promise<void>
  /** Check the last `nBlocks` blocks (0: all) at `checkLevel` 0 to 4; true when they pass. */
  verifyChain(checkLevel: number, nBlocks: number): Promise<boolean>
  /** A connected block's undo data: the coins each non-coinbase transaction spent, in input order. */
  getUndo(blockHash: Hash): Promise<BlockUndo | undefined>
}

/** The chain state, or RPC_MISC_ERROR naming the method that needs it. */
export function requireChainState(cs: ChainStateRpc | undefined, method: string): ChainStateRpc {
  if (!cs) {
    throw new RpcError(
      RpcErrorCode.RPC_MISC_ERROR,
      `${method} needs the chain state (UTXO set), which this node does not have yet`,
    )
  }
  return cs
}

/** The percent of the key space a scan has passed, from a txid's first two bytes (Core's scantxoutset). */
function scanProgress(txid: Hash): number {
  // Keys are in txid order (wire bytes): the first two bytes say how far.
  return ((txid[0]! * 256 + txid[1]!) * 100) / 65_536
}

/** The RPC's view of the node's chain state. */
export function chainStateRpc(cs: Chainstate): ChainStateRpc {
  const block = (e: HeaderEntry): ChainStateBlock => ({ hash: e.hash, height: e.height })
  return {
    bestBlock: () => block(cs.utxoTip),
    getCoin: (txid, vout) => cs.getCoin(txid, vout),
    async utxoStats(hashType, signal) {
      const snap = await cs.snapshot()
      let aborted = false
      async function* coins(): AsyncGenerator<{ txid: Hash; vout: number; coin: Coin }> {
        for await (const c of snap.coins) {
          if (signal?.aborted) {
            aborted = true
            break
          }
          yield c
        }
      }
      const stats = await computeUtxoStats(coins(), {
        hashSerialized: hashType === 'hash_serialized_3',
        muhash: hashType === 'muhash',
      })
      if (aborted) throw new RpcError(RpcErrorCode.RPC_MISC_ERROR, 'Unable to read UTXO set')
      return {
        height: snap.tip.height,
        bestblock: snap.tip.hash,
        txouts: stats.txouts,
        bogosize: stats.bogosize,
        ...(hashType === 'hash_serialized_3' ? { hash_serialized_3: hashToHex(stats.hashSerialized3) } : {}),
        ...(hashType === 'muhash' ? { muhash: hashToHex(stats.muhash) } : {}),
        total_amount: stats.totalAmount,
        transactions: stats.transactions,
        disk_size: await cs.diskSize(),
      }
    },
    scanCoins(scripts, signal) {
      let best = block(cs.utxoTip)
      let scanned = 0
      let progress = 0
      return {
        get bestBlock() {
          return best
        },
        get scanned() {
          return scanned
        },
        get progress() {
          return progress
        },
        async *[Symbol.asyncIterator]() {
          const snap = await cs.snapshot()
          best = block(snap.tip)
          for await (const c of snap.coins) {
            if (signal.aborted) break
            scanned++
            if ((scanned & 0xfff) === 0) progress = scanProgress(c.txid)
            if (scripts.has(toHex(c.coin.script))) yield c
          }
          if (!signal.aborted) progress = 100
        },
      }
    },
    invalidateBlock: (hash) => cs.invalidateBlock(hash),
    reconsiderBlock: (hash) => cs.reconsiderBlock(hash),
    verifyChain: (level, n) => cs.verifyChain(Math.max(0, Math.min(4, level)), n),
    getUndo: (hash) => cs.getUndo(hash),
  }
}
