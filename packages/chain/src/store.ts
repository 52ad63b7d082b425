/**
 * BlockStore: a crash-safe store for blocks and the header index, in the
 * node's data directory. It deals only in bytes, 32-byte hashes (wire order)
 * and small records; it knows nothing of block or header structure.
 *
 * Layout of `dir` (see store-constants.ts for the record formats):
 *
 * - `blk00000.dat`, `blk00001.dat`, …: append-only block files of at most
 *   128 MiB, as Core's. Each block record carries its hash, a header and a
 *   checksum, so the files alone are enough to rebuild everything else.
 * - `blkindex.dat`: append-only log of fixed 64-byte records, hash → (file,
 *   offset, size, height, flags). It is a cache of the block files: loaded into
 *   memory on open, and whatever the block files hold beyond its last record
 *   is found again by scanning them.
 * - `headers.dat`: append-only log of fixed 128-byte header records (hash,
 *   80-byte header, height, status); a later record for the same hash wins.
 * - `tip.dat`: the best tip, replaced atomically.
 * - `LOCK`: the pid of the process that has the store open.
 *
 * Durability. putBlock() resolves only after the block record is written and
 * its file fdatasync'ed ("acknowledged"); writes queued meanwhile share the
 * next fdatasync (group commit). The index record is written after that, and
 * needs no fsync of its own: if it is lost, the scan at the next open rebuilds
 * it from the block file. putHeaders() resolves after its records are
 * fdatasync'ed; setTip() after the new tip.dat is renamed into place.
 *
 * Recovery on open. A crash can leave only a torn tail: a partial record at
 * the end of a block file, the index or the header log. Every record has a
 * checksum, so the tail is recognised and cut off; no acknowledged record is
 * ever at risk because nothing is acknowledged before it is durable, and
 * nothing is written after it except further appends.
 *
 * Over 600 lines, for a reason: one storage format (block files, index, header
 * log, tip) whose crash recovery reads all of it at open.
 */
import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { AbortError, type Logger, Service, silentLogger } from '@node/runtime'
import {
  BLOCK_FILE_MAX_SIZE,
  BLOCK_FILE_RE,
  BLOCK_RECORD_HEADER,
  blockFileName,
  HEADER_LOG_COMPACT_MIN,
  HEADER_RECORD,
  HEADERS_FILE,
  INDEX_FILE,
  INDEX_RECORD,
  MAX_HEADERS_PER_CALL,
  MAX_PENDING_BYTES,
  MAX_PENDING_WRITES,
  MAX_STORED_BLOCK_SIZE,
  NO_HEIGHT,
  SCAN_CHUNK_SIZE,
  TIP_FILE,
  TOMBSTONE,
} from './store-constants.ts'
import {
  BlockCorruptError,
  StoreArgumentError,
  StoreBusyError,
  StoreClosedError,
  StoreCorruptionError,
  StoreWriteError,
} from './store-errors.ts'
import { acquireLock, checkWritable, fsyncDir, readAt, releaseLock, writeFileAtomic } from './store-files.ts'
import {
  blockRecordIntact,
  decodeBlockRecordHeader,
  decodeIndexRecord,
  decodeTip,
  encodeBlockRecordHeader,
  encodeHeaderRecord,
  encodeIndexRecord,
  encodeTip,
  headerRecordIntact,
  heightFromDisk,
  heightToDisk,
  type IndexEntry,
} from './store-format.ts'

export interface BlockStoreComponents {
  logger?: Logger | undefined
}

export interface BlockStoreInit {
  /** Directory of the store, e.g. `<datadir>/blocks`. Created if missing. */
  dir: string
  /** Largest block file in bytes (default 128 MiB). Small values are for tests. */
  maxFileSize?: number | undefined
  /**
   * Core -reindex: at the first start, forget the block index, the stored
   * headers and the tip, and index the block files again from their bytes.
   */
  reindex?: boolean | undefined
}

/** Small facts stored with a block. */
export interface BlockMeta {
  /** Height in the chain, if known. */
  height?: number | undefined
  /** 32 bits for the caller (e.g. "checked"); 0 if not given. */
  flags?: number | undefined
  /** Number of transactions in the block, if known (kept in the index, for the chain's tx counts). */
  txCount?: number | undefined
}

export interface BlockInfo {
  /** Length of the block bytes. */
  size: number
  height: number | undefined
  flags: number
  /** Transactions in the block; undefined when the index does not know (a block found by a scan). */
  txCount: number | undefined
}

/** A header index record as given to putHeaders(). */
export interface HeaderRecord {
  /** Block hash, 32 bytes, wire order. */
  hash: Uint8Array
  /** The 80-byte block header. */
  header80: Uint8Array
  height: number
  /** 32 bits for the caller (e.g. "invalid", "have data"); 0 if not given. */
  status?: number | undefined
}

/** A header index record as loaded by loadHeaders(). */
export interface StoredHeader {
  hash: Uint8Array
  header80: Uint8Array
  height: number
  status: number
}

export interface Tip {
  hash: Uint8Array
  height: number
}

