/**
 * Output descriptors (Core: script/descriptor.cpp).
 *
 * Inferring: the descriptor of a script as Core's InferScript gives it
 * without any keys or scripts to look up, `pk(KEY)` for a bare public key,
 * `multi(k,KEY,…)` for bare multisig, `rawtr(XONLY)` for a taproot output
 * whose key is on the curve, `addr(ADDRESS)` for any other script with an
 * address, and `raw(HEX)` for the rest; each with its `#checksum`
 * (DescriptorChecksum).
 *
 * Parsing (Core's Parse, CheckChecksum, ParseScript and ParsePubkeyInner)
 * for the descriptors this node evaluates: `addr(ADDRESS)`, `raw(HEX)` and
 * the single-key `pk(KEY)`, `pkh(KEY)`, `wpkh(KEY)`, `sh(wpkh(KEY))` and
 * `tr(KEY)` (no script tree), KEY a hex public key; a checksum, when given,
 * must match. Key validity (CPubKey::IsFullyValid, XOnlyPubKey::IsFullyValid)
 * and the taproot tweak (XOnlyPubKey::CreateTapTweak) are libsecp256k1's,
 * through tiny-secp256k1. Error texts are Core's.
 */
import { hash160, tapTweakHash } from '@node/consensus'
import { fromHex, type NetworkParams, toHex } from '@node/wire'
import * as secp from 'tiny-secp256k1'
import { AddressError, addressToScript, scriptToAddress } from './address.ts'
import { solve } from './script.ts'

const INPUT_CHARSET =
  '0123456789()[],\'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#"\\ '
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const GENERATORS = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn] as const

function polyMod(c: bigint, val: number): bigint {
  const c0 = Number(c >> 35n)
  let out = ((c & 0x7ffffffffn) << 5n) ^ BigInt(val)
  for (let i = 0; i < 5; i++) if ((c0 >> i) & 1) out ^= GENERATORS[i] as bigint
  return out
}

/** Core DescriptorChecksum: eight characters, or '' when the text has a character outside the set. */
export function descriptorChecksum(desc: string): string {
  let c = 1n
  let cls = 0
  let clscount = 0
  for (const ch of desc) {
    const pos = INPUT_CHARSET.indexOf(ch)
    if (pos === -1) return ''
    c = polyMod(c, pos & 31)
    cls = cls * 3 + (pos >> 5)
    if (++clscount === 3) {
      c = polyMod(c, cls)
      cls = 0
      clscount = 0
    }
  }
  if (clscount > 0) c = polyMod(c, cls)
  for (let j = 0; j < 8; ++j) c = polyMod(c, 0)
  c ^= 1n
  let out = ''
  for (let j = 0; j < 8; ++j) out += CHECKSUM_CHARSET[Number((c >> BigInt(5 * (7 - j))) & 31n)]
  return out
}

/** Core XOnlyPubKey::IsFullyValid: 32 bytes, the x of a point on the curve. */
function isValidXOnly(x32: Uint8Array): boolean {
  return x32.length === 32 && secp.isXOnlyPoint(x32)
}

/**
 * Core CPubKey::IsFullyValid: a point on the curve, compressed (02/03),
 * uncompressed (04) or hybrid (06/07, whose first byte must give y's parity,
 * as libsecp256k1's secp256k1_eckey_pubkey_parse checks).
 */
export function isFullyValidPubkey(key: Uint8Array): boolean {
  if (key.length === 33 && (key[0] === 2 || key[0] === 3)) return secp.isPoint(key)
  if (key.length !== 65) return false
  if (key[0] === 4) return secp.isPoint(key)
  if (key[0] !== 6 && key[0] !== 7) return false
  if (((key[64] as number) & 1) !== ((key[0] as number) & 1)) return false
  const plain = key.slice()
  plain[0] = 4
  return secp.isPoint(plain)
}

/** Core CPubKey::IsValidNonHybrid by prefix: compressed or uncompressed, not hybrid (06/07). */
function nonHybrid(key: Uint8Array): boolean {
  return key[0] === 0x02 || key[0] === 0x03 || key[0] === 0x04
}

