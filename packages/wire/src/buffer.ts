/**
 * Byte reader and writer for payloads. The reader never reads past the end:
 * every shortfall is a {@link TruncatedError}; every length is checked against
 * what remains before anything is allocated.
 */
import { MAX_SIZE } from './constants.ts'
import { EncodeError, NonCanonicalCompactSizeError, SizeTooLargeError, TruncatedError } from './errors.ts'

const TEXT = new TextDecoder('utf-8', { fatal: false })
const TEXT_ENC = new TextEncoder()

export class Reader {
  readonly buf: Uint8Array
  pos: number
  readonly end: number

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf
    this.pos = start
    this.end = end
  }

  get remaining(): number {
    return this.end - this.pos
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (this.end - this.pos < n) throw new TruncatedError(what, this.pos, n, this.end - this.pos)
  }

  u8(what = 'u8'): number {
    if (this.pos >= this.end) throw new TruncatedError(what, this.pos, 1, 0)
    return this.buf[this.pos++]!
  }

  u16le(what = 'u16'): number {
    this.need(2, what)
    const b = this.buf
    const p = this.pos
    this.pos = p + 2
    return b[p]! | (b[p + 1]! << 8)
  }

  u16be(what = 'u16be'): number {
    this.need(2, what)
    const b = this.buf
    const p = this.pos
    this.pos = p + 2
    return (b[p]! << 8) | b[p + 1]!
  }

  u32le(what = 'u32'): number {
    if (this.end - this.pos < 4) throw new TruncatedError(what, this.pos, 4, this.end - this.pos)
    const b = this.buf
    const p = this.pos
    this.pos = p + 4
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000
  }

  i32le(what = 'i32'): number {
    this.need(4, what)
    const b = this.buf
    const p = this.pos
    this.pos = p + 4
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)
  }

  u64le(what = 'u64'): bigint {
    const lo = this.u32le(what)
    const hi = this.u32le(what)
    return (BigInt(hi) << 32n) | BigInt(lo)
  }

  i64le(what = 'i64'): bigint {
    return BigInt.asIntN(64, this.u64le(what))
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number, what = 'bytes'): Uint8Array {
    if (this.end - this.pos < n) throw new TruncatedError(what, this.pos, n, this.end - this.pos)
    const p = this.pos
    this.pos = p + n
    return this.buf.subarray(p, p + n)
  }

  /** A copy of the next `n` bytes, for values kept after the buffer is gone. */
  copy(n: number, what = 'bytes'): Uint8Array {
    return this.bytes(n, what).slice()
  }

  hash(what = 'hash'): Uint8Array {
    return this.bytes(32, what)
  }

  /**
   * A canonical CompactSize (Core ReadCompactSize with range check): the
   * shortest encoding only, and at most `max` (32 MiB by default).
   */
  compactSize(what = 'CompactSize', max = MAX_SIZE): number {
    const start = this.pos
    const first = this.u8(what)
    let n: number
    if (first < 0xfd) return first <= max ? first : this.#tooLarge(what, first, max)
    if (first === 0xfd) {
      n = this.u16le(what)
      if (n < 0xfd) throw new NonCanonicalCompactSizeError(start)
    } else if (first === 0xfe) {
      n = this.u32le(what)
      if (n < 0x10000) throw new NonCanonicalCompactSizeError(start)
    } else {
      const big = this.u64le(what)
      if (big < 0x100000000n) throw new NonCanonicalCompactSizeError(start)
      throw new SizeTooLargeError(what, big, max)
    }
    if (n > max) this.#tooLarge(what, n, max)
    return n
  }

  /** A CompactSize read as a 64-bit value (service bits in addrv2); still canonical. */
  compactSize64(what = 'CompactSize'): bigint {
    const start = this.pos
    const first = this.u8(what)
    if (first < 0xfd) return BigInt(first)
    if (first === 0xfd) {
      const n = this.u16le(what)
      if (n < 0xfd) throw new NonCanonicalCompactSizeError(start)
      return BigInt(n)
    }
    if (first === 0xfe) {
      const n = this.u32le(what)
      if (n < 0x10000) throw new NonCanonicalCompactSizeError(start)
      return BigInt(n)
    }
    const n = this.u64le(what)
    if (n < 0x100000000n) throw new NonCanonicalCompactSizeError(start)
    return n
  }

  /**
   * A count of items that each take at least `minItemSize` bytes: checked
   * against `max` and against what remains, before the caller allocates.
   */
  count(what: string, max: number, minItemSize: number, tooMany: (n: number) => Error): number {
    const n = this.compactSize(what)
    if (n > max) throw tooMany(n)
    if (n * minItemSize > this.end - this.pos) {
      throw new TruncatedError(what, this.pos, n * minItemSize, this.end - this.pos)
    }
    return n
  }

  /** A list length whose items take at least `minItemSize` bytes each, checked against what remains. */
  listLength(what: string, minItemSize: number): number {
    const n = this.compactSize(what)
    if (n * minItemSize > this.end - this.pos) {
      throw new TruncatedError(what, this.pos, n * minItemSize, this.end - this.pos)
    }
    return n
  }

  /** `vec(bytes)`: a CompactSize length and that many bytes (a view). */
  varBytes(what = 'var_bytes', max = MAX_SIZE): Uint8Array {
    const n = this.compactSize(what, max)
    return this.bytes(n, what)
  }

  /** `var_str`, decoded as UTF-8 with replacement (it is only ever shown). */
  varStr(what = 'var_str', max = MAX_SIZE): string {
    return TEXT.decode(this.varBytes(what, max))
  }

  #tooLarge(what: string, n: number, max: number): never {
    throw new SizeTooLargeError(what, n, max)
  }
}

