/**
 * Typed errors carrying Bitcoin Core's strings.
 *
 * Script failures use Core's `ScriptError` names (src/script/script_error.h)
 * and texts (src/script/script_error.cpp, `ScriptErrorString`); the reject
 * reason wraps the text the way Core's `CheckInputScripts`
 * (src/validation.cpp) does: `block-script-verify-flag-failed (<text>)` under
 * consensus flags, `mempool-script-verify-flag-failed (<text>)` when policy
 * flags were in force (Core's STANDARD_NOT_MANDATORY_VERIFY_FLAGS). Core
 * before its rename of these errors said `mandatory-script-verify-flag-failed`.
 * Transaction-rule failures carry Core's reject reasons (`bad-txns-…`).
 */

import { NodeError } from '@node/runtime'
import { ProtocolError } from '@node/wire'
import { CONSENSUS_FLAGS, STANDARD_FLAGS } from './flags.ts'

/** Core's `ScriptError_t` names, without the `SCRIPT_ERR_` prefix, with Core's texts. */
export const SCRIPT_ERRORS = {
  UNKNOWN_ERROR: 'unknown error',
  EVAL_FALSE: 'Script evaluated without error but finished with a false/empty top stack element',
  OP_RETURN: 'OP_RETURN was encountered',
  SCRIPT_SIZE: 'Script is too big',
  PUSH_SIZE: 'Push value size limit exceeded',
  OP_COUNT: 'Operation limit exceeded',
  STACK_SIZE: 'Stack size limit exceeded',
  SIG_COUNT: 'Signature count negative or greater than pubkey count',
  PUBKEY_COUNT: 'Pubkey count negative or limit exceeded',
  VERIFY: 'Script failed an OP_VERIFY operation',
  EQUALVERIFY: 'Script failed an OP_EQUALVERIFY operation',
  CHECKMULTISIGVERIFY: 'Script failed an OP_CHECKMULTISIGVERIFY operation',
  CHECKSIGVERIFY: 'Script failed an OP_CHECKSIGVERIFY operation',
  NUMEQUALVERIFY: 'Script failed an OP_NUMEQUALVERIFY operation',
  BAD_OPCODE: 'Opcode missing or not understood',
  DISABLED_OPCODE: 'Attempted to use a disabled opcode',
  INVALID_STACK_OPERATION: 'Operation not valid with the current stack size',
  INVALID_ALTSTACK_OPERATION: 'Operation not valid with the current altstack size',
  UNBALANCED_CONDITIONAL: 'Invalid OP_IF construction',
  NEGATIVE_LOCKTIME: 'Negative locktime',
  UNSATISFIED_LOCKTIME: 'Locktime requirement not satisfied',
  SIG_HASHTYPE: 'Signature hash type missing or not understood',
  SIG_DER: 'Non-canonical DER signature',
  MINIMALDATA: 'Data push larger than necessary',
  SIG_PUSHONLY: 'Only push operators allowed in signatures',
  SIG_HIGH_S: 'Non-canonical signature: S value is unnecessarily high',
  SIG_NULLDUMMY: 'Dummy CHECKMULTISIG argument must be zero',
  PUBKEYTYPE: 'Public key is neither compressed or uncompressed',
  CLEANSTACK: 'Stack size must be exactly one after execution',
  MINIMALIF: 'OP_IF/NOTIF argument must be minimal',
  SIG_NULLFAIL: 'Signature must be zero for failed CHECK(MULTI)SIG operation',
  DISCOURAGE_UPGRADABLE_NOPS: 'NOPx reserved for soft-fork upgrades',
  DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM: 'Witness version reserved for soft-fork upgrades',
  DISCOURAGE_UPGRADABLE_TAPROOT_VERSION: 'Taproot version reserved for soft-fork upgrades',
  DISCOURAGE_OP_SUCCESS: 'OP_SUCCESSx reserved for soft-fork upgrades',
  DISCOURAGE_UPGRADABLE_PUBKEYTYPE: 'Public key version reserved for soft-fork upgrades',
  WITNESS_PROGRAM_WRONG_LENGTH: 'Witness program has incorrect length',
  WITNESS_PROGRAM_WITNESS_EMPTY: 'Witness program was passed an empty witness',
  WITNESS_PROGRAM_MISMATCH: 'Witness program hash mismatch',
  WITNESS_MALLEATED: 'Witness requires empty scriptSig',
  WITNESS_MALLEATED_P2SH: 'Witness requires only-redeemscript scriptSig',
  WITNESS_UNEXPECTED: 'Witness provided for non-witness script',
  WITNESS_PUBKEYTYPE: 'Using non-compressed keys in segwit',
  SCHNORR_SIG_SIZE: 'Invalid Schnorr signature size',
  SCHNORR_SIG_HASHTYPE: 'Invalid Schnorr signature hash type',
  SCHNORR_SIG: 'Invalid Schnorr signature',
  TAPROOT_WRONG_CONTROL_SIZE: 'Invalid Taproot control block size',
  TAPSCRIPT_VALIDATION_WEIGHT: 'Too much signature validation relative to witness weight',
  TAPSCRIPT_CHECKMULTISIG: 'OP_CHECKMULTISIG(VERIFY) is not available in tapscript',
  TAPSCRIPT_MINIMALIF: 'OP_IF/NOTIF argument must be minimal in tapscript',
  TAPSCRIPT_EMPTY_PUBKEY: 'Empty public key in tapscript',
  OP_CODESEPARATOR: 'Using OP_CODESEPARATOR in non-witness script',
  SIG_FINDANDDELETE: 'Signature is found in scriptCode',
  // Core turns a CScriptNum overflow or non-minimal number into SCRIPT_ERR_SCRIPTNUM.
  SCRIPTNUM: 'Script number overflowed or is non-minimally encoded',
} as const

