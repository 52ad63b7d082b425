/**
 * BlockManager: headers-first sync from several peers, parallel block
 * download in a moving window, stall handling, serving headers and blocks,
 * and relay of new blocks.
 *
 * It owns no sockets: the server gives it a narrow {@link SyncPeer} for each
 * ready peer and routes the peer's chain messages to {@link onMessage}.
 * Serving our chain (getheaders, getblocks, getdata, getblocktxn) lives in
 * serving.ts. Misbehaviour is reported to the peer (and so to the server),
 * never decided here.
 *
 * Over 600 lines, for a reason: the rest of the split by rule (headers
 * sync and download scheduling, relay, compact blocks into their own
 * modules, issue 12) is not done yet; they share the per-peer state and
 * the in-flight map kept here.
 */

import {
  type BlockConsensusError,
  type BlockStore,
  Chainstate,
  type CoinsCache,
  type CoinsDB,
  checkBlock,
  contextualCheckBlock,
  FatalStoreError,
  HeaderChain,
  type HeaderEntry,
  HeadersPresync,
  type PresyncResult,
  type TipChange,
  ValidationError,
} from '@node/chain'
import type { ScriptCheckPool } from '@node/consensus'
import { type Logger, Service, silentLogger, TypedEmitter } from '@node/runtime'
import {
  type Block,
  type BlockHeader,
  blockHash,
  decodeHeader,
  encodeBlock,
  encodeHeader,
  type Hash,
  hashToHex,
  type InvItem,
  InvType,
  isProtocolError,
  type Message,
  type MessageOf,
  makeCompactBlock,
  type NetworkParams,
  PROTOCOL_VERSION,
  type ProtocolError,
  Reader,
  reconstructBlock,
  toHex,
  WITNESS_FLAG,
  zeroHash,
} from '@node/wire'
import {
  BLOCK_DOWNLOAD_TIMEOUT_BASE,
  BLOCK_DOWNLOAD_TIMEOUT_PER_PEER,
  BLOCK_DOWNLOAD_WINDOW,
  BLOCK_STALLING_TIMEOUT_DEFAULT,
  BLOCK_STALLING_TIMEOUT_MAX,
  HEADERS_DOWNLOAD_TIMEOUT_BASE,
  HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER,
  MAX_BLOCKS_IN_FLIGHT_PER_PEER,
  MAX_BLOCKS_TO_ANNOUNCE,
  MAX_HEADERS_RESULTS,
  MAX_TIP_AGE,
  MAX_UNCONNECTING_HEADERS,
  MIN_BLOCKS_TO_KEEP,
  PROGRESS_INTERVAL,
  TICK_INTERVAL,
} from './constants.ts'

/** Core CanDirectFetch: our tip is younger than 20 block intervals. */
const DIRECT_FETCH_SPACINGS = 20
/** At most 3 high-bandwidth compact block peers (BIP152, Core). */
const MAX_HIGH_BANDWIDTH_PEERS = 3
/** Side-branch feeders remembered (one per headers message that ended off the best chain). */
const MAX_FED_BY = 10_000

import {
  onGetBlocks,
  onGetBlockTxn,
  onGetData,
  onGetHeaders,
  randomNonce,
  type ServingContext,
} from './serving.ts'

/** What the block manager needs of a connected, handshaken peer. */
export interface SyncPeer {
  readonly id: number
  /** `host:port (inbound|outbound)`, for logs. */
  readonly label: string
  readonly inbound: boolean
  /** The height the peer announced in its version message. */
  readonly startHeight: number
  /** The peer sent `sendheaders`: announce new blocks to it with `headers`. */
  readonly prefersHeaders: boolean
  send(msg: Message): void
  /**
   * BIP152: the peer sent `sendcmpct` with version 2, so it understands
   * compact blocks (and may ask for them with inv type 4).
   */
  readonly compactBlocks?: boolean | undefined
  /**
   * The peer can serve blocks: it sets NODE_NETWORK or NODE_NETWORK_LIMITED
   * (Core CanServeBlocks). Default true. We never start a headers sync with
   * a peer that cannot; blocks it announces are still fetched from it.
   */
  readonly canServeBlocks?: boolean | undefined
  /** BIP152 high-bandwidth mode: the peer asked us to push `cmpctblock` for new blocks. */
  readonly compactHighBandwidth?: boolean | undefined
  /** Ask the peer to push (true) or announce (false) new blocks as compact blocks: `sendcmpct(on, 2)`. */
  setCompactHighBandwidth?(on: boolean): void
  /** Send a block's encoded bytes as they are (from the store or as received: no re-encode). */
  sendBlock(payload: Uint8Array): void
  /** Whether the peer is known to have an inventory item (its inv cache). */
  hasInventory(type: number, hash: Hash): boolean
  addInventory(type: number, hash: Hash): void
  /** Report misbehaviour; the server decides what to do (disconnect, discourage). */
  misbehaving(err: ProtocolError): void
  /** Ask the server to disconnect the peer (e.g. it stalls the download). */
  disconnect(reason: string): void
}

/** The part of the store the manager uses (a BlockStore, or a fake in tests). */
export type ChainStore = Pick<
  BlockStore,
  'putBlock' | 'getBlock' | 'getBlockInfo' | 'hasBlock' | 'putHeaders' | 'loadHeaders' | 'setTip'
> &
  Partial<Pick<BlockStore, 'blockHashes'>>

export interface BlockManagerComponents {
  logger?: Logger | undefined
  store: ChainStore
  /**
   * The UTXO set (a CoinsCache over the chainstate database). With it the
   * manager validates fully: the tip moves only when a block is connected
   * (Chainstate). Without it, only headers and block structure are checked
   * and the tip is the most-work chain whose blocks are stored.
   */
  coins?: { db: CoinsDB; cache: CoinsCache } | undefined
  /** Script checks on worker threads (with `coins`); inline when absent. */
  scriptPool?: ScriptCheckPool | undefined
  /** Milliseconds since the epoch. */
  now?: (() => number) | undefined
}

export interface BlockManagerInit {
  network: NetworkParams
  maxBlocksInFlightPerPeer?: number | undefined
  downloadWindow?: number | undefined
  /** Start (and minimum) of the stall timeout, in ms. */
  stallTimeout?: number | undefined
  /** Per-block download timeout base, in ms (Core: the target spacing, 10 min). */
  blockTimeout?: number | undefined
  maxSideHeaders?: number | undefined
  /** Log a progress line this often during sync (ms); 0 disables. */
  progressInterval?: number | undefined
  /** Override the network's minimum chain work (headers presync threshold; tests). */
  minimumChainWork?: bigint | undefined
  /** -assumevalid: scripts of this block's ancestors may be skipped (wire order; undefined: off). */
  assumeValid?: Hash | undefined
  /**
   * Core -reindex: the header tree is rebuilt from the stored blocks
   * themselves (every header checked again), for a store opened with its
   * own `reindex`.
   */
  reindex?: boolean | undefined
}

export interface BlockManagerEvents {
  /** The chain of blocks moved (new block or reorganisation). */
  tip: [change: TipChange]
  /** A block was stored. */
  block: [entry: HeaderEntry, size: number]
  /**
   * A write to the store failed (EACCES, ENOSPC, EIO, ...): the manager has
   * stopped taking blocks and headers, and the host must shut the node down
   * (bitcoind aborts on such a failure). Emitted once.
   */
  fatal: [err: FatalStoreError]
  /**
   * A peer gave us a block (whole, or as a compact block) that passed the
   * checks, or a header announcing a block: `isNew` when we did not have it
   * (Core's m_last_block_time and m_last_block_announcement, which the
   * server's eviction protection keeps).
   */
  'peer:block': [ev: PeerBlockEvent]
}

