/**
 * JSON output for RPC results: like JSON.stringify, but a bigint is written
 * as a plain JSON number (Core returns 64-bit integers as numbers) and
 * `undefined` at the top level becomes `null`.
 */
import { randomBytes } from 'node:crypto'

const MARK = `\u0000big${randomBytes(6).toString('hex')}:`
const MARK_RE = new RegExp(`"${JSON.stringify(MARK).slice(1, -1).replace(/\\/g, '\\\\')}(-?\\d+)"`, 'g')

export function stringifyJson(value: unknown, indent?: number): string {
  // Fast path: most results have no bigint, and a replacer slows every key.
  try {
    return JSON.stringify(value === undefined ? null : value, null, indent)
  } catch (err) {
    if (!(err instanceof TypeError) || !/BigInt/i.test(err.message)) throw err
  }
  let sawBig = false
  const out = JSON.stringify(
    value === undefined ? null : value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') {
        sawBig = true
        return `${MARK}${v.toString()}`
      }
      return v
    },
    indent,
  )
  return sawBig ? out.replace(MARK_RE, '$1') : out
}