export type ScriptErrorCode = keyof typeof SCRIPT_ERRORS

/** Core's STANDARD_NOT_MANDATORY_VERIFY_FLAGS (src/policy/policy.h). */
const POLICY_FLAGS = STANDARD_FLAGS & ~CONSENSUS_FLAGS

/**
 * A script did not verify. `code` is Core's error name (e.g. `EVAL_FALSE`),
 * `message` Core's text, `reason` Core's reject reason. `input` is the input
 * index and `flags` the flags of the verification, when known.
 */
export class ScriptError extends NodeError {
  override readonly code: ScriptErrorCode
  /** The failing input, when known. */
  input: number | undefined
  /** In a batch of checks (a block), the index of the failing transaction's check. */
  check: number | undefined
  /** The flags the script was verified with, when known. */
  flags: number | undefined
  constructor(code: ScriptErrorCode, input?: number, flags?: number) {
    super(code, SCRIPT_ERRORS[code])
    this.name = 'ScriptError'
    this.code = code
    this.input = input
    this.check = undefined
    this.flags = flags
  }

  /** Core's reject reason: block- or mempool-script-verify-flag-failed (text). */
  get reason(): string {
    const kind = this.flags !== undefined && this.flags & POLICY_FLAGS ? 'mempool' : 'block'
    return `${kind}-script-verify-flag-failed (${this.message})`
  }
}

/** True for a {@link ScriptError}, matched by shape. */
export function isScriptError(err: unknown): err is ScriptError {
  return (
    err instanceof Error &&
    typeof (err as { reason?: unknown }).reason === 'string' &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as unknown as { code: string }).code in SCRIPT_ERRORS
  )
}

/**
 * A transaction breaks a consensus rule outside its scripts (CheckTransaction,
 * finality, sequence locks). `reason` is Core's reject reason, such as
 * `bad-txns-vin-empty`. A peer that sends one is misbehaving: Core discourages it.
 */
export class TxValidationError extends ProtocolError {
  readonly reason: string
  constructor(reason: string, detail: string) {
    super('TX_INVALID', 'discourage', `${reason}: ${detail}`)
    this.name = 'TxValidationError'
    this.reason = reason
  }
}
