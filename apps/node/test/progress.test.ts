import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mineBlock } from '@node/chain'
import type { Logger } from '@node/runtime'
import { createNode } from '@node/server'
import { networks } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.ts'
import { progressSample, serverInit } from '../src/host.ts'
import { createNodeLogger } from '../src/logging.ts'
import {
  formatDuration,
  formatProgress,
  PROGRESS_FIELD,
  ProgressLogger,
  type ProgressSample,
  percentOf,
  RateTracker,
} from '../src/progress.ts'

describe('formatProgress', () => {
  it('prints height, percent, rates, time left and peers', () => {
    expect(
      formatProgress({
        height: 123_456,
        headerHeight: 850_000,
        percent: percentOf(123_456, 850_000),
        blocksPerSec: 250.34,
        bytesPerSec: 12_400_000,
        etaSeconds: 2 * 3600 + 13 * 60 + 5,
        peers: 8,
      }),
    ).toBe(
      'Synced 123,456 of 850,000 blocks (14.52%), 250.3 blocks/s, 12.4 MB/s, about 2h 13m left, 8 peers.',
    )
  })

  it('says when rates and time are unknown, and when caught up', () => {
    const base = {
      height: 10,
      headerHeight: 20,
      percent: 50,
      blocksPerSec: null,
      bytesPerSec: null,
      etaSeconds: null,
      peers: 1,
    }
    expect(formatProgress(base)).toBe(
      'Synced 10 of 20 blocks (50.00%), rate unknown, time left unknown, 1 peer.',
    )
    expect(
      formatProgress({ ...base, height: 20, percent: 100, blocksPerSec: 0, bytesPerSec: 0, etaSeconds: 0 }),
    ).toBe('Synced 20 of 20 blocks (100.00%), 0.0 blocks/s, 0.0 MB/s, caught up, 1 peer.')
  })

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0s')
    expect(formatDuration(59.6)).toBe('1m 0s')
    expect(formatDuration(125)).toBe('2m 5s')
    expect(formatDuration(3725)).toBe('1h 2m')
    expect(formatDuration(200_000)).toBe('2d 7h')
  })

  it('clamps percent', () => {
    expect(percentOf(5, 0)).toBe(100)
    expect(percentOf(30, 20)).toBe(100)
    expect(percentOf(0, 10)).toBe(0)
  })
})

describe('RateTracker', () => {
  it('computes rates and ETA from the injected clock', () => {
    let t = 0
    const r = new RateTracker({ now: () => t })
    expect(r.snapshot(1000, 0)).toMatchObject({ height: 0, blocksPerSec: null, etaSeconds: null })
    r.record(100, 1_000_000)
    t = 10_000
    r.record(300, 21_000_000)
    expect(r.snapshot(1300, 4)).toEqual({
      height: 300,
      headerHeight: 1300,
      percent: (300 / 1300) * 100,
      blocksPerSec: 20,
      bytesPerSec: 2_000_000,
      etaSeconds: 50,
      peers: 4,
    })
  })

  it('uses only the sliding window', () => {
    let t = 0
    const r = new RateTracker({ now: () => t }, { windowMs: 10_000 })
    r.record(0, 0) // slow start
    t = 100_000
    r.record(100, 0)
    t = 105_000
    r.record(200, 0)
    t = 110_000
    r.record(300, 0)
    // Window: the sample at 100 s and later: 200 blocks in 10 s.
    expect(r.snapshot(1000, 1).blocksPerSec).toBe(20)
  })

  it('keeps a bounded number of samples', () => {
    let t = 0
    const r = new RateTracker({ now: () => t }, { windowMs: 1e12, maxSamples: 3 })
    for (let i = 0; i <= 10; i++) {
      t = i * 1000
      r.record(i === 0 ? 0 : 100 + i, 0)
    }
    // Only samples 8, 9, 10 remain: 2 blocks in 2 s.
    expect(r.snapshot(1000, 1).blocksPerSec).toBe(1)
  })

  it('reports a stall as unknown time left', () => {
    let t = 0
    const r = new RateTracker({ now: () => t })
    r.record(50, 0)
    t = 5000
    r.record(50, 0)
    expect(r.snapshot(100, 2)).toMatchObject({ blocksPerSec: 0, etaSeconds: null })
    r.reset()
    expect(r.snapshot(100, 2).height).toBe(0)
  })
})

