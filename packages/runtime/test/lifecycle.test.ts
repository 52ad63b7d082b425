import { describe, expect, it } from 'vitest'
import { AbortError, Service, sleep, startInOrder, stopInReverse, timeoutSignal } from '../src/index.ts'

class Part extends Service {
  readonly log: string[]
  readonly id: string
  readonly fail: boolean
  readonly startMs: number
  constructor(id: string, log: string[], fail = false, startMs = 0) {
    super()
    this.id = id
    this.log = log
    this.fail = fail
    this.startMs = startMs
  }
  protected async onStart(signal: AbortSignal): Promise<void> {
    this.log.push(`start ${this.id}`)
    if (this.startMs) await sleep(this.startMs, signal)
    if (this.fail) throw new Error(`${this.id} failed`)
  }
  protected async onStop(): Promise<void> {
    this.log.push(`stop ${this.id}`)
  }
}

describe('Service lifecycle', () => {
  it('starts once and stops once however often it is called', async () => {
    const log: string[] = []
    const p = new Part('a', log)
    expect(log).toEqual([])
    await Promise.all([p.start(), p.start()])
    await p.start()
    expect(p.status).toBe('started')
    await Promise.all([p.stop(), p.stop()])
    await p.stop()
    expect(p.status).toBe('stopped')
    expect(log).toEqual(['start a', 'stop a'])
  })

  it('stop before start does nothing', async () => {
    const log: string[] = []
    await new Part('a', log).stop()
    expect(log).toEqual([])
  })

  it('stop during a slow start aborts the start and undoes it', async () => {
    const log: string[] = []
    const p = new Part('a', log, false, 10_000)
    const started = p.start()
    const stopped = p.stop()
    await expect(started).rejects.toBeInstanceOf(AbortError)
    await stopped
    expect(p.status).toBe('stopped')
    expect(log).toEqual(['start a', 'stop a'])
  })

  it('startInOrder stops the started parts in reverse when one fails', async () => {
    const log: string[] = []
    const parts = [new Part('a', log), new Part('b', log), new Part('c', log, true)]
    await expect(startInOrder(parts)).rejects.toThrow('c failed')
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
  })

  it('stopInReverse stops in reverse order and bounds a hung part', async () => {
    const log: string[] = []
    const hung = {
      status: 'started' as const,
      start: async () => {},
      stop: () => new Promise<void>(() => {}),
    }
    const a = new Part('a', log)
    await a.start()
    const late = await stopInReverse([a, hung], 50)
    expect(late).toEqual([hung])
    expect(log).toEqual(['start a', 'stop a'])
  })

  it('timeoutSignal aborts after its delay and clear() leaves no timer', async () => {
    const t = timeoutSignal(10)
    await sleep(30)
    expect(t.signal.aborted).toBe(true)
    t.clear()
    const parent = new AbortController()
    const u = timeoutSignal(60_000, parent.signal)
    parent.abort()
    expect(u.signal.aborted).toBe(true)
    u.clear()
  })
})
