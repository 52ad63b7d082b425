/**
 * The header tree: every valid header we know, with its height and total
 * work; the best header chain (most work), the block chain (the most-work
 * chain whose blocks we all have), and reorganisations of both.
 *
 * Headers are checked as Core checks them (ContextualCheckBlockHeader):
 * proof of work, the expected difficulty, median time past, a 2-hour future
 * limit, BIP94's time-warp rule, version floors once BIP34/66/65 are active,
 * and the historical checkpoints. Memory is bounded: headers that are not on
 * the best chain are capped (`maxSideHeaders`), and the hashes of invalid
 * headers are remembered in a bounded set.
 *
 * The cap never keeps us on a weaker chain. A headers message is judged by
 * the work its chain would have once all of it is in (Core's
 * CalculateClaimedHeadersWork in TryLowWorkHeadersSync, net_processing.cpp):
 * when the cap is reached, the least-work side branches are evicted to make
 * room for a branch with more work than they have, or with more work than
 * our tip; a branch with more work than our best header is never refused.
 * Only a branch with no more work than every held side branch and than our
 * tip is refused. Evicted branches are reported (`onEvicted`) so that the
 * peers that fed them can be disconnected.
 *
 * The block tip ("active" chain) and its candidates: the entries whose
 * blocks and all their ancestors' blocks we have and that are not known
 * invalid are kept as a set of data tips (Core's setBlockIndexCandidates in
 * validation.cpp); `bestCandidate()` is the most-work one, first seen on a
 * tie (Core FindMostWorkChain, CBlockIndexWorkComparator). By default
 * (`autoActivate`) the tip follows it as blocks are stored. A full-validation
 * chainstate turns that off: it connects blocks against the UTXO set and
 * moves the tip itself with `setTip()` (Core ActivateBestChainStep).
 *
 * A block that fails validation is marked, not deleted (Core chain.h
 * BLOCK_FAILED_VALID, its descendants BLOCK_FAILED_CHILD; InvalidateBlock
 * and InvalidBlockFound in validation.cpp): it leaves the candidates and the
 * best header chain, new headers on it are refused, and `reconsider()`
 * clears the flags again (Core ResetBlockFailureFlags). Failed branches are
 * side branches like any other and the first to be evicted under the cap;
 * an evicted failed hash is remembered in the bounded invalid set.
 *
 * Over 600 lines, for a reason: the header tree, its two chains (best header,
 * blocks), the candidates and the side-branch bound share one index.
 */
import {
  type BlockHeader,
  blockHash,
  decodeHeader,
  encodeHeader,
  type Hash,
  hashToHex,
  hexToHash,
  type NetworkParams,
  toHex,
} from '@node/wire'
import {
  BadDifficultyError,
  BadProofOfWorkError,
  BadVersionError,
  CheckpointMismatchError,
  HeaderLimitError,
  InvalidAncestorError,
  InvalidTipError,
  NonContinuousHeadersError,
  OrphanHeaderError,
  TimeTooNewError,
  TimeTooOldError,
  TimewarpError,
  ValidationError,
} from './errors.ts'
import {
  blockProof,
  checkProofOfWork,
  medianTimePast,
  nextWorkRequired,
  type PowEntry,
  retargetInterval,
} from './pow.ts'

/** Bytes per header entry (80-byte header and 32-byte hash) and entries per slab (64 KiB). */
const ENTRY_BYTES = 112
const ENTRIES_PER_SLAB = 585
/** Core MAX_FUTURE_BLOCK_TIME: 2 hours. */
export const MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60
/** Core MAX_TIMEWARP (BIP94): 600 s. */
export const MAX_TIMEWARP = 600
/** Core STALE_RELAY_AGE_LIMIT: blocks off our chain older than this (next to the best header) are not served (BlockRequestAllowed). */
export const STALE_RELAY_AGE_LIMIT_SECONDS = 30 * 24 * 60 * 60
/** Headers held off the best chain before new side branches are refused. */
export const DEFAULT_MAX_SIDE_HEADERS = 20_000
/** Core BLOCK_FAILED_VALID (chain.h): the block itself failed validation. */
export const BLOCK_FAILED_VALID = 32
/** Core BLOCK_FAILED_CHILD (chain.h): the block descends from a failed block. */
export const BLOCK_FAILED_CHILD = 64
/** Invalid header hashes remembered (oldest forgotten first). */
const MAX_INVALID_REMEMBERED = 10_000

/**
 * One header of the tree. Kept compact, since a mainnet node holds about a
 * million: the 80-byte header and its 32-byte hash share one small buffer
 * (decoded headers would each keep two views and an object, and pin the
 * whole `headers` message they came in), and `header`/`hash` are views made
 * on access.
 */
