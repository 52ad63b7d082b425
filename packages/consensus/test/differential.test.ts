import { sha256, Tx } from '@node/wire'
import fc from 'fast-check'
import * as tiny from 'tiny-secp256k1'
import { describe, expect, it } from 'vitest'
import { legacySighash, SighashCache, segwitV0Sighash } from '../src/index.ts'
import { hash160 } from '../src/interpreter.ts'
import { encodeNum, OP, pushData } from '../src/script.ts'
import { type Case, ours, theirs } from './bcoin.ts'
import { derEncode, keyAt } from './build.ts'
import { fillFlags } from './helpers.ts'

/** Only bcoin's flags, consistent (CLEANSTACK ⇒ WITNESS ⇒ P2SH). */
const flagsArb = fc.integer({ min: 0, max: 0xffff }).map((f) => fillFlags(f))

const OPCODES = Object.values(OP).filter(
  (o) => o > OP.OP_16 && o !== OP.CHECKSIGADD && o !== OP.INVALIDOPCODE,
)
const NUMBERS = [
  0,
  1,
  -1,
  16,
  17,
  127,
  128,
  -128,
  255,
  256,
  0x7fffffff,
  -0x7fffffff,
  0x80000000,
  2 ** 32,
  500_000_000,
]

const opArb: fc.Arbitrary<readonly number[]> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 5 }).map((d) => [...pushData(d)]) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3 }).map((d) => [OP.PUSHDATA1, d.length, ...d]) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(Uint8Array.of(0x80), Uint8Array.of(0, 0x80), Uint8Array.of(1, 0))
      .map((d) => [...pushData(d)]),
  },
  { weight: 3, arbitrary: fc.integer({ min: OP.OP_1NEGATE, max: OP.OP_16 }).map((o) => [o]) },
  { weight: 2, arbitrary: fc.constant([OP.OP_0]) },
  { weight: 6, arbitrary: fc.constantFrom(...OPCODES).map((o) => [o]) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((o) => [o]) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERS).map((n) => [...pushData(encodeNum(n))]) },
)
const scriptArb = (max: number): fc.Arbitrary<Uint8Array> =>
  fc.array(opArb, { maxLength: max }).map((ops) => Uint8Array.from(ops.flat()))
const pushesArb = fc.array(
  fc.oneof(
    opArb.filter((o) => o[0]! <= OP.OP_16),
    fc.constant([OP.OP_1]),
  ),
  { maxLength: 4 },
)
const itemsArb = fc.array(fc.uint8Array({ maxLength: 5 }), { maxLength: 4 })

const txFields = fc.record({
  version: fc.constantFrom(1, 2, -1),
  locktime: fc.constantFrom(0, 100, 499_999_999, 500_000_000, 0xffffffff),
  sequence: fc.constantFrom(0, 1, 100, 0xfffffffe, 0xffffffff, 0x00400001, 0x80000000),
})

function spendTx(
  fields: { version: number; locktime: number; sequence: number },
  script: Uint8Array,
  witness: Uint8Array[],
): Tx {
  return new Tx({
    version: fields.version,
    locktime: fields.locktime,
    inputs: [
      { prevHash: new Uint8Array(32).fill(5), prevIndex: 0, script, sequence: fields.sequence, witness },
    ],
    outputs: [{ value: 1000n, script: Uint8Array.of(OP.OP_1) }],
  })
}

const p2sh = (redeem: Uint8Array): Uint8Array =>
  Uint8Array.from([OP.HASH160, 20, ...hash160(redeem), OP.EQUAL])
const p2wsh = (ws: Uint8Array): Uint8Array => Uint8Array.from([OP.OP_0, 32, ...sha256(ws)])

/** Random scripts, wrapped bare, in P2SH, in P2WSH, or in P2SH-P2WSH. */
const scriptCaseArb: fc.Arbitrary<Case> = fc
  .record({
    kind: fc.constantFrom('bare', 'p2sh', 'p2wsh', 'p2sh-p2wsh'),
    sig: pushesArb,
    script: scriptArb(10),
    items: itemsArb,
    junkSig: fc.boolean(),
    fields: txFields,
    flags: flagsArb,
  })
  .map(({ kind, sig, script, items, junkSig, fields, flags }) => {
    const pushes = Uint8Array.from(sig.flat())
    let scriptSig: Uint8Array
    let spk: Uint8Array
    let witness: Uint8Array[] = []
    if (kind === 'bare') {
      scriptSig = pushes
      spk = script
    } else if (kind === 'p2sh') {
      scriptSig = Uint8Array.from([...pushes, ...pushData(script)])
      spk = p2sh(script)
    } else if (kind === 'p2wsh') {
      scriptSig = junkSig ? pushes : new Uint8Array(0)
      spk = p2wsh(script)
      witness = [...items, script]
    } else {
      const program = p2wsh(script)
      scriptSig = pushData(program)
      spk = p2sh(program)
      witness = [...items, script]
    }
    return {
      tx: spendTx(fields, scriptSig, witness),
      index: 0,
      spent: [{ value: 1000n, script: spk }],
      flags,
    }
  })

