import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Block,
  blockHash,
  bytesEqual,
  compactToTarget,
  decodeBlock,
  encodeBlock,
  hashToHex,
  merkleRoot,
  regtest,
  sha256d,
  Tx,
  witnessMerkleRoot,
} from '@node/wire'
import { payments, script, Transaction } from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
// chain already depends on testkit (for its tests), so testkit cannot declare
// a dependency on chain (turbo rejects the cycle): this test reads its source.
import { checkBlock, contextualCheckBlock } from '../../chain/src/checks.ts'
import {
  type BcoinNode,
  type ChainBlock,
  ChainGenError,
  ChainSubmitError,
  chainCachePath,
  chainKeys,
  generateChain,
  getBestBlockHash,
  getBlockCount,
  startBcoin,
  submitChain,
  waitForHeight,
} from '../src/index.ts'

const NOW = Date.UTC(2025, 0, 15, 12) // a fixed clock: the chains below do not depend on the date
const now = (): number => NOW
const START = NOW / 1000 - 3 * 24 * 60 * 60

const small = { blocks: 115, targetBlockSize: 20_000, startTime: START, cache: false, now }

/** Block time from a serialized header. */
const timeOf = (raw: Uint8Array): number => Buffer.from(raw.buffer, raw.byteOffset + 68, 4).readUInt32LE(0)

let chain: readonly ChainBlock[]
beforeAll(async () => {
  chain = (await generateChain(small)).blocks
})

