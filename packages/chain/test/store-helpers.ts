import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Deterministic bytes: xorshift32 from `seed`. */
export function pseudoBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let s = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < length; i++) {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    out[i] = s & 0xff
  }
  return out
}

export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest())
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}

/** A block-like test value: bytes and their SHA-256 as the "hash". */
export function makeBlock(
  seed: number,
  length = 1000 + (seed % 7) * 500,
): { hash: Uint8Array; bytes: Uint8Array } {
  const bytes = pseudoBytes(seed, length)
  return { hash: sha256(bytes), bytes }
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'blockstore-test-'))
  return { dir: join(root, 'blocks'), cleanup: () => rm(root, { recursive: true, force: true }) }
}
