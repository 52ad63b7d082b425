/**
 * Seeding offline (Core net.cpp `ThreadDNSAddressSeed`): with DNS seeds that fail or hang, the
 * server says so clearly, keeps dialing addnode peers meanwhile, falls back to
 * the network's fixed seeds after the delay, and never spins on the resolver.
 *
 * The server's clock is a ManualClock: the retry interval (60 s) and the
 * fixed-seed delay (60 s) pass only when the test says so, while the
 * connection loop runs every 10 ms of real time. The fixed seed is another
 * of our servers on loopback.
 */
import type { NetworkParams } from '@node/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, delay, ManualClock, recordingLogger, regtest, startServer, until } from './helpers.ts'

afterEach(cleanup)

function withSeeds(fixedPort: number): NetworkParams {
  return {
    ...regtest,
    dnsSeeds: ['seed-a.example.invalid', 'seed-b.example.invalid'],
    fixedSeeds: [`127.0.0.1:${fixedPort}`],
  }
}

describe('seeding offline', () => {
  it('a failing resolver: logs that DNS seeding failed, retries once per interval, and uses the fixed seeds after 60 s', async () => {
    const fixed = await startServer()
    const clock = new ManualClock()
    const { logger, records } = recordingLogger()
    const lookups: string[] = []
    const server = await startServer(
      { network: withSeeds(fixed.ports[0]!), dnsSeed: true, fixedSeeds: true, dialIntervalMs: 10 },
      {
        now: clock.now,
        logger,
        resolve: async (host) => {
          lookups.push(host)
          throw new Error(`getaddrinfo ENOTFOUND ${host}`)
        },
      },
    )
    await until(() => lookups.length === 2, 5_000, 'both seeds to be asked')
    // Core asks for NETWORK | WITNESS peers: the x9 subdomain.
    expect(lookups.sort()).toEqual(['x9.seed-a.example.invalid', 'x9.seed-b.example.invalid'])
    await until(
      () => records.some((r) => r.level === 'warn' && r.msg.includes('(offline?)')),
      5_000,
      'the offline warning',
    )
    // One warning for the round, naming both seeds; each failure alone is a debug line.
    const seedWarnings = records.filter(
      (r) => r.level === 'warn' && JSON.stringify(r.fields).includes('seed-'),
    )
    expect(seedWarnings).toHaveLength(1)
    expect(seedWarnings[0]!.fields['failures']).toEqual(
      expect.arrayContaining([
        { seed: 'seed-a.example.invalid', reason: 'getaddrinfo ENOTFOUND x9.seed-a.example.invalid' },
        { seed: 'seed-b.example.invalid', reason: 'getaddrinfo ENOTFOUND x9.seed-b.example.invalid' },
      ]),
    )
    expect(records.filter((r) => r.msg === 'DNS seed lookup failed.').map((r) => r.level)).toEqual([
      'debug',
      'debug',
    ])
    // 300 ms is 30 rounds of the connection loop: no spinning on the resolver.
    await delay(300)
    expect(lookups).toHaveLength(2)
    expect(fixed.connectionCount).toBe(0)
    expect(server.addrManager.addrman.size()).toBe(0)

    // 60 s later: one more round of lookups, then the fixed seeds, and a connection.
    clock.advance(60_000)
    await until(() => fixed.connectionCount === 1, 5_000, 'a connection to the fixed seed')
    expect(lookups).toHaveLength(4)
    expect(records.some((r) => r.msg === 'No addresses from DNS seeds; added the fixed seeds.')).toBe(true)
    await delay(200)
    expect(lookups).toHaveLength(4)
  })

  it('a resolver that hangs and ignores its signal: each lookup is cut at dnsTimeoutMs, then the fixed seeds', async () => {
    const fixed = await startServer()
    const clock = new ManualClock()
    const { logger, records } = recordingLogger()
    let lookups = 0
    await startServer(
      {
        network: withSeeds(fixed.ports[0]!),
        dnsSeed: true,
        fixedSeeds: true,
        dialIntervalMs: 10,
        dnsTimeoutMs: 50,
      },
      {
        now: clock.now,
        logger,
        resolve: () => {
          lookups++
          return new Promise<string[]>(() => {})
        },
      },
    )
    await until(() => records.some((r) => r.msg.includes('(offline?)')), 5_000, 'the lookups to time out')
    expect(lookups).toBe(2)
    expect(
      records.filter((r) => r.msg === 'DNS seed lookup failed.').map((r) => String(r.fields['reason'])),
    ).toEqual([
      expect.stringMatching(/Timed out after 50 ms/),
      expect.stringMatching(/Timed out after 50 ms/),
    ])
    clock.advance(60_000)
    await until(() => fixed.connectionCount === 1, 5_000, 'a connection to the fixed seed')
  })

  it('while DNS lookups hang, addnode peers are still dialled, and stop() cuts the lookup short', async () => {
    const manual = await startServer()
    let lookups = 0
    let aborted = 0
    const server = await startServer(
      {
        network: withSeeds(1),
        dnsSeed: true,
        fixedSeeds: false,
        dialIntervalMs: 10,
        addnode: [`127.0.0.1:${manual.ports[0]}`],
      },
      {
        resolve: (_host, signal) => {
          lookups++
          signal.addEventListener('abort', () => aborted++, { once: true })
          return new Promise<string[]>(() => {})
        },
      },
    )
    await until(() => lookups === 1, 5_000, 'a lookup to start')
    // The default lookup timeout is 10 s; the addnode peer does not wait for it.
    await until(() => manual.connectionCount === 1, 5_000, 'the addnode peer')
    expect(lookups).toBe(1)
    await server.stop()
    expect(aborted).toBe(1)
  })
})
