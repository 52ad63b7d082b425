#!/usr/bin/env node
/**
 * `pnpm start` and `pnpm cli` from the repository root: build the daemon and
 * the packages it uses (turbo; a no-op when nothing changed), then run
 * `btcnode` (`daemon`) or `btcnode-cli` (`cli`) in this process with the
 * arguments given, so signals and the exit code are the program's own.
 *
 * pnpm passes a `--` separator through to a script (`pnpm start -- -regtest`
 * runs the script with `-- -regtest`); bitcoind's options have no such
 * separator, so a leading `--` is dropped. The build's output goes to stderr:
 * stdout carries only the program's output (the CLI's JSON).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const BINS = { daemon: 'apps/node/dist/bin.js', cli: 'apps/node/dist/cli-bin.js' }

const [which, ...args] = process.argv.slice(2)
const bin = Object.hasOwn(BINS, which ?? '') ? BINS[which] : undefined
if (bin === undefined) {
  process.stderr.write('Usage: node scripts/btcnode.mjs <daemon|cli> [options]\n')
  process.exit(2)
}
if (args[0] === '--') args.shift()

const turbo = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'turbo.cmd' : 'turbo')
if (!existsSync(turbo)) {
  process.stderr.write(
    'Dependencies are not installed: run `npx -y pnpm@10 install --frozen-lockfile` first.\n',
  )
  process.exit(1)
}
const build = spawnSync(turbo, ['run', 'build', '--filter=@node/daemon...', '--output-logs=errors-only'], {
  cwd: root,
  stdio: ['ignore', process.stderr, process.stderr],
  shell: process.platform === 'win32',
})
if (build.status !== 0) {
  process.stderr.write(`The build failed (exit code ${build.status ?? build.signal}).\n`)
  process.exit(1)
}

const path = join(root, bin)
process.argv = [process.argv[0], path, ...args]
await import(pathToFileURL(path).href)
