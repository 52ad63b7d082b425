/**
 * ECDSA signing for the chain generator, made cheap by a fixed nonce per key.
 *
 * A signature is (r, s) with r = x(k·G) mod n and s = k⁻¹(z + r·d) mod n.
 * The expensive parts are k·G and k⁻¹; with one nonce k per key they are
 * computed once (with tiny-secp256k1), and each signature is then one
 * multiplication and one reduction on 256-bit integers: about 50 times
 * faster than a full RFC 6979 signature, which made signing most of the cost
 * of a filled chain.
 *
 * The signatures are ordinary valid ECDSA signatures (low S, strict DER):
 * a verifier does the same work for them as for any other. Reusing a nonce
 * reveals the private key to anyone who sees two signatures, which does not
 * matter here: these keys are derived from a public seed and only ever hold
 * regtest coins. Never use this for keys that matter.
 */
import { createHash } from 'node:crypto'
import { ChainGenError } from './errors.ts'

type Ecc = typeof import('tiny-secp256k1')

let eccModule: Promise<Ecc> | undefined
/** tiny-secp256k1 (libsecp256k1 as WebAssembly: no native build), loaded on first use. */
export function loadEcc(): Promise<Ecc> {
  eccModule ??= import('tiny-secp256k1')
  return eccModule
}

/** The order of secp256k1's group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const HALF_N = SECP256K1_N >> 1n

const toBigInt = (b: Uint8Array): bigint =>
  BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')}`)

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

/** Minimal big-endian two's-complement-positive encoding of a DER INTEGER's value. */
function derInteger(v: bigint): Uint8Array {
  let hex = v.toString(16)
  if (hex.length & 1) hex = `0${hex}`
  const bytes = Buffer.from(hex, 'hex')
  return (bytes[0] as number) & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes
}

interface KeyState {
  readonly r: bigint
  readonly rDer: Uint8Array
  /** r·d mod n */
  readonly rd: bigint
  readonly kInv: bigint
}

export interface FastSigner {
  /** A strict-DER signature of the 32-byte `digest` with key `index`, followed by SIGHASH_ALL (0x01). */
  sign(index: number, digest: Uint8Array): Uint8Array
  /** The same signature as 64 bytes r ‖ s (for verifiers that take compact signatures). */
  signCompact(index: number, digest: Uint8Array): Uint8Array
}

/**
 * A signer for `privateKeys`, with the nonce of key i derived from `seed`
 * and i. Each key's first signature is checked with tiny-secp256k1's verify.
 */
export async function createFastSigner(
  privateKeys: readonly Uint8Array[],
  seed: string,
): Promise<FastSigner> {
  const ecc = await loadEcc()
  const states: KeyState[] = privateKeys.map((priv, i) => {
    const d = toBigInt(priv)
    for (let attempt = 0; ; attempt++) {
      const kBytes = createHash('sha256').update(`chaingen nonce ${seed} ${i} ${attempt}`).digest()
      const k = toBigInt(kBytes)
      if (k === 0n || k >= SECP256K1_N) continue
      const point = ecc.pointFromScalar(kBytes, true)
      if (!point) continue
      const r = toBigInt(point.subarray(1)) % SECP256K1_N
      if (r === 0n) continue
      return {
        r,
        rDer: derInteger(r),
        rd: (r * d) % SECP256K1_N,
        kInv: modPow(k, SECP256K1_N - 2n, SECP256K1_N),
      }
    }
  })

  const sValue = (index: number, digest: Uint8Array): bigint => {
    const st = states[index]
    if (!st) throw new ChainGenError(`No key at index ${index}.`)
    const s = (st.kInv * ((toBigInt(digest) + st.rd) % SECP256K1_N)) % SECP256K1_N
    if (s === 0n) throw new ChainGenError('The signature came out as s = 0.')
    return s > HALF_N ? SECP256K1_N - s : s
  }

  const signer: FastSigner = {
    sign(index, digest) {
      const st = states[index]!
      const sDer = derInteger(sValue(index, digest))
      const out = new Uint8Array(6 + st.rDer.length + sDer.length + 1)
      out[0] = 0x30
      out[1] = 4 + st.rDer.length + sDer.length
      out[2] = 0x02
      out[3] = st.rDer.length
      out.set(st.rDer, 4)
      out[4 + st.rDer.length] = 0x02
      out[5 + st.rDer.length] = sDer.length
      out.set(sDer, 6 + st.rDer.length)
      out[out.length - 1] = 0x01
      return out
    },
    signCompact(index, digest) {
      const st = states[index]!
      const hex = st.r.toString(16).padStart(64, '0') + sValue(index, digest).toString(16).padStart(64, '0')
      return new Uint8Array(Buffer.from(hex, 'hex'))
    },
  }

  // Self-check: a wrong formula would otherwise surface as "bcoin rejected block 101".
  const probe = createHash('sha256').update(`chaingen probe ${seed}`).digest()
  privateKeys.forEach((priv, i) => {
    const pub = ecc.pointFromScalar(priv, true)
    if (!pub || !ecc.verify(probe, pub, signer.signCompact(i, probe), true)) {
      throw new ChainGenError(`The signature of key ${i} does not verify.`)
    }
  })
  return signer
}
