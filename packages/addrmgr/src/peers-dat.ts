/**
 * Bitcoin Core's peers.dat (Core addrdb.cpp `SerializeDB`): the network magic, the
 * address-manager stream (`AddrManImpl::Serialize`, format 4, BIP155 addresses), and a double SHA-256
 * of everything before it. A file Core wrote loads here and ours loads in
 * Core. Also the import of btcd's peers.json.
 */
import { createHash } from 'node:crypto'
import { AddrMan, type AddrManComponents, type AddrManInit } from './addrman.ts'
import {
  PeersFileChecksumError,
  PeersFileCorruptError,
  PeersFileError,
  PeersFileMagicError,
  PeersFileTruncatedError,
  PeersJsonError,
} from './errors.ts'
import { NetAddress, parseService } from './netaddress.ts'
import { Reader, Writer } from './serialize.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function sha256d(data: Uint8Array): Uint8Array {
  const first = createHash('sha256').update(data).digest()
  return new Uint8Array(createHash('sha256').update(first).digest())
}

/** Serialize the manager as a complete peers.dat file for the network with this magic. */
export function serializePeersDat(addrman: AddrMan, magic: Uint8Array): Uint8Array {
  if (magic.length !== 4) throw new RangeError('The network magic has 4 bytes.')
  const w = new Writer(64 * 1024)
  w.bytes(magic)
  addrman.writeTo(w)
  const body = w.view()
  const sum = sha256d(body)
  const out = new Uint8Array(body.length + 32)
  out.set(body)
  out.set(sum, body.length)
  return out
}

/** What loading a file dropped, as Core logs it. */
export interface LoadReport {
  lostNew: number
  lostTried: number
  /** The bucket count or asmap changed, so new entries were re-bucketed by their source. */
  rebucketed: boolean
}

/**
 * Parse a peers.dat file into a new manager. Throws a PeersFileError
 * subclass: PeersFileMagicError (another network's file or not a peers
 * file), PeersFileTruncatedError, PeersFileVersionError,
 * PeersFileCorruptError or PeersFileChecksumError.
 */
export function deserializePeersDat(
  data: Uint8Array,
  magic: Uint8Array,
  components: AddrManComponents = {},
  init: AddrManInit = {},
): { addrman: AddrMan; report: LoadReport } {
  if (data.length < 4) throw new PeersFileTruncatedError('network magic', 0)
  const fileMagic = data.subarray(0, 4)
  if (hex(fileMagic) !== hex(magic)) throw new PeersFileMagicError(hex(fileMagic), hex(magic))
  // A placeholder key; readFrom() replaces it with the file's.
  const addrman = new AddrMan(components, { ...init, key: new Uint8Array(32).fill(1) })
  const r = new Reader(data, 4)
  let report: LoadReport
  try {
    report = addrman.readFrom(r)
  } catch (err) {
    if (err instanceof PeersFileError) throw err
    throw new PeersFileCorruptError((err as Error).message, { cause: err })
  }
  const end = r.pos
  const stored = r.bytes(32, 'checksum')
  const actual = sha256d(data.subarray(0, end))
  if (hex(stored) !== hex(actual)) throw new PeersFileChecksumError()
  return { addrman, report }
}

// --- btcd peers.json ---------------------------------------------------------------

/** btcd writes a zero time as Go's zero time.Time in Unix seconds. */
const GO_ZERO_TIME = -62135596800

interface BtcdAddress {
  Addr: string
  Src: string
  Attempts?: number
  TimeStamp?: number
  LastAttempt?: number
  LastSuccess?: number
  Services?: number
  SrcServices?: number
}

interface BtcdPeers {
  Version: number
  Key?: number[]
  Addresses: BtcdAddress[] | null
  NewBuckets?: string[][] | null
  TriedBuckets?: string[][] | null
}

/** What an import did. */
export interface ImportReport {
  /** Entries in the file. */
  total: number
  /** Entries now in the manager (new or tried). */
  imported: number
  /** Entries btcd had in its tried table that are in ours too. */
  tried: number
  /** Entries skipped: unparsable or unroutable addresses, or collisions. */
  skipped: number
}

const seconds = (v: number | undefined): number =>
  v === undefined || v === GO_ZERO_TIME || v < 0 ? 0 : Math.floor(v)

/**
 * Import btcd's peers.json (versions 1 and 2) into `addrman`. btcd's bucket
 * placement cannot be reused (other hashing, 64 tried buckets), so each
 * address is added again through Core's formulas from its recorded source,
 * keeping its times, services and attempt count; addresses btcd had in its
 * tried table are moved to tried when their slot is free. v1 files have no
 * services; entries default to NODE_NETWORK, as btcd does.
 */
export function importBtcdPeers(addrman: AddrMan, json: string | unknown): ImportReport {
  let doc: BtcdPeers
  try {
    doc = (typeof json === 'string' ? JSON.parse(json) : json) as BtcdPeers
  } catch (err) {
    throw new PeersJsonError('it is not JSON', { cause: err })
  }
  if (typeof doc !== 'object' || doc === null) throw new PeersJsonError('the document is not an object')
  if (doc.Version !== 1 && doc.Version !== 2)
    throw new PeersJsonError(`unknown version ${String(doc.Version)}`)
  if (doc.Addresses !== null && !Array.isArray(doc.Addresses))
    throw new PeersJsonError('"Addresses" is not a list')
  const triedKeys = new Set<string>()
  for (const bucket of doc.TriedBuckets ?? []) for (const k of bucket ?? []) triedKeys.add(k)
  const report: ImportReport = { total: 0, imported: 0, tried: 0, skipped: 0 }
  for (const e of doc.Addresses ?? []) {
    report.total++
    if (typeof e?.Addr !== 'string' || typeof e.Src !== 'string') {
      report.skipped++
      continue
    }
    let target: ReturnType<typeof parseService>
    let source: NetAddress
    try {
      target = parseService(e.Addr, 0)
      const src = NetAddress.tryParse(e.Src) ?? parseService(e.Src, 0).addr
      source = src
    } catch {
      report.skipped++
      continue
    }
    const services = doc.Version === 1 ? 1n : BigInt(Math.max(0, Math.floor(e.Services ?? 0)))
    const placed = addrman.restoreEntry({
      addr: target.addr,
      port: target.port,
      services,
      time: seconds(e.TimeStamp),
      source,
      lastTry: seconds(e.LastAttempt),
      lastSuccess: seconds(e.LastSuccess),
      attempts: Math.max(0, Math.floor(e.Attempts ?? 0)),
      tried: triedKeys.has(e.Addr),
    })
    if (placed === 'skipped') report.skipped++
    else {
      report.imported++
      if (placed === 'tried') report.tried++
    }
  }
  return report
}
