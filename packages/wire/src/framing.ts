/**
 * Framing: the 24-byte header (magic ‖ command ‖ length ‖ checksum), a
 * one-shot frame codec and a streaming decoder for TCP chunks of any size.
 *
 * The checks and their order are Core's (net.cpp V1Transport::readHeader,
 * V1Transport::GetReceivedMessage, CNode::ReceiveMsgBytes):
 * - on the header: the magic, then the length bound (before any payload is
 *   buffered, so a peer cannot make us allocate more than 4,000,000 bytes).
 *   Either failure loses the stream's framing: Core disconnects;
 * - on the whole frame: the checksum, then the command field (printable
 *   ASCII, then only NULs: CMessageHeader::IsMessageTypeValid). Either
 *   failure rejects that message only ("Header error: Wrong checksum",
 *   "Header error: Invalid message type"): the frame was delimited by its
 *   length like any other, so the next frame is read normally;
 * - then the payload decoder, which rejects trailing bytes. (btcd also
 *   bounds each command's payload on the header; we do not, so that a padded
 *   message is reported as what it is, trailing bytes, and the 4 MB bound
 *   already caps what we buffer.)
 */

import { type Hash as CryptoHash, createHash } from 'node:crypto'
import { COMMAND_SIZE, HEADER_SIZE, MAX_PROTOCOL_MESSAGE_LENGTH } from './constants.ts'
import {
  BadChecksumError,
  BadCommandError,
  BadMagicError,
  EncodeError,
  ExtraFrameBytesError,
  PayloadTooLargeError,
  type ProtocolError,
  TruncatedFrameError,
} from './errors.ts'
import { sha256, sha256d, toHex } from './hash.ts'
import { decodePayload, encodePayload, isKnownCommand, type Message } from './messages.ts'

/** A network magic: 4 wire bytes. */
export type Magic = Uint8Array

export interface FrameHeader {
  /** The command, or, when the field is invalid, its printable bytes (for logs only). */
  readonly command: string
  readonly length: number
  readonly checksum: Uint8Array
  /** Set when the command field is not NUL-padded printable ASCII: the frame is dropped. */
  readonly badCommand?: BadCommandError | undefined
}

/** What the decoder yields for each frame. */
export type FrameEvent =
  /**
   * A message we know, decoded, with the payload bytes it was decoded from
   * (so that a block is stored and relayed as received, never re-encoded;
   * btcd hands `buf` to OnBlock the same way). `size` is the whole frame's size.
   */
  | {
      readonly kind: 'message'
      readonly message: Message
      readonly payload: Uint8Array
      readonly size: number
    }
  /** A well-formed frame with a command we do not know: reported, not fatal. */
  | {
      readonly kind: 'unknown'
      readonly command: string
      readonly payload: Uint8Array
      readonly size: number
    }
  /**
   * A frame that could not be used. Errors on a whole frame (checksum,
   * command field, payload) leave the stream going; errors on the header
   * (magic, length) mean the stream cannot be trusted any more, and the
   * decoder stops (see {@link FrameDecoder.failed}).
   */
  | {
      readonly kind: 'error'
      readonly error: ProtocolError
      /** The frame's command, when its command field was valid. */
      readonly command?: string | undefined
      /** The whole frame's size; 0 for a header error that stopped the decoder. */
      readonly size: number
    }

const ASCII_ENC = new TextEncoder()

function writeCommand(out: Uint8Array, offset: number, command: string): void {
  const bytes = ASCII_ENC.encode(command)
  if (bytes.length === 0 || bytes.length > COMMAND_SIZE)
    throw new EncodeError(`Command "${command}" does not fit 12 bytes.`)
  out.set(bytes, offset)
}

/** Parse and check the 12-byte command field (printable ASCII, then only NULs). */
export function parseCommand(field: Uint8Array): string {
  let end = 0
  while (end < field.length && field[end] !== 0) end++
  for (let i = end; i < field.length; i++) {
    if (field[i] !== 0) throw new BadCommandError('non-NUL byte after the command name')
  }
  if (end === 0) throw new BadCommandError('empty command')
  let s = ''
  for (let i = 0; i < end; i++) {
    const c = field[i]!
    if (c < 0x20 || c > 0x7e) throw new BadCommandError(`non-printable byte 0x${c.toString(16)}`)
    s += String.fromCharCode(c)
  }
  return s
}

/**
 * The 24-byte header for `payload` under `command`. Writing the header and
 * then the payload (e.g. with a corked socket) sends a frame without copying
 * the payload.
 */