describe('ProgressLogger', () => {
  function recorder() {
    const records: { level: string; obj: Record<string, unknown>; msg: string }[] = []
    const make = (level: string) => (obj: unknown, msg?: string) =>
      records.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' })
    const logger = {
      trace: make('trace'),
      debug: make('debug'),
      info: make('info'),
      warn: make('warn'),
      error: make('error'),
      fatal: make('fatal'),
      child: () => logger,
      isLevelEnabled: () => true,
    } as unknown as Logger
    return { logger, records }
  }

  it('logs the README line while behind, with the peers we sync from, and nothing when caught up', () => {
    let t = 0
    let s: ProgressSample = { height: 0, headerHeight: 0, bytes: 0, peers: 0 }
    const { logger, records } = recorder()
    const p = new ProgressLogger({ logger, now: () => t, sample: () => s }, { intervalMs: 0 })
    // Headers arrive: 1,000 ahead, three peers announced them, none has blocks in flight yet.
    s = { height: 0, headerHeight: 1000, bytes: 0, peers: 3 }
    expect(p.tick()).toBeUndefined() // behind at one sample only: not yet "syncing"
    t += 5000
    s = { height: 250, headerHeight: 1000, bytes: 25_000_000, peers: 3 }
    const snap = p.tick()
    expect(snap).toMatchObject({ height: 250, headerHeight: 1000, peers: 3, blocksPerSec: 50 })
    expect(records).toHaveLength(1)
    expect(records[0]!.msg).toBe(
      'Synced 250 of 1,000 blocks (25.00%), 50.0 blocks/s, 5.0 MB/s, about 15s left, 3 peers.',
    )
    expect(records[0]!.obj[PROGRESS_FIELD]).toEqual(snap)
    t += 5000
    s = { height: 1000, headerHeight: 1000, bytes: 100_000_000, peers: 0 }
    expect(p.tick()).toBeUndefined()
    expect(records).toHaveLength(1)
  })

  it('a node that mines its own blocks logs no progress line, and the block manager logs none either', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'btcnode-progress-'))
    try {
      const config = await loadConfig(['-regtest', `-datadir=${dir}`, '-listen=0', '-connect=0'])
      const init = serverInit(config, '0.1.0')
      // The daemon owns the progress line: the block manager's own is off.
      expect(init.progressIntervalMs).toBe(0)
      const { logger, records } = recorder()
      const server = createNode(init, { logger, resolve: async () => [] })
      await server.start()
      try {
        let t = 0
        const p = new ProgressLogger(
          { logger, now: () => t, sample: () => progressSample(server) },
          { intervalMs: 0 },
        )
        for (let i = 0; i < 5; i++) {
          const tip = server.blockManager.chain.tip
          await server.blockManager.submitBlock(
            mineBlock({
              network: networks.regtest,
              prev: { hash: tip.hash, height: tip.height, time: tip.time },
              payTo: Uint8Array.of(0x51),
              time: tip.time + 1,
            }),
          )
          t += 5000
          expect(p.tick()).toBeUndefined()
        }
        expect(server.blockManager.chain.tip.height).toBe(5)
        expect(records.filter((r) => /Sync/.test(r.msg))).toEqual([])
      } finally {
        await server.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('is one line on a terminal, and keeps its numbers in the JSON line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'btcnode-progress-'))
    try {
      const tty: string[] = []
      const nl = await createNodeLogger(
        {
          level: 'info',
          categoryLevels: {},
          debugCategories: [],
          printToConsole: true,
          file: join(dir, 'debug.log'),
        },
        { console: { write: (s: string) => tty.push(s), isTTY: true } },
      )
      let t = 0
      let s: ProgressSample = { height: 0, headerHeight: 100, bytes: 0, peers: 2 }
      const p = new ProgressLogger({ logger: nl.logger, now: () => t, sample: () => s }, { intervalMs: 0 })
      p.tick()
      t += 5000
      s = { height: 50, headerHeight: 100, bytes: 1_000_000, peers: 2 }
      p.tick()
      await nl.close()
      const out = tty.join('')
      expect(out.trim().split('\n')).toHaveLength(1)
      expect(out).toContain(
        'Synced 50 of 100 blocks (50.00%), 10.0 blocks/s, 0.2 MB/s, about 5s left, 2 peers.',
      )
      const json = JSON.parse((await readFile(join(dir, 'debug.log'), 'utf8')).trim()) as Record<
        string,
        unknown
      >
      expect(json).toMatchObject({
        component: 'progress',
        [PROGRESS_FIELD]: { height: 50, headerHeight: 100, peers: 2 },
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
