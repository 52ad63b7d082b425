/**
 * The repository README's commands, run as written: every command of its
 * `sh` blocks and of its Development table must name a real root script (or
 * file), and the regtest sequence — start the node, call the CLI, stop it —
 * runs through `npx -y pnpm@10` exactly as the README prints it.
 *
 * Isolation without editing the commands: HOME is a temporary directory, so
 * the node's default data directory (~/.btcnode) is fresh, and a
 * bitcoin.conf there picks the ports (P2P on a free port, RPC on one found
 * free). npm's own cache stays the real one, so npx does not download pnpm
 * again. The install step runs only when nothing is installed (CI installs
 * first); the mainnet start and the test suite are not run here (the one
 * would reach the network, the other is this suite).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@node/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const PREFIX = 'npx -y pnpm@10 '

/** Every command of the README's `sh` blocks (comments dropped) and of its tables' first column. */
function readmeCommands(text: string): { sh: string[]; table: string[] } {
  const sh: string[] = []
  for (const m of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of m[1]!.split('\n')) {
      const cmd = line.trim()
      if (cmd !== '' && !cmd.startsWith('#')) sh.push(...cmd.split(' && ').map((c) => c.trim()))
    }
  }
  const table: string[] = []
  for (const line of text.split('\n')) {
    const cell = /^\| (`[^|]*`) \|/.exec(line)?.[1]
    if (!cell) continue
    for (const c of cell.matchAll(/`([^`]+)`/g)) table.push(c[1]!)
  }
  return { sh, table }
}

const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
const { sh, table } = readmeCommands(readme)
const scripts = (
  JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts

describe('README commands', () => {
  it('are all pnpm 10 through npx (or a file in the repository), naming root scripts that exist', () => {
    expect(sh.length).toBeGreaterThanOrEqual(5)
    expect(table.length).toBeGreaterThanOrEqual(10)
    for (const cmd of [...sh, ...table]) {
      if (!cmd.startsWith(PREFIX)) {
        expect(existsSync(join(ROOT, cmd)), cmd).toBe(true)
        continue
      }
      const verb = cmd.slice(PREFIX.length).split(' ')[0]!
      if (verb === 'install') continue
      expect(scripts[verb], `${cmd}: the root package has no "${verb}" script`).toBeDefined()
    }
    // The regtest sequence this file runs is in the README as written.
    expect(sh).toEqual(
      expect.arrayContaining([
        'npx -y pnpm@10 install --frozen-lockfile',
        'npx -y pnpm@10 start -- -regtest',
        'npx -y pnpm@10 cli -regtest getblockchaininfo',
        'npx -y pnpm@10 cli -regtest stop',
      ]),
    )
  })
})

describe('README regtest sequence, run as written', () => {
  let home: string
  let daemon: ChildProcess | undefined
  let daemonOut = ''
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'btcnode-readme-'))
    const rpcPort = await freePort()
    await mkdir(join(home, '.btcnode'), { recursive: true })
    await writeFile(join(home, '.btcnode', 'bitcoin.conf'), `[regtest]\nport=0\nrpcport=${rpcPort}\n`)
    env = {
      ...process.env,
      HOME: home,
      // npx keeps using the real npm cache (pnpm 10 is already there after the first run).
      npm_config_cache: process.env['npm_config_cache'] ?? join(homedir(), '.npm'),
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
      TURBO_TELEMETRY_DISABLED: '1',
      FORCE_COLOR: '0',
    }
    delete env['NODE_OPTIONS']
    delete env['VITEST']
  })

  afterAll(async () => {
    if (daemon?.exitCode === null && daemon.pid !== undefined) {
      try {
        process.kill(-daemon.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await rm(home, { recursive: true, force: true })
  })

  function run(cmd: string, ms: number): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, {
        cwd: ROOT,
        env,
        shell: true,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (out += d.toString()))
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        reject(new Error(`${cmd} did not finish within ${ms} ms:\n${out}`))
      }, ms)
      child.on('exit', (code) => {
        clearTimeout(timer)
        resolve({ code, out })
      })
    })
  }

  it('installs (when not installed), starts the node, answers the CLI, and stops', async () => {
    if (!existsSync(join(ROOT, 'node_modules', '.modules.yaml'))) {
      const r = await run('npx -y pnpm@10 install --frozen-lockfile', 300_000)
      expect(r.code, r.out).toBe(0)
    }
    daemon = spawn('npx -y pnpm@10 start -- -regtest', {
      cwd: ROOT,
      env,
      shell: true,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    daemon.stdout!.on('data', (d: Buffer) => (daemonOut = (daemonOut + d.toString()).slice(-20_000)))
    daemon.stderr!.on('data', (d: Buffer) => (daemonOut = (daemonOut + d.toString()).slice(-20_000)))
    const exited = new Promise<number | null>((resolve) => daemon!.on('exit', (code) => resolve(code)))

    // The RPC server writes its cookie once it listens.
    const cookie = join(home, '.btcnode', 'regtest', '.cookie')
    const end = Date.now() + 180_000
    while (!existsSync(cookie)) {
      if (Date.now() > end || daemon.exitCode !== null)
        throw new Error(`The node did not start:\n${daemonOut}`)
      await new Promise((r) => setTimeout(r, 100))
    }

    const info = await run('npx -y pnpm@10 cli -regtest getblockchaininfo', 60_000)
    expect(info.code, info.out).toBe(0)
    const json = JSON.parse(info.out.slice(info.out.indexOf('{'), info.out.lastIndexOf('}') + 1)) as {
      chain: string
      blocks: number
    }
    expect(json).toMatchObject({ chain: 'regtest', blocks: 0 })

    const stop = await run('npx -y pnpm@10 cli -regtest stop', 60_000)
    expect(stop.code, stop.out).toBe(0)
    expect(stop.out).toMatch(/stopping/)
    const code = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`The node did not stop:\n${daemonOut}`)), 30_000),
      ),
    ])
    expect(code, daemonOut).toBe(0)
  }, 360_000)
})
