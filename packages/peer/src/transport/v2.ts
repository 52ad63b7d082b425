/**
 * The v2 transport of BIP324: ElligatorSwift key exchange, garbage and its
 * terminator, the version packet, then ChaCha20-Poly1305 packets with
 * encrypted lengths; decoy packets are dropped. As a responder it first tells
 * a v1 peer from a v2 one by the first 16 bytes (network magic and
 * "version\0\0\0\0\0") and, for a v1 peer, becomes a v1 transport.
 *
 * Follows Core's V2Transport in src/net.cpp: ProcessReceivedMaybeV1Bytes,
 * ProcessReceivedKeyBytes, ProcessReceivedGarbageBytes,
 * ProcessReceivedPacketBytes, GetMessageType, SetMessageToSend,
 * ShouldReconnectV1 and GetInfo. Differences in shape, not in behaviour: we
 * take every received byte at once instead of GetMaxBytesToProcess() at a
 * time, and search the garbage for its terminator per chunk instead of per
 * byte (the first terminator still wins).
 *
 * Memory per connection: 64 key bytes, at most 4,095 + 16 garbage bytes
 * during the handshake, then one packet's contents, whose length is checked
 * against the limit before anything of it is buffered (the v1 bound: one
 * 4,000,000-byte payload plus a few bytes).
 */

import type { DecipherChaCha20Poly1305 } from 'node:crypto'
import {
  COMMAND_SIZE,
  decodePayload,
  EncodeError,
  type FrameEvent,
  isKnownCommand,
  MAX_PROTOCOL_MESSAGE_LENGTH,
  type Magic,
  type ProtocolError,
  parseCommand,
  toHex,
} from '@node/wire'
import {
  deriveSessionKeys,
  EXPANSION,
  FSChaCha20Poly1305,
  GARBAGE_TERMINATOR_LEN,
  HEADER_LEN,
  IGNORE_BIT,
  LENGTH_LEN,
  PacketCipher,
  TAG_LEN,
} from '../bip324/cipher.ts'
import {
  bip324EcdhSecret,
  createEllSwiftKey,
  ELLSWIFT_PUBKEY_LEN,
  type EllSwiftKey,
} from '../bip324/ellswift.ts'
import { commandOfShortId, shortMessageId } from '../bip324/message-ids.ts'
import {
  V2BadMessageTypeError,
  V2DecryptError,
  V2GarbageTerminatorError,
  V2PacketTooLargeError,
  V2WrongNetworkError,
} from './errors.ts'
import type { Transport, TransportComponents, TransportProtocol } from './transport.ts'
import { V1Transport } from './v1.ts'

/** Most garbage a peer may send before its terminator. */
export const MAX_GARBAGE_LEN = 4095
/** Largest packet contents: the long message type form and the largest payload (Core MAX_CONTENTS_LEN). */
export const MAX_V2_CONTENTS_LEN = 1 + COMMAND_SIZE + MAX_PROTOCOL_MESSAGE_LENGTH
/** Bytes that tell a v1 peer: the network magic and "version" padded to 12 bytes. */
export const V1_PREFIX_LEN = 16

const VERSION_MATCH = new Uint8Array([0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0, 0, 0, 0, 0])
const EMPTY = new Uint8Array(0)
const ASCII = new TextEncoder()

export interface V2TransportComponents extends TransportComponents {
  /** Randomness for our key and garbage. */
  randomBytes(n: number): Uint8Array
}

export interface V2TransportInit {
  magic: Magic
  /** True on the outbound side (the initiator sends its key first). */
  initiating: boolean
  /** Bytes of garbage to send; random in 0…4,095 when not given (Core GenerateRandomGarbage). */
  garbageLength?: number | undefined
}

type RecvState = 'maybe-v1' | 'key' | 'garbage' | 'version' | 'app' | 'v1'

export class V2Transport implements Transport {
  readonly #components: V2TransportComponents
  readonly #magic: Magic
  readonly #initiating: boolean
  readonly #garbageLength: number | undefined

  #recv: RecvState
  #started = false
  #sendReady = false
  #v1: V1Transport | undefined
  #failed: ProtocolError | undefined

  // Handshake.
  #ourKey: EllSwiftKey | undefined
  #ourGarbage: Uint8Array | undefined
  readonly #keyBuf = new Uint8Array(ELLSWIFT_PUBKEY_LEN)
  #keyFill = 0
  #garbage: Uint8Array | undefined
  #garbageFill = 0
  #recvTerminator: Uint8Array | undefined
  #aad: Uint8Array = EMPTY
  #cipher: PacketCipher | undefined
  #sessionId: Uint8Array | undefined

