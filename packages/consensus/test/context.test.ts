/**
 * Rules that depend on the chain: the flags of a block (with Core's two
 * historic exceptions), finality (BIP113), BIP68 sequence locks, and sigop
 * counting for the block limit.
 */
import { hexToHash, networks, Tx, type TxIn } from '@node/wire'
import { describe, expect, it } from 'vitest'
import {
  calculateSequenceLocks,
  checkFinalTx,
  consensusFlagsAt,
  evaluateSequenceLocks,
  ScriptFlags as F,
  isFinalTx,
  legacySigOpCount,
  transactionSigOpCost,
} from '../src/index.ts'
import { parseScriptText } from './helpers.ts'

const ANY_HASH = new Uint8Array(32).fill(9)

describe('consensusFlagsAt', () => {
  it('turns on DERSIG, CLTV, CSV and NULLDUMMY at the mainnet buried heights', () => {
    const base = F.P2SH | F.WITNESS | F.TAPROOT
    expect(consensusFlagsAt('mainnet', 100, ANY_HASH)).toBe(base)
    expect(consensusFlagsAt('mainnet', 363_725, ANY_HASH)).toBe(base | F.DERSIG)
    expect(consensusFlagsAt('mainnet', 388_381, ANY_HASH)).toBe(base | F.DERSIG | F.CHECKLOCKTIMEVERIFY)
    expect(consensusFlagsAt('mainnet', 419_328, ANY_HASH)).toBe(
      base | F.DERSIG | F.CHECKLOCKTIMEVERIFY | F.CHECKSEQUENCEVERIFY,
    )
    expect(consensusFlagsAt(networks.mainnet, 481_824, ANY_HASH)).toBe(
      base | F.DERSIG | F.CHECKLOCKTIMEVERIFY | F.CHECKSEQUENCEVERIFY | F.NULLDUMMY,
    )
    expect(consensusFlagsAt('regtest', 1, ANY_HASH) & F.DERSIG).toBe(F.DERSIG)
  })
  it('applies Core’s two historic exceptions on mainnet, and none elsewhere', () => {
    const bip16 = hexToHash('00000000000002dc756eebf4f49723ed8d30cc28a5f108eb94b1ba88ac4f9c22')
    expect(consensusFlagsAt('mainnet', 170_060, bip16)).toBe(F.NONE)
    const taproot = hexToHash('0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad')
    expect(consensusFlagsAt('mainnet', 692_261, taproot)).toBe(
      F.P2SH | F.WITNESS | F.DERSIG | F.CHECKLOCKTIMEVERIFY | F.CHECKSEQUENCEVERIFY | F.NULLDUMMY,
    )
    expect(consensusFlagsAt('testnet4', 692_261, taproot) & F.TAPROOT).toBe(F.TAPROOT)
    const testnet = hexToHash('00000000dd30457c001f4095d208cc1296b0eed002427aa599874af7a432b105')
    expect(consensusFlagsAt('testnet3', 1, testnet)).toBe(F.NONE)
  })
})

const input = (sequence: number, script = new Uint8Array(0), witness: Uint8Array[] = []): TxIn => ({
  prevHash: new Uint8Array(32).fill(1),
  prevIndex: 0,
  script,
  sequence,
  witness,
})
const mk = (version: number, locktime: number, inputs: TxIn[]): Tx =>
  new Tx({ version, locktime, inputs, outputs: [{ value: 1n, script: Uint8Array.of(0x51) }] })

describe('finality', () => {
  it('a height lock time is final at the next height, a time lock time after the clock passes it', () => {
    const byHeight = mk(1, 100, [input(0)])
    expect(isFinalTx(byHeight, 100, 0)).toBe(false)
    expect(isFinalTx(byHeight, 101, 0)).toBe(true)
    const byTime = mk(1, 600_000_000, [input(0)])
    expect(isFinalTx(byTime, 1_000_000, 600_000_000)).toBe(false)
    expect(isFinalTx(byTime, 1, 600_000_001)).toBe(true)
    expect(() => checkFinalTx(byTime, 1, 5)).toThrow(expect.objectContaining({ reason: 'bad-txns-nonfinal' }))
  })
  it('final sequences make any lock time final', () => {
    expect(isFinalTx(mk(1, 0xffffffff, [input(0xffffffff)]), 0, 0)).toBe(true)
  })
})

