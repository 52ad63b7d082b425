/**
 * Addresses of output scripts, both ways, for each network's prefixes:
 * base58check P2PKH and P2SH, bech32 (BIP173) for witness version 0 and
 * bech32m (BIP350) for versions 1 to 16. Core: key_io.cpp (EncodeDestination,
 * DecodeDestination), bech32.cpp, base58.cpp; script/solver.cpp for the
 * script templates.
 */
import { type NetworkParams, sha256d } from '@node/wire'

/** Why a string is not an address of the network. */
export class AddressError extends Error {
  override readonly name = 'AddressError'
  readonly code = 'INVALID_ADDRESS'
  readonly severity = 'error'
}

// --- bech32 / bech32m --------------------------------------------------------------

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3] as const
const BECH32_CONST = 1
const BECH32M_CONST = 0x2bc830a3
/** BIP173: at most 90 characters. */
const BECH32_MAX_LENGTH = 90

function polymod(values: readonly number[]): number {
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ v
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i] as number
  }
  return chk >>> 0
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = []
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5)
  out.push(0)
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31)
  return out
}

/** Regroup bits; undefined when `pad` is false and the input leaves non-zero or 5+ bits over. */
function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0
  let bits = 0
  const out: number[] = []
  const max = (1 << to) - 1
  for (let i = 0; i < data.length; i++) {
    acc = (acc << from) | (data[i] as number)
    bits += from
    while (bits >= to) {
      bits -= to
      out.push((acc >> bits) & max)
    }
    acc &= (1 << bits) - 1
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max)
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) {
    return undefined
  }
  return out
}

function segwitEncode(hrp: string, version: number, program: Uint8Array): string {
  const data = [version, ...(convertBits(program, 8, 5, true) as number[])]
  const constant = version === 0 ? BECH32_CONST : BECH32M_CONST
  const mod = polymod([...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0]) ^ constant
  let out = `${hrp}1`
  for (const d of data) out += CHARSET[d]
  for (let i = 0; i < 6; i++) out += CHARSET[(mod >>> (5 * (5 - i))) & 31]
  return out
}

function segwitDecode(hrp: string, text: string): { version: number; program: Uint8Array } | undefined {
  if (text.length > BECH32_MAX_LENGTH) return undefined
  const lower = text.toLowerCase()
  if (text !== lower && text !== text.toUpperCase()) return undefined
  const sep = lower.lastIndexOf('1')
  if (sep < 1 || lower.length - sep - 1 < 6 || lower.slice(0, sep) !== hrp) return undefined
  const data: number[] = []
  for (const ch of lower.slice(sep + 1)) {
    const v = CHARSET.indexOf(ch)
    if (v === -1) return undefined
    data.push(v)
  }
  const check = polymod([...hrpExpand(hrp), ...data])
  const words = data.slice(0, -6)
  const version = words[0]
  if (version === undefined || version > 16) return undefined
  if (check !== (version === 0 ? BECH32_CONST : BECH32M_CONST)) return undefined
  const bytes = convertBits(words.slice(1), 5, 8, false)
  if (!bytes || bytes.length < 2 || bytes.length > 40) return undefined
  if (version === 0 && bytes.length !== 20 && bytes.length !== 32) return undefined
  return { version, program: Uint8Array.from(bytes) }
}

// --- base58check ---------------------------------------------------------------------

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

function base58checkEncode(payload: Uint8Array): string {
  const bytes = new Uint8Array(payload.length + 4)
  bytes.set(payload)
  bytes.set(sha256d(payload).subarray(0, 4), payload.length)
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  let out = ''
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out
    n /= 58n
  }
  for (let i = 0; i < bytes.length && bytes[i] === 0; i++) out = `1${out}`
  return out
}