export class HeaderEntry implements PowEntry {
  /** Header bytes [0, 80) and hash [80, 112). */
  readonly #raw: Uint8Array
  /** Hex of the hash in wire order: the index key. */
  readonly key: string
  readonly height: number
  readonly time: number
  readonly bits: number
  readonly chainWork: bigint
  readonly prev: HeaderEntry | undefined
  /** Arrival order, to break ties between equal work as Core does (first seen wins). */
  readonly sequence: number
  /** True once this block's data is stored. */
  haveData = false
  /** True once this block and all its ancestors have data. */
  chainHasData = false
  /** 0, or Core's failure bits: BLOCK_FAILED_VALID, BLOCK_FAILED_CHILD. */
  failure = 0
  /** True once the block was connected (Core BLOCK_VALID_SCRIPTS): its every rule held. */
  validated = false

  /** `raw`: 112 bytes for this entry from its chain's slab allocator. */
  constructor(
    raw: Uint8Array,
    header: BlockHeader,
    hash: Hash,
    height: number,
    chainWork: bigint,
    prev: HeaderEntry | undefined,
    sequence: number,
  ) {
    raw.set(encodeHeader(header), 0)
    raw.set(hash, 80)
    this.#raw = raw
    this.key = toHex(hash)
    this.height = height
    this.time = header.time
    this.bits = header.bits
    this.chainWork = chainWork
    this.prev = prev
    this.sequence = sequence
  }

  /** Block hash, wire order. */
  get hash(): Hash {
    return this.#raw.subarray(80, 112)
  }

  /** The 80-byte serialized header. */
  get header80(): Uint8Array {
    return this.#raw.subarray(0, 80)
  }

  get header(): BlockHeader {
    return decodeHeader(this.#raw.subarray(0, 80))
  }
}

export interface TipChange {
  readonly oldTip: HeaderEntry
  readonly newTip: HeaderEntry
  /** Entries removed from the chain, newest first (empty unless a reorganisation). */
  readonly disconnected: readonly HeaderEntry[]
  /** Entries added to the chain, oldest first. */
  readonly connected: readonly HeaderEntry[]
}

export interface HeaderChainInit {
  network: NetworkParams
  /** Seconds since the epoch. */
  now?: (() => number) | undefined
  maxSideHeaders?: number | undefined
  /** Called when the best header chain moves. */
  onBestHeaderChanged?: ((change: TipChange) => void) | undefined
  /** Called when the chain of blocks we have moves (new block, or a reorganisation). */
  onTipChanged?: ((change: TipChange) => void) | undefined
  /**
   * True (the default): the block tip moves by itself to the most-work chain
   * whose blocks we have (`markHaveData`, `invalidate`, `reconsider`,
   * `loadTrusted`). False: only `setTip()` moves it, for a chainstate that
   * connects blocks before they become the tip.
   */
  autoActivate?: boolean | undefined
  /**
   * Called when a side branch is evicted to make room under `maxSideHeaders`,
   * with its entries (tip first). They are no longer in the tree.
   */
  onEvicted?: ((entries: readonly HeaderEntry[]) => void) | undefined
}

interface ClaimedWork {
  upper(): bigint
  verified(): bigint
}

export interface AddHeadersResult {
  /** Headers that were new to us, in order. */
  readonly added: readonly HeaderEntry[]
  /** The entry of the last header of the message (new or already known). */
  readonly last: HeaderEntry | undefined
}

export class HeaderChain {
  readonly network: NetworkParams
  readonly #now: () => number
  readonly #maxSide: number
  readonly #onBest: ((c: TipChange) => void) | undefined
  readonly #onTip: ((c: TipChange) => void) | undefined
  readonly #onEvicted: ((entries: readonly HeaderEntry[]) => void) | undefined
  readonly #autoActivate: boolean
  /**
   * Data tips: entries with chainHasData, not failed, with no child that is
   * both (Core's setBlockIndexCandidates, less the entries with a better
   * descendant, which can never be the most-work one). One per branch whose
   * blocks we have: few.
   */
  readonly #candidates = new Set<HeaderEntry>()
  /** The best of #candidates, or undefined when it must be found again. */
  #bestCandidateCache: HeaderEntry | undefined
  /** Entries without children: the tips of every branch (few; scanned to pick what to evict). */
  readonly #leaves = new Set<HeaderEntry>()
  readonly #index = new Map<string, HeaderEntry>()
  readonly #children = new Map<string, HeaderEntry[]>()
  readonly #invalid = new Set<string>()
  /** The best header chain by height. */
  #best: HeaderEntry[] = []
  /** The chain of blocks we have, by height. */
  #active: HeaderEntry[] = []
  #sequence = 0
  // Entry bytes come from slabs of this chain: a view per entry, not an
  // ArrayBuffer per entry (each costs far more than its 112 bytes). Slabs are
  // never reused; their bytes live as long as any of their entries.
  #slab = new Uint8Array(0)
  #slabOffset = 0
  readonly #checkpoints: Map<number, string>
  readonly #lastCheckpoint: number
  readonly #interval: number

