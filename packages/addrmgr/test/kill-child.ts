/**
 * Child process for the kill -9 test: fills an address manager and saves
 * it to `argv[2]` over and over until killed, printing "saved" after each
 * completed save.
 */
import { AddrManager, NetAddress } from '../src/index.ts'

const dir = process.argv[2]
if (!dir) throw new Error('usage: kill-child.ts <dataDir>')
const manager = new AddrManager({}, { dataDir: dir, saveIntervalMs: 3_600_000 })
await manager.start()
const now = Math.floor(Date.now() / 1000)
let round = 0
for (;;) {
  const m = manager.addrman
  for (let i = 0; i < 500; i++) {
    const n = round * 500 + i
    m.add(
      {
        addr: NetAddress.ipv4(20 + (n % 200), (n >>> 8) & 255, n & 255, 7),
        port: 8333,
        services: 1n,
        time: now,
      },
      NetAddress.ipv4(30 + (n % 100), 1, 1, 1),
    )
  }
  await manager.save()
  process.stdout.write(`saved ${m.size()}\n`)
  round++
}
