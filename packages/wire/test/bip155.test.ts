import { decodePayload, encodePayload, isProtocolError } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { fixtureJson, hex, unhex } from './helpers.ts'

interface Unserialize {
  description: string
  hex: string
  result: 'ok' | 'ok_invalid' | 'throws'
  error?: string
}
const v = fixtureJson<{
  cnetaddr_v2_unserialize: Unserialize[]
  caddress_list: {
    entries: { time: number; services: number; port: number }[]
    v1_hex: string
    v2_hex: string
  }
}>('bip155.json')

// Wrap one BIP155 address (network id ‖ vec(addr)) as a one-entry addrv2 payload:
// count 1 ‖ time ‖ services 0 ‖ address ‖ port.
const wrap = (addr: string) => unhex(`01${'01000000'}00${addr}208d`)

describe('BIP155 address decoding (Core net_tests cnetaddr_unserialize_v2)', () => {
  for (const c of v.cnetaddr_v2_unserialize) {
    it(c.description, () => {
      const payload = wrap(c.hex)
      if (c.result === 'throws') {
        let caught: unknown
        try {
          decodePayload('addrv2', payload)
        } catch (err) {
          caught = err
        }
        expect(isProtocolError(caught)).toBe(true)
        if (c.error !== 'end of data') expect((caught as Error).message).toBe(c.error)
        else expect((caught as { code: string }).code).toBe('TRUNCATED')
        return
      }
      const m = decodePayload('addrv2', payload)
      const networkId = Number.parseInt(c.hex.slice(0, 2), 16)
      if (networkId >= 1 && networkId <= 6) {
        // A known network of the right size is kept; whether it is a usable
        // address (Core's IsValid) is the address manager's decision.
        expect(m.addresses).toHaveLength(1)
        expect(m.addresses[0]!.networkId).toBe(networkId)
        expect(hex(encodePayload(m))).toBe(hex(payload))
      } else {
        // Unknown networks are read and skipped (BIP155).
        expect(m.addresses).toHaveLength(0)
        expect(m.skipped).toBe(1)
      }
    })
  }
})

describe("Core's address-list payloads (netbase_tests caddress_(un)serialize)", () => {
  it('decodes and re-encodes the addr (v1) list', () => {
    const m = decodePayload('addr', unhex(v.caddress_list.v1_hex))
    expect(m.addresses.map((a) => [a.time, Number(a.services), a.port])).toEqual(
      v.caddress_list.entries.map((e) => [e.time, e.services, e.port]),
    )
    expect(m.addresses.every((a) => hex(a.ip) === '00000000000000000000000000000001')).toBe(true)
    expect(hex(encodePayload(m))).toBe(v.caddress_list.v1_hex)
  })

  it('decodes and re-encodes the addrv2 list, services as CompactSize', () => {
    const m = decodePayload('addrv2', unhex(v.caddress_list.v2_hex))
    expect(m.addresses.map((a) => [a.time, Number(a.services), a.port, a.networkId])).toEqual(
      v.caddress_list.entries.map((e) => [e.time, e.services, e.port, 2]),
    )
    expect(hex(encodePayload(m))).toBe(v.caddress_list.v2_hex)
  })
})
