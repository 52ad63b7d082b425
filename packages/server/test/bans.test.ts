import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Logger } from '@node/runtime'
import { startableSuite } from '@node/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BanList } from '../src/bans.ts'

const T0 = 1_700_000_000_000
const DAY = 24 * 3600 * 1000

function clock(start = T0): { now(): number; advance(ms: number): void } {
  let t = start
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
  }
}

/** A logger that records what it is given. */
function recordingLogger(): Logger & {
  records: { level: string; obj: unknown; msg?: string | undefined }[]
} {
  const records: { level: string; obj: unknown; msg?: string | undefined }[] = []
  const make = (level: string) => (obj: unknown, msg?: string) => {
    records.push({ level, obj, msg })
  }
  const logger = {
    records,
    trace: make('trace'),
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    fatal: make('fatal'),
    child: () => logger,
    isLevelEnabled: () => true,
  }
  return logger as unknown as Logger & { records: typeof records }
}

describe('ban targets (Core LookupSubNet, via @node/addrmgr SubNet)', () => {
  const valid: [string, string][] = [
    ['1.2.3.4', '1.2.3.4/32'],
    ['1.2.3.4/24', '1.2.3.0/24'],
    ['1.2.0.0/255.255.0.0', '1.2.0.0/16'],
    ['2a01:4f8::1', '2a01:4f8::1/128'],
    ['[2a01:4f8::1]', '2a01:4f8::1/128'],
    ['::ffff:1.2.3.4', '1.2.3.4/32'],
    [
      'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
      'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
    ],
  ]
  it.each(valid)('ban %s is stored as %s', async (input, want) => {
    const bans = new BanList(clock())
    expect((await bans.ban(input)).subnet).toBe(want)
  })

  const invalid: string[] = [
    '',
    'example.com',
    '127.1', // legacy shorthand: refused, not read as 127.0.0.1
    '1.2.3.4/33',
    '1.2.3.4/255.0.255.0',
    '::ffff:1.2.3.0/120', // Core reads it as IPv4, so the prefix is out of range
    'abc.onion',
    '1.2.3.4:8333',
  ]
  it.each(invalid)('rejects %j with INVALID_BAN_TARGET', async (input) => {
    const bans = new BanList(clock())
    await expect(bans.ban(input)).rejects.toMatchObject({ code: 'INVALID_BAN_TARGET' })
  })
})

