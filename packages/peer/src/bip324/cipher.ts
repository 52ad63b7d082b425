/**
 * BIP324's ciphers: the forward-secure length cipher (FSChaCha20), the
 * forward-secure packet AEAD (FSChaCha20Poly1305), and the session cipher
 * that derives both directions' keys, the garbage terminators and the session
 * id from the ECDH secret.
 *
 * Follows Bitcoin Core's src/bip324.cpp (BIP324Cipher::Initialize, Encrypt,
 * DecryptLength, Decrypt), src/crypto/chacha20.cpp (FSChaCha20::Crypt) and
 * src/crypto/chacha20poly1305.cpp (AEADChaCha20Poly1305, FSChaCha20Poly1305::
 * NextPacket), and BIP324 itself.
 *
 * All primitives come from node:crypto (OpenSSL):
 * - `chacha20-poly1305` is RFC 8439's AEAD with a 96-bit nonce; BIP324's nonce
 *   is the packet counter (4 bytes LE) followed by the rekey counter (8 bytes LE);
 * - `chacha20` takes a 16-byte IV: the 32-bit block counter (LE) followed by
 *   the same 96-bit nonce;
 * - `hkdf` is RFC 5869 HKDF-SHA256.
 */
import {
  type Cipher,
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type DecipherChaCha20Poly1305,
  hkdfSync,
  type KeyObject,
} from 'node:crypto'

/** Packets (and length chunks) per key: after this many, both ciphers rekey. */
export const REKEY_INTERVAL = 224
/** Bytes of the encrypted length field. */
export const LENGTH_LEN = 3
/** Bytes of the packet header (the ignore bit lives in its top bit). */
export const HEADER_LEN = 1
/** The header bit that marks a decoy packet. */
export const IGNORE_BIT = 0x80
/** Poly1305 tag bytes. */
export const TAG_LEN = 16
/** Bytes a packet adds to its contents: length, header and tag. */
export const EXPANSION = LENGTH_LEN + HEADER_LEN + TAG_LEN
/** Bytes of each garbage terminator. */
export const GARBAGE_TERMINATOR_LEN = 16
/** Bytes of a session id. */
export const SESSION_ID_LEN = 32

const ZERO32 = new Uint8Array(32)
/** Contents below this size are encrypted from one copied buffer into one output buffer. */
const SMALL_PACKET = 16 * 1024

/** The 96-bit nonce (packet or block index 4 bytes LE, then the rekey counter 8 bytes LE). */
function nonce96(out: Uint8Array, offset: number, first: number, rekeyCounter: number): void {
  writeU32LE(out, offset, first)
  writeU32LE(out, offset + 4, rekeyCounter)
  writeU32LE(out, offset + 8, Math.floor(rekeyCounter / 0x100000000))
}

function writeU32LE(out: Uint8Array, o: number, v: number): void {
  out[o] = v & 0xff
  out[o + 1] = (v >>> 8) & 0xff
  out[o + 2] = (v >>> 16) & 0xff
  out[o + 3] = (v >>> 24) & 0xff
}

/** An OpenSSL `chacha20` stream at `block` of `nonce(first, rekeyCounter)`. */
function chacha20At(key: Uint8Array, block: number, first: number, rekeyCounter: number): Cipher {
  const iv = new Uint8Array(16)
  new DataView(iv.buffer).setUint32(0, block, true)
  nonce96(iv, 4, first, rekeyCounter)
  return createCipheriv('chacha20', key, iv)
}

/**
 * FSChaCha20: one ChaCha20 stream per key, used 3 bytes at a time to encrypt
 * packet lengths. After every REKEY_INTERVAL chunks the next 32 bytes of the
 * stream become the new key, and the nonce's rekey counter goes up
 * (Core: FSChaCha20::Crypt).
 */
export class FSChaCha20 {
  #stream: Cipher
  #chunkCounter = 0
  #rekeyCounter = 0

  constructor(key: Uint8Array) {
    this.#stream = chacha20At(key, 0, 0, 0)
  }

