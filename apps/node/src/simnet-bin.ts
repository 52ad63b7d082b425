#!/usr/bin/env node
/**
 * `pnpm simnet [-nodes=N] [-interval=SECONDS] [-blocks=K] [-degree=D]`: a
 * local network of our nodes on regtest, on loopback. Ctrl-C stops it.
 */
import { Simnet } from './simnet.ts'

function opt(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.replace(/^--?/, '').startsWith(`${name}=`))
  if (!a) return fallback
  const v = Number(a.slice(a.indexOf('=') + 1))
  if (!Number.isFinite(v) || v < 0) {
    process.stderr.write(`Error: -${name} must be a non-negative number.\n`)
    process.exit(1)
  }
  return v
}

const sim = new Simnet({
  nodes: opt('nodes', 10),
  blockInterval: opt('interval', 5),
  blocks: opt('blocks', 0),
  degree: opt('degree', 10),
})
let stopping = false
const stop = () => {
  if (stopping) process.exit(130)
  stopping = true
  process.stdout.write('Stopping every node…\n')
  void sim.stop().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
await sim.start()
process.stdout.write(`Started ${sim.nodes.length} nodes on regtest (loopback). Ctrl-C to stop.\n`)
setTimeout(() => {
  if (!stopping) process.stdout.write(`${sim.table()}\n`)
}, 3000).unref()
