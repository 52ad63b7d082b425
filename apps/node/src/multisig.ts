/**
 * `createmultisig`'s work, as Core does it: the public keys checked as
 * rpc/util.cpp HexToPubKey does, the redeem script built and limited as
 * AddAndGetMultisigDestination does (script/script.cpp GetScriptForMultisig
 * for the script, outputtype.cpp AddAndGetDestinationForScript for the
 * address: P2SH, P2SH-P2WSH or P2WSH; a key that is not compressed forces
 * P2SH), and the descriptor InferDescriptor gives for the result with the
 * redeem script known. Error codes and texts are rpc/output_script.cpp
 * createmultisig's.
 */
import { fromHex, type NetworkParams, sha256, toHex } from '@node/wire'
import { scriptToAddress } from './address.ts'
import { inferDescriptor, isFullyValidPubkey, p2sh, withChecksum } from './descriptor.ts'
import { RpcError, RpcErrorCode } from './rpc-errors.ts'

/** Core MAX_PUBKEYS_PER_MULTISIG. */
const MAX_PUBKEYS_PER_MULTISIG = 20
/** Core MAX_SCRIPT_ELEMENT_SIZE: the largest push, so the largest P2SH redeem script. */
const MAX_SCRIPT_ELEMENT_SIZE = 520
const OP_0 = 0x00
const OP_1 = 0x51
const OP_CHECKMULTISIG = 0xae

export interface CreateMultisigResult {
  address: string
  redeemScript: string
  descriptor: string
  warnings?: string[]
}

/** Core HexToPubKey. */
function hexToPubKey(hex: string): Uint8Array {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new RpcError(RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY, `Pubkey "${hex}" must be a hex string`)
  }
  if (hex.length !== 66 && hex.length !== 130) {
    throw new RpcError(
      RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY,
      `Pubkey "${hex}" must have a length of either 33 or 65 bytes`,
    )
  }
  const key = fromHex(hex.toLowerCase())
  if (!isFullyValidPubkey(key)) {
    throw new RpcError(
      RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY,
      `Pubkey "${hex}" must be cryptographically valid.`,
    )
  }
  return key
}

/** Core CScript << int64 for a small number: OP_1..OP_16, else a minimal push. */
function pushSmall(n: number): number[] {
  if (n >= 1 && n <= 16) return [OP_1 + n - 1]
  // 17..20: one byte, below 0x80, so no sign byte.
  return [1, n]
}

/** Core GetScriptForMultisig. */
function multisigScript(required: number, keys: readonly Uint8Array[]): Uint8Array {
  const out: number[] = [...pushSmall(required)]
  for (const k of keys) out.push(k.length, ...k)
  out.push(...pushSmall(keys.length), OP_CHECKMULTISIG)
  return Uint8Array.from(out)
}

type AddressType = 'legacy' | 'p2sh-segwit' | 'bech32'

/** Core ParseOutputType, then createmultisig's refusal of bech32m. */
function parseAddressType(text: string): AddressType {
  if (text === 'legacy' || text === 'p2sh-segwit' || text === 'bech32') return text
  if (text === 'bech32m') {
    throw new RpcError(
      RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY,
      'createmultisig cannot create bech32m multisig addresses',
    )
  }
  throw new RpcError(RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY, `Unknown address type '${text}'`)
}

/** Core createmultisig(nrequired, keys, address_type) on network `n`. */
export function createMultisig(
  required: number,
  keyHex: readonly string[],
  addressTypeText: string,
  n: NetworkParams,
): CreateMultisigResult {
  const keys = keyHex.map(hexToPubKey)
  const requested = parseAddressType(addressTypeText)
  if (required < 1) {
    throw new RpcError(
      RpcErrorCode.RPC_INVALID_PARAMETER,
      'a multisignature address must require at least one key to redeem',
    )
  }
  if (keys.length < required) {
    throw new RpcError(
      RpcErrorCode.RPC_INVALID_PARAMETER,
      `not enough keys supplied (got ${keys.length} keys, but need at least ${required} to redeem)`,
    )
  }
  if (keys.length > MAX_PUBKEYS_PER_MULTISIG) {
    throw new RpcError(
      RpcErrorCode.RPC_INVALID_PARAMETER,
      `Number of keys involved in the multisignature address creation > ${MAX_PUBKEYS_PER_MULTISIG}\nReduce the number`,
    )
  }
  const redeem = multisigScript(required, keys)
  const type: AddressType = keys.some((k) => k.length !== 33) ? 'legacy' : requested
  if (type === 'legacy' && redeem.length > MAX_SCRIPT_ELEMENT_SIZE) {
    throw new RpcError(
      RpcErrorCode.RPC_INVALID_PARAMETER,
      `redeemScript exceeds size limit: ${redeem.length} > ${MAX_SCRIPT_ELEMENT_SIZE}`,
    )
  }
  const multi = `multi(${required},${keys.map((k) => toHex(k)).join(',')})`
  const p2wsh = Uint8Array.from([OP_0, 32, ...sha256(redeem)])
  const [output, body] =
    type === 'legacy'
      ? [p2sh(redeem), `sh(${multi})`]
      : type === 'p2sh-segwit'
        ? [p2sh(p2wsh), `sh(wsh(${multi}))`]
        : [p2wsh, `wsh(${multi})`]
  const result: CreateMultisigResult = {
    address: scriptToAddress(output, n) as string,
    redeemScript: toHex(redeem),
    // Core InferScript does not read hybrid keys into multi(): the output is then just an address.
    descriptor: keys.some((k) => k[0] === 6 || k[0] === 7) ? inferDescriptor(output, n) : withChecksum(body),
  }
  // Core: only when the chosen type could not be made (uncompressed keys).
  if (type !== requested) {
    result.warnings = [
      'Unable to make chosen address type, please ensure no uncompressed public keys are present.',
    ]
  }
  return result
}
