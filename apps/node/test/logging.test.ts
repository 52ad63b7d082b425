import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expectNoLeaks, settledResources } from '@node/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { LogConfig } from '../src/config.ts'
import { componentLevel, createNodeLogger } from '../src/logging.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btcnode-log-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const base = (over: Partial<LogConfig> = {}): LogConfig => ({
  level: 'info',
  categoryLevels: {},
  debugCategories: [],
  printToConsole: false,
  file: join(dir, 'sub', 'debug.log'),
  ...over,
})

const lines = async (path: string): Promise<Record<string, unknown>[]> =>
  (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)

function capture(isTTY: boolean): { out: string[]; sink: { write(s: string): void; isTTY: boolean } } {
  const out: string[] = []
  return { out, sink: { write: (s: string) => out.push(s), isTTY } }
}

describe('createNodeLogger', () => {
  it('writes JSON lines with component fields to debug.log and flushes on close', async () => {
    const log = await createNodeLogger(base())
    log.forComponent('rpc').info({ port: 8332 }, 'RPC server listening.')
    log.forComponent('peer').debug('not at info level')
    log.root.warn('Root warning.')
    await log.close()
    const got = await lines(join(dir, 'sub', 'debug.log'))
    expect(got).toHaveLength(2)
    expect(got[0]).toMatchObject({
      level: 'info',
      component: 'rpc',
      port: 8332,
      msg: 'RPC server listening.',
    })
    expect(typeof got[0]?.['time']).toBe('string')
    expect(got[1]).toMatchObject({ level: 'warn', msg: 'Root warning.' })
  })

  it('names the component once per JSON line, however the loggers are nested', async () => {
    const log = await createNodeLogger(base({ categoryLevels: { peer: 'debug' } }))
    // What the daemon does: the RPC server and the Server's parts take a
    // component child of the logger they are given.
    log.forComponent('rpc').child({ component: 'rpc' }).info('RPC server listening.')
    log.forComponent('server').child({ component: 'peer' }).info('Peer line.')
    await log.flush()
    const first = (await readFile(join(dir, 'sub', 'debug.log'), 'utf8')).trim().split('\n')
    for (const line of first) expect(line.match(/"component":/g), line).toHaveLength(1)
    const server = log.logger.child({ node: 1 }).child({ component: 'server' })
    server.child({ component: 'peer' }).child({ peer: 7 }).debug('Peer line.')
    server.info('Server line.')
    await log.close()
    const raw = (await readFile(join(dir, 'sub', 'debug.log'), 'utf8')).trim().split('\n')
    expect(raw).toHaveLength(4)
    for (const line of raw) expect(line.match(/"component":/g), line).toHaveLength(1)
    const got = raw.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(got[0]).toMatchObject({ component: 'rpc', msg: 'RPC server listening.' })
    expect(got[1]).toMatchObject({ component: 'peer', msg: 'Peer line.' })
    // The peer component has its own level (debug here) and keeps the bindings above it.
    expect(got[2]).toMatchObject({ component: 'peer', node: 1, peer: 7, level: 'debug' })
    expect(got[3]).toMatchObject({ component: 'server', node: 1, msg: 'Server line.' })
  })

  it('prints JSON to a non-terminal console and pretty text to a terminal', async () => {
    const json = capture(false)
    const a = await createNodeLogger(base({ printToConsole: true, file: null }), { console: json.sink })
    a.forComponent('addrmgr').info({ n: 3 }, 'Loaded peers.')
    await a.close()
    expect(JSON.parse(json.out[0] ?? '')).toMatchObject({ component: 'addrmgr', n: 3, msg: 'Loaded peers.' })

    const tty = capture(true)
    const b = await createNodeLogger(base({ printToConsole: true, file: null }), { console: tty.sink })
    b.forComponent('addrmgr').info('Loaded peers.')
    await b.close()
    expect(tty.out.join('')).toContain('Loaded peers.')
    expect(() => JSON.parse(tty.out[0] ?? '')).toThrow()
  })

  it('does not print to the console without -printtoconsole', async () => {
    const c = capture(false)
    const log = await createNodeLogger(base({ printToConsole: false }), { console: c.sink })
    log.root.error('to file only')
    await log.close()
    expect(c.out).toEqual([])
  })

  it('applies -debug=<category> and -loglevel=<category>:<level> per component', async () => {
    const cfg = base({ debugCategories: ['net'], categoryLevels: { rpc: 'error' } })
    expect(componentLevel(cfg, 'net')).toBe('debug')
    expect(componentLevel(cfg, 'rpc')).toBe('error')
    expect(componentLevel(cfg, 'addrmgr')).toBe('info')
    expect(componentLevel(base({ level: 'trace', debugCategories: ['all'] }), 'x')).toBe('trace')
    const log = await createNodeLogger(cfg)
    log.forComponent('net').debug('net debug')
    log.forComponent('addrmgr').debug('addrmgr debug')
    log.forComponent('rpc').warn('rpc warn')
    log.forComponent('rpc').error('rpc error')
    await log.close()
    expect((await lines(cfg.file as string)).map((l) => l['msg'])).toEqual(['net debug', 'rpc error'])
  })

  it('reopens the file after rotation', async () => {
    const file = join(dir, 'debug.log')
    const log = await createNodeLogger(base({ file }))
    log.root.info('before')
    await log.flush()
    await rename(file, `${file}.1`)
    log.reopen()
    log.root.info('after')
    await log.close()
    expect((await lines(`${file}.1`)).map((l) => l['msg'])).toEqual(['before'])
    expect((await lines(file)).map((l) => l['msg'])).toEqual(['after'])
  })

  it('close is idempotent, drops later lines and leaves no handle', async () => {
    const baseline = await settledResources()
    const log = await createNodeLogger(base())
    log.root.info('one')
    await Promise.all([log.close(), log.close()])
    log.root.info('after close')
    await log.close()
    expect((await lines(join(dir, 'sub', 'debug.log'))).map((l) => l['msg'])).toEqual(['one'])
    await expectNoLeaks(baseline)
  })

  it('fails at creation when the log file cannot be opened', async () => {
    await writeFile(join(dir, 'afile'), '')
    await expect(
      createNodeLogger(base({ file: join(dir, 'afile', 'sub', 'debug.log') })),
    ).rejects.toMatchObject({
      code: 'ENOTDIR',
    })
  })
})