function base58checkDecode(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 100) return undefined
  let n = 0n
  for (const ch of text) {
    const v = B58.indexOf(ch)
    if (v === -1) return undefined
    n = n * 58n + BigInt(v)
  }
  const body: number[] = []
  while (n > 0n) {
    body.unshift(Number(n & 0xffn))
    n >>= 8n
  }
  let zeros = 0
  while (zeros < text.length && text[zeros] === '1') zeros++
  const bytes = Uint8Array.from([...new Array<number>(zeros).fill(0), ...body])
  if (bytes.length < 4) return undefined
  const payload = bytes.subarray(0, bytes.length - 4)
  const sum = sha256d(payload)
  for (let i = 0; i < 4; i++) if (sum[i] !== bytes[payload.length + i]) return undefined
  return payload
}

// --- scripts <-> addresses -----------------------------------------------------------

const OP_0 = 0x00
const OP_1 = 0x51
const OP_16 = 0x60
const OP_DUP = 0x76
const OP_HASH160 = 0xa9
const OP_EQUAL = 0x87
const OP_EQUALVERIFY = 0x88
const OP_CHECKSIG = 0xac

/** Core CScript::IsWitnessProgram: version and program, or undefined. */
export function witnessProgram(script: Uint8Array): { version: number; program: Uint8Array } | undefined {
  if (script.length < 4 || script.length > 42) return undefined
  const op = script[0] as number
  if (op !== OP_0 && (op < OP_1 || op > OP_16)) return undefined
  if ((script[1] as number) + 2 !== script.length) return undefined
  return { version: op === OP_0 ? 0 : op - OP_1 + 1, program: script.subarray(2) }
}

/** Core CScript::IsPayToScriptHash. */
export function isP2SH(script: Uint8Array): boolean {
  return script.length === 23 && script[0] === OP_HASH160 && script[1] === 20 && script[22] === OP_EQUAL
}

/** Core MatchPayToPubkeyHash. */
export function isP2PKH(script: Uint8Array): boolean {
  return (
    script.length === 25 &&
    script[0] === OP_DUP &&
    script[1] === OP_HASH160 &&
    script[2] === 20 &&
    script[23] === OP_EQUALVERIFY &&
    script[24] === OP_CHECKSIG
  )
}

/**
 * The address of an output script (Core ExtractDestination + EncodeDestination):
 * P2PKH, P2SH and witness programs (v0 of 20 or 32 bytes; v1+ of any valid
 * length). Undefined for every other script, bare public keys included.
 */
export function scriptToAddress(script: Uint8Array, n: NetworkParams): string | undefined {
  if (isP2SH(script)) {
    return base58checkEncode(Uint8Array.from([n.base58.scriptHash, ...script.subarray(2, 22)]))
  }
  const w = witnessProgram(script)
  if (w) {
    if (w.version === 0 && w.program.length !== 20 && w.program.length !== 32) return undefined
    return segwitEncode(n.bech32, w.version, w.program)
  }
  if (isP2PKH(script)) {
    return base58checkEncode(Uint8Array.from([n.base58.pubkeyHash, ...script.subarray(3, 23)]))
  }
  return undefined
}

/** The output script of an address of network `n` (Core DecodeDestination); throws {@link AddressError}. */
export function addressToScript(address: string, n: NetworkParams): Uint8Array {
  const w = segwitDecode(n.bech32, address)
  if (w) {
    return Uint8Array.from([w.version === 0 ? OP_0 : OP_1 + w.version - 1, w.program.length, ...w.program])
  }
  const payload = base58checkDecode(address)
  if (payload && payload.length === 21) {
    const hash = payload.subarray(1)
    if (payload[0] === n.base58.pubkeyHash) {
      return Uint8Array.from([OP_DUP, OP_HASH160, 20, ...hash, OP_EQUALVERIFY, OP_CHECKSIG])
    }
    if (payload[0] === n.base58.scriptHash) return Uint8Array.from([OP_HASH160, 20, ...hash, OP_EQUAL])
  }
  throw new AddressError(`Invalid address for ${n.name}: ${address}`)
}
