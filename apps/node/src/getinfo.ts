/**
 * bitcoin-cli's `-getinfo` summary, from `getnetworkinfo` and
 * `getblockchaininfo` results, as Core's `GetinfoRequestHandler` gathers it
 * and `ParseGetInfoResult` (src/bitcoin-cli.cpp) prints it: chain, blocks,
 * headers, verification progress (with a bar below 99%), difficulty,
 * connections in/out/total, version, time offset, proxies, relay fee and
 * warnings. This node has no wallet, so the wallet lines never appear.
 */

/** The `getnetworkinfo` fields used (bitcoind's names). */
export interface GetinfoNetwork {
  version?: number | undefined
  timeoffset?: number | undefined
  connections?: number | undefined
  connections_in?: number | undefined
  connections_out?: number | undefined
  networks?: ReadonlyArray<{ name: string; proxy?: string | undefined }> | undefined
  relayfee?: number | undefined
  warnings?: string | readonly string[] | undefined
}

/** The `getblockchaininfo` fields used. */
export interface GetinfoChain {
  chain?: string | undefined
  blocks?: number | undefined
  headers?: number | undefined
  verificationprogress?: number | undefined
  difficulty?: number | undefined
}

const COLORS = {
  reset: '\x1B[0m',
  green: '\x1B[32m',
  blue: '\x1B[34m',
  yellow: '\x1B[33m',
} as const

/** Core's GetProgressBar: 5% steps of ▒ (done) and ░ (to do). */
function progressBar(progress: number): string {
  if (progress < 0 || progress > 1) return ''
  const step = 0.05
  let bar = ''
  for (let i = 0; i < progress / step; ++i) bar += '\u2592'
  for (let i = 0; i < (1 - progress) / step; ++i) bar += '\u2591'
  return bar
}

/** Core's AmountFromValue text: 8 decimals. */
function amount(btc: number | undefined): string {
  return btc === undefined ? '' : btc.toFixed(8)
}

function text(v: unknown): string {
  return v === undefined || v === null ? '' : String(v)
}

/** The `-getinfo` text (no trailing newline). */
export function formatGetinfo(net: GetinfoNetwork, chain: GetinfoChain, opts: { color: boolean }): string {
  const c = opts.color ? COLORS : { reset: '', green: '', blue: '', yellow: '' }
  let out = `${c.blue}Chain: ${text(chain.chain)}${c.reset}\n`
  out += `Blocks: ${text(chain.blocks)}\n`
  out += `Headers: ${text(chain.headers)}\n`
  const progress = chain.verificationprogress ?? 0
  const bar = progress < 0.99 ? `${progressBar(progress)} ` : ''
  out += `Verification progress: ${bar}${(progress * 100).toFixed(4)}%\n`
  out += `Difficulty: ${text(chain.difficulty)}\n\n`
  out += `${c.green}Network: in ${text(net.connections_in)}, out ${text(net.connections_out)}, total ${text(net.connections)}${c.reset}\n`
  out += `Version: ${text(net.version)}\n`
  out += `Time offset (s): ${text(net.timeoffset)}\n`
  // Proxies in first-seen order, each with the networks that use it.
  const proxies = new Map<string, string[]>()
  for (const n of net.networks ?? []) {
    if (!n.proxy) continue
    const list = proxies.get(n.proxy) ?? []
    list.push(n.name)
    proxies.set(n.proxy, list)
  }
  const shown = [...proxies].map(([proxy, names]) => `${proxy} (${names.join(', ')})`)
  out += `Proxies: ${shown.length === 0 ? 'n/a' : shown.join(', ')}\n`
  out += `Min tx relay fee rate (BTC/kvB): ${amount(net.relayfee)}\n\n`
  const w = net.warnings
  const warnings = Array.isArray(w) ? w.join('\n') : text(w)
  out += `${c.yellow}Warnings:${c.reset} ${warnings === '' ? '(none)' : warnings}`
  return out
}
