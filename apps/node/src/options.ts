/**
 * The daemon's options, with bitcoind's names. Adding an option means adding
 * a row here and reading it in `config.ts`.
 */
import { type OptionSpec, optionTable } from './args.ts'
import {
  DEFAULT_CONF_FILENAME,
  DEFAULT_DEBUGLOGFILE,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PEER_CONNECT_TIMEOUT,
} from './constants.ts'

const GENERAL = 'Options'
const CONNECTION = 'Connection options'
const RPC = 'RPC server options'
const DEBUG = 'Debugging/Testing options'
const CHAIN = 'Chain selection options'

/** Every daemon option, in help order. */
export const DAEMON_OPTIONS: readonly OptionSpec[] = Object.freeze([
  {
    name: 'help',
    aliases: ['h', '?'],
    kind: 'bool',
    cliOnly: true,
    category: GENERAL,
    help: 'Print this help message and exit.',
  },
  { name: 'version', kind: 'bool', cliOnly: true, category: GENERAL, help: 'Print version and exit.' },
  {
    name: 'conf',
    kind: 'string',
    value: '<file>',
    cliOnly: true,
    negatable: true,
    category: GENERAL,
    help: `Specify path to a configuration file in bitcoin.conf syntax (default: ${DEFAULT_CONF_FILENAME} in the data directory). Relative paths are prefixed by the data directory. -noconf reads no configuration file.`,
  },
  {
    name: 'includeconf',
    kind: 'list',
    value: '<file>',
    category: GENERAL,
    help: 'Specify additional configuration file, relative to the -datadir path (only useable from configuration file, not command line).',
  },
  {
    name: 'datadir',
    kind: 'string',
    value: '<dir>',
    category: GENERAL,
    help: 'Specify data directory (default: ~/.btcnode on Linux).',
  },
  {
    name: 'daemon',
    kind: 'bool',
    category: GENERAL,
    help: 'Not supported: run btcnode under a service manager (systemd, launchd) instead. Accepted only as daemon=0.',
  },
  {
    name: 'server',
    kind: 'bool',
    category: RPC,
    help: 'Accept JSON-RPC commands (default: 1).',
  },

  {
    name: 'addnode',
    kind: 'list',
    value: '<ip>',
    networkOnly: true,
    category: CONNECTION,
    help: 'Add a node to connect to and attempt to keep the connection open. This option can be specified multiple times.',
  },
  {
    name: 'bind',
    kind: 'list',
    value: '<addr>[:<port>]',
    networkOnly: true,
    category: CONNECTION,
    help: 'Bind to the given address and always listen on it. Use [host]:port notation for IPv6. This option can be specified multiple times.',
  },
  {
    name: 'connect',
    kind: 'list',
    value: '<ip>',
    networkOnly: true,
    category: CONNECTION,
    help: 'Connect only to the specified node; -noconnect or -connect=0 disables automatic connections. This option can be specified multiple times.',
  },
  {
    name: 'dns',
    kind: 'bool',
    category: CONNECTION,
    help: 'Allow DNS lookups for -addnode, -seednode and -connect (default: 1).',
  },
  {
    name: 'dnsseed',
    kind: 'bool',
    category: CONNECTION,
    help: 'Query for peer addresses via DNS lookup, if low on addresses (default: 1 unless -connect is used).',
  },
  {
    name: 'listen',
    kind: 'bool',
    category: CONNECTION,
    help: 'Accept connections from outside (default: 1 if no -connect).',
  },
  {
    name: 'maxconnections',
    kind: 'int',
    value: '<n>',
    min: 0,
    max: 1_000_000,
    category: CONNECTION,
    help: `Maintain at most <n> connections to peers (default: ${DEFAULT_MAX_CONNECTIONS}).`,
  },
  {
    name: 'port',
    kind: 'int',
    value: '<port>',
    min: 0,
    max: 65535,
    networkOnly: true,
    category: CONNECTION,
    help: 'Listen for connections on <port> (default: 8333, testnet3: 18333, testnet4: 48333, signet: 38333, regtest: 18444). 0 picks a free port.',
  },
  {
    name: 'externalip',
    kind: 'list',
    value: '<ip>',
    category: CONNECTION,
    help: 'Specify your own public address. This option can be specified multiple times.',
  },
  {
    name: 'discover',
    kind: 'bool',
    category: CONNECTION,
    help: 'Discover own IP addresses (default: 1 when listening and no -externalip).',
  },
  {
    name: 'v2transport',
    kind: 'bool',
    category: CONNECTION,
    help: 'Support v2 transport (default: 1)',
  },
  {
    name: 'seednode',
    kind: 'list',
    value: '<ip>',
    category: CONNECTION,
    help: 'Connect to a node to retrieve peer addresses, and disconnect. This option can be specified multiple times.',
  },
  {
    name: 'whitelist',
    kind: 'list',
    value: '<[permissions@]IP address or network>',
    category: CONNECTION,
    help: 'Add permission flags to peers connecting from the given IP address (e.g. 1.2.3.4) or CIDR-notated network (e.g. 1.2.3.0/24). Permissions: bloomfilter, noban, forcerelay, relay, mempool, download, addr, all, and in/out for the direction (default: in). Without permissions: noban, mempool, relay, download. Can be specified multiple times.',
  },
  {
    name: 'peertimeout',
    kind: 'int',
    value: '<n>',
    min: 1,
    max: 1_000_000,
    category: CONNECTION,
    help: `Specify a p2p connection timeout delay in seconds. After connecting to a peer, wait this amount of time before considering disconnection based on inactivity (minimum: 1, default: ${DEFAULT_PEER_CONNECT_TIMEOUT})`,
  },
  {
    name: 'uacomment',
    kind: 'list',
    value: '<cmt>',
    category: CONNECTION,
    help: 'Append comment to the user agent string',
  },
  {
    name: 'peerbloomfilters',
    kind: 'bool',
    category: CONNECTION,
    help: 'Support filtering of blocks and transaction with bloom filters (default: 0). Only 0: this node does not implement BIP37.',
  },
  {
    name: 'maxuploadtarget',
    kind: 'string',
    value: '<n>',
    category: CONNECTION,
    help: "Tries to keep outbound traffic under the given target per 24h. Limit does not apply to peers with 'download' permission or blocks created within past week. 0 = no limit (default: 0). Optional suffix units [k|K|m|M|g|G|t|T] (default: M). Lowercase is 1000 base while uppercase is 1024 base",
  },
  {
    name: 'minimumchainwork',
    kind: 'string',
    value: '<hex>',
    category: DEBUG,
    help: "Minimum work assumed to exist on a valid chain in hex (default: the network's)",
  },
  {
    name: 'debugexclude',
    kind: 'list',
    value: '<category>',
    category: DEBUG,
    help: "Accepted for bitcoind compatibility and ignored (it shapes bitcoind's log output only).",
  },
  {
    name: 'logtimemicros',
    kind: 'bool',
    category: DEBUG,
    help: 'Accepted for bitcoind compatibility and ignored (log times are always in milliseconds).',
  },
  {
    name: 'logthreadnames',
    kind: 'bool',
    category: DEBUG,
    help: "Accepted for bitcoind compatibility and ignored (it shapes bitcoind's log output only).",
  },
  {
    name: 'logsourcelocations',
    kind: 'bool',
    category: DEBUG,
    help: "Accepted for bitcoind compatibility and ignored (it shapes bitcoind's log output only).",
  },
  {
    name: 'disablewallet',
    kind: 'bool',
    category: GENERAL,
    help: 'Accepted for bitcoind compatibility and ignored: this node has no wallet.',
  },

  {
    name: 'debug',
    kind: 'list',
    value: '<category>',
    category: DEBUG,
    help: 'Output debug logging (default: 0). -debug or -debug=1 logs every category at debug level; -debug=<category> names one (net, rpc, addrmgr, ...). Can be specified multiple times.',
  },
  {
    name: 'debuglogfile',
    kind: 'string',
    value: '<file>',
    negatable: true,
    category: DEBUG,
    help: `Specify the log file, relative to the network's data directory (default: ${DEFAULT_DEBUGLOGFILE}). -nodebuglogfile disables the file.`,
  },
  {
    name: 'loglevel',
    kind: 'list',
    value: '<level>|<category>:<level>',
    category: DEBUG,
    help: 'Set the log level: trace, debug, info, warning, error, fatal (default: info, or debug with -debug). <category>:<level> sets one category.',
  },
  {
    name: 'printtoconsole',
    kind: 'bool',
    category: DEBUG,
    help: 'Send log output to stdout: pretty on a terminal, JSON otherwise (default: 1).',
  },

  {
    name: 'chain',
    aliases: ['network'],
    kind: 'string',
    value: '<chain>',
    category: CHAIN,
    help: 'Use the chain <chain> (default: main). Allowed values: main, test (testnet3), testnet4, signet, regtest. --network=<name> is the same.',
  },
  {
    name: 'regtest',
    kind: 'bool',
    category: CHAIN,
    help: 'Use the regression test chain. Equivalent to -chain=regtest.',
  },
  {
    name: 'signet',
    kind: 'bool',
    category: CHAIN,
    help: 'Use the signet chain. Equivalent to -chain=signet.',
  },
  {
    name: 'testnet',
    kind: 'bool',
    category: CHAIN,
    help: 'Use the testnet3 chain. Equivalent to -chain=test.',
  },
  {
    name: 'testnet4',
    kind: 'bool',
    category: CHAIN,
    help: 'Use the testnet4 chain. Equivalent to -chain=testnet4.',
  },

  {
    name: 'rpcallowip',
    kind: 'list',
    value: '<ip>',
    category: RPC,
    help: 'Allow JSON-RPC connections from the specified source: a single IP (1.2.3.4), a network/netmask (1.2.3.4/255.255.255.0) or a network/CIDR (1.2.3.4/24). Loopback is always allowed. Can be specified multiple times.',
  },
  {
    name: 'rpcbind',
    kind: 'list',
    value: '<addr>[:port]',
    networkOnly: true,
    category: RPC,
    help: 'Bind to the given address to listen for JSON-RPC connections. Ignored unless -rpcallowip is also passed. Port is optional and overrides -rpcport. Can be specified multiple times (default: 127.0.0.1).',
  },
  {
    name: 'rpccookiefile',
    kind: 'string',
    value: '<loc>',
    category: RPC,
    help: 'Location of the auth cookie, relative to the network data directory (default: .cookie).',
  },
  {
    name: 'rpcpassword',
    kind: 'string',
    value: '<pw>',
    category: RPC,
    help: 'Password for JSON-RPC connections. Without it, a random cookie is written to the data directory.',
  },
  {
    name: 'rpcport',
    kind: 'int',
    value: '<port>',
    min: 0,
    max: 65535,
    networkOnly: true,
    category: RPC,
    help: 'Listen for JSON-RPC connections on <port> (default: 8332, testnet3: 18332, testnet4: 48332, signet: 38332, regtest: 18443). 0 picks a free port.',
  },
  {
    name: 'rpcuser',
    kind: 'string',
    value: '<user>',
    category: RPC,
    help: 'Username for JSON-RPC connections.',
  },
] satisfies OptionSpec[])

export const DAEMON_OPTION_TABLE = optionTable(DAEMON_OPTIONS)