  /** Encrypt or decrypt one chunk (the same operation). */
  crypt(chunk: Uint8Array): Uint8Array {
    const out = this.#stream.update(chunk)
    if (++this.#chunkCounter === REKEY_INTERVAL) {
      const newKey = this.#stream.update(ZERO32)
      this.#chunkCounter = 0
      this.#rekeyCounter++
      this.#stream = chacha20At(newKey, 0, 0, this.#rekeyCounter)
      newKey.fill(0)
    }
    return out
  }
}

/**
 * FSChaCha20Poly1305: the RFC 8439 AEAD with a nonce made of the packet
 * counter and the rekey counter. After every REKEY_INTERVAL packets the key is
 * replaced by the first 32 bytes of ChaCha20 block 1 under nonce
 * (0xffffffff, rekey counter) (Core: FSChaCha20Poly1305::NextPacket and
 * AEADChaCha20Poly1305::Keystream).
 */
export class FSChaCha20Poly1305 {
  #key: Uint8Array
  // The same key as a KeyObject: a cipher per packet then skips converting the raw key each time.
  #keyObject: KeyObject
  #packetCounter = 0
  #rekeyCounter = 0
  readonly #nonce = new Uint8Array(12)

  constructor(key: Uint8Array) {
    this.#key = key.slice()
    this.#keyObject = createSecretKey(this.#key)
  }

  /** The nonce for the current packet. */
  #currentNonce(): Uint8Array {
    nonce96(this.#nonce, 0, this.#packetCounter, this.#rekeyCounter)
    return this.#nonce
  }

  /**
   * Encrypt `parts` (concatenated) with `aad`; returns the ciphertext pieces,
   * one per part, and the tag. Advances to the next packet.
   */
  encrypt(parts: readonly Uint8Array[], aad: Uint8Array): { pieces: Uint8Array[]; tag: Uint8Array } {
    const c = createCipheriv('chacha20-poly1305', this.#keyObject, this.#currentNonce(), {
      authTagLength: TAG_LEN,
    })
    if (aad.length > 0) c.setAAD(aad, { plaintextLength: 0 })
    const pieces: Uint8Array[] = []
    for (const p of parts) pieces.push(c.update(p))
    c.final()
    const tag = c.getAuthTag()
    this.#nextPacket()
    return { pieces, tag }
  }

  /**
   * Start decrypting the current packet: feed the ciphertext to the returned
   * decipher, then check it with {@link FSChaCha20Poly1305.finish}. Advances
   * to the next packet.
   */
  begin(aad: Uint8Array): DecipherChaCha20Poly1305 {
    const d = createDecipheriv('chacha20-poly1305', this.#keyObject, this.#currentNonce(), {
      authTagLength: TAG_LEN,
    })
    if (aad.length > 0) d.setAAD(aad, { plaintextLength: 0 })
    this.#nextPacket()
    return d
  }

  /** Check a packet's tag; false when authentication failed. */
  static finish(d: DecipherChaCha20Poly1305, tag: Uint8Array): boolean {
    d.setAuthTag(tag)
    try {
      d.final()
      return true
    } catch {
      return false
    }
  }

  #nextPacket(): void {
    if (++this.#packetCounter !== REKEY_INTERVAL) return
    const ks = chacha20At(this.#key, 1, 0xffffffff, this.#rekeyCounter)
    const newKey = ks.update(ZERO32)
    this.#key.fill(0)
    this.#key = newKey
    this.#keyObject = createSecretKey(newKey)
    this.#packetCounter = 0
    this.#rekeyCounter++
  }
}

/** What both sides derive from the ECDH secret (BIP324 "Keys and session ID derivation"). */
export interface SessionKeys {
  readonly sendL: Uint8Array
  readonly sendP: Uint8Array
  readonly recvL: Uint8Array
  readonly recvP: Uint8Array
  readonly sendGarbageTerminator: Uint8Array
  readonly recvGarbageTerminator: Uint8Array
  readonly sessionId: Uint8Array
}

const SALT_PREFIX = new TextEncoder().encode('bitcoin_v2_shared_secret')

function expand(secret: Uint8Array, salt: Uint8Array, label: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, salt, label, 32))
}

/**
 * HKDF-SHA256 over the ECDH secret, salted with "bitcoin_v2_shared_secret"
 * followed by the network magic (Core: BIP324Cipher::Initialize).
 */
