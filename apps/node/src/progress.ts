/**
 * The sync progress line the daemon logs every few seconds while catching up:
 *
 *   Synced 123,456 of 850,000 blocks (14.52%), 250.3 blocks/s, 12.4 MB/s, about 2h 13m left, 8 peers.
 *
 * {@link formatProgress} is a pure function; {@link RateTracker} turns
 * cumulative (height, bytes) samples into rates over a sliding window with
 * an injectable clock; {@link ProgressLogger} samples the node every 5 s and
 * logs the line while the block tip is behind the best header (a node that
 * mines its own blocks is never behind, so it logs nothing). The numbers go
 * under one `syncProgress` field, which the terminal printer leaves out, so
 * the line is one line on a terminal and JSON logs keep the numbers.
 */
import { type Logger, Service, silentLogger } from '@node/runtime'
import { PROGRESS_INTERVAL_MS, PROGRESS_MAX_SAMPLES, PROGRESS_WINDOW_MS } from './constants.ts'

export interface SyncProgress {
  /** Height of the best fully downloaded and connected block. */
  readonly height: number
  /** Height of the best known header. */
  readonly headerHeight: number
  /** `height / headerHeight` in percent, 0..100. */
  readonly percent: number
  /** Blocks per second over the window, null until two samples exist. */
  readonly blocksPerSec: number | null
  /** Block bytes per second over the window, null until two samples exist. */
  readonly bytesPerSec: number | null
  /** Estimated seconds to reach headerHeight, null when unknown (no rate yet, or stalled). */
  readonly etaSeconds: number | null
  /** Peers we sync from: they announced headers beyond our tip. */
  readonly peers: number
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** `3725` → `1h 2m`; `45` → `45s`; `200000` → `2d 7h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`
}

/** The progress line for one snapshot. */
export function formatProgress(p: SyncProgress): string {
  const parts = [
    `Synced ${int.format(p.height)} of ${int.format(p.headerHeight)} blocks (${p.percent.toFixed(2)}%)`,
  ]
  parts.push(p.blocksPerSec === null ? 'rate unknown' : `${p.blocksPerSec.toFixed(1)} blocks/s`)
  if (p.bytesPerSec !== null) parts.push(`${(p.bytesPerSec / 1e6).toFixed(1)} MB/s`)
  if (p.height >= p.headerHeight) parts.push('caught up')
  else parts.push(p.etaSeconds === null ? 'time left unknown' : `about ${formatDuration(p.etaSeconds)} left`)
  parts.push(`${p.peers} ${p.peers === 1 ? 'peer' : 'peers'}`)
  return `${parts.join(', ')}.`
}

/** Percent of `height` in `headerHeight`, clamped to 0..100. */
export function percentOf(height: number, headerHeight: number): number {
  if (headerHeight <= 0) return height >= headerHeight ? 100 : 0
  return Math.min(100, Math.max(0, (height / headerHeight) * 100))
}

interface Sample {
  at: number
  height: number
  bytes: number
}

/**
 * Rates over a sliding window. Call {@link record} with the current height
 * and the total block bytes received so far; {@link snapshot} gives rates
 * between the oldest sample in the window and the newest.
 */
export class RateTracker {
  readonly #now: () => number
  readonly #windowMs: number
  readonly #maxSamples: number
  /** Oldest first; bounded by maxSamples and the window. */
  #samples: Sample[] = []

  constructor(
    components: { now?: (() => number) | undefined } = {},
    init: { windowMs?: number | undefined; maxSamples?: number | undefined } = {},
  ) {
    this.#now = components.now ?? Date.now
    this.#windowMs = init.windowMs ?? PROGRESS_WINDOW_MS
    this.#maxSamples = Math.max(2, init.maxSamples ?? PROGRESS_MAX_SAMPLES)
  }

