/**
 * RPC authentication as bitcoind does it: HTTP Basic auth checked against
 * either `-rpcuser`/`-rpcpassword` or a random cookie `__cookie__:<64 hex>`
 * that the server writes to `.cookie` in the data directory at start (mode
 * 0600, via a temporary file and rename) and deletes at stop. Comparison is
 * constant-time: both sides are hashed to 32 bytes and compared with
 * `timingSafeEqual`, so neither length nor content leaks through timing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { COOKIE_SIZE, COOKIE_USER } from './constants.ts'

/** `user:password` from an `Authorization: Basic ...` header, or null if it is not one. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (!header) return null
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/.exec(header)
  if (!m?.[1]) return null
  const decoded = Buffer.from(m[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return null
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/** Constant-time string equality. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}

/** Checks credentials against one accepted `user:password`. */
export class Credentials {
  readonly #userColonPass: string
  constructor(user: string, password: string) {
    this.#userColonPass = `${user}:${password}`
  }

  /** Whether the Authorization header carries exactly these credentials. */
  check(header: string | undefined): boolean {
    const auth = parseBasicAuth(header)
    if (!auth) return false
    return safeEqual(`${auth.user}:${auth.password}`, this.#userColonPass)
  }
}

/** A fresh cookie: user `__cookie__` and 32 random bytes in hex (Core's `GenerateAuthCookie`). */
export function generateCookie(random: (n: number) => Buffer = randomBytes): {
  user: string
  password: string
} {
  return { user: COOKIE_USER, password: random(COOKIE_SIZE).toString('hex') }
}

/** Write `user:password` to `path` atomically, readable by the owner only. */
export async function writeCookie(path: string, cookie: { user: string; password: string }): Promise<void> {
  const tmp = `${path}.tmp`
  await writeFile(tmp, `${cookie.user}:${cookie.password}`, { mode: 0o600 })
  await rename(tmp, path)
}

/** Delete the cookie file; a missing file is fine. */
export async function deleteCookie(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

/** Read a cookie file as bitcoin-cli does: the first line, `user:password`. */
export async function readCookie(path: string): Promise<{ user: string; password: string } | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return null
  }
  const line = text.split(/\r?\n/)[0] ?? ''
  const colon = line.indexOf(':')
  if (colon === -1) return null
  return { user: line.slice(0, colon), password: line.slice(colon + 1) }
}
