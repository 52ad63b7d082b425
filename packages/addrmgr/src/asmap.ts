/**
 * Bitcoin Core's asmap: a compact program that maps an IP address (as 128
 * bits, IPv4 mapped into `::ffff:0:0/96`) to the number of the autonomous
 * system that announces it. With an asmap, addresses are grouped by AS
 * instead of by /16 or /32, so one AS cannot fill the tables (Core `NetGroupManager::GetGroup`).
 *
 * The file is a bit stream, least-significant bit of each byte first, of
 * instructions, each a variable-length prefix code:
 *
 * - RETURN asn: the answer is `asn`;
 * - JUMP off: consume one address bit; if it is 1, skip `off` bits ahead;
 * - MATCH m: the next bit_width(m) − 1 address bits must equal m's low bits,
 *   otherwise the answer is the current default;
 * - DEFAULT asn: set the default.
 *
 * The interpreter and the sanity check follow Core's util/asmap.cpp.
 */
import { createHash } from 'node:crypto'
import { InvalidAsmapError } from './errors.ts'

const INVALID = 0xffffffff

const TYPE_BIT_SIZES = [0, 0, 1]
const ASN_BIT_SIZES = [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
const MATCH_BIT_SIZES = [1, 2, 3, 4, 5, 6, 7, 8]
const JUMP_BIT_SIZES = [
  5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
]

const RETURN = 0
const JUMP = 1
const MATCH = 2
const DEFAULT = 3

/** A cursor over the asmap's bits. */
class Bits {
  readonly data: Uint8Array
  readonly end: number
  pos = 0
  constructor(data: Uint8Array) {
    this.data = data
    this.end = data.length * 8
  }
  next(): number {
    const p = this.pos++
    return (this.data[p >>> 3]! >>> (p & 7)) & 1
  }
}

function decodeBits(r: Bits, minval: number, sizes: readonly number[]): number {
  let val = minval
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]!
    let bit = 0
    if (i + 1 !== sizes.length) {
      if (r.pos === r.end) break
      bit = r.next()
    }
    if (bit) {
      val += 2 ** size
    } else {
      for (let b = 0; b < size; b++) {
        if (r.pos === r.end) return INVALID // EOF in mantissa
        val += r.next() * 2 ** (size - 1 - b)
      }
      return val
    }
  }
  return INVALID // EOF in exponent
}

const decodeType = (r: Bits): number => decodeBits(r, 0, TYPE_BIT_SIZES)
const decodeASN = (r: Bits): number => decodeBits(r, 1, ASN_BIT_SIZES)
const decodeMatch = (r: Bits): number => decodeBits(r, 2, MATCH_BIT_SIZES)
const decodeJump = (r: Bits): number => decodeBits(r, 17, JUMP_BIT_SIZES)

function bitWidth(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(v)
}

/**
 * Run the asmap program on a 128-bit address (`ip`: 16 bytes, most
 * significant bit first). Returns the AS number, or 0 for "not mapped".
 * Core asserts on malformed programs; {@link Asmap} rejects those up front,
 * and this returns 0 for them.
 */
export function interpretAsmap(asmap: Uint8Array, ip: Uint8Array): number {
  const r = new Bits(asmap)
  const total = ip.length * 8
  let bits = total
  let defaultAsn = 0
  const ipBit = (i: number): number => (ip[i >>> 3]! >>> (7 - (i & 7))) & 1
  while (r.pos !== r.end) {
    const opcode = decodeType(r)
    if (opcode === RETURN) {
      const asn = decodeASN(r)
      if (asn === INVALID) break
      return asn
    }
    if (opcode === JUMP) {
      const jump = decodeJump(r)
      if (jump === INVALID) break
      if (bits === 0) break
      if (jump >= r.end - r.pos) break
      if (ipBit(total - bits)) r.pos += jump
      bits--
    } else if (opcode === MATCH) {
      const match = decodeMatch(r)
      if (match === INVALID) break
      const matchlen = bitWidth(match) - 1
      if (bits < matchlen) break
      for (let bit = 0; bit < matchlen; bit++) {
        if (ipBit(total - bits) !== ((match >>> (matchlen - 1 - bit)) & 1)) return defaultAsn
        bits--
      }
    } else if (opcode === DEFAULT) {
      defaultAsn = decodeASN(r)
      if (defaultAsn === INVALID) break
    } else {
      break
    }
  }
  return 0
}

