/**
 * bcoin's native crypto, built on demand for the benchmark only.
 *
 * bcoin 1.0.2 takes its crypto from bcrypto ~0.3.7 (the last 0.3 release;
 * bcrypto 1.x–5.x have another API that bcoin 1.0.2 cannot load). bcrypto
 * 0.3.7 has two native parts, both skipped by the workspace install
 * (`onlyBuiltDependencies: []`, bcoin runs with NODE_BACKEND=js):
 *
 * - ECDSA through secp256k1-node 3.x (`secp256k1/bindings`, libsecp256k1).
 *   The 3.5.0 that bcrypto pins calls `v8::Value::BooleanValue()` without
 *   an isolate, which Node 12+ removed; secp256k1-node 3.8.1 (npm, same 3.x
 *   binding API) fixes exactly that and builds unchanged on Node 20.
 * - bcrypto's own addon (SHA-256, HASH160, … for bcoin's hashing). Its
 *   sources use V8 calls removed since Node 12 (`Value::Uint32Value()`,
 *   `IntegerValue()`, `BooleanValue()`, `FunctionTemplate::GetFunction()`,
 *   `Object::Set(key, value)` without a context); no compiler flag brings
 *   them back, so the copy built here has them rewritten to nan's
 *   equivalents (`Nan::To<T>(v).FromJust()`, `Nan::GetFunction`,
 *   `Nan::Set`), with a nan new enough for Node 20. Without it bcrypto
 *   hashes with Node's OpenSSL (`node` backend), which is native as well.
 *
 * The addons are built with node-gyp (npm's copy) against this Node's own
 * headers into `<os tmp>/btcnode-bcrypto-native-<version>-node<abi>/`,
 * once; the launcher (`startBcoin({ nativeCryptoDir })`) loads them in
 * place of the missing builds. Nothing here runs on install or in CI.
 */
import { execFileSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** secp256k1-node release whose 3.x binding builds on current Node (bcrypto 0.3.7 pins 3.5.0). */
export const SECP256K1_NODE_VERSION = '3.8.1'
const BUILD_TIMEOUT_MS = 10 * 60_000

export interface NativeCrypto {
  /** Folder to pass as `startBcoin({ nativeCryptoDir })`. */
  readonly dir: string
  readonly bcryptoVersion: string
  /** bcrypto's own addon (hashes) built too; otherwise bcrypto hashes with OpenSSL. */
  readonly bcryptoAddon: boolean
  /** What was built or why a part was not, for the row notes. */
  readonly note: string
  /** True when this call built it (false: loaded from the cache folder). */
  readonly built: boolean
}

export type NativeCryptoResult = { ok: true; value: NativeCrypto } | { ok: false; reason: string }

interface BuildInfo {
  node: string
  bcrypto: string
  secp256k1: string
  bcryptoAddon: boolean
  note: string
}

const require = createRequire(import.meta.url)

function bcoinPaths(): { bcrypto: string; bcryptoVersion: string; pnpmStore: string | null } {
  const bcoinRoot = dirname(dirname(require.resolve('bcoin')))
  const bcrypto = dirname(require.resolve('bcrypto/package.json', { paths: [bcoinRoot] }))
  const bcryptoVersion = (
    JSON.parse(readFileSync(join(bcrypto, 'package.json'), 'utf8')) as { version: string }
  ).version
  // <root>/node_modules/.pnpm/bcoin@x/node_modules/bcoin -> <root>/node_modules/.pnpm
  const store = join(bcoinRoot, '..', '..', '..')
  return { bcrypto, bcryptoVersion, pnpmStore: store.endsWith('.pnpm') ? store : null }
}

const versionKey = (v: string): number[] => v.split('.').map((x) => Number.parseInt(x, 10) || 0)
const newer = (a: string, b: string): boolean => {
  const [x, y] = [versionKey(a), versionKey(b)]
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0)
  return false
}

/** A nan ≥ 2.14 (the first with Node 12+ support) from the workspace store, else from npm. */
function nanSource(store: string | null, work: string): string {
  let best: string | null = null
  if (store) {
    for (const e of readdirSync(store)) {
      const m = /^nan@(\d+\.\d+\.\d+)$/.exec(e)
      if (m?.[1] && newer(m[1], '2.13.99') && (best === null || newer(m[1], best))) best = m[1]
    }
  }
  if (store && best) return join(store, `nan@${best}`, 'node_modules', 'nan')
  return npmPack('nan@2', work)
}

function npmPack(spec: string, work: string): string {
  const out = mkdtempSync(join(work, 'pack-'))
  const file = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', out], {
    encoding: 'utf8',
    timeout: 120_000,
  })
    .trim()
    .split('\n')
    .pop()!
  execFileSync('tar', ['xzf', join(out, file), '-C', out], { timeout: 60_000 })
  return join(out, 'package')
}

/** npm's bundled node-gyp and this Node's own headers (no download). */
function gyp(): { script: string; nodedir: string | null } {
  const prefix = dirname(dirname(process.execPath))
  const candidates = [
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]
  const script = candidates.find((c) => existsSync(c))
  if (!script) throw new Error(`node-gyp not found (looked in ${candidates.join(', ')})`)
  return { script, nodedir: existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : null }
}

