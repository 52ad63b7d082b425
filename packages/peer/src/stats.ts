/**
 * Per-command traffic counters, bounded: one bucket per command we know and
 * one for everything else (Core's `*other*`), so a peer inventing commands
 * cannot grow the map.
 */
import { isKnownCommand } from '@node/wire'
import { OTHER_COMMAND } from './constants.ts'

export interface CommandCounter {
  messages: number
  bytes: number
}

export class TrafficCounters {
  // At most one entry per known command plus OTHER_COMMAND.
  readonly #byCommand = new Map<string, CommandCounter>()
  messages = 0
  bytes = 0

  count(command: string | undefined, bytes: number): void {
    const key = command !== undefined && isKnownCommand(command) ? command : OTHER_COMMAND
    let c = this.#byCommand.get(key)
    if (!c) {
      c = { messages: 0, bytes: 0 }
      this.#byCommand.set(key, c)
    }
    c.messages++
    c.bytes += bytes
    this.messages++
  }

  /** Count raw bytes on the socket (totals include partial and broken frames). */
  addBytes(bytes: number): void {
    this.bytes += bytes
  }

  snapshot(): Record<string, Readonly<CommandCounter>> {
    const out: Record<string, CommandCounter> = {}
    for (const [k, v] of this.#byCommand) out[k] = { messages: v.messages, bytes: v.bytes }
    return out
  }
}
