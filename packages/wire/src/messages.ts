/**
 * Every P2P message of protocol 70016: types, payload encoders and strict
 * payload decoders. A decoded message is a discriminated union on `command`.
 *
 * Decoders throw only {@link ProtocolError}s: lists are checked against their
 * protocol maximum and against the bytes that remain before anything is
 * allocated; CompactSizes must be canonical; trailing bytes are an error.
 *
 * Over 600 lines, for a reason: one encoder and decoder per P2P message, a
 * table that reads best in one place.
 */
import { type Block, type BlockHeader, readBlock, readHeader, writeBlock, writeHeader } from './block.ts'
import { Reader, Writer } from './buffer.ts'
import {
  ADDRV2_SIZES,
  MAX_ADDR_TO_SEND,
  MAX_ADDRV2_SIZE,
  MAX_BLOOM_FILTER_SIZE,
  MAX_GETCFHEADERS_SIZE,
  MAX_HASH_FUNCS,
  MAX_HEADERS_RESULTS,
  MAX_INV_SZ,
  MAX_LOCATOR_SZ,
  MAX_REJECT_MESSAGE_LENGTH,
  MAX_SCRIPT_ELEMENT_SIZE,
  MAX_SUBVERSION_LENGTH,
} from './constants.ts'
import {
  BadAddressLengthError,
  EncodeError,
  InvalidValueError,
  ProtocolError,
  TooManyEntriesError,
  TrailingBytesError,
} from './errors.ts'
import type { Hash } from './hash.ts'
import { readTx, type Tx, writeTx } from './tx.ts'

// --- shared shapes ------------------------------------------------------------

/** A v1 network address (26 bytes): services, IPv6 or IPv4-mapped bytes, port. */
export interface NetAddr {
  readonly services: bigint
  /** 16 bytes; IPv4 as `::ffff:a.b.c.d`. */
  readonly ip: Uint8Array
  readonly port: number
}

/** An `addr` entry: a v1 address with its last-seen time. */
export interface AddrEntry extends NetAddr {
  readonly time: number
}

/** An `addrv2` entry (BIP155). */
export interface AddrV2Entry {
  readonly time: number
  readonly services: bigint
  /** BIP155 network id (1 IPv4, 2 IPv6, 3 TorV2, 4 TorV3, 5 I2P, 6 CJDNS). */
  readonly networkId: number
  readonly addr: Uint8Array
  readonly port: number
}

export interface InvItem {
  readonly type: number
  /** Wire order. */
  readonly hash: Hash
}

export interface PrefilledTx {
  /** Absolute index in the block (differentially encoded on the wire). */
  readonly index: number
  readonly tx: Tx
}

// --- the union ----------------------------------------------------------------

export interface VersionMessage {
  readonly command: 'version'
  readonly version: number
  readonly services: bigint
  readonly timestamp: bigint
  readonly addrRecv: NetAddr
  readonly addrFrom: NetAddr
  readonly nonce: bigint
  readonly userAgent: string
  readonly startHeight: number
  /** BIP37 relay flag; undefined when the peer (below 70001) left it out. */
  readonly relay?: boolean | undefined
}

