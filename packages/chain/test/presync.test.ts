import { blockHash, networks } from '@node/wire'
import { describe, expect, it } from 'vitest'
import { HeaderChain, HeadersPresync } from '../src/index.ts'
import { headersFile } from './helpers.ts'

const mainHeaders = headersFile('mainnet-1-1111.bin')
const NOW = () => 1_800_000_000

describe('HeadersPresync on real mainnet headers', () => {
  it('presyncs 1,111 real headers, then releases the redownloaded ones in verified batches', () => {
    const ref = new HeaderChain({ network: networks.mainnet, now: NOW })
    ref.addHeaders(mainHeaders)
    const minimumWork = ref.atHeight(1050)!.chainWork
    const chain = new HeaderChain({ network: networks.mainnet, now: NOW })
    const ps = new HeadersPresync(chain.genesis, networks.mainnet, {
      minimumWork,
      commitmentPeriod: 100,
      now: NOW,
    })
    const first = ps.feed(mainHeaders.slice(0, 1000))
    expect(first).toMatchObject({ phase: 'presync', startRedownload: false, release: [] })
    const second = ps.feed(mainHeaders.slice(1000))
    expect(second.startRedownload).toBe(true)
    expect(ps.presyncHeight).toBe(1050)
    // Redownload: released only up to the last verified commitment (height 500).
    const r1 = ps.feed(mainHeaders.slice(0, 550))
    expect(r1.release).toHaveLength(500)
    const r2 = ps.feed(mainHeaders.slice(550))
    expect(r2.phase).toBe('done')
    expect(r1.release.length + r2.release.length).toBe(1111)
    chain.addHeaders([...r1.release, ...r2.release])
    expect(chain.bestHeader.height).toBe(1111)
  })

  it('rejects a header with wrong bits or a broken link during presync', () => {
    const chain = new HeaderChain({ network: networks.mainnet, now: NOW })
    const ps = new HeadersPresync(chain.genesis, networks.mainnet, { minimumWork: 1n << 200n, now: NOW })
    expect(() => ps.feed([mainHeaders[0]!, mainHeaders[2]!])).toThrow(
      expect.objectContaining({ code: 'NON_CONTINUOUS_HEADERS' }),
    )
    const ps2 = new HeadersPresync(chain.genesis, networks.mainnet, { minimumWork: 1n << 200n, now: NOW })
    expect(() => ps2.feed([{ ...mainHeaders[0]!, nonce: 1 }])).toThrow(
      expect.objectContaining({ code: 'BAD_POW' }),
    )
    expect(blockHash(mainHeaders[0]!)).toBeDefined()
  })
})
