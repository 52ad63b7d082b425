/**
 * The binary form of a batch of script checks sent to a verification worker:
 * one transferable buffer per batch instead of thousands of cloned objects.
 *
 * Per entry: u32 check index ‖ u32 flags ‖ u32 first input ‖ u32 end input ‖
 * u32 tx length ‖ tx bytes ‖ u32 spent count ‖ (u64 value ‖ u32 script
 * length ‖ script) per spent output. Little-endian.
 */
import type { SpentOutput } from './verify.ts'

export interface JobEntry {
  check: number
  flags: number
  from: number
  to: number
  tx: Uint8Array
  spent: readonly SpentOutput[]
}

export function encodeJobs(entries: readonly JobEntry[]): ArrayBuffer {
  let size = 0
  for (const e of entries) {
    size += 24 + e.tx.length
    for (const s of e.spent) size += 12 + s.script.length
  }
  const buf = new ArrayBuffer(size)
  const view = new DataView(buf)
  const bytes = new Uint8Array(buf)
  let p = 0
  for (const e of entries) {
    view.setUint32(p, e.check, true)
    view.setUint32(p + 4, e.flags, true)
    view.setUint32(p + 8, e.from, true)
    view.setUint32(p + 12, e.to, true)
    view.setUint32(p + 16, e.tx.length, true)
    p += 20
    bytes.set(e.tx, p)
    p += e.tx.length
    view.setUint32(p, e.spent.length, true)
    p += 4
    for (const s of e.spent) {
      view.setBigUint64(p, BigInt.asUintN(64, s.value), true)
      view.setUint32(p + 8, s.script.length, true)
      p += 12
      bytes.set(s.script, p)
      p += s.script.length
    }
  }
  return buf
}

export function decodeJobs(buf: ArrayBuffer): JobEntry[] {
  const view = new DataView(buf)
  const bytes = new Uint8Array(buf)
  const out: JobEntry[] = []
  let p = 0
  while (p < buf.byteLength) {
    const check = view.getUint32(p, true)
    const flags = view.getUint32(p + 4, true)
    const from = view.getUint32(p + 8, true)
    const to = view.getUint32(p + 12, true)
    const txLen = view.getUint32(p + 16, true)
    p += 20
    const tx = bytes.subarray(p, p + txLen)
    p += txLen
    const n = view.getUint32(p, true)
    p += 4
    const spent: SpentOutput[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const value = view.getBigUint64(p, true)
      const len = view.getUint32(p + 8, true)
      p += 12
      spent[i] = { value, script: bytes.subarray(p, p + len) }
      p += len
    }
    out.push({ check, flags, from, to, tx, spent })
  }
  return out
}