  constructor(init: HeaderChainInit) {
    this.network = init.network
    this.#now = init.now ?? (() => Math.floor(Date.now() / 1000))
    this.#maxSide = init.maxSideHeaders ?? DEFAULT_MAX_SIDE_HEADERS
    this.#onBest = init.onBestHeaderChanged
    this.#onTip = init.onTipChanged
    this.#onEvicted = init.onEvicted
    this.#autoActivate = init.autoActivate ?? true
    this.#checkpoints = new Map(init.network.checkpoints.map((c) => [c.height, toHex(hexToHash(c.hash))]))
    this.#lastCheckpoint = Math.max(-1, ...init.network.checkpoints.map((c) => c.height))
    this.#interval = retargetInterval(init.network)
    const g = init.network.genesis.header
    const genesis = new HeaderEntry(
      this.#alloc(),
      g,
      init.network.genesisHash,
      0,
      blockProof(g.bits),
      undefined,
      this.#sequence++,
    )
    genesis.haveData = true
    genesis.chainHasData = true
    this.#index.set(genesis.key, genesis)
    this.#leaves.add(genesis)
    this.#candidates.add(genesis)
    this.#best = [genesis]
    this.#active = [genesis]
  }

  #alloc(): Uint8Array {
    if (this.#slabOffset + ENTRY_BYTES > this.#slab.length) {
      this.#slab = new Uint8Array(ENTRY_BYTES * ENTRIES_PER_SLAB)
      this.#slabOffset = 0
    }
    const out = this.#slab.subarray(this.#slabOffset, this.#slabOffset + ENTRY_BYTES)
    this.#slabOffset += ENTRY_BYTES
    return out
  }

  get genesis(): HeaderEntry {
    return this.#best[0]!
  }

  /** The tip of the most-work header chain. */
  get bestHeader(): HeaderEntry {
    return this.#best[this.#best.length - 1]!
  }

  /** The tip of the chain of blocks we have. */
  get tip(): HeaderEntry {
    return this.#active[this.#active.length - 1]!
  }

  get size(): number {
    return this.#index.size
  }

  /** Headers held that are not on the best header chain. */
  get sideHeaders(): number {
    return this.#index.size - this.#best.length
  }

  get(hash: Hash): HeaderEntry | undefined {
    return this.#index.get(toHex(hash))
  }

  has(hash: Hash): boolean {
    return this.#index.has(toHex(hash))
  }

  /** True for a header we refused, or an entry marked failed (`invalidate`). */
  isInvalid(hash: Hash): boolean {
    const key = toHex(hash)
    const e = this.#index.get(key)
    return e ? e.failure !== 0 : this.#invalid.has(key)
  }

  /** True if the entry is marked failed (BLOCK_FAILED_VALID or BLOCK_FAILED_CHILD). */
  failed(e: HeaderEntry): boolean {
    return e.failure !== 0
  }

  /** The best-header-chain entry at `height`. */
  atHeight(height: number): HeaderEntry | undefined {
    return this.#best[height]
  }

  /** The block-chain (data) entry at `height`. */
  activeAtHeight(height: number): HeaderEntry | undefined {
    return this.#active[height]
  }

  /** True if `e` is on the best header chain. */
  onBestChain(e: HeaderEntry): boolean {
    return this.#best[e.height] === e
  }

  /** True if `e` is on the chain of blocks we have. */
  onActiveChain(e: HeaderEntry): boolean {
    return this.#active[e.height] === e
  }