/**
 * Core SanityCheckASMap(): every path through the program ends in RETURN,
 * consumes at most `bits` address bits, jumps only forward and never into an
 * instruction, and the padding after the last RETURN is under 8 zero bits.
 */
export function sanityCheckAsmap(asmap: Uint8Array, bits = 128): boolean {
  const r = new Bits(asmap)
  const jumps: Array<[number, number]> = [] // (bit offset we may jump to, address bits left then)
  let prevOpcode = JUMP
  let hadIncompleteMatch = false
  while (r.pos !== r.end) {
    const offset = r.pos
    const top = jumps[jumps.length - 1]
    if (top && offset >= top[0]) return false // jumped into the middle of the previous instruction
    const opcode = decodeType(r)
    if (opcode === RETURN) {
      if (prevOpcode === DEFAULT) return false // DEFAULT then RETURN could be one RETURN
      const asn = decodeASN(r)
      if (asn === INVALID) return false
      if (jumps.length === 0) {
        if (r.end - r.pos > 7) return false // excessive padding
        while (r.pos !== r.end) if (r.next()) return false // non-zero padding
        return true
      }
      const last = jumps[jumps.length - 1]!
      if (r.pos !== last[0]) return false // unreachable code
      bits = last[1]
      jumps.pop()
      prevOpcode = JUMP
    } else if (opcode === JUMP) {
      const jump = decodeJump(r)
      if (jump === INVALID) return false
      if (jump > r.end - r.pos) return false // out of range
      if (bits === 0) return false // consumes bits past the address
      bits--
      const target = r.pos + jump
      const last = jumps[jumps.length - 1]
      if (last && target >= last[0]) return false // intersecting jumps
      jumps.push([target, bits])
      prevOpcode = JUMP
    } else if (opcode === MATCH) {
      const match = decodeMatch(r)
      if (match === INVALID) return false
      const matchlen = bitWidth(match) - 1
      if (prevOpcode !== MATCH) hadIncompleteMatch = false
      if (matchlen < 8 && hadIncompleteMatch) return false // at most one incomplete match in a row
      hadIncompleteMatch = matchlen < 8
      if (bits < matchlen) return false
      bits -= matchlen
      prevOpcode = MATCH
    } else if (opcode === DEFAULT) {
      if (prevOpcode === DEFAULT) return false // two DEFAULTs could be one
      const asn = decodeASN(r)
      if (asn === INVALID) return false
      prevOpcode = DEFAULT
    } else {
      return false // instruction straddles EOF
    }
  }
  return false // EOF without RETURN
}

/**
 * Core GetAsmapChecksum(): the double SHA-256 of the asmap serialized as
 * Core serializes a `std::vector<bool>` (CompactSize bit count, then one byte
 * 0 or 1 per bit). peers.dat stores it so a changed asmap triggers
 * re-bucketing. Without an asmap the checksum is 32 zero bytes.
 */
export function asmapChecksum(asmap: Uint8Array): Uint8Array {
  const nbits = asmap.length * 8
  const prefix =
    nbits < 0xfd
      ? Uint8Array.of(nbits)
      : nbits <= 0xffff
        ? Uint8Array.of(0xfd, nbits & 0xff, nbits >>> 8)
        : Uint8Array.of(0xfe, nbits & 0xff, (nbits >>> 8) & 0xff, (nbits >>> 16) & 0xff, nbits >>> 24)
  const body = new Uint8Array(nbits)
  for (let i = 0; i < nbits; i++) body[i] = (asmap[i >>> 3]! >>> (i & 7)) & 1
  const first = createHash('sha256').update(prefix).update(body).digest()
  return new Uint8Array(createHash('sha256').update(first).digest())
}

/** A checked asmap, ready to look addresses up in. */
export class Asmap {
  readonly data: Uint8Array
  readonly checksum: Uint8Array

  /** Throws InvalidAsmapError if the program fails Core's sanity check. */
  constructor(data: Uint8Array) {
    if (data.length === 0) throw new InvalidAsmapError('it is empty')
    if (!sanityCheckAsmap(data, 128)) throw new InvalidAsmapError('it fails the sanity check')
    this.data = data.slice()
    this.checksum = asmapChecksum(this.data)
  }

