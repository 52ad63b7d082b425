/**
 * A hand-driven BIP324 endpoint for tests: it speaks the v2 handshake and
 * packets from the primitives, so a test can send anything (decoys, bad tags,
 * huge lengths, bytes one at a time) and read what our transport answers.
 */
import { randomBytes } from 'node:crypto'
import { deriveSessionKeys, FSChaCha20Poly1305, PacketCipher, TAG_LEN } from '../../src/bip324/cipher.ts'
import { bip324EcdhSecret, createEllSwiftKey } from '../../src/bip324/ellswift.ts'
import { shortMessageId } from '../../src/bip324/message-ids.ts'

export const concat = (parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))

export interface RawPacket {
  ignore: boolean
  contents: Uint8Array
}

export class RawV2 {
  readonly key = createEllSwiftKey((n) => new Uint8Array(randomBytes(n)))
  readonly garbage: Uint8Array
  cipher: PacketCipher | undefined
  sendTerminator: Uint8Array | undefined
  recvTerminator: Uint8Array | undefined
  sessionId: Uint8Array | undefined
  // Receiving.
  #buf: Uint8Array = new Uint8Array(0)
  #theirKey = false
  #terminatorSeen = false
  #recvAad: Uint8Array = new Uint8Array(0)
  #len = -1

  readonly magic: Uint8Array
  readonly initiating: boolean

  constructor(magic: Uint8Array, initiating: boolean, garbageLength = 10) {
    this.magic = magic
    this.initiating = initiating
    this.garbage = new Uint8Array(randomBytes(garbageLength))
  }

  /** Our key and garbage. */
  hello(): Uint8Array {
    return concat([this.key.encoded, this.garbage])
  }

  /** Derive the session from their 64-byte key; returns nothing to send. */
  onTheirKey(theirs: Uint8Array): void {
    const secret = bip324EcdhSecret(this.key.privateKey, theirs, this.key.encoded, this.initiating)
    const keys = deriveSessionKeys(secret, this.magic, this.initiating)
    this.cipher = new PacketCipher(keys)
    this.sendTerminator = keys.sendGarbageTerminator
    this.recvTerminator = keys.recvGarbageTerminator
    this.sessionId = keys.sessionId
  }

  /** One packet's wire bytes. */
  packet(contents: Uint8Array, opts: { ignore?: boolean; aad?: Uint8Array } = {}): Uint8Array {
    return concat(this.cipher!.encrypt([contents], opts.aad ?? new Uint8Array(0), opts.ignore ?? false))
  }

  /** Terminator, then the version packet (garbage as AAD), optionally after decoys. */
  finish(decoys = 0): Uint8Array {
    const parts: Uint8Array[] = [this.sendTerminator!]
    let aad = this.garbage
    for (let i = 0; i < decoys; i++) {
      parts.push(this.packet(new Uint8Array(i + 1), { ignore: true, aad }))
      aad = new Uint8Array(0)
    }
    parts.push(this.packet(new Uint8Array(0), { aad }))
    return concat(parts)
  }

  /** A message in the one-byte form when it has one, else the long form. */
  message(command: string, payload: Uint8Array, long = false): Uint8Array {
    const id = long ? undefined : shortMessageId(command)
    const type = id !== undefined ? Uint8Array.of(id) : new Uint8Array(13)
    if (id === undefined) type.set(Buffer.from(command, 'ascii'), 1)
    return this.packet(concat([type, payload]))
  }

  /**
   * Feed bytes from our transport; returns the non-decoy packets completed
   * (the version packet included, first). Throws on a bad tag.
   */
  read(bytes: Uint8Array): RawPacket[] {
    this.#buf = concat([this.#buf, bytes])
    const out: RawPacket[] = []
    if (!this.#theirKey) {
      if (this.#buf.length < 64) return out
      this.onTheirKey(this.#buf.subarray(0, 64))
      this.#theirKey = true
      this.#buf = this.#buf.slice(64)
    }
    if (!this.#terminatorSeen) {
      const at = Buffer.from(this.#buf).indexOf(Buffer.from(this.recvTerminator!))
      if (at < 0) return out
      this.#recvAad = this.#buf.slice(0, at)
      this.#buf = this.#buf.slice(at + 16)
      this.#terminatorSeen = true
    }
    for (;;) {
      if (this.#len < 0) {
        if (this.#buf.length < 3) return out
        this.#len = this.cipher!.decryptLength(this.#buf.subarray(0, 3))
        this.#buf = this.#buf.slice(3)
      }
      if (this.#buf.length < this.#len + 1 + TAG_LEN) return out
      const d = this.cipher!.beginDecrypt(this.#recvAad)
      this.#recvAad = new Uint8Array(0)
      const plain = d.update(this.#buf.subarray(0, this.#len + 1))
      if (!FSChaCha20Poly1305.finish(d, this.#buf.subarray(this.#len + 1, this.#len + 1 + TAG_LEN))) {
        throw new Error('Bad tag from our transport.')
      }
      this.#buf = this.#buf.slice(this.#len + 1 + TAG_LEN)
      this.#len = -1
      if ((plain[0]! & 0x80) === 0) out.push({ ignore: false, contents: new Uint8Array(plain.subarray(1)) })
    }
  }
}
