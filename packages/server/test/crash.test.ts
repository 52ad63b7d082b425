/**
 * kill -9 of a running node loses neither its addresses nor its bans: the
 * address manager writes peers.dat periodically (Core DumpAddresses, every
 * 15 minutes; shortened here) and the ban list is written when it changes
 * (Core: banlist.json after each setban), not only on a clean shutdown.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deserializePeersDat } from '@node/addrmgr'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, regtest, tmpDir, until } from './helpers.ts'

afterEach(cleanup)

describe('a node killed with SIGKILL', () => {
  it('keeps the addresses it learned and the bans it set', async () => {
    const dataDir = tmpDir()
    const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url))
    const cwd = fileURLToPath(new URL('..', import.meta.url))
    const proc = spawn(process.execPath, ['--conditions=@node/source', '--import', 'tsx', child, dataDir], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    try {
      await until(() => out.includes('ready') || proc.exitCode !== null, 30_000, 'the child to be ready')
      if (proc.exitCode !== null) throw new Error(`child exited: ${err}`)
    } finally {
      proc.kill('SIGKILL')
      await exited
    }
    const { addrman } = deserializePeersDat(
      new Uint8Array(await readFile(join(dataDir, 'peers.dat'))),
      regtest.magic,
    )
    const kept = Number(/ready (\d+)/.exec(out)![1])
    expect(kept).toBeGreaterThan(30)
    expect(addrman.size()).toBe(kept)
    const bans = JSON.parse(await readFile(join(dataDir, 'banlist.json'), 'utf8')) as {
      banned_nets: { address: string }[]
    }
    expect(bans.banned_nets.map((b) => b.address)).toEqual(['203.0.113.0/24'])
  }, 40_000)
})
