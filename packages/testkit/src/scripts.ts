/**
 * Output scripts of every standard type, and the inputs that spend them with
 * real signatures, for the script chain generator (scriptgen.ts) and the
 * invalid blocks built on it (badblocks.ts).
 *
 * The templates are Core's (src/script/solver.cpp `Solver`): P2PK, P2PKH,
 * bare multisig, P2SH (BIP16), P2WPKH and P2WSH (BIP141), P2SH-wrapped
 * P2WPKH, and P2TR (BIP341) spent by key or by a tapscript leaf (BIP342).
 * Two more are P2WSH scripts that lock by time: `<n> OP_CHECKLOCKTIMEVERIFY
 * OP_DROP <key> OP_CHECKSIG` (BIP65) and `<n> OP_CHECKSEQUENCEVERIFY OP_DROP
 * <key> OP_CHECKSIG` (BIP112, with BIP68's relative lock in the input's
 * sequence). What each input must hold is what Core's `VerifyScript` and
 * `VerifyWitnessProgram` (src/script/interpreter.cpp) check; the signature
 * hashes are @node/consensus's (`legacySighash`, `segwitV0Sighash`,
 * `taprootSighash`), ECDSA signatures come from chaingen-sign.ts and Schnorr
 * signatures (BIP340, no auxiliary randomness: deterministic) from
 * tiny-secp256k1.
 */
import { createHash } from 'node:crypto'
import {
  legacySighash,
  OP,
  SIGHASH_ALL,
  SIGHASH_DEFAULT,
  SighashCache,
  segwitV0Sighash,
  tapbranchHash,
  tapleafHash,
  taprootSighash,
  tapTweakHash,
} from '@node/consensus'
import { sha256, Tx, type TxIn, type TxOut } from '@node/wire'
import type { ChainKey } from './chaingen.ts'
import { heightPush } from './chaingen.ts'
import type { FastSigner } from './chaingen-sign.ts'
import { ChainGenError } from './errors.ts'

type Ecc = typeof import('tiny-secp256k1')

/** Every kind of output the script chain creates and spends. */
export const OUTPUT_KINDS = [
  'p2pk',
  'p2pkh',
  'multisig-1-of-2',
  'multisig-2-of-3',
  'p2sh-multisig-2-of-3',
  'p2wpkh',
  'p2wsh-multisig-2-of-3',
  'p2sh-p2wpkh',
  'p2tr-key',
  'p2tr-script',
  'p2wsh-cltv',
  'p2wsh-csv',
] as const
export type OutputKind = (typeof OUTPUT_KINDS)[number]

/** Kinds that need taproot (left out of chains for nodes without it, like bcoin 1.0.2). */
export const TAPROOT_KINDS: ReadonlySet<OutputKind> = new Set(['p2tr-key', 'p2tr-script'])

/** The BIP341 leaf version of tapscript. */
const TAPSCRIPT_LEAF = 0xc0

/** How to spend an output: its kind, the keys (indexes into the key ring) and scripts it needs. */
export interface SpendPlan {
  readonly kind: OutputKind
  /** Keys that sign, in script order. */
  readonly signers: readonly number[]
  /** P2SH redeem script or P2WSH witness script. */
  readonly script?: Uint8Array | undefined
  /** The lock of a CLTV (absolute height) or CSV (relative blocks) script. */
  readonly lock?: number | undefined
  /** Taproot script path: the leaf script and its control block. */
  readonly leaf?: { readonly script: Uint8Array; readonly control: Uint8Array } | undefined
  /** Taproot key path: the tweaked private key. */
  readonly tweakedKey?: Uint8Array | undefined
}

/** An output the generator can spend. */
export interface Spendable {
  /** Transaction id, wire order. */
  readonly txid: Uint8Array
  readonly vout: number
  readonly value: bigint
  readonly script: Uint8Array
  /** Height of the block that created it. */
  readonly height: number
  readonly coinbase: boolean
  readonly plan: SpendPlan
}

/** `txid:vout` with the txid in display (RPC) order: the key of UTXO maps. */
export function outpointKey(txid: Uint8Array, vout: number): string {
  return `${Buffer.from(txid).reverse().toString('hex')}:${vout}`
}

