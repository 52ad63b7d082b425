import { createHash } from 'node:crypto'
import type { InvItem } from '@node/wire'

/** A deterministic 32-byte hash for index `i` (SHA-256 of a label and the index). */
export function hashOf(i: number, label = 'h'): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${label}:${i}`).digest())
}

export function item(type: number, i: number, label?: string): InvItem {
  return { type, hash: hashOf(i, label) }
}

/** A seeded 32-bit PRNG (mulberry32) for deterministic tweaks. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}
