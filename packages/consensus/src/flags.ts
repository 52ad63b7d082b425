/**
 * Script verification flags, with Core's names and bit values
 * (src/script/interpreter.h, `SCRIPT_VERIFY_*`), and the flags Core applies
 * to a block (src/validation.cpp, `GetBlockScriptFlags`; the two historic
 * exceptions are `script_flag_exceptions` in src/kernel/chainparams.cpp).
 */
import { type Hash, hexToHash, type NetworkName, type NetworkParams, networks, toHex } from '@node/wire'

export const ScriptFlags = {
  NONE: 0,
  /** BIP16. */
  P2SH: 1 << 0,
  /** Policy: strict DER, defined hash types, compressed or uncompressed keys. */
  STRICTENC: 1 << 1,
  /** BIP66. */
  DERSIG: 1 << 2,
  /** Policy: S at most n/2 (BIP146). */
  LOW_S: 1 << 3,
  /** BIP147: CHECKMULTISIG's dummy element must be empty. */
  NULLDUMMY: 1 << 4,
  /** Policy: scriptSig only pushes. */
  SIGPUSHONLY: 1 << 5,
  /** Policy: shortest pushes and numbers. */
  MINIMALDATA: 1 << 6,
  /** Policy: OP_NOP1, OP_NOP4…OP_NOP10 fail. */
  DISCOURAGE_UPGRADABLE_NOPS: 1 << 7,
  /** Policy: exactly one stack element left. */
  CLEANSTACK: 1 << 8,
  /** BIP65. */
  CHECKLOCKTIMEVERIFY: 1 << 9,
  /** BIP112. */
  CHECKSEQUENCEVERIFY: 1 << 10,
  /** BIP141/143/147. */
  WITNESS: 1 << 11,
  /** Policy: unknown witness versions fail. */
  DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM: 1 << 12,
  /** Policy (segwit v0): OP_IF arguments are empty or 0x01. */
  MINIMALIF: 1 << 13,
  /** Policy (BIP146): a failed signature check must have an empty signature. */
  NULLFAIL: 1 << 14,
  /** Policy: compressed keys only in segwit v0. */
  WITNESS_PUBKEYTYPE: 1 << 15,
  /** Policy: no OP_CODESEPARATOR and no FindAndDelete match in legacy scripts. */
  CONST_SCRIPTCODE: 1 << 16,
  /** BIP341/342. */
  TAPROOT: 1 << 17,
  /** Policy: unknown taproot leaf versions fail. */
  DISCOURAGE_UPGRADABLE_TAPROOT_VERSION: 1 << 18,
  /** Policy: OP_SUCCESSx fail. */
  DISCOURAGE_OP_SUCCESS: 1 << 19,
  /** Policy: tapscript keys of unknown type fail. */
  DISCOURAGE_UPGRADABLE_PUBKEYTYPE: 1 << 20,
} as const

export type ScriptFlagName = Exclude<keyof typeof ScriptFlags, 'NONE'>

/** Every defined flag. */
export const ALL_SCRIPT_FLAGS = (1 << 21) - 1

/** The consensus flags; everything else is policy. */
export const CONSENSUS_FLAGS =
  ScriptFlags.P2SH |
  ScriptFlags.DERSIG |
  ScriptFlags.NULLDUMMY |
  ScriptFlags.CHECKLOCKTIMEVERIFY |
  ScriptFlags.CHECKSEQUENCEVERIFY |
  ScriptFlags.WITNESS |
  ScriptFlags.TAPROOT

/**
 * Core's standard script flags (src/policy/policy.h `STANDARD_SCRIPT_VERIFY_FLAGS`),
 * for a mempool.
 */