  /** The AS number for a 16-byte (v1 form) address, or 0 when unmapped. */
  lookup(ip16: Uint8Array): number {
    return interpretAsmap(this.data, ip16)
  }
}

// --- building asmaps (for tests and tools) ---------------------------------------

/** Append the prefix code of `value` to `out` (the inverse of decodeBits). */
function encodeBits(out: number[], value: number, minval: number, sizes: readonly number[]): void {
  let current = minval
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]!
    const range = 2 ** size
    if (i + 1 === sizes.length || value < current + range) {
      if (i + 1 !== sizes.length) out.push(0)
      const diff = value - current
      if (diff < 0 || diff >= (size === 0 ? 1 : range))
        throw new RangeError(`Value ${value} cannot be encoded.`)
      for (let b = size - 1; b >= 0; b--) out.push(Math.floor(diff / 2 ** b) & 1)
      return
    }
    out.push(1)
    current += range
  }
}

/** One entry of {@link buildAsmap}: a prefix of a 16-byte address and its AS number. */
export interface AsmapEntry {
  /** Address bytes (v1 form: IPv4 as `::ffff:a.b.c.d`). */
  prefix: Uint8Array
  /** Prefix length in bits, at most 128. */
  bits: number
  /** AS number, at least 1. */
  asn: number
}

type TrieNode = { asn?: number; kids: [TrieNode | undefined, TrieNode | undefined] }

/**
 * Compile prefix → AS entries into an asmap program: longest prefix wins,
 * addresses outside every prefix map to `defaultAsn` (0: unmapped). A simple
 * binary-trie compiler whose output passes Core's sanity check; not as
 * compact as Core's Python tool. Meant for tests and small maps.
 */
export function buildAsmap(entries: readonly AsmapEntry[], defaultAsn = 0): Uint8Array {
  const root: TrieNode = { kids: [undefined, undefined] }
  for (const e of entries) {
    if (!(e.asn >= 1)) throw new RangeError('AS numbers in an asmap start at 1.')
    let n = root
    for (let i = 0; i < e.bits; i++) {
      const bit = (e.prefix[i >>> 3]! >>> (7 - (i & 7))) & 1
      n = n.kids[bit] ??= { kids: [undefined, undefined] }
    }
    n.asn = e.asn
  }
  const out: number[] = []
  const ret = (asn: number): void => {
    if (asn === 0) throw new RangeError('An asmap cannot be entirely unmapped.')
    encodeBits(out, RETURN, 0, TYPE_BIT_SIZES)
    encodeBits(out, asn, 1, ASN_BIT_SIZES)
  }
  const emit = (n: TrieNode, inherited: number): void => {
    const here = n.asn ?? inherited
    const [k0, k1] = n.kids
    if (!k0 && !k1) {
      ret(here)
      return
    }
    if (here === 0 && (!k0 || !k1)) {
      // Only one side leads anywhere; the other is unmapped. A failed MATCH
      // answers with the default (0), so walk down as far as 8 such bits.
      const pattern: number[] = []
      let cur = n
      for (;;) {
        const [a, b] = cur.kids
        if (pattern.length === 8 || (cur !== n && (cur.asn ?? 0) !== 0) || (a && b) || (!a && !b)) break
        pattern.push(a ? 0 : 1)
        cur = (a ?? b)!
      }
      let match = 1
      for (const bit of pattern) match = match * 2 + bit
      encodeBits(out, MATCH, 0, TYPE_BIT_SIZES)
      encodeBits(out, match, 2, MATCH_BIT_SIZES)
      emit(cur, 0)
      return
    }
    // Both sides matter: JUMP over the 0-branch when the bit is 1.
    encodeBits(out, JUMP, 0, TYPE_BIT_SIZES)
    const before = out.length
    if (k0) emit(k0, here)
    else ret(here)
    const zero = out.splice(before)
    encodeBits(out, zero.length, 17, JUMP_BIT_SIZES)
    for (const bit of zero) out.push(bit)
    if (k1) emit(k1, here)
    else ret(here)
  }
  emit(root, defaultAsn)
  const bytes = new Uint8Array(Math.ceil(out.length / 8))
  for (let i = 0; i < out.length; i++) if (out[i]) bytes[i >>> 3]! |= 1 << (i & 7)
  return bytes
}
