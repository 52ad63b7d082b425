/**
 * AddrManager: an {@link AddrMan} that lives in a data directory. start()
 * loads peers.dat (or imports btcd's peers.json when there is none), a timer
 * saves every 15 minutes, stop() saves once more (Core DumpPeerAddresses,
 * btcd's addrmgr). Writes are atomic. A truncated, corrupt or foreign file
 * is logged with its typed error, kept as `peers.dat.bak`, and the manager
 * starts empty.
 */
import { mkdir, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { type Logger, Service, silentLogger } from '@node/runtime'
import { AddrMan, type AddrManInit } from './addrman.ts'
import { DUMP_INTERVAL_MS, MAINNET_MAGIC, PEERS_FILE_NAME } from './constants.ts'
import { PeersFileError } from './errors.ts'
import { atomicWriteFile, tempPathFor } from './file.ts'
import {
  deserializePeersDat,
  type ImportReport,
  importBtcdPeers,
  type LoadReport,
  serializePeersDat,
} from './peers-dat.ts'
import type { RandomSource } from './random.ts'

export interface AddrManagerComponents {
  logger?: Logger | undefined
  /** Wall clock in milliseconds (like Date.now). */
  now?: (() => number) | undefined
  random?: RandomSource | undefined
}

export interface AddrManagerInit extends AddrManInit {
  /** Where peers.dat lives. Omitted: memory only, nothing is read or written. */
  dataDir?: string | undefined
  /** Default `peers.dat`. */
  fileName?: string | undefined
  /** The network's 4-byte message start, the first bytes of the file. Default: mainnet. */
  magic?: Uint8Array | undefined
  /** Default 15 minutes (Core's dump interval). */
  saveIntervalMs?: number | undefined
  /** A btcd `peers.json` to import when there is no peers.dat yet (path, or relative to dataDir). */
  btcdPeersFile?: string | undefined
}

/** What start() found on disk. */
export type LoadOutcome =
  | { kind: 'memory' }
  | { kind: 'missing' }
  | { kind: 'loaded'; report: LoadReport; entries: number }
  | { kind: 'imported'; report: ImportReport }
  | { kind: 'discarded'; error: PeersFileError; backup: string }

export class AddrManager extends Service {
  readonly #components: AddrManagerComponents
  readonly #init: AddrManagerInit
  readonly #log: Logger
  readonly #magic: Uint8Array
  readonly #path: string | undefined
  readonly #interval: number
  #addrman: AddrMan
  #timer: NodeJS.Timeout | undefined
  #saving: Promise<void> | undefined
  #outcome: LoadOutcome | undefined

  constructor(components: AddrManagerComponents = {}, init: AddrManagerInit = {}) {
    super()
    this.#components = { ...components }
    this.#init = { ...init }
    this.#log = (components.logger ?? silentLogger).child({ component: 'addrmgr' })
    this.#magic = (init.magic ?? MAINNET_MAGIC).slice()
    if (this.#magic.length !== 4) throw new RangeError('The network magic has 4 bytes.')
    this.#path = init.dataDir === undefined ? undefined : join(init.dataDir, init.fileName ?? PEERS_FILE_NAME)
    this.#interval = init.saveIntervalMs ?? DUMP_INTERVAL_MS
    if (!(this.#interval > 0)) throw new RangeError('saveIntervalMs must be positive.')
    this.#addrman = this.#fresh()
  }

  /**
   * The address manager. start() replaces it with the one loaded from disk,
   * so take it after start() resolves.
   */
  get addrman(): AddrMan {
    return this.#addrman
  }

  /** The peers file, or undefined when memory only. */
  get filePath(): string | undefined {
    return this.#path
  }

  /** What the last start() found on disk. */
  get loadOutcome(): LoadOutcome | undefined {
    return this.#outcome
  }

  #addrmanInit(): AddrManInit {
    const i = this.#init
    return {
      key: i.key,
      asmap: i.asmap,
      localRoutable: i.localRoutable,
      consistencyCheckRatio: i.consistencyCheckRatio,
    }
  }

  #addrmanComponents(): AddrManagerComponents {
    const c = this.#components
    return { logger: c.logger, now: c.now, random: c.random }
  }

  #fresh(): AddrMan {
    return new AddrMan(this.#addrmanComponents(), this.#addrmanInit())
  }

  protected async onStart(signal: AbortSignal): Promise<void> {
    this.#outcome = await this.#load()
    if (signal.aborted) return
    this.#schedule()
  }

  protected async onStop(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    // A stop during a failed start must not overwrite the file with an empty table.
    if (this.#outcome === undefined) return
    await this.save()
  }

  #schedule(): void {
    if (this.#path === undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.save()
        .catch((err: unknown) => this.#log.error({ err }, 'Saving the peers file failed.'))
        .finally(() => {
          if (this.status === 'started') this.#schedule()
        })
    }, this.#interval)
  }

  async #load(): Promise<LoadOutcome> {
    const path = this.#path
    if (path === undefined) return { kind: 'memory' }
    await mkdir(this.#init.dataDir!, { recursive: true })
    // A temporary file left by a crash mid-write is never read.
    await unlink(tempPathFor(path)).catch(() => {})
    let data: Uint8Array
    try {
      data = await readFile(path)
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err
      return this.#importBtcd()
    }
    try {
      const { addrman, report } = deserializePeersDat(
        data,
        this.#magic,
        this.#addrmanComponents(),
        this.#addrmanInit(),
      )
      this.#addrman = addrman
      const entries = addrman.size()
      this.#log.info({ path, entries, ...report }, 'Loaded the peers file.')
      return { kind: 'loaded', report, entries }
    } catch (err) {
      if (!(err instanceof PeersFileError)) throw err
      const backup = `${path}.bak`
      await rename(path, backup)
      this.#log.error(
        { err, path, backup },
        'The peers file cannot be used; it was kept as a backup and the address manager starts empty.',
      )
      this.#addrman = this.#fresh()
      return { kind: 'discarded', error: err, backup }
    }
  }

  async #importBtcd(): Promise<LoadOutcome> {
    const name = this.#init.btcdPeersFile
    if (name === undefined) return { kind: 'missing' }
    const path = this.#init.dataDir === undefined ? name : join(this.#init.dataDir, name)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return { kind: 'missing' }
      throw err
    }
    try {
      const report = importBtcdPeers(this.#addrman, text)
      this.#log.info({ path, ...report }, 'Imported btcd peers.json.')
      return { kind: 'imported', report }
    } catch (err) {
      if (!(err instanceof PeersFileError)) throw err
      this.#log.error(
        { err, path },
        'The btcd peers.json cannot be imported; the address manager starts empty.',
      )
      this.#addrman = this.#fresh()
      return { kind: 'missing' }
    }
  }

  /**
   * Write peers.dat now (atomically). Saves never overlap: a call during a
   * save waits for it and then writes the latest state. No-op when memory only.
   */
  save(): Promise<void> {
    const path = this.#path
    if (path === undefined) return Promise.resolve()
    const previous = this.#saving ?? Promise.resolve()
    const run = previous
      .catch(() => {})
      .then(async () => {
        const data = serializePeersDat(this.#addrman, this.#magic)
        await atomicWriteFile(path, data)
        this.#log.debug({ path, bytes: data.length, entries: this.#addrman.size() }, 'Saved the peers file.')
      })
    const tracked = run.finally(() => {
      if (this.#saving === tracked) this.#saving = undefined
    })
    this.#saving = tracked
    return tracked
  }
}
