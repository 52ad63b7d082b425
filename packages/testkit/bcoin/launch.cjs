#!/usr/bin/env node
'use strict'
/**
 * A bcoin 1.0.2 regtest full node that never leaves loopback.
 *
 *   NODE_BACKEND=js node launch.cjs --port=P --http-port=R
 *       [--connect=127.0.0.1:Q[,[::1]:Q2...]] [--segwit-genesis=1] [--assume-valid=H]
 *       [--core-script-heights=1] [--native-crypto=DIR]
 *       [--log=1] [--exit-with-parent=1]
 *
 * Both ports are required (bcoin rejects port 0; pick free ones first). The
 * chain lives in memory. When both servers listen, exactly one line is printed on stdout:
 *
 *   READY {"port":P,"httpPort":R,"height":0,"pid":1234,...}
 *
 * --native-crypto=DIR gives bcrypto native addons built outside the install
 * (DIR holds secp256k1.node and maybe bcrypto.node; see patches.cjs); the
 * node refuses to start if libsecp256k1 is then not the ECDSA backend.
 *
 * SIGTERM or SIGINT closes the node and exits 0. With --exit-with-parent=1
 * the node also closes when its stdin reaches EOF, i.e. when the process that
 * spawned it with a stdin pipe has died, however it died.
 *
 * The RPC API key, if any, is read from the environment variable
 * TESTKIT_BCOIN_API_KEY (not argv, so it does not show in `ps`). Without one,
 * the RPC server needs no authentication; it listens on 127.0.0.1 only.
 *
 * Why the patches: stock bcoin asks public DNS servers for the machine's
 * address as soon as it listens, and dials any routable address a peer sends
 * it in `addr`. Here every outbound socket and name lookup is checked against
 * loopback (loopback.cjs), external-address discovery, UPnP and DNS seeding
 * are switched off, and outbound peers come only from --connect (patches.cjs).
 *
 * Exit codes: 0 clean stop, 1 start failed, 2 bad arguments, 3 stop overran
 * its deadline, 4 something tried to leave loopback.
 */

const { isLoopbackHost, LoopbackViolation } = require('./loopback.cjs')
const { bcoinRootDir, cryptoBackends, loadPatchedBcoin } = require('./patches.cjs')

const CLOSE_DEADLINE_MS = 10_000

function fail(code, message) {
  process.stderr.write(`launch.cjs: ${message}\n`)
  process.exit(code)
}

// ---- arguments ---------------------------------------------------------------------------------

function parseArgs(argv) {
  const out = new Map()
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
    if (!m) fail(2, `unrecognised argument ${JSON.stringify(arg)}`)
    out.set(m[1], m[2] === undefined ? '1' : m[2])
  }
  const known = new Set([
    'port',
    'http-port',
    'connect',
    'segwit-genesis',
    'assume-valid',
    'core-script-heights',
    'native-crypto',
    'log',
    'log-level',
    'exit-with-parent',
  ])
  for (const key of out.keys()) if (!known.has(key)) fail(2, `unknown option --${key}`)
  return out
}

function parsePort(name, text) {
  if (text === undefined)
    fail(2, `--${name} is required (bcoin's regtest defaults would clash between nodes)`)
  // bcoin's host list asserts a real port; 0 ("any") is not accepted.
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    fail(2, `--${name} must be a port number from 1 to 65535, got ${text}`)
  }
  return Number(text)
}

/** "127.0.0.1:18444" or "[::1]:18444" -> the same string, checked to be loopback. */
function parsePeer(text) {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d+)$/.exec(text)
  if (!m) fail(2, `--connect entries are host:port, got ${JSON.stringify(text)}`)
  const port = Number(m[2])
  if (port < 1 || port > 65535) fail(2, `bad port in --connect entry ${text}`)
  if (!isLoopbackHost(m[1]))
    fail(2, `--connect ${text} is not a loopback address; only 127.0.0.0/8 and ::1 are allowed`)
  const host = m[1] === 'localhost' ? '127.0.0.1' : m[1]
  return `${host}:${port}`
}

const args = parseArgs(process.argv.slice(2))
const port = parsePort('port', args.get('port'))
const httpPort = parsePort('http-port', args.get('http-port'))
const connect = (args.get('connect') ?? '')
  .split(',')
  .filter((s) => s.length > 0)
  .map(parsePeer)
