import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type BlockHeader, decodeHeader } from '@node/wire'

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))))
}

export function wireBlock(name: string): Uint8Array {
  return new Uint8Array(
    readFileSync(fileURLToPath(new URL(`../../wire/test/fixtures/blocks/${name}`, import.meta.url))),
  )
}

export function headersFile(name: string): BlockHeader[] {
  const b = fixture(name)
  const out: BlockHeader[] = []
  for (let off = 0; off < b.length; off += 80) out.push(decodeHeader(b.slice(off, off + 80)))
  return out
}
