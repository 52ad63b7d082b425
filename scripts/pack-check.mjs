#!/usr/bin/env node
// Release dry run, as CI runs it: in a temporary copy of the repository,
// version the packages with changesets, pack every public package, install the
// tarballs into an empty project and import each one. Proves that what we
// would publish contains the built JavaScript, the types, README and LICENSE,
// and works outside the workspace. Needs `pnpm build` first.
import { execFileSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pack-check-'))
const repo = path.join(tmp, 'repo')
const tarballs = path.join(tmp, 'tarballs')
const consumer = path.join(tmp, 'consumer')
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
const fail = (msg) => {
  console.error(`pack-check: ${msg}`)
  process.exit(1)
}

try {
  // 1. A copy of the tracked (and new, not ignored) files, plus the built dist folders.
  const files = run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], root)
    .split('\0')
    .filter(Boolean)
  for (const f of files) {
    if (!existsSync(path.join(root, f))) continue
    mkdirSync(path.dirname(path.join(repo, f)), { recursive: true })
    cpSync(path.join(root, f), path.join(repo, f))
  }
  const pkgDirs = readdirSync(path.join(root, 'packages')).map((d) => path.join('packages', d))
  const publishable = []
  for (const dir of pkgDirs) {
    const manifest = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8'))
    if (manifest.private) continue
    if (!existsSync(path.join(root, dir, 'dist', 'index.js')))
      fail(`${dir} is not built: run pnpm build first`)
    cpSync(path.join(root, dir, 'dist'), path.join(repo, dir, 'dist'), { recursive: true })
    publishable.push({ dir, name: manifest.name, before: manifest.version })
  }
  if (publishable.length === 0) fail('no publishable packages found')

  // The catalog: versions that `catalog:` dependencies stand for.
  const catalog = {}
  let inCatalog = false
  for (const line of readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n')) {
    if (/^catalog:/.test(line)) inCatalog = true
    else if (/^\S/.test(line)) inCatalog = false
    else if (inCatalog) {
      const m = /^\s+"?([^":]+)"?:\s*(\S+)/.exec(line)
      if (m) catalog[m[1]] = m[2]
    }
  }

  // 2. changeset version.
  const changesetBin = path.join(root, 'node_modules', '@changesets', 'cli', 'bin.js')
  run(process.execPath, [changesetBin, 'version'], repo)
  const versions = new Set()
  for (const p of publishable) {
    const m = JSON.parse(readFileSync(path.join(repo, p.dir, 'package.json'), 'utf8'))
    p.version = m.version
    versions.add(m.version)
    if (!existsSync(path.join(repo, p.dir, 'CHANGELOG.md')))
      fail(`${p.name} got no CHANGELOG.md from changeset version`)
  }
  if (versions.size !== 1) fail(`the fixed group should give one version, got ${[...versions].join(', ')}`)
  const [version] = versions
  console.log(`pack-check: changeset version gave every package ${version}`)

  // 3. Pack each package. `pnpm publish` rewrites workspace:* to the exact
  // version; we do the same here so that plain `npm pack` can run without an
  // installed copy of the workspace.
  mkdirSync(tarballs, { recursive: true })
  const packed = []
  const versionOf = Object.fromEntries(publishable.map((p) => [p.name, p.version]))
  for (const p of publishable) {
    const file = path.join(repo, p.dir, 'package.json')
    const m = JSON.parse(readFileSync(file, 'utf8'))
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(m[field] ?? {})) {
        if (String(range).startsWith('workspace:'))
          m[field][dep] = versionOf[dep] ?? fail(`unknown workspace dependency ${dep}`)
        if (String(range).startsWith('catalog:'))
          m[field][dep] = catalog[dep] ?? fail(`${dep} is not in the catalog`)
      }
    }
    delete m.devDependencies
    writeFileSync(file, JSON.stringify(m, null, 2))
    const out = JSON.parse(
      run('npm', ['pack', '--json', '--pack-destination', tarballs], path.join(repo, p.dir)),
    )
    const tgz = path.join(tarballs, out[0].filename)
    const list = run('tar', ['-tzf', tgz], tmp).split('\n')
    for (const need of [
      'package/package.json',
      'package/README.md',
      'package/LICENSE',
      'package/dist/index.js',
      'package/dist/index.d.ts',
    ]) {
      if (!list.includes(need)) fail(`${p.name}: ${path.basename(tgz)} lacks ${need}`)
    }
    const manifest = JSON.parse(run('tar', ['-xzOf', tgz, 'package/package.json'], tmp))
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (String(range).startsWith('workspace:')) fail(`${p.name}: dependency ${dep} still says ${range}`)
    }
    packed.push(tgz)
  }
  console.log(`pack-check: packed ${packed.length} tarballs`)

  // 4. Install them all into an empty project and import each.
  mkdirSync(consumer, { recursive: true })
  writeFileSync(
    path.join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  )
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...packed],
    consumer,
  )
  const names = publishable.map((p) => p.name)
  const check = `
    const names = ${JSON.stringify(names)}
    for (const n of names) {
      const m = await import(n)
      if (Object.keys(m).length === 0) throw new Error(n + ' exports nothing')
    }
    const wire = await import('@node/wire')
    const bytes = wire.encodeMessage(wire.networks.regtest.magic, { command: 'ping', nonce: 1n })
    const [ev] = new wire.FrameDecoder({ magic: wire.networks.regtest.magic }).push(bytes)
    if (ev.kind !== 'message' || ev.message.nonce !== 1n) throw new Error('wire round trip failed')
    // Consensus: the verification worker loads from dist and verifies an OP_TRUE spend.
    const consensus = await import('@node/consensus')
    const tx = new wire.Tx({
      version: 2, locktime: 0,
      inputs: [{ prevHash: new Uint8Array(32).fill(1), prevIndex: 0, script: new Uint8Array(0), sequence: 0, witness: [] }],
      outputs: [{ value: 1n, script: Uint8Array.of(0x51) }],
    })
    consensus.checkTransaction(tx)
    const pool = new consensus.ScriptCheckPool({ workers: 1 })
    await pool.start()
    const ok = await pool.verify([{ tx, spent: [{ value: 2n, script: Uint8Array.of(0x51) }], flags: consensus.ScriptFlags.P2SH }])
    await pool.stop()
    if (ok !== true) throw new Error('consensus worker verification failed')
    console.log('pack-check: imported ' + names.join(', '))
  `
  writeFileSync(path.join(consumer, 'check.mjs'), check)
  process.stdout.write(run(process.execPath, ['check.mjs'], consumer))
  console.log('pack-check: ok')
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