export function frameHeader(magic: Magic, command: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE)
  writeFrameHeader(out, magic, command, payload)
  return out
}

function writeFrameHeader(out: Uint8Array, magic: Magic, command: string, payload: Uint8Array): void {
  out.set(magic, 0)
  writeCommand(out, 4, command)
  const n = payload.length
  out[16] = n & 0xff
  out[17] = (n >>> 8) & 0xff
  out[18] = (n >>> 16) & 0xff
  out[19] = (n >>> 24) & 0xff
  out.set(sha256d(payload).subarray(0, 4), 20)
}

/** Frame an already encoded payload under `command`, as one buffer. */
export function frame(magic: Magic, command: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length)
  writeFrameHeader(out, magic, command, payload)
  out.set(payload, HEADER_SIZE)
  return out
}

/** Encode a message as a whole frame. */
export function encodeMessage(magic: Magic, m: Message): Uint8Array {
  const payload = encodePayload(m)
  if (payload.length > MAX_PROTOCOL_MESSAGE_LENGTH) {
    throw new EncodeError(`The ${m.command} payload of ${payload.length} bytes exceeds the protocol limit.`)
  }
  return frame(magic, m.command, payload)
}

function magicHex(m: Uint8Array): string {
  return toHex(m)
}

/** The command field's printable bytes, `?` for the rest: only for logs. */
function printableCommand(field: Uint8Array): string {
  let s = ''
  for (const c of field) {
    if (c === 0) continue
    s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '?'
  }
  return s
}

/** Magic and length are checked here; the command field is checked once the frame is whole (Core). */
function readHeader(magic: Magic, b: Uint8Array, offset: number, maxPayload: number): FrameHeader {
  if (
    b[offset] !== magic[0] ||
    b[offset + 1] !== magic[1] ||
    b[offset + 2] !== magic[2] ||
    b[offset + 3] !== magic[3]
  ) {
    throw new BadMagicError(magicHex(b.subarray(offset, offset + 4)), magicHex(magic))
  }
  const length =
    (b[offset + 16]! | (b[offset + 17]! << 8) | (b[offset + 18]! << 16)) + b[offset + 19]! * 0x1000000
  if (length > maxPayload) throw new PayloadTooLargeError(length, maxPayload)
  const field = b.subarray(offset + 4, offset + 16)
  const checksum = b.subarray(offset + 20, offset + 24)
  try {
    return { command: parseCommand(field), length, checksum }
  } catch (err) {
    if (!(err instanceof BadCommandError)) throw err
    return { command: printableCommand(field), length, checksum, badCommand: err }
  }
}

function checkPayload(header: FrameHeader, payload: Uint8Array, firstHash?: Uint8Array): void {
  const sum = firstHash ? sha256(firstHash) : sha256d(payload)
  const c = header.checksum
  if (sum[0] !== c[0] || sum[1] !== c[1] || sum[2] !== c[2] || sum[3] !== c[3]) {
    throw new BadChecksumError(header.command, toHex(c), toHex(sum.subarray(0, 4)))
  }
}

function decodeBody(header: FrameHeader, payload: Uint8Array, size: number): FrameEvent {
  if (header.badCommand) throw header.badCommand
  const { command } = header
  if (!isKnownCommand(command)) return { kind: 'unknown', command, payload, size }
  return { kind: 'message', message: decodePayload(command, payload), payload, size }
}

/**
 * Decode exactly one whole frame. Throws a ProtocolError for any problem,
 * including a frame shorter than its header declares.
 */
export function decodeFrame(magic: Magic, bytes: Uint8Array): FrameEvent & { kind: 'message' | 'unknown' } {
  if (bytes.length < HEADER_SIZE) throw new TruncatedFrameError(HEADER_SIZE, bytes.length)
  const header = readHeader(magic, bytes, 0, MAX_PROTOCOL_MESSAGE_LENGTH)
  const size = HEADER_SIZE + header.length
  if (bytes.length < size) throw new TruncatedFrameError(size, bytes.length)
  if (bytes.length > size) throw new ExtraFrameBytesError(size, bytes.length)
  const payload = bytes.subarray(HEADER_SIZE, size)
  checkPayload(header, payload)
  return decodeBody(header, payload, size) as FrameEvent & { kind: 'message' | 'unknown' }
}

export interface FrameDecoderInit {
  magic: Magic
  /** Frame payload limit; defaults to 4,000,000 (Core). */
  maxPayload?: number | undefined
}

