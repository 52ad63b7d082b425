/**
 * Byte-level reading and writing for peers.dat: Core's integer encodings,
 * CompactSize, and the disk form of addresses (`CNetAddr` in v1 or BIP155
 * form, `CAddress` with its disk version word): Core serialize.h, netaddress.h, protocol.h.
 */
import {
  DISK_VERSION_ADDRV2,
  DISK_VERSION_IGNORE_MASK,
  DISK_VERSION_INIT,
  MAX_ADDRV2_SIZE,
  Network,
} from './constants.ts'
import { PeersFileCorruptError, PeersFileTruncatedError } from './errors.ts'
import { NetAddress, type PeerAddress } from './netaddress.ts'

/** An append-only byte buffer. */
export class Writer {
  #buf: Uint8Array
  #view: DataView
  length = 0

  constructor(initial = 1024) {
    this.#buf = new Uint8Array(initial)
    this.#view = new DataView(this.#buf.buffer)
  }

  #reserve(n: number): void {
    if (this.length + n <= this.#buf.length) return
    let size = this.#buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.#buf.subarray(0, this.length))
    this.#buf = next
    this.#view = new DataView(next.buffer)
  }

  u8(v: number): this {
    this.#reserve(1)
    this.#buf[this.length++] = v
    return this
  }
  u16be(v: number): this {
    this.#reserve(2)
    this.#view.setUint16(this.length, v, false)
    this.length += 2
    return this
  }
  i32(v: number): this {
    this.#reserve(4)
    this.#view.setInt32(this.length, v, true)
    this.length += 4
    return this
  }
  u32(v: number): this {
    this.#reserve(4)
    this.#view.setUint32(this.length, v >>> 0, true)
    this.length += 4
    return this
  }
  i64(v: number): this {
    this.#reserve(8)
    this.#view.setBigInt64(this.length, BigInt(Math.trunc(v)), true)
    this.length += 8
    return this
  }
  u64(v: bigint): this {
    this.#reserve(8)
    this.#view.setBigUint64(this.length, BigInt.asUintN(64, v), true)
    this.length += 8
    return this
  }
  compactSize(v: number | bigint): this {
    const n = BigInt(v)
    if (n < 0xfdn) return this.u8(Number(n))
    if (n <= 0xffffn) return this.u8(0xfd).u16le(Number(n))
    if (n <= 0xffffffffn) return this.u8(0xfe).u32(Number(n))
    return this.u8(0xff).u64(n)
  }
  u16le(v: number): this {
    this.#reserve(2)
    this.#view.setUint16(this.length, v, true)
    this.length += 2
    return this
  }
  bytes(b: Uint8Array): this {
    this.#reserve(b.length)
    this.#buf.set(b, this.length)
    this.length += b.length
    return this
  }
  /** The bytes written so far (a view; copy it if you keep writing). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.length)
  }
}

/** A bounds-checked reader; running out of data throws PeersFileTruncatedError. */
export class Reader {
  readonly #buf: Uint8Array
  readonly #view: DataView
  pos: number
  readonly end: number

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    this.pos = start
    this.end = end
  }

  get remaining(): number {
    return this.end - this.pos
  }

