/**
 * Network parameters for mainnet, testnet3, testnet4, signet and regtest: the
 * one source of truth the other packages import. Values are Bitcoin Core's
 * (src/kernel/chainparams.cpp); the genesis blocks are built here the way
 * Core builds them and their hashes are checked by the tests.
 */
import { type Block, blockHash, merkleRoot } from './block.ts'
import { COIN } from './constants.ts'
import { fromHex, type Hash } from './hash.ts'
import { Tx } from './tx.ts'

export type NetworkName = 'mainnet' | 'testnet3' | 'testnet4' | 'signet' | 'regtest'

export interface Checkpoint {
  readonly height: number
  /** Display (RPC) order hex. */
  readonly hash: string
}

/** Core's ChainTxData (kernel/chainparams.h). */
export interface ChainTxData {
  /** Unix time of the last known transaction count. */
  readonly time: number
  /** Transactions between genesis and that time. */
  readonly txCount: number
  /** Estimated transactions per second after that time. */
  readonly txRate: number
}

export interface NetworkParams {
  readonly name: NetworkName
  /** The 4 wire bytes that start every frame. */
  readonly magic: Uint8Array
  readonly defaultPort: number
  readonly rpcPort: number
  readonly genesis: Block
  /** Genesis hash, wire order. */
  readonly genesisHash: Hash
  readonly dnsSeeds: readonly string[]
  /** Fixed seeds as `host:port` strings (IPv4 and IPv6), used when DNS seeding fails. */
  readonly fixedSeeds: readonly string[]
  /** Highest target allowed, as a bigint. */
  readonly powLimit: bigint
  /** The powLimit in compact form (nBits). */
  readonly powLimitBits: number
  readonly powTargetTimespan: number
  readonly powTargetSpacing: number
  /** Testnet3's 20-minute rule: a block 20 minutes late may have minimum difficulty. */
  readonly powAllowMinDifficultyBlocks: boolean
  readonly powNoRetargeting: boolean
  /** BIP94 (testnet4): time-warp fix and retarget from the period's first block. */
  readonly enforceBIP94: boolean
  readonly bip34Height: number
  readonly bip65Height: number
  readonly bip66Height: number
  readonly csvHeight: number
  readonly segwitHeight: number
  /** Core's nMinimumChainWork: a header chain with less work is not synced past presync. */
  readonly minimumChainWork: bigint
  /**
   * Core's defaultAssumeValid (display hex): scripts of this block's
   * ancestors may be skipped under -assumevalid's conditions; null for none.
   */
  readonly assumeValid: string | null
  /**
   * Core's ChainTxData: the chain's transaction count at a known time and the
   * rate since, for estimating verification progress (zeros on regtest).
   */
  readonly chainTxData: ChainTxData
  /**
   * Historical checkpoints, plus the BIP34 activation block. Core removed
   * checkpoints in v30 (PR #31649, replaced by minimum chain work and headers
   * presync); we keep the last list as extra header checks: a header at one
   * of these heights must have this hash.
   */
  readonly checkpoints: readonly Checkpoint[]
  /** Bech32 human-readable part, for addresses in RPC. */
  readonly bech32: string
  /** Base58 version bytes of P2PKH and P2SH addresses. */
  readonly base58: { readonly pubkeyHash: number; readonly scriptHash: number }
  /** Blocks between halvings. */
  readonly subsidyHalvingInterval: number
}

const MAINNET_TIMESTAMP = 'The Times 03/Jan/2009 Chancellor on brink of second bailout for banks'
const MAINNET_GENESIS_KEY =
  '04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f'
const TESTNET4_TIMESTAMP = '03/May/2024 000000000000000000001ebd58c244970b3aa9d783bb001011fbe8ea8e98e00e'
const TESTNET4_GENESIS_KEY = '000000000000000000000000000000000000000000000000000000000000000000'

/** A script push of `data` with the shortest opcode (direct, PUSHDATA1). */
function push(data: Uint8Array): Uint8Array {
  const prefix = data.length < 0x4c ? [data.length] : [0x4c, data.length]
  return Uint8Array.from([...prefix, ...data])
}

