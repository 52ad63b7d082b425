#!/usr/bin/env node
/**
 * `btcnode`: the node daemon. Parses flags and bitcoin.conf, takes the data
 * directory's lock, starts the node and its JSON-RPC server, and stops them
 * in order on SIGINT/SIGTERM (a second signal exits at once).
 */
import { daemonVersion, runDaemon } from './cli.ts'
import { nodeHost } from './host.ts'

const version = daemonVersion()
const code = await runDaemon(process.argv.slice(2), nodeHost(version), { version })
process.exitCode = code
