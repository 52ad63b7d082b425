/**
 * @node/wire: the Bitcoin P2P wire codec.
 *
 * A pure codec with no I/O: every message of protocol 70016, framing with a
 * streaming decoder, strict limits, blocks and transactions with witness data,
 * and the parameters of every network. Everything a peer can get wrong is a
 * typed {@link ProtocolError} with a severity.
 *
 * @example
 * ```ts
 * import { FrameDecoder, encodeMessage, networks } from '@node/wire'
 * const { magic } = networks.regtest
 * const bytes = encodeMessage(magic, { command: 'ping', nonce: 42n })
 * const decoder = new FrameDecoder({ magic })
 * for (const ev of decoder.push(bytes)) if (ev.kind === 'message') handle(ev.message) // { command: 'ping', nonce: 42n }
 * ```
 */
export * from './block.ts'
export { compactSizeLength, Reader, Writer } from './buffer.ts'
export * from './compact.ts'
export * from './constants.ts'
export * from './errors.ts'
export * from './framing.ts'
export * from './hash.ts'
export * from './messages.ts'
export * from './networks.ts'
export * from './siphash.ts'
export * from './tx.ts'