/** Core's CreateGenesisBlock. */
function createGenesis(
  timestamp: string,
  pubkeyHex: string,
  time: number,
  nonce: number,
  bits: number,
  version: number,
  reward: bigint,
): Block {
  const scriptSig = Uint8Array.from([
    // CScript() << 486604799 << CScriptNum(4) << timestamp
    ...push(Uint8Array.from([0xff, 0xff, 0x00, 0x1d])),
    ...push(Uint8Array.from([4])),
    ...push(new TextEncoder().encode(timestamp)),
  ])
  const key = fromHex(pubkeyHex)
  const scriptPubKey = Uint8Array.from([...push(key), 0xac]) // <pubkey> OP_CHECKSIG
  const coinbase = new Tx({
    version: 1,
    inputs: [
      {
        prevHash: new Uint8Array(32),
        prevIndex: 0xffffffff,
        script: scriptSig,
        sequence: 0xffffffff,
        witness: [],
      },
    ],
    outputs: [{ value: reward, script: scriptPubKey }],
    locktime: 0,
  })
  const root = merkleRoot([coinbase.txid()]).root
  return {
    header: { version, prevBlock: new Uint8Array(32), merkleRoot: root, time, bits, nonce },
    txs: [coinbase],
  }
}

function make(
  p: Omit<NetworkParams, 'genesisHash' | 'magic' | 'powLimit'> & { magic: string; powLimit: string },
): NetworkParams {
  return Object.freeze({
    ...p,
    magic: fromHex(p.magic),
    powLimit: BigInt(`0x${p.powLimit}`),
    genesisHash: blockHash(p.genesis.header),
  })
}

const MAIN_POW_LIMIT = '00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff'

export const mainnet: NetworkParams = make({
  name: 'mainnet',
  magic: 'f9beb4d9',
  defaultPort: 8333,
  rpcPort: 8332,
  genesis: createGenesis(
    MAINNET_TIMESTAMP,
    MAINNET_GENESIS_KEY,
    1231006505,
    2083236893,
    0x1d00ffff,
    1,
    50n * COIN,
  ),
  dnsSeeds: [
    'dnsseed.bluematt.me',
    'seed.bitcoin.jonasschnelli.ch',
    'seed.btc.petertodd.net',
    'seed.bitcoin.sprovoost.nl',
    'dnsseed.emzy.de',
    'seed.bitcoin.wiz.biz',
    'seed.mainnet.achownodes.xyz',
  ],
  fixedSeeds: [
    ...'2.121.116.198 3.86.179.235 4.2.51.251 5.2.23.226 5.2.222.125 5.11.92.140 5.35.15.93 5.36.230.237 5.95.152.132 5.128.87.126 5.183.173.201 5.199.144.20 12.11.29.34 14.49.142.41 18.27.125.103 18.167.227.198 23.93.18.82 23.137.57.100 23.175.0.220 23.182.128.72 24.16.202.74 24.20.157.115 24.55.147.22 24.60.237.56 24.113.59.144 24.125.98.176 24.125.218.110 24.155.115.92 24.241.102.26 24.243.114.119 27.83.109.113 31.41.23.249 31.47.202.112 31.172.68.217 31.201.57.162 31.208.21.228 31.215.74.178 31.220.96.68 34.65.45.157 34.81.187.66'
      .split(' ')
      .map((ip) => `${ip}:8333`),
    ...'2001:1284:f502:9104:419d:b3ea:216:61eb 2001:1284:f502:9104:efbe:8fa2:f6aa:bd51 2001:14f4:240:5900:be24:11ff:feb8:6e54 2001:1620:542c:210::100 2001:1620:5566:100::62c 2001:1670:1a:ac92:b9d2:c836:ce2c:de66 2001:1708:2c16:1d00::1b9 2001:18b8:0:100:0:b00b:420:69 2001:1970:4a9c:5000::5c5f 2001:19f0:6801:6ec:2::1'
      .split(' ')
      .map((ip) => `[${ip}]:8333`),
  ],
  powLimit: MAIN_POW_LIMIT,
  powLimitBits: 0x1d00ffff,
  powTargetTimespan: 14 * 24 * 60 * 60,
  powTargetSpacing: 10 * 60,
  powAllowMinDifficultyBlocks: false,
  powNoRetargeting: false,
  enforceBIP94: false,
  bip34Height: 227931,
  bip65Height: 388381,
  bip66Height: 363725,
  csvHeight: 419328,
  segwitHeight: 481824,
  minimumChainWork: 0x0000000000000000000000000000000000000001128750f82f4c366153a3a030n,
  assumeValid: '00000000000000000000ccebd6d74d9194d8dcdc1d177c478e094bfad51ba5ac', // 938343
  // getchaintxstats 4096 00000000000000000000ccebd6d74d9194d8dcdc1d177c478e094bfad51ba5ac
  chainTxData: { time: 1772055173, txCount: 1315805869, txRate: 5.40111006496122 },
  checkpoints: [
    { height: 11111, hash: '0000000069e244f73d78e8fd29ba2fd2ed618bd6fa2ee92559f542fdb26e7c1d' },
    { height: 33333, hash: '000000002dd5588a74784eaa7ab0507a18ad16a236e7b1ce69f00d7ddfb5d0a6' },
    { height: 74000, hash: '0000000000573993a3c9e41ce34471c079dcf5f52a0e824a81e7f953b8661a20' },
    { height: 105000, hash: '00000000000291ce28027faea320c8d2b054b2e0fe44a773f3eefb151d6bdc97' },
    { height: 134444, hash: '00000000000005b12ffd4cd315cd34ffd4a594f430ac814c91184a0d42d2b0fe' },
    { height: 168000, hash: '000000000000099e61ea72015e79632f216fe6cb33d7899acb35b75c8303b763' },
    { height: 193000, hash: '000000000000059f452a5f7340de6682a977387c17010ff6e6c3bd83ca8b1317' },
    { height: 210000, hash: '000000000000048b95347e83192f69cf0366076336c639f9b7228e9ba171342e' },
    { height: 216116, hash: '00000000000001b4f4b433e81ee46494af945cf96014816a4e2370f11b23df4e' },
    { height: 225430, hash: '00000000000001c108384350f74090433e7fcf79a606b8e797f065b130575932' },
    { height: 227931, hash: '000000000000024b89b42a942fe0d9fea3bb44ab7bd1b19115dd6a759c0808b8' },
    { height: 250000, hash: '000000000000003887df1f29024b06fc2200b55f8af8f35453d7be294df2d214' },
    { height: 279000, hash: '0000000000000001ae8c72a0b0c301f67e3afca10e819efa9041e458e9bd7e40' },
    { height: 295000, hash: '00000000000000004d9b4ef50f0f9d686fd69db2e03af35a100370c64632a983' },
  ],
  bech32: 'bc',
  base58: { pubkeyHash: 0, scriptHash: 5 },
  subsidyHalvingInterval: 210000,
})

