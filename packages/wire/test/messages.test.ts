import {
  blockHash,
  COMMANDS,
  decodeFrame,
  decodePayload,
  encodeMessage,
  encodePayload,
  FrameDecoder,
  hashToHex,
  isProtocolError,
  type Message,
  type MessageOf,
} from '@node/wire'
import { describe, expect, it } from 'vitest'
import { golden, hex, unhex } from './helpers.ts'

const magic = unhex(golden.magic)

// The independent decoder's JSON is untyped; its keys are checked by the assertions.
// biome-ignore lint/suspicious/noExplicitAny: golden JSON
type Fields = any
const str = (v: unknown): string => String(v)

/** Compare a decoded message with the independent decoder's fields, key by key. */
function checkFields(m: Message, f: Fields): void {
  switch (m.command) {
    case 'version': {
      expect(m.version).toBe(f.version)
      expect(m.services.toString()).toBe(f.services)
      expect(m.timestamp.toString()).toBe(f.timestamp)
      expect(m.nonce.toString()).toBe(f.nonce)
      expect(m.userAgent).toBe(f.user_agent)
      expect(m.startHeight).toBe(f.start_height)
      expect(m.relay ?? null).toBe(f.relay)
      const recv = f.addr_recv as Fields
      expect(hex(m.addrRecv.ip)).toBe(recv.addr_hex)
      expect(m.addrRecv.port).toBe(recv.port)
      expect(m.addrRecv.services.toString()).toBe(recv.services)
      const from = f.addr_from as Fields
      expect(hex(m.addrFrom.ip)).toBe(from.addr_hex)
      expect(m.addrFrom.port).toBe(from.port)
      return
    }
    case 'ping':
    case 'pong':
      expect(m.nonce.toString()).toBe(f.nonce)
      return
    case 'feefilter':
      expect(m.feeRate.toString()).toBe(f.feerate)
      return
    case 'sendcmpct':
      expect(m.announce).toBe(f.announce)
      expect(m.version.toString()).toBe(f.version)
      return
    case 'addr': {
      const want = f.addresses as Fields[]
      expect(m.addresses.length).toBe(f.count)
      m.addresses.forEach((a, i) => {
        expect(a.time).toBe(want[i]!.time)
        expect(a.services.toString()).toBe(want[i]!.services)
        expect(hex(a.ip)).toBe(want[i]!.addr_hex)
        expect(a.port).toBe(want[i]!.port)
      })
      return
    }
    case 'addrv2': {
      const want = f.addresses as Fields[]
      expect(m.addresses.length).toBe(f.count)
      m.addresses.forEach((a, i) => {
        expect(a.time).toBe(want[i]!.time)
        expect(a.services.toString()).toBe(want[i]!.services)
        expect(a.networkId).toBe(want[i]!.network_id)
        expect(hex(a.addr)).toBe(want[i]!.addr_hex)
        expect(a.port).toBe(want[i]!.port)
      })
      return
    }
    case 'inv':
    case 'getdata':
    case 'notfound': {
      const want = f.inventory as Fields[]
      expect(m.inventory.length).toBe(f.count)
      m.inventory.forEach((it, i) => {
        expect(it.type).toBe(want[i]!.type)
        expect(hashToHex(it.hash)).toBe(want[i]!.hash)
      })
      return
    }
    case 'getblocks':
    case 'getheaders':
      expect(m.version).toBe(f.version)
      expect(m.locator.map(hashToHex)).toEqual(f.locator)
      expect(hashToHex(m.hashStop)).toBe(f.hash_stop)
      return
    case 'headers': {
      const want = f.headers as Fields[]
      expect(m.headers.length).toBe(f.count)
      m.headers.forEach((h, i) => {
        expect(hashToHex(blockHash(h))).toBe(want[i]!.hash)
        expect(h.version).toBe(want[i]!.version)
        expect(hashToHex(h.prevBlock)).toBe(want[i]!.prev_block)
        expect(hashToHex(h.merkleRoot)).toBe(want[i]!.merkle_root)
      })
      return
    }
    case 'block': {
      const h = f.header as Fields
      expect(hashToHex(blockHash(m.block.header))).toBe(h.hash)
      if (f.tx_count !== undefined) expect(m.block.txs.length).toBe(f.tx_count)
      return
    }
    case 'tx':
      expect(hashToHex(m.tx.txid())).toBe(f.txid)
      expect(hashToHex(m.tx.wtxid())).toBe(f.wtxid)
      expect(m.tx.hasWitness()).toBe(f.has_witness)
      expect(m.tx.size()).toBe(f.size)
      expect(m.tx.strippedSize()).toBe(f.stripped_size)
      expect(m.tx.weight()).toBe(f.weight)
      expect(m.tx.vsize()).toBe(f.vsize)
      return
    case 'reject':
      expect(m.message).toBe(f.message)
      expect(m.code).toBe(f.ccode)
      expect(m.reason).toBe(f.reason)
      expect(m.data ? hashToHex(m.data) : null).toBe(f.data)
      return
    case 'filterload':
      expect(hex(m.filter)).toBe(f.filter_hex)
      expect(m.hashFuncs).toBe(f.n_hash_funcs)
      expect(m.tweak).toBe(f.n_tweak)
      expect(m.flags).toBe(f.n_flags)
      return
    case 'filteradd':
      expect(hex(m.data)).toBe(f.data_hex)
      return
    case 'merkleblock':
      expect(hashToHex(blockHash(m.header))).toBe((f.header as Fields).hash)
      expect(m.totalTxs).toBe(f.total_transactions ?? f.total_txs ?? m.totalTxs)
      if (Array.isArray(f.hashes)) expect(m.hashes.map(hashToHex)).toEqual(f.hashes)
      return
    case 'cmpctblock':
      expect(hashToHex(blockHash(m.header))).toBe((f.header as Fields).hash)
      expect(m.nonce.toString()).toBe(str(f.nonce))
      if (Array.isArray(f.short_ids)) expect(m.shortIds.length).toBe(f.short_ids.length)
      if (Array.isArray(f.prefilled_txs)) {
        expect(m.prefilled.map((p) => p.index)).toEqual((f.prefilled_txs as Fields[]).map((p) => p.index))
      }
      return
    case 'getblocktxn':
      expect(hashToHex(m.blockHash)).toBe(f.block_hash)
      expect(m.indexes).toEqual(f.indexes)
      return
    case 'blocktxn': {
      expect(hashToHex(m.blockHash)).toBe(f.block_hash)
      const want = f.transactions as Fields[]
      expect(m.txs.map((t) => hashToHex(t.txid()))).toEqual(want.map((t) => t.txid))
      expect(m.txs.map((t) => hashToHex(t.wtxid()))).toEqual(want.map((t) => t.wtxid))
      return
    }
    case 'getcfilters':
    case 'getcfheaders':
      expect(m.filterType).toBe(f.filter_type)
      expect(m.startHeight).toBe(f.start_height)
      expect(hashToHex(m.stopHash)).toBe(f.stop_hash)
      return
    case 'cfilter':
      expect(m.filterType).toBe(f.filter_type)
      expect(hashToHex(m.blockHash)).toBe(f.block_hash)
      expect(hex(m.filter)).toBe(f.filter_hex)
      return
    case 'cfheaders':
      expect(hashToHex(m.stopHash)).toBe(f.stop_hash)
      expect(hashToHex(m.previousFilterHeader)).toBe(f.previous_filter_header)
      expect(m.filterHashes.map(hashToHex)).toEqual(f.filter_hashes)
      return
    case 'getcfcheckpt':
      expect(hashToHex(m.stopHash)).toBe(f.stop_hash)
      return
    case 'cfcheckpt':
      expect(hashToHex(m.stopHash)).toBe(f.stop_hash)
      expect(m.filterHeaders.map(hashToHex)).toEqual(f.filter_headers)
      return
    case 'verack':
    case 'sendaddrv2':
    case 'wtxidrelay':
    case 'sendheaders':
    case 'getaddr':
    case 'mempool':
    case 'filterclear':
      expect(f).toEqual({})
      return
  }
}