describe('BanList in memory', () => {
  it('bans a single address for 24 h by default', async () => {
    const c = clock()
    const bans = new BanList(c)
    const entry = await bans.ban('1.2.3.4')
    expect(entry).toEqual({ subnet: '1.2.3.4/32', createdAt: T0, bannedUntil: T0 + DAY })
    expect(bans.isBanned('1.2.3.4')).toBe(true)
    expect(bans.isBanned('1.2.3.5')).toBe(false)
    c.advance(DAY - 1)
    expect(bans.isBanned('1.2.3.4')).toBe(true)
    c.advance(1)
    expect(bans.isBanned('1.2.3.4')).toBe(false)
    expect(bans.list()).toEqual([])
  })

  const matches: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['1.2.3.0/24', '1.2.3.255', true],
    ['1.2.3.0/24', '1.2.4.0', false],
    ['1.2.3.0/24', '::ffff:1.2.3.9', true],
    ['1.2.3.0/24', '[::ffff:1.2.3.9]:8333', true],
    ['1.2.3.4', '1.2.3.4:8333', true],
    ['2a01:4f8::/32', '2a01:4f8:ffff::1', true],
    ['2a01:4f8::/32', '2a01:4f9::1', false],
    ['2a01:4f8::/32', '[2a01:4f8::5]:8333', true],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '2a01:4f8::1', false],
    ['2a01:4f8::1', '2a01:04f8:0000::1', true],
    [
      'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
      'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
      true,
    ],
    ['1.2.3.4', 'not an address', false],
  ]
  it.each(matches)('ban %s covers %s: %s', async (ban, ip, want) => {
    const bans = new BanList(clock())
    await bans.ban(ban)
    expect(bans.isBanned(ip)).toBe(want)
  })

  it('a duration, an absolute time, and re-banning only extends', async () => {
    const c = clock()
    const bans = new BanList(c, { defaultBanTimeMs: 1000 })
    expect((await bans.ban('1.1.1.1')).bannedUntil).toBe(T0 + 1000)
    expect((await bans.ban('1.1.1.1', { durationMs: 5000 })).bannedUntil).toBe(T0 + 5000)
    // Shorter: the longer ban stays.
    expect((await bans.ban('1.1.1.1', { durationMs: 10 })).bannedUntil).toBe(T0 + 5000)
    expect((await bans.ban('1.1.1.1', { until: T0 + DAY })).bannedUntil).toBe(T0 + DAY)
    expect(bans.list()).toHaveLength(1)
  })

  it('unban and clear', async () => {
    const bans = new BanList(clock())
    await bans.ban('1.2.3.4')
    await bans.ban('10.0.0.0/8')
    expect(await bans.unban('1.2.3.5')).toBe(false)
    expect(await bans.unban('1.2.3.4/32')).toBe(true)
    expect(bans.isBanned('1.2.3.4')).toBe(false)
    expect(bans.isBanned('10.1.1.1')).toBe(true)
    await bans.clear()
    expect(bans.list()).toEqual([])
    expect(bans.isBanned('10.1.1.1')).toBe(false)
  })

  it('refuses more than maxBans, after sweeping expired ones', async () => {
    const c = clock()
    const bans = new BanList(c, { maxBans: 2 })
    await bans.ban('1.1.1.1', { durationMs: 10 })
    await bans.ban('1.1.1.2')
    await expect(bans.ban('1.1.1.3')).rejects.toMatchObject({ code: 'TOO_MANY_BANS' })
    // Updating an existing ban is fine.
    await bans.ban('1.1.1.2', { durationMs: 2 * DAY })
    c.advance(10)
    await bans.ban('1.1.1.3')
    expect(bans.list().map((b) => b.subnet)).toEqual(['1.1.1.2/32', '1.1.1.3/32'])
  })

  it('rejects bad targets', async () => {
    const bans = new BanList(clock())
    await expect(bans.ban('nonsense')).rejects.toMatchObject({ code: 'INVALID_BAN_TARGET' })
    await expect(bans.unban('nonsense')).rejects.toMatchObject({ code: 'INVALID_BAN_TARGET' })
  })
})

