/**
 * Core's script and transaction vectors, every case.
 *
 * script_tests.json: `[[wit…, amount]?, scriptSig, scriptPubKey, flags, error, comment…]`.
 * Each case spends output 0 of a crediting transaction (version 1, one input
 * with a null prevout and scriptSig `0 0`, one output of the case's amount
 * and scriptPubKey) with a spending transaction (version 1, the case's
 * scriptSig and witness, one empty output of the same value), as Core's
 * `script_json_test` does; the flags are those set, and CLEANSTACK brings in
 * P2SH and WITNESS. Tapscript placeholders (`#SCRIPT#`, `#CONTROLBLOCK#`,
 * `#TAPROOTOUTPUT#`) build a one-leaf tree whose internal key is the x-only
 * key of secret key 1.
 *
 * tx_valid.json / tx_invalid.json: `[[[txid, index, scriptPubKey, amount?], …], tx, flags]`.
 * tx_valid lists flags to *exclude* (the transaction must pass with all the
 * others, and fail when any excluded one is put back); tx_invalid lists the
 * flags *set* (it must fail with them, and pass when any one is removed),
 * with BADTX meaning CheckTransaction rejects it.
 */
import { decodeTx, hashToHex, Tx } from '@node/wire'
import * as tiny from 'tiny-secp256k1'
import { describe, expect, it } from 'vitest'
import {
  ALL_SCRIPT_FLAGS,
  checkTransaction,
  parseScriptFlags,
  ScriptFlags,
  type SpentOutput,
  TxVerifier,
  tapleafHash,
  tapTweakHash,
  verifyInput,
} from '../src/index.ts'
import { fillFlags, fixture, parseScriptText, trimFlags } from './helpers.ts'

type Entry = unknown[]

const INTERNAL_KEY = Uint8Array.from(
  Buffer.from('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex'),
)

/** Core's test names for errors that differ from the enum names. */
const ERROR_NAMES: Record<string, string> = { NULLFAIL: 'SIG_NULLFAIL' }

function runScriptCase(entry: Entry, flagsOverride?: number): { code: string; error?: unknown } {
  let i = 0
  let witness: Uint8Array[] = []
  let amount = 0n
  let scriptText: string | undefined
  if (Array.isArray(entry[0])) {
    const w = entry[0] as (string | number)[]
    amount = BigInt(Math.round((w[w.length - 1] as number) * 1e8))
    const items = w.slice(0, -1) as string[]
    witness = items.map((item) => {
      if (item.startsWith('#SCRIPT#')) {
        scriptText = item.slice('#SCRIPT#'.length)
        return parseScriptText(scriptText)
      }
      if (item === '#CONTROLBLOCK#') return new Uint8Array(0) // filled below
      return Uint8Array.from(Buffer.from(item, 'hex'))
    })
    i = 1
  }
  const scriptSig = parseScriptText(entry[i] as string)
  let pubkeyText = entry[i + 1] as string
  let flags = flagsOverride ?? parseScriptFlags(entry[i + 2] as string)
  if (flagsOverride === undefined && flags & ScriptFlags.CLEANSTACK)
    flags |= ScriptFlags.P2SH | ScriptFlags.WITNESS
  let scriptPubKey: Uint8Array
  if (pubkeyText.includes('#TAPROOTOUTPUT#')) {
    const leaf = tapleafHash(0xc0, parseScriptText(scriptText!))
    const tweaked = tiny.xOnlyPointAddTweak(INTERNAL_KEY, tapTweakHash(INTERNAL_KEY, leaf))!
    const control = new Uint8Array(33)
    control[0] = 0xc0 | tweaked.parity
    control.set(INTERNAL_KEY, 1)
    const w = entry[0] as string[]
    witness = witness.map((item, k) => (w[k] === '#CONTROLBLOCK#' ? control : item))
    pubkeyText = pubkeyText.replace(
      '#TAPROOTOUTPUT#',
      `0x${Buffer.from(tweaked.xOnlyPubkey).toString('hex')}`,
    )
  }
  scriptPubKey = parseScriptText(pubkeyText)
  const credit = new Tx({
    version: 1,
    locktime: 0,
    inputs: [
      {
        prevHash: new Uint8Array(32),
        prevIndex: 0xffffffff,
        script: Uint8Array.of(0, 0),
        sequence: 0xffffffff,
        witness: [],
      },
    ],
    outputs: [{ value: amount, script: scriptPubKey }],
  })
  const spend = new Tx({
    version: 1,
    locktime: 0,
    inputs: [{ prevHash: credit.txid(), prevIndex: 0, script: scriptSig, sequence: 0xffffffff, witness }],
    outputs: [{ value: amount, script: new Uint8Array(0) }],
  })
  try {
    verifyInput(spend, 0, [{ value: amount, script: scriptPubKey }], flags)
    return { code: 'OK' }
  } catch (error) {
    return { code: (error as { code?: string }).code ?? 'THREW', error }
  }
}

describe('script_tests.json', () => {
  const entries = fixture<Entry[]>('script_tests.json').filter((e) => e.length > 1)
  it('has every case', () => expect(entries.length).toBe(1233))
  it('every case gives the expected result', () => {
    const failures: string[] = []
    for (const entry of entries) {
      const i = Array.isArray(entry[0]) ? 1 : 0
      const want = entry[i + 3] as string
      const got = runScriptCase(entry)
      if (got.code !== (ERROR_NAMES[want] ?? want))
        failures.push(
          `${JSON.stringify(entry)} → ${got.code} ${got.code === 'THREW' ? String(got.error) : ''}`,
        )
    }
    expect(failures).toEqual([])
  })
})