  /** The ancestor of `e` at `height`, in O(1) when `e` is on the best chain. */
  ancestor(e: HeaderEntry, height: number): HeaderEntry | undefined {
    if (height > e.height || height < 0) return undefined
    const onBest = this.#best[e.height] === e
    if (onBest) return this.#best[height]
    let cur: HeaderEntry | undefined = e
    while (cur && cur.height > height) {
      // Jump onto the best chain as soon as the branch joins it.
      if (this.#best[cur.height] === cur) return this.#best[height]
      cur = cur.prev
    }
    return cur
  }

  /**
   * Check and add headers from one message, which must form a chain. Throws
   * a ValidationError at the first bad header (the headers before it stay).
   * `hashes`, when the caller has them, are the headers' hashes (a block's
   * header is hashed once on its way in).
   */
  addHeaders(headers: readonly BlockHeader[], hashes?: readonly Hash[]): AddHeadersResult {
    const added: HeaderEntry[] = []
    let last: HeaderEntry | undefined
    let prevHash: Hash | undefined
    const bestBefore = this.bestHeader
    const claimed = this.#claimedWork(headers)
    try {
      for (const [i, h] of headers.entries()) {
        if (prevHash && toHex(h.prevBlock) !== toHex(prevHash)) throw new NonContinuousHeadersError()
        const hash = hashes?.[i] ?? blockHash(h)
        prevHash = hash
        const known = this.#index.get(toHex(hash))
        if (known) {
          // Core AcceptBlockHeader: a known header marked failed is refused ("duplicate-invalid").
          if (known.failure !== 0) throw new InvalidAncestorError()
          last = known
          continue
        }
        const e = this.#accept(h, hash, claimed)
        added.push(e)
        last = e
      }
    } finally {
      if (this.#bestCandidateEntry) this.#updateBest(bestBefore)
    }
    return { added, last }
  }

  /**
   * The chain work at the end of a headers message if all of it connects
   * (Core CalculateClaimedHeadersWork), computed only when the side-branch
   * cap is reached. `upper` trusts the bits (cheap); `verified` counts only
   * headers whose hash meets their own target, so that claiming work costs
   * the work. Both 0 when the first header does not connect.
   */
  #claimedWork(headers: readonly BlockHeader[]): ClaimedWork {
    let upper: bigint | undefined
    let verified: bigint | undefined
    const start = (): bigint | undefined => {
      const first = headers[0]
      return first && this.#index.get(toHex(first.prevBlock))?.chainWork
    }
    return {
      upper: () => {
        if (upper === undefined) {
          upper = start() ?? 0n
          if (upper > 0n) for (const h of headers) upper += blockProof(h.bits)
        }
        return upper
      },
      verified: () => {
        if (verified === undefined) {
          verified = start() ?? 0n
          if (verified > 0n)
            for (const h of headers) {
              if (!checkProofOfWork(blockHash(h), h.bits, this.network)) break
              verified += blockProof(h.bits)
            }
        }
        return verified
      },
    }
  }

  /**
   * Make room for one more side header whose branch claims `claimed` work:
   * evict the least-work side branches (not `prev`'s), while the cap is
   * reached. Throws HeaderLimitError if the branch may not be admitted.
   */
  #makeRoom(prev: HeaderEntry, chainWork: bigint, claim: ClaimedWork): void {
    // Whether the branch would have more than `work`: first on the bits
    // alone, then (only if that says yes) checking the proof of work.
    const more = (work: bigint): boolean =>
      chainWork > work || (claim.upper() > work && claim.verified() > work)
    while (this.#index.size - this.#best.length >= this.#maxSide) {
      const victim = this.#leastWorkSideLeaf(prev)
      // A failed branch is worth nothing, whatever its work: it goes first.
      if (victim && (victim.failure !== 0 || more(victim.chainWork) || more(this.tip.chainWork))) {
        this.#evict(victim, prev)
        continue
      }
      // Nothing to evict: only a branch with more work than our best header
      // chain may go over the cap (an attacker must outdo our chain's work).
      if (more(this.bestHeader.chainWork)) return
      throw new HeaderLimitError(
        `Refusing a side-branch header: ${this.#maxSide} headers off the best chain are already held, and its branch has no more work than our tip or any of them.`,
      )
    }
  }

  /**
   * The side-branch tip to evict first, other than `keep`, never on the best
   * or block chain: a failed one if any, else the one with the least work
   * (ties: the most recent).
   */
  #leastWorkSideLeaf(keep: HeaderEntry): HeaderEntry | undefined {
    let out: HeaderEntry | undefined
    for (const l of this.#leaves) {
      if (l === keep || this.#best[l.height] === l || this.#active[l.height] === l) continue
      if (!out) {
        out = l
        continue
      }
      const lf = l.failure !== 0
      const of = out.failure !== 0
      if (lf !== of) {
        if (lf) out = l
        continue
      }
      if (l.chainWork < out.chainWork || (l.chainWork === out.chainWork && l.sequence > out.sequence)) out = l
    }
    return out
  }

