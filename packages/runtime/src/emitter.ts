/**
 * A small typed event emitter. The event map is an interface from event
 * name to argument tuple; every `on()` returns its own `off`. A listener that
 * throws is reported to `onListenerError` and does not stop the others, so a
 * host's bug can never escape into a socket handler.
 */

// biome-ignore lint/suspicious/noExplicitAny: listener storage is untyped; on/emit are typed.
type AnyListener = (...args: any[]) => void

export type EventMap<T> = { [K in keyof T]: unknown[] }

export class TypedEmitter<E extends EventMap<E>> {
  // Bounded by the host's own on() calls; cleared by clearListeners().
  readonly #listeners = new Map<keyof E, Set<AnyListener>>()
  readonly #onListenerError: (err: unknown, event: keyof E) => void

  constructor(onListenerError: (err: unknown, event: keyof E) => void) {
    this.#onListenerError = onListenerError
  }

  /** Add a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (!set) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    set.add(listener as AnyListener)
    return () => this.off(event, listener)
  }

  /** Add a listener that runs once; returns a function that removes it. */
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    const wrapped = (...args: E[K]): void => {
      off()
      listener(...args)
    }
    const off = this.on(event, wrapped)
    return off
  }

  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void {
    const set = this.#listeners.get(event)
    if (!set) return
    set.delete(listener as AnyListener)
    if (set.size === 0) this.#listeners.delete(event)
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event)
    if (!set) return
    for (const listener of [...set]) {
      try {
        listener(...args)
      } catch (err) {
        this.#onListenerError(err, event)
      }
    }
  }

  /** Drop every listener: only the owner calls this, once it is closed for good. */
  clearListeners(): void {
    this.#listeners.clear()
  }
}