function nodeGypRebuild(dir: string, nan: string): void {
  mkdirSync(join(dir, 'node_modules'), { recursive: true })
  rmSync(join(dir, 'node_modules', 'nan'), { recursive: true, force: true })
  cpSync(nan, join(dir, 'node_modules', 'nan'), { recursive: true, dereference: true })
  const { script, nodedir } = gyp()
  try {
    execFileSync(
      process.execPath,
      [script, 'rebuild', '-j', '2', ...(nodedir ? [`--nodedir=${nodedir}`] : [])],
      { cwd: dir, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] },
    )
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string }
    const errors = `${e.stdout ?? ''}\n${e.stderr ?? ''}`
      .split('\n')
      .filter((l) => / error: /.test(l))
      .slice(0, 3)
    throw new Error(errors.length > 0 ? errors.join('; ') : e.message.split('\n')[0])
  }
}

/** bcrypto 0.3.7's C++ against V8 calls Node 12 removed, rewritten to nan's portable forms. */
function portToCurrentV8(src: string): string {
  const v = '([A-Za-z_][A-Za-z0-9_]*(?:\\[[0-9]+\\])?)'
  return src
    .replace(new RegExp(`${v}->GetFunction\\(\\)`, 'g'), 'Nan::GetFunction($1).ToLocalChecked()')
    .replace(new RegExp(`${v}->Uint32Value\\(\\)`, 'g'), 'Nan::To<uint32_t>($1).FromJust()')
    .replace(new RegExp(`${v}->IntegerValue\\(\\)`, 'g'), 'Nan::To<int64_t>($1).FromJust()')
    .replace(new RegExp(`${v}->BooleanValue\\(\\)`, 'g'), 'Nan::To<bool>($1).FromJust()')
    .replace(/\b([a-z_]+)->Set\(/g, 'Nan::Set($1, ')
}

function buildInto(
  out: string,
  work: string,
  bcrypto: { dir: string; version: string },
  store: string | null,
): BuildInfo {
  const nan = nanSource(store, work)
  // libsecp256k1 for ECDSA: required.
  const secp = npmPack(`secp256k1@${SECP256K1_NODE_VERSION}`, work)
  nodeGypRebuild(secp, nan)
  cpSync(join(secp, 'build', 'Release', 'secp256k1.node'), join(out, 'secp256k1.node'))
  // bcrypto's own addon: optional.
  const own = join(work, 'bcrypto')
  cpSync(bcrypto.dir, own, { recursive: true, dereference: true })
  for (const f of readdirSync(join(own, 'src'))) {
    if (f.endsWith('.cc')) {
      const file = join(own, 'src', f)
      writeFileSync(file, portToCurrentV8(readFileSync(file, 'utf8')))
    }
  }
  let bcryptoAddon = false
  let note = `libsecp256k1 via secp256k1-node ${SECP256K1_NODE_VERSION}`
  try {
    nodeGypRebuild(own, nan)
    cpSync(join(own, 'build', 'Release', 'bcrypto.node'), join(out, 'bcrypto.node'))
    bcryptoAddon = true
    note += ', bcrypto addon (V8 calls ported to nan)'
  } catch (err) {
    note += `, bcrypto addon did not build (${(err as Error).message.slice(0, 160)}): hashes by OpenSSL`
  }
  return {
    node: process.versions.modules,
    bcrypto: bcrypto.version,
    secp256k1: SECP256K1_NODE_VERSION,
    bcryptoAddon,
    note,
  }
}

/**
 * The native addons for bcoin's bcrypto, from the cache folder or built now
 * (a minute or three). Never throws: `{ ok: false, reason }` says why the
 * build was not possible (no compiler, no headers, npm unreachable, …).
 */
export function ensureNativeCrypto(): NativeCryptoResult {
  let work: string | undefined
  try {
    const { bcrypto, bcryptoVersion, pnpmStore } = bcoinPaths()
    const dir = join(tmpdir(), `btcnode-bcrypto-native-${bcryptoVersion}-node${process.versions.modules}`)
    const infoFile = join(dir, 'build.json')
    if (existsSync(infoFile) && existsSync(join(dir, 'secp256k1.node'))) {
      const info = JSON.parse(readFileSync(infoFile, 'utf8')) as BuildInfo
      return {
        ok: true,
        value: { dir, bcryptoVersion, bcryptoAddon: info.bcryptoAddon, note: info.note, built: false },
      }
    }
    work = mkdtempSync(join(tmpdir(), 'btcnode-bcrypto-build-'))
    const out = join(work, 'out')
    mkdirSync(out)
    const info = buildInto(out, work, { dir: bcrypto, version: bcryptoVersion }, pnpmStore)
    writeFileSync(join(out, 'build.json'), `${JSON.stringify(info, null, 2)}\n`)
    rmSync(dir, { recursive: true, force: true })
    renameSync(out, dir)
    return {
      ok: true,
      value: { dir, bcryptoVersion, bcryptoAddon: info.bcryptoAddon, note: info.note, built: true },
    }
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n')[0] ?? String(err) }
  } finally {
    if (work) rmSync(work, { recursive: true, force: true })
  }
}
