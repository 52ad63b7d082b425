/**
 * The AddrManager service: lifecycle (start/stop idempotent and bounded), persistence in a data
 * directory, corrupt and foreign files, and crash safety with a real kill -9.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from '@node/runtime'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AddrManager, deserializePeersDat, MAINNET_MAGIC, serializePeersDat } from '../src/index.ts'
import { Clock, caddr, ip, svc } from './helpers.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'addrmgr-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

function recordingLogger(): {
  logger: Logger
  records: Array<{ level: string; obj: Record<string, unknown>; msg: string }>
} {
  const records: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = []
  const make = (bindings: Record<string, unknown>): Logger => {
    const log =
      (level: string) =>
      (a: object | string, b?: string): void => {
        if (typeof a === 'string') records.push({ level, obj: { ...bindings }, msg: a })
        else records.push({ level, obj: { ...bindings, ...(a as Record<string, unknown>) }, msg: b ?? '' })
      }
    return {
      trace: log('trace'),
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      fatal: log('fatal'),
      child: (more) => make({ ...bindings, ...more }),
      isLevelEnabled: () => true,
    }
  }
  return { logger: make({}), records }
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('lifecycle', () => {
  it('double start, double stop, stop before start, restart; no timer left behind', async () => {
    const baseline = timers()
    const never = new AddrManager({}, { dataDir: dir })
    await never.stop()
    expect(never.status).toBe('stopped')
    expect(existsSync(join(dir, 'peers.dat'))).toBe(false)

    const m = new AddrManager({}, { dataDir: dir })
    expect(timers()).toBe(baseline) // the constructor does nothing
    const a = m.start()
    const b = m.start()
    await Promise.all([a, b])
    expect(m.status).toBe('started')
    expect(timers()).toBe(baseline + 1) // the save timer
    await Promise.all([m.stop(), m.stop()])
    expect(m.status).toBe('stopped')
    expect(timers()).toBe(baseline)
    expect(existsSync(join(dir, 'peers.dat'))).toBe(true)
    await m.start()
    expect(m.status).toBe('started')
    await m.stop()
    expect(timers()).toBe(baseline)
  })

  it('memory only without a data directory: no timer, no file', async () => {
    const baseline = timers()
    const m = new AddrManager()
    await m.start()
    expect(m.loadOutcome).toEqual({ kind: 'memory' })
    expect(timers()).toBe(baseline)
    m.addrman.add(caddr('250.1.1.1', 8333, 1_700_000_000), ip('252.2.2.2'))
    await m.save()
    await m.stop()
  })
})

describe('persistence', () => {
  it('saves on stop and loads on start, key included', async () => {
    const clock = new Clock()
    const first = new AddrManager({ now: clock.now }, { dataDir: dir })
    await first.start()
    expect(first.loadOutcome).toEqual({ kind: 'missing' })
    first.addrman.add(caddr('250.1.1.1', 8333, clock.seconds), ip('252.2.2.2'))
    first.addrman.add(caddr('250.2.2.2', 8333, clock.seconds), ip('252.2.2.2'))
    first.addrman.good(svc('250.2.2.2', 8333))
    const key = first.addrman.key
    await first.stop()
    const second = new AddrManager({ now: clock.now }, { dataDir: dir })
    await second.start()
    expect(second.loadOutcome).toMatchObject({ kind: 'loaded', entries: 2 })
    expect(second.addrman.size()).toBe(2)
    expect(second.addrman.find(svc('250.2.2.2', 8333))!.tried).toBe(true)
    expect(Buffer.from(second.addrman.key)).toEqual(Buffer.from(key))
    await second.stop()
  })

  it('creates a missing data directory', async () => {
    const nested = join(dir, 'a', 'b')
    const m = new AddrManager({}, { dataDir: nested })
    await m.start()
    await m.stop()
    expect(existsSync(join(nested, 'peers.dat'))).toBe(true)
  })

  it('saves on its timer', async () => {
    const clock = new Clock()
    const m = new AddrManager({ now: clock.now }, { dataDir: dir, saveIntervalMs: 20 })
    await m.start()
    m.addrman.add(caddr('250.1.1.1', 8333, clock.seconds), ip('252.2.2.2'))
    const path = join(dir, 'peers.dat')
    await waitFor(() => existsSync(path), 'the timed save')
    await waitFor(() => {
      try {
        return deserializePeersDat(new Uint8Array(readFileSync(path)), MAINNET_MAGIC).addrman.size() === 1
      } catch {
        return false
      }
    }, 'the saved entry')
    await m.stop()
  })

  it('keeps a corrupt file as .bak, logs the typed error and starts empty', async () => {
    const { logger, records } = recordingLogger()
    const path = join(dir, 'peers.dat')
    await writeFile(path, Buffer.from('f9beb4d90424deadbeef', 'hex'))
    const m = new AddrManager({ logger }, { dataDir: dir })
    await m.start()
    expect(m.loadOutcome?.kind).toBe('discarded')
    if (m.loadOutcome?.kind === 'discarded') expect(m.loadOutcome.error.code).toBe('PEERS_FILE_TRUNCATED')
    expect(m.addrman.size()).toBe(0)
    expect((await readFile(`${path}.bak`)).toString('hex')).toBe('f9beb4d90424deadbeef')
    const logged = records.find((r) => r.level === 'error')!
    expect((logged.obj['err'] as { code?: string }).code).toBe('PEERS_FILE_TRUNCATED')
    expect(logged.obj['component']).toBe('addrmgr')
    await m.stop()
    // The next save writes a good, empty file.
    expect(deserializePeersDat(new Uint8Array(await readFile(path)), MAINNET_MAGIC).addrman.size()).toBe(0)
  })

  it('treats another network’s file as foreign', async () => {
    const regtest = Uint8Array.of(0xfa, 0xbf, 0xb5, 0xda)
    const clock = new Clock()
    const other = new AddrManager({ now: clock.now }, { dataDir: dir, magic: regtest })
    await other.start()
    other.addrman.add(caddr('250.1.1.1', 8333, clock.seconds), ip('252.2.2.2'))
    await other.stop()
    const m = new AddrManager({ now: clock.now }, { dataDir: dir })
    await m.start()
    expect(m.loadOutcome?.kind).toBe('discarded')
    if (m.loadOutcome?.kind === 'discarded') expect(m.loadOutcome.error.code).toBe('PEERS_FILE_MAGIC')
    expect(existsSync(join(dir, 'peers.dat.bak'))).toBe(true)
    await m.stop()
  })

  it('imports btcd peers.json when there is no peers.dat', async () => {
    const clock = new Clock()
    await writeFile(
      join(dir, 'peers.json'),
      JSON.stringify({
        Version: 2,
        Key: new Array(32).fill(0),
        Addresses: [{ Addr: '250.1.1.1:8333', Src: '252.2.2.2:8333', TimeStamp: clock.seconds, Services: 1 }],
        NewBuckets: [],
        TriedBuckets: [],
      }),
    )
    const m = new AddrManager({ now: clock.now }, { dataDir: dir, btcdPeersFile: 'peers.json' })
    await m.start()
    expect(m.loadOutcome).toMatchObject({ kind: 'imported', report: { imported: 1 } })
    expect(m.addrman.size()).toBe(1)
    await m.stop()
    const again = new AddrManager({ now: clock.now }, { dataDir: dir, btcdPeersFile: 'peers.json' })
    await again.start()
    expect(again.loadOutcome?.kind).toBe('loaded')
    await again.stop()
  })
})

describe('crash safety', () => {
  it('a temporary file left by a crash never replaces the good file', async () => {
    const clock = new Clock()
    const path = join(dir, 'peers.dat')
    const first = new AddrManager({ now: clock.now }, { dataDir: dir })
    await first.start()
    first.addrman.add(caddr('250.1.1.1', 8333, clock.seconds), ip('252.2.2.2'))
    await first.stop()
    const good = await readFile(path)
    // A crash mid-write leaves a partial temporary file next to it.
    await writeFile(`${path}.new`, good.subarray(0, good.length >> 1))
    const m = new AddrManager({ now: clock.now }, { dataDir: dir })
    await m.start()
    expect(m.loadOutcome?.kind).toBe('loaded')
    expect(m.addrman.size()).toBe(1)
    expect(existsSync(`${path}.new`)).toBe(false)
    await m.stop()
  })

  it('kill -9 at random moments leaves a whole file', async () => {
    const child = fileURLToPath(new URL('./kill-child.ts', import.meta.url))
    const cwd = fileURLToPath(new URL('..', import.meta.url))
    const path = join(dir, 'peers.dat')
    let lastSize = 0
    for (let round = 0; round < 4; round++) {
      const proc = spawn(process.execPath, ['--conditions=@node/source', '--import', 'tsx', child, dir], {
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
      await waitFor(
        () => (out.match(/saved/g) ?? []).length >= 1 + round || proc.exitCode !== null,
        'the child to save',
      )
      if (proc.exitCode !== null) throw new Error(`child exited: ${err}`)
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)))
      proc.kill('SIGKILL')
      await exited
      const { addrman } = deserializePeersDat(new Uint8Array(await readFile(path)), MAINNET_MAGIC)
      expect(addrman.size()).toBeGreaterThan(0)
      expect(addrman.size()).toBeGreaterThanOrEqual(lastSize)
      addrman.checkConsistency()
      lastSize = addrman.size()
    }
  }, 60_000)

  it('a round trip through the manager equals serializePeersDat', async () => {
    const clock = new Clock()
    const m = new AddrManager({ now: clock.now }, { dataDir: dir })
    await m.start()
    m.addrman.add(caddr('250.1.1.1', 8333, clock.seconds), ip('252.2.2.2'))
    await m.save()
    expect((await readFile(join(dir, 'peers.dat'))).toString('hex')).toBe(
      Buffer.from(serializePeersDat(m.addrman, MAINNET_MAGIC)).toString('hex'),
    )
    await m.stop()
  })
})