/** What a peer gave us, for the `peer:block` event. */
export interface PeerBlockEvent {
  readonly peerId: number
  readonly entry: HeaderEntry
  /** We did not have the block (for `headers`: the header) before. */
  readonly isNew: boolean
  readonly via: 'block' | 'cmpctblock' | 'headers'
}

interface InFlight {
  readonly entry: HeaderEntry
  readonly peer: PeerState
  readonly requestedAt: number
}

interface PeerState {
  readonly peer: SyncPeer
  /** The best header the peer is known to have. */
  bestKnown: HeaderEntry | undefined
  /** Blocks requested from this peer, by key, in request order. */
  readonly inFlight: Map<string, InFlight>
  /** When our outstanding getheaders was sent (0: none). */
  headersRequestedAt: number
  headersExpected: number
  unconnecting: number
  /** The last hash of a truncated getblocks answer (Core hashContinue). */
  hashContinue: string | undefined
  /** When this peer started holding back the download window (0: not stalling). */
  stallingSince: number
  /** Peer announced it has no more headers for us. */
  headersDone: boolean
  /** We have sent this peer a getheaders (Core fSyncStarted). */
  syncStarted: boolean
  /** Low-work headers protection for this peer's chain, while ours is below the minimum work. */
  presync: HeadersPresync | undefined
  /** The block hash the peer last sent us a block for (to skip it in relay). */
  readonly sentBlocks: Set<string>
  /** When the peer last gave us a block we stored (ms; 0: never). Core's m_last_block_time. */
  lastBlockAt: number
}

/** What we know of a peer's chain (Core's CNodeStateStats), for getpeerinfo. */
export interface PeerSyncState {
  /** Height of the best header the peer has announced, or -1 (Core nSyncHeight). */
  readonly bestKnownHeight: number
  /** Height of the last block both the peer's best chain and our active chain have, or -1 (Core nCommonHeight). */
  readonly lastCommonHeight: number
  /** Heights of the blocks requested from the peer and not yet received, in request order. */
  readonly inFlightHeights: readonly number[]
  /** When the peer last gave us a new block (ms since the epoch; 0: never). */
  readonly lastBlockAt: number
}

/**
 * Announcing to a peer with `headers`: the new blocks after the last one the
 * peer is known to have, when there are at most 8; else an inv of the tip.
 */
export class BlockManager extends Service {
  readonly chain: HeaderChain
  readonly network: NetworkParams
  readonly #log: Logger
  readonly #store: ChainStore
  /** Full validation: the UTXO set and the rule that moves the tip (undefined without `coins`). */
  readonly chainstate: Chainstate | undefined
  readonly #now: () => number
  readonly #maxInFlight: number
  readonly #window: number
  readonly #stallDefault: number
  readonly #blockTimeout: number
  readonly #progressInterval: number
  readonly #minimumWork: bigint
  readonly #peers = new Map<number, PeerState>()
  /** The last chainTxCount() answer: one entry and its count. */
  #chainTx: { entry: HeaderEntry; count: number } | undefined
  readonly #inFlight = new Map<string, InFlight>()
  /** Blocks received and being checked or written: not to be requested again meanwhile. */
  readonly #receiving = new Set<string>()
  readonly #events: TypedEmitter<BlockManagerEvents>
  #fatal: FatalStoreError | undefined
  /** The last tip write (submitBlock waits for it: the tip is durable before the block is reported made). */
  #tipWrite: Promise<void> = Promise.resolve()
  #stallTimeout: number
  #syncPeer: PeerState | undefined
  #ibd = true
  #tick: NodeJS.Timeout | undefined
  #progress: NodeJS.Timeout | undefined
  #pendingWrites = new Set<Promise<unknown>>()
  #stats = { blocks: 0, bytes: 0, lastBlocks: 0, lastBytes: 0, lastAt: 0 }
  /**
   * The last few blocks that extended our tip, kept in memory (Core's most
   * recent block): announced as soon as they pass the checks, before they
   * are durably stored, and served from here meanwhile. At most 8.
   */
  readonly #recent = new Map<string, Uint8Array>()
  /** Rebuild the header tree from the stored blocks at the next start. */
  #reindex: boolean
  /** Why recent blocks failed validation (submitBlock answers with it), at most 8. */
  readonly #failures = new Map<string, BlockConsensusError>()
  /** Our high-bandwidth compact block peers, most recent first (at most 3). */
  readonly #highBandwidth: PeerState[] = []
  /**
   * Blocks received from a peer: relay skips their source, and a block that
   * fails validation later is held against it (not when it came as a compact
   * block: Core MaybePunishNodeForBlock's via_compact_block).
   */
  readonly #source = new Map<string, { peerId: number; via: 'block' | 'cmpctblock' }>()
  /**
   * Who fed the side branches: the last header of each headers message that
   * ended off the best chain, by key, to the peer id (bounded). When such a
   * branch is evicted for lack of work, the peer that sent it is dropped.
   */
  readonly #fedBy = new Map<string, number>()
  /** Peers whose side branch was evicted; dropped once the current message is handled. */
  readonly #evictedFeeders = new Set<number>()
  /** What the serving handlers (serving.ts) read of the manager. */
  readonly #serving: ServingContext

