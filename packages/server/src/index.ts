/**
 * @node/server: the connection manager of a Bitcoin node — outbound and
 * inbound policy, bans, address relay, block relay through the block
 * manager, and the order in which the node's parts start and stop.
 *
 * @example
 * ```ts
 * import { createNode } from '@node/server'
 * import { networks } from '@node/wire'
 *
 * const server = createNode({ network: networks.regtest, dataDir: '/tmp/node', bind: ['127.0.0.1:0'], dnsSeed: false })
 * await server.start()
 * const [port] = server.ports // and server.blockManager.chain.tip.height
 * await server.stop()
 * ```
 */
export * from './addr-relay.ts'
export * from './backoff.ts'
export * from './bans.ts'
export type { MockableClock } from './clock.ts'
export type { NodeComponents, Resolver } from './components.ts'
export type { ServerInit } from './config.ts'
export * from './constants.ts'
export * from './errors.ts'
export * from './eviction.ts'
export * from './netgroups.ts'
export { createNode, type ServerComponents } from './node.ts'
export type { AutomaticOutboundType } from './outbound.ts'
export { DEFAULT_PROXY_PORT, parseProxy } from './proxy.ts'
export { type PeerInfo, Server, type ServerEvents } from './server.ts'
export * from './siphash.ts'
export { type SlotLimits, type SlotLimitsInit, type SlotType, slotLimits } from './slots.ts'
export type { UploadTargetInfo } from './upload-target.ts'
