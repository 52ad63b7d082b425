/**
 * The chain state: the UTXO set at the tip of the validated chain, and what
 * moves it (Core validation.cpp: Chainstate::ActivateBestChain,
 * ActivateBestChainStep, ConnectTip, DisconnectTip, InvalidateBlock,
 * ResetBlockFailureFlags, FlushStateToDisk, CVerifyDB::VerifyDB, and
 * LoadChainTip).
 *
 * The header tree knows which blocks we have; only this module moves its
 * tip. A block becomes the tip once it is connected: its inputs exist and
 * are unspent in the UTXO set and every rule of ConnectBlock holds. The most
 * work chain whose blocks we have and which is not known to be invalid is the
 * target (Core FindMostWorkChain); the tip goes back to the fork point
 * (DisconnectBlock with the block's undo data) and forward along the target,
 * one block at a time. A block that fails is marked failed, its descendants
 * failed-child (the header tree does that), and the search starts again: the
 * node ends on the best valid chain, which may be the one it left.
 *
 * Crash safety: the UTXO database holds the coins, the undo data and the
 * hash of the block they are the state of, written in one transaction by a
 * flush. After a kill the state is that of one block; the blocks after it
 * are in the block store and are connected again at start (Core's
 * ReplayBlocks has less to do: it also has rev files written ahead).
 */
import type { ScriptCheckPool } from '@node/consensus'
import { type Logger, NodeError, Service, silentLogger, TypedEmitter } from '@node/runtime'
import { type Block, decodeBlock, type Hash, hashToHex, type NetworkParams } from '@node/wire'
import type { HeaderChain, HeaderEntry } from './chain.ts'
import type { CoinsCache } from './coins/cache.ts'
import type { CoinsDB } from './coins/db.ts'
import type { BlockUndo, Coin } from './coins/types.ts'
import { medianTimePast } from './pow.ts'
import { scriptCheckReason } from './validation/assumevalid.ts'
import { type ConnectContext, type ConnectResult, connectBlock } from './validation/connect.ts'
import { disconnectBlock } from './validation/disconnect.ts'
import { BlockConsensusError } from './validation/errors.ts'
import { LayeredView } from './validation/layered-view.ts'

/** Where the chain state reads block bytes from (the block store). */
export interface BlockSource {
  getBlock(hash: Hash): Promise<Uint8Array | undefined>
}

export interface ChainstateEvents {
  /** A block was connected (it is the tip now). */
  connected: [entry: HeaderEntry, block: Block]
  /** The tip block was disconnected (a reorganisation or invalidateblock). */
  disconnected: [entry: HeaderEntry, block: Block]
  /** A block failed validation; it and its descendants are marked failed. */
  invalid: [entry: HeaderEntry, error: BlockConsensusError]
  /** The state could not be written or read: the node must stop. */
  fatal: [error: ChainstateError]
}

/** A failure of the chain state's own storage (not of a block): the node cannot go on. */
export class ChainstateError extends NodeError {
  readonly severity = 'fatal'
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'ChainstateError'
  }
}

export interface ChainstateComponents {
  logger?: Logger | undefined
  /** Milliseconds since the epoch. */
  now?: (() => number) | undefined
  chain: HeaderChain
  blocks: BlockSource
  /** The coins database; the chain state opens and closes it. */
  db: CoinsDB
  /** The cache over `db` that blocks are connected into. */
  coins: CoinsCache
  /** Script checks on worker threads; inline when absent. */
  scriptPool?: ScriptCheckPool | undefined
}

export interface ChainstateInit {
  network: NetworkParams
  /** Core -assumevalid: scripts of this block's ancestors may be skipped (undefined: off). */
  assumeValid?: Hash | undefined
  /** Core nMinimumChainWork, for the assume-valid condition. */
  minimumChainWork?: bigint | undefined
}

/** Outpoints a block's inputs spend, coinbase excluded. */
function spentOutpoints(block: Block): Outpoint[] {
  const out: Outpoint[] = []
  for (let i = 1; i < block.txs.length; i++)
    for (const input of block.txs[i]!.inputs) out.push({ txid: input.prevHash, vout: input.prevIndex })
  return out
}

/** Outpoints a block creates. */
function createdOutpoints(block: Block): Outpoint[] {
  const out: Outpoint[] = []
  for (const tx of block.txs) {
    const txid = tx.txid()
    for (let vout = 0; vout < tx.outputs.length; vout++) out.push({ txid, vout })
  }
  return out
}