/** A growable byte writer. */
export class Writer {
  buf: Uint8Array
  pos = 0

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial)
  }

  #grow(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  u8(v: number): this {
    this.#grow(1)
    this.buf[this.pos++] = v & 0xff
    return this
  }

  u16le(v: number): this {
    this.#grow(2)
    this.buf[this.pos++] = v & 0xff
    this.buf[this.pos++] = (v >>> 8) & 0xff
    return this
  }

  u16be(v: number): this {
    this.#grow(2)
    this.buf[this.pos++] = (v >>> 8) & 0xff
    this.buf[this.pos++] = v & 0xff
    return this
  }

  u32le(v: number): this {
    this.#grow(4)
    const b = this.buf
    let p = this.pos
    b[p++] = v & 0xff
    b[p++] = (v >>> 8) & 0xff
    b[p++] = (v >>> 16) & 0xff
    b[p++] = (v >>> 24) & 0xff
    this.pos = p
    return this
  }

  i32le(v: number): this {
    return this.u32le(v >>> 0)
  }

  u64le(v: bigint): this {
    const x = BigInt.asUintN(64, v)
    this.u32le(Number(x & 0xffffffffn))
    return this.u32le(Number(x >> 32n))
  }

  i64le(v: bigint): this {
    return this.u64le(v)
  }

  bytes(b: Uint8Array): this {
    this.#grow(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
    return this
  }

  compactSize(n: number | bigint): this {
    if (typeof n === 'bigint') {
      if (n < 0n || n > 0xffffffffffffffffn) throw new EncodeError(`CompactSize ${n} out of range.`)
      if (n >= 0x100000000n) return this.u8(0xff).u64le(n)
      n = Number(n)
    }
    if (!Number.isInteger(n) || n < 0) throw new EncodeError(`CompactSize ${n} out of range.`)
    if (n < 0xfd) return this.u8(n)
    if (n <= 0xffff) return this.u8(0xfd).u16le(n)
    if (n <= 0xffffffff) return this.u8(0xfe).u32le(n)
    return this.u8(0xff).u64le(BigInt(n))
  }

  varBytes(b: Uint8Array): this {
    return this.compactSize(b.length).bytes(b)
  }

  varStr(s: string): this {
    return this.varBytes(TEXT_ENC.encode(s))
  }

  /** The bytes written so far (a view of the internal buffer). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }
}

/** Bytes a CompactSize of `n` takes. */
export function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9
}