// ---- signed spends, then mutated ----------------------------------------

const keys = [0, 1, 2].map((i) => keyAt('differential', i))
const pubs = keys.map((k) => tiny.pointFromScalar(k, true)!)
const uncompressed = tiny.pointFromScalar(keys[0]!, false)!
/** The hybrid encoding (0x06/0x07 by the parity of y) that libsecp256k1 parses and Core accepts without STRICTENC. */
const hybrid = Uint8Array.from([6 | (uncompressed[64]! & 1), ...uncompressed.subarray(1)])
const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')

type Kind =
  | 'p2pk-hybrid'
  | 'p2pkh'
  | 'p2pk-uncompressed'
  | 'p2wpkh'
  | 'p2sh-p2wpkh'
  | 'p2sh-multisig'
  | 'p2wsh-multisig'
  | 'p2wpkh-uncompressed'
type Mutation =
  | 'none'
  | 'flip-sig'
  | 'high-s'
  | 'hashtype'
  | 'pad-r'
  | 'drop-witness'
  | 'dummy'
  | 'extra-push'
  | 'swap-sigs'
  | 'empty-sig'
  | 'lax-negative-r'
  | 'lax-seq-length'
  | 'lax-long-r-length'
  | 'lax-trailing'

const signedArb = fc.record({
  kind: fc.constantFrom<Kind>(
    'p2pk-hybrid',
    'p2pkh',
    'p2pk-uncompressed',
    'p2wpkh',
    'p2sh-p2wpkh',
    'p2sh-multisig',
    'p2wsh-multisig',
    'p2wpkh-uncompressed',
  ),
  mutation: fc.constantFrom<Mutation>(
    'none',
    'none',
    'flip-sig',
    'high-s',
    'hashtype',
    'pad-r',
    'drop-witness',
    'dummy',
    'extra-push',
    'swap-sigs',
    'empty-sig',
    'lax-negative-r',
    'lax-seq-length',
    'lax-long-r-length',
    'lax-trailing',
  ),
  hashType: fc.constantFrom(1, 2, 3, 0x81, 0x82, 0x83, 0, 4, 0x41),
  badType: fc.integer({ min: 0, max: 255 }),
  index: fc.constantFrom(0, 1),
  outputs: fc.constantFrom(1, 2),
  flags: flagsArb,
  fields: txFields,
})

type SignedParams = typeof signedArb extends fc.Arbitrary<infer T> ? T : never

