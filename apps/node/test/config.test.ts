import { networks } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { parseArgv } from '../src/args.ts'
import { type LoadConfigDeps, loadConfig, parseWhitelist } from '../src/config.ts'
import { defaultDatadir } from '../src/datadir.ts'
import { serverInit } from '../src/host.ts'
import { DAEMON_OPTION_TABLE } from '../src/options.ts'

const HOME = '/home/op'
const BASE = '/home/op/.btcnode'

/** Deps with an in-memory file system: `files` maps absolute path to content. */
function deps(files: Record<string, string> = {}): LoadConfigDeps {
  return {
    platform: { platform: 'linux', home: HOME, env: {} },
    readFile: async (p) => files[p],
    cwd: '/work',
  }
}

const load = (argv: string[], files?: Record<string, string>) => loadConfig(argv, deps(files))

async function configError(argv: string[], files?: Record<string, string>): Promise<string> {
  const err = await load(argv, files).then(
    () => {
      throw new Error('expected a ConfigError')
    },
    (e: unknown) => e,
  )
  expect(err).toMatchObject({ code: 'CONFIG_INVALID', name: 'ConfigError' })
  return (err as Error).message
}

describe('loadConfig: defaults', () => {
  it('runs mainnet from ~/.btcnode with Core ports and RPC on loopback', async () => {
    const c = await load([])
    expect(c.network).toBe('mainnet')
    expect(c.params).toBe(networks.mainnet)
    expect(c.baseDatadir).toBe(BASE)
    expect(c.datadir).toBe(BASE)
    expect(c.port).toBe(8333)
    expect(c.listen).toBe(true)
    expect(c.dnsSeed).toBe(true)
    expect(c.connect).toEqual({ mode: 'auto' })
    expect(c.maxConnections).toBe(125)
    expect(c.rpc).toMatchObject({
      enabled: true,
      port: 8332,
      bind: [{ host: '127.0.0.1', port: 8332 }],
      auth: { kind: 'cookie', cookieFile: `${BASE}/.cookie` },
    })
    expect(c.log).toEqual({
      level: 'info',
      categoryLevels: {},
      debugCategories: [],
      printToConsole: true,
      file: `${BASE}/debug.log`,
    })
    expect(c.confFile).toBeNull()
    expect(c.warnings).toEqual([])
  })

  it('is deeply frozen', async () => {
    const c = await load(['-regtest', '-addnode=1.2.3.4'])
    expect(Object.isFrozen(c)).toBe(true)
    expect(Object.isFrozen(c.rpc.bind)).toBe(true)
    expect(Object.isFrozen(c.addnode[0])).toBe(true)
    expect(() => {
      ;(c as { port: number }).port = 1
    }).toThrow(TypeError)
  })

  it.each([
    [['-regtest'], 'regtest', 'regtest', 18444, 18443],
    [['-testnet'], 'testnet3', 'testnet3', 18333, 18332],
    [['--testnet4'], 'testnet4', 'testnet4', 48333, 48332],
    [['-signet'], 'signet', 'signet', 38333, 38332],
    [['--network=regtest'], 'regtest', 'regtest', 18444, 18443],
    [['-chain=test'], 'testnet3', 'testnet3', 18333, 18332],
    [['-chain=main'], 'mainnet', '', 8333, 8332],
  ] as const)('%j selects %s in subfolder "%s"', async (argv, net, sub, port, rpcPort) => {
    const c = await load([...argv])
    expect(c.network).toBe(net)
    expect(c.datadir).toBe(sub === '' ? BASE : `${BASE}/${sub}`)
    expect(c.port).toBe(port)
    expect(c.rpc.port).toBe(rpcPort)
    expect(c.rpc.auth).toEqual({ kind: 'cookie', cookieFile: `${c.datadir}/.cookie` })
    expect(c.log.file).toBe(`${c.datadir}/debug.log`)
  })

  it('uses the platform default data directory', () => {
    expect(defaultDatadir({ platform: 'linux', home: '/h', env: {} })).toBe('/h/.btcnode')
    expect(defaultDatadir({ platform: 'darwin', home: '/Users/u', env: {} })).toBe(
      '/Users/u/Library/Application Support/Btcnode',
    )
    expect(defaultDatadir({ platform: 'win32', home: 'C:\\U', env: { APPDATA: 'C:/AD' } })).toMatch(
      /AD.Btcnode$/,
    )
  })
})

