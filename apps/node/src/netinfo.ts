/**
 * bitcoin-cli's `-netinfo` dashboard, from `getpeerinfo` and
 * `getnetworkinfo` results: a count of peers by direction and network, and at
 * level 1 and above a table of peers (level 2 adds addresses, 3 versions, 4
 * both), like Core's `NetinfoRequestHandler`.
 */

/** The `getpeerinfo` fields used (bitcoind's names). */
export interface PeerInfo {
  id: number
  addr: string
  network?: string | undefined
  inbound: boolean
  connection_type?: string | undefined
  transport_protocol_type?: string | undefined
  minping?: number | undefined
  pingtime?: number | undefined
  lastsend?: number | undefined
  lastrecv?: number | undefined
  last_transaction?: number | undefined
  last_block?: number | undefined
  conntime?: number | undefined
  version?: number | undefined
  subver?: string | undefined
  relaytxes?: boolean | undefined
  bip152_hb_to?: boolean | undefined
  bip152_hb_from?: boolean | undefined
  addr_processed?: number | undefined
  addr_rate_limited?: number | undefined
}

export interface NetworkInfo {
  version?: number | undefined
  subversion?: string | undefined
  protocolversion?: number | undefined
  localaddresses?: ReadonlyArray<{ address: string; port: number; score: number }> | undefined
  networks?: ReadonlyArray<{ name: string; reachable: boolean }> | undefined
}

const NETWORKS = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'] as const

/** Core's short names for connection types. */
const CONN_TYPE: Readonly<Record<string, string>> = {
  inbound: 'inbound',
  'outbound-full-relay': 'full',
  'block-relay-only': 'block',
  manual: 'manual',
  feeler: 'feeler',
  'addr-fetch': 'addr',
}

function isBlockRelay(p: PeerInfo): boolean {
  return p.connection_type === 'block-relay-only' || p.relaytxes === false
}

/** Seconds since `t` (unix seconds) as Core prints them: empty for 0/unset. */
function ago(now: number, t: number | undefined, unit: 's' | 'm'): string {
  if (!t) return ''
  const secs = Math.max(0, now - t)
  return unit === 's' ? String(secs) : String(Math.floor(secs / 60))
}

function ms(seconds: number | undefined): string {
  if (seconds === undefined || seconds < 0) return ''
  return String(Math.round(seconds * 1000))
}

function table(rows: string[][], rightAlign: (col: number) => boolean): string[] {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length)
    })
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (rightAlign(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
}

export interface NetinfoOptions {
  /** 0 (counts only) to 4. */
  level: number
  /** Unix seconds now (the client's clock, as in Core). */
  now: number
  /** First line, e.g. `btcnode-cli client v0.1.0 regtest`. */
  clientLine: string
}

/** The `-netinfo` text. */
export function formatNetinfo(peers: readonly PeerInfo[], info: NetworkInfo, opts: NetinfoOptions): string {
  const out: string[] = []
  const server = `${info.protocolversion ?? '?'}${info.subversion ?? ''}`
  out.push(`${opts.clientLine} - server ${server}`, '')

  if (opts.level >= 1 && peers.length > 0) {
    const showAddr = opts.level === 2 || opts.level === 4
    const showVersion = opts.level === 3 || opts.level === 4
    const sorted = [...peers].sort((a, b) =>
      a.inbound !== b.inbound ? (a.inbound ? -1 : 1) : (a.minping ?? Infinity) - (b.minping ?? Infinity),
    )
    const header = [
      '<->',
      'type',
      'net',
      'v',
      'mping',
      'ping',
      'send',
      'recv',
      'txn',
      'blk',
      'hb',
      'addrp',
      'addrl',
      'age',
      'id',
    ]
    if (showAddr) header.push('address')
    if (showVersion) header.push('version')
    const rows = [header]
    for (const p of sorted) {
      const hb = `${p.bip152_hb_to ? '.' : ' '}${p.bip152_hb_from ? '*' : ' '}`
      const row = [
        p.inbound ? 'in' : 'out',
        CONN_TYPE[p.connection_type ?? (p.inbound ? 'inbound' : 'outbound-full-relay')] ??
          p.connection_type ??
          '',
        p.network ?? '',
        // Core's -netinfo "v" column: 1 or 2, blank while still detecting.
        /^v\d$/.test(p.transport_protocol_type ?? 'v1') ? (p.transport_protocol_type ?? 'v1').slice(1) : ' ',
        ms(p.minping),
        ms(p.pingtime),
        ago(opts.now, p.lastsend, 's'),
        ago(opts.now, p.lastrecv, 's'),
        isBlockRelay(p) ? '*' : ago(opts.now, p.last_transaction, 'm'),
        ago(opts.now, p.last_block, 'm'),
        hb.trimEnd(),
        p.addr_processed === undefined ? '' : String(p.addr_processed),
        p.addr_rate_limited ? String(p.addr_rate_limited) : '',
        ago(opts.now, p.conntime, 'm'),
        String(p.id),
      ]
      if (showAddr) row.push(p.addr)
      if (showVersion) row.push(`${p.version ?? ''}${p.subver ?? ''}`)
      rows.push(row)
    }
    const left = new Set([0, 1, 2, 10, 15, 16])
    out.push(...table(rows, (c) => !left.has(c)), '')
  }

  const nets = NETWORKS.filter(
    (n) => n === 'ipv4' || n === 'ipv6' || n === 'onion' || peers.some((p) => p.network === n),
  )
  const count = (inbound: boolean | null, net: string): number =>
    peers.filter((p) => (inbound === null || p.inbound === inbound) && p.network === net).length
  const counts = [
    ['', ...nets, 'total', 'block'],
    ['in', ...nets.map((n) => String(count(true, n))), String(peers.filter((p) => p.inbound).length)],
    [
      'out',
      ...nets.map((n) => String(count(false, n))),
      String(peers.filter((p) => !p.inbound).length),
      String(peers.filter((p) => !p.inbound && isBlockRelay(p)).length),
    ],
    ['total', ...nets.map((n) => String(count(null, n))), String(peers.length)],
  ]
  out.push(...table(counts, (c) => c !== 0), '')
  const local = info.localaddresses ?? []
  if (local.length === 0) out.push('Local addresses: n/a')
  else {
    out.push('Local addresses')
    for (const a of local)
      out.push(`${a.address.padEnd(40)} port ${String(a.port).padStart(5)}    score ${a.score}`)
  }
  return out.join('\n')
}