describe('generateChain', () => {
  it('makes coinbase-only blocks up to 100, then blocks filled toward the target', () => {
    expect(chain.map((b) => b.height)).toEqual(Array.from({ length: 115 }, (_, i) => i + 1))
    let prev = regtest.genesisHash
    for (const b of chain) {
      const block = decodeBlock(b.raw)
      expect(bytesEqual(block.header.prevBlock, prev)).toBe(true)
      prev = blockHash(block.header)
      expect(b.hash).toBe(hashToHex(prev))
      expect(b.txCount).toBe(block.txs.length)
      // The serialization is canonical: our codec writes back the same bytes.
      expect(bytesEqual(encodeBlock(block), b.raw)).toBe(true)
      if (b.height <= 100) expect(block.txs).toHaveLength(1)
      else {
        expect(block.txs.length).toBeGreaterThan(20)
        expect(b.raw.length).toBeLessThanOrEqual(20_000)
        expect(b.raw.length).toBeGreaterThan(15_000)
      }
    }
  })

  it('block times increase strictly, block 1 at startTime', () => {
    expect(timeOf(chain[0]!.raw)).toBe(START)
    for (let i = 1; i < chain.length; i++) {
      expect(timeOf(chain[i]!.raw)).toBeGreaterThan(timeOf(chain[i - 1]!.raw))
    }
  })

  it('by default ends a minute before now', async () => {
    const c = await generateChain({ blocks: 5, cache: false, now, spacing: 30 })
    expect(timeOf(c.blocks[4]!.raw)).toBe(NOW / 1000 - 60)
    expect(timeOf(c.blocks[0]!.raw)).toBe(NOW / 1000 - 60 - 4 * 30)
  })

  it('every transaction is valid: BIP143 signatures, amounts, maturity, no double spend', async () => {
    const keys = await chainKeys()
    const ours = new Set(keys.map((k) => hashToHex(k.script)))
    const coins = new Map<string, { value: bigint; script: Uint8Array; height: number; coinbase: boolean }>()
    let inputs = 0
    for (const b of chain) {
      const block = decodeBlock(b.raw)
      let fees = 0n
      for (const [i, tx] of block.txs.entries()) {
        if (i > 0) {
          expect(tx.version).toBe(2)
          expect(tx.locktime).toBe(b.height - 1)
          const btx = Transaction.fromBuffer(tx.toBytes())
          let inValue = 0n
          for (const [j, input] of tx.inputs.entries()) {
            const key = `${hashToHex(input.prevHash)}:${input.prevIndex}`
            const coin = coins.get(key)
            expect(
              coin,
              `input ${key} of a tx in block ${b.height} spends a known, unspent coin`,
            ).toBeDefined()
            if (!coin) continue
            coins.delete(key)
            if (coin.coinbase) expect(b.height - coin.height).toBeGreaterThanOrEqual(100)
            expect(input.sequence).toBe(0xfffffffd)
            expect(input.script).toHaveLength(0)
            const [sig, pub] = input.witness as [Uint8Array, Uint8Array]
            expect(input.witness).toHaveLength(2)
            // P2WPKH: the key hashes to the coin's script; BIP143 digest from bitcoinjs-lib.
            const p2wpkh = payments.p2wpkh({ pubkey: pub })
            expect(bytesEqual(p2wpkh.output as Uint8Array, coin.script)).toBe(true)
            const scriptCode = payments.p2pkh({ hash: p2wpkh.hash as Uint8Array }).output as Uint8Array
            const digest = btx.hashForWitnessV0(j, scriptCode, coin.value, Transaction.SIGHASH_ALL)
            const decoded = script.signature.decode(sig)
            expect(decoded.hashType).toBe(Transaction.SIGHASH_ALL)
            expect(ecc.verify(digest, pub, decoded.signature, true)).toBe(true)
            inValue += coin.value
            inputs++
          }
          const outValue = tx.outputs.reduce((s, o) => s + o.value, 0n)
          expect(inValue).toBeGreaterThan(outValue)
          fees += inValue - outValue
        }
        const txid = hashToHex(tx.txid())
        for (const [vout, out] of tx.outputs.entries()) {
          if (out.value === 0n) continue // the witness commitment
          expect(ours.has(hashToHex(out.script))).toBe(true)
          expect(out.value).toBeGreaterThanOrEqual(5_000n)
          coins.set(`${txid}:${vout}`, {
            value: out.value,
            script: out.script,
            height: b.height,
            coinbase: i === 0,
          })
        }
      }
      const subsidy = (50n * 100_000_000n) >> BigInt(Math.floor(b.height / 150))
      expect(block.txs[0]!.outputs[0]!.value).toBe(subsidy + fees)
    }
    expect(inputs).toBeGreaterThan(500)
  })

  it("passes our node's block checks (checkBlock, contextualCheckBlock)", () => {
    for (const b of chain) {
      const block = decodeBlock(b.raw)
      expect(() => checkBlock(block, regtest, b.raw)).not.toThrow()
      expect(() => contextualCheckBlock(block, b.height, regtest)).not.toThrow()
    }
  })

  it('fills large blocks: about 1 MB and thousands of transactions, under the weight limit', async () => {
    const c = await generateChain({ blocks: 102, targetBlockSize: 1_000_000, cache: false, now })
    for (const b of c.blocks.slice(100)) {
      expect(b.raw.length).toBeGreaterThan(990_000)
      expect(b.raw.length).toBeLessThanOrEqual(1_000_000)
      expect(b.txCount).toBeGreaterThan(2_000)
      const block = decodeBlock(b.raw)
      const stripped = encodeBlock(block, false).length
      expect(stripped * 3 + b.raw.length).toBeLessThanOrEqual(4_000_000)
      expect(() => contextualCheckBlock(block, b.height, regtest)).not.toThrow()
    }
    expect(c.txs).toBe(c.blocks.reduce((s, b) => s + b.txCount, 0))
    expect(c.bytes).toBe(c.blocks.reduce((s, b) => s + b.raw.length, 0))
  })

  it('is deterministic for a seed; another seed gives another chain', async () => {
    const again = await generateChain({ ...small, blocks: 103 })
    for (let i = 0; i < 103; i++) expect(again.blocks[i]!.hash).toBe(chain[i]!.hash)
    const other = await generateChain({ ...small, blocks: 103, seed: 'other' })
    expect(other.blocks[0]!.hash).not.toBe(chain[0]!.hash)
    expect(other.blocks[102]!.hash).not.toBe(chain[102]!.hash)
  })

  it('rejects impossible options with ChainGenError', async () => {
    await expect(generateChain({ blocks: 0, cache: false })).rejects.toBeInstanceOf(ChainGenError)
    await expect(generateChain({ blocks: 1.5, cache: false })).rejects.toThrow(/blocks/)
    await expect(generateChain({ blocks: 5, targetBlockSize: 10, cache: false })).rejects.toThrow(
      /targetBlockSize/,
    )
    await expect(
      generateChain({ blocks: 5, cache: false, now, startTime: NOW / 1000 + 3 * 60 * 60 }),
    ).rejects.toThrow(/future/)
    await expect(
      generateChain({ blocks: 5, cache: false, now, startTime: regtest.genesis.header.time }),
    ).rejects.toThrow(/genesis/)
  })
})