  // The packet being received.
  readonly #lenBuf = new Uint8Array(LENGTH_LEN)
  #lenFill = 0
  #len = -1
  #decipher: DecipherChaCha20Poly1305 | undefined
  #plain: Uint8Array | undefined
  #cipherFill = 0
  #plainFill = 0
  readonly #tag = new Uint8Array(TAG_LEN)
  #tagFill = 0

  constructor(components: V2TransportComponents, init: V2TransportInit) {
    if (init.magic.length !== 4) throw new TypeError('A magic is 4 bytes.')
    if (
      init.garbageLength !== undefined &&
      !(init.garbageLength >= 0 && init.garbageLength <= MAX_GARBAGE_LEN)
    ) {
      throw new RangeError(`Garbage is 0 to ${MAX_GARBAGE_LEN} bytes.`)
    }
    this.#components = components
    this.#magic = init.magic.slice()
    this.#initiating = init.initiating
    this.#garbageLength = init.garbageLength
    this.#recv = init.initiating ? 'key' : 'maybe-v1'
  }

  get protocol(): TransportProtocol {
    if (this.#recv === 'v1') return 'v1'
    return this.#recv === 'app' ? 'v2' : 'detecting'
  }

  get sessionId(): Uint8Array | undefined {
    return this.#recv === 'app' ? this.#sessionId : undefined
  }

  get failed(): ProtocolError | undefined {
    return this.#v1 ? this.#v1.failed : this.#failed
  }

  get canSend(): boolean {
    return this.#recv === 'v1' || this.#sendReady
  }

  get buffered(): number {
    if (this.#v1) return this.#v1.buffered
    return this.#keyFill + this.#garbageFill + this.#lenFill + this.#cipherFill + this.#tagFill
  }

  get reconnectAsV1(): boolean {
    // Core ShouldReconnectV1: outbound, nothing received, and our key (more than a v1 header's worth) sent.
    return this.#initiating && this.#started && this.#recv === 'key' && this.#keyFill === 0
  }

  #recvIsV1(): boolean {
    return this.#recv === 'v1'
  }

  start(): void {
    if (this.#started) return
    this.#started = true
    if (this.#initiating) this.#startSendingHandshake()
  }

  receive(chunk: Uint8Array): FrameEvent[] {
    if (this.#v1) return this.#v1.receive(chunk)
    const events: FrameEvent[] = []
    if (this.#failed) return events
    let off = 0
    const end = chunk.length
    while (off < end && !this.#failed) {
      switch (this.#recv) {
        case 'maybe-v1':
          off = this.#receiveMaybeV1(chunk, off)
          if (this.#recvIsV1()) {
            // Hand the 16 bytes and the rest of the chunk to the v1 transport.
            const v1 = this.#v1!
            events.push(...v1.receive(this.#keyBuf.subarray(0, V1_PREFIX_LEN)))
            this.#keyFill = 0
            if (off < end) events.push(...v1.receive(chunk.subarray(off)))
            this.#components.sendable()
            return events
          }
          break
        case 'key':
          off = this.#receiveKey(chunk, off)
          break
        case 'garbage':
          off = this.#receiveGarbage(chunk, off)
          break
        case 'version':
        case 'app':
          off = this.#receivePacket(chunk, off, events)
          break
        case 'v1':
          return events
      }
    }
    if (this.#failed) events.push({ kind: 'error', error: this.#failed, size: 0 })
    return events
  }

  encode(command: string, payload: Uint8Array): Uint8Array[] {
    if (this.#v1) return this.#v1.encode(command, payload)
    const cipher = this.#cipher
    if (!this.#sendReady || !cipher) throw new Error('The v2 transport cannot send before the key exchange.')
    const id = shortMessageId(command)
    let type: Uint8Array
    if (id !== undefined) {
      type = Uint8Array.of(id)
    } else {
      const name = ASCII.encode(command)
      if (name.length === 0 || name.length > COMMAND_SIZE)
        throw new EncodeError(`Command "${command}" does not fit 12 bytes.`)
      type = new Uint8Array(1 + COMMAND_SIZE)
      type.set(name, 1)
    }
    const pieces = cipher.encrypt([type, payload], EMPTY, false)
    if (pieces.length === 1) return pieces
    // [length, header, type, payload, tag]: the large ciphertext goes out as it is.
    return [concat(pieces.slice(0, 3)), pieces[3]!, pieces[4]!]
  }

  reset(): void {
    this.#v1?.reset()
    this.#keyFill = 0
    this.#garbage = undefined
    this.#garbageFill = 0
    this.#ourGarbage = undefined
    this.#dropPacket()
  }

  // --- handshake ----------------------------------------------------------------

  #startSendingHandshake(): void {
    const random = this.#components.randomBytes
    this.#ourKey = createEllSwiftKey(random)
    let n = this.#garbageLength
    if (n === undefined) {
      const r = random(2)
      n = ((r[0]! | (r[1]! << 8)) >>> 0) % (MAX_GARBAGE_LEN + 1)
    }
    this.#ourGarbage = n > 0 ? random(n).slice(0, n) : EMPTY
    const out = new Uint8Array(ELLSWIFT_PUBKEY_LEN + n)
    out.set(this.#ourKey.encoded, 0)
    out.set(this.#ourGarbage, ELLSWIFT_PUBKEY_LEN)
    this.#components.write(out)
  }

  /** Responder: compare with the v1 prefix; a mismatch means v2, a full match v1. */
  #receiveMaybeV1(chunk: Uint8Array, off: number): number {
    const n = Math.min(V1_PREFIX_LEN - this.#keyFill, chunk.length - off)
    this.#keyBuf.set(chunk.subarray(off, off + n), this.#keyFill)
    const from = this.#keyFill
    this.#keyFill += n
    for (let i = from; i < this.#keyFill; i++) {
      const want = i < 4 ? this.#magic[i]! : VERSION_MATCH[i - 4]!
      if (this.#keyBuf[i] !== want) {
        // A v2 peer: keep the bytes as the start of its key, and send ours.
        this.#recv = 'key'
        this.#startSendingHandshake()
        this.#checkKey()
        return off + n
      }
    }
    if (this.#keyFill === V1_PREFIX_LEN) {
      this.#recv = 'v1'
      this.#v1 = new V1Transport({ magic: this.#magic })
    }
    return off + n
  }

  #receiveKey(chunk: Uint8Array, off: number): number {
    const n = Math.min(ELLSWIFT_PUBKEY_LEN - this.#keyFill, chunk.length - off)
    this.#keyBuf.set(chunk.subarray(off, off + n), this.#keyFill)
    this.#keyFill += n
    this.#checkKey()
    return off + n
  }

  /** A responder refuses a v1 version header under another magic; a whole key starts the session. */
  #checkKey(): void {
    if (!this.#initiating && this.#keyFill >= V1_PREFIX_LEN) {
      let match = true
      for (let i = 0; i < VERSION_MATCH.length && match; i++) match = this.#keyBuf[4 + i] === VERSION_MATCH[i]
      if (match) {
        this.#failed = new V2WrongNetworkError(toHex(this.#keyBuf.subarray(0, 4)))
        return
      }
    }
    if (this.#keyFill === ELLSWIFT_PUBKEY_LEN) this.#onKey()
  }

  #onKey(): void {
    const ours = this.#ourKey!
    const theirs = this.#keyBuf.slice()
    const secret = bip324EcdhSecret(ours.privateKey, theirs, ours.encoded, this.#initiating)
    const keys = deriveSessionKeys(secret, this.#magic, this.#initiating)
    secret.fill(0)
    ours.privateKey.fill(0)
    this.#ourKey = undefined
    this.#cipher = new PacketCipher(keys)
    this.#recvTerminator = keys.recvGarbageTerminator
    this.#sessionId = keys.sessionId
    this.#keyFill = 0
    this.#recv = 'garbage'
    this.#garbage = new Uint8Array(MAX_GARBAGE_LEN + GARBAGE_TERMINATOR_LEN)
    this.#garbageFill = 0
    // Our garbage terminator, then the version packet (empty contents) with our garbage as AAD.
    const version = this.#cipher.encrypt([], this.#ourGarbage ?? EMPTY, false)
    this.#ourGarbage = undefined
    this.#components.write(concat([keys.sendGarbageTerminator, ...version]))
    this.#sendReady = true
    this.#components.sendable()
  }

  /** Garbage until the first occurrence of the terminator; at most 4,095 + 16 bytes. */
  #receiveGarbage(chunk: Uint8Array, off: number): number {
    const buf = this.#garbage!
    const term = this.#recvTerminator!
    const before = this.#garbageFill
    const n = Math.min(buf.length - before, chunk.length - off)
    buf.set(chunk.subarray(off, off + n), before)
    const after = before + n
    // Terminators ending at or before `before` were already ruled out.
    for (let p = Math.max(0, before - GARBAGE_TERMINATOR_LEN + 1); p + GARBAGE_TERMINATOR_LEN <= after; p++) {
      let k = 0
      while (k < GARBAGE_TERMINATOR_LEN && buf[p + k] === term[k]) k++
      if (k === GARBAGE_TERMINATOR_LEN) {
        this.#aad = buf.slice(0, p)
        this.#garbage = undefined
        this.#garbageFill = 0
        this.#recv = 'version'
        return off + (p + GARBAGE_TERMINATOR_LEN - before)
      }
    }
    this.#garbageFill = after
    if (after === buf.length)
      this.#failed = new V2GarbageTerminatorError(MAX_GARBAGE_LEN + GARBAGE_TERMINATOR_LEN)
    return off + n
  }

  // --- packets --------------------------------------------------------------------

  #receivePacket(chunk: Uint8Array, off: number, events: FrameEvent[]): number {
    const end = chunk.length
    if (this.#len < 0) {
      const n = Math.min(LENGTH_LEN - this.#lenFill, end - off)
      this.#lenBuf.set(chunk.subarray(off, off + n), this.#lenFill)
      this.#lenFill += n
      off += n
      if (this.#lenFill < LENGTH_LEN) return off
      const len = this.#cipher!.decryptLength(this.#lenBuf)
      this.#lenFill = 0
      if (len > MAX_V2_CONTENTS_LEN) {
        this.#failed = new V2PacketTooLargeError(len, MAX_V2_CONTENTS_LEN)
        return off
      }
      this.#len = len
      this.#decipher = this.#cipher!.beginDecrypt(this.#aad)
      const body = HEADER_LEN + len
      if (end - off >= body + TAG_LEN) {
        // The whole packet is in this chunk: decrypt it in place.
        const plain = this.#decipher.update(chunk.subarray(off, off + body))
        this.#finishPacket(plain, chunk.subarray(off + body, off + body + TAG_LEN), events)
        return off + body + TAG_LEN
      }
      this.#plain = new Uint8Array(body)
      this.#cipherFill = 0
      this.#plainFill = 0
      this.#tagFill = 0
    }
    const body = HEADER_LEN + this.#len
    if (this.#cipherFill < body) {
      const n = Math.min(body - this.#cipherFill, end - off)
      const out = this.#decipher!.update(chunk.subarray(off, off + n))
      this.#plain!.set(out, this.#plainFill)
      this.#plainFill += out.length
      this.#cipherFill += n
      off += n
      if (this.#cipherFill < body) return off
    }
    const n = Math.min(TAG_LEN - this.#tagFill, end - off)
    this.#tag.set(chunk.subarray(off, off + n), this.#tagFill)
    this.#tagFill += n
    off += n
    if (this.#tagFill === TAG_LEN) this.#finishPacket(this.#plain!, this.#tag, events)
    return off
  }

  #finishPacket(plain: Uint8Array, tag: Uint8Array, events: FrameEvent[]): void {
    const len = this.#len
    const ok = FSChaCha20Poly1305.finish(this.#decipher!, tag)
    this.#dropPacket()
    if (!ok || plain.length !== HEADER_LEN + len) {
      this.#failed = new V2DecryptError(len)
      return
    }
    // The garbage is authenticated by the first packet after it, decoy or not.
    this.#aad = EMPTY
    if ((plain[0]! & IGNORE_BIT) !== 0) return // a decoy
    if (this.#recv === 'version') {
      // The version packet: its contents are reserved for extensions and ignored.
      this.#recv = 'app'
      return
    }
    events.push(decodeContents(plain.subarray(HEADER_LEN), len + EXPANSION))
  }

  #dropPacket(): void {
    this.#len = -1
    this.#lenFill = 0
    this.#decipher = undefined
    this.#plain = undefined
    this.#cipherFill = 0
    this.#plainFill = 0
    this.#tagFill = 0
  }
}

/** Message type (one-byte id, or 0 and the 12-byte long form) and payload (Core GetMessageType). */
function decodeContents(contents: Uint8Array, size: number): FrameEvent {
  if (contents.length === 0)
    return { kind: 'error', error: new V2BadMessageTypeError('empty contents'), size }
  const id = contents[0]!
  let command: string
  let payload: Uint8Array
  if (id !== 0) {
    const c = commandOfShortId(id)
    if (c === undefined) return { kind: 'error', error: new V2BadMessageTypeError(`unknown id ${id}`), size }
    command = c
    payload = contents.subarray(1)
  } else {
    if (contents.length < 1 + COMMAND_SIZE) {
      return { kind: 'error', error: new V2BadMessageTypeError('short long-form type'), size }
    }
    try {
      command = parseCommand(contents.subarray(1, 1 + COMMAND_SIZE))
    } catch (err) {
      return { kind: 'error', error: err as ProtocolError, size }
    }
    payload = contents.subarray(1 + COMMAND_SIZE)
  }
  if (!isKnownCommand(command)) return { kind: 'unknown', command, payload, size }
  try {
    return { kind: 'message', message: decodePayload(command, payload), payload, size }
  } catch (err) {
    return { kind: 'error', error: err as ProtocolError, command, size }
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
