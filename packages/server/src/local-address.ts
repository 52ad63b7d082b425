/**
 * Our own addresses, as Core's net.cpp keeps them for `GetLocal` and
 * `AdvertiseLocal`: those given with -externalip first, then (with
 * -discover, the default) the routable addresses of our network interfaces
 * (Core `Discover`), all on the port we listen on.
 */
import { networkInterfaces } from 'node:os'
import { NetAddress, parseService, type ServiceAddress, serviceKey } from '@node/addrmgr'
import type { Logger } from '@node/runtime'

export interface LocalAddressOptions {
  /** The port we listen on. */
  port: number
  /** Core -externalip: `host` or `host:port`. */
  externalIp?: readonly string[] | undefined
  /** Core -discover (default true). */
  discover?: boolean | undefined
}

/** Our routable addresses, best first, without repeats. */
export function localAddresses(opts: LocalAddressOptions, log: Logger): ServiceAddress[] {
  const out: ServiceAddress[] = []
  const seen = new Set<string>()
  const push = (s: ServiceAddress) => {
    const k = serviceKey(s.addr, s.port)
    if (!seen.has(k) && s.addr.isRoutable()) {
      seen.add(k)
      out.push(s)
    }
  }
  for (const x of opts.externalIp ?? []) {
    try {
      push(parseService(x, opts.port))
    } catch {
      log.warn({ externalIp: x }, 'Ignoring an unparsable external address.')
    }
  }
  if (opts.discover ?? true) {
    for (const list of Object.values(networkInterfaces())) {
      for (const i of list ?? []) {
        const a = NetAddress.tryParse(i.address)
        if (a) push({ addr: a, port: opts.port })
      }
    }
  }
  return out
}