describe('BIP68 sequence locks', () => {
  const mtp = (h: number): number => 1_000_000 + h * 600
  it('height locks: the coin height plus the value must be below the block height', () => {
    const tx = mk(2, 0, [input(10)])
    const locks = calculateSequenceLocks(tx, true, [100], mtp)
    expect(locks).toEqual({ minHeight: 109, minTime: -1 })
    expect(evaluateSequenceLocks(109, mtp(108), locks)).toBe(false)
    expect(evaluateSequenceLocks(110, mtp(109), locks)).toBe(true)
  })
  it('time locks count 512-second units from the MTP of the block before the coin', () => {
    const tx = mk(2, 0, [input((1 << 22) | 3)])
    const locks = calculateSequenceLocks(tx, true, [100], mtp)
    expect(locks.minTime).toBe(mtp(99) + 3 * 512 - 1)
    expect(evaluateSequenceLocks(200, locks.minTime, locks)).toBe(false)
    expect(evaluateSequenceLocks(200, locks.minTime + 1, locks)).toBe(true)
  })
  it('version 1, the disable flag, or no enforcement mean no lock', () => {
    expect(calculateSequenceLocks(mk(1, 0, [input(10)]), true, [100], mtp)).toEqual({
      minHeight: -1,
      minTime: -1,
    })
    expect(calculateSequenceLocks(mk(2, 0, [input(0x80000000 | 10)]), true, [100], mtp)).toEqual({
      minHeight: -1,
      minTime: -1,
    })
    expect(calculateSequenceLocks(mk(2, 0, [input(10)]), false, [100], mtp)).toEqual({
      minHeight: -1,
      minTime: -1,
    })
  })
})

describe('sigop counting', () => {
  it('counts legacy, P2SH and witness sigops as Core weighs them', () => {
    const multisig = parseScriptText(`2 0x21 0x${'02'.repeat(33)} 0x21 0x${'03'.repeat(33)} 2 CHECKMULTISIG`)
    const p2sh = parseScriptText(`HASH160 0x14 0x${'00'.repeat(20)} EQUAL`)
    const redeemPush = Uint8Array.from([0x00, multisig.length, ...multisig])
    const spendP2SH = mk(1, 0, [input(0, redeemPush)])
    // Legacy: an output CHECKSIG counts 1, scriptSig pushes count nothing.
    expect(legacySigOpCount(spendP2SH)).toBe(0)
    expect(transactionSigOpCost(spendP2SH, [{ value: 1n, script: p2sh }], F.P2SH)).toBe(2 * 4)
    expect(transactionSigOpCost(spendP2SH, [{ value: 1n, script: p2sh }], 0)).toBe(0)
    // P2WSH: the witness script's sigops count once (no ×4).
    const p2wsh = Uint8Array.from([0x00, 0x20, ...new Uint8Array(32)])
    const spendWsh = mk(1, 0, [input(0, new Uint8Array(0), [new Uint8Array(0), multisig])])
    expect(transactionSigOpCost(spendWsh, [{ value: 1n, script: p2wsh }], F.P2SH | F.WITNESS)).toBe(2)
    // P2WPKH: one.
    const p2wpkh = Uint8Array.from([0x00, 0x14, ...new Uint8Array(20)])
    expect(transactionSigOpCost(spendWsh, [{ value: 1n, script: p2wpkh }], F.P2SH | F.WITNESS)).toBe(1)
    // A bare CHECKMULTISIG in an output counts 20 (inaccurate counting).
    const bare = mk(1, 0, [input(0)])
    const withBare = new Tx({
      ...bare,
      version: 1,
      locktime: 0,
      inputs: bare.inputs,
      outputs: [{ value: 1n, script: multisig }],
    })
    expect(legacySigOpCount(withBare)).toBe(20)
  })
})
