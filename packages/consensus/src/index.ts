/**
 * @node/consensus: Bitcoin's script and transaction rules, as Bitcoin Core
 * enforces them. Pure functions, no I/O.
 *
 * @example
 * ```ts
 * import { ScriptFlags, verifyInput } from '@node/consensus'
 * verifyInput(txBytes, 0, [{ value: 10_000n, script: prevScriptPubKey }], ScriptFlags.P2SH | ScriptFlags.WITNESS)
 * ```
 */
export { checkTransaction, MAX_BLOCK_WEIGHT, moneyRange } from './checktx.ts'
export { isLowS, isValidSignatureEncoding, parseDerLax } from './der.ts'
export {
  isScriptError,
  SCRIPT_ERRORS,
  ScriptError,
  type ScriptErrorCode,
  TxValidationError,
} from './errors.ts'
export {
  ALL_SCRIPT_FLAGS,
  CONSENSUS_FLAGS,
  consensusFlagsAt,
  formatScriptFlags,
  parseScriptFlags,
  type ScriptFlagName,
  ScriptFlags,
  STANDARD_FLAGS,
} from './flags.ts'
export {
  type ExecData,
  evalScript,
  hash160,
  newExecData,
  type SignatureChecker,
  SigVersion,
  tapbranchHash,
  tapleafHash,
  tapTweakHash,
  verifyScript,
} from './interpreter.ts'
export {
  calculateSequenceLocks,
  checkFinalTx,
  checkSequenceLocks,
  evaluateSequenceLocks,
  isFinalTx,
  type SequenceLocks,
} from './locktime.ts'
export { type ScriptCheck, ScriptCheckPool, type ScriptCheckPoolOptions } from './parallel.ts'
export { OP } from './script.ts'
export { SignatureCache, type SignatureCacheOptions } from './sigcache.ts'
export {
  legacySighash,
  SIGHASH_ALL,
  SIGHASH_ANYONECANPAY,
  SIGHASH_DEFAULT,
  SIGHASH_NONE,
  SIGHASH_SINGLE,
  SighashCache,
  segwitV0Sighash,
  type TapscriptData,
  taggedHash,
  taprootSighash,
} from './sighash.ts'
export {
  countSigOps,
  countWitnessSigOps,
  legacySigOpCount,
  MAX_BLOCK_SIGOPS_COST,
  p2shSigOpCount,
  transactionSigOpCost,
} from './sigops.ts'
export {
  type SpentOutput,
  TransactionChecker,
  TxVerifier,
  type VerifyOptions,
  verifyInput,
} from './verify.ts'