describe('the chain cache', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaingen-test-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const opts = (extra: object = {}) => ({ blocks: 103, targetBlockSize: 5_000, cacheDir: dir, now, ...extra })

  it('writes the chain once, atomically, and reads it back', async () => {
    const seen: number[] = []
    const first = await generateChain(opts({ onBlock: (b: ChainBlock) => seen.push(b.height) }))
    expect(first.fromCache).toBe(false)
    expect(first.cachePath).toBe(chainCachePath(opts()))
    expect(await readdir(dir)).toEqual([`${first.cachePath?.split('/').pop()}`]) // no temporary file left
    const second = await generateChain(opts({ onBlock: (b: ChainBlock) => seen.push(b.height) }))
    expect(second.fromCache).toBe(true)
    expect(second.blocks.map((b) => b.hash)).toEqual(first.blocks.map((b) => b.hash))
    second.blocks.forEach((b, i) => {
      expect(bytesEqual(b.raw, first.blocks[i]!.raw)).toBe(true)
      expect(b.txCount).toBe(first.blocks[i]!.txCount)
    })
    expect(seen).toEqual([...first.blocks.map((b) => b.height), ...first.blocks.map((b) => b.height)])
  })

  it('makes the chain again when the cached tip is too old', async () => {
    await generateChain(opts())
    const later = (): number => NOW + 7 * 60 * 60 * 1000
    const stale = await generateChain(opts({ now: later }))
    expect(stale.fromCache).toBe(false)
    expect(timeOf(stale.blocks[102]!.raw)).toBe(later() / 1000 - 60)
    expect((await generateChain(opts({ now: later }))).fromCache).toBe(true)
  })

  it('makes the chain again when the file is damaged', async () => {
    const first = await generateChain(opts({ seed: 'damage' }))
    const path = first.cachePath as string
    const size = (await readFile(path)).length
    await truncate(path, size - 10)
    const second = await generateChain(opts({ seed: 'damage' }))
    expect(second.fromCache).toBe(false)
    expect(second.blocks.map((b) => b.hash)).toEqual(first.blocks.map((b) => b.hash))
    await writeFile(path, 'not a chain')
    expect((await generateChain(opts({ seed: 'damage' }))).fromCache).toBe(false)
    expect((await generateChain(opts({ seed: 'damage' }))).fromCache).toBe(true)
  })

  it('keys the file by the options', () => {
    const a = chainCachePath(opts())
    expect(chainCachePath(opts())).toBe(a)
    expect(chainCachePath(opts({ seed: 'x' }))).not.toBe(a)
    expect(chainCachePath(opts({ blocks: 104 }))).not.toBe(a)
    expect(chainCachePath(opts({ targetBlockSize: 6_000 }))).not.toBe(a)
    expect(a.startsWith(dir)).toBe(true)
  })
})

