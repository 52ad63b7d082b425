export * from './coins/index.ts'
export type { BlockUndo, Coin, TxUndo, UtxoView } from './coins/types.ts'
export { outpointKey } from './coins/types.ts'
