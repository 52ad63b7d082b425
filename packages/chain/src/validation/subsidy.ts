/**
 * The new coins a block may create: Core's `GetBlockSubsidy`
 * (src/validation.cpp). 50 BTC, halved every `subsidyHalvingInterval`
 * blocks (210,000 on mainnet, 150 on regtest); zero from the 64th halving
 * on, where Core's right shift would be undefined.
 */
import { COIN, type NetworkParams } from '@node/wire'

export function blockSubsidy(height: number, params: Pick<NetworkParams, 'subsidyHalvingInterval'>): bigint {
  const halvings = Math.floor(height / params.subsidyHalvingInterval)
  if (halvings >= 64) return 0n
  return (50n * COIN) >> BigInt(halvings)
}