const hash160 = (data: Uint8Array): Uint8Array =>
  createHash('ripemd160').update(createHash('sha256').update(data).digest()).digest()

/** A minimal push of `data` (Core's `CScript() << data`). */
function push(data: Uint8Array): Uint8Array {
  const n = data.length
  if (n < OP.PUSHDATA1) return Uint8Array.from([n, ...data])
  if (n <= 0xff) return Uint8Array.from([OP.PUSHDATA1, n, ...data])
  if (n <= 0xffff) return Uint8Array.from([OP.PUSHDATA2, n & 0xff, n >> 8, ...data])
  throw new ChainGenError(`A push of ${n} bytes is too large.`)
}

const cat = (...parts: readonly (Uint8Array | readonly number[])[]): Uint8Array => {
  const out: number[] = []
  for (const p of parts) out.push(...p)
  return Uint8Array.from(out)
}

const OP_N = (n: number): number => (n === 0 ? OP.OP_0 : 0x50 + n)
const CHECKSIG = 0xac
const CHECKMULTISIG = 0xae
const CLTV = 0xb1
const CSV = 0xb2
const DROP = 0x75
const DUP = 0x76
const HASH160 = 0xa9
const EQUAL = 0x87
const EQUALVERIFY = 0x88

const p2pkhScript = (h: Uint8Array): Uint8Array => cat([DUP, HASH160], push(h), [EQUALVERIFY, CHECKSIG])
const p2shScript = (redeem: Uint8Array): Uint8Array => cat([HASH160], push(hash160(redeem)), [EQUAL])
const p2wshScript = (ws: Uint8Array): Uint8Array => cat([OP.OP_0], push(sha256(ws)))
const multisigScript = (m: number, keys: readonly Uint8Array[]): Uint8Array =>
  cat([OP_N(m)], ...keys.map(push), [OP_N(keys.length), CHECKMULTISIG])
/** `<lock> OP_CHECKLOCKTIMEVERIFY OP_DROP <key> OP_CHECKSIG` (BIP65). */
const cltvScript = (lock: number, key: Uint8Array): Uint8Array =>
  cat(heightPush(lock), [CLTV, DROP], push(key), [CHECKSIG])
/** `<lock> OP_CHECKSEQUENCEVERIFY OP_DROP <key> OP_CHECKSIG` (BIP112). */
const csvScript = (lock: number, key: Uint8Array): Uint8Array =>
  cat(heightPush(lock), [CSV, DROP], push(key), [CHECKSIG])

/**
 * The generator's keys with what it takes to sign: ECDSA through the fixed-
 * nonce signer, Schnorr and key tweaks through tiny-secp256k1.
 */
export class KeyRing {
  readonly keys: readonly ChainKey[]
  readonly #signer: FastSigner
  readonly #ecc: Ecc

  constructor(keys: readonly ChainKey[], signer: FastSigner, ecc: Ecc) {
    this.keys = keys
    this.#signer = signer
    this.#ecc = ecc
  }