export const testnet3: NetworkParams = make({
  name: 'testnet3',
  magic: '0b110907',
  defaultPort: 18333,
  rpcPort: 18332,
  genesis: createGenesis(
    MAINNET_TIMESTAMP,
    MAINNET_GENESIS_KEY,
    1296688602,
    414098458,
    0x1d00ffff,
    1,
    50n * COIN,
  ),
  dnsSeeds: [
    'testnet-seed.bitcoin.jonasschnelli.ch',
    'seed.tbtc.petertodd.net',
    'testnet-seed.bluematt.me',
    'seed.testnet.achownodes.xyz',
  ],
  fixedSeeds: [
    ...'18.118.231.3 23.227.223.209 24.160.99.9 35.183.51.117 35.210.184.94 38.102.86.40 45.50.223.112 45.55.132.91 45.82.64.163 51.75.147.82 54.236.59.55 62.210.207.63 65.21.33.227 70.95.111.216 75.119.158.18 77.163.221.171 80.90.32.185 80.253.94.252 82.181.27.200 85.93.205.58'
      .split(' ')
      .map((ip) => `${ip}:18333`),
    ...'2001:41d0:700:544c:: 2001:41d0:a:7e98:: 2001:5a8:4164:7a00::1f8 2602:f480:ac:c010::50'
      .split(' ')
      .map((ip) => `[${ip}]:18333`),
  ],
  powLimit: MAIN_POW_LIMIT,
  powLimitBits: 0x1d00ffff,
  powTargetTimespan: 14 * 24 * 60 * 60,
  powTargetSpacing: 10 * 60,
  powAllowMinDifficultyBlocks: true,
  powNoRetargeting: false,
  enforceBIP94: false,
  bip34Height: 21111,
  bip65Height: 581885,
  bip66Height: 330776,
  csvHeight: 770112,
  segwitHeight: 834624,
  minimumChainWork: 0x0000000000000000000000000000000000000000000017dde1c649f3708d14b6n,
  assumeValid: '000000007a61e4230b28ac5cb6b5e5a0130de37ac1faf2f8987d2fa6505b67f4', // 4842348
  // getchaintxstats 4096 000000007a61e4230b28ac5cb6b5e5a0130de37ac1faf2f8987d2fa6505b67f4
  chainTxData: { time: 1772051651, txCount: 536108416, txRate: 0.02691479016257117 },
  checkpoints: [
    { height: 546, hash: '000000002a936ca763904c3c35fce2f3556c559c0214345d31b1bcebf76acb70' },
    { height: 21111, hash: '0000000023b3a96d3484e5abb3755c413e7d41500f8e2a5c3f0dd01299cd8ef8' },
  ],
  bech32: 'tb',
  base58: { pubkeyHash: 111, scriptHash: 196 },
  subsidyHalvingInterval: 210000,
})

