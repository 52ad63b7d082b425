/**
 * The ElligatorSwift key exchange of BIP324: a secp256k1 key pair whose
 * public key travels as 64 bytes indistinguishable from random, and the
 * x-only ECDH secret both sides derive from the two encodings.
 *
 * Core: src/pubkey.cpp (EllSwiftPubKey::Decode), src/key.cpp
 * (CKey::EllSwiftCreate, CKey::ComputeBIP324ECDHSecret), libsecp256k1's
 * ellswift module. The curve and the ElligatorSwift maps come from
 * @noble/curves and @scure/btc-signer's `elligatorSwift` (checked here
 * against every row of BIP324's test vectors).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import { elligatorSwift } from '@scure/btc-signer/p2p.js'

/** Bytes of an ElligatorSwift-encoded public key. */
export const ELLSWIFT_PUBKEY_LEN = 64

export interface EllSwiftKey {
  /** The 32-byte secret scalar. */
  readonly privateKey: Uint8Array
  /** Its public key, ElligatorSwift-encoded (64 bytes). */
  readonly encoded: Uint8Array
}

/**
 * A fresh key pair. The secret comes from `randomBytes` (drawn again in the
 * negligible case it is not a valid scalar); the encoding's own randomness
 * (the `u` field element and the case) comes from the library's CSPRNG, as
 * Core draws it from GetRandHash().
 */
export function createEllSwiftKey(randomBytes: (n: number) => Uint8Array): EllSwiftKey {
  for (;;) {
    const privateKey = randomBytes(32)
    if (!secp256k1.utils.isValidSecretKey(privateKey)) continue
    const pub = secp256k1.getPublicKey(privateKey, true)
    const encoded = elligatorSwift.encode(bytesToNumberBE(pub.subarray(1)))
    return { privateKey, encoded: Uint8Array.from(encoded) }
  }
}

/** The x coordinate (32 bytes) an ElligatorSwift encoding stands for. Any 64 bytes decode. */
export function decodeEllSwift(encoded: Uint8Array): Uint8Array {
  return Uint8Array.from(elligatorSwift.decode(encoded))
}

/** The x coordinate of `privateKey` times the point `theirs` encodes. */
export function ellSwiftEcdhX(privateKey: Uint8Array, theirs: Uint8Array): Uint8Array {
  return Uint8Array.from(elligatorSwift.getSharedSecret(privateKey, theirs))
}

/**
 * BIP324's shared secret: the tagged hash "bip324_ellswift_xonly_ecdh" of the
 * initiator's encoding, the responder's encoding and the x-only ECDH result.
 */
export function bip324EcdhSecret(
  privateKey: Uint8Array,
  theirs: Uint8Array,
  ours: Uint8Array,
  initiating: boolean,
): Uint8Array {
  return Uint8Array.from(elligatorSwift.getSharedSecretBip324(privateKey, theirs, ours, initiating))
}
