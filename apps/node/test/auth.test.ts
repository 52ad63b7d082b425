import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  Credentials,
  deleteCookie,
  generateCookie,
  parseBasicAuth,
  readCookie,
  safeEqual,
  writeCookie,
} from '../src/auth.ts'

const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`

describe('auth', () => {
  it('parses Basic auth and splits at the first colon', () => {
    expect(parseBasicAuth(basic('user:pa:ss'))).toEqual({ user: 'user', password: 'pa:ss' })
    expect(parseBasicAuth(basic('nocolon'))).toBeNull()
    expect(parseBasicAuth('Bearer abc')).toBeNull()
    expect(parseBasicAuth(undefined)).toBeNull()
  })

  it('checks credentials exactly', () => {
    const c = new Credentials('alice', 'secret')
    expect(c.check(basic('alice:secret'))).toBe(true)
    expect(c.check(basic('alice:secreT'))).toBe(false)
    expect(c.check(basic('alice:secret2'))).toBe(false)
    expect(c.check(basic('bob:secret'))).toBe(false)
    expect(c.check(undefined)).toBe(false)
    expect(safeEqual('a', 'a')).toBe(true)
    expect(safeEqual('a', 'ab')).toBe(false)
  })

  it('generates a Core-shaped cookie from the random source', () => {
    const c = generateCookie((n) => Buffer.alloc(n, 0xab))
    expect(c.user).toBe('__cookie__')
    expect(c.password).toBe('ab'.repeat(32))
    expect(generateCookie().password).toMatch(/^[0-9a-f]{64}$/)
  })

  it('writes the cookie owner-only, reads it back and deletes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'btcnode-cookie-'))
    try {
      const path = join(dir, '.cookie')
      await writeCookie(path, { user: '__cookie__', password: 'ff' })
      expect(await readFile(path, 'utf8')).toBe('__cookie__:ff')
      if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600)
      expect(await readCookie(path)).toEqual({ user: '__cookie__', password: 'ff' })
      await deleteCookie(path)
      await deleteCookie(path)
      expect(await readCookie(path)).toBeNull()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