/**
 * A streaming frame decoder. Push TCP chunks of any size; each push returns
 * the events of the frames it completed, in order.
 *
 * Memory is bounded by one header (24 bytes) and one payload whose declared
 * length was checked against the limits before it was allocated; chunks are
 * copied into that buffer as they arrive, so many tiny chunks cost nothing
 * extra. A frame that lies whole inside one chunk is decoded in place.
 *
 * After a header error that loses the stream's framing (bad magic, a length
 * over the limit), `failed` is set and further input is ignored: the
 * connection must be closed. A frame with a bad checksum or command field is
 * reported as an `error` event and the next frame is decoded as usual.
 */
export class FrameDecoder {
  readonly #magic: Magic
  readonly #maxPayload: number
  readonly #head = new Uint8Array(HEADER_SIZE)
  #headFill = 0
  #header: FrameHeader | undefined
  #body: Uint8Array | undefined
  #bodyFill = 0
  // SHA-256 of the payload, fed as its chunks arrive (while they are hot in cache).
  #bodyHash: CryptoHash | undefined
  #failed: ProtocolError | undefined

  constructor(init: FrameDecoderInit) {
    if (init.magic.length !== 4) throw new TypeError('A magic is 4 bytes.')
    this.#magic = init.magic.slice()
    this.#maxPayload = init.maxPayload ?? MAX_PROTOCOL_MESSAGE_LENGTH
  }

  /** The error that stopped the decoder, if any. */
  get failed(): ProtocolError | undefined {
    return this.#failed
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.#headFill + this.#bodyFill
  }

  /** True while a frame has started but not completed. */
  get partial(): boolean {
    return this.#headFill > 0 || this.#header !== undefined
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = []
    if (this.#failed) return events
    let off = 0
    const len = chunk.length
    while (off < len) {
      if (!this.#header) {
        let headBytes: Uint8Array
        if (this.#headFill === 0 && len - off >= HEADER_SIZE) {
          headBytes = chunk.subarray(off, off + HEADER_SIZE)
          off += HEADER_SIZE
        } else {
          const n = Math.min(HEADER_SIZE - this.#headFill, len - off)
          this.#head.set(chunk.subarray(off, off + n), this.#headFill)
          this.#headFill += n
          off += n
          if (this.#headFill < HEADER_SIZE) break
          headBytes = this.#head
          this.#headFill = 0
        }
        let header: FrameHeader
        try {
          header = readHeader(this.#magic, headBytes, 0, this.#maxPayload)
        } catch (err) {
          return this.#fail(events, err as ProtocolError)
        }
        // Keep the checksum: the header bytes may be our reusable buffer.
        this.#header = { ...header, checksum: header.checksum.slice() }
        if (len - off >= header.length) {
          // The whole payload is in this chunk: decode it in place.
          const payload = chunk.subarray(off, off + header.length)
          off += header.length
          this.#complete(events, payload)
          continue
        }
        this.#body = new Uint8Array(header.length)
        this.#bodyFill = 0
        this.#bodyHash = createHash('sha256')
      }
      const body = this.#body!
      const n = Math.min(body.length - this.#bodyFill, len - off)
      const part = chunk.subarray(off, off + n)
      body.set(part, this.#bodyFill)
      this.#bodyHash!.update(part)
      this.#bodyFill += n
      off += n
      if (this.#bodyFill < body.length) break
      const first = this.#bodyHash!.digest()
      this.#bodyHash = undefined
      this.#complete(events, body, first)
    }
    return events
  }

  /** Drop all buffered bytes (e.g. when the connection closes). */
  reset(): void {
    this.#headFill = 0
    this.#header = undefined
    this.#body = undefined
    this.#bodyFill = 0
    this.#bodyHash = undefined
  }

  #complete(events: FrameEvent[], payload: Uint8Array, firstHash?: Uint8Array): void {
    const header = this.#header!
    this.#header = undefined
    this.#body = undefined
    this.#bodyFill = 0
    const size = HEADER_SIZE + header.length
    try {
      checkPayload(header, payload, firstHash)
      events.push(decodeBody(header, payload, size))
    } catch (err) {
      const command = header.badCommand ? undefined : header.command
      events.push({ kind: 'error', error: err as ProtocolError, command, size })
    }
  }

  #fail(events: FrameEvent[], error: ProtocolError): FrameEvent[] {
    this.#failed = error
    this.reset()
    events.push({ kind: 'error', error, size: 0 })
    return events
  }
}