describe('discouragement', () => {
  it('remembers addresses, not ports, bounded by the most recent', () => {
    const bans = new BanList(clock(), { maxDiscouraged: 3 })
    bans.discourage('1.1.1.1:8333')
    expect(bans.isDiscouraged('1.1.1.1')).toBe(true)
    expect(bans.isDiscouraged('::ffff:1.1.1.1')).toBe(true)
    bans.discourage('2.2.2.2')
    bans.discourage('3.3.3.3')
    bans.discourage('1.1.1.1') // refreshed: now the newest
    bans.discourage('4.4.4.4') // drops the oldest, 2.2.2.2
    expect(bans.discouragedCount).toBe(3)
    expect(bans.isDiscouraged('2.2.2.2')).toBe(false)
    expect(['1.1.1.1', '3.3.3.3', '4.4.4.4'].every((ip) => bans.isDiscouraged(ip))).toBe(true)
    bans.clearDiscouraged()
    expect(bans.isDiscouraged('1.1.1.1')).toBe(false)
  })

  it('holds 50,000 by default and no more', () => {
    const bans = new BanList(clock())
    for (let i = 0; i < 60_000; i++) bans.discourage(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
    expect(bans.discouragedCount).toBe(50_000)
    expect(bans.isDiscouraged('10.0.0.0')).toBe(false)
    expect(bans.isDiscouraged('10.0.234.95')).toBe(true) // number 59,999
  })

  it('is not a ban', () => {
    const bans = new BanList(clock())
    bans.discourage('5.5.5.5')
    expect(bans.isBanned('5.5.5.5')).toBe(false)
    expect(bans.list()).toEqual([])
  })
})

describe('noban whitelist', () => {
  const bans = new BanList(clock(), { whitelist: ['127.0.0.0/8', '2a01:4f8::/32', '192.168.1.7'] })
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['2a01:4f8::99', true],
    ['[2a01:4f8::99]:8333', true],
    ['2a01:4f9::1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['garbage', false],
  ])('%s -> %s', (ip, want) => {
    expect(bans.isWhitelisted(ip)).toBe(want)
  })

  it('whitelisted addresses are not discouraged, and noban wins over a ban', async () => {
    const b = new BanList(clock(), { whitelist: ['10.0.0.0/8'] })
    b.discourage('10.1.1.1')
    expect(b.isDiscouraged('10.1.1.1')).toBe(false)
    await b.ban('10.0.0.0/16')
    expect(b.isBanned('10.0.1.1')).toBe(true)
    expect(b.standing('10.0.1.1')).toEqual({ whitelisted: true, banned: false, discouraged: false })
    b.discourage('11.1.1.1')
    await b.ban('12.0.0.1')
    expect(b.standing('11.1.1.1')).toEqual({ whitelisted: false, banned: false, discouraged: true })
    expect(b.standing('12.0.0.1')).toEqual({ whitelisted: false, banned: true, discouraged: false })
  })

  it('rejects bad ranges at construction', () => {
    expect(() => new BanList({}, { whitelist: ['10.0.0.0/33'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_WHITELIST_RANGE' }),
    )
    expect(
      () =>
        new BanList({}, { whitelist: ['pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion'] }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_WHITELIST_RANGE' }))
  })

  it('rejects bad options', () => {
    expect(() => new BanList({}, { maxBans: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_POLICY_OPTION' }),
    )
    expect(() => new BanList({}, { defaultBanTimeMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_POLICY_OPTION' }),
    )
  })
})

describe('BanList persistence (banlist.json)', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'banlist-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const file = () => join(dir, 'banlist.json')

  it('a constructor touches nothing', async () => {
    new BanList(clock(), { dataDir: dir })
    expect(await readdir(dir)).toEqual([])
  })

  it('saves each change in Core’s format and reloads it', async () => {
    const c = clock()
    const a = new BanList(c, { dataDir: dir })
    await a.start()
    await a.ban('1.2.3.4')
    await a.ban('2a01:4f8::/32', { durationMs: 2 * DAY })
    const doc = JSON.parse(await readFile(file(), 'utf8'))
    expect(doc).toEqual({
      banned_nets: [
        { version: 1, ban_created: T0 / 1000, banned_until: (T0 + DAY) / 1000, address: '1.2.3.4/32' },
        { version: 1, ban_created: T0 / 1000, banned_until: (T0 + 2 * DAY) / 1000, address: '2a01:4f8::/32' },
      ],
    })
    await a.stop()
    // No temporary file is left behind.
    expect((await readdir(dir)).sort()).toEqual(['banlist.json'])

    const b = new BanList(c, { dataDir: dir })
    await b.start()
    expect(b.isBanned('1.2.3.4')).toBe(true)
    expect(b.isBanned('2a01:4f8:1::1')).toBe(true)
    await b.unban('1.2.3.4')
    await b.stop()
    const c2 = new BanList(c, { dataDir: dir })
    await c2.start()
    expect(c2.list().map((e) => e.subnet)).toEqual(['2a01:4f8::/32'])
    await c2.stop()
  })

  it('drops expired entries on load and rewrites the file', async () => {
    const c = clock()
    const a = new BanList(c, { dataDir: dir })
    await a.start()
    await a.ban('1.1.1.1', { durationMs: 1000 })
    await a.ban('2.2.2.2', { durationMs: DAY })
    await a.stop()
    c.advance(5000)
    const b = new BanList(c, { dataDir: dir })
    await b.start()
    expect(b.list().map((e) => e.subnet)).toEqual(['2.2.2.2/32'])
    const doc = JSON.parse(await readFile(file(), 'utf8'))
    expect(doc.banned_nets.map((e: { address: string }) => e.address)).toEqual(['2.2.2.2/32'])
    await b.stop()
  })

  it('reads a banlist.json written by Core, skipping entries it cannot use', async () => {
    const c = clock()
    const until = T0 / 1000 + 3600
    await writeFile(
      file(),
      JSON.stringify({
        banned_nets: [
          { version: 1, ban_created: T0 / 1000, banned_until: until, address: '5.6.7.0/24' },
          { version: 1, ban_created: T0 / 1000, banned_until: until, address: 'not-an-address' },
          { version: 2, ban_created: T0 / 1000, banned_until: until, address: '9.9.9.9/32' },
          { version: 1, ban_created: 'x', banned_until: until, address: '8.8.8.8/32' },
          'garbage',
        ],
      }),
    )
    const log = recordingLogger()
    const b = new BanList({ ...c, logger: log }, { dataDir: dir })
    await b.start()
    expect(b.list()).toEqual([{ subnet: '5.6.7.0/24', createdAt: T0, bannedUntil: until * 1000 }])
    expect(log.records.filter((r) => r.level === 'warn')).toHaveLength(4)
    await b.stop()
  })

  it.each([
    ['not JSON', '{"banned_nets": [ {'],
    ['no banned_nets', '{"bans": []}'],
    ['banned_nets not an array', '{"banned_nets": 7}'],
    ['null', 'null'],
  ])(
    'a corrupt file (%s) is kept as .bak and we start empty, logging BANLIST_CORRUPT',
    async (_name, text) => {
      await writeFile(file(), text)
      const log = recordingLogger()
      const b = new BanList({ ...clock(), logger: log }, { dataDir: dir })
      await b.start()
      expect(b.list()).toEqual([])
      expect(await readFile(`${file()}.bak`, 'utf8')).toBe(text)
      const errors = log.records.filter((r) => r.level === 'error')
      expect(errors).toHaveLength(1)
      expect((errors[0]!.obj as { err: { code: string } }).err.code).toBe('BANLIST_CORRUPT')
      // Usable, and the next save writes a good file.
      await b.ban('1.2.3.4')
      expect(JSON.parse(await readFile(file(), 'utf8')).banned_nets).toHaveLength(1)
      await b.stop()
    },
  )

  it('bans made before start are kept, merged with the file, and saved', async () => {
    const c = clock()
    const a = new BanList(c, { dataDir: dir })
    await a.start()
    await a.ban('1.1.1.1')
    await a.stop()
    const b = new BanList(c, { dataDir: dir })
    await b.ban('2.2.2.2')
    // Not started: nothing written yet.
    expect(JSON.parse(await readFile(file(), 'utf8')).banned_nets).toHaveLength(1)
    await b.start()
    expect(b.list().map((e) => e.subnet)).toEqual(['2.2.2.2/32', '1.1.1.1/32'])
    expect(JSON.parse(await readFile(file(), 'utf8')).banned_nets).toHaveLength(2)
    await b.stop()
  })

  it('concurrent changes all reach the file', async () => {
    const b = new BanList(clock(), { dataDir: dir })
    await b.start()
    await Promise.all(Array.from({ length: 50 }, (_, i) => b.ban(`10.0.0.${i}`)))
    await b.stop()
    expect(JSON.parse(await readFile(file(), 'utf8')).banned_nets).toHaveLength(50)
  })

  it('a failed save rejects with BANLIST_SAVE_FAILED and the ban still applies', async () => {
    const b = new BanList(clock(), { dataDir: dir })
    await b.start()
    await rm(dir, { recursive: true, force: true })
    await expect(b.ban('1.2.3.4')).rejects.toMatchObject({ code: 'BANLIST_SAVE_FAILED' })
    expect(b.isBanned('1.2.3.4')).toBe(true)
    await b.stop()
  })

  it('start and stop are idempotent, and stop before start is fine', async () => {
    const b = new BanList(clock(), { dataDir: dir })
    await b.stop()
    await Promise.all([b.start(), b.start()])
    expect(b.status).toBe('started')
    await Promise.all([b.stop(), b.stop()])
    expect(b.status).toBe('stopped')
  })
})

startableSuite('BanList', {
  setup: async () => {
    const subject = new BanList({}, { dataDir: await mkdtemp(join(tmpdir(), 'banlist-suite-')) })
    return {
      subject,
      exercise: async () => {
        await subject.ban('1.2.3.4')
        await subject.ban('10.0.0.0/8')
      },
    }
  },
  teardown: async ({ subject }) => {
    await rm(dirname(subject.path!), { recursive: true, force: true })
  },
})
