import { execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { BCOIN_LAUNCHER, processAlive } from '../src/index.ts'

const run = promisify(execFile)
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url))
const LOOPBACK = here('../bcoin/loopback.cjs')
const PATCHES = here('../bcoin/patches.cjs')
const ROOT = here('../../..')

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (!processAlive(pid)) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return !processAlive(pid)
}

describe('loopback guard', () => {
  it('refuses every non-loopback TCP, UDP and DNS destination before it reaches the network', {
    timeout: 15_000,
  }, async () => {
    const { stdout } = await run(process.execPath, [here('./support/guard-probe.cjs'), LOOPBACK], {
      timeout: 10_000,
    })
    const report = JSON.parse(stdout) as {
      results: Record<string, string>
      reached: string[]
      local: string[]
    }
    expect(report.results).toEqual({
      'net.connect({host:192.0.2.1})': 'refused',
      'net.connect(port, 198.51.100.7)': 'refused',
      'socket.connect({host:example.com})': 'refused',
      'net.connect({host:::ffff:10.0.0.1})': 'refused',
      'net.connect({host:2001:db8::1})': 'refused',
      'net.connect({host:127.0.0.1})': 'allowed',
      'net.connect({host:127.8.9.10})': 'allowed',
      'net.connect({host:::1})': 'allowed',
      'net.connect(port) [localhost]': 'allowed',
      'udp.send(8.8.8.8)': 'refused',
      'udp.send(127.0.0.1)': 'allowed',
      'dns.lookup(example.com)': 'refused',
      'dns.lookup(localhost)': 'allowed',
      'dns.resolve4(example.com)': 'refused',
      'new dns.Resolver()': 'refused',
      'dns.promises.lookup(example.com)': 'refused',
      'bdns.getIPv4()': 'refused',
      'bdns.getIPv6()': 'refused',
      'bdns.lookup(seed.example)': 'refused',
      'bdns.lookupService(127.0.0.1)': 'refused',
    })
    // Only loopback destinations got through to the (stubbed) network layer.
    expect(report.reached).toEqual([
      'tcp 127.0.0.1',
      'tcp 127.8.9.10',
      'tcp ::1',
      'tcp undefined',
      'udp 127.0.0.1',
      'dns localhost',
    ])
    expect(report.local).toEqual(['127.0.0.1'])
  })

  it('patched getHost offers only --connect peers, never learned addresses', {
    timeout: 15_000,
  }, async () => {
    const { stdout } = await run(process.execPath, [here('./support/host-probe.cjs'), PATCHES], {
      timeout: 10_000,
    })
    expect(JSON.parse(stdout)).toEqual({
      noNodes: null,
      oneNode: '127.0.0.1:18444',
      nodeAlreadyConnected: null,
    })
  })
})

describe('launch.cjs arguments', () => {
  const launch = async (args: string[]) => {
    const r = await run(process.execPath, [BCOIN_LAUNCHER, ...args], { timeout: 10_000 }).then(
      (ok) => ({ code: 0, ...ok }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    )
    return { code: r.code, stdout: r.stdout, stderr: r.stderr }
  }

  it('refuses a non-loopback --connect before starting bcoin', { timeout: 15_000 }, async () => {
    const r = await launch(['--port=1', '--http-port=2', '--connect=192.0.2.1:18444'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/192\.0\.2\.1:18444 is not a loopback address/)
  })

  it('refuses a hostname in --connect', { timeout: 15_000 }, async () => {
    const r = await launch(['--port=1', '--http-port=2', '--connect=seed.example.org:8333'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/not a loopback address/)
  })

  it('requires both ports and rejects port 0 and unknown options', { timeout: 15_000 }, async () => {
    expect((await launch(['--http-port=2'])).stderr).toMatch(/--port is required/)
    expect((await launch(['--port=0', '--http-port=2'])).stderr).toMatch(/from 1 to 65535/)
    const unknown = await launch(['--port=1', '--http-port=2', '--listen-public=1'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown option --listen-public/)
  })

  it('refuses to start when --native-crypto has no libsecp256k1 addon', { timeout: 15_000 }, async () => {
    const r = await launch(['--port=1', '--http-port=2', '--native-crypto=/nonexistent-native-crypto'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/nonexistent-native-crypto\/secp256k1\.node/)
  })

  it('takes --assume-valid as a block height only', { timeout: 15_000 }, async () => {
    const r = await launch(['--port=1', '--http-port=2', '--assume-valid=tip'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--assume-valid must be a block height/)
  })
})

describe('no bcoin outlives its test process', () => {
  const parent = (mode: 'exit' | 'hang') =>
    spawn(
      process.execPath,
      ['--conditions=@node/source', '--import', 'tsx', here('./support/orphan-parent.ts'), mode],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
  const bcoinPid = (child: ReturnType<typeof parent>): Promise<number> =>
    new Promise((resolve, reject) => {
      let out = ''
      let err = ''
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString()
        const line = out.split('\n').find((l) => l.startsWith('{'))
        if (line) resolve((JSON.parse(line) as { pid: number }).pid)
      })
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString()
      })
      child.on('exit', () => setTimeout(() => reject(new Error(`parent exited early: ${err}`)), 100))
    })

  it('process.exit() in the test process kills its bcoin nodes', { timeout: 30_000 }, async () => {
    const child = parent('exit')
    const pid = await bcoinPid(child)
    expect(await waitGone(pid, 10_000)).toBe(true)
  })

  it('a SIGKILLed test process leaves no bcoin behind (stdin EOF)', { timeout: 30_000 }, async () => {
    const child = parent('hang')
    const pid = await bcoinPid(child)
    expect(processAlive(pid)).toBe(true)
    child.kill('SIGKILL')
    expect(await waitGone(pid, 10_000)).toBe(true)
  })
})