export const testnet4: NetworkParams = make({
  name: 'testnet4',
  magic: '1c163f28',
  defaultPort: 48333,
  rpcPort: 48332,
  genesis: createGenesis(
    TESTNET4_TIMESTAMP,
    TESTNET4_GENESIS_KEY,
    1714777860,
    393743547,
    0x1d00ffff,
    1,
    50n * COIN,
  ),
  dnsSeeds: ['seed.testnet4.bitcoin.sprovoost.nl', 'seed.testnet4.wiz.biz'],
  fixedSeeds: [
    ...'2.59.134.244 2.110.106.102 5.182.4.106 31.220.30.248 34.232.194.104 35.201.167.154 38.102.86.40 45.41.204.8 45.50.223.112 45.94.168.5 51.158.61.33 52.6.23.153 54.76.27.166 54.78.49.45 62.84.190.200 65.108.143.22 67.81.240.18 67.213.127.87 69.26.129.172 70.95.111.216'
      .split(' ')
      .map((ip) => `${ip}:48333`),
    ...'2001:5a8:4164:7a00::1f8 2001:bc8:1201:409:1618:77ff:fe5f:b12 2001:df6:7280::92:201'
      .split(' ')
      .map((ip) => `[${ip}]:48333`),
  ],
  powLimit: MAIN_POW_LIMIT,
  powLimitBits: 0x1d00ffff,
  powTargetTimespan: 14 * 24 * 60 * 60,
  powTargetSpacing: 10 * 60,
  powAllowMinDifficultyBlocks: true,
  powNoRetargeting: false,
  enforceBIP94: true,
  bip34Height: 1,
  bip65Height: 1,
  bip66Height: 1,
  csvHeight: 1,
  segwitHeight: 1,
  minimumChainWork: 0x0000000000000000000000000000000000000000000009a0fe15d0177d086304n,
  assumeValid: '0000000002368b1e4ee27e2e85676ae6f9f9e69579b29093e9a82c170bf7cf8a', // 123613
  // getchaintxstats 4096 0000000002368b1e4ee27e2e85676ae6f9f9e69579b29093e9a82c170bf7cf8a
  chainTxData: { time: 1772013387, txCount: 14191421, txRate: 0.01848579579528412 },
  checkpoints: [],
  bech32: 'tb',
  base58: { pubkeyHash: 111, scriptHash: 196 },
  subsidyHalvingInterval: 210000,
})

export const signet: NetworkParams = make({
  name: 'signet',
  magic: '0a03cf40',
  defaultPort: 38333,
  rpcPort: 38332,
  genesis: createGenesis(
    MAINNET_TIMESTAMP,
    MAINNET_GENESIS_KEY,
    1598918400,
    52613770,
    0x1e0377ae,
    1,
    50n * COIN,
  ),
  dnsSeeds: ['seed.signet.bitcoin.sprovoost.nl', 'seed.signet.achownodes.xyz'],
  fixedSeeds: [
    ...'34.135.189.101 34.254.97.244 35.196.2.204 35.217.13.118 37.120.177.204 38.83.170.18 44.192.76.239 45.94.168.5 49.13.117.253 50.21.167.167 50.39.245.228 50.39.245.229 51.79.229.113 54.238.1.46 62.169.29.181 69.62.125.171 71.222.12.41 76.13.109.147 82.65.129.71 88.209.210.230'
      .split(' ')
      .map((ip) => `${ip}:38333`),
    ...'2001:41d0:2005:100::c7c 2001:41d0:304:400::d0a 2001:5a8:4164:7a00::1f8'
      .split(' ')
      .map((ip) => `[${ip}]:38333`),
  ],
  powLimit: '00000377ae000000000000000000000000000000000000000000000000000000',
  powLimitBits: 0x1e0377ae,
  powTargetTimespan: 14 * 24 * 60 * 60,
  powTargetSpacing: 10 * 60,
  powAllowMinDifficultyBlocks: false,
  powNoRetargeting: false,
  enforceBIP94: false,
  bip34Height: 1,
  bip65Height: 1,
  bip66Height: 1,
  csvHeight: 1,
  segwitHeight: 1,
  minimumChainWork: 0x00000000000000000000000000000000000000000000000000000b463ea0a4b8n,
  assumeValid: '00000008414aab61092ef93f1aacc54cf9e9f16af29ddad493b908a01ff5c329', // 293175
  // getchaintxstats 4096 00000008414aab61092ef93f1aacc54cf9e9f16af29ddad493b908a01ff5c329
  chainTxData: { time: 1772055248, txCount: 28676833, txRate: 0.06736623436338929 },
  checkpoints: [],
  bech32: 'tb',
  base58: { pubkeyHash: 111, scriptHash: 196 },
  subsidyHalvingInterval: 210000,
})