  #need(n: number, what: string): number {
    if (this.end - this.pos < n) throw new PeersFileTruncatedError(what, this.pos)
    const p = this.pos
    this.pos += n
    return p
  }

  u8(what: string): number {
    return this.#buf[this.#need(1, what)]!
  }
  u16be(what: string): number {
    return this.#view.getUint16(this.#need(2, what), false)
  }
  u16le(what: string): number {
    return this.#view.getUint16(this.#need(2, what), true)
  }
  i32(what: string): number {
    return this.#view.getInt32(this.#need(4, what), true)
  }
  u32(what: string): number {
    return this.#view.getUint32(this.#need(4, what), true)
  }
  i64(what: string): number {
    return Number(this.#view.getBigInt64(this.#need(8, what), true))
  }
  u64(what: string): bigint {
    return this.#view.getBigUint64(this.#need(8, what), true)
  }
  /** Core ReadCompactSize: non-canonical encodings are corruption. */
  compactSize(what: string): bigint {
    const first = this.u8(what)
    if (first < 0xfd) return BigInt(first)
    if (first === 0xfd) {
      const v = this.u16le(what)
      if (v < 0xfd) throw new PeersFileCorruptError(`non-canonical CompactSize for ${what}`)
      return BigInt(v)
    }
    if (first === 0xfe) {
      const v = this.u32(what)
      if (v <= 0xffff) throw new PeersFileCorruptError(`non-canonical CompactSize for ${what}`)
      return BigInt(v)
    }
    const v = this.u64(what)
    if (v <= 0xffffffffn) throw new PeersFileCorruptError(`non-canonical CompactSize for ${what}`)
    return v
  }
  bytes(n: number, what: string): Uint8Array {
    const p = this.#need(n, what)
    return this.#buf.slice(p, p + n)
  }
}

/** The invalid `::` Core substitutes for addresses it cannot use. */
const UNSPECIFIED = (): NetAddress => new NetAddress(Network.IPV6, new Uint8Array(16))

/** Write an address without port, in BIP155 (`v2`) or 16-byte v1 form. */
export function writeNetAddress(w: Writer, addr: NetAddress, v2: boolean): void {
  if (!v2) {
    w.bytes(addr.toV1())
    return
  }
  const { networkId, addr: bytes } = addr.toBip155()
  w.u8(networkId).compactSize(bytes.length).bytes(bytes)
}

/** Read an address without port. Unknown BIP155 networks read as the invalid `::`, as in Core. */
export function readNetAddress(r: Reader, v2: boolean): NetAddress {
  if (!v2) return NetAddress.fromV1(r.bytes(16, 'v1 address'))
  const id = r.u8('BIP155 network id')
  const size = r.compactSize('BIP155 address length')
  if (size > BigInt(MAX_ADDRV2_SIZE))
    throw new PeersFileCorruptError(`Address too long: ${size} > ${MAX_ADDRV2_SIZE}`)
  let decoded: NetAddress | undefined
  try {
    // Core checks the length against the network before reading the bytes.
    NetAddress.fromBip155(id, new Uint8Array(Number(size)))
    decoded = NetAddress.fromBip155(id, r.bytes(Number(size), 'BIP155 address'))
  } catch (err) {
    if ((err as { code?: string }).code === 'BAD_ADDRESS_LENGTH') {
      throw new PeersFileCorruptError((err as Error).message, { cause: err })
    }
    throw err
  }
  return decoded ?? UNSPECIFIED()
}

/**
 * Write a `CAddress` in Core's disk form: a version word (220000, with bit 29
 * when the rest is BIP155), u32 time, services (CompactSize in BIP155 form,
 * u64 in v1 form), the address, and the port big-endian.
 */
export function writeDiskAddress(w: Writer, a: PeerAddress, v2: boolean): void {
  w.u32(DISK_VERSION_INIT | (v2 ? DISK_VERSION_ADDRV2 : 0))
  w.u32(a.time)
  if (v2) w.compactSize(a.services)
  else w.u64(a.services)
  writeNetAddress(w, a.addr, v2)
  w.u16be(a.port)
}

/**
 * Read a disk `CAddress`. `allowV2` is true for files of format 3 and later;
 * the entry's own version word then says which form follows.
 */
export function readDiskAddress(r: Reader, allowV2: boolean): PeerAddress {
  const version = r.u32('address version') & ~DISK_VERSION_IGNORE_MASK
  let v2: boolean
  if (version === 0) v2 = false
  else if (version === DISK_VERSION_ADDRV2 >>> 0 && allowV2) v2 = true
  else throw new PeersFileCorruptError('Unsupported CAddress disk format version')
  const time = r.u32('address time')
  const services = v2 ? r.compactSize('services') : r.u64('services')
  const addr = readNetAddress(r, v2)
  const port = r.u16be('port')
  return { addr, port, services, time }
}
