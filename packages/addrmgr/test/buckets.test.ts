/**
 * Golden bucket placement (Core `AddrInfo::GetTriedBucket`/`GetNewBucket`; addrman_tests
 * caddrinfo_get_*_bucket*). Two different keys: K1 = H(int32 1) for the
 * bucket tests, K0 = uint256{1} for Core's deterministic manager.
 */
import { describe, expect, it } from 'vitest'
import { AddrMan, buildAsmap, DETERMINISTIC_KEY } from '../src/index.ts'
import { ip, keyFromInt, svc } from './helpers.ts'

const K1 = keyFromInt(1)
const K2 = keyFromInt(2)
const withKey = (key: Uint8Array, asmap?: Uint8Array): AddrMan => new AddrMan({}, { key, asmap })

/** Core's asmap test mapping: 250.0.0.0/8 → AS1000, 101.N.0.0/16 → AS N (N = 1..8). */
function coreTestAsmap(): Uint8Array {
  const v4 = (a: number, b: number): Uint8Array =>
    Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, 0, 0)
  const entries = [{ prefix: v4(250, 0), bits: 104, asn: 1000 }]
  for (let n = 1; n <= 8; n++) entries.push({ prefix: v4(101, n), bits: 112, asn: n })
  return buildAsmap(entries)
}

describe('K1 goldens without asmap (Core caddrinfo_get_*_bucket_legacy)', () => {
  it('K1 is H(int32 1)', () => {
    expect(Buffer.from(K1).toString('hex')).toBe(
      '41f758f2e5cc078d3795b4fc0cb60c2d735fa92cc020572bdc982dd2d564d11b',
    )
  })

  it('tried bucket of 250.1.1.1:8333 is 40, slot 28; the key and the port change it', () => {
    const m = withKey(K1)
    const a = svc('250.1.1.1', 8333)
    const b = m.bucketsOf(a, ip('250.1.1.1'))
    expect(b.tried).toBe(40)
    expect(b.triedSlot).toBe(28)
    expect(withKey(K2).bucketsOf(a, ip('250.1.1.1')).tried).not.toBe(40)
    const other = m.bucketsOf(svc('250.1.1.1', 9999), ip('250.1.1.1'))
    expect(other.tried).not.toBe(40)
    expect(other.tried).toBe(113) // computed with Core's formula; not a Core test vector
  })

  it('new bucket of 250.1.2.1:8333 from itself is 786, slot 55; the port does not change the bucket', () => {
    const m = withKey(K1)
    const b = m.bucketsOf(svc('250.1.2.1', 8333), ip('250.1.2.1'))
    expect(b.new).toBe(786)
    expect(b.newSlot).toBe(55)
    expect(m.bucketsOf(svc('250.1.2.1', 9999), ip('250.1.2.1')).new).toBe(786)
    // Any source in 250.1.0.0/16 gives the same bucket.
    expect(m.bucketsOf(svc('250.1.2.1', 8333), ip('250.1.77.3')).new).toBe(786)
    expect(withKey(K2).bucketsOf(svc('250.1.2.1', 8333), ip('250.1.2.1')).new).not.toBe(786)
  })

  it('one /16 spreads over exactly 8 tried buckets; 255 /16s over 160', () => {
    const m = withKey(K1)
    const same = new Set<number>()
    for (let i = 0; i < 255; i++) same.add(m.bucketsOf(svc(`250.1.1.${i}`), ip(`250.1.1.${i}`)).tried)
    expect(same.size).toBe(8)
    const diff = new Set<number>()
    for (let j = 0; j < 255; j++) diff.add(m.bucketsOf(svc(`250.${j}.1.1`), ip(`250.${j}.1.1`)).tried)
    expect(diff.size).toBe(160)
  })

  it('new buckets: one group from itself → 1 bucket; many groups, one source → ≤ 64; one address, many sources → > 64', () => {
    const m = withKey(K1)
    const one = new Set<number>()
    for (let i = 0; i < 255; i++) one.add(m.bucketsOf(svc(`250.1.1.${i}`), ip(`250.1.1.${i}`)).new)
    expect(one.size).toBe(1)
    const manyGroups = new Set<number>()
    for (let j = 0; j < 4 * 255; j++) {
      manyGroups.add(m.bucketsOf(svc(`${250 + Math.floor(j / 255)}.${j % 256}.1.1`), ip('251.4.1.1')).new)
    }
    expect(manyGroups.size).toBeLessThanOrEqual(64)
    const manySources = new Set<number>()
    for (let p = 0; p < 255; p++) manySources.add(m.bucketsOf(svc('250.1.1.1'), ip(`250.${p}.1.1`)).new)
    expect(manySources.size).toBeGreaterThan(64)
  })
})