describe('golden frames (messages.json)', () => {
  it('covers every command we implement', () => {
    const covered = new Set(golden.vectors.map((v) => v.command))
    for (const c of COMMANDS) expect(covered.has(c), c).toBe(true)
    expect(COMMANDS.length).toBe(35)
  })

  for (const v of golden.vectors) {
    it(`${v.command}: ${v.description}`, () => {
      const frame = unhex(v.frame_hex)
      const ev = decodeFrame(magic, frame)
      expect(ev.kind).toBe('message')
      if (ev.kind !== 'message') return
      expect(ev.message.command).toBe(v.command)
      checkFields(ev.message, v.fields)
      // Round trip: decode → encode gives the same bytes, payload and frame.
      expect(hex(encodePayload(ev.message))).toBe(v.payload_hex)
      expect(hex(encodeMessage(magic, ev.message))).toBe(v.frame_hex)
      // And decode(encode(x)) gives x again.
      const again = decodePayload(ev.message.command, encodePayload(ev.message))
      expect(hex(encodePayload(again))).toBe(v.payload_hex)
    })
  }
})

describe('truncation tables (every strict prefix of a payload fails with a typed error)', () => {
  for (const v of golden.vectors) {
    const payload = unhex(v.payload_hex)
    if (payload.length === 0 || payload.length > 3000) continue
    it(`${v.command}: ${v.description}`, () => {
      for (let n = 0; n < payload.length; n++) {
        const prefix = payload.subarray(0, n)
        // version's relay byte is optional, reject's hash too: those prefixes are whole messages.
        let ok = false
        try {
          decodePayload(v.command as MessageOf<'ping'>['command'], prefix)
          ok = true
        } catch (err) {
          expect(isProtocolError(err), `prefix ${n}: ${String(err)}`).toBe(true)
        }
        if (ok) expect(['version', 'reject']).toContain(v.command)
      }
    })
  }
})

