/**
 * Small durable-file helpers for the block store: directory fsync, atomic
 * replacement of a small file, the LOCK file, and chunked reading.
 */
import type { FileHandle } from 'node:fs/promises'
import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StoreLockedError, StoreWriteError } from './store-errors.ts'

/**
 * Make a directory's entries (new, renamed or truncated files) durable.
 * Linux needs this after creating or renaming a file; platforms that cannot
 * open a directory (Windows) do it implicitly, so EISDIR/EPERM are ignored.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw err
  } finally {
    await fh?.close()
  }
}

/** Replace `dir/name` with `data` so a crash leaves either the old or the new content. */
export async function writeFileAtomic(dir: string, name: string, data: Uint8Array): Promise<void> {
  const tmp = join(dir, `${name}.tmp`)
  const fh = await open(tmp, 'w')
  try {
    await fh.write(data, 0, data.length, 0)
    await fh.datasync()
  } finally {
    await fh.close()
  }
  await rename(tmp, join(dir, name))
  await fsyncDir(dir)
}

/**
 * Throw StoreWriteError unless a new file can be created (and removed) in
 * `dir` (Core DirIsWritable): access() says yes to root for any mode and
 * knows nothing of read-only mounts.
 */
export async function checkWritable(dir: string): Promise<void> {
  const probe = join(dir, `.writetest-${process.pid}`)
  try {
    await writeFile(probe, '')
    await unlink(probe)
  } catch (err) {
    await unlink(probe).catch(() => {})
    throw new StoreWriteError(
      `Cannot write to the block store directory "${dir}"; check permissions (${(err as { code?: string }).code ?? (err as Error).message}).`,
      { cause: err },
    )
  }
}

/** Directories locked by this process (a pid check cannot tell two stores in one process apart). */
const lockedHere = new Set<string>()

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'
  }
}

/**
 * Take the LOCK file of `dir`, holding our pid. A lock left by a process that
 * no longer runs (a crash) is taken over; one held by a live process, or by
 * another store in this process, throws StoreLockedError.
 */
export async function acquireLock(dir: string): Promise<void> {
  if (lockedHere.has(dir)) throw new StoreLockedError(dir, process.pid)
  const path = join(dir, 'LOCK')
  lockedHere.add(dir)
  try {
    try {
      // 'wx' fails if the file exists, so two processes starting at once
      // cannot both create it.
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' })
      return
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err
    }
    const holder = Number.parseInt(await readFile(path, 'utf8'), 10)
    // Our own pid in the file is a stale lock from an earlier life of this pid
    // (containers reuse pids), since lockedHere says no store here holds it.
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new StoreLockedError(dir, holder)
    }
    await writeFile(path, `${process.pid}\n`)
  } catch (err) {
    lockedHere.delete(dir)
    throw err
  }
}

export async function releaseLock(dir: string): Promise<void> {
  if (!lockedHere.has(dir)) return
  try {
    await unlink(join(dir, 'LOCK'))
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err
  } finally {
    lockedHere.delete(dir)
  }
}

/** Read exactly `length` bytes at `position`, or fewer at end of file. */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  // Not zero-filled (every byte returned is read from the file); own
  // ArrayBuffer, not Node's shared pool, so views never expose other data.
  const slow = Buffer.allocUnsafeSlow(length)
  const buf = new Uint8Array(slow.buffer, slow.byteOffset, length)
  let got = 0
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return got === length ? buf : buf.subarray(0, got)
}
