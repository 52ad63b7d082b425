/**
 * Verifying a transaction's inputs: the transaction-bound signature checker
 * (Core's `GenericTransactionSignatureChecker` and
 * `CachingTransactionSignatureChecker`, src/script/interpreter.cpp and
 * src/script/sigcache.cpp) and the libbitcoinconsensus-style entry point
 * {@link verifyInput}.
 */
import { decodeTx, type Tx } from '@node/wire'
import { ScriptError } from './errors.ts'
import { ALL_SCRIPT_FLAGS, ScriptFlags as F } from './flags.ts'
import {
  type ExecData,
  LOCKTIME_THRESHOLD,
  SEQUENCE_FINAL,
  SEQUENCE_LOCKTIME_DISABLE_FLAG,
  SEQUENCE_LOCKTIME_MASK,
  SEQUENCE_LOCKTIME_TYPE_FLAG,
  type SignatureChecker,
  SigVersion,
  verifyScript,
} from './interpreter.ts'
import { verifyEcdsa, verifySchnorr } from './secp.ts'
import type { SignatureCache } from './sigcache.ts'
import { legacySighash, SIGHASH_DEFAULT, SighashCache, segwitV0Sighash, taprootSighash } from './sighash.ts'

/** An output being spent: its value in satoshis and its scriptPubKey. */
export interface SpentOutput {
  readonly value: bigint
  readonly script: Uint8Array
}

export interface VerifyOptions {
  /** Skip signatures found here; with `storeInCache`, add the ones verified. */
  sigcache?: SignatureCache
  /** Add verified signatures to the cache (Core does for the mempool, not for blocks). */
  storeInCache?: boolean
}

const KIND_ECDSA = 0x45 // 'E'
const KIND_SCHNORR = 0x53 // 'S'

/** Checks signatures and lock times against input `index` of a transaction. */
export class TransactionChecker implements SignatureChecker {
  readonly tx: Tx
  readonly index: number
  readonly amount: bigint
  readonly #hashes: SighashCache
  readonly #cache: SignatureCache | undefined
  readonly #store: boolean

  constructor(hashes: SighashCache, index: number, amount: bigint, options: VerifyOptions = {}) {
    this.tx = hashes.tx
    this.index = index
    this.amount = amount
    this.#hashes = hashes
    this.#cache = options.sigcache
    this.#store = options.storeInCache ?? false
  }

  /** Verify through the signature cache (no closures: this is the hot path). */
  #cached(kind: number, hash: Uint8Array, sig: Uint8Array, pubkey: Uint8Array): boolean {
    const cache = this.#cache
    const key = cache ? cache.key(kind, hash, sig, pubkey) : undefined
    if (key && cache!.has(key)) return true
    const ok = kind === KIND_ECDSA ? verifyEcdsa(sig, hash, pubkey) : verifySchnorr(sig, hash, pubkey)
    if (ok && key && this.#store) cache!.add(key)
    return ok
  }