function signedCase(p: SignedParams): Case {
  const multisig = Uint8Array.from([
    OP.OP_1 + 1,
    ...pushData(pubs[0]!),
    ...pushData(pubs[1]!),
    ...pushData(pubs[2]!),
    OP.OP_1 + 2,
    OP.CHECKMULTISIG,
  ])
  const pub = p.kind === 'p2pk-uncompressed' || p.kind === 'p2wpkh-uncompressed' ? uncompressed : pubs[0]!
  const pkh = Uint8Array.from([OP.DUP, OP.HASH160, 20, ...hash160(pub), OP.EQUALVERIFY, OP.CHECKSIG])
  const wpkh = Uint8Array.from([OP.OP_0, 20, ...hash160(pub)])
  let spk: Uint8Array
  let scriptCode: Uint8Array
  let segwit = true
  switch (p.kind) {
    case 'p2pkh':
      spk = pkh
      scriptCode = pkh
      segwit = false
      break
    case 'p2pk-hybrid':
      spk = Uint8Array.from([...pushData(hybrid), OP.CHECKSIG])
      scriptCode = spk
      segwit = false
      break
    case 'p2pk-uncompressed':
      spk = Uint8Array.from([...pushData(uncompressed), OP.CHECKSIG])
      scriptCode = spk
      segwit = false
      break
    case 'p2wpkh':
    case 'p2wpkh-uncompressed':
      spk = wpkh
      scriptCode = pkh
      break
    case 'p2sh-p2wpkh':
      spk = p2sh(wpkh)
      scriptCode = pkh
      break
    case 'p2sh-multisig':
      spk = p2sh(multisig)
      scriptCode = multisig
      segwit = false
      break
    default:
      spk = p2wsh(multisig)
      scriptCode = multisig
  }
  const value = 50_000n
  const spent = [0, 1].map(() => ({ value, script: spk }))
  const make = (scripts: Uint8Array[], witnesses: Uint8Array[][]): Tx =>
    new Tx({
      version: p.fields.version,
      locktime: p.fields.locktime,
      inputs: [0, 1].map((i) => ({
        prevHash: new Uint8Array(32).fill(9 + i),
        prevIndex: i,
        script: scripts[i] ?? new Uint8Array(0),
        sequence: p.fields.sequence,
        witness: witnesses[i] ?? [],
      })),
      outputs: Array.from({ length: p.outputs }, (_, i) => ({
        value: 1000n + BigInt(i),
        script: Uint8Array.of(OP.OP_1),
      })),
    })
  const draft = make([], [])
  const sign = (key: Uint8Array): Uint8Array => {
    const hash = segwit
      ? segwitV0Sighash(new SighashCache(draft), p.index, scriptCode, value, p.hashType)
      : legacySighash(draft, p.index, scriptCode, p.hashType)
    let compact = tiny.sign(hash, key)
    if (p.mutation === 'high-s') {
      const s = N - BigInt(`0x${Buffer.from(compact.subarray(32)).toString('hex')}`)
      compact = Uint8Array.from([
        ...compact.subarray(0, 32),
        ...Buffer.from(s.toString(16).padStart(64, '0'), 'hex'),
      ])
    }
    let der = derEncode(compact)
    if (p.mutation === 'pad-r')
      der = Uint8Array.from([0x30, der[1]! + 1, 0x02, der[3]! + 1, 0, ...der.subarray(4)])
    if (p.mutation === 'flip-sig') der[der.length - 3]! ^= 1
    if (p.mutation === 'lax-negative-r' && der[4] === 0)
      der = Uint8Array.from([0x30, der[1]! - 1, 0x02, der[3]! - 1, ...der.subarray(5)])
    if (p.mutation === 'lax-seq-length') der = Uint8Array.from([0x30, 0x7f, ...der.subarray(2)])
    if (p.mutation === 'lax-long-r-length')
      der = Uint8Array.from([0x30, der[1]! + 1, 0x02, 0x81, ...der.subarray(3)])
    if (p.mutation === 'lax-trailing') der = Uint8Array.from([...der, 0x01, 0x02])
    const type = p.mutation === 'hashtype' ? p.badType : p.hashType
    return p.mutation === 'empty-sig' ? new Uint8Array(0) : Uint8Array.from([...der, type])
  }
  let scriptSig: Uint8Array = new Uint8Array(0)
  let witness: Uint8Array[] = []
  if (p.kind === 'p2sh-multisig' || p.kind === 'p2wsh-multisig') {
    let sigs = [sign(keys[0]!), sign(keys[2]!)]
    if (p.mutation === 'swap-sigs') sigs = sigs.reverse()
    const dummy = p.mutation === 'dummy' ? Uint8Array.of(1) : new Uint8Array(0)
    if (p.kind === 'p2sh-multisig')
      scriptSig = Uint8Array.from([
        ...pushData(dummy),
        ...sigs.flatMap((s) => [...pushData(s)]),
        ...pushData(multisig),
      ])
    else witness = [dummy, ...sigs, multisig]
  } else if (p.kind === 'p2pk-uncompressed' || p.kind === 'p2pk-hybrid') scriptSig = pushData(sign(keys[0]!))
  else if (p.kind === 'p2pkh') scriptSig = Uint8Array.from([...pushData(sign(keys[0]!)), ...pushData(pub)])
  else {
    witness = [sign(keys[0]!), pub]
    if (p.kind === 'p2sh-p2wpkh') scriptSig = pushData(wpkh)
  }
  if (p.mutation === 'drop-witness' && witness.length > 0) witness = witness.slice(1)
  if (p.mutation === 'extra-push') scriptSig = Uint8Array.from([OP.OP_1, ...scriptSig])
  const scripts = p.index === 0 ? [scriptSig] : [new Uint8Array(0), scriptSig]
  const witnesses = p.index === 0 ? [witness] : [[], witness]
  return { tx: make(scripts, witnesses), index: p.index, spent, flags: p.flags }
}

function describeCase(c: Case): string {
  const i = c.tx.inputs[c.index]!
  return JSON.stringify({
    flags: c.flags,
    tx: Buffer.from(c.tx.toBytes()).toString('hex'),
    index: c.index,
    spk: Buffer.from(c.spent[c.index]!.script).toString('hex'),
    scriptSig: Buffer.from(i.script).toString('hex'),
  })
}

describe('differential against bcoin 1.0.2', () => {
  it('random scripts (bare, P2SH, P2WSH, P2SH-P2WSH): same verdict', () => {
    fc.assert(
      fc.property(scriptCaseArb, (c) => {
        const a = ours(c)
        const b = theirs(c)
        if ((a === 'OK') !== (b === 'OK')) throw new Error(`ours ${a}, bcoin ${b}: ${describeCase(c)}`)
      }),
      { numRuns: 1500, seed: 20261202 },
    )
  })

  it('signed spends (P2PKH, P2PK, P2WPKH, P2SH-P2WPKH, multisig in P2SH and P2WSH), valid and mutated: same verdict', () => {
    let ok = 0
    fc.assert(
      fc.property(signedArb, (p) => {
        const c = signedCase(p)
        const a = ours(c)
        const b = theirs(c)
        if (a === 'OK') ok++
        if ((a === 'OK') !== (b === 'OK'))
          throw new Error(`ours ${a}, bcoin ${b}: ${JSON.stringify(p)} ${describeCase(c)}`)
      }),
      { numRuns: 250, seed: 20261203 },
    )
    // The generator reaches valid spends, not only failures.
    expect(ok).toBeGreaterThan(20)
  }, 60_000)
})