describe('loadConfig: flag syntax', () => {
  it('accepts -flag and --flag, -noflag, bare flags as 1 and -flag=value', async () => {
    const c = await load(['--regtest', '-nolisten', '-dnsseed', '--port=1234', '-printtoconsole=0'])
    expect(c.network).toBe('regtest')
    expect(c.listen).toBe(false)
    expect(c.dnsSeed).toBe(true)
    expect(c.port).toBe(1234)
    expect(c.log.printToConsole).toBe(false)
  })

  it('lets the last command-line value win', async () => {
    const c = await load(['-port=1', '-port=2', '-listen=0', '-listen'])
    expect(c.port).toBe(2)
    expect(c.listen).toBe(true)
  })

  it('takes -v2transport, on by default as in Core', async () => {
    expect((await load(['-regtest'])).v2Transport).toBe(true)
    expect((await load(['-regtest', '-v2transport=0'])).v2Transport).toBe(false)
    expect((await load(['-regtest', '-nov2transport'])).v2Transport).toBe(false)
  })

  it('-bind=<addr>[:<port>]=onion is an onion listener (port: the network port + 1) and implies -listen', async () => {
    const c = await load(['-regtest', '-bind=127.0.0.1=onion', '-bind=127.0.0.1:9999=onion', '-bind=0.0.0.0'])
    expect(c.onionBind).toEqual([
      { host: '127.0.0.1', port: 18445 },
      { host: '127.0.0.1', port: 9999 },
    ])
    expect(c.bind).toEqual([{ host: '0.0.0.0', port: 18444 }])
    expect(c.listen).toBe(true)
    await expect(load(['-regtest', '-bind=127.0.0.1=tor'])).rejects.toThrow(/invalid network type/)
  })

  it('accepts -blocksonly (Core), which changes nothing while there is no mempool', async () => {
    await expect(load(['-regtest', '-blocksonly'])).resolves.toBeDefined()
    await expect(load(['-regtest', '-blocksonly=0'])).resolves.toBeDefined()
  })

  it('takes -externalip (on our port) and turns -discover off by default when one is given', async () => {
    const c = await load([
      '-regtest',
      '-port=19000',
      '-externalip=203.0.113.5',
      '-externalip=[2001:db8::2]:19001',
    ])
    expect(c.externalIp).toEqual([
      { host: '203.0.113.5', port: 19000 },
      { host: '2001:db8::2', port: 19001 },
    ])
    expect(c.discover).toBe(false)
    expect((await load(['-regtest'])).discover).toBe(true)
    expect((await load(['-regtest', '-listen=0'])).discover).toBe(false)
  })

  it('accepts host names for -connect, -addnode and -seednode, and -dns=0 turns their lookup off', async () => {
    const c = await load([
      '-regtest',
      '-connect=node.example:18444',
      '-addnode=other.example',
      '-seednode=seed.example',
    ])
    expect(c.dns).toBe(true)
    const init = serverInit(c, '0.1.0')
    expect(init.connect).toEqual(['node.example:18444'])
    expect(init.addnode).toEqual(['other.example:18444'])
    expect(init.seednode).toEqual(['seed.example:18444'])
    expect(init.dns).toBe(true)
    const off = await load(['-regtest', '-dns=0', '-addnode=other.example'])
    expect(off.dns).toBe(false)
    expect(serverInit(off, '0.1.0').dns).toBe(false)
  })

  it('reads -nofoo=0 as a double negative (foo=1)', async () => {
    expect((await load(['-nodnsseed=0'])).dnsSeed).toBe(true)
  })

  it('collects repeatable options and parses host:port with the network default port', async () => {
    const c = await load([
      '-regtest',
      '-addnode=10.0.0.1',
      '-addnode=10.0.0.2:9999',
      '-addnode=[2001:db8::1]:8000',
      '-seednode=seed.example.org',
      '-bind=127.0.0.1',
      '-bind=[::1]:5555',
    ])
    expect(c.addnode).toEqual([
      { host: '10.0.0.1', port: 18444 },
      { host: '10.0.0.2', port: 9999 },
      { host: '2001:db8::1', port: 8000 },
    ])
    expect(c.seednode).toEqual([{ host: 'seed.example.org', port: 18444 }])
    expect(c.bind).toEqual([
      { host: '127.0.0.1', port: 18444 },
      { host: '::1', port: 5555 },
    ])
  })

  it('-connect limits outbound peers and, like Core, turns off listening and DNS seeds', async () => {
    const c = await load(['-connect=10.0.0.5', '-connect=10.0.0.6:1'])
    expect(c.connect).toEqual({
      mode: 'only',
      peers: [
        { host: '10.0.0.5', port: 8333 },
        { host: '10.0.0.6', port: 1 },
      ],
    })
    expect(c.listen).toBe(false)
    expect(c.dnsSeed).toBe(false)
  })

  it.each([['-connect=0'], ['-noconnect']])('%s disables automatic connections', async (flag) => {
    const c = await load([flag])
    expect(c.connect).toEqual({ mode: 'none' })
    expect(c.listen).toBe(false)
    expect(c.dnsSeed).toBe(false)
  })

  it('-connect with an explicit -listen=1 still listens; -bind implies -listen', async () => {
    expect((await load(['-connect=1.2.3.4', '-listen=1'])).listen).toBe(true)
    expect((await load(['-connect=1.2.3.4', '-bind=0.0.0.0'])).listen).toBe(true)
  })

  it('-noaddnode after -addnode drops the earlier values', async () => {
    const c = await load(['-addnode=1.1.1.1', '-noaddnode', '-addnode=2.2.2.2'])
    expect(c.addnode).toEqual([{ host: '2.2.2.2', port: 8333 }])
  })

  it('-maxconnections=0 disables listening and DNS seeding by default', async () => {
    const c = await load(['-maxconnections=0'])
    expect(c.maxConnections).toBe(0)
    expect(c.listen).toBe(false)
    expect(c.dnsSeed).toBe(false)
  })

  it('sets the log level from -debug and -loglevel', async () => {
    expect((await load(['-debug'])).log).toMatchObject({ level: 'debug', debugCategories: ['all'] })
    expect((await load(['-debug=net', '-debug=rpc'])).log).toMatchObject({
      level: 'info',
      debugCategories: ['net', 'rpc'],
    })
    expect((await load(['-debug=net', '-nodebug'])).log).toMatchObject({ level: 'info', debugCategories: [] })
    expect((await load(['-loglevel=warning'])).log.level).toBe('warn')
    expect((await load(['-debug', '-loglevel=trace', '-loglevel=rpc:error'])).log).toMatchObject({
      level: 'trace',
      categoryLevels: { rpc: 'error' },
    })
  })

  it('-nodebuglogfile disables the log file; a relative name is inside the network datadir', async () => {
    expect((await load(['-nodebuglogfile'])).log.file).toBeNull()
    expect((await load(['-regtest', '-debuglogfile=node.log'])).log.file).toBe(`${BASE}/regtest/node.log`)
  })

  it('parses RPC options', async () => {
    const c = await load([
      '-rpcport=9000',
      '-rpcuser=alice',
      '-rpcpassword=secret',
      '-rpcallowip=10.0.0.0/8',
      '-rpcallowip=192.168.1.7/255.255.255.0',
      '-rpcbind=0.0.0.0',
      '-rpcbind=10.1.1.1:7000',
    ])
    expect(c.rpc.port).toBe(9000)
    expect(c.rpc.auth).toEqual({ kind: 'password', user: 'alice', password: 'secret' })
    expect(c.rpc.bind).toEqual([
      { host: '0.0.0.0', port: 9000 },
      { host: '10.1.1.1', port: 7000 },
    ])
    expect(c.rpc.allowIp.map((s) => s.toString())).toEqual([
      '127.0.0.0/8',
      '::1/128',
      '10.0.0.0/8',
      '192.168.1.0/24',
    ])
  })

  it('ignores -rpcbind without -rpcallowip, with Core warning', async () => {
    const c = await load(['-rpcbind=0.0.0.0'])
    expect(c.rpc.bind).toEqual([{ host: '127.0.0.1', port: 8332 }])
    expect(c.warnings.join('\n')).toMatch(/-rpcbind was ignored/)
  })

  it('returns help and version without reading a config file', async () => {
    const c = await load(['-?', '-conf=/nonexistent.conf'])
    expect(c.help).toBe(true)
    expect((await load(['--version'])).version).toBe(true)
    expect((await load(['-h'])).help).toBe(true)
  })
})