interface Outpoint {
  readonly txid: Hash
  readonly vout: number
}

export class Chainstate extends Service {
  readonly network: NetworkParams
  readonly chain: HeaderChain
  readonly #blocks: BlockSource
  readonly #db: CoinsDB
  readonly #coins: CoinsCache
  readonly #pool: ScriptCheckPool | undefined
  readonly #log: Logger
  readonly #now: () => number
  readonly #events: TypedEmitter<ChainstateEvents>
  readonly #assumeValid: Hash | undefined
  readonly #minimumWork: bigint
  /** Whether the last block connected had its scripts checked (for the -assumevalid log lines). */
  #checkingScripts = true
  /** The block the UTXO set is at; the header tree's tip follows it (#publish). */
  #tip: HeaderEntry
  /** The tail of the serial queue of chain state changes. */
  #queue: Promise<unknown> = Promise.resolve()
  /** An activation queued and not started yet: later calls share it. */
  #pending: Promise<void> | undefined
  #fatal: ChainstateError | undefined
  /** Blocks connected since start, and inputs validated (for progress and benchmarks). */
  readonly stats = {
    connected: 0,
    disconnected: 0,
    inputs: 0,
    scriptsSkipped: 0,
    flushes: 0,
    flushMs: 0,
    /** The coins cache's memory (bytes) and coins held, after the last block. */
    cacheBytes: 0,
    cacheCoins: 0,
  }

