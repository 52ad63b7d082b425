/**
 * Parallel script verification (Core's `CCheckQueue`, src/checkqueue.h, and
 * `-par`): the script checks of a block spread over worker threads. The
 * verdict is the sequential one: every input valid, or the failure that a
 * sequential run in block order would meet first (the lowest check, then the
 * lowest input, among the failures found).
 *
 * Each batch travels as one transferred buffer (jobs.ts); the signature
 * cache, when given, lives in shared memory and serves every worker.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { type Logger, silentLogger } from '@node/runtime'
import { decodeTx, type Tx } from '@node/wire'
import { ScriptError, type ScriptErrorCode } from './errors.ts'
import { encodeJobs, type JobEntry } from './jobs.ts'
import type { SignatureCache } from './sigcache.ts'
import { assertValidFlags, type SpentOutput, TxVerifier } from './verify.ts'

/** The script checks of one transaction: all its inputs under `flags`. */
export interface ScriptCheck {
  tx: Tx | Uint8Array
  spent: readonly SpentOutput[]
  flags: number
}

export interface ScriptCheckPoolOptions {
  /** Worker threads; default the number of cores. 0 verifies on the calling thread. */
  workers?: number
  /** A shared signature cache (`new SignatureCache({ shared: true })`). */
  sigcache?: SignatureCache
  /** Add verified signatures to the cache (for the mempool; blocks do not). */
  storeInCache?: boolean
  /** Batches per worker per call, for load balance; default 4. */
  batchesPerWorker?: number
  /** Parent logger; the pool logs as a `script-checks` child. */
  logger?: Logger
}

interface Reply {
  id: number
  fail?: { check: number; input: number; code: ScriptErrorCode }
  error?: { check: number; input: number; message: string }
}

/** Start a worker; from sources (tests, tsx) through tsx's loader. */
function spawn(workerData: unknown): Worker {
  const self = import.meta.url
  if (self.endsWith('.js')) return new Worker(new URL('./worker.js', self), { workerData })
  // Running from TypeScript sources: the worker needs the loader and the source condition.
  const tsxPkg = createRequire(self).resolve('tsx/package.json')
  const api = join(dirname(tsxPkg), 'dist/esm/api/index.mjs')
  if (!existsSync(api)) throw new Error('Running from sources needs tsx for the verification workers.')
  const boot =
    "const { workerData } = require('node:worker_threads');" +
    'import(workerData.loader).then((m) => { m.register(); return import(workerData.entry) })'
  return new Worker(boot, {
    eval: true,
    execArgv: ['--conditions=@node/source'],
    workerData: {
      ...(workerData as object),
      loader: pathToFileURL(api).href,
      entry: new URL('./worker.ts', self).href,
    },
  })
}

export class ScriptCheckPool {
  readonly size: number
  readonly #options: ScriptCheckPoolOptions
  readonly #log: Logger
  #workers: Worker[] = []
  #idle: Worker[] = []
  #waiting: { resolve: (w: Worker) => void; reject: (e: Error) => void }[] = []
  #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>()
  #nextId = 1
  #started = false
  /** Set when a worker died: the pool refuses work until stopped and started again. */
  #broken: Error | undefined

  constructor(options: ScriptCheckPoolOptions = {}) {
    this.#options = options
    this.#log = (options.logger ?? silentLogger).child({ component: 'script-checks' })
    this.size = options.workers ?? os.availableParallelism()
    if (!Number.isInteger(this.size) || this.size < 0)
      throw new TypeError(`Invalid worker count ${this.size}.`)
  }