describe('loadConfig: config file', () => {
  const conf = `${BASE}/bitcoin.conf`

  it('reads bitcoin.conf from the data directory; flags override it', async () => {
    const c = await load(['-maxconnections=9'], {
      [conf]: '# comment\nmaxconnections=40  # trailing comment\ndnsseed=0\n\nrpcuser=bob\nrpcpassword=pw\n',
    })
    expect(c.confFile).toBe(conf)
    expect(c.maxConnections).toBe(9)
    expect(c.dnsSeed).toBe(false)
    expect(c.rpc.auth).toEqual({ kind: 'password', user: 'bob', password: 'pw' })
  })

  it('selects the network from the file and applies only that section', async () => {
    const c = await load([], {
      [conf]:
        'regtest=1\n[main]\nport=1111\n[regtest]\nport=2222\nrpcport=3333\naddnode=1.2.3.4\n[test]\nport=4444\n',
    })
    expect(c.network).toBe('regtest')
    expect(c.port).toBe(2222)
    expect(c.rpc.port).toBe(3333)
    expect(c.addnode).toEqual([{ host: '1.2.3.4', port: 18444 }])
  })

  it('supports section.key=value', async () => {
    const c = await load(['-testnet4'], { [conf]: 'testnet4.port=5555\nmain.port=1\n' })
    expect(c.port).toBe(5555)
  })

  it('applies network-only options from the default section on mainnet only, warning elsewhere', async () => {
    const file = { [conf]: 'port=7777\nmaxconnections=12\n' }
    expect((await load([], file)).port).toBe(7777)
    const c = await load(['-signet'], file)
    expect(c.port).toBe(38333)
    expect(c.maxConnections).toBe(12)
    expect(c.warnings.join('\n')).toMatch(/-port only applied on signet network when in \[signet\] section/)
  })

  it('takes the first value in the file, and the section over the default section', async () => {
    const c = await load(['-regtest'], {
      [conf]: 'maxconnections=1\nmaxconnections=2\n[regtest]\nmaxconnections=3\n',
    })
    expect(c.maxConnections).toBe(3)
    expect((await load([], { [conf]: 'maxconnections=1\nmaxconnections=2\n' })).maxConnections).toBe(1)
  })

  it('merges list options from the command line and the file', async () => {
    const c = await load(['-addnode=1.1.1.1'], { [conf]: 'addnode=2.2.2.2\n' })
    expect(c.addnode.map((e) => e.host)).toEqual(['1.1.1.1', '2.2.2.2'])
    const n = await load(['-noaddnode'], { [conf]: 'addnode=2.2.2.2\n' })
    expect(n.addnode).toEqual([])
  })

  it('reads -conf relative to the data directory and -datadir relative to cwd', async () => {
    const c = await load(['-datadir=data', '-conf=my.conf'], { '/work/data/my.conf': 'regtest=1\n' })
    expect(c.baseDatadir).toBe('/work/data')
    expect(c.datadirExplicit).toBe(true)
    expect(c.datadir).toBe('/work/data/regtest')
    expect(c.confFile).toBe('/work/data/my.conf')
  })

  it('-noconf reads no file', async () => {
    expect((await load(['-noconf'], { [conf]: 'regtest=1\n' })).network).toBe('mainnet')
  })

  it('reads includeconf files relative to the data directory, one level deep, after the main file', async () => {
    const c = await load([], {
      [conf]: 'includeconf=extra.conf\nmaxconnections=5\n[regtest]\nincludeconf=/etc/rt.conf\n',
      [`${BASE}/extra.conf`]: 'regtest=1\nmaxconnections=99\nincludeconf=deeper.conf\n',
      '/etc/rt.conf': 'port=2345\n',
      [`${BASE}/deeper.conf`]: 'dnsseed=0\n',
    })
    // The included file chose the network; the main file's single value wins.
    expect(c.network).toBe('regtest')
    expect(c.maxConnections).toBe(5)
    // The [regtest] include of the main file was not read: the network was
    // not known to be regtest when the includes were chosen (as in Core).
    expect(c.port).toBe(18444)
    expect(c.dnsSeed).toBe(true)
    expect(c.warnings.join('\n')).toMatch(
      /-includeconf cannot be used from included files; ignoring -includeconf=deeper.conf/,
    )
    expect(c.warnings.join('\n')).toMatch(/ignoring -includeconf=\/etc\/rt.conf/)
    const r = await load(['-regtest'], {
      [conf]: '[regtest]\nincludeconf=/etc/rt.conf\n',
      '/etc/rt.conf': '[regtest]\nport=2345\n',
    })
    expect(r.port).toBe(2345)
  })

  it('-noincludeconf on the command line skips the includes', async () => {
    const c = await load(['-noincludeconf'], {
      [conf]: 'includeconf=extra.conf\n',
      [`${BASE}/extra.conf`]: 'regtest=1\n',
    })
    expect(c.network).toBe('mainnet')
  })

  it('warns about unknown sections', async () => {
    const c = await load([], { [conf]: '[mainnet]\nlisten=1\n' })
    expect(c.warnings.join('\n')).toMatch(/Section \[mainnet\] is not recognized/)
  })
})

