import { describe, expect, it } from 'vitest'
import { Simnet } from '../src/simnet.ts'

describe('simnet', () => {
  it('starts a random graph of nodes, mines blocks that reach every node, and stops cleanly', async () => {
    const lines: string[] = []
    const sim = new Simnet({ nodes: 6, degree: 5, blockInterval: 0, print: (l) => lines.push(l) })
    try {
      await sim.start()
      const deadline = Date.now() + 20_000
      while (sim.reports().some((r) => r.outbound < 3)) {
        if (Date.now() > deadline) throw new Error('nodes did not connect')
        await new Promise((r) => setTimeout(r, 50))
      }
      for (let i = 0; i < 3; i++) {
        const r = await sim.mineOne()
        expect(r.arrivals.every((a) => a !== undefined)).toBe(true)
      }
      expect(sim.reports().every((r) => r.height === 3)).toBe(true)
      expect(sim.table()).toContain('height')
    } finally {
      await sim.stop()
    }
  }, 60_000)
})