function inferBody(script: Uint8Array, n: NetworkParams): string {
  const s = solve(script)
  if (s.type === 'pubkey' && nonHybrid(s.pubkeys[0] as Uint8Array))
    return `pk(${toHex(s.pubkeys[0] as Uint8Array)})`
  if (s.type === 'multisig' && s.pubkeys.every(nonHybrid)) {
    return `multi(${s.required},${s.pubkeys.map((k) => toHex(k)).join(',')})`
  }
  if (s.type === 'witness_v1_taproot' && s.witness && isValidXOnly(s.witness.program)) {
    return `rawtr(${toHex(s.witness.program)})`
  }
  // Bare keys have no address (Core: a PubKeyDestination is not an address).
  const address = s.type === 'pubkey' ? undefined : scriptToAddress(script, n)
  return address ? `addr(${address})` : `raw(${toHex(script)})`
}

/** The inferred descriptor of an output script, with its checksum. */
export function inferDescriptor(script: Uint8Array, n: NetworkParams): string {
  const body = inferBody(script, n)
  return `${body}#${descriptorChecksum(body)}`
}

/** `body#checksum` (Core Descriptor::ToString with its checksum). */
export function withChecksum(body: string): string {
  return `${body}#${descriptorChecksum(body)}`
}

/** Why a descriptor cannot be evaluated; the message is Core's. */
export class DescriptorError extends Error {
  override readonly name = 'DescriptorError'
  readonly code = 'INVALID_DESCRIPTOR'
  readonly severity = 'error'
}

/** A parsed descriptor: its output scripts, each with the descriptor Core infers for it knowing the keys. */
export interface DescriptorScript {
  readonly script: Uint8Array
  readonly desc: string
}

/** Core CheckChecksum with require_checksum false: the payload before any `#`. */
function checkChecksum(text: string): string {
  const parts = text.split('#')
  if (parts.length > 2) throw new DescriptorError("Multiple '#' symbols")
  const [payload, given] = parts as [string, string | undefined]
  if (given !== undefined && given.length !== 8) {
    throw new DescriptorError(`Expected 8 character checksum, not ${given.length} characters`)
  }
  const computed = descriptorChecksum(payload)
  if (computed === '') throw new DescriptorError('Invalid characters in payload')
  if (given !== undefined && given !== computed) {
    throw new DescriptorError(`Provided checksum '${given}' does not match computed checksum '${computed}'`)
  }
  return payload
}

/** `name(inner)` → inner, or undefined when `text` is not a call of `name`. */
function call(name: string, text: string): string | undefined {
  return text.startsWith(`${name}(`) && text.endsWith(')') ? text.slice(name.length + 1, -1) : undefined
}

const isHex = (s: string): boolean => s.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(s)

type KeyContext = 'top' | 'p2wpkh' | 'p2tr'

/** Core ParsePubkeyInner for a hex key: the key bytes (32-byte x-only only under tr()). */
function parseKey(fn: string, text: string, ctx: KeyContext): Uint8Array {
  const fail = (msg: string): never => {
    throw new DescriptorError(`${fn}(): ${msg}`)
  }
  if (text === '') fail('No key provided')
  if (!isHex(text)) {
    // xpub/xprv and WIF keys are Core's too; this node evaluates hex keys only.
    fail(`key '${text}' is not valid (this node takes hex public keys only)`)
  }
  const data = fromHex(text.toLowerCase())
  if (data.length === 65 && (data[0] === 6 || data[0] === 7)) fail('Hybrid public keys are not allowed')
  if (isFullyValidPubkey(data)) {
    if (ctx === 'top' || data.length === 33) return data
    fail('Uncompressed keys are not allowed')
  }
  if (data.length === 32 && ctx === 'p2tr' && isValidXOnly(data)) return data
  return fail(`Pubkey '${text}' is invalid`)
}

const OP_DUP = 0x76
const OP_HASH160 = 0xa9
const OP_EQUAL = 0x87
const OP_EQUALVERIFY = 0x88
const OP_CHECKSIG = 0xac
const OP_0 = 0x00
const OP_1 = 0x51

