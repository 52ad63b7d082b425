import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatNetinfo, type NetworkInfo, type PeerInfo } from '../src/netinfo.ts'
import { convertParams, main } from '../src/node-cli.ts'
import { RpcError, RpcErrorCode } from '../src/rpc-errors.ts'
import { RpcServer } from '../src/rpc-server.ts'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
let peers: PeerInfo[]
let netinfo: NetworkInfo
let dir: string
let server: RpcServer
let port: number
const seen: Array<{ method: string; params: readonly unknown[] }> = []

beforeAll(async () => {
  peers = JSON.parse(await readFile(join(fixtures, 'getpeerinfo.json'), 'utf8')) as PeerInfo[]
  netinfo = JSON.parse(await readFile(join(fixtures, 'getnetworkinfo.json'), 'utf8')) as NetworkInfo
  dir = await mkdtemp(join(tmpdir(), 'btcnode-cli-'))
  await mkdir(join(dir, 'regtest'))
  server = new RpcServer({}, { auth: { kind: 'cookie', cookieFile: join(dir, 'regtest', '.cookie') } })
  const record = (method: string, result: unknown) => (params: readonly unknown[]) => {
    seen.push({ method, params })
    return result
  }
  server.register('getpeerinfo', record('getpeerinfo', peers), { params: [] })
  server.register('getnetworkinfo', record('getnetworkinfo', netinfo), { params: [] })
  server.register(
    'getblockchaininfo',
    record('getblockchaininfo', {
      chain: 'regtest',
      blocks: 120,
      headers: 240,
      verificationprogress: 0.3,
      difficulty: 4.656542373906925e-10,
    }),
    { params: [] },
  )
  server.register('getbestblockhash', record('getbestblockhash', 'ab'.repeat(32)), { params: [] })
  server.register('getblockcount', record('getblockcount', 101), { params: [] })
  server.register('setban', record('setban', null), { arity: { min: 2, max: 4 } })
  server.register(
    'generatetoaddress',
    (p) => {
      seen.push({ method: 'generatetoaddress', params: p })
      return ['00'.repeat(32)]
    },
    { arity: { min: 2, max: 3 } },
  )
  server.register(
    'getblockhash',
    (p) => {
      if ((p[0] as number) > 101)
        throw new RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, 'Block height out of range')
      return 'cd'.repeat(32)
    },
    { params: [{ name: 'height', type: 'number' }] },
  )
  server.register('echo', (p) => p, { arity: { min: 0, max: 10 } })
  server.register('getblock', (p) => ({ hash: p[0], verbosity: p[1] ?? null }), {
    params: [
      { name: 'blockhash', type: 'string' },
      { name: 'verbosity', type: 'number', optional: true },
    ],
  })
  await server.start()
  port = server.addresses()[0]?.port ?? 0
})

