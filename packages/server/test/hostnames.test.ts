/**
 * Host names for -connect, -addnode and -seednode (Core: Lookup with
 * fAllowLookup = -dns). Names are resolved by the injected resolver, which
 * here maps `peer.test` to 127.0.0.1 and fails every other name: no real DNS.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, delay, recordingLogger, startServer, until } from './helpers.ts'

afterEach(cleanup)

function fakeResolver(lookups: string[]) {
  return async (host: string): Promise<string[]> => {
    lookups.push(host)
    if (host === 'peer.test') return ['127.0.0.1']
    throw new Error(`getaddrinfo ENOTFOUND ${host}`)
  }
}

describe('host names', () => {
  it('-connect with a host name resolves it and connects', async () => {
    const target = await startServer()
    const lookups: string[] = []
    const server = await startServer(
      { connect: [`peer.test:${target.ports[0]}`], dialIntervalMs: 10 },
      { resolve: fakeResolver(lookups) },
    )
    await until(() => target.connectionCount === 1, 5_000, 'a connection to peer.test')
    await until(() => server.connectionCount === 1, 5_000, 'the handshake')
    expect(lookups).toEqual(['peer.test'])
  })

  it('-seednode with a host name resolves it and connects', async () => {
    const target = await startServer()
    const lookups: string[] = []
    await startServer(
      { seednode: [`peer.test:${target.ports[0]}`], dialIntervalMs: 10 },
      { resolve: fakeResolver(lookups) },
    )
    await until(() => target.connectionCount === 1, 5_000, 'a connection to the seed node')
    expect(lookups).toEqual(['peer.test'])
  })

  it('-addnode with a name that does not resolve stays added, and each attempt logs one line without a stack', async () => {
    const lookups: string[] = []
    const { logger, records } = recordingLogger()
    const server = await startServer(
      { addnode: ['bogus.test'], dialIntervalMs: 10, manualRetryBaseMs: 30, manualRetryMaxMs: 30 },
      { resolve: fakeResolver(lookups), logger },
    )
    await until(() => lookups.length >= 3, 5_000, 'three lookups')
    await delay(20)
    expect(server.addedNodes().map((n) => n.target)).toEqual(['bogus.test'])
    const lines = records.filter((r) => r.fields['target'] === 'bogus.test')
    expect(lines.length).toBeGreaterThanOrEqual(2)
    expect(lines.length).toBeLessThanOrEqual(lookups.length)
    for (const r of lines) {
      expect(r.level).toBe('warn')
      expect(r.fields['reason']).toBe('getaddrinfo ENOTFOUND bogus.test')
      expect(Object.values(r.fields).some((v) => v instanceof Error)).toBe(false)
    }
  })

  it('dns: false (-dns=0) looks up no name and says why', async () => {
    const target = await startServer()
    const lookups: string[] = []
    const { logger, records } = recordingLogger()
    const server = await startServer(
      { addnode: [`peer.test:${target.ports[0]}`], dns: false, dialIntervalMs: 10, manualRetryBaseMs: 1_000 },
      { resolve: fakeResolver(lookups), logger },
    )
    await until(() => records.some((r) => r.fields['target'] !== undefined), 5_000, 'the warning')
    await delay(100)
    expect(lookups).toEqual([])
    expect(target.connectionCount).toBe(0)
    expect(records.find((r) => r.fields['target'] !== undefined)?.fields['reason']).toMatch(/-dns=0/)
    expect(() => server.addNode('peer.test', 'onetry')).toThrow(/-dns=0/)
  })
})