export type Message =
  | VersionMessage
  | { readonly command: 'verack' }
  | { readonly command: 'sendaddrv2' }
  | { readonly command: 'wtxidrelay' }
  | { readonly command: 'sendheaders' }
  | { readonly command: 'getaddr' }
  | { readonly command: 'mempool' }
  | { readonly command: 'filterclear' }
  | { readonly command: 'ping'; readonly nonce: bigint }
  | { readonly command: 'pong'; readonly nonce: bigint }
  | { readonly command: 'feefilter'; readonly feeRate: bigint }
  | { readonly command: 'sendcmpct'; readonly announce: boolean; readonly version: bigint }
  | { readonly command: 'addr'; readonly addresses: readonly AddrEntry[] }
  | {
      readonly command: 'addrv2'
      readonly addresses: readonly AddrV2Entry[]
      /** Entries of unknown networks that were read and skipped (BIP155). */
      readonly skipped?: number | undefined
    }
  | { readonly command: 'inv'; readonly inventory: readonly InvItem[] }
  | { readonly command: 'getdata'; readonly inventory: readonly InvItem[] }
  | { readonly command: 'notfound'; readonly inventory: readonly InvItem[] }
  | {
      readonly command: 'getblocks'
      readonly version: number
      readonly locator: readonly Hash[]
      readonly hashStop: Hash
    }
  | {
      readonly command: 'getheaders'
      readonly version: number
      readonly locator: readonly Hash[]
      readonly hashStop: Hash
    }
  | { readonly command: 'headers'; readonly headers: readonly BlockHeader[] }
  | { readonly command: 'block'; readonly block: Block }
  | { readonly command: 'tx'; readonly tx: Tx }
  | {
      readonly command: 'cmpctblock'
      readonly header: BlockHeader
      readonly nonce: bigint
      /** 6-byte short transaction ids. */
      readonly shortIds: readonly Uint8Array[]
      readonly prefilled: readonly PrefilledTx[]
    }
  | { readonly command: 'getblocktxn'; readonly blockHash: Hash; readonly indexes: readonly number[] }
  | { readonly command: 'blocktxn'; readonly blockHash: Hash; readonly txs: readonly Tx[] }
  | {
      readonly command: 'merkleblock'
      readonly header: BlockHeader
      readonly totalTxs: number
      readonly hashes: readonly Hash[]
      readonly flags: Uint8Array
    }
  | {
      readonly command: 'filterload'
      readonly filter: Uint8Array
      readonly hashFuncs: number
      readonly tweak: number
      readonly flags: number
    }
  | { readonly command: 'filteradd'; readonly data: Uint8Array }
  | {
      readonly command: 'getcfilters'
      readonly filterType: number
      readonly startHeight: number
      readonly stopHash: Hash
    }
  | {
      readonly command: 'cfilter'
      readonly filterType: number
      readonly blockHash: Hash
      readonly filter: Uint8Array
    }
  | {
      readonly command: 'getcfheaders'
      readonly filterType: number
      readonly startHeight: number
      readonly stopHash: Hash
    }
  | {
      readonly command: 'cfheaders'
      readonly filterType: number
      readonly stopHash: Hash
      readonly previousFilterHeader: Hash
      readonly filterHashes: readonly Hash[]
    }
  | { readonly command: 'getcfcheckpt'; readonly filterType: number; readonly stopHash: Hash }
  | {
      readonly command: 'cfcheckpt'
      readonly filterType: number
      readonly stopHash: Hash
      readonly filterHeaders: readonly Hash[]
    }
  | {
      readonly command: 'reject'
      readonly message: string
      readonly code: number
      readonly reason: string
      /** The rejected object's hash, when the message carries one. */
      readonly data?: Hash | undefined
    }

export type Command = Message['command']
/** The message of a given command. */
export type MessageOf<C extends Command> = Extract<Message, { command: C }>

// --- codecs -------------------------------------------------------------------

interface Codec<C extends Command> {
  write(w: Writer, m: MessageOf<C>): void
  read(r: Reader): MessageOf<C>
}

function readNetAddr(r: Reader): NetAddr {
  const services = r.u64le('services')
  const ip = r.bytes(16, 'address')
  const port = r.u16be('port')
  return { services, ip, port }
}

function writeNetAddr(w: Writer, a: NetAddr): void {
  if (a.ip.length !== 16) throw new EncodeError(`A v1 address is 16 bytes, got ${a.ip.length}.`)
  w.u64le(a.services).bytes(a.ip).u16be(a.port)
}

