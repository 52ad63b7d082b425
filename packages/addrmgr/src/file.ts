/**
 * Crash-safe file replacement: write a temporary file next to the target,
 * fsync it, rename it over the target, fsync the directory. A kill at any
 * moment leaves either the old file or the new one, whole; at worst a stale
 * temporary file stays behind, which the next write overwrites and which is
 * never read.
 */
import { open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

/** The temporary file a write goes through (one fixed name, so leftovers never pile up). */
export function tempPathFor(path: string): string {
  return `${path}.new`
}

/** Write `data` to `path` atomically and durably. */
export async function atomicWriteFile(path: string, data: Uint8Array): Promise<void> {
  const tmp = tempPathFor(path)
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
  await syncDirectory(dirname(path))
}

/** fsync a directory so a rename inside it survives a power cut. Not supported everywhere (Windows). */
export async function syncDirectory(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw err
  } finally {
    await fh?.close()
  }
}
