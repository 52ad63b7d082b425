/**
 * Which SOCKS5 proxy an outbound connection goes through (Core init.cpp
 * `-proxy`, `-onion`, `-proxyrandomize`; netbase.cpp `GetProxy`,
 * `ConnectThroughProxy`):
 * - `-proxy` serves IPv4, IPv6 and Tor; `-onion` overrides it for Tor;
 * - with a proxy for a network, every connection to it goes through the
 *   proxy (no direct dial), the destination named to the proxy;
 * - with `-proxyrandomize` (default) every connection gets its own
 *   credentials, a counter as in Core, so Tor isolates each stream.
 */
import { type NetAddress, Network, splitHostPort } from '@node/addrmgr'
import type { ProxyInit } from '@node/peer'
import { InvalidPolicyOptionError } from './errors.ts'

/** Core's default proxy port (Tor's SOCKS port). */
export const DEFAULT_PROXY_PORT = 9050

export interface ProxyEndpoint {
  readonly host: string
  readonly port: number
}

/** Parse `host[:port]`, the port defaulting to 9050, or throw {@link InvalidPolicyOptionError}. */
export function parseProxy(option: string, text: string): ProxyEndpoint {
  const hp = splitHostPort(text.trim(), DEFAULT_PROXY_PORT)
  if (!hp.valid || hp.host === '' || hp.port === 0) {
    throw new InvalidPolicyOptionError(option, `is not a proxy address (host:port): ${JSON.stringify(text)}`)
  }
  return { host: hp.host, port: hp.port }
}

export interface ProxyPolicyInit {
  proxy?: string | undefined
  onionProxy?: string | false | undefined
  randomize: boolean
}

export class ProxyPolicy {
  readonly #proxy: ProxyEndpoint | undefined
  readonly #onion: ProxyEndpoint | undefined
  readonly #randomize: boolean
  #counter = 0

  constructor(init: ProxyPolicyInit) {
    this.#proxy = init.proxy === undefined ? undefined : parseProxy('proxy', init.proxy)
    const onion = init.onionProxy
    this.#onion =
      onion === undefined ? this.#proxy : onion === false ? undefined : parseProxy('onionProxy', onion)
    this.#randomize = init.randomize
  }

  /** Any proxy is configured. */
  get enabled(): boolean {
    return this.#proxy !== undefined || this.#onion !== undefined
  }

  /** The proxy for a connection to this address, with fresh credentials if randomized; undefined: dial directly. */
  forAddress(addr: NetAddress): ProxyInit | undefined {
    const p = addr.net === Network.ONION ? this.#onion : this.#proxy
    if (!p) return undefined
    if (!this.#randomize) return { host: p.host, port: p.port }
    const n = String(this.#counter++)
    return { host: p.host, port: p.port, credentials: { username: n, password: n } }
  }
}
