import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startableSuite } from '@node/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LockFile, processIsAlive } from '../src/lockfile.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btcnode-lock-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('LockFile', () => {
  it('creates .lock with our pid and removes it on stop', async () => {
    const lock = new LockFile({}, { dir, pid: 4242 })
    await lock.start()
    expect(lock.held).toBe(true)
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe('4242\n')
    await lock.stop()
    await expect(readFile(join(dir, '.lock'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses a data directory locked by a live process', async () => {
    const a = new LockFile({}, { dir, pid: process.pid })
    await a.start()
    const b = new LockFile({ isAlive: () => true }, { dir, pid: 99999 })
    await expect(b.start()).rejects.toMatchObject({
      code: 'DATADIR_LOCKED',
      pid: process.pid,
      message: expect.stringMatching(/Cannot obtain a lock on data directory .*probably already running/),
    })
    expect(b.held).toBe(false)
    // The failed start leaves the first lock alone.
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(`${process.pid}\n`)
    await b.stop()
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(`${process.pid}\n`)
    await a.stop()
  })

  it('takes over a stale lock whose pid is dead', async () => {
    await writeFile(join(dir, '.lock'), '31337\n')
    const lock = new LockFile({ isAlive: (pid) => pid !== 31337 }, { dir, pid: 777 })
    await lock.start()
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe('777\n')
    await lock.stop()
  })

  it('takes over a lock with our own pid (a restarted container) or garbage in it', async () => {
    await writeFile(join(dir, '.lock'), '1\n')
    const a = new LockFile({ isAlive: () => true }, { dir, pid: 1 })
    await a.start()
    await a.stop()
    await writeFile(join(dir, '.lock'), 'not a pid')
    const b = new LockFile({ isAlive: () => true }, { dir, pid: 5 })
    await b.start()
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe('5\n')
    await b.stop()
  })

  it('does not delete a lock that is no longer ours', async () => {
    const a = new LockFile({}, { dir, pid: 10 })
    await a.start()
    await writeFile(join(dir, '.lock'), '11\n')
    await a.stop()
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe('11\n')
  })

  it('fails clearly when the directory does not exist', async () => {
    const lock = new LockFile({}, { dir: join(dir, 'missing') })
    await expect(lock.start()).rejects.toMatchObject({ code: 'DATADIR_INVALID' })
  })

  it('processIsAlive sees this process and not a reaped one', () => {
    expect(processIsAlive(process.pid)).toBe(true)
    expect(processIsAlive(2 ** 22 + 12345)).toBe(false)
  })
})

describe('LockFile lifecycle', () => {
  startableSuite('LockFile', {
    setup: async () => ({ subject: new LockFile({}, { dir }) }),
  })
})
