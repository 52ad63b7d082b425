/**
 * Child process for the crash test: a running Server that learns addresses
 * and bans one range, then prints "ready" and waits to be killed (SIGKILL:
 * no stop(), no shutdown save).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { deserializePeersDat, NetAddress } from '@node/addrmgr'
import { networks } from '@node/wire'
import { createNode } from '../src/index.ts'

const dataDir = process.argv[2]
if (!dataDir) throw new Error('usage: crash-child.ts <dataDir>')
const server = createNode(
  {
    network: networks.regtest,
    dataDir,
    listen: false,
    dnsSeed: false,
    fixedSeeds: false,
    useAddrmanOutgoing: false,
    progressIntervalMs: 0,
    peersDumpIntervalMs: 200,
  },
  { resolve: async () => [] },
)
await server.start()
const now = Math.floor(Date.now() / 1000)
for (let i = 1; i <= 50; i++) {
  server.addrManager.addrman.add(
    { addr: NetAddress.ipv4(20 + i, 1, 2, 3), port: 8333, services: 9n, time: now },
    NetAddress.ipv4(30, 1, 1, 1),
  )
}
await server.bans.ban('203.0.113.0/24')
// Some of the 50 may collide in the new table: count what the manager kept.
const kept = server.addrManager.addrman.size()
// Wait until a periodic dump of peers.dat holds them (no save() call of ours).
const path = join(dataDir, 'peers.dat')
for (;;) {
  await new Promise((r) => setTimeout(r, 100))
  const data = await readFile(path).catch(() => undefined)
  if (data && deserializePeersDat(new Uint8Array(data), networks.regtest.magic).addrman.size() === kept) break
}
process.stdout.write(`ready ${kept}\n`)
setInterval(() => {}, 1_000)
