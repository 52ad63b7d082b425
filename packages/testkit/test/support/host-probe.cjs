'use strict'
// Runs in a child process: checks the patched Pool#getHost on stand-in pool
// objects, without starting bcoin. Prints one JSON report.
const { onlyConfiguredHosts } = require(process.argv[2])

const learned = { hostname: '203.0.113.5:8333' }
const configured = { hostname: '127.0.0.1:18444' }
const pool = (nodes, connected) => ({
  hosts: { nodes, getHost: () => ({ addr: learned }) },
  peers: { has: (h) => connected.includes(h) },
})
const pick = (p) => onlyConfiguredHosts.call(p)?.hostname ?? null
process.stdout.write(
  `${JSON.stringify({
    noNodes: pick(pool([], [])),
    oneNode: pick(pool([configured], [])),
    nodeAlreadyConnected: pick(pool([configured], [configured.hostname])),
  })}\n`,
)
