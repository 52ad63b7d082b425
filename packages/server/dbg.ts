import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { NetAddress } from '@node/addrmgr'
import { networks } from '@node/wire'
import { Server } from './src/index.ts'
const all: Server[] = []
for (let i = 0; i < 12; i++) {
  const s = new Server({ resolve: async () => [] }, { network: networks.regtest, dataDir: mkdtempSync(path.join(os.tmpdir(), 'dbg-')), bind: ['127.0.0.1:0'], dnsSeed: false, fixedSeeds: false, localRoutable: true, progressIntervalMs: 0, feelerIntervalMs: 0 })
  await s.start(); all.push(s)
}
const now = Math.floor(Date.now() / 1000)
for (const s of all) s.addrManager.addrman.add(all.filter((o) => o !== s).map((o) => ({ addr: NetAddress.parse('127.0.0.1'), port: o.ports[0]!, time: now - 60, services: 9n })), NetAddress.parse('127.0.0.2'))
const out = (s: Server, t: string) => s.peerInfo().filter((p) => p.connectionType === t && p.stats.status === 'ready').length
for (let k = 0; k < 10; k++) {
  await new Promise((r) => setTimeout(r, 2000))
  console.log(all.map((s) => `${out(s, 'outbound-full-relay')}/${out(s, 'block-relay-only')}/${s.peerInfo().length}`).join(' '))
}
console.log(all[0]!.peerInfo().map((p) => `${p.addr} ${p.connectionType} ${p.stats.status}`).join('\n'))
await Promise.all(all.map((s) => s.stop()))
