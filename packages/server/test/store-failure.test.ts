/**
 * The server passes the block manager's fatal store error up to its host
 * (the daemon shuts down on it): here the blocks directory is replaced by a
 * file while the server runs, so storing the next tip fails for real (also
 * as root, where a read-only directory would not stop writes).
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { FatalStoreError } from '@node/chain'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, mine, startServer, tmpDir } from './helpers.ts'

afterEach(cleanup)

describe('store write failure', () => {
  it("emits 'fatal' once when the block store cannot write, and the block is not accepted", async () => {
    const dataDir = tmpDir()
    const server = await startServer({ dataDir })
    const fatals: FatalStoreError[] = []
    server.on('fatal', (e) => fatals.push(e))
    await mine(server, 1)
    const blocks = path.join(dataDir, 'blocks')
    renameSync(blocks, `${blocks}.moved`)
    writeFileSync(blocks, 'not a directory')
    try {
      await expect(mine(server, 1, 1)).rejects.toMatchObject({ code: 'FATAL_STORE_WRITE', errno: 'ENOTDIR' })
      expect(fatals).toHaveLength(1)
      expect(fatals[0]!.message).toMatch(/^Failed to write the chain tip \(height 2\) to the block store/)
      await expect(mine(server, 1, 2)).rejects.toBe(fatals[0])
      expect(fatals).toHaveLength(1)
    } finally {
      rmSync(blocks)
      renameSync(`${blocks}.moved`, blocks)
    }
  })
})