const segwitGenesis = args.get('segwit-genesis') === '1'
const assumeValidText = args.get('assume-valid') ?? '0'
if (!/^\d+$/.test(assumeValidText)) fail(2, `--assume-valid must be a block height, got ${assumeValidText}`)
const assumeValid = Number(assumeValidText)
const coreScriptHeights = args.get('core-script-heights') === '1'
const log = args.get('log') === '1'
const nativeCryptoDir = args.get('native-crypto') || undefined
const apiKey = process.env.TESTKIT_BCOIN_API_KEY || undefined

// ---- load bcoin with the guards and patches in place -----------------------------------------

let bcoin
try {
  bcoin = loadPatchedBcoin({ segwitGenesis, assumeValid, coreScriptHeights, nativeCryptoDir })
} catch (err) {
  fail(1, err.message)
}
const crypto = cryptoBackends(bcoinRootDir())
if (nativeCryptoDir && crypto.secp256k1 !== 'native')
  fail(1, `--native-crypto=${nativeCryptoDir} given but bcrypto's ECDSA backend is ${crypto.secp256k1}`)

// ---- the node ----------------------------------------------------------------------------------

let node
try {
  node = new bcoin.FullNode({
    network: 'regtest',
    memory: true,
    workers: false,
    logConsole: log,
    logLevel: args.get('log-level') ?? (log ? 'debug' : 'error'),
    listen: true,
    host: '127.0.0.1',
    port,
    publicHost: '127.0.0.1',
    publicPort: port,
    upnp: false,
    seeds: [],
    // `only` makes these the sole outbound candidates and caps outbound slots to their number.
    only: connect,
    maxInbound: 16,
    httpHost: '127.0.0.1',
    httpPort,
    apiKey,
    noAuth: apiKey === undefined,
  })
} catch (err) {
  fail(1, `bcoin rejected its options: ${err?.message}`)
}

let state = 'starting'

async function start() {
  await node.open()
  await node.connect()
  node.startSync()
  if (state !== 'starting') return
  state = 'ready'
  const ready = {
    port: node.pool.server.address().port,
    httpPort: node.http.address().port,
    height: node.chain.height,
    pid: process.pid,
    network: 'regtest',
    segwitGenesis,
    assumeValid,
    connect,
    crypto,
  }
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`)
}

let closing
function shutdown(why, exitCode = 0) {
  if (closing) return closing
  state = 'closing'
  const started = Date.now()
  setTimeout(() => fail(3, `close did not finish within ${CLOSE_DEADLINE_MS} ms`), CLOSE_DEADLINE_MS).unref()
  closing = (async () => {
    try {
      if (node.opened) await node.close()
    } catch (err) {
      process.stderr.write(`launch.cjs: close failed: ${err?.stack}\n`)
      exitCode = exitCode || 1
    }
    if (log) process.stderr.write(`launch.cjs: closed after ${why} in ${Date.now() - started} ms\n`)
    process.exit(exitCode)
  })()
  return closing
}

process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
if (args.get('exit-with-parent') === '1') {
  process.stdin.on('end', () => shutdown('stdin EOF'))
  process.stdin.on('error', () => shutdown('stdin error'))
  process.stdin.resume()
}

function onEscape(err) {
  if (err instanceof LoopbackViolation) {
    process.stderr.write(`launch.cjs: LOOPBACK VIOLATION: ${err.message}\n`)
    shutdown('loopback violation', 4)
    return true
  }
  return false
}
process.on('uncaughtException', (err) => {
  if (!onEscape(err)) {
    process.stderr.write(`launch.cjs: uncaught exception: ${err?.stack}\n`)
    shutdown('uncaught exception', 1)
  }
})
process.on('unhandledRejection', (err) => {
  // bcoin leaves some peer-level promise rejections unhandled; they are not fatal.
  if (!onEscape(err)) process.stderr.write(`launch.cjs: unhandled rejection: ${err?.stack}\n`)
})

start().catch((err) => {
  const code = err && err.code === 'EADDRINUSE' ? 'EADDRINUSE' : 'START_FAILED'
  process.stderr.write(`launch.cjs: start failed (${code}): ${err?.stack}\n`)
  if (!onEscape(err)) shutdown('start failure', 1)
})