  /** Start the worker threads and wait until they are ready. Idempotent. */
  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    const cache = this.#options.sigcache
    if (cache && !(cache.table instanceof SharedArrayBuffer) && this.size > 0)
      throw new TypeError('Workers need a shared signature cache: new SignatureCache({ shared: true }).')
    const data = {
      cache: cache ? { table: cache.table, salt: cache.salt } : undefined,
      storeInCache: this.#options.storeInCache ?? false,
    }
    const ready: Promise<void>[] = []
    for (let i = 0; i < this.size; i++) {
      const w = spawn(data)
      w.on('message', (reply: Reply) => {
        const p = this.#pending.get(reply.id)
        if (!p) return
        this.#pending.delete(reply.id)
        // Idle workers do not keep the process alive; busy ones do.
        w.unref()
        this.#release(w)
        p.resolve(reply)
      })
      w.on('error', (err) => this.#fatal(err))
      w.on('exit', (code) => {
        if (this.#workers.includes(w))
          this.#fatal(new Error(`A script check worker exited with code ${code}.`))
      })
      this.#workers.push(w)
      ready.push(
        new Promise((resolve) =>
          w.once('online', () => {
            w.unref()
            resolve()
          }),
        ),
      )
    }
    await Promise.all(ready)
    this.#idle = this.#workers.slice()
    this.#log.debug({ workers: this.size }, 'script check workers started')
  }

  /** Terminate the workers; pending verifications reject. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#broken = undefined
    const workers = this.#workers
    this.#workers = []
    this.#idle = []
    this.#failAll(new Error('The script check pool stopped.'))
    await Promise.all(workers.map((w) => w.terminate()))
    this.#log.debug('script check workers stopped')
  }

  #fatal(err: Error): void {
    if (!this.#broken)
      this.#log.error({ err }, 'a script check worker failed; the pool refuses work until restarted')
    this.#broken ??= err
    this.#failAll(err)
  }

  #failAll(err: Error): void {
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const p of pending) p.reject(err)
    const waiting = this.#waiting
    this.#waiting = []
    for (const w of waiting) w.reject(err)
  }

  #release(w: Worker): void {
    const next = this.#waiting.shift()
    if (next) next.resolve(w)
    else this.#idle.push(w)
  }

  #acquire(): Promise<Worker> {
    const w = this.#idle.pop()
    if (w) return Promise.resolve(w)
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }))
  }

  async #run(jobs: ArrayBuffer): Promise<Reply> {
    const w = await this.#acquire()
    if (!this.#started) throw new Error('The script check pool stopped.')
    if (this.#broken) throw this.#broken
    const id = this.#nextId++
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      w.ref()
      w.postMessage({ id, jobs }, [jobs])
    })
  }

  /**
   * Verify every input of every check. Resolves true, or rejects with the
   * {@link ScriptError} a sequential run would meet first (`input` is the
   * input, `check` the index in `checks`).
   */
  async verify(checks: readonly ScriptCheck[]): Promise<true> {
    for (const c of checks) assertValidFlags(c.flags)
    if (this.size === 0) return this.#verifyHere(checks)
    if (!this.#started) throw new Error('Start the script check pool before verifying.')
    if (this.#broken) throw new Error(`The script check pool is broken: ${this.#broken.message}`)
    const total = checks.reduce((n, c) => n + inputCount(c), 0)
    if (total === 0) return true
    const batches = Math.max(1, Math.min(total, this.size * (this.#options.batchesPerWorker ?? 4)))
    const perBatch = Math.ceil(total / batches)
    const runs: Promise<Reply>[] = []
    let batch: JobEntry[] = []
    let inBatch = 0
    for (const [check, c] of checks.entries()) {
      const bytes = c.tx instanceof Uint8Array ? c.tx : c.tx.toBytes(true)
      const n = inputCount(c)
      let from = 0
      while (from < n) {
        const to = Math.min(n, from + (perBatch - inBatch))
        batch.push({ check, flags: c.flags, from, to, tx: bytes, spent: c.spent })
        inBatch += to - from
        from = to
        if (inBatch >= perBatch) {
          runs.push(this.#run(encodeJobs(batch)))
          batch = []
          inBatch = 0
        }
      }
    }
    if (batch.length > 0) runs.push(this.#run(encodeJobs(batch)))
    // Wait for every batch, so that none is left to fail unobserved.
    const settled = await Promise.allSettled(runs)
    const crash = settled.find((r) => r.status === 'rejected')
    if (crash) throw (crash as PromiseRejectedResult).reason
    const replies = settled.map((r) => (r as PromiseFulfilledResult<Reply>).value)
    let first: { check: number; input: number; code?: ScriptErrorCode; message?: string } | undefined
    for (const r of replies) {
      const f = r.fail ?? r.error
      if (!f) continue
      if (!first || f.check < first.check || (f.check === first.check && f.input < first.input))
        first = { ...f, ...(r.fail ? { code: r.fail.code } : { message: r.error!.message }) }
    }
    if (!first) return true
    if (first.code === undefined)
      throw new Error(`Check ${first.check} input ${first.input}: ${first.message}`)
    const err = new ScriptError(first.code, first.input, checks[first.check]!.flags)
    err.check = first.check
    throw err
  }

  #verifyHere(checks: readonly ScriptCheck[]): true {
    const cache = this.#options.sigcache
    const options = cache ? { sigcache: cache, storeInCache: this.#options.storeInCache ?? false } : {}
    for (const [check, c] of checks.entries()) {
      try {
        const tx = c.tx instanceof Uint8Array ? decodeTx(c.tx) : c.tx
        new TxVerifier(tx, c.spent, options).verifyAll(c.flags)
      } catch (err) {
        if (err instanceof ScriptError) err.check = check
        throw err
      }
    }
    return true
  }
}

function inputCount(c: ScriptCheck): number {
  return c.spent.length
}
