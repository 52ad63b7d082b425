/**
 * Where the daemon keeps its files, laid out as bitcoind does: a base
 * directory (default `~/.btcnode` on Linux) holding the config file, and one
 * subdirectory per test network (`testnet3/`, `testnet4/`, `signet/`,
 * `regtest/`); mainnet uses the base directory itself.
 */
import { mkdir, stat } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import type { NetworkName } from '@node/wire'
import { DATADIR_NAME_APP, DATADIR_NAME_UNIX } from './constants.ts'
import { DatadirError } from './errors.ts'

export interface PlatformInfo {
  /** `process.platform` */
  readonly platform: string
  /** The user's home directory (`os.homedir()`). */
  readonly home: string
  /** Environment, for `APPDATA` on Windows. */
  readonly env: Readonly<Record<string, string | undefined>>
}

/**
 * The default base data directory, like Core's `GetDefaultDataDir`:
 * Linux/Unix `~/.btcnode`, macOS `~/Library/Application Support/Btcnode`,
 * Windows `%APPDATA%\Btcnode`.
 */
export function defaultDatadir(info: PlatformInfo): string {
  if (info.platform === 'win32') {
    const appdata = info.env['APPDATA'] ?? join(info.home, 'AppData', 'Roaming')
    return join(appdata, DATADIR_NAME_APP)
  }
  if (info.platform === 'darwin') return join(info.home, 'Library', 'Application Support', DATADIR_NAME_APP)
  return join(info.home, DATADIR_NAME_UNIX)
}

/** The per-network subdirectory name, or '' for mainnet (Core's `ChainTypeToString` dirs). */
export function networkSubdir(network: NetworkName): string {
  switch (network) {
    case 'mainnet':
      return ''
    case 'testnet3':
      return 'testnet3'
    case 'testnet4':
      return 'testnet4'
    case 'signet':
      return 'signet'
    case 'regtest':
      return 'regtest'
  }
}

/** The network's data directory under `base`. */
export function networkDatadir(base: string, network: NetworkName): string {
  const sub = networkSubdir(network)
  return sub === '' ? base : join(base, sub)
}

/** Resolve `p` against `dir` unless it is absolute (Core: `AbsPathForConfigVal`). */
export function resolveIn(dir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dir, p)
}

/**
 * Make sure the data directories exist. An explicit `-datadir` must already
 * exist (Core: "Specified data directory ... does not exist"); the default one
 * is created. The network subdirectory is always created.
 */
export async function ensureDatadir(opts: {
  base: string
  network: string
  explicit: boolean
}): Promise<void> {
  try {
    const st = await stat(opts.base)
    if (!st.isDirectory())
      throw new DatadirError(`Specified data directory "${opts.base}" is not a directory.`)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof DatadirError) throw err
      throw new DatadirError(`Cannot use data directory "${opts.base}": ${(err as Error).message}`, {
        cause: err,
      })
    }
    if (opts.explicit) throw new DatadirError(`Specified data directory "${opts.base}" does not exist.`)
    await mkdir(opts.base, { recursive: true, mode: 0o700 })
  }
  try {
    await mkdir(opts.network, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new DatadirError(`Cannot create data directory "${opts.network}": ${(err as Error).message}`, {
      cause: err,
    })
  }
}