  /**
   * Remove the branch ending at `leaf`, down to (not including) the first
   * entry that is on the best or block chain, has other children, or is `keep`.
   */
  #evict(leaf: HeaderEntry, keep: HeaderEntry | undefined): void {
    const gone: HeaderEntry[] = []
    let cur: HeaderEntry | undefined = leaf
    while (
      cur &&
      cur !== keep &&
      this.#best[cur.height] !== cur &&
      this.#active[cur.height] !== cur &&
      (cur === leaf || (this.#children.get(cur.key)?.length ?? 0) <= 1)
    ) {
      gone.push(cur)
      cur = cur.prev
    }
    for (const e of gone) {
      this.#index.delete(e.key)
      this.#children.delete(e.key)
      this.#dropCandidate(e)
      // A failed block stays known as invalid after its entry is gone.
      if (e.failure !== 0) this.#markInvalid(e.key)
    }
    this.#leaves.delete(leaf)
    const parent = cur
    const bottom = gone[gone.length - 1]
    if (parent && bottom) {
      const siblings = this.#children.get(parent.key)?.filter((x) => x !== bottom) ?? []
      if (siblings.length > 0) this.#children.set(parent.key, siblings)
      else {
        this.#children.delete(parent.key)
        this.#leaves.add(parent)
      }
      this.#refreshCandidate(parent)
    }
    if (gone.length > 0) this.#onEvicted?.(gone)
  }

  /** Check one header in context and add it; does not move the best chain (addHeaders does). */
  #accept(h: BlockHeader, hash: Hash, claimed: ClaimedWork): HeaderEntry {
    const key = toHex(hash)
    if (this.#invalid.has(key)) throw new InvalidAncestorError()
    const prevKey = toHex(h.prevBlock)
    const prev = this.#index.get(prevKey)
    if (!prev) {
      if (this.#invalid.has(prevKey)) {
        this.#markInvalid(key)
        throw new InvalidAncestorError()
      }
      throw new OrphanHeaderError()
    }
    // Core AcceptBlockHeader: a header on a failed block is refused
    // ("bad-prevblk"). Not remembered: `reconsider` may clear its parent.
    if (prev.failure !== 0) throw new InvalidAncestorError()
    try {
      this.#check(h, hash, prev)
    } catch (err) {
      if (err instanceof ValidationError && err.severity !== 'ignore') this.#markInvalid(key)
      throw err
    }
    const chainWork = prev.chainWork + blockProof(h.bits)
    const candidate = this.#bestCandidate
    const extendsBest = chainWork > candidate.chainWork
    if (!extendsBest && this.#index.size - this.#best.length >= this.#maxSide)
      this.#makeRoom(prev, chainWork, claimed)
    const e = new HeaderEntry(this.#alloc(), h, hash, prev.height + 1, chainWork, prev, this.#sequence++)
    this.#link(e, prev)
    if (extendsBest) this.#bestCandidate = e
    return e
  }

  #link(e: HeaderEntry, prev: HeaderEntry): void {
    this.#index.set(e.key, e)
    const siblings = this.#children.get(prev.key)
    if (siblings) siblings.push(e)
    else this.#children.set(prev.key, [e])
    this.#leaves.delete(prev)
    this.#leaves.add(e)
  }

  // The most-work header seen so far (the best chain is rebuilt from it after a message).
  #bestCandidateEntry: HeaderEntry | undefined
  get #bestCandidate(): HeaderEntry {
    return this.#bestCandidateEntry ?? this.bestHeader
  }
  set #bestCandidate(e: HeaderEntry) {
    this.#bestCandidateEntry = e
  }

