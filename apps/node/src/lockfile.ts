/**
 * A `.lock` file that keeps two daemons off one data directory.
 *
 * The lock is created atomically with our pid already in it: the pid is
 * written to a private temporary file which is then hard-linked to `.lock`
 * (link fails if `.lock` exists), so no other process ever sees an empty lock.
 * If `.lock` exists, the pid in it is checked: a live process means the
 * directory is in use ({@link DatadirLockedError}); a dead one (or our own pid,
 * as after a container restart where the daemon is always pid 1) means a stale
 * lock, which is taken over. stop() removes the lock if it is still ours.
 *
 * Unlike Core's fcntl lock this survives only as long as the file: if someone
 * deletes `.lock` by hand, a second daemon can start.
 */
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Logger, Service, silentLogger } from '@node/runtime'
import { LOCK_FILENAME } from './constants.ts'
import { DatadirError, DatadirLockedError } from './errors.ts'

export interface LockFileComponents {
  logger?: Logger | undefined
  /** Whether a process with this pid exists (default: `process.kill(pid, 0)`). */
  isAlive?: ((pid: number) => boolean) | undefined
}

export interface LockFileInit {
  /** The network's data directory. */
  dir: string
  /** Our pid (default `process.pid`). */
  pid?: number | undefined
}

/** Default liveness check: signal 0 tests existence; EPERM means it exists but is not ours. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Parse a lock file's content: a positive integer pid, or undefined. */
function parsePid(text: string): number | undefined {
  const t = text.trim()
  if (!/^\d+$/.test(t)) return undefined
  const n = Number(t)
  return Number.isSafeInteger(n) && n > 0 ? n : undefined
}

/** Most attempts at taking a stale lock before giving up (others may be racing for it). */
const MAX_ATTEMPTS = 5

export class LockFile extends Service {
  readonly path: string
  readonly #dir: string
  readonly #pid: number
  readonly #logger: Logger
  readonly #isAlive: (pid: number) => boolean
  #held = false

  constructor(components: LockFileComponents, init: LockFileInit) {
    super()
    this.#dir = init.dir
    this.path = join(init.dir, LOCK_FILENAME)
    this.#pid = init.pid ?? process.pid
    this.#logger = (components.logger ?? silentLogger).child({ component: 'lock' })
    this.#isAlive = components.isAlive ?? processIsAlive
  }

  /** Whether this instance holds the lock. */
  get held(): boolean {
    return this.#held
  }

  protected async onStart(): Promise<void> {
    const tmp = join(this.#dir, `${LOCK_FILENAME}.${this.#pid}.${Date.now()}.tmp`)
    try {
      await writeFile(tmp, `${this.#pid}\n`, { mode: 0o644 })
    } catch (err) {
      throw new DatadirError(`Cannot write to data directory ${this.#dir}: ${(err as Error).message}`, {
        cause: err,
      })
    }
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        try {
          await link(tmp, this.path)
          this.#held = true
          return
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
            throw new DatadirError(`Cannot create lock file ${this.path}: ${(err as Error).message}`, {
              cause: err,
            })
          }
        }
        const text = await readFile(this.path, 'utf8').catch(() => undefined)
        if (text === undefined) continue // removed meanwhile: try again
        const pid = parsePid(text)
        if (pid !== undefined && pid !== this.#pid && this.#isAlive(pid)) {
          throw new DatadirLockedError(this.#dir, pid)
        }
        // Stale: move it aside, and only delete what we moved if it is the lock we judged stale.
        const aside = `${this.path}.stale.${this.#pid}`
        try {
          await rename(this.path, aside)
        } catch {
          continue // someone else moved it first
        }
        const moved = await readFile(aside, 'utf8').catch(() => undefined)
        if (moved !== text) {
          // We moved a fresh lock that another process created meanwhile: put it back.
          await link(aside, this.path).catch(() => {})
          await unlink(aside).catch(() => {})
          throw new DatadirLockedError(this.#dir, parsePid(moved ?? ''))
        }
        await unlink(aside).catch(() => {})
        this.#logger.warn({ path: this.path, stalePid: pid ?? null }, 'Took over a stale lock file.')
      }
      throw new DatadirLockedError(this.#dir, undefined)
    } finally {
      await unlink(tmp).catch(() => {})
    }
  }

  protected async onStop(): Promise<void> {
    if (!this.#held) return
    this.#held = false
    try {
      const text = await readFile(this.path, 'utf8')
      if (parsePid(text) === this.#pid) await unlink(this.path)
    } catch (err) {
      this.#logger.warn({ err, path: this.path }, 'Could not remove the lock file.')
    }
  }
}
