/**
 * The v1 transport: the 24-byte header framing of @node/wire behind the
 * {@link Transport} interface (Core: V1Transport in src/net.cpp).
 */
import { FrameDecoder, type FrameEvent, frame, frameHeader, type Magic, type ProtocolError } from '@node/wire'
import { ZERO_COPY_MIN_BYTES } from '../constants.ts'
import type { Transport } from './transport.ts'

export interface V1TransportInit {
  magic: Magic
}

export class V1Transport implements Transport {
  readonly protocol = 'v1' as const
  readonly sessionId = undefined
  readonly canSend = true
  readonly reconnectAsV1 = false
  readonly #magic: Magic
  readonly #decoder: FrameDecoder

  constructor(init: V1TransportInit) {
    this.#magic = init.magic.slice()
    this.#decoder = new FrameDecoder({ magic: init.magic })
  }

  get failed(): ProtocolError | undefined {
    return this.#decoder.failed
  }

  get buffered(): number {
    return this.#decoder.buffered
  }

  start(): void {}

  receive(chunk: Uint8Array): FrameEvent[] {
    return this.#decoder.push(chunk)
  }

  encode(command: string, payload: Uint8Array): Uint8Array[] {
    // A large payload goes out after its own header, without a copy.
    if (payload.length >= ZERO_COPY_MIN_BYTES) return [frameHeader(this.#magic, command, payload), payload]
    return [frame(this.#magic, command, payload)]
  }

  reset(): void {
    this.#decoder.reset()
  }
}