  checkEcdsa(sig: Uint8Array, pubkey: Uint8Array, scriptCode: Uint8Array, sigversion: SigVersion): boolean {
    if (sig.length === 0) return false
    const hashType = sig[sig.length - 1]!
    const der = sig.subarray(0, sig.length - 1)
    const hash =
      sigversion === SigVersion.BASE
        ? legacySighash(this.tx, this.index, scriptCode, hashType)
        : segwitV0Sighash(this.#hashes, this.index, scriptCode, this.amount, hashType)
    return this.#cached(KIND_ECDSA, hash, der, pubkey)
  }

  checkSchnorr(sig: Uint8Array, pubkey: Uint8Array, sigversion: SigVersion, exec: ExecData): void {
    if (sig.length !== 64 && sig.length !== 65) throw new ScriptError('SCHNORR_SIG_SIZE')
    let hashType = SIGHASH_DEFAULT
    let s = sig
    if (sig.length === 65) {
      hashType = sig[64]!
      // An explicit 0x00 would be a second encoding of the default.
      if (hashType === SIGHASH_DEFAULT) throw new ScriptError('SCHNORR_SIG_HASHTYPE')
      s = sig.subarray(0, 64)
    }
    const tapscript =
      sigversion === SigVersion.TAPSCRIPT
        ? { leafHash: exec.tapleafHash!, codeSeparatorPos: exec.codeSeparatorPos }
        : undefined
    const hash = taprootSighash(this.#hashes, this.index, hashType, exec.annexHash, tapscript)
    if (!hash) throw new ScriptError('SCHNORR_SIG_HASHTYPE')
    if (!this.#cached(KIND_SCHNORR, hash, s, pubkey)) throw new ScriptError('SCHNORR_SIG')
  }

  /** BIP65 (Core's `CheckLockTime`). */
  checkLockTime(lockTime: number): boolean {
    const txLockTime = this.tx.locktime
    // Both heights or both times.
    if (!(txLockTime < LOCKTIME_THRESHOLD === lockTime < LOCKTIME_THRESHOLD)) return false
    if (lockTime > txLockTime) return false
    // A final input would make the transaction's lock time ineffective.
    return this.tx.inputs[this.index]!.sequence !== SEQUENCE_FINAL
  }

  /** BIP112 (Core's `CheckSequence`). */
  checkSequence(sequence: number): boolean {
    const txSequence = this.tx.inputs[this.index]!.sequence
    // Relative lock times need version 2 (compared as unsigned, as Core does).
    if (this.tx.version >>> 0 < 2) return false
    if (txSequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) return false
    const mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK
    const txMasked = txSequence & mask
    const masked = sequence & mask
    if (!(txMasked < SEQUENCE_LOCKTIME_TYPE_FLAG === masked < SEQUENCE_LOCKTIME_TYPE_FLAG)) return false
    return masked <= txMasked
  }
}

/** Throws TypeError for flag sets Core's `VerifyScript` asserts against (and unknown bits). */
export function assertValidFlags(flags: number): void {
  if (!Number.isInteger(flags) || flags < 0 || (flags & ~ALL_SCRIPT_FLAGS) !== 0)
    throw new TypeError(`Unknown script verification flags ${flags}.`)
  if (flags & F.WITNESS && !(flags & F.P2SH)) throw new TypeError('WITNESS requires P2SH.')
  if (flags & F.CLEANSTACK && !(flags & F.WITNESS))
    throw new TypeError('CLEANSTACK requires WITNESS and P2SH.')
}

/**
 * A transaction and the outputs it spends, ready to verify input by input;
 * the segwit and taproot signature-hash parts are computed once.
 */
export class TxVerifier {
  readonly tx: Tx
  readonly spent: readonly SpentOutput[]
  readonly #hashes: SighashCache
  readonly #options: VerifyOptions

  constructor(tx: Tx, spent: readonly SpentOutput[], options: VerifyOptions = {}) {
    if (spent.length !== tx.inputs.length)
      throw new TypeError(`${tx.inputs.length} inputs but ${spent.length} spent outputs.`)
    this.tx = tx
    this.spent = spent
    this.#hashes = new SighashCache(tx, spent)
    this.#options = options
  }

  /** Verify input `index`; throws {@link ScriptError} (with `input` set) on failure. */
  verify(index: number, flags: number): true {
    const input = this.tx.inputs[index]
    if (!input) throw new RangeError(`Input ${index} does not exist.`)
    const prev = this.spent[index]!
    const checker = new TransactionChecker(this.#hashes, index, prev.value, this.#options)
    try {
      verifyScript(input.script, prev.script, input.witness, flags, checker)
    } catch (err) {
      if (err instanceof ScriptError) {
        err.input = index
        err.flags = flags
      }
      throw err
    }
    return true
  }

  /** Verify every input in order; the first failure is thrown. */
  verifyAll(flags: number): true {
    for (let i = 0; i < this.tx.inputs.length; i++) this.verify(i, flags)
    return true
  }
}

/**
 * Verify input `index` of `tx` (serialized or decoded) against the outputs it
 * spends (all of them, in input order: taproot signs every one) under
 * `flags` (a set of {@link ScriptFlags}). Returns true or throws
 * {@link ScriptError}, whose `reason` is Core's reject string.
 */
export function verifyInput(
  tx: Tx | Uint8Array,
  index: number,
  spent: readonly SpentOutput[],
  flags: number,
  options: VerifyOptions = {},
): true {
  assertValidFlags(flags)
  const decoded = tx instanceof Uint8Array ? decodeTx(tx) : tx
  return new TxVerifier(decoded, spent, options).verify(index, flags)
}
