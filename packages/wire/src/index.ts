/**
 * @node/wire: the Bitcoin P2P wire codec.
 *
 * A pure codec with no I/O: every message of protocol 70016, framing with a
 * streaming decoder, strict limits, blocks and transactions with witness data,
 * and the parameters of every network. Everything a peer can get wrong is a
 * typed {@link ProtocolError} with a severity.
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './lifecycle.ts'
export * from './logger.ts'
