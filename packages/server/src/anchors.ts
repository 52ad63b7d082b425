/**
 * Anchors (Core net.cpp `CConnman::Start` → `ReadAnchors`, `CConnman::StopNodes`
 * → `DumpAnchors`, addrdb.cpp): at shutdown the addresses of up to 2
 * block-relay-only peers are saved; at start-up they are read back, the file
 * is deleted (so a crash loop cannot keep dialling the same peers), and the
 * outbound loop dials them first as block-relay-only peers.
 */
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { atomicWriteFile, formatService, parseService, type ServiceAddress } from '@node/addrmgr'
import { type Logger, Service } from '@node/runtime'
import type { NetworkParams } from '@node/wire'
import type { NodeComponents } from './components.ts'
import { ANCHORS_FILE, MAX_ANCHORS } from './constants.ts'
import type { PeerHost } from './peers.ts'

export interface AnchorsInit {
  network: NetworkParams
  dataDir: string
}

export class Anchors extends Service {
  readonly #log: Logger
  readonly #host: PeerHost
  readonly #init: AnchorsInit
  #anchors: ServiceAddress[] = []

  constructor(components: Pick<NodeComponents, 'logger'>, host: PeerHost, init: AnchorsInit) {
    super()
    this.#log = components.logger.child({ component: 'server', policy: 'anchors' })
    this.#host = host
    this.#init = init
  }

  /** Anchors left to dial. */
  get size(): number {
    return this.#anchors.length
  }

  /** The next anchor to dial, removed from the list. */
  take(): ServiceAddress | undefined {
    return this.#anchors.shift()
  }

  /** Core ReadAnchors: load and delete the file. */
  protected async onStart(): Promise<void> {
    this.#anchors = []
    const file = join(this.#init.dataDir, ANCHORS_FILE)
    try {
      const list = JSON.parse(await readFile(file, 'utf8')) as string[]
      for (const s of list.slice(0, MAX_ANCHORS)) {
        try {
          this.#anchors.push(parseService(s, this.#init.network.defaultPort))
        } catch {
          // skip bad entries
        }
      }
      this.#log.info({ anchors: this.#anchors.length }, 'Loaded anchors; dialling them first.')
    } catch {
      // No anchors file.
    }
    await rm(file, { force: true })
  }

  /** Core DumpAnchors: the block-relay-only peers still connected (the server stops this before it disconnects them). */
  protected async onStop(): Promise<void> {
    this.#anchors = []
    const list: string[] = []
    for (const e of this.#host.peers()) {
      if (e.type === 'block-relay-only' && e.ready && e.service) list.push(formatService(e.service))
    }
    if (list.length === 0) return
    try {
      await atomicWriteFile(
        join(this.#init.dataDir, ANCHORS_FILE),
        new TextEncoder().encode(JSON.stringify(list.slice(0, MAX_ANCHORS))),
      )
    } catch (err) {
      this.#log.warn({ err }, 'Could not save anchors.')
    }
  }
}
