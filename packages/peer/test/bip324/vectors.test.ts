/**
 * Every row of BIP324's three test-vector files (see fixtures/bip324/PROVENANCE.md):
 * ElligatorSwift decoding, the XSwiftEC inverse, and the full packet encoding
 * (key exchange, key derivation, garbage terminators, session id, and the
 * ciphertext of packet number `in_idx`, which exercises both ciphers' rekeying).
 */
import { readFileSync } from 'node:fs'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { elligatorSwift } from '@scure/btc-signer/p2p.js'
import { describe, expect, it } from 'vitest'
import { deriveSessionKeys, PacketCipher, TAG_LEN } from '../../src/bip324/cipher.ts'
import { bip324EcdhSecret, decodeEllSwift, ellSwiftEcdhX } from '../../src/bip324/ellswift.ts'

type Row = Record<string, string>

function csv(name: string): Row[] {
  const text = readFileSync(new URL(`../fixtures/bip324/${name}`, import.meta.url), 'utf8')
  const [head, ...lines] = text.trim().split(/\r?\n/)
  const cols = head!.split(',')
  return lines.map((line) => {
    const cells = line.split(',')
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']))
  })
}

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const concat = (parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))

const MAINNET_MAGIC = hex('f9beb4d9')

describe('BIP324 ellswift_decode_test_vectors.csv', () => {
  const rows = csv('ellswift_decode_test_vectors.csv')
  it('has all 76 rows', () => expect(rows).toHaveLength(76))
  it.each(rows.map((r, i) => [i, r] as const))('row %i decodes to its x', (_i, r) => {
    expect(toHex(decodeEllSwift(hex(r['ellswift']!)))).toBe(r['x'])
  })
})

describe('BIP324 xswiftec_inv_test_vectors.csv', () => {
  const rows = csv('xswiftec_inv_test_vectors.csv')
  it('has all 32 rows', () => expect(rows).toHaveLength(32))
  it.each(rows.map((r, i) => [i, r] as const))(
    'row %i: every case gives the expected t (or none)',
    (_i, r) => {
      const u = bytesToNumberBE(hex(r['u']!))
      const x = bytesToNumberBE(hex(r['x']!))
      for (let c = 0; c < 8; c++) {
        const t = elligatorSwift._inv(x, u, c)
        const want = r[`case${c}_t`]!
        expect(t === undefined ? '' : toHex(numberToBytesBE(t, 32))).toBe(want)
        // A solution must decode back to x.
        if (t !== undefined)
          expect(toHex(decodeEllSwift(concat([hex(r['u']!), numberToBytesBE(t, 32)])))).toBe(r['x'])
      }
    },
  )
})

describe('BIP324 packet_encoding_test_vectors.csv', () => {
  const rows = csv('packet_encoding_test_vectors.csv')
  it('has all 7 rows', () => expect(rows).toHaveLength(7))
  it.each(rows.map((r) => [Number(r['in_idx']), r] as const))('packet %i', (idx, r) => {
    const priv = hex(r['in_priv_ours']!)
    const ours = hex(r['in_ellswift_ours']!)
    const theirs = hex(r['in_ellswift_theirs']!)
    const initiating = r['in_initiating'] === '1'
    expect(toHex(decodeEllSwift(ours))).toBe(r['mid_x_ours'])
    expect(toHex(decodeEllSwift(theirs))).toBe(r['mid_x_theirs'])
    expect(toHex(ellSwiftEcdhX(priv, theirs))).toBe(r['mid_x_shared'])
    const secret = bip324EcdhSecret(priv, theirs, ours, initiating)
    expect(toHex(secret)).toBe(r['mid_shared_secret'])

    const keys = deriveSessionKeys(secret, MAINNET_MAGIC, initiating)
    expect(toHex(initiating ? keys.sendL : keys.recvL)).toBe(r['mid_initiator_l'])
    expect(toHex(initiating ? keys.sendP : keys.recvP)).toBe(r['mid_initiator_p'])
    expect(toHex(initiating ? keys.recvL : keys.sendL)).toBe(r['mid_responder_l'])
    expect(toHex(initiating ? keys.recvP : keys.sendP)).toBe(r['mid_responder_p'])
    expect(toHex(keys.sendGarbageTerminator)).toBe(r['mid_send_garbage_terminator'])
    expect(toHex(keys.recvGarbageTerminator)).toBe(r['mid_recv_garbage_terminator'])
    expect(toHex(keys.sessionId)).toBe(r['out_session_id'])

    // Encrypt in_idx empty packets, then the vector's packet.
    const sender = new PacketCipher(keys)
    const empty = new Uint8Array(0)
    for (let i = 0; i < idx; i++) sender.encrypt([], empty, false)
    const contents = concat(Array.from({ length: Number(r['in_multiply']) }, () => hex(r['in_contents']!)))
    const aad = hex(r['in_aad']!)
    const ignore = r['in_ignore'] === '1'
    const wire = toHex(concat(sender.encrypt([contents], aad, ignore)))
    if (r['out_ciphertext']) expect(wire).toBe(r['out_ciphertext'])
    else expect(wire.endsWith(r['out_ciphertext_endswith']!)).toBe(true)

    // The other side (same secret, opposite role) decrypts it after the same skipped packets.
    const receiver = new PacketCipher(deriveSessionKeys(secret, MAINNET_MAGIC, !initiating))
    // A fresh sender replays the same packets for the receiver to check.
    const sender2 = new PacketCipher(keys)
    for (let i = 0; i < idx; i++) {
      const pkt = concat(sender2.encrypt([], empty, false))
      expect(receiver.decryptLength(pkt.subarray(0, 3))).toBe(0)
      const d = receiver.beginDecrypt(empty)
      d.update(pkt.subarray(3, 4))
      d.setAuthTag(pkt.subarray(4))
      d.final()
    }
    const bytes = concat(sender2.encrypt([contents], aad, ignore))
    expect(receiver.decryptLength(bytes.subarray(0, 3))).toBe(contents.length)
    const d = receiver.beginDecrypt(aad)
    const plain = d.update(bytes.subarray(3, bytes.length - TAG_LEN))
    d.setAuthTag(bytes.subarray(bytes.length - TAG_LEN))
    d.final()
    expect(plain[0]).toBe(ignore ? 0x80 : 0)
    expect(toHex(plain.subarray(1))).toBe(toHex(contents))
  })
})