describe('script_tests.json flag monotonicity', () => {
  // Core's script_json_test: removing flags from a passing case keeps it
  // passing, adding flags to a failing one keeps it failing (random flags of
  // the low 16 bits; the three non-restrictive taproot policy flags kept as
  // they are; invalid combinations skipped).
  const entries = fixture<Entry[]>('script_tests.json').filter((e) => e.length > 1)
  it('holds for 8 random flag sets per case', () => {
    let seed = 0x2545f491
    const rand16 = (): number => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) & 0xffff
    }
    const failures: string[] = []
    let runs = 0
    for (const entry of entries) {
      const i = Array.isArray(entry[0]) ? 1 : 0
      let flags = parseScriptFlags(entry[i + 2] as string)
      if (flags & ScriptFlags.CLEANSTACK) flags |= ScriptFlags.P2SH | ScriptFlags.WITNESS
      const expectOk = entry[i + 3] === 'OK'
      for (let k = 0; k < 8; k++) {
        const extra = rand16()
        const combined = expectOk ? flags & ~extra : flags | extra
        if (combined & ScriptFlags.CLEANSTACK && ~combined & (ScriptFlags.P2SH | ScriptFlags.WITNESS))
          continue
        if (combined & ScriptFlags.WITNESS && ~combined & ScriptFlags.P2SH) continue
        runs++
        const ok = runScriptCase(entry, combined).code === 'OK'
        if (ok !== expectOk) failures.push(`${JSON.stringify(entry)} with flags ${combined}`)
      }
    }
    expect(runs).toBeGreaterThan(5000)
    expect(failures).toEqual([])
  })
})

type TxEntry = [[string, number, string, number?][], string, string]

function loadTxCases(name: string): TxEntry[] {
  return fixture<unknown[][]>(name).filter((e) => Array.isArray(e[0])) as TxEntry[]
}

function spentOutputs(entry: TxEntry, tx: Tx): SpentOutput[] {
  const map = new Map<string, SpentOutput>()
  for (const [txid, index, script, amount] of entry[0]) {
    map.set(`${txid}:${index === -1 ? 0xffffffff : index}`, {
      value: BigInt(amount ?? 0),
      script: parseScriptText(script),
    })
  }
  return tx.inputs.map((input) => {
    const prev = map.get(`${hashToHex(input.prevHash)}:${input.prevIndex}`)
    if (!prev) throw new Error('missing prevout')
    return prev
  })
}

function scriptsPass(tx: Tx, spent: SpentOutput[], flags: number): boolean {
  try {
    new TxVerifier(tx, spent).verifyAll(flags)
    return true
  } catch (err) {
    if ((err as { name?: string }).name !== 'ScriptError') throw err
    return false
  }
}

/** Flags named in the files that Core's harness checks one by one. */
const FLAG_BITS = Object.values(ScriptFlags).filter((b) => b !== 0)

describe('tx_valid.json', () => {
  const cases = loadTxCases('tx_valid.json')
  it('has every case', () => expect(cases.length).toBe(121))
  it('every transaction passes CheckTransaction and its scripts with all flags but the excluded ones', () => {
    const failures: string[] = []
    for (const entry of cases) {
      const tx = decodeTx(Uint8Array.from(Buffer.from(entry[1], 'hex')))
      const spent = spentOutputs(entry, tx)
      try {
        checkTransaction(tx)
      } catch (err) {
        failures.push(`${entry[1].slice(0, 40)}: CheckTransaction ${String(err)}`)
        continue
      }
      const excluded = parseScriptFlags(entry[2])
      const flags = trimFlags(ALL_SCRIPT_FLAGS & ~excluded)
      if (!scriptsPass(tx, spent, flags)) {
        failures.push(`${entry[2]} ${entry[1].slice(0, 60)}: fails`)
        continue
      }
      // The excluded set is minimal: putting any excluded flag back makes it fail.
      for (const bit of FLAG_BITS) {
        if (!(excluded & bit)) continue
        const more = fillFlags(flags | bit)
        if (scriptsPass(tx, spent, more))
          failures.push(`${entry[2]} ${entry[1].slice(0, 60)}: passes with ${bit}`)
      }
    }
    expect(failures).toEqual([])
  })
})

describe('tx_invalid.json', () => {
  const cases = loadTxCases('tx_invalid.json')
  it('has every case', () => expect(cases.length).toBe(93))
  it('every transaction fails CheckTransaction (BADTX) or its scripts with the flags given', () => {
    const failures: string[] = []
    for (const entry of cases) {
      const tx = decodeTx(Uint8Array.from(Buffer.from(entry[1], 'hex')))
      if (entry[2] === 'BADTX') {
        expect(() => checkTransaction(tx), entry[1]).toThrow()
        continue
      }
      const spent = spentOutputs(entry, tx)
      try {
        checkTransaction(tx)
      } catch (err) {
        failures.push(`${entry[1].slice(0, 40)}: CheckTransaction ${String(err)}`)
        continue
      }
      const flags = fillFlags(parseScriptFlags(entry[2]))
      if (scriptsPass(tx, spent, flags)) {
        failures.push(`${entry[2]} ${entry[1].slice(0, 60)}: passes`)
        continue
      }
      // The flag set is minimal: removing any one of them makes it pass.
      for (const bit of FLAG_BITS) {
        if (!(flags & bit)) continue
        const fewer = trimFlags(flags & ~bit)
        if (!scriptsPass(tx, spent, fewer))
          failures.push(`${entry[2]} ${entry[1].slice(0, 60)}: fails without ${bit}`)
      }
    }
    expect(failures).toEqual([])
  })
})
