/**
 * The Server's options built from the daemon's configuration: what a flag
 * turns off must not shrink what Core keeps (the inbound slot arithmetic of
 * `CConnman::Init` is the same with and without -connect).
 */
import { describe, expect, it } from 'vitest'
import { type LoadConfigDeps, loadConfig } from '../src/config.ts'
import { serverInit } from '../src/host.ts'

const deps: LoadConfigDeps = {
  platform: { platform: 'linux', home: '/home/op', env: {} },
  readFile: async () => undefined,
  cwd: '/work',
}

describe('serverInit', () => {
  it('-connect=0 stops automatic outbound dialing but keeps the 8 + 2 + 1 outbound slots reserved (114 inbound of 125)', async () => {
    const init = serverInit(await loadConfig(['-regtest', '-connect=0'], deps), '0.0.0')
    expect(init.useAddrmanOutgoing).toBe(false)
    expect(init.dnsSeed).toBe(false)
    expect(init.fixedSeeds).toBe(false)
    // No override of the slot counts: the Server reserves Core's defaults.
    expect(init.maxOutbound).toBeUndefined()
    expect(init.maxBlockRelayOnly).toBeUndefined()
    expect(init.maxConnections).toBe(125)
  })

  it('by default dials automatic outbound peers from the address manager', async () => {
    const init = serverInit(await loadConfig(['-regtest'], deps), '0.0.0')
    expect(init.useAddrmanOutgoing).toBe(true)
  })

  it('-whitelist carries its permissions to the server: addr@ grants addr only, a bare range the implicit set', async () => {
    const init = serverInit(
      await loadConfig(['-regtest', '-whitelist=addr@127.0.0.1', '-whitelist=10.0.0.0/8'], deps),
      '0.0.0',
    )
    expect(init.whitelist).toEqual([
      { range: '127.0.0.1/32', permissions: ['addr'], inbound: true, outbound: false },
      {
        range: '10.0.0.0/8',
        permissions: ['noban', 'relay', 'mempool', 'download'],
        inbound: true,
        outbound: false,
      },
    ])
  })

  it('-proxy, -onion and -proxyrandomize reach the server (port 9050 by default)', async () => {
    const init = serverInit(
      await loadConfig(['-regtest', '-proxy=127.0.0.1', '-onion=127.0.0.2:9150', '-proxyrandomize=0'], deps),
      '0.0.0',
    )
    expect(init.proxy).toBe('127.0.0.1:9050')
    expect(init.onionProxy).toBe('127.0.0.2:9150')
    expect(init.proxyRandomize).toBe(false)
    const none = serverInit(await loadConfig(['-regtest', '-proxy=0', '-noonion'], deps), '0.0.0')
    expect(none.proxy).toBeUndefined()
    expect(none.onionProxy).toBe(false)
    expect(none.proxyRandomize).toBe(true)
  })
})