describe('K1 goldens with Core test asmap (caddrinfo_get_tried_bucket, caddrinfo_get_new_bucket)', () => {
  const asmap = coreTestAsmap()

  it('tried bucket 236 and new bucket 795', () => {
    const m = withKey(K1, asmap)
    expect(m.bucketsOf(svc('250.1.1.1', 8333), ip('250.1.1.1')).tried).toBe(236)
    expect(m.bucketsOf(svc('250.1.2.1', 8333), ip('250.1.2.1')).new).toBe(795)
    expect(withKey(K2, asmap).bucketsOf(svc('250.1.1.1', 8333), ip('250.1.1.1')).tried).not.toBe(236)
    expect(m.bucketsOf(svc('250.1.1.1', 9999), ip('250.1.1.1')).tried).not.toBe(236)
    expect(m.bucketsOf(svc('250.1.2.1', 9999), ip('250.1.2.1')).new).toBe(795)
  })

  it('groups by AS: 101.x (8 ASes) reach more than 8 tried buckets, 250.x (one AS) exactly 8', () => {
    const m = withKey(K1, asmap)
    const b101 = new Set<number>()
    const b250 = new Set<number>()
    for (let j = 0; j < 255; j++) {
      b101.add(m.bucketsOf(svc(`101.${j}.1.1`), ip(`101.${j}.1.1`)).tried)
      b250.add(m.bucketsOf(svc(`250.${j}.1.1`), ip(`250.${j}.1.1`)).tried)
    }
    expect(b101.size).toBeGreaterThan(8)
    expect(b250.size).toBe(8)
  })

  it('new buckets by source AS', () => {
    const m = withKey(K1, asmap)
    const one = new Set<number>()
    for (let i = 0; i < 255; i++) one.add(m.bucketsOf(svc(`250.1.1.${i}`), ip(`250.1.1.${i}`)).new)
    expect(one.size).toBe(1)
    const manyGroups = new Set<number>()
    for (let j = 0; j < 4 * 255; j++) {
      manyGroups.add(m.bucketsOf(svc(`${250 + Math.floor(j / 255)}.${j % 256}.1.1`), ip('251.4.1.1')).new)
    }
    expect(manyGroups.size).toBeLessThanOrEqual(64)
    const from101 = new Set<number>()
    const from250 = new Set<number>()
    for (let p = 0; p < 255; p++) {
      from101.add(m.bucketsOf(svc('250.1.1.1'), ip(`101.${p}.1.1`)).new)
      from250.add(m.bucketsOf(svc('250.1.1.1'), ip(`250.${p}.1.1`)).new)
    }
    expect(from101.size).toBeGreaterThan(1)
    expect(from250.size).toBe(1)
  })
})

describe('K0 (Core deterministic key)', () => {
  it('gives tried 228 and new 53 for the K1 golden addresses', () => {
    const m = withKey(DETERMINISTIC_KEY as Uint8Array)
    expect(m.bucketsOf(svc('250.1.1.1', 8333), ip('250.1.1.1')).tried).toBe(228)
    expect(m.bucketsOf(svc('250.1.2.1', 8333), ip('250.1.2.1')).new).toBe(53)
  })
})
