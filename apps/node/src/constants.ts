/**
 * The daemon's defaults. Where a value comes from Bitcoin Core, the comment
 * names its constant; where we chose differently, it says why.
 */

/** Program name, used in messages and help. */
export const PROGRAM_NAME = 'btcnode'
/** Companion RPC client's name. */
export const CLI_PROGRAM_NAME = 'btcnode-cli'

/** Default data directory name on Linux and other Unixes (`~/.btcnode`); Core uses `~/.bitcoin`. */
export const DATADIR_NAME_UNIX = '.btcnode'
/** Default data directory name on macOS and Windows (under the per-user application folder). */
export const DATADIR_NAME_APP = 'Btcnode'
/** Config file name inside the data directory, in bitcoin.conf syntax (Core: `BITCOIN_CONF_FILENAME`). */
export const DEFAULT_CONF_FILENAME = 'bitcoin.conf'
/** Log file name in the network's data directory (Core: `DEFAULT_DEBUGLOGFILE`). */
export const DEFAULT_DEBUGLOGFILE = 'debug.log'
/** Lock file in the network's data directory (Core: `.lock`). */
export const LOCK_FILENAME = '.lock'
/** RPC cookie file in the network's data directory (Core: `COOKIEAUTH_FILE`). */
export const COOKIE_FILENAME = '.cookie'
/** User name in the cookie (Core: `COOKIEAUTH_USER`). */
export const COOKIE_USER = '__cookie__'
/** Random bytes in the cookie's password, hex encoded (Core: `COOKIE_SIZE`). */
export const COOKIE_SIZE = 32

/** Core: `DEFAULT_MAX_PEER_CONNECTIONS`. */
export const DEFAULT_MAX_CONNECTIONS = 125

/**
 * Largest accepted RPC request body: 32 MiB, Core's `MAX_SIZE` that it gives
 * libevent's `evhttp_set_max_body_size`. A `submitblock` of a 4 MB block is
 * 8 MB of hex, so this leaves room and still bounds memory per request.
 */
export const RPC_MAX_BODY_BYTES = 32 * 1024 * 1024
/** Largest accepted request header block (Core: `MAX_HEADERS_SIZE` = 8192). */
export const RPC_MAX_HEADER_BYTES = 8192
/** Requests handled at once; more get 503 "Work queue depth exceeded" as in Core (-rpcworkqueue). */
export const RPC_MAX_IN_FLIGHT = 64
/** Open RPC connections at once; more are closed on accept. Bounds sockets held by slow clients. */
export const RPC_MAX_CONNECTIONS = 128
/** Idle keep-alive and request timeout in ms (Core: `DEFAULT_HTTP_SERVER_TIMEOUT` = 30 s). */
export const RPC_SERVER_TIMEOUT_MS = 30_000
/** Pause after a failed password before answering 401 (Core: 250 ms, to slow brute force). */
export const RPC_AUTH_FAILURE_DELAY_MS = 250
/** How long stop() lets in-flight requests finish before their sockets are destroyed. */
export const RPC_STOP_GRACE_MS = 2_000
/** Batch requests are capped so one request cannot queue unbounded work. */
export const RPC_MAX_BATCH = 1_000

/** bitcoin-cli's `-rpcclienttimeout` default (Core: `DEFAULT_HTTP_CLIENT_TIMEOUT` = 900 s). */
export const CLI_DEFAULT_TIMEOUT_S = 900
/** bitcoin-cli's `-rpcconnect` default (Core: `DEFAULT_RPCCONNECT`). */
export const CLI_DEFAULT_RPCCONNECT = '127.0.0.1'

/** How long the daemon waits for each component in stopInReverse. */
export const STOP_DEADLINE_MS = 10_000

/** Progress rate window: samples older than this are dropped. */
export const PROGRESS_WINDOW_MS = 60_000
/** How often the sync progress line is considered (a line only while behind). */
export const PROGRESS_INTERVAL_MS = 5_000
/** Most samples kept by the rate tracker (a bound, not a tuning knob). */
export const PROGRESS_MAX_SAMPLES = 256

/** Core's default -proxy and -onion port (Tor's SOCKS port). */
export const DEFAULT_PROXY_PORT = 9050
/** Core DEFAULT_PEER_CONNECT_TIMEOUT (-peertimeout), seconds. */
export const DEFAULT_PEER_CONNECT_TIMEOUT = 60
/** Core MAX_SUBVERSION_LENGTH: the longest user agent. */
export const MAX_SUBVERSION_LENGTH = 256

/** Core DEFAULT_DB_CACHE (-dbcache), MiB. */
export const DEFAULT_DB_CACHE_MIB = 450

/** Core MAX_SCRIPTCHECK_THREADS (-par). */
export const MAX_SCRIPTCHECK_THREADS = 15