  record(height: number, totalBytes: number): void {
    const at = this.#now()
    this.#samples.push({ at, height, bytes: totalBytes })
    // Keep one sample older than the window so the window is always spanned.
    while (this.#samples.length > 2 && (this.#samples[1] as Sample).at <= at - this.#windowMs)
      this.#samples.shift()
    while (this.#samples.length > this.#maxSamples) this.#samples.shift()
  }

  /** Forget all samples (e.g. after a reorg or restart of sync). */
  reset(): void {
    this.#samples = []
  }

  snapshot(headerHeight: number, peers: number): SyncProgress {
    const last = this.#samples[this.#samples.length - 1]
    const first = this.#samples[0]
    const height = last?.height ?? 0
    let blocksPerSec: number | null = null
    let bytesPerSec: number | null = null
    if (first && last && last.at > first.at) {
      const secs = (last.at - first.at) / 1000
      blocksPerSec = Math.max(0, (last.height - first.height) / secs)
      bytesPerSec = Math.max(0, (last.bytes - first.bytes) / secs)
    }
    const remaining = Math.max(0, headerHeight - height)
    const etaSeconds =
      remaining === 0 ? 0 : blocksPerSec && blocksPerSec > 0 ? remaining / blocksPerSec : null
    return {
      height,
      headerHeight,
      percent: percentOf(height, headerHeight),
      blocksPerSec,
      bytesPerSec,
      etaSeconds,
      peers,
    }
  }
}

/** The log field that carries a progress snapshot (left out of the terminal's pretty line). */
export const PROGRESS_FIELD = 'syncProgress'

/** What {@link ProgressLogger} reads from the node at each sample. */
export interface ProgressSample {
  /** Height of the block tip. */
  readonly height: number
  /** Height of the best header. */
  readonly headerHeight: number
  /** Bytes received from peers so far (cumulative). */
  readonly bytes: number
  /** Peers we sync from (announced headers beyond our tip). */
  readonly peers: number
}

export interface ProgressLoggerComponents {
  logger?: Logger | undefined
  now?: (() => number) | undefined
  /** Reads the node's state; called once per interval. */
  sample: () => ProgressSample
}

export interface ProgressLoggerInit {
  /** Sample this often (default 5 s); 0 disables the timer ({@link ProgressLogger.tick} still works). */
  intervalMs?: number | undefined
}

/**
 * Logs {@link formatProgress} lines while syncing: at each sample where the
 * block tip is behind the best header, as it was at the sample before (so a
 * block that is one announcement ahead for a moment is not "syncing").
 */
export class ProgressLogger extends Service {
  readonly #log: Logger
  readonly #sample: () => ProgressSample
  readonly #intervalMs: number
  readonly #rates: RateTracker
  #timer: NodeJS.Timeout | undefined
  #wasBehind = false

  constructor(components: ProgressLoggerComponents, init: ProgressLoggerInit = {}) {
    super()
    this.#log = (components.logger ?? silentLogger).child({ component: 'progress' })
    this.#sample = components.sample
    this.#intervalMs = init.intervalMs ?? PROGRESS_INTERVAL_MS
    this.#rates = new RateTracker({ now: components.now })
  }

  protected async onStart(): Promise<void> {
    this.#rates.reset()
    this.#wasBehind = false
    if (this.#intervalMs > 0) this.#timer = setInterval(() => this.tick(), this.#intervalMs)
  }

  protected async onStop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Take one sample and log the line if we are syncing; returns the snapshot logged, if any. */
  tick(): SyncProgress | undefined {
    const s = this.#sample()
    const behind = s.headerHeight > s.height
    if (!behind) {
      this.#wasBehind = false
      this.#rates.reset()
      return undefined
    }
    this.#rates.record(s.height, s.bytes)
    const logIt = this.#wasBehind
    this.#wasBehind = true
    if (!logIt) return undefined
    const p = this.#rates.snapshot(s.headerHeight, s.peers)
    this.#log.info({ [PROGRESS_FIELD]: p }, formatProgress(p))
    return p
  }
}