  #key(i: number): ChainKey {
    const k = this.keys[i % this.keys.length]
    if (!k) throw new ChainGenError('The key ring is empty.')
    return k
  }

  #xonly(i: number): Uint8Array {
    return this.#key(i).publicKey.subarray(1)
  }

  /**
   * An output of `kind` for the keys starting at `first` (the next ones for
   * multisig and taproot leaves), with `lock` for the CLTV and CSV kinds.
   */
  output(kind: OutputKind, first: number, lock = 0): { script: Uint8Array; plan: SpendPlan } {
    const n = this.keys.length
    const idx = (j: number): number => (first + j) % n
    const pub = (j: number): Uint8Array => this.#key(idx(j)).publicKey
    switch (kind) {
      case 'p2pk':
        return { script: cat(push(pub(0)), [CHECKSIG]), plan: { kind, signers: [idx(0)] } }
      case 'p2pkh':
        return { script: p2pkhScript(this.#key(idx(0)).pubkeyHash), plan: { kind, signers: [idx(0)] } }
      case 'multisig-1-of-2':
        // Signed by the second key: a 1-of-2 checks keys until one matches.
        return { script: multisigScript(1, [pub(0), pub(1)]), plan: { kind, signers: [idx(1)] } }
      case 'multisig-2-of-3':
        return {
          script: multisigScript(2, [pub(0), pub(1), pub(2)]),
          plan: { kind, signers: [idx(0), idx(2)] },
        }
      case 'p2sh-multisig-2-of-3': {
        const redeem = multisigScript(2, [pub(0), pub(1), pub(2)])
        return { script: p2shScript(redeem), plan: { kind, signers: [idx(1), idx(2)], script: redeem } }
      }
      case 'p2wpkh':
        return { script: this.#key(idx(0)).script, plan: { kind, signers: [idx(0)] } }
      case 'p2wsh-multisig-2-of-3': {
        const ws = multisigScript(2, [pub(0), pub(1), pub(2)])
        return { script: p2wshScript(ws), plan: { kind, signers: [idx(0), idx(1)], script: ws } }
      }
      case 'p2sh-p2wpkh': {
        const redeem = this.#key(idx(0)).script
        return { script: p2shScript(redeem), plan: { kind, signers: [idx(0)], script: redeem } }
      }
      case 'p2wsh-cltv': {
        const ws = cltvScript(lock, pub(0))
        return { script: p2wshScript(ws), plan: { kind, signers: [idx(0)], script: ws, lock } }
      }
      case 'p2wsh-csv': {
        const ws = csvScript(lock, pub(0))
        return { script: p2wshScript(ws), plan: { kind, signers: [idx(0)], script: ws, lock } }
      }
      case 'p2tr-key': {
        const { output, tweakedKey } = this.#taproot(idx(0), undefined)
        return { script: output, plan: { kind, signers: [idx(0)], tweakedKey } }
      }
      case 'p2tr-script': {
        // Tree ((A, B), C): the spend reveals leaf A, its sibling B and the branch C.
        const leaf = (j: number): Uint8Array => cat(push(this.#xonly(idx(j))), [CHECKSIG])
        const [a, b, c] = [leaf(1), leaf(2), leaf(3)]
        const [ha, hb, hc] = [a, b, c].map((s) => tapleafHash(TAPSCRIPT_LEAF, s)) as [
          Uint8Array,
          Uint8Array,
          Uint8Array,
        ]
        const root = tapbranchHash(tapbranchHash(ha, hb), hc)
        const { output, parity } = this.#taproot(idx(0), root)
        const control = cat([TAPSCRIPT_LEAF | parity], this.#xonly(idx(0)), hb, hc)
        return { script: output, plan: { kind, signers: [idx(1)], leaf: { script: a, control } } }
      }
    }
  }

  /** BIP341 output key of internal key `i` committing to `root`, and the tweaked private key. */
  #taproot(
    i: number,
    root: Uint8Array | undefined,
  ): { output: Uint8Array; parity: number; tweakedKey: Uint8Array } {
    const k = this.#key(i)
    const internal = k.publicKey.subarray(1)
    const tweak = tapTweakHash(internal, root)
    const q = this.#ecc.xOnlyPointAddTweak(internal, tweak)
    const d = k.publicKey[0] === 0x03 ? this.#ecc.privateNegate(k.privateKey) : k.privateKey
    const tweakedKey = this.#ecc.privateAdd(d, tweak)
    if (!q || !tweakedKey) throw new ChainGenError('The taproot tweak gave the point at infinity.')
    return { output: cat([OP_N(1)], push(q.xOnlyPubkey)), parity: q.parity, tweakedKey }
  }

  /** An ECDSA signature (DER ‖ SIGHASH_ALL) of `digest` by key `i`. */
  ecdsa(i: number, digest: Uint8Array): Uint8Array {
    return this.#signer.sign(i % this.keys.length, digest)
  }

  /** A BIP340 signature of `digest` by private key `d`, without auxiliary randomness. */
  schnorr(d: Uint8Array, digest: Uint8Array): Uint8Array {
    return this.#ecc.signSchnorr(digest, d, new Uint8Array(32))
  }

  /**
   * `tx` with every input signed: input i spends `coins[i]` (scripts and
   * witnesses in `tx` are replaced). Version, sequences and lock time are
   * the caller's (a CSV input needs version 2 and its sequence).
   */
  sign(tx: Tx, coins: readonly Spendable[]): Tx {
    const unsigned = new Tx({
      version: tx.version,
      inputs: tx.inputs.map((i) => ({ ...i, script: new Uint8Array(0), witness: [] })),
      outputs: tx.outputs,
      locktime: tx.locktime,
    })
    const spent: TxOut[] = coins.map((c) => ({ value: c.value, script: c.script }))
    const cache = new SighashCache(unsigned, spent)
    const inputs: TxIn[] = unsigned.inputs.map((input, i) => {
      const coin = coins[i]
      if (!coin) throw new ChainGenError(`No coin for input ${i}.`)
      return { ...input, ...this.#solve(unsigned, cache, i, coin) }
    })
    return new Tx({ version: tx.version, inputs, outputs: tx.outputs, locktime: tx.locktime })
  }

  #solve(
    tx: Tx,
    cache: SighashCache,
    i: number,
    coin: Spendable,
  ): { script: Uint8Array; witness: Uint8Array[] } {
    const p = coin.plan
    const legacy = (code: Uint8Array, k: number): Uint8Array =>
      this.ecdsa(k, legacySighash(tx, i, code, SIGHASH_ALL))
    const v0 = (code: Uint8Array, k: number): Uint8Array =>
      this.ecdsa(k, segwitV0Sighash(cache, i, code, coin.value, SIGHASH_ALL))
    const none = new Uint8Array(0)
    const s0 = p.signers[0] ?? 0
    switch (p.kind) {
      case 'p2pk':
        return { script: push(legacy(coin.script, s0)), witness: [] }
      case 'p2pkh':
        return { script: cat(push(legacy(coin.script, s0)), push(this.#key(s0).publicKey)), witness: [] }
      case 'multisig-1-of-2':
      case 'multisig-2-of-3':
        // OP_0: the dummy element CHECKMULTISIG pops (BIP147 NULLDUMMY).
        return { script: cat([OP.OP_0], ...p.signers.map((k) => push(legacy(coin.script, k)))), witness: [] }
      case 'p2sh-multisig-2-of-3': {
        const redeem = p.script!
        const sigs = p.signers.map((k) => push(legacy(redeem, k)))
        return { script: cat([OP.OP_0], ...sigs, push(redeem)), witness: [] }
      }
      case 'p2wpkh':
      case 'p2sh-p2wpkh': {
        const key = this.#key(s0)
        const sig = v0(p2pkhScript(key.pubkeyHash), s0)
        return { script: p.kind === 'p2wpkh' ? none : push(p.script!), witness: [sig, key.publicKey] }
      }
      case 'p2wsh-multisig-2-of-3': {
        const ws = p.script!
        return { script: none, witness: [none, ...p.signers.map((k) => v0(ws, k)), ws] }
      }
      case 'p2wsh-cltv':
      case 'p2wsh-csv':
        return { script: none, witness: [v0(p.script!, s0), p.script!] }
      case 'p2tr-key': {
        const digest = taprootSighash(cache, i, SIGHASH_DEFAULT, undefined)
        if (!digest) throw new ChainGenError('No taproot signature hash.')
        return { script: none, witness: [this.schnorr(p.tweakedKey!, digest)] }
      }
      case 'p2tr-script': {
        const leaf = p.leaf!
        const digest = taprootSighash(cache, i, SIGHASH_DEFAULT, undefined, {
          leafHash: tapleafHash(TAPSCRIPT_LEAF, leaf.script),
          codeSeparatorPos: 0xffffffff,
        })
        if (!digest) throw new ChainGenError('No taproot signature hash.')
        const sig = this.schnorr(this.#key(s0).privateKey, digest)
        return { script: none, witness: [sig, leaf.script, leaf.control] }
      }
    }
  }
}