  #check(h: BlockHeader, hash: Hash, prev: HeaderEntry): void {
    const p = this.network
    const height = prev.height + 1
    if (!checkProofOfWork(hash, h.bits, p)) {
      throw new BadProofOfWorkError(`The hash of the header at height ${height} does not meet its target.`)
    }
    const expected = nextWorkRequired(prev, h.time, p, (e, ht) => this.ancestor(e as HeaderEntry, ht))
    if (h.bits !== expected) {
      throw new BadDifficultyError(
        `Header at height ${height} has bits 0x${h.bits.toString(16)}, expected 0x${expected.toString(16)}.`,
      )
    }
    if (h.time <= medianTimePast(prev)) {
      throw new TimeTooOldError(
        `Header at height ${height} is not later than the median time of the last 11 blocks.`,
      )
    }
    if (p.enforceBIP94 && height % this.#interval === 0 && h.time < prev.time - MAX_TIMEWARP) {
      throw new TimewarpError(`Header at height ${height} is too early for a difficulty adjustment block.`)
    }
    if (h.time > this.#now() + MAX_FUTURE_BLOCK_TIME) {
      throw new TimeTooNewError(`Header at height ${height} is more than 2 hours in the future.`)
    }
    if (
      (h.version < 2 && height >= p.bip34Height) ||
      (h.version < 3 && height >= p.bip66Height) ||
      (h.version < 4 && height >= p.bip65Height)
    ) {
      throw new BadVersionError(h.version)
    }
    const cp = this.#checkpoints.get(height)
    if (cp !== undefined && cp !== toHex(hash)) throw new CheckpointMismatchError(height)
    // A fork below the last checkpoint we have passed is refused (Core's old
    // "bad-fork-prior-to-checkpoint").
    if (
      height <= this.#lastCheckpoint &&
      this.bestHeader.height >= this.#lastCheckpoint &&
      !this.onBestChain(prev)
    ) {
      throw new ValidationError(
        'FORK_BEFORE_CHECKPOINT',
        'bad-fork-prior-to-checkpoint',
        `A fork at height ${height} is below the last checkpoint.`,
      )
    }
  }

  #markInvalid(key: string): void {
    if (this.#invalid.size >= MAX_INVALID_REMEMBERED) {
      const oldest = this.#invalid.values().next().value
      if (oldest !== undefined) this.#invalid.delete(oldest)
    }
    this.#invalid.add(key)
  }

  /** Rebuild the best header chain after the most-work header changed. */
  #updateBest(oldTip: HeaderEntry): void {
    const newTip = this.#bestCandidate
    const { disconnected, connected } = this.#path(this.#best, newTip)
    this.#best.length = newTip.height + 1 - connected.length
    for (const e of connected) this.#best.push(e)
    this.#bestCandidateEntry = undefined
    this.#onBest?.({ oldTip, newTip, disconnected, connected })
  }

  /** Entries to drop from `chain` (newest first) and to add (oldest first) to reach `tip`. */
  #path(chain: HeaderEntry[], tip: HeaderEntry): { disconnected: HeaderEntry[]; connected: HeaderEntry[] } {
    const connected: HeaderEntry[] = []
    let cur: HeaderEntry | undefined = tip
    while (cur && chain[cur.height] !== cur) {
      connected.push(cur)
      cur = cur.prev
    }
    connected.reverse()
    const forkHeight = cur ? cur.height : -1
    const disconnected: HeaderEntry[] = []
    for (let h = chain.length - 1; h > forkHeight; h--) disconnected.push(chain[h]!)
    return { disconnected, connected }
  }

  /**
   * Record that a block's data is stored. When this completes chains of
   * blocks we have, their tips become candidates; with `autoActivate` the
   * block tip then moves to the best candidate if it has more work than the
   * tip (possibly a reorganisation), reported through `onTipChanged`.
   */
  markHaveData(hash: Hash): HeaderEntry | undefined {
    const e = this.#index.get(toHex(hash))
    if (!e || e.haveData) return e
    e.haveData = true
    if (!e.prev?.chainHasData) return e
    // Propagate chainHasData to descendants whose data we already have.
    const stack: HeaderEntry[] = [e]
    while (stack.length > 0) {
      const cur = stack.pop()!
      cur.chainHasData = true
      this.#refreshCandidate(cur)
      if (cur.prev) this.#refreshCandidate(cur.prev)
      for (const child of this.#children.get(cur.key) ?? []) if (child.haveData) stack.push(child)
    }
    if (this.#autoActivate) {
      const best = this.bestCandidate()
      if (best.chainWork > this.tip.chainWork) this.setTip(best)
    }
    return e
  }

  /**
   * The most-work entry whose blocks (and all its ancestors' blocks) we have
   * and that is not marked failed; the first seen on a tie (Core
   * FindMostWorkChain over setBlockIndexCandidates). Cheap: the best of a
   * small set kept up to date, found again only after it left the set.
   */
  bestCandidate(): HeaderEntry {
    let best = this.#bestCandidateCache
    if (!best) {
      for (const c of this.#candidates) if (!best || moreWork(c, best)) best = c
      // Genesis is never failed and always has data, so the set is never empty.
      this.#bestCandidateCache = best
    }
    return best!
  }

  /**
   * Move the block tip to `entry` (Core ActivateBestChainStep's chain
   * update, and the disconnects of InvalidateBlock): `entry` must be in the
   * tree, have its blocks and its ancestors' blocks, and not be marked
   * failed; that it is validated is the caller's business. Reports the
   * disconnected and connected entries through `onTipChanged`. Throws
   * InvalidTipError otherwise.
   */
  setTip(entry: HeaderEntry): void {
    if (this.#index.get(entry.key) !== entry)
      throw new InvalidTipError(`The block ${hashToHex(entry.hash)} is not in the header tree.`)
    if (!entry.chainHasData)
      throw new InvalidTipError(`The chain to block ${hashToHex(entry.hash)} lacks block data.`)
    if (entry.failure !== 0)
      throw new InvalidTipError(`The block ${hashToHex(entry.hash)} is marked invalid.`)
    const oldTip = this.tip
    if (entry === oldTip) return
    const { disconnected, connected } = this.#path(this.#active, entry)
    this.#active.length = entry.height + 1 - connected.length
    for (const c of connected) this.#active.push(c)
    this.#onTip?.({ oldTip, newTip: entry, disconnected, connected })
  }

  /**
   * Mark a block invalid (Core InvalidateBlock / InvalidBlockFound): the
   * entry gets BLOCK_FAILED_VALID and its descendants BLOCK_FAILED_CHILD;
   * they leave the candidates and the best header chain, which is found
   * again among the entries not failed. They stay in the tree (as a side
   * branch the cap may evict) until `reconsider`. With `autoActivate` a tip
   * on the failed branch moves back to the best candidate; without it the
   * caller must have moved the tip off the branch first (InvalidTipError).
   */
  invalidate(hash: Hash): void {
    const e = this.#index.get(toHex(hash))
    if (!e || e.height === 0) return
    if (!this.#autoActivate && this.#active[e.height] === e)
      throw new InvalidTipError(
        `The block ${hashToHex(e.hash)} is on the block chain: move the tip off it before invalidating it.`,
      )
    const bestBefore = this.bestHeader
    e.failure |= BLOCK_FAILED_VALID
    this.#dropCandidate(e)
    const stack = [...(this.#children.get(e.key) ?? [])]
    while (stack.length > 0) {
      const cur = stack.pop()!
      // The descendants of a failed entry are failed already.
      if (cur.failure !== 0) continue
      cur.failure = BLOCK_FAILED_CHILD
      this.#dropCandidate(cur)
      for (const c of this.#children.get(cur.key) ?? []) stack.push(c)
    }
    this.#refreshCandidate(e.prev!)
    if (this.#best[e.height] === e) {
      this.#bestCandidateEntry = this.#recalculateBestHeader()
      this.#updateBest(bestBefore)
    }
    if (this.#autoActivate && this.#active[e.height] === e) this.setTip(this.bestCandidate())
  }

  /**
   * Clear the failure marks of a block, its descendants and its ancestors
   * (Core ResetBlockFailureFlags, for `reconsiderblock`): they are
   * candidates again and the best header is found again. With
   * `autoActivate` the tip moves to the best candidate if it has more work.
   * A failed entry already evicted from the tree cannot be reconsidered.
   */
  reconsider(hash: Hash): void {
    const e = this.#index.get(toHex(hash))
    if (!e) return
    const bestBefore = this.bestHeader
    const cleared: HeaderEntry[] = []
    const stack = [e]
    while (stack.length > 0) {
      const cur = stack.pop()!
      if (cur.failure !== 0) {
        cur.failure = 0
        cleared.push(cur)
      }
      for (const c of this.#children.get(cur.key) ?? []) stack.push(c)
    }
    // Ancestors: failure is inherited, so the failed ones end at the first that is not.
    for (let a = e.prev; a && a.failure !== 0; a = a.prev) {
      a.failure = 0
      cleared.push(a)
    }
    let best = bestBefore
    for (const x of cleared) {
      this.#refreshCandidate(x)
      if (x.prev) this.#refreshCandidate(x.prev)
      if (moreWork(x, best)) best = x
    }
    if (best !== bestBefore) {
      this.#bestCandidateEntry = best
      this.#updateBest(bestBefore)
    }
    if (this.#autoActivate) {
      const tip = this.bestCandidate()
      if (tip.chainWork > this.tip.chainWork) this.setTip(tip)
    }
  }

  /**
   * The most-work entry not marked failed, first seen on a tie (Core
   * RecalculateBestHeader). It is a leaf, or the first entry not failed
   * below a failed leaf (failure is inherited), so only the leaves and the
   * failed entries are visited, each failed one once.
   */
  #recalculateBestHeader(): HeaderEntry {
    let best = this.genesis
    const seen = new Set<HeaderEntry>()
    for (const leaf of this.#leaves) {
      let x: HeaderEntry | undefined = leaf
      while (x && x.failure !== 0 && !seen.has(x)) {
        seen.add(x)
        x = x.prev
      }
      if (x && x.failure === 0 && moreWork(x, best)) best = x
    }
    return best
  }

  /** Put `x` in the candidates, or take it out, as it is a data tip or not. */
  #refreshCandidate(x: HeaderEntry): void {
    let tip = x.chainHasData && x.failure === 0
    if (tip)
      for (const c of this.#children.get(x.key) ?? [])
        if (c.chainHasData && c.failure === 0) {
          tip = false
          break
        }
    if (tip) {
      if (this.#candidates.has(x)) return
      this.#candidates.add(x)
      const best = this.#bestCandidateCache
      if (best && moreWork(x, best)) this.#bestCandidateCache = x
    } else this.#dropCandidate(x)
  }

  #dropCandidate(x: HeaderEntry): void {
    if (this.#candidates.delete(x) && this.#bestCandidateCache === x) this.#bestCandidateCache = undefined
  }

  private ancestorOf(e: HeaderEntry, height: number): HeaderEntry | undefined {
    let cur: HeaderEntry | undefined = e
    while (cur && cur.height > height) cur = cur.prev
    return cur
  }

  /**
   * A block locator from `from` (default: best header): the last 10 entries,
   * then exponentially sparser, ending with genesis (Core GetLocator).
   */
  locator(from: HeaderEntry = this.bestHeader): Hash[] {
    const out: Hash[] = []
    let step = 1
    let e: HeaderEntry | undefined = from
    while (e) {
      out.push(e.hash)
      if (e.height === 0) break
      const h = Math.max(0, e.height - step)
      e = this.ancestor(e, h)
      if (out.length > 10) step *= 2
    }
    return out
  }

  /** The most recent entry of `chain` named by the locator (Core FindForkInGlobalIndex). */
  findFork(locator: readonly Hash[], chain: 'best' | 'active' = 'active'): HeaderEntry {
    const c = chain === 'best' ? this.#best : this.#active
    for (const h of locator) {
      const e = this.#index.get(toHex(h))
      if (!e) continue
      if (c[e.height] === e) return e
      // Core: a locator entry on a fork still tells us the fork point.
      const a = this.ancestorOf(e, Math.min(e.height, c.length - 1))
      let cur = a
      while (cur && c[cur.height] !== cur) cur = cur.prev
      if (cur) return cur
    }
    return c[0]!
  }

  /**
   * Headers to answer `getheaders` (Core `ProcessGetHeaders`): after the
   * fork point of the locator with our chain of blocks (the active chain,
   * not the best header chain: Core serves headers of blocks it has), up to
   * `stop` or `max` (2,000). An empty locator asks for the single block named
   * by `stop`, served only when Core's BlockRequestAllowed would serve it;
   * `undefined` then means "answer nothing".
   */
  headersAfter(locator: readonly Hash[], stop: Hash, max = 2000): HeaderEntry[] | undefined {
    if (locator.length === 0) {
      const e = this.#index.get(toHex(stop))
      return e && this.blockRequestAllowed(e) ? [e] : undefined
    }
    return this.#activeAfter(locator, stop, max)
  }

  /** Our chain's entries after the locator's fork point, up to `stop` (included) or `max`. */
  #activeAfter(locator: readonly Hash[], stop: Hash, max: number): HeaderEntry[] {
    const start = this.findFork(locator, 'active')
    const out: HeaderEntry[] = []
    const stopKey = toHex(stop)
    for (let h = start.height + 1; h < this.#active.length && out.length < max; h++) {
      const e = this.#active[h]!
      out.push(e)
      if (e.key === stopKey) break
    }
    return out
  }

  /**
   * Whether a block (or its header alone, for getheaders) may be served
   * (Core `BlockRequestAllowed`): on our chain of blocks, or stored, not
   * marked failed, and not older than a month next to the best header (Core STALE_RELAY_AGE_LIMIT),
   * so that a peer cannot learn which stale branches we hold.
   */
  blockRequestAllowed(e: HeaderEntry): boolean {
    if (this.#active[e.height] === e) return true
    // Core: off our chain only a block that was fully validated (BLOCK_VALID_SCRIPTS);
    // without a chain state (autoActivate) the structure checks are all there is.
    const checked = this.#autoActivate || e.validated
    return (
      e.haveData &&
      checked &&
      e.failure === 0 &&
      this.bestHeader.time - e.time < STALE_RELAY_AGE_LIMIT_SECONDS
    )
  }

  /** Blocks to announce in answer to `getblocks`: after the fork point, blocks we have, up to 500. */
  blocksAfter(locator: readonly Hash[], stop: Hash, max = 500): HeaderEntry[] {
    return this.#activeAfter(locator, stop, max)
  }

  /** The best header chain's entries in `(from, to]`, for planning downloads. */
  bestRange(fromHeight: number, toHeight: number): HeaderEntry[] {
    return this.#best.slice(Math.max(0, fromHeight + 1), Math.min(this.#best.length, toHeight + 1))
  }

  /**
   * Load stored headers at start, in height order, without re-checking
   * proof of work (they were checked before they were stored). Entries whose
   * parent is missing are skipped. With `autoActivate` the block tip moves
   * once, to the most-work chain of blocks loaded; without it the caller
   * sets the tip it has validated.
   */
  loadTrusted(records: Iterable<{ header: BlockHeader; haveData: boolean }>): number {
    const bestBefore = this.bestHeader
    let bestData = this.tip
    let n = 0
    for (const r of records) {
      const hash = blockHash(r.header)
      const key = toHex(hash)
      if (this.#index.has(key)) continue
      const prev = this.#index.get(toHex(r.header.prevBlock))
      if (!prev) continue
      const e = new HeaderEntry(
        this.#alloc(),
        r.header,
        hash,
        prev.height + 1,
        prev.chainWork + blockProof(r.header.bits),
        prev,
        this.#sequence++,
      )
      this.#link(e, prev)
      if (e.chainWork > this.#bestCandidate.chainWork) this.#bestCandidate = e
      n++
      // Parents come first (height order), so chainHasData is settled here in
      // one pass, and the block tip moves once below instead of once a block
      // (each move is a tip write in the store: 5,000 of them made a restart
      // and an early stop take ten seconds and more).
      if (r.haveData) {
        e.haveData = true
        if (prev.chainHasData) {
          e.chainHasData = true
          this.#refreshCandidate(e)
          this.#refreshCandidate(prev)
          if (e.chainWork > bestData.chainWork) bestData = e
        }
      }
    }
    if (this.#autoActivate && bestData !== this.tip) this.setTip(bestData)
    if (this.#bestCandidateEntry) this.#updateBest(bestBefore)
    // Headers evicted before a restart are still in the store: hold the cap again.
    while (this.#index.size - this.#best.length > this.#maxSide) {
      const victim = this.#leastWorkSideLeaf(this.bestHeader)
      if (!victim) break
      this.#evict(victim, undefined)
    }
    return n
  }

  /**
   * Every tip of the header tree (entries without children), with the
   * length of its branch off the best header chain (Core getchaintips).
   */
  tips(): { entry: HeaderEntry; branchLength: number }[] {
    const out: { entry: HeaderEntry; branchLength: number }[] = []
    for (const e of this.#leaves) {
      let fork: HeaderEntry | undefined = e
      while (fork && this.#best[fork.height] !== fork) fork = fork.prev
      out.push({ entry: e, branchLength: e.height - (fork?.height ?? 0) })
    }
    return out
  }

  /** Display form of a hash, for logs. */
  static display(e: HeaderEntry): string {
    return hashToHex(e.hash)
  }
}

/** `a` before `b` as a chain tip: more work, or as much and seen first (Core CBlockIndexWorkComparator). */
function moreWork(a: HeaderEntry, b: HeaderEntry): boolean {
  return a.chainWork > b.chainWork || (a.chainWork === b.chainWork && a.sequence < b.sequence)
}
