import { describe, expect, it } from 'vitest'
import { TypedEmitter } from '../src/index.ts'

interface Events {
  data: [n: number, label: string]
  done: []
}

describe('TypedEmitter', () => {
  it('calls listeners in order with the arguments; on() returns its off', () => {
    const e = new TypedEmitter<Events>(() => {})
    const got: string[] = []
    const off = e.on('data', (n, label) => got.push(`a${n}${label}`))
    e.on('data', (n) => got.push(`b${n}`))
    e.emit('data', 1, 'x')
    off()
    e.emit('data', 2, 'y')
    expect(got).toEqual(['a1x', 'b1', 'b2'])
    expect(e.listenerCount('data')).toBe(1)
  })

  it('once() runs a listener once; off() and clearListeners() remove listeners', () => {
    const e = new TypedEmitter<Events>(() => {})
    let once = 0
    let kept = 0
    e.once('done', () => once++)
    const fn = () => kept++
    e.on('done', fn)
    e.emit('done')
    e.emit('done')
    expect([once, kept]).toEqual([1, 2])
    e.off('done', fn)
    expect(e.listenerCount('done')).toBe(0)
    e.on('done', fn)
    e.clearListeners()
    e.emit('done')
    expect(kept).toBe(2)
  })

  it('a throwing listener is reported and does not stop the others', () => {
    const errors: [unknown, string][] = []
    const e = new TypedEmitter<Events>((err, event) => errors.push([err, String(event)]))
    let after = 0
    const boom = new Error('boom')
    e.on('done', () => {
      throw boom
    })
    e.on('done', () => after++)
    e.emit('done')
    expect(after).toBe(1)
    expect(errors).toEqual([[boom, 'done']])
  })
})
