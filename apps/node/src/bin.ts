#!/usr/bin/env node
/**
 * The daemon's entry point. The daemon (issue 7) is not built yet: until it
 * is, this says so honestly and shows what the wire package knows, instead of
 * pretending to run a node.
 */
import { hashToHex, networks, PROTOCOL_VERSION } from '@node/wire'

const lines = [
  'btcnode: the daemon is not implemented yet (see the project issues: apps/node).',
  `The packages it will be built from are in this repository; @node/wire speaks protocol ${PROTOCOL_VERSION}.`,
  ...Object.values(networks).map(
    (n) =>
      `  ${n.name.padEnd(8)} port ${String(n.defaultPort).padEnd(5)} genesis ${hashToHex(n.genesisHash)}`,
  ),
]
process.stdout.write(`${lines.join('\n')}\n`)
process.exitCode = 0
