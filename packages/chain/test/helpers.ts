import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type BlockHeader, blockHash, decodeHeader, networks } from '@node/wire'
import { type HeaderEntry, mineBlock } from '../src/index.ts'

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

/** `n` regtest headers on `from`, one second apart; `extra` makes branches differ. */
export function mineChain(from: HeaderEntry, n: number, extra = 0): BlockHeader[] {
  const out: BlockHeader[] = []
  let prev = { hash: from.hash, height: from.height, time: from.time }
  for (let i = 0; i < n; i++) {
    const b = mineBlock({
      network: networks.regtest,
      prev,
      payTo: Uint8Array.of(0x51),
      time: prev.time + 1,
      extraNonce: extra,
    })
    out.push(b.header)
    prev = { hash: blockHash(b.header), height: prev.height + 1, time: b.header.time }
  }
  return out
}