afterAll(async () => {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

async function cli(args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(args, {
    io: {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      readStdin: async () => stdin ?? '',
    },
    now: () => 1_700_000_100,
    version: '0.1.0',
    sleep: async () => {},
  })
  return { code, out, err }
}

const base = () => ['-regtest', `-datadir=${dir}`, `-rpcport=${port}`]

describe('node-cli', () => {
  it('calls a method with the cookie and prints a string result raw', async () => {
    expect(await cli([...base(), 'getbestblockhash'])).toEqual({
      code: 0,
      out: `${'ab'.repeat(32)}\n`,
      err: '',
    })
    expect(await cli([...base(), 'getblockcount'])).toEqual({ code: 0, out: '101\n', err: '' })
  })

  it('prints JSON results indented by 2 and null as nothing', async () => {
    const r = await cli([...base(), 'getblock', 'ff', '1'])
    expect(r.out).toBe('{\n  "hash": "ff",\n  "verbosity": 1\n}\n')
    expect(await cli([...base(), 'setban', '1.2.3.4', 'add'])).toEqual({ code: 0, out: '', err: '' })
  })

  it('converts parameters like bitcoin-cli', async () => {
    seen.length = 0
    await cli([...base(), 'generatetoaddress', '5', 'bcrt1qaddress', '1000'])
    await cli([...base(), 'setban', '10.0.0.0/8', 'add', '3600', 'false'])
    expect(seen).toEqual([
      { method: 'generatetoaddress', params: [5, 'bcrt1qaddress', 1000] },
      { method: 'setban', params: ['10.0.0.0/8', 'add', 3600, false] },
    ])
    expect(convertParams('getblockhash', ['7'], false)).toEqual([7])
    expect(convertParams('addnode', ['1.2.3.4:8333', 'add', 'true'], false)).toEqual([
      '1.2.3.4:8333',
      'add',
      true,
    ])
    // Methods bitcoin-cli does not know: JSON if it parses, else a string.
    expect(convertParams('ourmethod', ['1', '{"a":1}', 'plain', '00ff'], false)).toEqual([
      1,
      { a: 1 },
      'plain',
      '00ff',
    ])
    expect(() => convertParams('getblockhash', ['x'], false)).toThrow('Error parsing JSON: x')
  })

  it('sends named arguments with -named', async () => {
    const r = await cli([...base(), '-named', 'getblock', 'blockhash=ee', 'verbosity=2'])
    expect(JSON.parse(r.out)).toEqual({ hash: 'ee', verbosity: 2 })
    expect(convertParams('getblock', ['blockhash=12', 'verbosity=0'], true)).toEqual({
      blockhash: '12',
      verbosity: 0,
    })
    const bad = await cli([...base(), '-named', 'getblock', 'ee'])
    expect(bad).toMatchObject({ code: 1, err: expect.stringContaining("No '=' in named argument 'ee'") })
  })

  it('reads extra arguments from stdin with -stdin', async () => {
    const r = await cli([...base(), '-stdin', 'echo', 'a'], 'b\nc\n')
    expect(JSON.parse(r.out)).toEqual(['a', 'b', 'c'])
  })

  it('prints RPC errors like bitcoin-cli and exits with |code| mod 256', async () => {
    expect(await cli([...base(), 'getblockhash', '500'])).toEqual({
      code: 8,
      out: '',
      err: 'error code: -8\nerror message:\nBlock height out of range\n',
    })
    const nf = await cli([...base(), 'nosuchmethod'])
    expect(nf).toEqual({
      code: 32601 & 0xff,
      out: '',
      err: 'error code: -32601\nerror message:\nMethod not found\n',
    })
  })

  it('uses -rpcuser/-rpcpassword and reports a wrong password', async () => {
    const r = await cli([...base(), '-rpcuser=x', '-rpcpassword=y', 'getblockcount'])
    expect(r).toEqual({
      code: 1,
      out: '',
      err: 'error: Authorization failed: Incorrect rpcuser or rpcpassword\n',
    })
  })

  it('reads rpcport from the config file section', async () => {
    await writeFile(join(dir, 'bitcoin.conf'), `regtest=1\nlisten=0\n[regtest]\nrpcport=${port}\n`)
    try {
      expect(await cli([`-datadir=${dir}`, 'getblockcount'])).toEqual({ code: 0, out: '101\n', err: '' })
    } finally {
      await rm(join(dir, 'bitcoin.conf'))
    }
  })

  it('reads includeconf files from the config file, as bitcoin-cli', async () => {
    await writeFile(join(dir, 'bitcoin.conf'), 'includeconf=more.conf\n')
    await writeFile(join(dir, 'more.conf'), `regtest=1\n[regtest]\nrpcport=${port}\n`)
    try {
      expect(await cli([`-datadir=${dir}`, 'getblockcount'])).toEqual({ code: 0, out: '101\n', err: '' })
    } finally {
      await rm(join(dir, 'bitcoin.conf'))
      await rm(join(dir, 'more.conf'))
    }
  })

  it('explains a missing cookie and an unreachable server', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'btcnode-cli-empty-'))
    try {
      const r = await cli(['-regtest', `-datadir=${empty}`, 'getblockcount'])
      expect(r.code).toBe(1)
      expect(r.err).toMatch(/^error: Could not locate RPC credentials/)
      const closed = await cli([
        '-regtest',
        `-datadir=${empty}`,
        '-rpcpassword=x',
        '-rpcport=1',
        'getblockcount',
      ])
      expect(closed.code).toBe(1)
      expect(closed.err).toMatch(
        /^error: Could not connect to the server 127\.0\.0\.1:1\n\nMake sure the btcnode server is running/,
      )
    } finally {
      await rm(empty, { recursive: true, force: true })
    }
  })

  it('-rpcwait retries until -rpcwaittimeout, then reports a timeout', async () => {
    const r = await cli([
      '-regtest',
      `-datadir=${dir}`,
      '-rpcport=1',
      '-rpcwait',
      '-rpcwaittimeout=1',
      'getblockcount',
    ])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/^error: timeout on transient error: Could not connect/)
  })

  it('rejects unknown options and daemon-only options', async () => {
    expect((await cli(['-frob'])).err).toBe(
      'error: Invalid parameter -frob, see btcnode-cli -help for a list of options.\n',
    )
    expect((await cli(['-listen=0', 'getblockcount'])).code).toBe(1)
  })

  it('has -help and -version', async () => {
    expect((await cli(['-help'])).out).toMatch(/^btcnode-cli RPC client version 0\.1\.0\n\nUsage:/)
    expect((await cli(['-version'])).out).toBe('btcnode-cli RPC client version 0.1.0\n')
  })

  it('maps HTTP 503 to the server response text', async () => {
    const fake: Server = createServer((req, res) => {
      req.resume()
      res.writeHead(503).end('Work queue depth exceeded')
    })
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r))
    const p = (fake.address() as { port: number }).port
    try {
      const r = await cli(['-regtest', '-rpcpassword=x', `-rpcport=${p}`, 'getblockcount'])
      expect(r).toEqual({ code: 1, out: '', err: 'error: Server response: Work queue depth exceeded\n' })
    } finally {
      await new Promise<void>((r) => fake.close(() => r()))
    }
  })
})

