/**
 * The outgoing queue of one peer: three FIFO lanes by priority, so small
 * control messages never wait behind big data. Frames cannot interleave on
 * the wire, so a ping still waits for the frame being written, but never for
 * the blocks queued after it.
 *
 * The queue only holds messages; the peer moves them to the socket while the
 * socket's own buffer is below a small high-water mark, and enforces the byte
 * cap on both together.
 */
import type { Command } from '@node/wire'

export const Priority = {
  /** Handshake, ping/pong, feature negotiation. */
  CONTROL: 0,
  /** Announcements and requests: inv, getdata, headers, addr... */
  NORMAL: 1,
  /** Block and transaction data. */
  BULK: 2,
} as const
export type PriorityValue = (typeof Priority)[keyof typeof Priority]

const BULK_COMMANDS: ReadonlySet<string> = new Set<Command>([
  'block',
  'tx',
  'cmpctblock',
  'blocktxn',
  'merkleblock',
  'cfilter',
])
const CONTROL_COMMANDS: ReadonlySet<string> = new Set<Command>([
  'version',
  'verack',
  'wtxidrelay',
  'sendaddrv2',
  'sendheaders',
  'sendcmpct',
  'feefilter',
  'ping',
  'pong',
  'getaddr',
  'mempool',
  'filterload',
  'filteradd',
  'filterclear',
  'reject',
])

/** The lane a command travels in. */
export function priorityOf(command: string): PriorityValue {
  if (BULK_COMMANDS.has(command)) return Priority.BULK
  if (CONTROL_COMMANDS.has(command)) return Priority.CONTROL
  return Priority.NORMAL
}

export interface Outgoing {
  readonly command: string
  readonly payload: Uint8Array
  /** Frame size: 24-byte header plus payload. */
  readonly size: number
}

/** A FIFO with O(1) shift (an array and a head index, compacted now and then). */
export class Fifo<T> {
  #items: T[] = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  push(item: T): void {
    this.#items.push(item)
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head] = undefined as T
    this.#head++
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  clear(): void {
    this.#items = []
    this.#head = 0
  }
}

export class SendQueue {
  readonly #lanes = [new Fifo<Outgoing>(), new Fifo<Outgoing>(), new Fifo<Outgoing>()] as const
  #bytes = 0

  /** Bytes of the frames waiting (headers included). */
  get bytes(): number {
    return this.#bytes
  }

  get length(): number {
    return this.#lanes[0].length + this.#lanes[1].length + this.#lanes[2].length
  }

  push(item: Outgoing, priority: PriorityValue = priorityOf(item.command)): void {
    this.#lanes[priority].push(item)
    this.#bytes += item.size
  }

  /** The next frame to write: the oldest of the highest-priority non-empty lane. */
  shift(): Outgoing | undefined {
    for (const lane of this.#lanes) {
      const item = lane.shift()
      if (item) {
        this.#bytes -= item.size
        return item
      }
    }
    return undefined
  }

  clear(): void {
    for (const lane of this.#lanes) lane.clear()
    this.#bytes = 0
  }
}