export const regtest: NetworkParams = make({
  name: 'regtest',
  magic: 'fabfb5da',
  defaultPort: 18444,
  rpcPort: 18443,
  genesis: createGenesis(MAINNET_TIMESTAMP, MAINNET_GENESIS_KEY, 1296688602, 2, 0x207fffff, 1, 50n * COIN),
  dnsSeeds: [],
  fixedSeeds: [],
  powLimit: '7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  powLimitBits: 0x207fffff,
  powTargetTimespan: 24 * 60 * 60, // 144 blocks since Core PR lowering regtest's timespan (2024)
  powTargetSpacing: 10 * 60,
  powAllowMinDifficultyBlocks: true,
  powNoRetargeting: true,
  enforceBIP94: false,
  bip34Height: 1,
  bip65Height: 1,
  bip66Height: 1,
  csvHeight: 1,
  segwitHeight: 0,
  minimumChainWork: 0n,
  assumeValid: null,
  chainTxData: { time: 0, txCount: 0, txRate: 0 },
  checkpoints: [],
  bech32: 'bcrt',
  base58: { pubkeyHash: 111, scriptHash: 196 },
  subsidyHalvingInterval: 150,
})

/** Every network by name. */
export const networks: Readonly<Record<NetworkName, NetworkParams>> = Object.freeze({
  mainnet,
  testnet3,
  testnet4,
  signet,
  regtest,
})

/** Look a network up by name; accepts Core's aliases `main`, `test`, `testnet`. */
export function getNetwork(name: string): NetworkParams {
  const alias: Record<string, NetworkName> = { main: 'mainnet', test: 'testnet3', testnet: 'testnet3' }
  const n = (alias[name] ?? name) as NetworkName
  const p = networks[n]
  if (!p) throw new TypeError(`Unknown network "${name}".`)
  return p
}

/** Expand a compact target (nBits) to a bigint; `negative`/`overflow` as Core's SetCompact reports them. */
export function compactToTarget(bits: number): { target: bigint; negative: boolean; overflow: boolean } {
  const size = bits >>> 24
  let word = bits & 0x007fffff
  let target: bigint
  if (size <= 3) {
    word >>>= 8 * (3 - size)
    target = BigInt(word)
  } else {
    target = BigInt(word) << BigInt(8 * (size - 3))
  }
  const negative = word !== 0 && (bits & 0x00800000) !== 0
  const overflow = word !== 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32))
  return { target, negative, overflow }
}

/** Compress a target to nBits (Core's GetCompact). */
export function targetToCompact(target: bigint): number {
  let size = 0
  for (let t = target; t > 0n; t >>= 8n) size++
  let compact: number
  if (size <= 3) compact = Number(target << BigInt(8 * (3 - size)))
  else compact = Number(target >> BigInt(8 * (size - 3)))
  if (compact & 0x00800000) {
    compact >>>= 8
    size++
  }
  return (compact | (size << 24)) >>> 0
}

/** Work represented by a target: 2^256 / (target + 1) (Core GetBlockProof). */
export function targetToWork(target: bigint): bigint {
  if (target <= 0n) return 0n
  return (1n << 256n) / (target + 1n)
}

/** A hash (wire order) as the 256-bit little-endian number PoW compares. */
export function hashToBigInt(hash: Hash): bigint {
  let v = 0n
  for (let i = hash.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(hash[i]!)
  return v
}