/** What the last start() found and repaired. */
export interface RecoveryReport {
  /** Files whose torn tail was cut off, with the number of bytes removed. */
  truncated: { file: string; bytes: number }[]
  /** Blocks found in block files beyond the index's last record, and indexed again. */
  reindexedBlocks: number
  /** Index entries dropped because their block file is missing or too short. */
  droppedIndexEntries: number
  /** Unindexed block records skipped by the scan because they failed their checksum. */
  corruptBlockRecords: number
  /** Header records that loadHeaders() skipped because they failed their checksum. */
  corruptHeaderRecords: number
  /** True when tip.dat failed its checksum and was ignored. */
  tipLost: boolean
}

interface PendingWrite {
  key: string
  hash: Uint8Array
  bytes: Uint8Array
  /** The block record header, checksum included, computed when queued. */
  header: Uint8Array
  height: number
  flags: number
  txCount: number
  resolve: () => void
  reject: (err: unknown) => void
}

interface ReaderEntry {
  fh: Promise<FileHandle>
  users: number
}

/** Per-slot columns of the in-memory index. */
const COLS = 6
const C_FILE = 0
const C_OFFSET = 1
const C_SIZE = 2
const C_HEIGHT = 3
const C_FLAGS = 4
const C_TXCOUNT = 5

/** Idle read handles kept open on block files (recent files are read most). */
const READ_HANDLES = 8

function keyOf(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1')
}

function checkHash(hash: unknown, what: string): asserts hash is Uint8Array {
  if (!(hash instanceof Uint8Array) || hash.length !== 32) {
    throw new StoreArgumentError(`${what} must be a Uint8Array of 32 bytes.`)
  }
}

function checkU32(x: unknown, what: string, max = 0xffff_ffff): asserts x is number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > max) {
    throw new StoreArgumentError(`${what} must be an integer from 0 to ${max}, got ${String(x)}.`)
  }
}

function errCode(err: unknown): string | undefined {
  return (err as { code?: string } | undefined)?.code
}

/** Write every byte of `bufs` at `position`, or throw. */
async function writeFully(fh: FileHandle, bufs: Uint8Array[], position: number): Promise<void> {
  let total = 0
  for (const b of bufs) total += b.length
  const { bytesWritten } = await fh.writev(bufs, position)
  if (bytesWritten !== total) {
    // Rare short write: finish it with plain writes.
    let done = bytesWritten
    const all = Buffer.concat(bufs)
    while (done < total) {
      const r = await fh.write(all, done, total - done, position + done)
      if (r.bytesWritten === 0) throw new Error(`Short write: ${done} of ${total} bytes.`)
      done += r.bytesWritten
    }
  }
}

/** Open for reading and writing, creating the file (and making its name durable) if needed. */
async function openRW(dir: string, name: string): Promise<FileHandle> {
  const path = join(dir, name)
  try {
    return await open(path, 'r+')
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw err
  }
  const fh = await open(path, 'w+')
  await fsyncDir(dir)
  return fh
}

/**
 * Crash-safe store of blocks, the header index and the tip. A Service: start()
 * opens (and repairs) it, stop() makes everything durable and closes it.
 */
export class BlockStore extends Service {
  readonly #log: Logger
  readonly #dir: string
  readonly #maxFileSize: number

  // In-memory block index: hash key → slot in #cols. It mirrors blkindex.dat,
  // so it is bounded by the number of blocks stored, which the caller decides
  // (the best chain's blocks); there is no eviction because it is not a cache.
  #keys = new Map<string, number>()
  /** Reindex at the next start (the first only). */
  #reindex: boolean
  #cols = new Uint32Array(COLS * 1024)
  #slots = 0

  #cur: FileHandle | undefined
  #curFile = 0
  #curSize = 0
  /** Bytes in the block files before the current one. */
  #closedSize = 0
  #index: FileHandle | undefined
  #indexSize = 0
  #headers: FileHandle | undefined
  #headersSize = 0
  #tip: Tip | undefined
  #locked = false

  // Block writes waiting to be made durable. Bounded by MAX_PENDING_WRITES and
  // MAX_PENDING_BYTES: beyond them putBlock() rejects with StoreBusyError.
  #queue: PendingWrite[] = []
  #pending = new Map<string, Promise<void>>()
  #pendingBytes = 0
  #writer: Promise<void> | undefined
  #failed: unknown
  // Serialise appends to each log and replacements of tip.dat.
  #indexChain: Promise<void> = Promise.resolve()
  #headerChain: Promise<unknown> = Promise.resolve()
  #tipChain: Promise<unknown> = Promise.resolve()
  // Reads in flight, awaited by stop(). At most one per caller's pending getBlock().
  #reads = new Set<Promise<unknown>>()
  // Read handles of block files, least recently used first. At most
  // READ_HANDLES idle ones are kept; busy ones are never closed under a read.
  #readHandles = new Map<number, ReaderEntry>()
  #closing = new Set<Promise<void>>()

  #recovery: RecoveryReport = emptyReport()

