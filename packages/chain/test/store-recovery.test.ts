/**
 * Damage a crash (or a disk) can leave, made by hand on the files, and what
 * the store does about it on the next open.
 */
import { spawnSync } from 'node:child_process'
import {
  appendFile,
  open as openFile,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises'
import { join } from 'node:path'
import { startableSuite } from '@node/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BlockStore } from '../src/index.ts'
import { makeBlock, pseudoBytes, sha256, tempDir } from './store-helpers.ts'

let dir: string
let cleanup: () => Promise<void>
const open: BlockStore[] = []

async function openStore(): Promise<BlockStore> {
  const s = new BlockStore({}, { dir })
  open.push(s)
  await s.start()
  return s
}

beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
})

afterEach(async () => {
  for (const s of open.splice(0)) await s.stop()
  await cleanup()
})

const blocks = Array.from({ length: 5 }, (_, i) => makeBlock(700 + i))

/** A store holding `blocks` (heights 0..4), closed. */
async function fiveBlocks(): Promise<void> {
  const s = await openStore()
  for (const [i, b] of blocks.entries()) await s.putBlock(b.hash, b.bytes, { height: i, flags: 1 })
  await s.stop()
}

async function expectAllBlocks(s: BlockStore): Promise<void> {
  for (const [i, b] of blocks.entries()) {
    expect(await s.getBlock(b.hash)).toEqual(b.bytes)
    expect(s.getBlockInfo(b.hash)).toEqual({ size: b.bytes.length, height: i, flags: 1 })
  }
}

const blk0 = (): string => join(dir, 'blk00000.dat')

/** Flip one bit inside a stored block's bytes, found by content. */
async function flipByteOf(block: { bytes: Uint8Array }): Promise<void> {
  const file = await readFile(blk0())
  const at = file.indexOf(Buffer.from(block.bytes.subarray(0, 64)))
  expect(at).toBeGreaterThan(0)
  const fh = await openFile(blk0(), 'r+')
  await fh.write(Uint8Array.of(file[at + 100]! ^ 0x01), 0, 1, at + 100)
  await fh.close()
}

