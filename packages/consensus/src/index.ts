/**
 * @node/consensus: Bitcoin's script and transaction rules, as Bitcoin Core
 * enforces them. Pure functions, no I/O.
 */
export { checkTransaction, MAX_BLOCK_WEIGHT, MAX_MONEY, moneyRange } from './checktx.ts'
export { isLowS, isValidSignatureEncoding, parseDerLax } from './der.ts'
export { isScriptError, SCRIPT_ERRORS, ScriptError, type ScriptErrorCode, TxValidationError } from './errors.ts'