  constructor(components: BlockStoreComponents, init: BlockStoreInit) {
    super()
    this.#log = (components.logger ?? silentLogger).child({ component: 'blockstore' })
    this.#dir = resolve(init.dir)
    const max = init.maxFileSize ?? BLOCK_FILE_MAX_SIZE
    checkU32(max, 'maxFileSize', BLOCK_FILE_MAX_SIZE)
    this.#maxFileSize = max
    this.#reindex = init.reindex === true
  }

  /** Absolute path of the store's directory. */
  get dir(): string {
    return this.#dir
  }

  /** What the last start() repaired (and loadHeaders() skipped). */
  get lastRecovery(): RecoveryReport {
    return structuredClone(this.#recovery)
  }

  /** Number of blocks stored (acknowledged). */
  get blockCount(): number {
    return this.#keys.size
  }

  /** Bytes in the block files (Core's CalculateCurrentUsage, for getblockchaininfo size_on_disk). */
  get sizeOnDisk(): number {
    return this.#closedSize + this.#curSize
  }

  // --- lifecycle ------------------------------------------------------------------

  protected async onStart(signal: AbortSignal): Promise<void> {
    this.#reset()
    const check = (): void => {
      if (signal.aborted) throw new AbortError('Opening the block store was aborted.')
    }
    await mkdir(this.#dir, { recursive: true })
    await acquireLock(this.#dir)
    this.#locked = true
    // The LOCK file may be a stale one we could overwrite in a directory we
    // cannot create files in: find out now, not at the first block.
    await checkWritable(this.#dir)
    check()
    if (this.#reindex) {
      this.#reindex = false
      for (const f of [INDEX_FILE, HEADERS_FILE, TIP_FILE]) await rm(join(this.#dir, f), { force: true })
      this.#log.info({ dir: this.#dir }, 'Reindexing: the block files are indexed again from their bytes.')
    }
    await this.#loadIndex()
    check()
    await this.#scanBlockFiles()
    check()
    await this.#openHeaders()
    await this.#loadTip()
    const r = this.#recovery
    const repaired = r.truncated.length > 0 || r.reindexedBlocks > 0 || r.droppedIndexEntries > 0
    this.#log[repaired ? 'warn' : 'info'](
      {
        dir: this.#dir,
        blocks: this.#keys.size,
        truncated: r.truncated,
        reindexedBlocks: r.reindexedBlocks,
        droppedIndexEntries: r.droppedIndexEntries,
      },
      repaired ? 'Opened the block store and repaired what a crash left behind.' : 'Opened the block store.',
    )
  }

  protected async onStop(): Promise<void> {
    // New calls are refused (status is 'stopping'); finish what was accepted.
    // The write queue is bounded (MAX_PENDING_BYTES), so this is bounded too.
    // Reads first: a read that finds corruption appends to the index.
    await Promise.allSettled([...this.#reads])
    await this.#closeReaders()
    while (this.#writer) await this.#writer
    await this.#headerChain.catch(() => {})
    await this.#tipChain.catch(() => {})
    await this.#indexChain.catch(() => {})
    for (const fh of [this.#index, this.#headers, this.#cur]) {
      if (!fh) continue
      try {
        await fh.datasync()
      } catch (err) {
        this.#log.error({ err }, 'Could not flush a block store file while closing.')
      }
      await fh.close().catch(() => {})
    }
    this.#cur = this.#index = this.#headers = undefined
    if (this.#locked) {
      this.#locked = false
      // A directory that refuses writes also refuses removing LOCK; a stale
      // LOCK is taken over at the next start, so closing goes on.
      await releaseLock(this.#dir).catch((err: unknown) =>
        this.#log.error({ err }, 'Could not remove the block store lock file.'),
      )
    }
    this.#keys = new Map()
    this.#slots = 0
    this.#log.info({ dir: this.#dir }, 'Closed the block store.')
  }

  #reset(): void {
    this.#keys = new Map()
    this.#cols = new Uint32Array(COLS * 1024)
    this.#slots = 0
    this.#curFile = this.#curSize = this.#indexSize = this.#headersSize = 0
    this.#tip = undefined
    this.#failed = undefined
    this.#indexChain = Promise.resolve()
    this.#headerChain = Promise.resolve()
    this.#tipChain = Promise.resolve()
    this.#recovery = emptyReport()
  }

  #assertOpen(what: string): void {
    if (this.status !== 'started') throw new StoreClosedError(what)
  }

  // --- blocks ------------------------------------------------------------------------

  /**
   * Store a block. Resolves once it is durable: after that a crash, even a
   * power cut, does not lose it. Storing a hash already stored (or being
   * stored) is a no-op that resolves when that copy is durable. Do not modify
   * `bytes` before the promise settles.
   */
  putBlock(hash: Uint8Array, bytes: Uint8Array, meta?: BlockMeta): Promise<void> {
    let height: number
    let flags: number
    let txCount: number
    try {
      this.#assertOpen('store a block')
      checkHash(hash, 'hash')
      if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_STORED_BLOCK_SIZE) {
        throw new StoreArgumentError(
          `A block must be a Uint8Array of 1 to ${MAX_STORED_BLOCK_SIZE} bytes, got ${bytes?.length}.`,
        )
      }
      height = heightToDisk(meta?.height)
      if (meta?.height !== undefined) checkU32(meta.height, 'height', NO_HEIGHT - 1)
      flags = meta?.flags ?? 0
      checkU32(flags, 'flags')
      txCount = meta?.txCount ?? 0
      checkU32(txCount, 'txCount')
      if (this.#failed !== undefined) {
        throw new StoreWriteError('An earlier write failed; restart the block store.', {
          cause: this.#failed,
        })
      }
    } catch (err) {
      return Promise.reject(err)
    }
    const key = keyOf(hash)
    if (this.#keys.has(key)) return Promise.resolve()
    const inFlight = this.#pending.get(key)
    if (inFlight) return inFlight
    if (this.#pending.size >= MAX_PENDING_WRITES || this.#pendingBytes + bytes.length > MAX_PENDING_BYTES) {
      return Promise.reject(new StoreBusyError(this.#pending.size, this.#pendingBytes))
    }
    // Checksum now, on the caller's turn: it overlaps the writer's fdatasync
    // of earlier blocks instead of adding to it.
    const header = encodeBlockRecordHeader(hash, bytes, height, flags)
    const p = new Promise<void>((resolve, reject) => {
      this.#queue.push({ key, hash: hash.slice(), bytes, header, height, flags, txCount, resolve, reject })
    })
    this.#pending.set(key, p)
    this.#pendingBytes += bytes.length
    this.#kick()
    return p
  }

  /** True if the block is stored (acknowledged). */
  /** The hashes of every stored block, in no particular order (Core -reindex reads them all). */
  *blockHashes(): IterableIterator<Uint8Array> {
    this.#assertOpen('list the blocks')
    for (const key of this.#keys.keys()) yield new Uint8Array(Buffer.from(key, 'latin1'))
  }

  hasBlock(hash: Uint8Array): boolean {
    this.#assertOpen('look up a block')
    checkHash(hash, 'hash')
    return this.#keys.has(keyOf(hash))
  }

  /** Size, height and flags of a stored block, without reading it. */
  getBlockInfo(hash: Uint8Array): BlockInfo | undefined {
    this.#assertOpen('look up a block')
    checkHash(hash, 'hash')
    const slot = this.#keys.get(keyOf(hash))
    if (slot === undefined) return undefined
    const c = this.#cols
    return {
      size: c[slot * COLS + C_SIZE]!,
      height: heightFromDisk(c[slot * COLS + C_HEIGHT]!),
      flags: c[slot * COLS + C_FLAGS]!,
      txCount: c[slot * COLS + C_TXCOUNT]! || undefined,
    }
  }

  /**
   * Read a stored block, checking it against its checksum. Undefined if it is
   * not stored. A block that fails the check is forgotten (so it can be
   * fetched and stored again) and BlockCorruptError is thrown.
   */
  getBlock(hash: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      this.#assertOpen('read a block')
      checkHash(hash, 'hash')
    } catch (err) {
      return Promise.reject(err)
    }
    const key = keyOf(hash)
    const slot = this.#keys.get(key)
    if (slot === undefined) return Promise.resolve(undefined)
    const c = this.#cols
    const file = c[slot * COLS + C_FILE]!
    const offset = c[slot * COLS + C_OFFSET]!
    const size = c[slot * COLS + C_SIZE]!
    const op = this.#readBlock(key, hash, file, offset, size)
    this.#reads.add(op)
    return op.finally(() => this.#reads.delete(op))
  }

  async #readBlock(
    key: string,
    hash: Uint8Array,
    file: number,
    offset: number,
    size: number,
  ): Promise<Uint8Array> {
    const name = blockFileName(file)
    let rec: Uint8Array
    try {
      const reader = this.#acquireReader(file)
      try {
        rec = await readAt(await reader.fh, offset, BLOCK_RECORD_HEADER + size)
      } finally {
        this.#releaseReader(reader)
      }
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err
      throw this.#corrupt(key, hash, name, 'its block file is missing')
    }
    if (rec.length !== BLOCK_RECORD_HEADER + size)
      throw this.#corrupt(key, hash, name, 'the file is too short')
    const header = rec.subarray(0, BLOCK_RECORD_HEADER)
    const h = decodeBlockRecordHeader(header)
    if (!h) throw this.#corrupt(key, hash, name, 'bad record magic')
    if (h.size !== size || keyOf(h.hash) !== key) {
      throw this.#corrupt(key, hash, name, 'the record does not match the index')
    }
    const block = rec.subarray(BLOCK_RECORD_HEADER)
    if (!blockRecordIntact(header, block)) throw this.#corrupt(key, hash, name, 'checksum mismatch')
    return block
  }

  #acquireReader(file: number): ReaderEntry {
    let h = this.#readHandles.get(file)
    if (h) {
      this.#readHandles.delete(file) // re-inserted below: most recently used last
    } else {
      const fh = open(join(this.#dir, blockFileName(file)), 'r')
      const entry: ReaderEntry = { fh, users: 0 }
      // A failed open must not stay cached.
      fh.catch(() => {
        if (this.#readHandles.get(file) === entry) this.#readHandles.delete(file)
      })
      h = entry
    }
    h.users++
    this.#readHandles.set(file, h)
    return h
  }

  #releaseReader(h: ReaderEntry): void {
    h.users--
    if (this.#readHandles.size <= READ_HANDLES) return
    for (const [file, e] of this.#readHandles) {
      if (this.#readHandles.size <= READ_HANDLES) break
      if (e.users > 0) continue
      this.#readHandles.delete(file)
      this.#closeLater(e)
    }
  }

  #closeLater(e: ReaderEntry): void {
    const p = e.fh.then((fh) => fh.close()).catch(() => {})
    this.#closing.add(p)
    void p.finally(() => this.#closing.delete(p))
  }

  async #closeReaders(): Promise<void> {
    for (const e of this.#readHandles.values()) this.#closeLater(e)
    this.#readHandles.clear()
    await Promise.allSettled([...this.#closing])
  }

  /** Forget a corrupt block (tombstone in the index) and build the error to throw. */
  #corrupt(key: string, hash: Uint8Array, file: string, detail: string): BlockCorruptError {
    const err = new BlockCorruptError(file, hash.slice(), detail)
    if (this.#keys.delete(key)) {
      const buf = new Uint8Array(INDEX_RECORD)
      encodeIndexRecord(
        { hash, file: 0, offset: 0, size: TOMBSTONE, height: NO_HEIGHT, flags: 0, txCount: 0 },
        buf,
        0,
      )
      this.#appendIndex(buf).catch((e: unknown) =>
        this.#log.error({ err: e }, 'Could not record a corrupt block in the index.'),
      )
    }
    this.#log.error({ err }, 'A stored block is corrupt; it will have to be fetched again.')
    return err
  }

  #kick(): void {
    if (this.#writer) return
    this.#writer = this.#drain().finally(() => {
      this.#writer = undefined
      if (this.#queue.length > 0) this.#kick()
    })
  }

  /** Write queued blocks in groups sharing one fdatasync. Never rejects. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#queue.length)
      let error: unknown
      try {
        if (this.#failed !== undefined) throw this.#failed
        await this.#writeBatch(batch)
      } catch (err) {
        if (this.#failed === undefined) {
          this.#failed = err
          this.#log.error({ err }, 'Writing blocks failed; the store refuses writes until restarted.')
        }
        error = new StoreWriteError('Writing the block to disk failed.', { cause: err })
      }
      for (const w of batch) {
        this.#pending.delete(w.key)
        this.#pendingBytes -= w.bytes.length
        if (error === undefined) w.resolve()
        else w.reject(error)
      }
    }
  }

  async #writeBatch(batch: PendingWrite[]): Promise<void> {
    const entries: IndexEntry[] = []
    // Consecutive records go out in one writev (bounded below IOV_MAX).
    let bufs: Uint8Array[] = []
    let bufsAt = this.#curSize
    const flush = async (): Promise<void> => {
      if (bufs.length > 0) await writeFully(this.#cur!, bufs, bufsAt)
      bufs = []
      bufsAt = this.#curSize
    }
    for (const w of batch) {
      const len = BLOCK_RECORD_HEADER + w.bytes.length
      if (this.#curSize > 0 && this.#curSize + len > this.#maxFileSize) {
        await flush()
        await this.#nextFile()
        bufsAt = 0
      }
      bufs.push(w.header, w.bytes)
      entries.push({
        hash: w.hash,
        file: this.#curFile,
        offset: this.#curSize,
        size: w.bytes.length,
        height: w.height,
        flags: w.flags,
        txCount: w.txCount,
      })
      this.#curSize += len
      if (bufs.length >= 512) await flush()
    }
    await flush()
    // The acknowledgement point: the records are on disk.
    await this.#cur!.datasync()
    const buf = new Uint8Array(entries.length * INDEX_RECORD)
    entries.forEach((e, i) => {
      encodeIndexRecord(e, buf, i * INDEX_RECORD)
    })
    for (const e of entries) this.#setEntry(keyOf(e.hash), e)
    // The index record needs no fsync, and the caller need not wait for it:
    // if it is lost, the scan at the next open rebuilds it from the block file.
    this.#appendIndex(buf).catch((err: unknown) => {
      this.#log.error({ err }, 'Could not append to the block index; it is rebuilt at the next start.')
    })
  }

  /** Close the full block file durably and start the next one. */
  async #nextFile(): Promise<void> {
    await this.#cur!.datasync()
    await this.#cur!.close()
    this.#cur = undefined
    this.#curFile++
    this.#closedSize += this.#curSize
    this.#curSize = 0
    this.#cur = await open(join(this.#dir, blockFileName(this.#curFile)), 'w+')
    await fsyncDir(this.#dir)
    // Flushing the index here bounds the scan after a power cut to one file.
    await this.#indexChain
    await this.#index!.datasync()
  }

  /**
   * Append records to blkindex.dat, in call order. After a failed append no
   * further record is written (and no block either): a record after a gap
   * would move the high-water mark past blocks whose records are missing, and
   * the scan at the next open would not find them.
   */
  #appendIndex(buf: Uint8Array): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.#failed !== undefined) throw this.#failed
      try {
        await writeFully(this.#index!, [buf], this.#indexSize)
      } catch (err) {
        this.#failed ??= err
        throw err
      }
      this.#indexSize += buf.length
    }
    const p = this.#indexChain.then(run, run)
    this.#indexChain = p.catch(() => {})
    return p
  }

  #setEntry(key: string, e: IndexEntry): void {
    let slot = this.#keys.get(key)
    if (slot === undefined) {
      slot = this.#slots++
      if (slot * COLS >= this.#cols.length) {
        const bigger = new Uint32Array(this.#cols.length * 2)
        bigger.set(this.#cols)
        this.#cols = bigger
      }
      this.#keys.set(key, slot)
    }
    const c = this.#cols
    const at = slot * COLS
    c[at + C_FILE] = e.file
    c[at + C_OFFSET] = e.offset
    c[at + C_SIZE] = e.size
    c[at + C_HEIGHT] = e.height
    c[at + C_FLAGS] = e.flags
    c[at + C_TXCOUNT] = e.txCount
  }

  // --- opening: index and block files ------------------------------------------------------

  /** Load blkindex.dat; cut it at the first record that fails its CRC. */
  async #loadIndex(): Promise<void> {
    const fh = await openRW(this.#dir, INDEX_FILE)
    this.#index = fh
    const size = (await fh.stat()).size
    const chunk = Math.floor(SCAN_CHUNK_SIZE / INDEX_RECORD) * INDEX_RECORD
    let good = 0
    scan: for (let pos = 0; pos < size; pos += chunk) {
      const buf = await readAt(fh, pos, Math.min(chunk, size - pos))
      for (let at = 0; at + INDEX_RECORD <= buf.length; at += INDEX_RECORD) {
        const e = decodeIndexRecord(buf.subarray(at, at + INDEX_RECORD))
        if (!e) break scan
        const key = keyOf(e.hash)
        if (e.size === TOMBSTONE) this.#keys.delete(key)
        else this.#setEntry(key, e)
        good = pos + at + INDEX_RECORD
      }
      if (buf.length % INDEX_RECORD !== 0) break
    }
    if (good < size) await this.#truncate(fh, INDEX_FILE, good, size)
    this.#indexSize = good
  }

  /**
   * Check the index against the block files, then scan the block files from
   * the index's high-water mark: records written but not yet indexed when the
   * process died are indexed again; a torn record ends its file.
   */
  async #scanBlockFiles(): Promise<void> {
    const files: number[] = []
    for (const name of await readdir(this.#dir)) {
      const m = BLOCK_FILE_RE.exec(name)
      if (m?.[1]) files.push(Number.parseInt(m[1], 10))
    }
    files.sort((a, b) => a - b)
    const sizes = new Map<number, number>()
    for (const n of files) sizes.set(n, (await stat(join(this.#dir, blockFileName(n)))).size)

    // Drop entries whose bytes are not there, and find the high-water mark.
    let hwFile = -1
    let hwEnd = 0
    const c = this.#cols
    for (const [key, slot] of this.#keys) {
      const file = c[slot * COLS + C_FILE]!
      const end = c[slot * COLS + C_OFFSET]! + BLOCK_RECORD_HEADER + c[slot * COLS + C_SIZE]!
      const have = sizes.get(file)
      if (have === undefined || end > have) {
        this.#keys.delete(key)
        this.#recovery.droppedIndexEntries++
        continue
      }
      if (file > hwFile || (file === hwFile && end > hwEnd)) {
        hwFile = file
        hwEnd = end
      }
    }
    if (this.#recovery.droppedIndexEntries > 0) {
      this.#log.error(
        { dropped: this.#recovery.droppedIndexEntries },
        'Index entries point past the end of their block files; those blocks were dropped.',
      )
    }

    const found: IndexEntry[] = []
    for (const n of files) {
      if (n < hwFile) continue
      await this.#scanFile(n, n === hwFile ? hwEnd : 0, sizes.get(n)!, found)
    }
    if (found.length > 0) {
      const buf = new Uint8Array(found.length * INDEX_RECORD)
      found.forEach((e, i) => {
        encodeIndexRecord(e, buf, i * INDEX_RECORD)
      })
      await this.#appendIndex(buf)
      await this.#index!.datasync()
      this.#recovery.reindexedBlocks = found.length
    }

    // Append to the last block file, or start the first one.
    const last = files.length > 0 ? files[files.length - 1]! : 0
    this.#curFile = last
    this.#cur = await openRW(this.#dir, blockFileName(last))
    this.#curSize = (await this.#cur.stat()).size
    // Sizes again: the scan may have cut a torn tail.
    this.#closedSize = 0
    for (const n of files) {
      if (n !== last) this.#closedSize += (await stat(join(this.#dir, blockFileName(n)))).size
    }
  }

  /**
   * Index the records of block file `n` from `from` on. The first record
   * that is not whole ends the file: it and everything after it are cut (a
   * torn tail). A whole record that fails its checksum while a good record
   * follows it is damage, not a tail: it is skipped, counted and logged.
   */
  async #scanFile(n: number, from: number, size: number, found: IndexEntry[]): Promise<void> {
    const name = blockFileName(n)
    const fh = await open(join(this.#dir, name), 'r+')
    /** The record header at `pos`, if it is a plausible one that fits in the file. */
    const headerAt = async (pos: number) => {
      if (pos + BLOCK_RECORD_HEADER > size) return undefined
      const header = await readAt(fh, pos, BLOCK_RECORD_HEADER)
      const h = decodeBlockRecordHeader(header)
      if (!h || h.size === 0 || h.size > MAX_STORED_BLOCK_SIZE) return undefined
      if (pos + BLOCK_RECORD_HEADER + h.size > size) return undefined
      return { header, h }
    }
    try {
      let pos = from
      let at = await headerAt(pos)
      while (at) {
        const { header, h } = at
        const end = pos + BLOCK_RECORD_HEADER + h.size
        const block = await readAt(fh, pos + BLOCK_RECORD_HEADER, h.size)
        const intact = blockRecordIntact(header, block)
        const next = end < size ? await headerAt(end) : undefined
        if (intact) {
          const e: IndexEntry = {
            hash: h.hash.slice(),
            file: n,
            offset: pos,
            size: h.size,
            height: h.height,
            flags: h.flags,
            txCount: 0,
          }
          this.#setEntry(keyOf(e.hash), e)
          found.push(e)
        } else if (next) {
          this.#recovery.corruptBlockRecords++
          this.#log.error(
            { err: new StoreCorruptionError(name, `The block record at offset ${pos} failed its checksum.`) },
            'Skipped a damaged block record; that block will have to be fetched again.',
          )
        } else {
          break // a torn last record
        }
        pos = end
        at = next
      }
      if (pos < size) await this.#truncate(fh, name, pos, size)
      // The recovered records are indexed next; make them durable first.
      if (found.length > 0) await fh.datasync()
    } finally {
      await fh.close()
    }
  }

  async #truncate(fh: FileHandle, name: string, to: number, from: number): Promise<void> {
    await fh.truncate(to)
    await fh.datasync()
    this.#recovery.truncated.push({ file: name, bytes: from - to })
    this.#log.warn({ file: name, from, to }, 'Cut a torn record off the end of a store file.')
  }

  // --- headers ---------------------------------------------------------------------

  /** Open headers.dat and cut a torn tail: a partial record, or whole records failing their CRC. */
  async #openHeaders(): Promise<void> {
    const fh = await openRW(this.#dir, HEADERS_FILE)
    this.#headers = fh
    const size = (await fh.stat()).size
    let end = size - (size % HEADER_RECORD)
    while (end > 0) {
      const r = await readAt(fh, end - HEADER_RECORD, HEADER_RECORD)
      if (headerRecordIntact(r)) break
      end -= HEADER_RECORD
    }
    if (end < size) await this.#truncate(fh, HEADERS_FILE, end, size)
    this.#headersSize = end
  }

  /**
   * Append header index records; resolves once they are durable. A record for
   * a hash already stored replaces it when loaded (use this to update height
   * or status).
   */
  putHeaders(records: readonly HeaderRecord[]): Promise<void> {
    let buf: Uint8Array
    try {
      this.#assertOpen('store headers')
      if (!Array.isArray(records) || records.length > MAX_HEADERS_PER_CALL) {
        throw new StoreArgumentError(
          `putHeaders() takes an array of at most ${MAX_HEADERS_PER_CALL} records.`,
        )
      }
      buf = new Uint8Array(records.length * HEADER_RECORD)
      records.forEach((r, i) => {
        checkHash(r.hash, `records[${i}].hash`)
        if (!(r.header80 instanceof Uint8Array) || r.header80.length !== 80) {
          throw new StoreArgumentError(`records[${i}].header80 must be a Uint8Array of 80 bytes.`)
        }
        checkU32(r.height, `records[${i}].height`, NO_HEIGHT - 1)
        const status = r.status ?? 0
        checkU32(status, `records[${i}].status`)
        encodeHeaderRecord(r.hash, r.header80, r.height, status, buf, i * HEADER_RECORD)
      })
    } catch (err) {
      return Promise.reject(err)
    }
    if (buf.length === 0) return Promise.resolve()
    return this.#serialHeaders(async () => {
      try {
        await writeFully(this.#headers!, [buf], this.#headersSize)
        await this.#headers!.datasync()
      } catch (err) {
        // Put the file back as it was, so the next append is not after garbage.
        await this.#headers!.truncate(this.#headersSize).catch(() => {})
        throw new StoreWriteError('Writing header records failed.', { cause: err })
      }
      this.#headersSize += buf.length
    })
  }

  /**
   * Every stored header record, once per hash (the latest record wins), in the
   * order each hash was first stored: parents before children if they were
   * stored that way. Records failing their checksum are skipped and counted in
   * `lastRecovery.corruptHeaderRecords`; their headers must be fetched again.
   */
  loadHeaders(): Promise<StoredHeader[]> {
    try {
      this.#assertOpen('load headers')
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#serialHeaders(async () => {
      const fh = this.#headers!
      const size = this.#headersSize
      const chunk = Math.floor(SCAN_CHUNK_SIZE / HEADER_RECORD) * HEADER_RECORD
      const out: StoredHeader[] = []
      const at = new Map<string, number>()
      let records = 0
      let corrupt = 0
      for (let pos = 0; pos < size; pos += chunk) {
        const buf = await readAt(fh, pos, Math.min(chunk, size - pos))
        const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
        for (let o = 0; o + HEADER_RECORD <= buf.length; o += HEADER_RECORD) {
          const r = buf.subarray(o, o + HEADER_RECORD)
          if (!headerRecordIntact(r)) {
            corrupt++
            continue
          }
          records++
          const rec: StoredHeader = {
            hash: r.subarray(0, 32),
            header80: r.subarray(32, 112),
            height: v.getUint32(o + 112, true),
            status: v.getUint32(o + 116, true),
          }
          const key = keyOf(rec.hash)
          const i = at.get(key)
          if (i === undefined) {
            at.set(key, out.length)
            out.push(rec)
          } else {
            out[i] = rec
          }
        }
      }
      if (corrupt > 0) {
        this.#recovery.corruptHeaderRecords = corrupt
        this.#log.error(
          { err: new StoreCorruptionError(HEADERS_FILE, `${corrupt} header records failed their checksum.`) },
          'Skipped corrupt header records; those headers must be fetched again.',
        )
      }
      if (records > HEADER_LOG_COMPACT_MIN && (records > 2 * out.length || corrupt > 0)) {
        await this.#compactHeaders(out)
      }
      return out
    })
  }

  /** Rewrite headers.dat with one record per hash (atomically: temp file, fsync, rename). */
  async #compactHeaders(records: StoredHeader[]): Promise<void> {
    const buf = new Uint8Array(records.length * HEADER_RECORD)
    records.forEach((r, i) => {
      encodeHeaderRecord(r.hash, r.header80, r.height, r.status, buf, i * HEADER_RECORD)
    })
    const tmp = `${HEADERS_FILE}.tmp`
    const fh = await open(join(this.#dir, tmp), 'w+')
    try {
      await writeFully(fh, [buf], 0)
      await fh.datasync()
    } catch (err) {
      await fh.close()
      await rm(join(this.#dir, tmp), { force: true })
      throw err
    }
    await rename(join(this.#dir, tmp), join(this.#dir, HEADERS_FILE))
    await fsyncDir(this.#dir)
    await this.#headers?.close()
    this.#headers = fh
    this.#headersSize = buf.length
    this.#log.info({ records: records.length }, 'Compacted the header log.')
  }

  #serialHeaders<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#headerChain.then(fn, fn)
    this.#headerChain = p.catch(() => {})
    return p
  }

  // --- tip -----------------------------------------------------------------------------

  async #loadTip(): Promise<void> {
    await rm(join(this.#dir, `${TIP_FILE}.tmp`), { force: true })
    let raw: Uint8Array
    try {
      raw = await readFile(join(this.#dir, TIP_FILE))
    } catch (err) {
      if (errCode(err) === 'ENOENT') return
      throw err
    }
    const tip = decodeTip(raw)
    if (tip) {
      this.#tip = tip
      return
    }
    this.#recovery.tipLost = true
    this.#log.error(
      { err: new StoreCorruptionError(TIP_FILE, 'tip.dat failed its checksum.') },
      'The stored tip is unreadable and was ignored; the best chain is found again from the headers.',
    )
  }

  /** Record the best tip; resolves once it is durable. */
  setTip(hash: Uint8Array, height: number): Promise<void> {
    let data: Uint8Array
    try {
      this.#assertOpen('set the tip')
      checkHash(hash, 'hash')
      checkU32(height, 'height', NO_HEIGHT - 1)
      data = encodeTip(hash, height)
    } catch (err) {
      return Promise.reject(err)
    }
    const tip = { hash: hash.slice(), height }
    const run = async (): Promise<void> => {
      try {
        await writeFileAtomic(this.#dir, TIP_FILE, data)
      } catch (err) {
        throw new StoreWriteError('Writing the tip failed.', { cause: err })
      }
      this.#tip = tip
    }
    const p = this.#tipChain.then(run, run)
    this.#tipChain = p.catch(() => {})
    return p
  }

  /** The last tip set (durably), or undefined if none. */
  getTip(): Tip | undefined {
    this.#assertOpen('read the tip')
    return this.#tip ? { hash: this.#tip.hash.slice(), height: this.#tip.height } : undefined
  }
}

function emptyReport(): RecoveryReport {
  return {
    truncated: [],
    reindexedBlocks: 0,
    droppedIndexEntries: 0,
    corruptBlockRecords: 0,
    corruptHeaderRecords: 0,
    tipLost: false,
  }
}
