/**
 * Parallel verification gives the sequential verdict: all valid, or the
 * failure a sequential run meets first, whichever worker finds what.
 */
import { spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Tx } from '@node/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ScriptCheck, ScriptCheckPool, SignatureCache, TxVerifier } from '../src/index.ts'
import { p2wpkhChecks } from './build.ts'

/** A copy of the check whose input signature has one bit changed. */
function corrupt(c: ScriptCheck): ScriptCheck {
  const tx = c.tx as Tx
  const input = tx.inputs[0]!
  const sig = input.witness[0]!.slice()
  sig[12]! ^= 1
  const inputs = [{ ...input, witness: [sig, input.witness[1]!] }]
  return { ...c, tx: new Tx({ version: tx.version, inputs, outputs: tx.outputs, locktime: tx.locktime }) }
}

function sequential(checks: ScriptCheck[]): unknown {
  for (const [i, c] of checks.entries()) {
    try {
      new TxVerifier(c.tx as Tx, c.spent).verifyAll(c.flags)
    } catch (err) {
      return { check: i, input: (err as { input: number }).input, code: (err as { code: string }).code }
    }
  }
  return true
}

async function outcome(pool: ScriptCheckPool, checks: ScriptCheck[]): Promise<unknown> {
  try {
    return await pool.verify(checks)
  } catch (err) {
    const e = err as { check: number; input: number; code: string }
    return { check: e.check, input: e.input, code: e.code }
  }
}

describe('ScriptCheckPool', () => {
  const checks = p2wpkhChecks('parallel', 120)
  const pool = new ScriptCheckPool({ workers: 2, batchesPerWorker: 3 })
  beforeAll(() => pool.start())
  afterAll(() => pool.stop())

  it('accepts a valid block, as the sequential run does', async () => {
    expect(sequential(checks)).toBe(true)
    expect(await outcome(pool, checks)).toBe(true)
  })

  it('reports the first failure in block order, however the batches finish', async () => {
    const bad = checks.slice()
    // Failures in three different batches; the first in block order is check 37.
    bad[100] = corrupt(checks[100]!)
    bad[37] = corrupt(checks[37]!)
    bad[70] = corrupt(checks[70]!)
    const want = sequential(bad)
    expect(want).toEqual({ check: 37, input: 0, code: 'EVAL_FALSE' })
    expect(await outcome(pool, bad)).toEqual(want)
    // The error reads like Core's.
    await expect(pool.verify(bad)).rejects.toMatchObject({
      name: 'ScriptError',
      reason:
        'block-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)',
    })
  })

  it('verifies serialized transactions too, and inline with 0 workers', async () => {
    const raw: ScriptCheck[] = checks.slice(0, 10).map((c) => ({ ...c, tx: (c.tx as Tx).toBytes() }))
    expect(await pool.verify(raw)).toBe(true)
    const inline = new ScriptCheckPool({ workers: 0 })
    const bad = raw.slice()
    bad[4] = corrupt(checks[4]!)
    expect(await outcome(inline, bad)).toEqual({ check: 4, input: 0, code: 'EVAL_FALSE' })
  })

  it('start and stop are idempotent; verifying after stop is refused', async () => {
    const p = new ScriptCheckPool({ workers: 1 })
    await p.start()
    await p.start()
    expect(await p.verify(checks.slice(0, 3))).toBe(true)
    await p.stop()
    await p.stop()
    await expect(p.verify(checks.slice(0, 3))).rejects.toThrow(/Start the script check pool/)
  })

  it('a shared signature cache filled by one verification makes the next skip the signatures', async () => {
    const cache = new SignatureCache({ shared: true, maxBytes: 1 << 16, salt: new Uint8Array(32).fill(3) })
    const p = new ScriptCheckPool({ workers: 2, sigcache: cache, storeInCache: true })
    await p.start()
    try {
      const few = checks.slice(0, 20)
      expect(await p.verify(few)).toBe(true)
      // A corrupted signature is never stored, so it still fails.
      const bad = few.slice()
      bad[5] = corrupt(few[5]!)
      expect(await outcome(p, bad)).toEqual({ check: 5, input: 0, code: 'EVAL_FALSE' })
      // The workers stored what they verified in the shared table.
      let filled = 0
      const table = new Uint8Array(cache.table)
      for (let i = 0; i < table.length; i += 32) if (table[i] !== 0) filled++
      expect(filled).toBe(20)
    } finally {
      await p.stop()
    }
  })

  it('a verification in flight keeps the process alive; idle workers do not', () => {
    const pkg = fileURLToPath(new URL('..', import.meta.url))
    const file = `${pkg}test/.pool-alive.mjs`
    writeFileSync(
      file,
      `import { Tx } from '@node/wire'
import { ScriptCheckPool, ScriptFlags } from '@node/consensus'
const tx = new Tx({ version: 2, locktime: 0, outputs: [{ value: 1n, script: Uint8Array.of(0x51) }],
  inputs: [{ prevHash: new Uint8Array(32).fill(1), prevIndex: 0, script: new Uint8Array(0), sequence: 0, witness: [] }] })
const pool = new ScriptCheckPool({ workers: 1 })
await pool.start()
console.log(await pool.verify([{ tx, spent: [{ value: 2n, script: Uint8Array.of(0x51) }], flags: ScriptFlags.P2SH }]))
// No stop(): the idle worker must not hold the process open.
`,
    )
    try {
      const out = spawnSync(process.execPath, ['--conditions=@node/source', '--import', 'tsx', file], {
        cwd: pkg,
        encoding: 'utf8',
        timeout: 30_000,
      })
      expect(out.stderr).toBe('')
      expect(out.stdout).toBe('true\n')
      expect(out.status).toBe(0)
    } finally {
      rmSync(file, { force: true })
    }
  })

  it('stopping fails the verification in flight; the pool works again after start', async () => {
    const p = new ScriptCheckPool({ workers: 1, batchesPerWorker: 4 })
    await p.start()
    const running = expect(p.verify(checks.slice(0, 60))).rejects.toThrow(/stopped/)
    await p.stop()
    await running
    await p.start()
    expect(await p.verify(checks.slice(0, 5))).toBe(true)
    await p.stop()
  })
})