describe('BlockStore recovery: block files and index', () => {
  it('cuts a torn block record off the end of a block file', async () => {
    await fiveBlocks()
    const good = (await stat(blk0())).size
    // The first 3,000 bytes of a record for a new block: header and part of the bytes.
    const torn = await (async () => {
      const { dir: other, cleanup: done } = await tempDir()
      const t = new BlockStore({}, { dir: other })
      const b = makeBlock(999, 10_000)
      await t.start()
      await t.putBlock(b.hash, b.bytes)
      await t.stop()
      const bytes = (await readFile(join(other, 'blk00000.dat'))).subarray(0, 3000)
      await done()
      return bytes
    })()
    await appendFile(blk0(), torn)
    const s = await openStore()
    expect(s.lastRecovery.truncated).toEqual([{ file: 'blk00000.dat', bytes: 3000 }])
    expect((await stat(blk0())).size).toBe(good)
    expect(s.blockCount).toBe(5)
    await expectAllBlocks(s)
    // Appends continue cleanly after the cut.
    const more = makeBlock(1234)
    await s.putBlock(more.hash, more.bytes)
    await s.stop()
    const again = await openStore()
    expect(again.lastRecovery.truncated).toEqual([])
    expect(await again.getBlock(more.hash)).toEqual(more.bytes)
  })

  it('cuts a zero-filled tail (file extended, data never written)', async () => {
    await fiveBlocks()
    await appendFile(blk0(), new Uint8Array(4096))
    const s = await openStore()
    expect(s.lastRecovery.truncated).toEqual([{ file: 'blk00000.dat', bytes: 4096 }])
    await expectAllBlocks(s)
  })

  it('rebuilds a lost index from the block files', async () => {
    await fiveBlocks()
    await rm(join(dir, 'blkindex.dat'))
    const s = await openStore()
    expect(s.lastRecovery.reindexedBlocks).toBe(5)
    await expectAllBlocks(s)
    await s.stop()
    const again = await openStore()
    expect(again.lastRecovery.reindexedBlocks).toBe(0)
    await expectAllBlocks(again)
  })

  it('cuts a torn index record and indexes its block again', async () => {
    await fiveBlocks()
    const index = join(dir, 'blkindex.dat')
    await truncate(index, (await stat(index)).size - 10)
    const s = await openStore()
    expect(s.lastRecovery.truncated).toEqual([{ file: 'blkindex.dat', bytes: 54 }])
    expect(s.lastRecovery.reindexedBlocks).toBe(1)
    await expectAllBlocks(s)
  })

  it('drops index entries whose bytes are gone from the block file', async () => {
    await fiveBlocks()
    const last = blocks[4]!
    await truncate(blk0(), (await stat(blk0())).size - 100)
    const s = await openStore()
    expect(s.lastRecovery.droppedIndexEntries).toBe(1)
    expect(s.hasBlock(last.hash)).toBe(false)
    expect(s.blockCount).toBe(4)
    // The cut record's remains are then a torn tail, cut too.
    expect(s.lastRecovery.truncated).toEqual([{ file: 'blk00000.dat', bytes: 56 + last.bytes.length - 100 }])
    await s.putBlock(last.hash, last.bytes, { height: 4, flags: 1 })
    await expectAllBlocks(s)
  })

  it('reports a damaged block with BlockCorruptError and forgets it so it can be stored again', async () => {
    await fiveBlocks()
    const victim = blocks[2]!
    await flipByteOf(victim)

    let s = await openStore()
    await expect(s.getBlock(victim.hash)).rejects.toMatchObject({
      code: 'BLOCK_CORRUPT',
      name: 'BlockCorruptError',
      file: 'blk00000.dat',
    })
    expect(s.hasBlock(victim.hash)).toBe(false)
    expect(await s.getBlock(victim.hash)).toBeUndefined()
    await s.stop()
    // Forgotten durably: still gone after a reopen, the others intact.
    s = await openStore()
    expect(s.hasBlock(victim.hash)).toBe(false)
    for (const b of blocks) if (b !== victim) expect(await s.getBlock(b.hash)).toEqual(b.bytes)
    await s.putBlock(victim.hash, victim.bytes, { height: 2, flags: 1 })
    await expectAllBlocks(s)
  })

  it('skips a damaged record in the middle of a block file when rebuilding the index', async () => {
    await fiveBlocks()
    await rm(join(dir, 'blkindex.dat'))
    await flipByteOf(blocks[2]!)
    const s = await openStore()
    expect(s.lastRecovery.reindexedBlocks).toBe(4)
    expect(s.lastRecovery.corruptBlockRecords).toBe(1)
    expect(s.lastRecovery.truncated).toEqual([])
    expect(s.hasBlock(blocks[2]!.hash)).toBe(false)
    for (const b of blocks) if (b !== blocks[2]) expect(await s.getBlock(b.hash)).toEqual(b.bytes)
  })

  it('cuts a damaged last record when rebuilding the index (it may be a torn tail)', async () => {
    await fiveBlocks()
    await rm(join(dir, 'blkindex.dat'))
    await flipByteOf(blocks[4]!)
    const s = await openStore()
    expect(s.lastRecovery.reindexedBlocks).toBe(4)
    expect(s.lastRecovery.truncated).toEqual([{ file: 'blk00000.dat', bytes: 56 + blocks[4]!.bytes.length }])
  })

  it('refuses a second store on the same directory with StoreLockedError', async () => {
    await openStore()
    const second = new BlockStore({}, { dir })
    await expect(second.start()).rejects.toMatchObject({ code: 'STORE_LOCKED' })
    expect(second.status).toBe('stopped')
  })

  it('takes over the lock of a process that died', async () => {
    await fiveBlocks()
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    await writeFile(join(dir, 'LOCK'), `${dead}\n`)
    const s = await openStore()
    await expectAllBlocks(s)
  })

  it('releases the lock when start() is aborted', async () => {
    const s = new BlockStore({}, { dir })
    await expect(s.start({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' })
    expect(s.status).toBe('stopped')
    const t = await openStore()
    expect(t.blockCount).toBe(0)
  })
})

describe('BlockStore recovery: header log and tip', () => {
  const recs = Array.from({ length: 10 }, (_, i) => {
    const header80 = pseudoBytes(50_000 + i, 80)
    return { hash: sha256(header80), header80, height: i }
  })

  it('cuts a torn header record off the end of the log', async () => {
    let s = await openStore()
    await s.putHeaders(recs)
    await s.stop()
    await appendFile(join(dir, 'headers.dat'), pseudoBytes(1, 200))
    s = await openStore()
    expect(s.lastRecovery.truncated).toEqual([{ file: 'headers.dat', bytes: 200 }])
    expect((await s.loadHeaders()).map((r) => r.height)).toEqual(recs.map((r) => r.height))
    await s.putHeaders([{ ...recs[0]!, status: 4 }])
    await s.stop()
    s = await openStore()
    const loaded = await s.loadHeaders()
    expect(loaded.length).toBe(10)
    expect(loaded[0]!.status).toBe(4)
  })

  it('skips a damaged header record in the middle of the log and counts it', async () => {
    let s = await openStore()
    await s.putHeaders(recs)
    await s.stop()
    const fh = await openFile(join(dir, 'headers.dat'), 'r+')
    await fh.write(Uint8Array.of(0xff), 0, 1, 4 * 128 + 50)
    await fh.close()
    s = await openStore()
    expect(s.lastRecovery.truncated).toEqual([])
    const loaded = await s.loadHeaders()
    expect(loaded.map((r) => r.height)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9])
    expect(s.lastRecovery.corruptHeaderRecords).toBe(1)
  })

  it('ignores a damaged tip.dat and reports it', async () => {
    let s = await openStore()
    await s.setTip(recs[9]!.hash, 9)
    await s.stop()
    const tip = await readFile(join(dir, 'tip.dat'))
    tip[10]! ^= 0xff
    await writeFile(join(dir, 'tip.dat'), tip)
    s = await openStore()
    expect(s.getTip()).toBeUndefined()
    expect(s.lastRecovery.tipLost).toBe(true)
    await s.setTip(recs[9]!.hash, 9)
    expect(s.getTip()?.height).toBe(9)
  })

  it('removes a half-written tip.dat.tmp left by a crash', async () => {
    let s = await openStore()
    await s.setTip(recs[3]!.hash, 3)
    await s.stop()
    await writeFile(join(dir, 'tip.dat.tmp'), pseudoBytes(3, 20))
    s = await openStore()
    expect(s.getTip()?.height).toBe(3)
    expect(await readdir(dir)).not.toContain('tip.dat.tmp')
  })
})

// --- lifecycle ------------------------------------------------------------------------

async function openFds(): Promise<number | undefined> {
  try {
    return (await readdir('/proc/self/fd')).length
  } catch {
    return undefined // not Linux
  }
}

const suiteDirs: (() => Promise<void>)[] = []
startableSuite('BlockStore', {
  setup: async () => {
    const t = await tempDir()
    suiteDirs.push(t.cleanup)
    const subject = new BlockStore({}, { dir: t.dir })
    return {
      subject,
      exercise: async () => {
        const b = makeBlock(42)
        await subject.putBlock(b.hash, b.bytes)
        await subject.getBlock(b.hash)
        await subject.putHeaders([{ hash: b.hash, header80: b.bytes.subarray(0, 80), height: 1 }])
        await subject.loadHeaders()
        await subject.setTip(b.hash, 1)
      },
    }
  },
  teardown: async () => {
    for (const c of suiteDirs.splice(0)) await c()
  },
})

describe('BlockStore file descriptors', () => {
  it('closes every file it opened when stopped', async () => {
    const before = await openFds()
    const s = new BlockStore({}, { dir, maxFileSize: 16 * 1024 })
    await s.start()
    const many = Array.from({ length: 60 }, (_, i) => makeBlock(9000 + i, 3000))
    await Promise.all(many.map((b) => s.putBlock(b.hash, b.bytes)))
    for (const b of many) await s.getBlock(b.hash)
    await s.putHeaders([{ hash: many[0]!.hash, header80: many[0]!.bytes.subarray(0, 80), height: 0 }])
    await s.loadHeaders()
    await s.setTip(many[0]!.hash, 0)
    expect((await readdir(dir)).filter((n) => n.startsWith('blk0')).length).toBeGreaterThan(8)
    await s.stop()
    expect(await openFds()).toBe(before)
    expect(await readdir(dir)).not.toContain('LOCK')
  })
})