export const STANDARD_FLAGS =
  CONSENSUS_FLAGS |
  ScriptFlags.STRICTENC |
  ScriptFlags.MINIMALDATA |
  ScriptFlags.DISCOURAGE_UPGRADABLE_NOPS |
  ScriptFlags.CLEANSTACK |
  ScriptFlags.MINIMALIF |
  ScriptFlags.NULLFAIL |
  ScriptFlags.LOW_S |
  ScriptFlags.DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM |
  ScriptFlags.WITNESS_PUBKEYTYPE |
  ScriptFlags.CONST_SCRIPTCODE |
  ScriptFlags.DISCOURAGE_UPGRADABLE_TAPROOT_VERSION |
  ScriptFlags.DISCOURAGE_OP_SUCCESS |
  ScriptFlags.DISCOURAGE_UPGRADABLE_PUBKEYTYPE

/** Flags from a comma-separated list of names (`'P2SH,WITNESS'`); `''` and `'NONE'` are 0. */
export function parseScriptFlags(list: string): number {
  let flags = 0
  for (const raw of list.split(',')) {
    const name = raw.trim()
    if (name === '' || name === 'NONE') continue
    const bit = (ScriptFlags as Record<string, number>)[name]
    if (bit === undefined) throw new TypeError(`Unknown script flag ${name}.`)
    flags |= bit
  }
  return flags
}

/** Names of the flags set in `flags`, in bit order. */
export function formatScriptFlags(flags: number): string {
  const names: string[] = []
  for (const [name, bit] of Object.entries(ScriptFlags)) if (bit !== 0 && flags & bit) names.push(name)
  return names.join(',')
}

/**
 * Blocks whose scripts Core checks with fixed flags instead of the normal
 * ones (`script_flag_exceptions`): mainnet block 170,060 spends a P2SH output
 * that does not satisfy BIP16, block 692,261 a taproot output that does not
 * satisfy BIP341; testnet3 has a BIP16 exception too. Display-order hashes.
 */
const EXCEPTIONS: Partial<Record<NetworkName, Record<string, number>>> = {
  mainnet: {
    '00000000000002dc756eebf4f49723ed8d30cc28a5f108eb94b1ba88ac4f9c22': ScriptFlags.NONE,
    '0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad':
      ScriptFlags.P2SH | ScriptFlags.WITNESS,
  },
  testnet3: {
    '00000000dd30457c001f4095d208cc1296b0eed002427aa599874af7a432b105': ScriptFlags.NONE,
  },
}

const exceptionsByWireHash = new Map<NetworkName, Map<string, number>>()
for (const [net, table] of Object.entries(EXCEPTIONS) as [NetworkName, Record<string, number>][]) {
  exceptionsByWireHash.set(
    net,
    new Map(Object.entries(table).map(([hex, flags]) => [toHex(hexToHash(hex)), flags])),
  )
}

/**
 * The script flags Core applies to the block `blockHash` (wire order) at
 * `height` (Core's `GetBlockScriptFlags`): P2SH, WITNESS and TAPROOT from
 * the genesis block on (except the exceptions), DERSIG, CHECKLOCKTIMEVERIFY,
 * CHECKSEQUENCEVERIFY and NULLDUMMY from their buried activation heights.
 */
export function consensusFlagsAt(
  network: NetworkParams | NetworkName,
  height: number,
  blockHash: Hash,
): number {
  const params = typeof network === 'string' ? networks[network] : network
  let flags = ScriptFlags.P2SH | ScriptFlags.WITNESS | ScriptFlags.TAPROOT
  const exception = exceptionsByWireHash.get(params.name)?.get(toHex(blockHash))
  if (exception !== undefined) flags = exception
  if (height >= params.bip66Height) flags |= ScriptFlags.DERSIG
  if (height >= params.bip65Height) flags |= ScriptFlags.CHECKLOCKTIMEVERIFY
  if (height >= params.csvHeight) flags |= ScriptFlags.CHECKSEQUENCEVERIFY
  if (height >= params.segwitHeight) flags |= ScriptFlags.NULLDUMMY
  return flags
}