  constructor(components: ChainstateComponents, init: ChainstateInit) {
    super()
    this.network = init.network
    this.chain = components.chain
    this.#tip = components.chain.tip
    this.#blocks = components.blocks
    this.#db = components.db
    this.#coins = components.coins
    this.#pool = components.scriptPool
    this.#log = (components.logger ?? silentLogger).child({ component: 'chainstate' })
    this.#now = components.now ?? Date.now
    this.#events = new TypedEmitter<ChainstateEvents>((err, event) =>
      this.#log.error({ err, event }, 'A chain state listener threw.'),
    )
    this.#assumeValid = init.assumeValid
    this.#minimumWork = init.minimumChainWork ?? init.network.minimumChainWork
  }

  on<K extends keyof ChainstateEvents>(event: K, fn: (...args: ChainstateEvents[K]) => void): () => void {
    return this.#events.on(event, fn)
  }

  /** The failure that stopped the chain state, if any. */
  get fatalError(): ChainstateError | undefined {
    return this.#fatal
  }

  /**
   * Load the tip (Core LoadChainTip): the block the coins are the state of.
   * The header tree must hold the stored headers already. Blocks stored after
   * it are connected by the next activateBestChain().
   */
  protected async onStart(): Promise<void> {
    await this.#pool?.start()
    await this.#db.start()
    const best = this.#db.bestBlock()
    if (!best) return
    const entry = this.chain.get(best)
    if (!entry?.chainHasData) {
      throw new ChainstateError(
        'CHAINSTATE_TIP_UNKNOWN',
        `The UTXO set is the state of block ${hashToHex(best)}, which is not in the block index; restart with -reindex-chainstate (or -reindex).`,
      )
    }
    this.chain.setTip(entry)
    this.#tip = entry
    this.#log.info({ height: entry.height, hash: hashToHex(entry.hash) }, 'Loaded the UTXO set.')
  }

  /** Wait for the running activation to reach a block boundary, then write the state. */
  protected async onStop(): Promise<void> {
    await this.#queue
    if (!this.#fatal) await this.flush().catch(() => undefined)
    await this.#db.stop()
    await this.#pool?.stop()
  }

  /**
   * Write the UTXO set now (Core FlushStateToDisk). `erase` empties the
   * cache too (a flush for memory); otherwise clean coins stay cached.
   */
  async flush(erase = false): Promise<void> {
    const t0 = this.#now()
    const tip = this.#tip
    let r: { written: number; deleted: number }
    try {
      r = await this.#coins.flush(tip.hash, { erase })
    } catch (err) {
      throw this.#fail(
        new ChainstateError('CHAINSTATE_WRITE_FAILED', 'Failed to write the UTXO set.', { cause: err }),
      )
    }
    const ms = this.#now() - t0
    this.stats.flushes++
    this.stats.flushMs += ms
    this.#log.info(
      { height: tip.height, written: r.written, deleted: r.deleted, ms, cacheBytes: this.#coins.usage() },
      'Wrote the UTXO set.',
    )
  }

  #fail(err: ChainstateError): ChainstateError {
    if (!this.#fatal) {
      this.#fatal = err
      this.#log.error({ err }, err.message)
      this.#events.emit('fatal', err)
    }
    return err
  }

  /** Run `fn` after everything queued before it: one change to the chain state at a time. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(fn, fn)
    this.#queue = p.catch(() => undefined)
    return p
  }

  /**
   * Move the tip to the most-work valid chain whose blocks we have. Calls
   * made while one runs share one more run after it; the promise settles
   * when the tip is there (or the chain state stopped or failed).
   */
  activateBestChain(): Promise<void> {
    if (this.#pending) return this.#pending
    const p = this.#serial(async () => {
      this.#pending = undefined
      try {
        await this.#activate()
      } catch (err) {
        if (err instanceof ChainstateError) this.#fail(err)
        else this.#fail(new ChainstateError('CHAINSTATE_FAILED', 'The chain state failed.', { cause: err }))
      }
    })
    this.#pending = p
    return p
  }

  #live(): boolean {
    return !this.#fatal && this.status === 'started'
  }

  async #activate(): Promise<void> {
    try {
      await this.#activateSteps()
    } finally {
      this.#publish()
    }
  }

  async #activateSteps(): Promise<void> {
    for (;;) {
      if (!this.#live()) return
      const target = this.chain.bestCandidate()
      const tip = this.#tip
      if (target === tip || target.chainWork <= tip.chainWork) return
      const fork = this.#fork(tip, target)
      while (this.#tip !== fork) {
        if (!this.#live()) return
        await this.#disconnectTip()
      }
      const path: HeaderEntry[] = []
      for (let e: HeaderEntry | undefined = target; e && e !== fork; e = e.prev) path.push(e)
      path.reverse()
      let n = 0
      for (const e of path) {
        if (!this.#live()) return
        if (!(await this.#connectTip(e))) break
        // Core ActivateBestChainStep connects at most 32 blocks before the
        // tip is announced (UpdatedBlockTip), so a long sync shows progress.
        if (++n % 32 === 0) this.#publish()
      }
    }
  }

  /**
   * Move the header tree's tip to the block the UTXO set is at: once per
   * activation step (a reorganisation is one change, as Core's
   * UpdatedBlockTip reports it), and every 32 blocks of a long one.
   */
  #publish(): void {
    if (this.chain.tip !== this.#tip) this.chain.setTip(this.#tip)
  }

  #fork(a: HeaderEntry, b: HeaderEntry): HeaderEntry {
    let x: HeaderEntry | undefined = a
    let y: HeaderEntry | undefined = b
    while (x && y && x !== y) {
      if (x.height > y.height) x = x.prev
      else if (y.height > x.height) y = y.prev
      else {
        x = x.prev
        y = y.prev
      }
    }
    if (!x || x !== y) throw new ChainstateError('NO_FORK', 'Two chains without a common block.')
    return x
  }

  async #readBlock(e: HeaderEntry): Promise<Block> {
    let bytes: Uint8Array | undefined
    try {
      bytes = await this.#blocks.getBlock(e.hash)
    } catch (err) {
      throw new ChainstateError('BLOCK_READ_FAILED', `Failed to read block ${hashToHex(e.hash)}.`, {
        cause: err,
      })
    }
    if (!bytes) {
      throw new ChainstateError(
        'BLOCK_MISSING',
        `Block ${hashToHex(e.hash)} at height ${e.height} is missing from the block store.`,
      )
    }
    return decodeBlock(bytes)
  }

  /** Why this block's scripts are checked, or undefined when -assumevalid lets them be skipped. */
  #scriptCheckReason(e: HeaderEntry): string | undefined {
    return scriptCheckReason({
      block: e,
      assumeValid: this.#assumeValid ? this.chain.get(this.#assumeValid) : null,
      bestHeader: this.chain.bestHeader,
      ancestor: (x, h) => this.chain.ancestor(x, h),
      network: { minimumChainWork: this.#minimumWork, powTargetSpacing: this.network.powTargetSpacing },
    })
  }

  /** What connectBlock needs to know of the block's place in the chain. */
  #context(e: HeaderEntry, checkScripts: boolean): ConnectContext {
    const prev = e.prev
    return {
      network: this.network,
      height: e.height,
      hash: e.hash,
      prevMedianTimePast: prev ? medianTimePast(prev) : 0,
      medianTimePastAt: (h) => {
        const a = this.chain.ancestor(e, h)
        return a ? medianTimePast(a) : 0
      },
      ancestorHash: (h) => this.chain.ancestor(e, h)?.hash,
      checkScripts,
    }
  }

  /** Connect `e` (its parent is the tip). False if the block is invalid. */
  async #connectTip(e: HeaderEntry): Promise<boolean> {
    const block = await this.#readBlock(e)
    await this.#prefetch(spentOutpoints(block))
    const layer = new LayeredView(this.#coins)
    const reason = this.#scriptCheckReason(e)
    const checkScripts = reason !== undefined
    if (checkScripts !== this.#checkingScripts) {
      // Core logs when script checks are switched off and on (ConnectBlock).
      this.#checkingScripts = checkScripts
      if (checkScripts)
        this.#log.info(
          { height: e.height, reason },
          `Enabling script verification at block ${e.height}: ${reason}.`,
        )
      else
        this.#log.info(
          { height: e.height },
          `Disabling script verification at block ${e.height} (-assumevalid).`,
        )
    }
    let result: ConnectResult
    try {
      result = await connectBlock(block, this.#context(e, checkScripts), layer, this.#pool)
    } catch (err) {
      if (err instanceof BlockConsensusError) {
        this.#log.warn(
          { height: e.height, hash: hashToHex(e.hash), reason: err.reason, err },
          'Block failed validation; marked it and its descendants invalid.',
        )
        this.chain.invalidate(e.hash)
        this.#events.emit('invalid', e, err)
        return false
      }
      throw err
    }
    layer.commit()
    e.validated = true
    this.#coins.addUndo(e.hash, result.undo)
    this.#tip = e
    this.stats.connected++
    this.stats.inputs += result.inputs
    this.stats.cacheBytes = this.#coins.usage()
    this.stats.cacheCoins = this.#coins.size
    if (!checkScripts) this.stats.scriptsSkipped++
    this.#events.emit('connected', e, block)
    const why = this.#coins.shouldFlush()
    if (why) await this.flush(why !== 'periodic')
    else await yieldToLoop()
    return true
  }

  async #prefetch(outpoints: Outpoint[]): Promise<void> {
    try {
      await this.#coins.prefetch(outpoints)
    } catch (err) {
      throw new ChainstateError('CHAINSTATE_READ_FAILED', 'Failed to read the UTXO set.', { cause: err })
    }
  }

  /** Disconnect the tip block with its undo data (Core DisconnectTip). */
  async #disconnectTip(): Promise<void> {
    const tip = this.#tip
    const prev = tip.prev
    if (!prev) throw new ChainstateError('DISCONNECT_GENESIS', 'Cannot disconnect the genesis block.')
    const block = await this.#readBlock(tip)
    const undo = await this.#coins.getUndo(tip.hash)
    if (!undo) {
      throw new ChainstateError(
        'UNDO_MISSING',
        `No undo data for block ${hashToHex(tip.hash)} at height ${tip.height}; restart with -reindex-chainstate.`,
      )
    }
    await this.#prefetch(createdOutpoints(block))
    const layer = new LayeredView(this.#coins)
    const r = disconnectBlock(block, undo, layer, { height: tip.height, hash: tip.hash })
    if (r !== 'failed') layer.commit()
    if (r === 'failed') {
      throw new ChainstateError(
        'DISCONNECT_FAILED',
        `Failed to disconnect block ${hashToHex(tip.hash)}: its undo data does not match the UTXO set.`,
      )
    }
    if (r === 'unclean')
      this.#log.warn({ height: tip.height }, 'Disconnected a block uncleanly (Core: DISCONNECT_UNCLEAN).')
    this.#coins.deleteUndo(tip.hash)
    this.#tip = prev
    this.stats.disconnected++
    this.#events.emit('disconnected', tip, block)
    const why = this.#coins.shouldFlush()
    if (why) await this.flush(why !== 'periodic')
  }

  /** The block the UTXO set is at (the header tree's tip follows it). */
  get utxoTip(): HeaderEntry {
    return this.#tip
  }

  /** The unspent coin at an outpoint (RPC gettxout); undefined when spent or unknown. */
  async getCoin(txid: Hash, vout: number): Promise<Coin | undefined> {
    await this.#prefetch([{ txid, vout }])
    return this.#coins.get(txid, vout)
  }

  /** A connected block's undo data (the coins its transactions spent), from memory or the database. */
  getUndo(blockHash: Hash): Promise<BlockUndo | undefined> {
    return this.#coins.getUndo(blockHash)
  }

  /** The database's estimate of the bytes the coins take on disk. */
  diskSize(): Promise<number> {
    return this.#db.approximateSize()
  }

  /**
   * The whole UTXO set from one database snapshot (gettxoutsetinfo,
   * scantxoutset; Core flushes and opens a cursor): the cache is written,
   * the snapshot taken, and blocks may be connected again while the caller
   * reads it. Read `coins` to its end, or call its `return()`, to release it.
   */
  snapshot(): Promise<{ tip: HeaderEntry; coins: AsyncGenerator<{ txid: Hash; vout: number; coin: Coin }> }> {
    return this.#serial(async () => {
      await this.flush()
      const gen = this.#db.iterate()
      // The first read opens the database iterator: its snapshot is taken here.
      const first = await gen.next()
      const tip = this.#tip
      async function* all(): AsyncGenerator<{ txid: Hash; vout: number; coin: Coin }> {
        if (first.done) return
        yield first.value
        yield* gen
      }
      return { tip, coins: all() }
    })
  }

  /** Wait until every queued change is done (tests and RPC). */
  async idle(): Promise<void> {
    await this.#queue
  }

  /**
   * Core InvalidateBlock (RPC invalidateblock): disconnect back below the
   * block if it is on our chain, mark it failed and its descendants
   * failed-child, and move to the best chain left.
   */
  async invalidateBlock(hash: Hash): Promise<void> {
    const e = this.chain.get(hash)
    if (!e) throw new NodeError('BLOCK_NOT_FOUND', 'Block not found')
    if (e.height === 0) throw new NodeError('GENESIS', 'Cannot invalidate the genesis block.')
    await this.#serial(async () => {
      while (this.#live() && this.#tip.height >= e.height && this.chain.ancestor(this.#tip, e.height) === e)
        await this.#disconnectTip()
      this.#publish()
      this.chain.invalidate(hash)
    })
    await this.activateBestChain()
  }

  /** Core ResetBlockFailureFlags, then ActivateBestChain (RPC reconsiderblock). */
  async reconsiderBlock(hash: Hash): Promise<void> {
    if (!this.chain.get(hash)) throw new NodeError('BLOCK_NOT_FOUND', 'Block not found')
    this.chain.reconsider(hash)
    await this.activateBestChain()
  }

  /**
   * Core CVerifyDB::VerifyDB over the last `depth` blocks (0: all), on a
   * throwaway layer over the UTXO set: level 0 reads each block, 1 decodes
   * it, 2 reads its undo data, 3 disconnects the blocks and checks that the
   * result is clean, 4 connects them again. True when every check passed.
   */
  async verifyChain(level: number, depth: number): Promise<boolean> {
    return this.#serial(async () => {
      const tip = this.#tip
      const stop = depth <= 0 ? 0 : Math.max(0, tip.height - depth)
      const layer = new LayeredView(this.#coins)
      const done: { e: HeaderEntry; block: Block }[] = []
      for (let e: HeaderEntry | undefined = tip; e && e.height > stop; e = e.prev) {
        if (this.status !== 'started') return false
        const block = await this.#readBlock(e).catch(() => undefined)
        if (!block) return false
        if (level >= 2) {
          const undo = await this.#coins.getUndo(e.hash)
          if (!undo) return false
          if (level >= 3) {
            await this.#prefetch(createdOutpoints(block))
            if (disconnectBlock(block, undo, layer, { height: e.height, hash: e.hash }) !== 'ok') return false
          }
        }
        done.push({ e, block })
        await yieldToLoop()
      }
      if (level >= 4) {
        for (const { e, block } of done.reverse()) {
          await this.#prefetch(spentOutpoints(block))
          try {
            await connectBlock(block, this.#context(e, true), layer, this.#pool)
          } catch {
            return false
          }
        }
      }
      layer.discard()
      return true
    })
  }
}

/** Let other work (peers, RPC) run between blocks. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
