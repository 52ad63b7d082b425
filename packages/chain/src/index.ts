export type { BlockUndo, Coin, TxUndo, UtxoView } from './coins/types.ts'
export { outpointKey } from './coins/types.ts'
export {
  type AssumeValidEntry,
  type AssumeValidInput,
  blockProofEquivalentTime,
  scriptCheckReason,
  shouldCheckScripts,
} from './validation/assumevalid.ts'
export {
  BIP34_IMPLIES_BIP30_LIMIT,
  bip30Applies,
  isBip30Repeat,
  isBip30Unspendable,
} from './validation/bip30.ts'
export { type ConnectContext, type ConnectResult, connectBlock } from './validation/connect.ts'
export { type DisconnectResult, disconnectBlock } from './validation/disconnect.ts'
export { BlockConsensusError } from './validation/errors.ts'
export { CoinOverwriteError, LayeredView } from './validation/layered-view.ts'
export { blockSubsidy } from './validation/subsidy.ts'
export { COINBASE_MATURITY, checkTxInputs, type TxInputs } from './validation/txinputs.ts'
export { addCoins, isUnspendable, updateCoins } from './validation/update.ts'
