/**
 * Low-work headers protection: a simplified version of Bitcoin Core's
 * headers presync (PR #25717).
 *
 * While our best header chain has less than the network's minimum chain
 * work, a peer's headers are not stored as they arrive. They are first
 * checked in a **presync** pass that keeps O(1) state (the last header, the
 * last 11 timestamps, the start of the current difficulty period, the total
 * work) plus the hash of every `commitmentPeriod`-th header. Only once the
 * peer's chain is shown to reach the minimum chain work are the headers
 * downloaded again (**redownload**): each is checked against the remembered
 * hashes, and released into the header tree in verified batches, so at most
 * one period of unverified headers is ever held. A peer that feeds us a long
 * low-work chain costs us a few bytes per thousand headers, not memory per
 * header; a peer that sends a different chain the second time is punished.
 *
 * Core commits to one salted bit per period to save memory; we keep the full
 * hash (32 bytes per 1,000 headers, about 30 KB for mainnet), which is simpler
 * and catches any substitution at the next commitment.
 */
import { type BlockHeader, blockHash, type Hash, type NetworkParams, toHex } from '@node/wire'
import type { HeaderEntry } from './chain.ts'
import { MAX_FUTURE_BLOCK_TIME } from './chain.ts'
import {
  BadDifficultyError,
  BadProofOfWorkError,
  NonContinuousHeadersError,
  TimeTooNewError,
  TimeTooOldError,
  ValidationError,
} from './errors.ts'
import { blockProof, checkProofOfWork, nextWorkRequired, type PowEntry, retargetInterval } from './pow.ts'

/** Hashes remembered per peer at most (10,000 × 1,000 headers covers 10 M headers). */
const MAX_COMMITMENTS = 10_000

export type PresyncPhase = 'presync' | 'redownload' | 'done'

export interface PresyncResult {
  /** Headers that passed the redownload check and may now go into the header tree. */
  readonly release: readonly BlockHeader[]
  /** The phase after this message. */
  readonly phase: PresyncPhase
  /** Presync just reached the minimum chain work: download again from the fork. */
  readonly startRedownload: boolean
}

export class HeadersPresync {
  readonly fork: HeaderEntry
  readonly #network: NetworkParams
  readonly #minimumWork: bigint
  readonly #period: number
  readonly #now: () => number
  readonly #interval: number
  #phase: PresyncPhase = 'presync'
  // Presync state.
  #last: { hash: Hash; height: number; time: number; bits: number }
  #times: number[]
  #periodStart: { height: number; time: number; bits: number }
  #work: bigint
  readonly #commitments = new Map<number, string>()
  #presyncEnd = 0
  // Redownload state.
  #redownloadLast: { hash: Hash; height: number }
  #buffer: BlockHeader[] = []