  constructor(components: BlockManagerComponents, init: BlockManagerInit) {
    super()
    this.network = init.network
    this.#log = (components.logger ?? silentLogger).child({ component: 'blockmgr' })
    this.#events = new TypedEmitter<BlockManagerEvents>((err, event) =>
      this.#log.error({ err, event }, 'A block manager listener threw.'),
    )
    this.#store = components.store
    this.#now = components.now ?? Date.now
    this.#maxInFlight = init.maxBlocksInFlightPerPeer ?? MAX_BLOCKS_IN_FLIGHT_PER_PEER
    this.#window = init.downloadWindow ?? BLOCK_DOWNLOAD_WINDOW
    this.#stallDefault = init.stallTimeout ?? BLOCK_STALLING_TIMEOUT_DEFAULT
    this.#stallTimeout = this.#stallDefault
    this.#blockTimeout = init.blockTimeout ?? init.network.powTargetSpacing * 1000
    this.#progressInterval = init.progressInterval ?? PROGRESS_INTERVAL
    this.#minimumWork = init.minimumChainWork ?? init.network.minimumChainWork
    this.#reindex = init.reindex === true
    this.chain = new HeaderChain({
      network: init.network,
      now: () => Math.floor(this.#now() / 1000),
      maxSideHeaders: init.maxSideHeaders,
      onTipChanged: (c) => this.#onTipChanged(c),
      onEvicted: (entries) => this.#onEvicted(entries),
      autoActivate: components.coins === undefined,
    })
    this.chainstate = components.coins
      ? new Chainstate(
          {
            logger: components.logger,
            now: this.#now,
            chain: this.chain,
            blocks: this.#store,
            db: components.coins.db,
            coins: components.coins.cache,
            scriptPool: components.scriptPool,
          },
          { network: init.network, assumeValid: init.assumeValid, minimumChainWork: this.#minimumWork },
        )
      : undefined
    this.chainstate?.on('invalid', (e, err) => this.#onInvalidBlock(e, err))
    this.chainstate?.on('fatal', (err) => this.#storeFailed('the UTXO set', err))
    const self = this
    this.#serving = {
      chain: this.chain,
      get initialBlockDownload() {
        return self.initialBlockDownload
      },
      minimumChainWork: this.#minimumWork,
      get serving() {
        return self.status === 'started'
      },
      recent: (hash) => this.#recent.get(toHex(hash)),
      getBlock: (hash) => this.#store.getBlock(hash),
      track: (p) => {
        this.#pendingWrites.add(p)
        void p.finally(() => this.#pendingWrites.delete(p))
      },
      log: this.#log,
    }
  }

  /** Add a listener; returns a function that removes it. */
  on<K extends keyof BlockManagerEvents>(event: K, fn: (...args: BlockManagerEvents[K]) => void): () => void {
    return this.#events.on(event, fn)
  }

  off<K extends keyof BlockManagerEvents>(event: K, fn: (...args: BlockManagerEvents[K]) => void): void {
    this.#events.off(event, fn)
  }

  /** True until the block tip is recent and has the network's minimum chain work (Core latches it off). */
  get initialBlockDownload(): boolean {
    if (!this.#ibd) return false
    const tip = this.chain.tip
    if (tip.chainWork < this.#minimumWork) return true
    if (tip.time < this.#now() / 1000 - MAX_TIP_AGE) return true
    this.#ibd = false
    this.#log.info({ height: tip.height }, 'Leaving initial block download.')
    return false
  }

  /** The store write failure that stopped the manager, if any. */
  get fatalError(): FatalStoreError | undefined {
    return this.#fatal
  }

  /**
   * A store operation failed. A write failure is fatal: nothing more is taken
   * in (memory must not run ahead of the disk) and `fatal` is emitted for the
   * host to shut down. Other failures (the store is busy or closing) are logged.
   */
  #storeFailed(what: string, err: unknown): void {
    const code = (err as { code?: unknown }).code
    const write = code === 'STORE_WRITE_FAILED' || typeof (err as { errno?: unknown }).errno === 'number'
    if (!write || this.status === 'stopped') {
      this.#log.error({ err }, `Failed to store ${what}.`)
      return
    }
    if (this.#fatal) return
    const fatal = new FatalStoreError(what, err)
    this.#fatal = fatal
    this.#log.error({ err: fatal, errno: fatal.errno }, fatal.message)
    this.#events.emit('fatal', fatal)
  }

  /**
   * Core -reindex (LoadExternalBlockFile): read every stored block's header,
   * and add them parent first with all the header checks, each with its
   * block; headers that fail (and their descendants) are left out. The
   * chain state then connects the blocks.
   */
  async #reindexHeaders(): Promise<void> {
    const list = this.#store.blockHashes?.()
    if (!list) return
    const children = new Map<string, { header: BlockHeader; hash: Hash }[]>()
    let read = 0
    for (const hash of [...list]) {
      const bytes = await this.#store.getBlock(hash)
      if (!bytes || bytes.length < 80) continue
      const header = decodeHeader(bytes.subarray(0, 80))
      const k = toHex(header.prevBlock)
      const list = children.get(k)
      if (list) list.push({ header, hash })
      else children.set(k, [{ header, hash }])
      read++
    }
    let added = 0
    const records: { hash: Hash; header80: Uint8Array; height: number }[] = []
    const queue = [this.chain.genesis.key]
    while (queue.length > 0) {
      const key = queue.shift()!
      for (const c of children.get(key) ?? []) {
        try {
          const e = this.chain.addHeaders([c.header], [c.hash]).last
          if (!e) continue
          this.chain.markHaveData(c.hash)
          records.push({ hash: e.hash, header80: e.header80, height: e.height })
          queue.push(e.key)
          added++
        } catch (err) {
          this.#log.warn(
            { err, hash: hashToHex(c.hash) },
            'Reindex: left out a stored block whose header fails.',
          )
        }
      }
      children.delete(key)
    }
    for (let i = 0; i < records.length; i += 50_000)
      await this.#store.putHeaders(records.slice(i, i + 50_000))
    this.#log.info(
      { blocks: read, headers: added, height: this.chain.bestHeader.height },
      'Reindexed the stored blocks.',
    )
  }

  /** Blocks requested and not yet received. */
  get blocksInFlight(): number {
    return this.#inFlight.size
  }

  get peerCount(): number {
    return this.#peers.size
  }

  /**
   * Transactions in a block we have (Core's nTx); undefined when we lack it.
   * The store's index knows the count of every block stored since it kept
   * counts; for others (older stores, blocks found again by a scan) the
   * block's own count is read from its bytes.
   */
  async blockTxCount(e: HeaderEntry): Promise<number | undefined> {
    if (!e.haveData) return undefined
    // Every network's genesis block has its coinbase only; it is not in the store.
    if (e === this.chain.genesis) return 1
    const known = this.#store.getBlockInfo(e.hash)?.txCount
    if (known !== undefined) return known
    const bytes = await this.#store.getBlock(e.hash)
    if (!bytes) return undefined
    const r = new Reader(bytes, 80)
    return r.compactSize('block tx count')
  }

  /**
   * Transactions from genesis to `e` inclusive (Core's m_chain_tx_count), for
   * an entry whose ancestors we all have; undefined otherwise. The last answer
   * is kept, so asking again for a later tip of the same chain only counts the
   * blocks added since.
   */
  async chainTxCount(e: HeaderEntry): Promise<number | undefined> {
    if (!e.chainHasData) return undefined
    const cached = this.#chainTx
    const base =
      cached &&
      cached.entry.height <= e.height &&
      this.chain.ancestor(e, cached.entry.height) === cached.entry
        ? cached
        : undefined
    let count = base?.count ?? 0
    for (let cur: HeaderEntry | undefined = e; cur && cur !== base?.entry; cur = cur.prev) {
      const n = await this.blockTxCount(cur)
      if (n === undefined) return undefined
      count += n
    }
    this.#chainTx = { entry: e, count }
    return count
  }

  /** A peer's sync state (read only), or undefined if the peer is not ours. */
  peerSyncState(id: number): PeerSyncState | undefined {
    const s = this.#peers.get(id)
    if (!s) return undefined
    let common: HeaderEntry | undefined
    if (s.bestKnown) {
      common = this.chain.ancestor(s.bestKnown, Math.min(s.bestKnown.height, this.chain.tip.height))
      while (common && !this.chain.onActiveChain(common)) common = common.prev
    }
    return {
      bestKnownHeight: s.bestKnown?.height ?? -1,
      lastCommonHeight: common?.height ?? -1,
      inFlightHeights: [...s.inFlight.values()].map((f) => f.entry.height),
      lastBlockAt: s.lastBlockAt,
    }
  }

  /**
   * Peers we sync from: they have announced headers with more work than our
   * block tip, so their blocks are ours to download (whether or not a
   * request to them is in flight right now).
   */
  get syncPeerCount(): number {
    const tipWork = this.chain.tip.chainWork
    let n = 0
    for (const s of this.#peers.values()) if (s.bestKnown && s.bestKnown.chainWork > tipWork) n++
    return n
  }

  protected async onStart(): Promise<void> {
    const stored = await this.#store.loadHeaders()
    stored.sort((a, b) => a.height - b.height)
    const n = this.chain.loadTrusted(
      stored.map((s) => ({ header: decodeHeader(s.header80), haveData: this.#store.hasBlock(s.hash) })),
    )
    this.#log.info(
      { headers: n, bestHeader: this.chain.bestHeader.height, height: this.chain.tip.height },
      'Loaded the header index from the store.',
    )
    if (this.#reindex) {
      this.#reindex = false
      await this.#reindexHeaders()
    }
    if (this.chainstate) {
      await this.chainstate.start()
      // Blocks stored after the UTXO set's last write are connected again.
      void this.chainstate.activateBestChain()
    }
    this.#tick = setInterval(() => this.#onTick(), TICK_INTERVAL)
    if (this.#progressInterval > 0)
      this.#progress = setInterval(() => this.#logProgress(), this.#progressInterval)
  }

  protected async onStop(): Promise<void> {
    clearInterval(this.#tick)
    clearInterval(this.#progress)
    this.#tick = undefined
    this.#progress = undefined
    this.#peers.clear()
    this.#chainTx = undefined
    this.#inFlight.clear()
    this.#receiving.clear()
    this.#recent.clear()
    this.#highBandwidth.length = 0
    this.#fedBy.clear()
    this.#evictedFeeders.clear()
    this.#syncPeer = undefined
    await Promise.allSettled([...this.#pendingWrites])
    await this.chainstate?.stop()
  }

  // --- peers ---------------------------------------------------------------

  /** A peer finished its handshake. */
  addPeer(peer: SyncPeer): void {
    if (this.status !== 'started' || this.#peers.has(peer.id)) return
    const s: PeerState = {
      peer,
      bestKnown: undefined,
      inFlight: new Map(),
      headersRequestedAt: 0,
      headersExpected: 0,
      unconnecting: 0,
      hashContinue: undefined,
      stallingSince: 0,
      headersDone: false,
      syncStarted: false,
      presync: undefined,
      sentBlocks: new Set(),
      lastBlockAt: 0,
    }
    this.#peers.set(peer.id, s)
    this.#startHeadersSync()
  }

  /**
   * Initial headers sync asks one peer; once our best header is recent,
   * every peer is asked once (Core's fSyncStarted logic).
   */
  #startHeadersSync(): void {
    const syncing = this.#headersSyncing()
    for (const s of this.#peers.values()) {
      if (s.syncStarted || s.peer.canServeBlocks === false) continue
      if (syncing) {
        if (this.#syncPeer && this.#peers.has(this.#syncPeer.peer.id)) return
        this.#syncPeer = s
      }
      // Start one block before our best header, so that an up-to-date peer
      // answers with at least one header and we learn what it has (Core).
      const best = this.chain.bestHeader
      this.#requestHeaders(s, best.prev ?? best)
    }
  }

  /** A peer went away: its requests go back to the pool. */
  removePeer(peer: SyncPeer): void {
    const s = this.#peers.get(peer.id)
    if (!s) return
    this.#peers.delete(peer.id)
    const hb = this.#highBandwidth.indexOf(s)
    if (hb >= 0) this.#highBandwidth.splice(hb, 1)
    for (const key of s.inFlight.keys()) this.#inFlight.delete(key)
    s.inFlight.clear()
    if (this.#syncPeer === s) {
      this.#syncPeer = undefined
      // Hand the initial headers sync to another peer.
      const next = [...this.#peers.values()].find((p) => !p.peer.inbound) ?? this.#peers.values().next().value
      if (next) {
        this.#syncPeer = next
        this.#requestHeaders(next, this.chain.bestHeader)
      }
    }
    this.#schedule()
  }

  /**
   * Route a chain message from a peer. Never throws. `payload` is the
   * message's bytes as received: a block is stored and relayed from them,
   * never encoded again.
   */
  onMessage(peer: SyncPeer, msg: Message, payload?: Uint8Array): void {
    const s = this.#peers.get(peer.id)
    if (!s || this.status !== 'started' || this.#fatal) return
    try {
      switch (msg.command) {
        case 'headers':
          this.#onHeaders(s, msg)
          break
        case 'block':
          this.#onBlock(s, msg.block, payload, 'block')
          break
        case 'inv':
          this.#onInv(s, msg)
          break
        case 'notfound':
          this.#onNotFound(s, msg)
          break
        case 'getheaders':
          onGetHeaders(this.#serving, s, msg)
          break
        case 'getblocks':
          onGetBlocks(s, msg, this.chain)
          break
        case 'cmpctblock':
          this.#onCmpctBlock(s, msg)
          break
        case 'getblocktxn':
          onGetBlockTxn(this.#serving, s, msg)
          break
        case 'blocktxn':
          // We never send getblocktxn (we have no mempool to fill a compact
          // block from; we ask for the whole block instead).
          break
        case 'getdata':
          onGetData(this.#serving, s, msg)
          break
        default:
          break
      }
    } catch (err) {
      this.#log.error({ err, peer: peer.label, command: msg.command }, 'Failed to handle a chain message.')
    }
  }

  // --- headers --------------------------------------------------------------

  #headersSyncing(): boolean {
    return this.chain.bestHeader.time < this.#now() / 1000 - MAX_TIP_AGE
  }

  #requestHeaders(s: PeerState, from: HeaderEntry, stop: Hash = zeroHash()): void {
    s.syncStarted = true
    s.headersRequestedAt = this.#now()
    s.headersExpected = Math.max(
      0,
      Math.floor(this.#now() / 1000 - from.time) / this.network.powTargetSpacing,
    )
    s.peer.send({
      command: 'getheaders',
      version: PROTOCOL_VERSION,
      locator: this.chain.locator(from),
      hashStop: stop,
    })
  }

  #onHeaders(s: PeerState, msg: MessageOf<'headers'>): void {
    s.headersRequestedAt = 0
    const headers = msg.headers
    if (headers.length === 0) {
      s.headersDone = true
      this.#schedule()
      return
    }
    if (s.presync || this.chain.bestHeader.chainWork < this.#minimumWork) {
      if (this.#onPresyncHeaders(s, headers)) return
    }
    this.#acceptHeaders(s, headers, headers.length === MAX_HEADERS_RESULTS)
  }

  /**
   * Headers while our best chain is below the minimum chain work: checked in
   * a presync pass first, stored only once the peer's chain is shown to have
   * enough work (see presync.ts). Returns true when it handled the message.
   */
  #onPresyncHeaders(s: PeerState, headers: readonly BlockHeader[]): boolean {
    if (!s.presync) {
      const fork = this.chain.get(headers[0]!.prevBlock)
      // Headers that do not connect go the usual way (we ask for the gap).
      if (!fork) return false
      s.presync = new HeadersPresync(fork, this.network, {
        minimumWork: this.#minimumWork,
        now: () => Math.floor(this.#now() / 1000),
      })
    }
    const ps = s.presync
    let r: PresyncResult
    try {
      r = ps.feed(headers)
    } catch (err) {
      s.presync = undefined
      if (isProtocolError(err) && err.severity !== 'ignore') s.peer.misbehaving(err)
      return true
    }
    const full = headers.length === MAX_HEADERS_RESULTS
    if (r.startRedownload) {
      this.#log.info(
        { peer: s.peer.label, height: ps.presyncHeight },
        'Presynced headers reach the minimum chain work; downloading them again to store them.',
      )
      this.#requestHeadersFrom(s, [ps.fork.hash, ...this.chain.locator(ps.fork).slice(1)])
      return true
    }
    if (r.phase === 'presync') {
      if (full) {
        if (ps.presyncHeight % 10_000 < MAX_HEADERS_RESULTS) {
          this.#log.info(
            { peer: s.peer.label, height: ps.presyncHeight },
            'Presyncing headers (not stored until they reach the minimum chain work).',
          )
        }
        this.#requestHeadersFrom(s, [ps.lastHash, ...this.chain.locator(ps.fork)])
      } else {
        this.#log.info(
          { peer: s.peer.label, height: ps.presyncHeight },
          "The peer's header chain ends below the minimum chain work; not storing it.",
        )
        s.presync = undefined
        s.headersDone = true
      }
      return true
    }
    // Redownload: verified headers go into the tree; ask for more from where
    // the redownload stands (unverified ones are still buffered).
    if (r.phase === 'done') s.presync = undefined
    if (r.release.length > 0) this.#acceptHeaders(s, r.release, false)
    if (full) {
      const tipHash = r.phase === 'done' ? undefined : ps.redownloadLastHash
      if (tipHash) this.#requestHeadersFrom(s, [tipHash, ...this.chain.locator(ps.fork)])
      else if (this.chain.has(blockHash(headers[headers.length - 1]!)))
        this.#requestHeaders(s, this.chain.get(blockHash(headers[headers.length - 1]!))!)
    }
    return true
  }

  #requestHeadersFrom(s: PeerState, locator: Hash[]): void {
    s.syncStarted = true
    s.headersRequestedAt = this.#now()
    s.peer.send({
      command: 'getheaders',
      version: PROTOCOL_VERSION,
      locator: locator.slice(0, 101),
      hashStop: zeroHash(),
    })
  }

  #acceptHeaders(s: PeerState, headers: readonly BlockHeader[], askForMore: boolean): void {
    let result: ReturnType<HeaderChain['addHeaders']>
    try {
      result = this.chain.addHeaders(headers)
    } catch (err) {
      if (err instanceof ValidationError && err.code === 'ORPHAN_HEADER') {
        // The first header does not connect: ask for what lies between (Core).
        s.unconnecting++
        if (s.unconnecting > MAX_UNCONNECTING_HEADERS) {
          s.peer.misbehaving(
            new ValidationError(
              'UNCONNECTING_HEADERS',
              'too-many-unconnected-headers',
              'Too many headers messages that do not connect.',
            ),
          )
          return
        }
        this.#requestHeaders(s, this.chain.bestHeader)
        return
      }
      this.#persistHeaders()
      if (isProtocolError(err) && err.severity !== 'ignore') s.peer.misbehaving(err)
      else this.#log.debug({ err, peer: s.peer.label }, 'Ignored headers.')
      return
    }
    s.unconnecting = 0
    if (result.last && result.added.includes(result.last))
      this.#events.emit('peer:block', { peerId: s.peer.id, entry: result.last, isNew: true, via: 'headers' })
    if (result.last && (!s.bestKnown || result.last.chainWork > s.bestKnown.chainWork))
      s.bestKnown = result.last
    if (result.last && result.added.length > 0 && !this.chain.onBestChain(result.last)) {
      this.#fedBy.set(result.last.key, s.peer.id)
      if (this.#fedBy.size > MAX_FED_BY) {
        const oldest = this.#fedBy.keys().next().value
        if (oldest !== undefined) this.#fedBy.delete(oldest)
      }
    }
    // The peer has every block of the chain it sent.
    for (let e: HeaderEntry | undefined = result.last, i = 0; e && i < headers.length; e = e.prev, i++) {
      s.peer.addInventory(InvType.BLOCK, e.hash)
    }
    this.#persistHeaders(result.added)
    if (result.last) this.#directFetch(s, result.last)
    if (askForMore && result.last) {
      // The peer may have more.
      this.#requestHeaders(s, result.last)
    } else if (!askForMore) {
      s.headersDone = true
    }
    this.#startHeadersSync()
    this.#schedule()
  }

  #pendingHeaders: HeaderEntry[] = []
  #headersWriting = false

  /** Store new headers in order (batched; one write in flight at a time). */
  #persistHeaders(added: readonly HeaderEntry[] = []): void {
    for (const e of added) this.#pendingHeaders.push(e)
    if (this.#headersWriting || this.#pendingHeaders.length === 0) return
    const batch = this.#pendingHeaders.splice(0, 50_000)
    this.#headersWriting = true
    const p = this.#store
      .putHeaders(batch.map((e) => ({ hash: e.hash, header80: encodeHeader(e.header), height: e.height })))
      .catch((err: unknown) => this.#storeFailed('headers', err))
      .finally(() => {
        this.#headersWriting = false
        this.#pendingWrites.delete(p)
        if (this.status === 'started') this.#persistHeaders()
      })
    this.#pendingWrites.add(p)
  }

  #onInv(s: PeerState, msg: MessageOf<'inv'>): void {
    let lastUnknown: InvItem | undefined
    for (const item of msg.inventory) {
      const type = item.type & ~WITNESS_FLAG
      if (type !== InvType.BLOCK) continue
      s.peer.addInventory(InvType.BLOCK, item.hash)
      const e = this.chain.get(item.hash)
      if (e && !this.chain.failed(e)) {
        if (!s.bestKnown || e.chainWork > s.bestKnown.chainWork) s.bestKnown = e
      } else if (!this.chain.isInvalid(item.hash)) lastUnknown = item
    }
    // Core: on an unknown block announcement, ask for headers up to it.
    if (lastUnknown && s.headersRequestedAt === 0)
      this.#requestHeaders(s, this.chain.bestHeader, lastUnknown.hash)
    this.#schedule()
  }

  // --- blocks ---------------------------------------------------------------

  /** Hand out block requests to every peer with room, along the best header chain. */
  #schedule(): void {
    if (this.status !== 'started' || this.#fatal) return
    const now = this.#now()
    const tip = this.chain.tip
    const best = this.chain.bestHeader
    if (best.chainWork <= tip.chainWork) return
    // The download starts after the last block the best header chain shares
    // with our chain of blocks (Core's last common block).
    let fork = Math.min(tip.height, best.height)
    while (fork > 0 && this.chain.atHeight(fork) !== this.chain.activeAtHeight(fork)) fork--
    const windowEnd = Math.min(best.height, fork + this.#window)
    for (const s of this.#peers.values()) {
      const room = this.#maxInFlight - s.inFlight.size
      if (room <= 0 || !s.bestKnown) continue
      const want: HeaderEntry[] = []
      let blockedByOther: InFlight | undefined
      // Walk the window; take the part of the best chain the peer has.
      const limit = Math.min(windowEnd, s.bestKnown.height)
      for (let h = fork + 1; h <= limit && want.length < room; h++) {
        const e = this.chain.atHeight(h)!
        if (e.haveData || this.#receiving.has(e.key)) continue
        const f = this.#inFlight.get(e.key)
        if (f) {
          if (!blockedByOther && f.peer !== s) blockedByOther = f
          continue
        }
        if (this.chain.ancestor(s.bestKnown, h) !== e) break
        want.push(e)
      }
      if (want.length > 0) {
        for (const e of want) {
          const f: InFlight = { entry: e, peer: s, requestedAt: now }
          s.inFlight.set(e.key, f)
          this.#inFlight.set(e.key, f)
        }
        s.peer.send({
          command: 'getdata',
          inventory: want.map((e) => ({ type: InvType.WITNESS_BLOCK, hash: e.hash })),
        })
      } else if (room > 0 && blockedByOther && windowEnd < best.height && s.bestKnown.height > windowEnd) {
        // This peer could help but the window is full: whoever holds its
        // first block is stalling us (Core's staller detection).
        const staller = this.#lowestInFlight()
        if (staller && staller.peer !== s && staller.peer.stallingSince === 0)
          staller.peer.stallingSince = now
      }
    }
  }

  /**
   * Core `HeadersDirectFetchBlocks`: when our tip is recent and a peer's
   * headers lead to a chain with at least as much work as ours (an equal-work
   * sibling included), ask that peer at once for the blocks we lack to switch
   * to it, earliest first, up to its in-flight limit. A branch that forks
   * further back than that is left to the parallel download.
   */
  #directFetch(s: PeerState, last: HeaderEntry): void {
    const tip = this.chain.tip
    if (tip.time <= this.#now() / 1000 - DIRECT_FETCH_SPACINGS * this.network.powTargetSpacing) return
    if (last.chainWork < tip.chainWork) return
    const toFetch: HeaderEntry[] = []
    let walk: HeaderEntry | undefined = last
    while (walk && !this.chain.onActiveChain(walk) && toFetch.length <= this.#maxInFlight) {
      if (!walk.haveData && !this.#inFlight.has(walk.key) && !this.#receiving.has(walk.key))
        toFetch.push(walk)
      walk = walk.prev
    }
    if (!walk || !this.chain.onActiveChain(walk)) return
    const now = this.#now()
    const want: HeaderEntry[] = []
    for (const e of toFetch.reverse()) {
      if (s.inFlight.size >= this.#maxInFlight) break
      const f: InFlight = { entry: e, peer: s, requestedAt: now }
      s.inFlight.set(e.key, f)
      this.#inFlight.set(e.key, f)
      want.push(e)
    }
    if (want.length > 0) {
      s.peer.send({
        command: 'getdata',
        inventory: want.map((e) => ({ type: InvType.WITNESS_BLOCK, hash: e.hash })),
      })
    }
  }

  #lowestInFlight(): InFlight | undefined {
    let low: InFlight | undefined
    for (const f of this.#inFlight.values()) if (!low || f.entry.height < low.entry.height) low = f
    return low
  }

  /**
   * A block from a peer, whole (`via` block, with the bytes it came in) or
   * rebuilt from a compact block. Its header is hashed here, once; the
   * checks, the header tree, the store and relay use that hash and those bytes.
   */
  #onBlock(s: PeerState, block: Block, raw: Uint8Array | undefined, via: 'block' | 'cmpctblock'): void {
    const pushed = via === 'cmpctblock'
    const hash = blockHash(block.header)
    const key = toHex(hash)
    s.peer.addInventory(InvType.BLOCK, hash)
    const f = this.#inFlight.get(key)
    // A compact block a high-bandwidth peer pushed counts as asked for (BIP152).
    const requested = f?.peer === s || pushed
    if (f) {
      f.peer.inFlight.delete(key)
      this.#inFlight.delete(key)
    }
    if (requested) {
      s.stallingSince = 0
      // A delivered block lets the stall timeout decay back towards its default (Core).
      this.#stallTimeout = Math.max(this.#stallDefault, Math.floor(this.#stallTimeout * 0.85))
    }
    let entry = this.#known(hash)
    if (!entry) {
      // An unrequested block whose header we lack: take its header if it connects.
      try {
        entry = this.chain.addHeaders([block.header], [hash]).last
        if (entry) this.#persistHeaders([entry])
      } catch (err) {
        if (err instanceof ValidationError && err.code === 'ORPHAN_HEADER' && !pushed) {
          // A whole block whose parent we do not know: Core's AcceptBlockHeader
          // fails it with BLOCK_MISSING_PREV, which MaybePunishNodeForBlock
          // punishes (a compact block asks for headers instead).
          s.peer.misbehaving(
            new ValidationError('MISSING_PREV', 'prev-blk-not-found', 'A block whose parent we do not know.'),
          )
        } else if (isProtocolError(err) && err.severity !== 'ignore') s.peer.misbehaving(err)
        return
      }
    }
    if (!entry || entry.haveData || this.#receiving.has(key)) {
      if (entry?.haveData) this.#events.emit('peer:block', { peerId: s.peer.id, entry, isNew: false, via })
      this.#schedule()
      return
    }
    if (!requested) {
      // Core AcceptBlock: an unrequested block is processed only if it has at
      // least as much work as our tip (a candidate for it) and is not more
      // than MIN_BLOCKS_TO_KEEP (288) blocks above our tip.
      const tip = this.chain.tip
      const why =
        entry.chainWork < tip.chainWork
          ? 'less work than our tip'
          : entry.height > tip.height + MIN_BLOCKS_TO_KEEP
            ? 'too far ahead of our tip'
            : undefined
      if (why) {
        this.#log.debug({ peer: s.peer.label, hash: hashToHex(hash), why }, 'Ignored an unrequested block.')
        return
      }
    }
    try {
      checkBlock(block, this.network, raw, hash)
      contextualCheckBlock(block, entry.height, this.network)
    } catch (err) {
      this.#log.warn(
        { err, peer: s.peer.label, hash: hashToHex(hash), height: entry.height },
        'Received an invalid block.',
      )
      if (isProtocolError(err) && err.severity === 'discourage') this.chain.invalidate(hash)
      // Core does not punish an invalid block that came as a compact block.
      if (isProtocolError(err) && err.severity !== 'ignore' && !pushed) s.peer.misbehaving(err)
      this.#schedule()
      return
    }
    this.#source.set(key, { peerId: s.peer.id, via })
    if (this.#source.size > 4 * MAX_BLOCKS_TO_ANNOUNCE * 16) {
      const first = this.#source.keys().next().value
      if (first !== undefined) this.#source.delete(first)
    }
    const e = entry
    // The bytes as received; a block rebuilt from a compact block has none.
    const bytes = raw ?? encodeBlock(block)
    this.#receiving.add(key)
    if (e.prev === this.chain.tip && !this.initialBlockDownload) {
      // A new block on our tip: relay it now, while it is written (Core
      // announces a new tip block before it is flushed to disk).
      this.#remember(key, bytes)
      this.#announce({ oldTip: this.chain.tip, newTip: e, disconnected: [], connected: [e] }, block)
      // The peer that gave us a new tip block first becomes one of our
      // (at most 3) high-bandwidth compact block peers (Core).
      this.#promoteHighBandwidth(s)
    }
    const p = this.#store
      .putBlock(hash, bytes, { height: e.height, txCount: block.txs.length })
      .then(() => {
        if (this.status !== 'started' && this.status !== 'stopping') return
        this.#stats.blocks++
        this.#stats.bytes += bytes.length
        s.lastBlockAt = this.#now()
        this.chain.markHaveData(hash)
        void this.chainstate?.activateBestChain()
        this.#events.emit('block', e, bytes.length)
        this.#events.emit('peer:block', { peerId: s.peer.id, entry: e, isNew: true, via })
        this.#schedule()
      })
      .catch((err: unknown) => {
        if (err instanceof ValidationError) {
          this.chain.invalidate(hash)
          s.peer.misbehaving(err)
        } else this.#storeFailed(`the block at height ${e.height}`, err)
      })
      .finally(() => {
        this.#receiving.delete(key)
        this.#pendingWrites.delete(p)
      })
    this.#pendingWrites.add(p)
    this.#schedule()
  }

  /**
   * The entry of a block that arrives, unless it is marked failed: a failed
   * block then goes through addHeaders, which refuses it as Core refuses a
   * block whose header is known invalid (bad-prevblk).
   */
  #known(hash: Hash): HeaderEntry | undefined {
    const e = this.chain.get(hash)
    return e && !this.chain.failed(e) ? e : undefined
  }

  /** BIP152: a compact block, pushed (high-bandwidth) or answering our getdata. */
  #onCmpctBlock(s: PeerState, m: MessageOf<'cmpctblock'>): void {
    const hash = blockHash(m.header)
    const key = toHex(hash)
    s.peer.addInventory(InvType.BLOCK, hash)
    let entry = this.#known(hash)
    if (entry?.haveData || this.#receiving.has(key)) return
    if (!entry) {
      try {
        const r = this.chain.addHeaders([m.header])
        entry = r.last
        this.#persistHeaders(r.added)
      } catch (err) {
        if (err instanceof ValidationError && err.code === 'ORPHAN_HEADER') {
          this.#requestHeaders(s, this.chain.bestHeader)
          return
        }
        if (isProtocolError(err) && err.severity !== 'ignore') s.peer.misbehaving(err)
        return
      }
    }
    if (!entry) return
    if (!s.bestKnown || entry.chainWork > s.bestKnown.chainWork) s.bestKnown = entry
    const r = reconstructBlock(m)
    if ('block' in r) {
      this.#onBlock(s, r.block, undefined, 'cmpctblock')
      return
    }
    // We keep no mempool to fill it from: fetch the whole block from this peer.
    if (this.#inFlight.has(key)) return
    const f: InFlight = { entry, peer: s, requestedAt: this.#now() }
    s.inFlight.set(key, f)
    this.#inFlight.set(key, f)
    s.peer.send({ command: 'getdata', inventory: [{ type: InvType.WITNESS_BLOCK, hash }] })
  }

  /** Keep the (at most 3) peers that last gave us new blocks first in high-bandwidth mode (Core). */
  #promoteHighBandwidth(s: PeerState): void {
    if (!s.peer.compactBlocks || !s.peer.setCompactHighBandwidth) return
    const i = this.#highBandwidth.indexOf(s)
    if (i === 0) return
    if (i > 0) this.#highBandwidth.splice(i, 1)
    else s.peer.setCompactHighBandwidth(true)
    this.#highBandwidth.unshift(s)
    while (this.#highBandwidth.length > MAX_HIGH_BANDWIDTH_PEERS) {
      const dropped = this.#highBandwidth.pop()!
      if (this.#peers.has(dropped.peer.id)) dropped.peer.setCompactHighBandwidth?.(false)
    }
  }

  #remember(key: string, bytes: Uint8Array): void {
    this.#recent.set(key, bytes)
    while (this.#recent.size > MAX_BLOCKS_TO_ANNOUNCE) {
      const oldest = this.#recent.keys().next().value
      if (oldest === undefined) break
      this.#recent.delete(oldest)
    }
  }

  #onNotFound(s: PeerState, msg: MessageOf<'notfound'>): void {
    for (const item of msg.inventory) {
      const key = toHex(item.hash)
      const f = s.inFlight.get(key)
      if (!f) continue
      s.inFlight.delete(key)
      this.#inFlight.delete(key)
    }
    this.#schedule()
  }

  /** The newest tip waiting to be written; older ones are skipped. */
  #tipToWrite: HeaderEntry | undefined
  #tipWriting = false

  /**
   * Write the tip marker, one write at a time: a tip that moves while a
   * write is in flight is written once after it (only the newest counts),
   * so a fast sync or a restart never queues one fsync'ed write per block.
   */
  #writeTip(tip: HeaderEntry): void {
    this.#tipToWrite = tip
    if (this.#tipWriting) return
    this.#tipWriting = true
    const p = (async () => {
      for (let t = this.#tipToWrite; t; t = this.#tipToWrite) {
        this.#tipToWrite = undefined
        await this.#store
          .setTip(t.hash, t.height)
          .catch((err: unknown) => this.#storeFailed(`the chain tip (height ${t.height})`, err))
        if (this.#fatal) return
      }
    })().finally(() => {
      this.#tipWriting = false
      this.#pendingWrites.delete(p)
    })
    this.#tipWrite = p
    this.#pendingWrites.add(p)
  }

  // --- relay ---------------------------------------------------------------

  #onTipChanged(c: TipChange): void {
    const tip = c.newTip
    this.#writeTip(tip)
    if (c.disconnected.length > 0) {
      this.#log.info(
        { height: tip.height, disconnected: c.disconnected.length, connected: c.connected.length },
        'Reorganised the chain.',
      )
    }
    this.#events.emit('tip', c)
    if (this.initialBlockDownload) return
    this.#announce(c)
  }

  /** Announce new blocks to every peer that does not have them, never back to the source. */
  #announce(c: TipChange, block?: Block): void {
    const tip = c.newTip
    const source = this.#source.get(tip.key)?.peerId
    let compact: MessageOf<'cmpctblock'> | undefined
    for (const s of this.#peers.values()) {
      if (s.peer.id === source) continue
      if (s.peer.hasInventory(InvType.BLOCK, tip.hash)) continue
      if (block && c.connected.length === 1 && s.peer.compactHighBandwidth) {
        // BIP152 high-bandwidth: push the compact block itself.
        compact ??= makeCompactBlock(block, randomNonce())
        s.peer.addInventory(InvType.BLOCK, tip.hash)
        s.peer.send(compact)
        continue
      }
      // Before the block is on our chain only high-bandwidth peers hear of it
      // (Core NewPoWValidBlock); headers and inv wait for the tip to move
      // (Core UpdatedBlockTip), so a peer that asks for the headers gets them.
      if (block) continue
      if (s.peer.prefersHeaders && c.connected.length <= MAX_BLOCKS_TO_ANNOUNCE) {
        // Headers from the first new block the peer does not know.
        const fresh = c.connected.filter((e) => !s.peer.hasInventory(InvType.BLOCK, e.hash))
        const first = fresh[0]
        if (
          first &&
          (first.prev === undefined ||
            first.height === 0 ||
            s.peer.hasInventory(InvType.BLOCK, first.prev!.hash) ||
            first.prev === this.chain.genesis ||
            this.#peerHasAncestor(s, first.prev!))
        ) {
          for (const e of fresh) s.peer.addInventory(InvType.BLOCK, e.hash)
          s.peer.send({ command: 'headers', headers: fresh.map((e) => e.header) })
          continue
        }
      }
      s.peer.addInventory(InvType.BLOCK, tip.hash)
      s.peer.send({ command: 'inv', inventory: [{ type: InvType.BLOCK, hash: tip.hash }] })
    }
  }

  #peerHasAncestor(s: PeerState, e: HeaderEntry): boolean {
    return !!s.bestKnown && this.chain.ancestor(s.bestKnown, e.height) === e
  }

  // --- timers ---------------------------------------------------------------

  #onTick(): void {
    const now = this.#now()
    const others = Math.max(0, [...this.#peers.values()].filter((p) => p.inFlight.size > 0).length - 1)
    const blockTimeout =
      this.#blockTimeout * (BLOCK_DOWNLOAD_TIMEOUT_BASE + BLOCK_DOWNLOAD_TIMEOUT_PER_PEER * others)
    for (const s of [...this.#peers.values()]) {
      if (s.stallingSince > 0 && now - s.stallingSince > this.#stallTimeout) {
        this.#log.info(
          { peer: s.peer.label, timeoutMs: this.#stallTimeout },
          'Peer is stalling the block download; disconnecting.',
        )
        // Core doubles the timeout after each stall disconnect, up to 64 s.
        this.#stallTimeout = Math.min(BLOCK_STALLING_TIMEOUT_MAX, this.#stallTimeout * 2)
        this.#drop(s, 'stalling block download')
        continue
      }
      const first = s.inFlight.values().next().value
      if (first && now - first.requestedAt > blockTimeout) {
        this.#log.info(
          { peer: s.peer.label, height: first.entry.height },
          'Block download timed out; disconnecting.',
        )
        this.#drop(s, 'block download timeout')
        continue
      }
      if (s.headersRequestedAt > 0) {
        const limit = HEADERS_DOWNLOAD_TIMEOUT_BASE + HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER * s.headersExpected
        if (now - s.headersRequestedAt > limit) {
          this.#log.info({ peer: s.peer.label }, 'Headers request timed out; disconnecting.')
          this.#drop(s, 'headers timeout')
        }
      }
    }
    this.#schedule()
  }

  /**
   * The header tree evicted a least-work side branch to stay within its cap:
   * forget it here, and drop the peers that fed it (after the message being
   * handled, and only if they have given us nothing on the best chain since).
   */
  #onEvicted(entries: readonly HeaderEntry[]): void {
    const gone = new Set(entries)
    for (const e of entries) {
      const id = this.#fedBy.get(e.key)
      if (id !== undefined) {
        this.#fedBy.delete(e.key)
        this.#evictedFeeders.add(id)
      }
      const f = this.#inFlight.get(e.key)
      if (f) {
        f.peer.inFlight.delete(e.key)
        this.#inFlight.delete(e.key)
      }
    }
    for (const s of this.#peers.values()) {
      let b = s.bestKnown
      while (b && gone.has(b)) b = b.prev
      s.bestKnown = b
    }
    this.#log.info(
      {
        headers: entries.length,
        height: entries[0]!.height,
        forkHeight: entries[0]!.height - entries.length,
      },
      'Evicted a least-work side branch of headers to stay within the memory limit.',
    )
    if (this.#evictedFeeders.size > 0) queueMicrotask(() => this.#dropEvictedFeeders())
  }

  #dropEvictedFeeders(): void {
    for (const id of this.#evictedFeeders) {
      const s = this.#peers.get(id)
      if (!s || (s.bestKnown && this.chain.onBestChain(s.bestKnown) && s.bestKnown.height > 0)) continue
      this.#log.info({ peer: s.peer.label }, 'Disconnecting a peer whose side branch of headers was evicted.')
      this.#drop(s, 'its side branch of headers was evicted for having the least work')
    }
    this.#evictedFeeders.clear()
  }

  #drop(s: PeerState, reason: string): void {
    this.removePeer(s.peer)
    s.peer.disconnect(reason)
  }

  #logProgress(): void {
    const now = this.#now()
    const tip = this.chain.tip
    const best = this.chain.bestHeader
    const st = this.#stats
    const dt = st.lastAt ? (now - st.lastAt) / 1000 : 0
    const rate = dt > 0 ? (st.blocks - st.lastBlocks) / dt : 0
    const mbps = dt > 0 ? (st.bytes - st.lastBytes) / 1e6 / dt : 0
    st.lastBlocks = st.blocks
    st.lastBytes = st.bytes
    st.lastAt = now
    if (tip === best && rate === 0) return
    const percent = best.height > 0 ? (100 * tip.height) / best.height : 100
    const etaSeconds = rate > 0 ? Math.round((best.height - tip.height) / rate) : null
    const peers = [...this.#peers.values()].filter((p) => p.inFlight.size > 0).length
    this.#log.info(
      {
        height: tip.height,
        bestHeader: best.height,
        percent: Number(percent.toFixed(2)),
        blocksPerSecond: Number(rate.toFixed(1)),
        mbPerSecond: Number(mbps.toFixed(2)),
        etaSeconds,
        peers,
        inFlight: this.#inFlight.size,
      },
      `Syncing: height ${tip.height}/${best.height} (${percent.toFixed(1)}%), ${rate.toFixed(1)} blocks/s, ${mbps.toFixed(2)} MB/s, ${peers} peers.`,
    )
  }

  /**
   * A block failed validation when it was connected (Core
   * MaybePunishNodeForBlock): the peer that sent it is punished, unless it
   * came as a compact block (relayed before validation, as BIP152 allows).
   */
  #onInvalidBlock(e: HeaderEntry, err: BlockConsensusError): void {
    this.#failures.set(e.key, err)
    if (this.#failures.size > MAX_BLOCKS_TO_ANNOUNCE) {
      const first = this.#failures.keys().next().value
      if (first !== undefined) this.#failures.delete(first)
    }
    const src = this.#source.get(e.key)
    if (!src) return
    const s = this.#peers.get(src.peerId)
    if (s && src.via === 'block') s.peer.misbehaving(err)
  }

  /** Submit a block made or received outside the P2P path (RPC submitblock, the regtest miner). */
  async submitBlock(block: Block): Promise<HeaderEntry> {
    if (this.#fatal) throw this.#fatal
    const hash = blockHash(block.header)
    let entry = this.chain.get(hash)
    if (!entry) {
      const r = this.chain.addHeaders([block.header])
      entry = r.last
      if (!entry) throw new ValidationError('BAD_BLOCK', 'unknown', 'The block could not be added.')
      this.#persistHeaders([entry])
    }
    if (entry.haveData) return entry
    checkBlock(block, this.network)
    contextualCheckBlock(block, entry.height, this.network)
    const bytes = encodeBlock(block)
    if (entry.prev === this.chain.tip && !this.initialBlockDownload) {
      // Relay while the block is written, as for blocks from peers.
      this.#remember(entry.key, bytes)
      this.#announce({ oldTip: this.chain.tip, newTip: entry, disconnected: [], connected: [entry] }, block)
    }
    try {
      await this.#store.putBlock(hash, bytes, { height: entry.height, txCount: block.txs.length })
    } catch (err) {
      this.#storeFailed(`the block at height ${entry.height}`, err)
      throw this.#fatal ?? err
    }
    this.#stats.blocks++
    this.#stats.bytes += bytes.length
    this.chain.markHaveData(hash)
    this.#events.emit('block', entry, bytes.length)
    if (this.chainstate) {
      // Core submitblock: the block is connected (or found invalid) before the answer.
      await this.chainstate.activateBestChain()
      if (this.chainstate.fatalError) throw this.chainstate.fatalError
      const failure = this.#failures.get(entry.key)
      if (failure) throw failure
    }
    // The new tip is written before the block counts as made (generatetoaddress).
    await this.#tipWrite
    if (this.#fatal) throw this.#fatal
    return entry
  }
}