describe('node-cli -getinfo', () => {
  it('prints bitcoin-cli -getinfo from getnetworkinfo and getblockchaininfo', async () => {
    const r = await cli([...base(), '-getinfo'])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toBe(
      [
        'Chain: regtest',
        'Blocks: 120',
        'Headers: 240',
        `Verification progress: ${'\u2592'.repeat(6)}${'\u2591'.repeat(14)} 30.0000%`,
        'Difficulty: 4.656542373906925e-10',
        '',
        'Network: in 1, out 1, total 2',
        'Version: 1000',
        'Time offset (s): 0',
        'Proxies: n/a',
        'Min tx relay fee rate (BTC/kvB): 0.00001000',
        '',
        'Warnings: (none)',
        '',
      ].join('\n'),
    )
    const colored = await cli([...base(), '-getinfo', '-color=always'])
    expect(colored.out.startsWith('\x1B[34mChain: regtest\x1B[0m\n')).toBe(true)
  })

  it('refuses arguments, a bad -color and -netinfo alongside, as bitcoin-cli', async () => {
    expect((await cli([...base(), '-getinfo', 'x'])).err).toBe('error: -getinfo takes no arguments\n')
    expect((await cli([...base(), '-getinfo', '-color=red'])).err).toMatch(/Invalid value for -color/)
    expect((await cli([...base(), '-getinfo', '-netinfo'])).err).toMatch(/Only one of -getinfo, -netinfo/)
  })
})

describe('node-cli -netinfo', () => {
  it('prints the counts at level 0 from getnetworkinfo and getpeerinfo', async () => {
    const r = await cli([...base(), '-netinfo'])
    expect(r.code).toBe(0)
    expect(r.out).toBe(
      [
        'btcnode-cli client v0.1.0 regtest - server 70016/btcnode:0.1.0/',
        '',
        '       ipv4  ipv6  onion  total  block',
        'in        0     1      0      1',
        'out       1     0      0      1      0',
        'total     1     1      0      2',
        '',
        'Local addresses: n/a',
        '',
      ].join('\n'),
    )
  })

  it('adds the peer table at level 1 and addresses at level 2 (level as an argument too)', async () => {
    const one = await cli([...base(), '-netinfo=1'])
    const lines = one.out.split('\n')
    expect(lines[2]).toMatch(
      /^<->\s+type\s+net\s+v\s+mping\s+ping\s+send\s+recv\s+txn\s+blk\s+hb\s+addrp\s+addrl\s+age\s+id$/,
    )
    // Inbound first; the block-relay peer shows * for txn; ages are from the injected clock.
    expect(lines[3]).toMatch(/^in\s+inbound\s+ipv6\s+2\s+40\s+42\s+20\s+30\s+\*\s+0\s+2\s+3$/)
    expect(lines[4]).toMatch(/^out\s+full\s+ipv4\s+1\s+0\s+1\s+10\s+5\s+2\s+\.\s+3\s+11\s+0$/)
    expect(one.out).not.toContain('127.0.0.1:18444')
    const two = await cli([...base(), '-netinfo', '2'])
    expect(two.out).toContain('127.0.0.1:18444')
    expect(two.out).toContain('[2001:db8::5]:50322')
  })

  it('formats versions at level 3 and local addresses', () => {
    const text = formatNetinfo(
      peers,
      { ...netinfo, localaddresses: [{ address: '203.0.113.5', port: 8333, score: 4 }] },
      {
        level: 3,
        now: 1_700_000_100,
        clientLine: 'x',
      },
    )
    expect(text).toContain('70016/Satoshi:28.0.0/')
    expect(text).toMatch(/Local addresses\n203\.0\.113\.5\s+port {2}8333 {4}score 4$/)
  })

  it('leaves the v column blank for a peer whose transport is still being detected', () => {
    const detecting = peers.map((p) => (p.inbound ? { ...p, transport_protocol_type: 'detecting' } : p))
    const text = formatNetinfo(detecting, netinfo, { level: 1, now: 1_700_000_100, clientLine: 'x' })
    expect(text).not.toContain('detecting')
    expect(text.split('\n').find((l) => l.startsWith('in'))).toMatch(/^in\s+inbound\s+ipv6\s+40\s+42\s/)
  })

  it('rejects a bad level', async () => {
    expect((await cli([...base(), '-netinfo=9'])).err).toMatch(/Invalid -netinfo level "9"/)
  })
})