describe('loadConfig: errors', () => {
  const conf = `${BASE}/bitcoin.conf`
  it.each([
    [['-frobnicate'], /Invalid parameter -frobnicate/],
    [['regtest'], /unexpected token "regtest"/],
    [['-port=abc'], /Invalid value for -port in command line: "abc" \(expected an integer\)/],
    [['-port=70000'], /expected 0 to 65535/],
    [['-port'], /-port requires a value/],
    [['-listen=yes'], /Invalid value for -listen in command line: "yes" \(expected 0 or 1\)/],
    [['-regtest', '-testnet'], /Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain/],
    [['-chain=regtest', '-signet'], /Can use at most one/],
    [['-chain=foo'], /Invalid chain "foo"/],
    [['-network=toString'], /Invalid chain "toString"/],
    [['-nodatadir'], /Negating of -datadir is meaningless/],
    [['-noport'], /Negating of -port is meaningless/],
    [['-addnode=1.2.3.4:99999'], /Invalid address in -addnode: "1.2.3.4:99999"/],
    [['-whitelist=foo@1.2.3.4'], /Invalid P2P permission in -whitelist: "foo"/],
    [['-whitelist=1.2.3.400'], /Invalid netmask specified in -whitelist/],
    [['-whitelist=in@1.2.3.4'], /Only direction was set/],
    [['-rpcallowip=10.0.0.0/33'], /Invalid -rpcallowip subnet/],
    [['-loglevel=loud'], /Unsupported log level "loud"/],
    [['-daemon'], /-daemon is not supported/],
    [['-regtest.port=1'], /section prefixes/],
    [['-conf=/missing.conf'], /Specified config file "\/missing.conf" could not be opened/],
    [['-includeconf=x.conf'], /-includeconf cannot be used from commandline; -includeconf="x.conf"/],
    [['-rpcuser=a:b', '-rpcpassword=x'], /cannot contain a colon/],
    [['-bind=1.2.3.4', '-listen=0'], /Cannot set -bind together with -listen=0/],
  ])('%j fails with a clear message', async (argv, message) => {
    expect(await configError([...argv])).toMatch(message)
  })

  it.each([
    ['frobnicate=1\n', /bitcoin.conf:1: invalid configuration value frobnicate/],
    ['\n\nport=x\n', /Invalid value for -port in \/home\/op\/.btcnode\/bitcoin.conf:3/],
    ['-port=1\n', /must be specified without a leading -/],
    ['listen\n', /parse error on "listen"/],
    ['nolisten\n', /use listen=1 instead/],
    ['rpcpassword=ab#cd\n', /using # in rpcpassword/],
    ['conf=/x\n', /conf can only be set on the command line/],
    ['includeconf=missing.conf\n', /Failed to include configuration file missing.conf/],
    ['regtest=1\ntestnet=1\n', /Can use at most one/],
  ])('config file %j fails with its file and line', async (text, message) => {
    expect(await configError([], { [conf]: text })).toMatch(message)
  })
})

describe('parseWhitelist', () => {
  it('grants Core implicit permissions without an @', () => {
    expect({
      ...parseWhitelist('10.0.0.0/8'),
      subnet: parseWhitelist('10.0.0.0/8').subnet.toString(),
    }).toEqual({
      subnet: '10.0.0.0/8',
      permissions: ['noban', 'relay', 'mempool', 'download'],
      implicit: true,
      inbound: true,
      outbound: false,
    })
  })

  it('expands implied permissions and directions', () => {
    const w = parseWhitelist('noban,forcerelay,out@2001:db8::/32')
    expect({ ...w, subnet: w.subnet.toString() }).toEqual({
      subnet: '2001:db8::/32',
      permissions: ['noban', 'forcerelay', 'relay', 'download'],
      implicit: false,
      inbound: false,
      outbound: true,
    })
    expect(parseWhitelist('all@1.2.3.4').permissions).toHaveLength(7)
    expect(parseWhitelist('bloom,in,out@1.2.3.4')).toMatchObject({
      permissions: ['bloomfilter'],
      inbound: true,
      outbound: true,
    })
  })
})

describe('parseArgv', () => {
  it('returns positional arguments when allowed (for node-cli)', () => {
    const r = parseArgv(['-regtest', 'getblockhash', '0', '-x'], DAEMON_OPTION_TABLE, {
      program: 'x',
      positional: true,
    })
    expect(r.settings.map((s) => s.name)).toEqual(['regtest'])
    expect(r.positional).toEqual(['getblockhash', '0', '-x'])
  })
})

describe('loadConfig: flags bitcoind test harnesses pass (issue 13)', () => {
  it('-peertimeout sets the handshake timeout; -uacomment joins the user agent (BIP14)', async () => {
    const c = await load(['-regtest', '-peertimeout=3', '-uacomment=a b', '-uacomment=c@d'])
    expect(c.peerTimeout).toBe(3)
    const init = serverInit(c, '0.1.0')
    expect(init.handshakeTimeoutMs).toBe(3000)
    expect(init.userAgent).toBe('/btcnode:0.1.0(a b; c@d)/')
    expect((await load(['-regtest'])).peerTimeout).toBe(60)
    expect(await configError(['-peertimeout=0'])).toMatch(/peertimeout/)
    expect(await configError(['-uacomment=a/b'])).toBe('User Agent comment (a/b) contains unsafe characters.')
    const long = await load([`-uacomment=${'x'.repeat(250)}`])
    expect(() => serverInit(long, '0.1.0')).toThrow(
      /Total length of network version string \(267\) exceeds maximum length \(256\)/,
    )
  })

  it('-minimumchainwork takes hex; -peerbloomfilters only 0', async () => {
    const c = await load(['-regtest', '-minimumchainwork=0x0100'])
    expect(c.minimumChainWork).toBe(0x100n)
    expect(serverInit(c, '0.1.0').minimumChainWork).toBe(0x100n)
    expect((await load(['-regtest'])).minimumChainWork).toBeNull()
    expect(await configError(['-minimumchainwork=xyz'])).toBe(
      'Invalid non-hex (xyz) minimum chain work value specified',
    )
    expect((await load(['-peerbloomfilters=0'])).warnings).toEqual([])
    expect(await configError(['-peerbloomfilters'])).toMatch(/-peerbloomfilters=1 is not supported.*BIP37/)
  })

  it('-maxuploadtarget reads Core byte units (M by default; lowercase 1000, uppercase 1024)', async () => {
    const target = async (v: string) => (await load([`-maxuploadtarget=${v}`])).maxUploadTarget
    expect(await target('800')).toBe(800 * 1024 * 1024)
    expect(await target('800M')).toBe(800 * 1024 * 1024)
    expect(await target('800m')).toBe(800_000_000)
    expect(await target('5K')).toBe(5120)
    expect(await target('1g')).toBe(1e9)
    expect(await target('0')).toBe(0)
    expect((await load([])).maxUploadTarget).toBe(0)
    expect(await configError(['-maxuploadtarget=12x'])).toBe("Unable to parse -maxuploadtarget: '12x'")
    expect(await configError(['-maxuploadtarget=-1'])).toBe("Unable to parse -maxuploadtarget: '-1'")
    expect(serverInit(await load(['-maxuploadtarget=1K']), '0.1.0').maxUploadTarget).toBe(1024)
  })

  it('log-format and wallet flags are accepted with one warning each that they are ignored', async () => {
    const c = await load([
      '-logtimemicros',
      '-logthreadnames=1',
      '-logsourcelocations',
      '-debugexclude=net',
      '-disablewallet',
    ])
    expect(c.warnings).toEqual([
      "Ignoring -logtimemicros, -logthreadnames, -logsourcelocations, -debugexclude: they change only bitcoind's log format.",
      'Ignoring -disablewallet: this node has no wallet.',
    ])
    expect((await load(['-logthreadnames=0'])).warnings).toHaveLength(1)
  })
})
