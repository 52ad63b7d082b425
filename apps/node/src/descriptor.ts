/**
 * The output descriptor of a script as Core infers it without any keys or
 * scripts to look up (script/descriptor.cpp InferScript with an empty
 * SigningProvider, and DescriptorChecksum): `pk(KEY)` for a bare public key,
 * `multi(k,KEY,…)` for bare multisig, `rawtr(XONLY)` for a taproot output
 * whose key is on the curve, `addr(ADDRESS)` for any other script with an
 * address, and `raw(HEX)` for the rest; each with its `#checksum`.
 */
import { type NetworkParams, toHex } from '@node/wire'
import { scriptToAddress } from './address.ts'
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

/** secp256k1 field prime. */
const P = 2n ** 256n - 2n ** 32n - 977n

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n
  let b = base % mod
  let e = exp
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod
    b = (b * b) % mod
    e >>= 1n
  }
  return result
}

/** Core XOnlyPubKey::IsFullyValid: x < p and x³ + 7 is a square mod p (Euler's criterion). */
function isValidXOnly(x32: Uint8Array): boolean {
  const x = BigInt(`0x${toHex(x32)}`)
  if (x >= P) return false
  const y2 = (x * x * x + 7n) % P
  return y2 === 0n || modPow(y2, (P - 1n) / 2n, P) === 1n
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