  constructor(
    fork: HeaderEntry,
    network: NetworkParams,
    options: { minimumWork: bigint; commitmentPeriod?: number | undefined; now?: (() => number) | undefined },
  ) {
    this.fork = fork
    this.#network = network
    this.#minimumWork = options.minimumWork
    this.#period = options.commitmentPeriod ?? 1000
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000))
    this.#interval = retargetInterval(network)
    this.#last = { hash: fork.hash, height: fork.height, time: fork.time, bits: fork.bits }
    this.#work = fork.chainWork
    // The last 11 timestamps up to the fork, and the fork's period start.
    const times: number[] = []
    for (let e: HeaderEntry | undefined = fork, i = 0; e && i < 11; e = e.prev, i++) times.unshift(e.time)
    this.#times = times
    let start: HeaderEntry = fork
    while (start.prev && start.height % this.#interval !== 0) start = start.prev
    this.#periodStart = { height: start.height, time: start.time, bits: start.bits }
    this.#redownloadLast = { hash: fork.hash, height: fork.height }
  }

  get phase(): PresyncPhase {
    return this.#phase
  }

  /** Height reached by the presync pass. */
  get presyncHeight(): number {
    return this.#last.height
  }

  /** Height released so far by the redownload. */
  get redownloadHeight(): number {
    return this.#redownloadLast.height
  }

  /** Hash of the last redownloaded header (released or buffered). */
  get redownloadLastHash(): Hash {
    return this.#redownloadLast.hash
  }

  /** Hash of the last presync header, to continue the download from it. */
  get lastHash(): Hash {
    return this.#last.hash
  }

  /** Feed one headers message. Throws a ValidationError when the peer misbehaves. */
  feed(headers: readonly BlockHeader[]): PresyncResult {
    if (this.#phase === 'presync') return this.#presync(headers)
    if (this.#phase === 'redownload') return this.#redownload(headers)
    return { release: headers, phase: 'done', startRedownload: false }
  }

  #presync(headers: readonly BlockHeader[]): PresyncResult {
    const p = this.#network
    for (const h of headers) {
      if (toHex(h.prevBlock) !== toHex(this.#last.hash)) throw new NonContinuousHeadersError()
      const hash = blockHash(h)
      const height = this.#last.height + 1
      if (!checkProofOfWork(hash, h.bits, p))
        throw new BadProofOfWorkError(`Presync: header ${height} fails its proof of work.`)
      if (!p.powAllowMinDifficultyBlocks) {
        const last: PowEntry = {
          height: this.#last.height,
          time: this.#last.time,
          bits: this.#last.bits,
          prev: undefined,
        }
        const start = this.#periodStart
        const expected = nextWorkRequired(last, h.time, p, (_e, ht) =>
          ht === start.height
            ? { height: start.height, time: start.time, bits: start.bits, prev: undefined }
            : undefined,
        )
        if (h.bits !== expected)
          throw new BadDifficultyError(`Presync: header ${height} has unexpected bits.`)
      }
      const sorted = [...this.#times].sort((a, b) => a - b)
      if (sorted.length > 0 && h.time <= sorted[Math.floor(sorted.length / 2)]!) {
        throw new TimeTooOldError(`Presync: header ${height} is not after the median time past.`)
      }
      if (h.time > this.#now() + MAX_FUTURE_BLOCK_TIME)
        throw new TimeTooNewError(`Presync: header ${height} is in the future.`)
      this.#times.push(h.time)
      if (this.#times.length > 11) this.#times.shift()
      if (height % this.#interval === 0) this.#periodStart = { height, time: h.time, bits: h.bits }
      if (height % this.#period === 0) {
        if (this.#commitments.size >= MAX_COMMITMENTS) {
          throw new ValidationError(
            'PRESYNC_TOO_LONG',
            'too-many-headers',
            'Presync: the peer’s header chain is too long.',
          )
        }
        this.#commitments.set(height, toHex(hash))
      }
      this.#work += blockProof(h.bits)
      this.#last = { hash, height, time: h.time, bits: h.bits }
      if (this.#work >= this.#minimumWork) {
        this.#phase = 'redownload'
        this.#presyncEnd = height
        this.#commitments.set(height, toHex(hash))
        return { release: [], phase: 'redownload', startRedownload: true }
      }
    }
    return { release: [], phase: 'presync', startRedownload: false }
  }

  #redownload(headers: readonly BlockHeader[]): PresyncResult {
    const release: BlockHeader[] = []
    for (const h of headers) {
      if (toHex(h.prevBlock) !== toHex(this.#redownloadLast.hash)) throw new NonContinuousHeadersError()
      const hash = blockHash(h)
      const height = this.#redownloadLast.height + 1
      this.#redownloadLast = { hash, height }
      this.#buffer.push(h)
      const committed = this.#commitments.get(height)
      if (committed !== undefined) {
        if (committed !== toHex(hash)) {
          throw new ValidationError(
            'PRESYNC_MISMATCH',
            'headers-presync-mismatch',
            `The redownloaded header at height ${height} differs from the one presynced.`,
          )
        }
        release.push(...this.#buffer)
        this.#buffer = []
      }
      if (height >= this.#presyncEnd) {
        // Everything up to the presync end is verified; the rest is ordinary sync.
        this.#phase = 'done'
        release.push(...this.#buffer)
        this.#buffer = []
      }
      if (this.#buffer.length > this.#period) {
        throw new ValidationError(
          'PRESYNC_BUFFER',
          'headers-presync-buffer',
          'Presync: too many unverified headers.',
        )
      }
    }
    return { release, phase: this.#phase, startRedownload: false }
  }
}
