/**
 * BIP324 against an independent implementation: Bitcoin Core's Python test
 * framework (test_framework/v2_p2p.py and its crypto modules, copied under
 * fixtures/core-test-framework, see PROVENANCE.md there) connects to our node
 * as the v2 initiator and does the version handshake, a ping and a block
 * request through the encrypted transport. Needs python3 (Debian's is enough);
 * without it the test is skipped and says so in its title.
 */
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { mineBlock } from '@node/chain'
import { hashToHex, networks, Services } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, startServer } from './helpers.ts'

afterEach(cleanup)

const SCRIPT = fileURLToPath(new URL('./fixtures/core-test-framework/v2_client.py', import.meta.url))
const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0
const title = hasPython
  ? "Core's v2_p2p.py completes the BIP324 handshake, the version handshake, a ping and a block request"
  : "SKIPPED: python3 is not installed, so Core's v2_p2p.py cannot be run against our node"

function runClient(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // -B: write no __pycache__ into the fixtures.
    const child = spawn('python3', ['-B', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe("Bitcoin Core's Python BIP324 implementation against our node", () => {
  it.skipIf(!hasPython)(
    title,
    async () => {
      const ours = await startServer({ v2Transport: true, maxOutbound: 0, maxBlockRelayOnly: 0 })
      for (let i = 0; i < 3; i++) {
        const tip = ours.blockManager.chain.tip
        const block = mineBlock({
          network: networks.regtest,
          prev: { hash: tip.hash, height: tip.height, time: tip.time },
          payTo: Uint8Array.of(0x51),
          time: Math.floor(Date.now() / 1000) - 100 + i,
        })
        await ours.blockManager.submitBlock(block)
      }
      const wanted = hashToHex(ours.blockManager.chain.tip.hash)
      // Our side of the connection, read when its handshake completes (a
      // timer could miss a short connection on a busy machine).
      const seen = new Set<string>()
      const off = ours.on('peer:ready', ({ id }) => {
        const p = ours.peerInfo().find((x) => x.id === id)
        if (p?.transportProtocol === 'v2') seen.add(p.sessionId)
      })
      const r = await runClient(['127.0.0.1', String(ours.ports[0]), wanted]).finally(off)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      const steps = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(steps.map((s) => s['step'])).toEqual(['v2', 'version', 'pong', 'block'])
      // Both implementations derived the same session id.
      expect([...seen]).toEqual([steps[0]!['session_id']])
      // Our version message advertised NODE_P2P_V2.
      expect(BigInt(steps[1]!['services'] as number) & Services.NODE_P2P_V2).toBe(Services.NODE_P2P_V2)
      expect(steps[3]).toMatchObject({ hash: wanted })
    },
    120_000,
  )
})