describe('invalid golden frames', () => {
  const expected: Record<string, { code: string; severity: string }> = {
    bad_magic: { code: 'BAD_MAGIC', severity: 'disconnect' },
    bad_checksum: { code: 'BAD_CHECKSUM', severity: 'ignore' },
    oversized: { code: 'PAYLOAD_TOO_LARGE', severity: 'disconnect' },
    truncated: { code: 'TRUNCATED_FRAME', severity: 'disconnect' },
    // A payload that does not deserialize costs Core only the message (ProcessMessages catches it).
    noncanonical_compactsize: { code: 'NON_CANONICAL_COMPACT_SIZE', severity: 'ignore' },
    trailing_bytes: { code: 'TRAILING_BYTES', severity: 'ignore' },
    bad_command: { code: 'BAD_COMMAND', severity: 'ignore' },
    bad_addrv2_length: { code: 'BAD_ADDRESS_LENGTH', severity: 'ignore' },
    addrv2_addr_too_long: { code: 'BAD_ADDRESS_LENGTH', severity: 'ignore' },
    inv_count_too_large: { code: 'TOO_MANY_ENTRIES', severity: 'discourage' },
  }
  for (const v of golden.invalid) {
    it(`${v.error}: ${v.description}`, () => {
      const want = expected[v.error]
      expect(want, `no expectation for ${v.error}`).toBeDefined()
      let caught: unknown
      try {
        decodeFrame(magic, unhex(v.frame_hex))
      } catch (err) {
        caught = err
      }
      expect(isProtocolError(caught)).toBe(true)
      expect((caught as { code: string }).code).toBe(want!.code)
      expect((caught as { severity: string }).severity).toBe(want!.severity)
      if (v.error === 'bad_addrv2_length')
        expect(String(caught)).toContain('BIP155 TORv3 address with length 31 (should be 32)')
      if (v.error === 'addrv2_addr_too_long') expect(String(caught)).toContain('Address too long: 513 > 512')
    })
  }

  it('the streaming decoder rejects an oversized frame on its header alone', () => {
    const v = golden.invalid.find((x) => x.error === 'oversized')!
    const d = new FrameDecoder({ magic })
    const events = d.push(unhex(v.frame_hex))
    expect(events).toHaveLength(1)
    expect(events[0]!.kind).toBe('error')
    expect(d.failed?.code).toBe('PAYLOAD_TOO_LARGE')
    expect(d.buffered).toBe(0)
  })

  it('the streaming decoder waits on a truncated frame instead of accepting it', () => {
    const v = golden.invalid.find((x) => x.error === 'truncated')!
    const d = new FrameDecoder({ magic })
    expect(d.push(unhex(v.frame_hex))).toEqual([])
    expect(d.partial).toBe(true)
  })
})
