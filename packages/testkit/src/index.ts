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
 * - {@link generateScriptChain}: a regtest chain spending every output kind;
 *   {@link expectedUtxos} replays a chain into its UTXO set; {@link badBlock}
 *   builds a block breaking one rule, labelled with Core's reason;
 *   {@link buildFork} a competing branch with more work.
 *
 * ```ts
 * import { startableSuite } from '@node/testkit'
 * startableSuite('InvCache', { setup: async () => ({ subject: new InvCache({}, {}) }) })
 * ```
 *
 * Benchmarks and scripts that run outside vitest can import `@node/testkit/bcoin`,
 * `@node/testkit/chaingen` and `@node/testkit/resources`, which do not load vitest.
 */

export {
  BAD_BLOCK_KINDS,
  type BadBlock,
  type BadBlockKind,
  type BadBlockOptions,
  BIP30_TEST_BIP34_HEIGHT,
  badBlock,
  badBlockReason,
  badBlocks,
} from './badblocks.ts'
export {
  BCOIN_LAUNCHER,
  type BcoinNode,
  type CryptoBackends,
  getBestBlockHash,
  getBlockCount,
  getBlockHash,
  getRawBlock,
  getRawBlockAt,
  mine,
  processAlive,
  type RpcOptions,
  type StartBcoinOptions,
  startBcoin,
  type WaitOptions,
  waitForHeight,
} from './bcoin.ts'
export {
  type ChainBlock,
  type ChainKey,
  chainCachePath,
  chainKeys,
  type GenerateChainOptions,
  type GeneratedChain,
  generateChain,
  type SubmitChainOptions,
  submitChain,
} from './chaingen.ts'
export { liveChildren } from './children.ts'
export {
  BASELINE_WINDOW_MS,
  BCOIN_PORT_ATTEMPTS,
  BCOIN_READY_TIMEOUT_MS,
  BCOIN_RPC_TIMEOUT_MS,
  BCOIN_STOP_TIMEOUT_MS,
  CHAINGEN_DEFAULT_BLOCK_SIZE,
  CHAINGEN_DEFAULT_SPACING,
  CHAINGEN_FANOUT_MAX,
  CHAINGEN_FANOUT_MIN,
  CHAINGEN_FORMAT,
  CHAINGEN_KEYS,
  CHAINGEN_MAX_BLOCK_SIZE,
  CHAINGEN_MAX_BLOCKS,
  CHAINGEN_MAX_CACHE_AGE_SEC,
  CHAINGEN_MAX_CACHE_FILES,
  CHAINGEN_MAX_FEE_RATE,
  CHAINGEN_MAX_INPUTS,
  CHAINGEN_MIN_OUTPUT,
  CHAINGEN_POOL_SOFT_CAP,
  CHAINGEN_TIP_LAG,
  CHAINGEN_WEIGHT_RESERVE,
  COINBASE_MATURITY,
  LEAK_KINDS,
  LEAK_POLL_MS,
  LEAK_SETTLE_MS,
  MAX_LIVE_BCOIN_NODES,
  MINE_BATCH,
  QUIET_AFTER_STOP_MS,
  REGTEST_MINING_ADDRESS,
  REGTEST_MINING_ADDRESS_WITNESS,
  REGTEST_MINING_PUBKEY_HASH,
  START_BOUND_MS,
  STDERR_TAIL_BYTES,
  STOP_BOUND_MS,
} from './constants.ts'
export {
  BcoinRpcError,
  BcoinStartError,
  ChainGenError,
  ChainSubmitError,
  ContractError,
  type Leak,
  LeakError,
} from './errors.ts'
export { buildFork, type Fork, type ForkOptions } from './forkgen.ts'
export {
  activeResources,
  expectNoLeaks,
  freePort,
  freePorts,
  leakDiff,
  type NoLeakOptions,
  type ResourceCounts,
  type SettleOptions,
  settledResources,
} from './resources.ts'
export {
  type BlockOnOptions,
  blockOn,
  blockTime,
  blockTx,
  CSV_LOCK,
  expectedUtxos,
  generateScriptChain,
  isUnspendable,
  parentOf,
  SCRIPTGEN_FEE,
  type ScriptChain,
  type ScriptChainOptions,
  SEQUENCE_LOCKTIME,
  spendable,
  type UtxoEntry,
  type UtxoSet,
  wireHash,
} from './scriptgen.ts'
export {
  KeyRing,
  OUTPUT_KINDS,
  type OutputKind,
  outpointKey,
  type Spendable,
  type SpendPlan,
  TAPROOT_KINDS,
} from './scripts.ts'
export {
  type EmitterLike,
  type StartableFixture,
  type StartableSuiteOptions,
  startableChecks,
  startableSuite,
} from './startable-suite.ts'
