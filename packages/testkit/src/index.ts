/**
 * @node/testkit: helpers for our packages' tests and benchmarks. Private.
 *
 * - {@link startableSuite}: the Startable compliance suite every component runs
 *   (stop before start, double start and stop, stop during start, no leaked
 *   handles, no events after stop), and its checks one by one.
 * - {@link activeResources} / {@link expectNoLeaks}: process-wide leak checks.
 * - {@link freePort}: a free loopback port for programs that cannot bind port 0.
 * - {@link startBcoin}: a bcoin regtest node as a real peer, strictly on loopback.
 * - {@link generateChain} / {@link submitChain}: a regtest chain of filled blocks
 *   (signed P2WPKH transactions bcoin fully validates), cached on disk.
 *
 * ```ts
 * import { startableSuite } from '@node/testkit'
 * startableSuite('InvCache', { setup: async () => ({ subject: new InvCache({}, {}) }) })
 * ```
 *
 * Benchmarks and scripts that run outside vitest can import `@node/testkit/bcoin`,
 * `@node/testkit/chaingen` and `@node/testkit/resources`, which do not load vitest.
 */
export * from './bcoin.ts'
export * from './chaingen.ts'
export { liveChildren } from './children.ts'
export * from './constants.ts'
export * from './errors.ts'
export * from './resources.ts'
export * from './startable-suite.ts'