function p2pkh(key: Uint8Array): Uint8Array {
  return Uint8Array.from([OP_DUP, OP_HASH160, 20, ...hash160(key), OP_EQUALVERIFY, OP_CHECKSIG])
}

function p2wpkh(key: Uint8Array): Uint8Array {
  return Uint8Array.from([OP_0, 20, ...hash160(key)])
}

/** The P2SH output script of a redeem script (Core GetScriptForDestination(ScriptHash)). */
export function p2sh(redeem: Uint8Array): Uint8Array {
  return Uint8Array.from([OP_HASH160, 20, ...hash160(redeem), OP_EQUAL])
}

/** The taproot output key of an internal key without a script tree (BIP341 taproot_tweak_pubkey, BIP86). */
function taprootOutputKey(internal: Uint8Array): Uint8Array {
  const tweaked = secp.xOnlyPointAddTweak(internal, tapTweakHash(internal, undefined))
  // A tweak that lands on infinity needs a hash collision with the key's discrete log.
  if (!tweaked) throw new DescriptorError('tr(): cannot tweak the key')
  return tweaked.xOnlyPubkey
}

/**
 * Core Parse then Expand for the descriptors listed at the top of this
 * file, on network `n`: the output scripts with their inferred descriptors.
 * Throws {@link DescriptorError} with Core's message.
 */
export function parseDescriptor(text: string, n: NetworkParams): DescriptorScript[] {
  const body = checkChecksum(text)
  const addr = call('addr', body)
  if (addr !== undefined) {
    let script: Uint8Array
    try {
      script = addressToScript(addr, n)
    } catch (err) {
      if (err instanceof AddressError) throw new DescriptorError('Address is not valid')
      throw err
    }
    return [{ script, desc: inferDescriptor(script, n) }]
  }
  const raw = call('raw', body)
  if (raw !== undefined) {
    if (!isHex(raw)) throw new DescriptorError('Raw script is not hex')
    const script = fromHex(raw.toLowerCase())
    return [{ script, desc: inferDescriptor(script, n) }]
  }
  const keyed = (fn: string, ctx: KeyContext): Uint8Array | undefined => {
    const inner = call(fn, body)
    return inner === undefined ? undefined : parseKey(fn, inner, ctx)
  }
  const pk = keyed('pk', 'top')
  if (pk) {
    return [
      { script: Uint8Array.from([pk.length, ...pk, OP_CHECKSIG]), desc: withChecksum(`pk(${toHex(pk)})`) },
    ]
  }
  const pkh = keyed('pkh', 'top')
  if (pkh) return [{ script: p2pkh(pkh), desc: withChecksum(`pkh(${toHex(pkh)})`) }]
  const wpkh = keyed('wpkh', 'p2wpkh')
  if (wpkh) return [{ script: p2wpkh(wpkh), desc: withChecksum(`wpkh(${toHex(wpkh)})`) }]
  const sh = call('sh', body)
  if (sh !== undefined) {
    const inner = call('wpkh', sh)
    if (inner === undefined) {
      throw new DescriptorError('sh(): only sh(wpkh(KEY)) is supported by this node')
    }
    const key = parseKey('wpkh', inner, 'p2wpkh')
    return [{ script: p2sh(p2wpkh(key)), desc: withChecksum(`sh(wpkh(${toHex(key)}))`) }]
  }
  const tr = call('tr', body)
  if (tr !== undefined) {
    if (tr.includes(',')) throw new DescriptorError('tr(): script trees are not supported by this node')
    const key = parseKey('tr', tr, 'p2tr')
    const xonly = key.length === 32 ? key : key.subarray(1)
    const output = taprootOutputKey(xonly)
    return [{ script: Uint8Array.from([OP_1, 32, ...output]), desc: withChecksum(`tr(${toHex(xonly)})`) }]
  }
  const fn = /^([a-z_]+)\(/.exec(body)?.[1]
  if (fn && ['combo', 'multi', 'sortedmulti', 'wsh', 'rawtr', 'multi_a', 'sortedmulti_a'].includes(fn)) {
    throw new DescriptorError(`'${fn}' descriptors are not supported by this node`)
  }
  throw new DescriptorError(`'${body}' is not a valid descriptor function`)
}
