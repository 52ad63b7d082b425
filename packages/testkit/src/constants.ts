/**
 * Defaults of the test helpers.
 */

/**
 * The kinds reported by `process.getActiveResourcesInfo()` that a component
 * can leak: timers, sockets, servers, child processes and in-flight requests
 * (file system, DNS, writes). Stdio handles (`TTYWrap`) are left out: Node
 * creates them lazily the first time anything writes to the console.
 */
export const LEAK_KINDS: readonly string[] = [
  'Timeout',
  'Immediate',
  'TCPSocketWrap',
  'TCPServerWrap',
  'TCPWrap',
  'ConnectWrap',
  'TCPConnectWrap',
  'PipeWrap',
  'PipeServerWrap',
  'PipeConnectWrap',
  'UDPWrap',
  'SendWrap',
  'ProcessWrap',
  'SignalWrap',
  'FSReqCallback',
  'FSReqPromise',
  'FileHandle',
  'FileHandleCloseReq',
  'FSEventWrap',
  'StatWatcher',
  'GetAddrInfoReqWrap',
  'GetNameInfoReqWrap',
  'QueryReqWrap',
  'ShutdownWrap',
  'WriteWrap',
]

/** How long expectNoLeaks() waits for handles to finish closing (they close a tick or two after stop). */
export const LEAK_SETTLE_MS = 2_000
/** settledResources() samples this long; longer than vitest's 100 ms report-batching timer. */
export const BASELINE_WINDOW_MS = 150
/** The poll interval of expectNoLeaks(). */
export const LEAK_POLL_MS = 10

/** stop() must be bounded: the suite fails a stop() that takes longer. */
export const STOP_BOUND_MS = 5_000
/** The suite's bound on start(). */
export const START_BOUND_MS = 10_000
/** How long the suite watches for events after stop() resolved. */
export const QUIET_AFTER_STOP_MS = 100

/** How long startBcoin() waits for the launcher's READY line (it usually takes 0.3–1 s). */
export const BCOIN_READY_TIMEOUT_MS = 20_000
/** How long BcoinNode.stop() waits after SIGTERM before it sends SIGKILL. */
export const BCOIN_STOP_TIMEOUT_MS = 10_000
/** Default bound on one JSON-RPC call. */
export const BCOIN_RPC_TIMEOUT_MS = 60_000
/** Attempts with fresh ports when a port picked by freePorts() was taken in between. */
export const BCOIN_PORT_ATTEMPTS = 3
/** Live launcher processes per test process; a test that needs more is leaking nodes. */
export const MAX_LIVE_BCOIN_NODES = 32
/** How much of the launcher's stderr is kept for error messages. */
export const STDERR_TAIL_BYTES = 16 * 1024
/** generatetoaddress is sent in batches of at most this many blocks, each its own RPC call. */
export const MINE_BATCH = 1_000

/**
 * A regtest P2PKH address (bcoin's base58 prefix for regtest) for the
 * private key 1, whose public key is the secp256k1 generator G
 * (02 79be667e…16f81798) and whose HASH160 is 751e76e8199196d454941c45d1b3a323f1433bd6,
 * the same hash as BIP173's example address. The key is public: coins mined
 * to it are spendable by anyone, which is what tests want.
 */
export const REGTEST_MINING_ADDRESS = 'RKxTdfmtxtfLDKZBgx6SvNkBtNu9jRYnLh'
/** The P2WPKH form of the same key on bcoin's regtest (bech32 prefix `rb`). */
export const REGTEST_MINING_ADDRESS_WITNESS = 'rb1qw508d6qejxtdg4y5r3zarvary0c5xw7k38f4sn'
/** HASH160 of the mining key, as it appears in the coinbase output script. */
export const REGTEST_MINING_PUBKEY_HASH = '751e76e8199196d454941c45d1b3a323f1433bd6'

// --- chain generator (chaingen.ts) ---

/** Bumped whenever the generator's output for the same options changes: old cache files are ignored. */
export const CHAINGEN_FORMAT = 1
/** Default target size of a filled block, serialized with witness data. */
export const CHAINGEN_DEFAULT_BLOCK_SIZE = 500_000
/** Largest target size accepted; blocks also stay under the weight limit whatever the target. */
export const CHAINGEN_MAX_BLOCK_SIZE = 2_000_000
/** Longest chain the generator makes (every block is kept in memory). */
export const CHAINGEN_MAX_BLOCKS = 10_000
/** Weight kept free for the header, the transaction count and the coinbase. */
export const CHAINGEN_WEIGHT_RESERVE = 8_000
/** Default seconds between block times (as on mainnet). */
export const CHAINGEN_DEFAULT_SPACING = 600
/** The last block's default time is this many seconds before generation. */
export const CHAINGEN_TIP_LAG = 60
/**
 * A cached chain whose tip is older than this is made again: nodes treat a
 * chain whose tip is over 24 h old as initial block download and (like Core)
 * may then refuse to serve headers.
 */
export const CHAINGEN_MAX_CACHE_AGE_SEC = 6 * 60 * 60
/** Keys the generator owns (outputs are spread over them). */
export const CHAINGEN_KEYS = 16
/** Outputs of the transaction that splits a matured coinbase: a random count in this range. */
export const CHAINGEN_FANOUT_MIN = 50
export const CHAINGEN_FANOUT_MAX = 200
/** Smallest output value the generator creates, in satoshis (well above dust). */
export const CHAINGEN_MIN_OUTPUT = 5_000
/** Fee rates are drawn from 1 to this many sat/vB. */
export const CHAINGEN_MAX_FEE_RATE = 20
/** Most inputs in one generated transaction. */
export const CHAINGEN_MAX_INPUTS = 20
/** Above this many unspent outputs, half the transactions consolidate (fan in). */
export const CHAINGEN_POOL_SOFT_CAP = 100_000
/** A coinbase output can be spent in a block this many blocks later (consensus). */
export const COINBASE_MATURITY = 100
/** Chains kept in the cache folder; older files are deleted when a new one is written. */
export const CHAINGEN_MAX_CACHE_FILES = 8