function readInvList(r: Reader, command: string): InvItem[] {
  const n = r.count(
    `${command} count`,
    MAX_INV_SZ,
    36,
    (c) => new TooManyEntriesError(command, c, MAX_INV_SZ),
  )
  const out: InvItem[] = new Array(n)
  for (let i = 0; i < n; i++) out[i] = { type: r.u32le('inv type'), hash: r.bytes(32, 'inv hash') }
  return out
}

function writeInvList(w: Writer, items: readonly InvItem[], command: string): void {
  if (items.length > MAX_INV_SZ) throw new EncodeError(`${command} holds at most ${MAX_INV_SZ} entries.`)
  w.compactSize(items.length)
  for (const it of items) w.u32le(it.type).bytes(checkHash(it.hash))
}

function checkHash(h: Uint8Array): Uint8Array {
  if (h.length !== 32) throw new EncodeError(`A hash is 32 bytes, got ${h.length}.`)
  return h
}

function readLocator<C extends 'getblocks' | 'getheaders'>(r: Reader, command: C): MessageOf<C> {
  const version = r.u32le('version')
  const n = r.count(
    'locator count',
    MAX_LOCATOR_SZ,
    32,
    // Core disconnects without Misbehaving (net_processing.cpp: "getheaders locator size ... > 101").
    (c) => new TooManyEntriesError(`${command} locator`, c, MAX_LOCATOR_SZ, 'disconnect'),
  )
  const locator: Hash[] = new Array(n)
  for (let i = 0; i < n; i++) locator[i] = r.bytes(32, 'locator hash')
  const hashStop = r.bytes(32, 'stop hash')
  return { command, version, locator, hashStop } as MessageOf<C>
}

function writeLocator(w: Writer, m: { version: number; locator: readonly Hash[]; hashStop: Hash }): void {
  if (m.locator.length > MAX_LOCATOR_SZ)
    throw new EncodeError(`A locator holds at most ${MAX_LOCATOR_SZ} hashes.`)
  w.u32le(m.version >>> 0).compactSize(m.locator.length)
  for (const h of m.locator) w.bytes(checkHash(h))
  w.bytes(checkHash(m.hashStop))
}

function readHashList(r: Reader, what: string, max: number): Hash[] {
  const n = r.count(what, max, 32, (c) => new TooManyEntriesError(what, c, max))
  const out: Hash[] = new Array(n)
  for (let i = 0; i < n; i++) out[i] = r.bytes(32, what)
  return out
}

function writeHashList(w: Writer, hashes: readonly Hash[]): void {
  w.compactSize(hashes.length)
  for (const h of hashes) w.bytes(checkHash(h))
}

const BIP155_NAMES: Readonly<Record<number, string>> = {
  1: 'IPv4',
  2: 'IPv6',
  3: 'TORv2',
  4: 'TORv3',
  5: 'I2P',
  6: 'CJDNS',
}

/** Differentially encoded indexes (BIP152), as absolute indexes; Core caps them at 16 bits. */
function undiff(prev: number, delta: number): number {
  const index = prev + delta
  if (index > 0xffff) throw new InvalidValueError(`Compact block index ${index} overflows 16 bits.`)
  return index
}

function empty<C extends Command>(command: C): Codec<C> {
  return {
    write() {},
    read: () => ({ command }) as MessageOf<C>,
  }
}

function nonce<C extends 'ping' | 'pong'>(command: C): Codec<C> {
  return {
    write: (w, m) => void w.u64le((m as { nonce: bigint }).nonce),
    read: (r) => ({ command, nonce: r.u64le('nonce') }) as MessageOf<C>,
  }
}

function inv<C extends 'inv' | 'getdata' | 'notfound'>(command: C): Codec<C> {
  return {
    write: (w, m) => writeInvList(w, (m as { inventory: readonly InvItem[] }).inventory, command),
    read: (r) => ({ command, inventory: readInvList(r, command) }) as MessageOf<C>,
  }
}