export function deriveSessionKeys(secret: Uint8Array, magic: Uint8Array, initiator: boolean): SessionKeys {
  const salt = new Uint8Array(SALT_PREFIX.length + magic.length)
  salt.set(SALT_PREFIX, 0)
  salt.set(magic, SALT_PREFIX.length)
  const initiatorL = expand(secret, salt, 'initiator_L')
  const initiatorP = expand(secret, salt, 'initiator_P')
  const responderL = expand(secret, salt, 'responder_L')
  const responderP = expand(secret, salt, 'responder_P')
  const terminators = expand(secret, salt, 'garbage_terminators')
  const sessionId = expand(secret, salt, 'session_id')
  const first = terminators.slice(0, GARBAGE_TERMINATOR_LEN)
  const last = terminators.slice(32 - GARBAGE_TERMINATOR_LEN)
  return {
    sendL: initiator ? initiatorL : responderL,
    sendP: initiator ? initiatorP : responderP,
    recvL: initiator ? responderL : initiatorL,
    recvP: initiator ? responderP : initiatorP,
    sendGarbageTerminator: initiator ? first : last,
    recvGarbageTerminator: initiator ? last : first,
    sessionId,
  }
}

/**
 * One direction pair of packet ciphers. `encrypt` builds a whole packet
 * (length, header, contents, tag) as pieces to write in order, so a large
 * payload is encrypted once and never copied again.
 */
export class PacketCipher {
  readonly #sendL: FSChaCha20
  readonly #sendP: FSChaCha20Poly1305
  readonly #recvL: FSChaCha20
  readonly #recvP: FSChaCha20Poly1305

  constructor(keys: SessionKeys) {
    this.#sendL = new FSChaCha20(keys.sendL)
    this.#sendP = new FSChaCha20Poly1305(keys.sendP)
    this.#recvL = new FSChaCha20(keys.recvL)
    this.#recvP = new FSChaCha20Poly1305(keys.recvP)
  }

  /**
   * Encrypt a packet whose contents are the concatenation of `contents`.
   * Returns the wire pieces in order: one buffer for a small packet; for a
   * large one the encrypted length, the header, each part's ciphertext (the
   * payload's is never copied again) and the tag.
   */
  encrypt(contents: readonly Uint8Array[], aad: Uint8Array, ignore: boolean): Uint8Array[] {
    let len = 0
    for (const c of contents) len += c.length
    if (len > 0xffffff) throw new RangeError(`A BIP324 packet holds at most 16,777,215 bytes, not ${len}.`)
    const lenBytes = new Uint8Array([len & 0xff, (len >>> 8) & 0xff, (len >>> 16) & 0xff])
    const encLen = this.#sendL.crypt(lenBytes)
    if (len < SMALL_PACKET) {
      // Small packets: one plaintext buffer, one cipher update, one output buffer.
      const plain = new Uint8Array(HEADER_LEN + len)
      plain[0] = ignore ? IGNORE_BIT : 0
      let o = HEADER_LEN
      for (const c of contents) {
        plain.set(c, o)
        o += c.length
      }
      const { pieces, tag } = this.#sendP.encrypt([plain], aad)
      const out = new Uint8Array(LENGTH_LEN + plain.length + TAG_LEN)
      out.set(encLen, 0)
      out.set(pieces[0]!, LENGTH_LEN)
      out.set(tag, LENGTH_LEN + plain.length)
      return [out]
    }
    const header = new Uint8Array([ignore ? IGNORE_BIT : 0])
    const { pieces, tag } = this.#sendP.encrypt([header, ...contents], aad)
    return [encLen, ...pieces, tag]
  }

  /** Decrypt the 3-byte length field of the next packet (contents length, without header). */
  decryptLength(enc: Uint8Array): number {
    const b = this.#recvL.crypt(enc)
    return b[0]! | (b[1]! << 8) | (b[2]! << 16)
  }

  /** Start decrypting the next packet's header and contents (see FSChaCha20Poly1305.begin). */
  beginDecrypt(aad: Uint8Array): DecipherChaCha20Poly1305 {
    return this.#recvP.begin(aad)
  }
}
