/**
 * BIP30: a block may not create a coin that already exists unspent (an
 * overwritten coin could never be spent again). Core's `ConnectBlock`
 * (src/validation.cpp) with its two exceptions (`IsBIP30Repeat`: mainnet
 * blocks 91,842 and 91,880 repeated earlier coinbases before the rule) and
 * its shortcut: once the chain holds Core's BIP34 activation block
 * (`consensus.BIP34Hash`, src/kernel/chainparams.cpp) every coinbase carries
 * its height, so duplicates are impossible and the check is skipped, up to
 * BIP34_IMPLIES_BIP30_LIMIT, the first height an early coinbase's pushed
 * "height" could repeat. Networks without a BIP34 hash (signet, regtest)
 * always check. `IsBIP30Unspendable` names the two earlier coinbases that
 * were overwritten (mainnet 91,722 and 91,812), which `DisconnectBlock`
 * tolerates.
 */
import { bytesEqual, type Hash, hexToHash, type NetworkName } from '@node/wire'

/** Core's BIP34_IMPLIES_BIP30_LIMIT. */
export const BIP34_IMPLIES_BIP30_LIMIT = 1_983_702

/** Core's consensus.BIP34Hash per network (display order); unset on signet and regtest. */
const BIP34_HASH: Partial<Record<NetworkName, Hash>> = {
  mainnet: hexToHash('000000000000024b89b42a942fe0d9fea3bb44ab7bd1b19115dd6a759c0808b8'),
  testnet3: hexToHash('0000000023b3a96d3484e5abb3755c413e7d41500f8e2a5c3f0dd01299cd8ef8'),
  testnet4: hexToHash('00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043'),
}

const REPEAT = [
  { height: 91_842, hash: hexToHash('00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec') },
  { height: 91_880, hash: hexToHash('00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721') },
]

const UNSPENDABLE = [
  { height: 91_722, hash: hexToHash('00000000000271a2dc26e7667f8419f2e15416dc6955e5a6c6cdf3f2574dd08e') },
  { height: 91_812, hash: hexToHash('00000000000af0aed4792b1acee3d966af36cf5def14935db8de83d6f9306f2f') },
]

function listed(list: typeof REPEAT, height: number, hash: Hash): boolean {
  return list.some((b) => b.height === height && bytesEqual(b.hash, hash))
}

/** Core `IsBIP30Repeat`: the two mainnet blocks whose coinbases repeat earlier ones. */
export function isBip30Repeat(height: number, hash: Hash): boolean {
  return listed(REPEAT, height, hash)
}

/** Core `IsBIP30Unspendable`: the two mainnet coinbases that were overwritten. */
export function isBip30Unspendable(height: number, hash: Hash): boolean {
  return listed(UNSPENDABLE, height, hash)
}

/**
 * Whether ConnectBlock must look for existing coins at the block's outputs.
 * `ancestorHash(h)` is the hash of the block's ancestor at height h (h below
 * the block's height), undefined when there is none.
 */
export function bip30Applies(
  network: { readonly name: NetworkName; readonly bip34Height: number },
  height: number,
  hash: Hash,
  ancestorHash: (height: number) => Hash | undefined,
): boolean {
  if (height >= BIP34_IMPLIES_BIP30_LIMIT) return true
  if (isBip30Repeat(height, hash)) return false
  const bip34Hash = BIP34_HASH[network.name]
  if (!bip34Hash) return true
  // Core: pindex->pprev->GetAncestor(BIP34Height), absent above the parent's height.
  const atBip34 = network.bip34Height <= height - 1 ? ancestorHash(network.bip34Height) : undefined
  return !atBip34 || !bytesEqual(atBip34, bip34Hash)
}