function cfRange<C extends 'getcfilters' | 'getcfheaders'>(command: C): Codec<C> {
  return {
    write(w, msg) {
      const m = msg as { filterType: number; startHeight: number; stopHash: Hash }
      w.u8(m.filterType).u32le(m.startHeight).bytes(checkHash(m.stopHash))
    },
    read: (r) =>
      ({
        command,
        filterType: r.u8('filter type'),
        startHeight: r.u32le('start height'),
        stopHash: r.bytes(32, 'stop hash'),
      }) as MessageOf<C>,
  }
}

const codecs: { readonly [C in Command]: Codec<C> } = {
  version: {
    write(w, m) {
      const ua = new TextEncoder().encode(m.userAgent)
      if (ua.length > MAX_SUBVERSION_LENGTH)
        throw new EncodeError(`User agent longer than ${MAX_SUBVERSION_LENGTH} bytes.`)
      w.i32le(m.version).u64le(m.services).i64le(m.timestamp)
      writeNetAddr(w, m.addrRecv)
      writeNetAddr(w, m.addrFrom)
      w.u64le(m.nonce).varBytes(ua).i32le(m.startHeight)
      if (m.relay !== undefined) w.u8(m.relay ? 1 : 0)
    },
    read(r) {
      const version = r.i32le('version')
      const services = r.u64le('services')
      const timestamp = r.i64le('timestamp')
      const addrRecv = readNetAddr(r)
      // Core reads the rest only if present; so do we, but a version message
      // that stops inside a field is malformed.
      const addrFrom = readNetAddr(r)
      const nonce = r.u64le('nonce')
      const userAgent = r.varStr('user agent', MAX_SUBVERSION_LENGTH)
      const startHeight = r.i32le('start height')
      let relay: boolean | undefined
      if (r.remaining > 0) relay = r.u8('relay') !== 0
      return {
        command: 'version',
        version,
        services,
        timestamp,
        addrRecv,
        addrFrom,
        nonce,
        userAgent,
        startHeight,
        relay,
      }
    },
  },
  verack: empty('verack'),
  sendaddrv2: empty('sendaddrv2'),
  wtxidrelay: empty('wtxidrelay'),
  sendheaders: empty('sendheaders'),
  getaddr: empty('getaddr'),
  mempool: empty('mempool'),
  filterclear: empty('filterclear'),
  ping: nonce('ping'),
  pong: nonce('pong'),
  feefilter: {
    write: (w, m) => void w.i64le(m.feeRate),
    read: (r) => ({ command: 'feefilter', feeRate: r.i64le('fee rate') }),
  },
  sendcmpct: {
    write: (w, m) => void w.u8(m.announce ? 1 : 0).u64le(m.version),
    read: (r) => ({ command: 'sendcmpct', announce: r.u8('announce') !== 0, version: r.u64le('version') }),
  },
  addr: {
    write(w, m) {
      if (m.addresses.length > MAX_ADDR_TO_SEND)
        throw new EncodeError(`addr holds at most ${MAX_ADDR_TO_SEND} entries.`)
      w.compactSize(m.addresses.length)
      for (const a of m.addresses) {
        w.u32le(a.time)
        writeNetAddr(w, a)
      }
    },
    read(r) {
      const n = r.count(
        'addr count',
        MAX_ADDR_TO_SEND,
        30,
        (c) => new TooManyEntriesError('addr', c, MAX_ADDR_TO_SEND),
      )
      const addresses: AddrEntry[] = new Array(n)
      for (let i = 0; i < n; i++) {
        const time = r.u32le('time')
        const a = readNetAddr(r)
        addresses[i] = { time, services: a.services, ip: a.ip, port: a.port }
      }
      return { command: 'addr', addresses }
    },
  },
  addrv2: {
    write(w, m) {
      if (m.addresses.length > MAX_ADDR_TO_SEND)
        throw new EncodeError(`addrv2 holds at most ${MAX_ADDR_TO_SEND} entries.`)
      w.compactSize(m.addresses.length)
      for (const a of m.addresses) {
        const size = ADDRV2_SIZES[a.networkId]
        if (size !== undefined && a.addr.length !== size) {
          throw new EncodeError(
            `BIP155 network ${a.networkId} addresses are ${size} bytes, got ${a.addr.length}.`,
          )
        }
        if (a.addr.length > MAX_ADDRV2_SIZE) throw new EncodeError('BIP155 address longer than 512 bytes.')
        w.u32le(a.time).compactSize(a.services).u8(a.networkId).varBytes(a.addr).u16be(a.port)
      }
    },
    read(r) {
      // Smallest entry: time 4 ‖ services 1 ‖ id 1 ‖ length 1 ‖ port 2.
      const n = r.count(
        'addrv2 count',
        MAX_ADDR_TO_SEND,
        9,
        (c) => new TooManyEntriesError('addrv2', c, MAX_ADDR_TO_SEND),
      )
      const addresses: AddrV2Entry[] = []
      let skipped = 0
      for (let i = 0; i < n; i++) {
        const time = r.u32le('time')
        const services = r.compactSize64('services')
        const networkId = r.u8('network id')
        const len = r.compactSize('address length')
        if (len > MAX_ADDRV2_SIZE)
          throw new BadAddressLengthError(`Address too long: ${len} > ${MAX_ADDRV2_SIZE}`)
        const expected = ADDRV2_SIZES[networkId]
        if (expected !== undefined && len !== expected) {
          throw new BadAddressLengthError(
            `BIP155 ${BIP155_NAMES[networkId]} address with length ${len} (should be ${expected})`,
          )
        }
        const addr = r.bytes(len, 'address')
        const port = r.u16be('port')
        if (expected === undefined) {
          skipped++
          continue
        }
        addresses.push({ time, services, networkId, addr, port })
      }
      return skipped > 0 ? { command: 'addrv2', addresses, skipped } : { command: 'addrv2', addresses }
    },
  },
  inv: inv('inv'),
  getdata: inv('getdata'),
  notfound: inv('notfound'),
  getblocks: {
    write: (w, m) => writeLocator(w, m),
    read: (r) => readLocator(r, 'getblocks'),
  },
  getheaders: {
    write: (w, m) => writeLocator(w, m),
    read: (r) => readLocator(r, 'getheaders'),
  },
  headers: {
    write(w, m) {
      if (m.headers.length > MAX_HEADERS_RESULTS)
        throw new EncodeError(`headers holds at most ${MAX_HEADERS_RESULTS}.`)
      w.compactSize(m.headers.length)
      for (const h of m.headers) {
        writeHeader(w, h)
        w.u8(0)
      }
    },
    read(r) {
      const n = r.count(
        'headers count',
        MAX_HEADERS_RESULTS,
        81,
        (c) => new TooManyEntriesError('headers', c, MAX_HEADERS_RESULTS),
      )
      const headers: BlockHeader[] = new Array(n)
      for (let i = 0; i < n; i++) {
        headers[i] = readHeader(r)
        // Core reads the transaction count and ignores it; it is always 0.
        if (r.compactSize('header tx count') !== 0) {
          throw new InvalidValueError('A header in a headers message has a non-zero transaction count.')
        }
      }
      return { command: 'headers', headers }
    },
  },
  block: {
    write: (w, m) => writeBlock(w, m.block, true),
    read: (r) => ({ command: 'block', block: readBlock(r) }),
  },
  tx: {
    write: (w, m) => writeTx(w, m.tx, true),
    read: (r) => ({ command: 'tx', tx: readTx(r) }),
  },
  cmpctblock: {
    write(w, m) {
      writeHeader(w, m.header)
      w.u64le(m.nonce).compactSize(m.shortIds.length)
      for (const id of m.shortIds) {
        if (id.length !== 6) throw new EncodeError('A short transaction id is 6 bytes.')
        w.bytes(id)
      }
      w.compactSize(m.prefilled.length)
      let prev = -1
      for (const p of m.prefilled) {
        if (p.index <= prev)
          throw new EncodeError('Prefilled transactions must be in increasing index order.')
        w.compactSize(p.index - prev - 1)
        writeTx(w, p.tx, true)
        prev = p.index
      }
    },
    read(r) {
      const header = readHeader(r)
      const nonce = r.u64le('nonce')
      const nIds = r.listLength('short id count', 6)
      const shortIds: Uint8Array[] = new Array(nIds)
      for (let i = 0; i < nIds; i++) shortIds[i] = r.bytes(6, 'short id')
      const nPre = r.listLength('prefilled count', 11)
      const prefilled: PrefilledTx[] = new Array(nPre)
      let prev = -1
      for (let i = 0; i < nPre; i++) {
        const index = undiff(prev + 1, r.compactSize('prefilled index'))
        prefilled[i] = { index, tx: readTx(r) }
        prev = index
      }
      if (nIds + nPre > 0xffff) throw new InvalidValueError('Compact block has more than 65535 transactions.')
      return { command: 'cmpctblock', header, nonce, shortIds, prefilled }
    },
  },
  getblocktxn: {
    write(w, m) {
      w.bytes(checkHash(m.blockHash)).compactSize(m.indexes.length)
      let prev = -1
      for (const i of m.indexes) {
        if (i <= prev) throw new EncodeError('getblocktxn indexes must be increasing.')
        w.compactSize(i - prev - 1)
        prev = i
      }
    },
    read(r) {
      const blockHash = r.bytes(32, 'block hash')
      const n = r.listLength('index count', 1)
      const indexes: number[] = new Array(n)
      let prev = -1
      for (let i = 0; i < n; i++) {
        const index = undiff(prev + 1, r.compactSize('index'))
        indexes[i] = index
        prev = index
      }
      return { command: 'getblocktxn', blockHash, indexes }
    },
  },
  blocktxn: {
    write(w, m) {
      w.bytes(checkHash(m.blockHash)).compactSize(m.txs.length)
      for (const tx of m.txs) writeTx(w, tx, true)
    },
    read(r) {
      const blockHash = r.bytes(32, 'block hash')
      const n = r.listLength('transaction count', 10)
      const txs: Tx[] = new Array(n)
      for (let i = 0; i < n; i++) txs[i] = readTx(r)
      return { command: 'blocktxn', blockHash, txs }
    },
  },
  merkleblock: {
    write(w, m) {
      writeHeader(w, m.header)
      w.u32le(m.totalTxs)
      writeHashList(w, m.hashes)
      w.varBytes(m.flags)
    },
    read(r) {
      const header = readHeader(r)
      const totalTxs = r.u32le('total transactions')
      const hashes = readHashList(r, 'merkleblock hashes', Number.MAX_SAFE_INTEGER)
      const flags = r.varBytes('merkleblock flags')
      return { command: 'merkleblock', header, totalTxs, hashes, flags }
    },
  },
  filterload: {
    write(w, m) {
      w.varBytes(m.filter).u32le(m.hashFuncs).u32le(m.tweak).u8(m.flags)
    },
    read(r) {
      const filter = r.varBytes('bloom filter')
      const hashFuncs = r.u32le('hash functions')
      const tweak = r.u32le('tweak')
      const flags = r.u8('flags')
      // Core: an oversized filter is misbehaviour.
      if (filter.length > MAX_BLOOM_FILTER_SIZE || hashFuncs > MAX_HASH_FUNCS) {
        throw new ProtocolError(
          'BAD_FILTER',
          'discourage',
          'filterload exceeds the BIP37 size or hash function limits.',
        )
      }
      return { command: 'filterload', filter, hashFuncs, tweak, flags }
    },
  },
  filteradd: {
    write: (w, m) => void w.varBytes(m.data),
    read(r) {
      const data = r.varBytes('filteradd data')
      if (data.length > MAX_SCRIPT_ELEMENT_SIZE) {
        throw new ProtocolError(
          'BAD_FILTER',
          'discourage',
          `filteradd data of ${data.length} bytes exceeds 520.`,
        )
      }
      return { command: 'filteradd', data }
    },
  },
  getcfilters: cfRange('getcfilters'),
  getcfheaders: cfRange('getcfheaders'),
  cfilter: {
    write: (w, m) => void w.u8(m.filterType).bytes(checkHash(m.blockHash)).varBytes(m.filter),
    read: (r) => ({
      command: 'cfilter',
      filterType: r.u8('filter type'),
      blockHash: r.bytes(32, 'block hash'),
      filter: r.varBytes('filter'),
    }),
  },
  cfheaders: {
    write(w, m) {
      w.u8(m.filterType).bytes(checkHash(m.stopHash)).bytes(checkHash(m.previousFilterHeader))
      writeHashList(w, m.filterHashes)
    },
    read: (r) => ({
      command: 'cfheaders',
      filterType: r.u8('filter type'),
      stopHash: r.bytes(32, 'stop hash'),
      previousFilterHeader: r.bytes(32, 'previous filter header'),
      filterHashes: readHashList(r, 'cfheaders filter hashes', MAX_GETCFHEADERS_SIZE),
    }),
  },
  getcfcheckpt: {
    write: (w, m) => void w.u8(m.filterType).bytes(checkHash(m.stopHash)),
    read: (r) => ({
      command: 'getcfcheckpt',
      filterType: r.u8('filter type'),
      stopHash: r.bytes(32, 'stop hash'),
    }),
  },
  cfcheckpt: {
    write(w, m) {
      w.u8(m.filterType).bytes(checkHash(m.stopHash))
      writeHashList(w, m.filterHeaders)
    },
    read: (r) => ({
      command: 'cfcheckpt',
      filterType: r.u8('filter type'),
      stopHash: r.bytes(32, 'stop hash'),
      filterHeaders: readHashList(r, 'cfcheckpt filter headers', Number.MAX_SAFE_INTEGER),
    }),
  },
  reject: {
    write(w, m) {
      w.varStr(m.message).u8(m.code).varStr(m.reason)
      if (m.data) w.bytes(checkHash(m.data))
    },
    read(r) {
      const message = r.varStr('reject message', MAX_REJECT_MESSAGE_LENGTH)
      const code = r.u8('reject code')
      const reason = r.varStr('reject reason', MAX_REJECT_MESSAGE_LENGTH)
      // The hash is present for block and tx rejections; read it if it is there.
      const data = r.remaining >= 32 ? r.bytes(32, 'reject data') : undefined
      return data
        ? { command: 'reject', message, code, reason, data }
        : { command: 'reject', message, code, reason }
    },
  },
}

/** Every command we know, in a stable order. */
export const COMMANDS: readonly Command[] = Object.freeze(Object.keys(codecs) as Command[])

const KNOWN = new Set<string>(COMMANDS)

export function isKnownCommand(command: string): command is Command {
  return KNOWN.has(command)
}

/** Encode a message's payload (no frame header). Throws EncodeError for unencodable input. */
export function encodePayload(m: Message): Uint8Array {
  const w = new Writer(m.command === 'block' ? 1 << 20 : 128)
  ;(codecs[m.command] as Codec<Command>).write(w, m as never)
  return w.finish()
}

/**
 * Decode a payload for `command`. Throws only ProtocolError subclasses: the
 * payload must be consumed exactly.
 */
export function decodePayload<C extends Command>(command: C, payload: Uint8Array): MessageOf<C> {
  const r = new Reader(payload)
  let m: MessageOf<C>
  try {
    m = (codecs[command] as Codec<C>).read(r)
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    // A bug of ours must still not escape as anything but a typed error.
    throw new InvalidValueError(`Failed to decode ${command}: ${(err as Error)?.message ?? String(err)}`)
  }
  if (r.remaining !== 0) throw new TrailingBytesError(command, r.remaining)
  return m
}
