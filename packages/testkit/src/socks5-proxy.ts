/**
 * A small SOCKS5 server (RFC 1928, RFC 1929) on loopback for tests of
 * outbound connections through a proxy (Core `-proxy`): no authentication
 * or username/password, CONNECT by any address type, then the connection is
 * piped to the destination. It records every CONNECT it sees.
 */
import net, { type Socket } from 'node:net'

export interface Socks5Request {
  /** Authentication methods the client offered. */
  methods: number[]
  username?: string
  password?: string
  /** Address type of the CONNECT (3: domain name). */
  atyp: number
  /** The destination as named (domain-name requests), else `ip`. */
  host: string
  port: number
}

export interface Socks5ProxyBehaviour {
  /** Reply code to CONNECT (default 0, success). */
  reply?: number | undefined
  /** Never answer the greeting. */
  silent?: boolean | undefined
  /** Send these bytes right after the success reply, in the same write. */
  earlyBytes?: Buffer | undefined
}

export interface Socks5Proxy {
  readonly port: number
  /** Every CONNECT request, in order. */
  readonly seen: Socks5Request[]
  /** Close the server and every connection through it. */
  close(): Promise<void>
}

/** Start the proxy on 127.0.0.1, port 0. */
export async function startSocks5Proxy(b: Socks5ProxyBehaviour = {}): Promise<Socks5Proxy> {
  const seen: Socks5Request[] = []
  const sockets = new Set<Socket>()
  const track = (s: Socket): void => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  }
  const server = net.createServer((client) => {
    track(client)
    client.on('error', () => {})
    let buf = Buffer.alloc(0)
    let stage: 'greeting' | 'auth' | 'request' | 'piped' = 'greeting'
    const req: Partial<Socks5Request> = {}
    client.on('data', (chunk: Buffer) => {
      if (stage === 'piped') return
      buf = Buffer.concat([buf, chunk])
      for (;;) {
        if (stage === 'greeting') {
          if (b.silent) return
          if (buf.length < 2 || buf.length < 2 + buf[1]!) return
          req.methods = [...buf.subarray(2, 2 + buf[1]!)]
          buf = buf.subarray(2 + buf[1]!)
          const userPass = req.methods.includes(2)
          client.write(Buffer.of(5, userPass ? 2 : 0))
          stage = userPass ? 'auth' : 'request'
        } else if (stage === 'auth') {
          if (buf.length < 2) return
          const ul = buf[1]!
          if (buf.length < 3 + ul) return
          const pl = buf[2 + ul]!
          if (buf.length < 3 + ul + pl) return
          req.username = buf.subarray(2, 2 + ul).toString()
          req.password = buf.subarray(3 + ul, 3 + ul + pl).toString()
          buf = buf.subarray(3 + ul + pl)
          client.write(Buffer.of(1, 0))
          stage = 'request'
        } else if (stage === 'request') {
          if (buf.length < 5) return
          const atyp = buf[3]!
          const len = atyp === 3 ? 1 + buf[4]! : atyp === 1 ? 4 : 16
          if (buf.length < 4 + len + 2) return
          const host = atyp === 3 ? buf.subarray(5, 5 + buf[4]!).toString() : 'ip'
          const port = buf.readUInt16BE(4 + len)
          buf = buf.subarray(4 + len + 2)
          seen.push({ ...(req as Socks5Request), atyp, host, port })
          if (b.reply) {
            client.write(Buffer.of(5, b.reply, 0, 1, 0, 0, 0, 0, 0, 0))
            client.end()
            return
          }
          const upstream = net.connect({ host, port }, () => {
            const ok = Buffer.of(5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90)
            client.write(b.earlyBytes ? Buffer.concat([ok, b.earlyBytes]) : ok)
            stage = 'piped'
            if (buf.length > 0) upstream.write(buf)
            client.pipe(upstream).pipe(client)
          })
          track(upstream)
          upstream.on('error', () => client.destroy())
          client.once('close', () => upstream.destroy())
          upstream.once('close', () => client.destroy())
          return
        } else return
      }
    })
  })
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  )
  return {
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
