import { createHash } from 'node:crypto'
import {
  AddrMan,
  type AddrManInit,
  FastRandom,
  NetAddress,
  type PeerAddress,
  parseService,
  type RandomSource,
  type ServiceAddress,
} from '../src/index.ts'

/** Core's CAddress default time (TIME_INIT = 100000000, 1973): terrible by now. */
export const TIME_INIT = 100_000_000

/** A settable clock in seconds; `now()` gives milliseconds like Date.now. */
export class Clock {
  seconds: number
  constructor(seconds = 1_700_000_000) {
    this.seconds = seconds
  }
  readonly now = (): number => this.seconds * 1000
}

/** Core ResolveIP. */
export const ip = (s: string): NetAddress => NetAddress.parse(s)

/** Core ResolveService (port 0 when omitted). */
export const svc = (s: string, port = 0): ServiceAddress => ({ addr: NetAddress.parse(s), port })

/** Core CAddress(service, NODE_NONE) with a time (Core's default TIME_INIT). */
export function caddr(s: string, port = 0, time = TIME_INIT, services = 0n): PeerAddress {
  return { addr: NetAddress.parse(s), port, time, services }
}

export const fmt = (a: { addr: NetAddress; port: number } | undefined): string => {
  if (!a) return '[::]:0'
  const host = a.addr.toString()
  return a.addr.isIPv6() ? `[${host}]:${a.port}` : `${host}:${a.port}`
}

/** Core's deterministic address manager, checking consistency at Core's test ratio (1 in 100). */
export function deterministic(clock: Clock, init: AddrManInit = {}, random?: RandomSource): AddrMan {
  return AddrMan.deterministic(
    { now: clock.now, random: random ?? FastRandom.deterministic() },
    { consistencyCheckRatio: 100, ...init },
  )
}

/** Double SHA-256 of a little-endian int32 (Core `HashWriter{} << n`). */
export function keyFromInt(n: number): Uint8Array {
  const b = Buffer.alloc(4)
  b.writeInt32LE(n)
  const first = createHash('sha256').update(b).digest()
  return new Uint8Array(createHash('sha256').update(first).digest())
}

export { parseService }
