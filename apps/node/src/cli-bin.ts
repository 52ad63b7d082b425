#!/usr/bin/env node
/** `btcnode-cli`: call the node's JSON-RPC like bitcoin-cli (`-netinfo` for a peer table). */
import { main } from './node-cli.ts'

process.exitCode = await main(process.argv.slice(2))
