/**
 * Network parameters for mainnet, testnet3, testnet4, signet and regtest: the
 * one source of truth the other packages import. Values are Bitcoin Core's
 * (src/kernel/chainparams.cpp); the genesis blocks are built here the way
 * Core builds them and their hashes are checked by the tests.
 */
import { type Block, blockHash, merkleRoot } from './block.ts'
import { fromHex, type Hash, hexToHash } from './hash.ts'
import { Tx } from './tx.ts'

export type NetworkName = 'mainnet' | 'testnet3' | 'testnet4' | 'signet' | 'regtest'

export interface Checkpoint {
  readonly height: number
  /** Display (RPC) order hex. */
  readonly hash: string
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
  /** Historical checkpoints (Core removed them from chain params in v30; kept as extra header checks). */
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
    inputs: [{ prevHash: new Uint8Array(32), prevIndex: 0xffffffff, script: scriptSig, sequence: 0xffffffff, witness: [] }],
    outputs: [{ value: reward, script: scriptPubKey }],
    locktime: 0,
  })
  const root = merkleRoot([coinbase.txid()]).root
  return {
    header: { version, prevBlock: new Uint8Array(32), merkleRoot: root, time, bits, nonce },
    txs: [coinbase],
  }
}

const COIN = 100_000_000n

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
  genesis: createGenesis(MAINNET_TIMESTAMP, MAINNET_GENESIS_KEY, 1231006505, 2083236893, 0x1d00ffff, 1, 50n * COIN),
  dnsSeeds: [
    'seed.bitcoin.sipa.be',
    'dnsseed.bluematt.me',
    'dnsseed.bitcoin.dashjr-list-of-p2p-nodes.us',
    'seed.bitcoinstats.com',
    'seed.bitcoin.jonasschnelli.ch',
    'seed.btc.petertodd.net',
    'seed.bitcoin.sprovoost.nl',
    'dnsseed.emzy.de',
    'seed.bitcoin.wiz.biz',
    'seed.mainnet.achownodes.xyz',
  ],
  fixedSeeds: [],
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
  minimumChainWork: 0n,
  checkpoints: [],
  bech32: 'bc',
  base58: { pubkeyHash: 0, scriptHash: 5 },
  subsidyHalvingInterval: 210000,
})

export const testnet3: NetworkParams = make({
  name: 'testnet3',
  magic: '0b110907',
  defaultPort: 18333,
  rpcPort: 18332,
  genesis: createGenesis(MAINNET_TIMESTAMP, MAINNET_GENESIS_KEY, 1296688602, 414098458, 0x1d00ffff, 1, 50n * COIN),
  dnsSeeds: [
    'testnet-seed.bitcoin.jonasschnelli.ch',
    'seed.tbtc.petertodd.net',
    'seed.testnet.bitcoin.sprovoost.nl',
    'testnet-seed.bluematt.me',
    'seed.testnet.achownodes.xyz',
  ],
  fixedSeeds: [],
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
  minimumChainWork: 0n,
  checkpoints: [],
  bech32: 'tb',
  base58: { pubkeyHash: 111, scriptHash: 196 },
  subsidyHalvingInterval: 210000,
})

export const testnet4: NetworkParams = make({
  name: 'testnet4',
  magic: '1c163f28',
  defaultPort: 48333,
  rpcPort: 48332,
  genesis: createGenesis(TESTNET4_TIMESTAMP, TESTNET4_GENESIS_KEY, 1714777860, 393743547, 0x1d00ffff, 1, 50n * COIN),
  dnsSeeds: ['seed.testnet4.bitcoin.sprovoost.nl', 'seed.testnet4.wiz.biz'],
  fixedSeeds: [],
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
  minimumChainWork: 0n,
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
  genesis: createGenesis(MAINNET_TIMESTAMP, MAINNET_GENESIS_KEY, 1598918400, 52613770, 0x1e0377ae, 1, 50n * COIN),
  dnsSeeds: ['seed.signet.bitcoin.sprovoost.nl', 'seed.signet.achownodes.xyz'],
  fixedSeeds: [],
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
  minimumChainWork: 0n,
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
  powTargetTimespan: 14 * 24 * 60 * 60,
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