/** Block 101 with the last byte of input 0's signature in its first transaction flipped, re-committed and re-mined. */
function withBadSignature(raw: Uint8Array): Uint8Array {
  const block = decodeBlock(raw)
  const [coinbase, victim, ...rest] = block.txs as [Tx, Tx, ...Tx[]]
  const [sig, pub] = victim.inputs[0]!.witness as [Uint8Array, Uint8Array]
  const bad = Uint8Array.from(sig)
  bad[bad.length - 2]! ^= 0x01 // the last byte of s (the final byte is the hash type)
  const forged = new Tx({
    version: victim.version,
    inputs: victim.inputs.map((input, i) => (i === 0 ? { ...input, witness: [bad, pub] } : input)),
    outputs: victim.outputs,
    locktime: victim.locktime,
  })
  const draft: Block = { header: block.header, txs: [coinbase, forged, ...rest] }
  const commitment = sha256d(witnessMerkleRoot(draft), coinbase.inputs[0]!.witness[0]!)
  const outputs = coinbase.outputs.map((o) =>
    o.value === 0n ? { value: 0n, script: Uint8Array.from([...o.script.subarray(0, 6), ...commitment]) } : o,
  )
  const cb = new Tx({
    version: coinbase.version,
    inputs: coinbase.inputs,
    outputs,
    locktime: coinbase.locktime,
  })
  const txs = [cb, forged, ...rest]
  const root = merkleRoot(txs.map((t) => t.txid())).root
  const { target } = compactToTarget(block.header.bits)
  for (let nonce = 0; ; nonce++) {
    const header = { ...block.header, merkleRoot: root, nonce }
    if (BigInt(`0x${hashToHex(blockHash(header))}`) <= target) return encodeBlock({ header, txs })
  }
}

describe('with bcoin', () => {
  const nodes: BcoinNode[] = []
  const start = async (opts: Parameters<typeof startBcoin>[0]): Promise<BcoinNode> => {
    const node = await startBcoin(opts)
    nodes.push(node)
    return node
  }
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()))
  })

  it('bcoin accepts the chain with full validation, and a second bcoin syncs it from the first', {
    timeout: 120_000,
  }, async () => {
    const a = await start({ segwitGenesis: true })
    const accepted: number[] = []
    await submitChain(a, chain, { onBlock: (b) => accepted.push(b.height) })
    expect(accepted).toEqual(chain.map((b) => b.height))
    expect(await getBlockCount(a)).toBe(115)
    expect(await getBestBlockHash(a)).toBe(chain[114]!.hash)
    // Submitting again skips what the node has.
    await submitChain(a, chain, { onBlock: () => expect.unreachable() })

    const b = await start({ segwitGenesis: true, connect: [a.p2pAddress] })
    await waitForHeight(b, 115, { timeoutMs: 90_000 })
    expect(await getBestBlockHash(b)).toBe(chain[114]!.hash)
    const tx = await b.rpc<{ tx: string[] }>('getblock', [chain[110]!.hash])
    expect(tx.tx).toHaveLength(chain[110]!.txCount)
  })

  it('a bad signature is rejected by a validating bcoin and taken with assumeValidHeight', {
    timeout: 60_000,
  }, async () => {
    const forged = withBadSignature(chain[100]!.raw)
    const hash = hashToHex(sha256d(forged.subarray(0, 80)))
    const blocks: ChainBlock[] = [...chain.slice(0, 100), { height: 101, hash, raw: forged, txCount: 0 }]
    const full = await start({ segwitGenesis: true })
    const err = await submitChain(full, blocks).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ChainSubmitError)
    expect(err).toMatchObject({ code: 'CHAIN_SUBMIT', height: 101, hash })
    expect((err as ChainSubmitError).reason).toMatch(/^rejected: .*(script|sig)/i)
    expect(await getBlockCount(full)).toBe(100)

    const trusting = await start({ segwitGenesis: true, assumeValidHeight: 101 })
    await submitChain(trusting, blocks)
    expect(await getBestBlockHash(trusting)).toBe(hash)
  })

  it('submitChain refuses a node whose chain is not ours', { timeout: 30_000 }, async () => {
    const a = await start({ segwitGenesis: true })
    await a.rpc('generatetoaddress', [2, 'RKxTdfmtxtfLDKZBgx6SvNkBtNu9jRYnLh'])
    await expect(submitChain(a, chain)).rejects.toMatchObject({ code: 'CHAIN_SUBMIT', height: 3 })
  })
})
