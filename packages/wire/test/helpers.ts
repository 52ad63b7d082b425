import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function fixture(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)))
}

export function fixtureJson<T>(name: string): T {
  return JSON.parse(fixture(name).toString('utf8')) as T
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

/** Mainnet blocks 1..255 from btcd's blocks1-256.dat. */
export function btcdBlocks(): Uint8Array[] {
  const data = fixture('blocks/blocks1-256.dat')
  const out: Uint8Array[] = []
  let off = 0
  while (off < data.length) {
    const len = data.readUInt32LE(off + 4)
    out.push(new Uint8Array(data.subarray(off + 8, off + 8 + len)))
    off += 8 + len
  }
  return out
}

export interface GoldenVector {
  description: string
  command: string
  fields: Record<string, unknown>
  payload_hex: string
  frame_hex: string
}

export interface GoldenInvalid {
  description: string
  error: string
  why: string
  frame_hex: string
}

export const golden = fixtureJson<{ magic: string; vectors: GoldenVector[]; invalid: GoldenInvalid[] }>(
  'messages.json',
)
