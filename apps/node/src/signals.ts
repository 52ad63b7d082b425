/**
 * Signal handling for the daemon, installed before anything starts (like
 * Core init.cpp `AppInitBasicSetup`): the first SIGINT or SIGTERM asks for an orderly stop; a second one
 * during a slow stop exits at once (state that matters is saved as it
 * changes, so this loses nothing but the remaining clean-up); SIGHUP reopens
 * the log file, as bitcoind does for log rotation.
 */
import type { Logger } from '@node/runtime'
import { silentLogger } from '@node/runtime'

export type ShutdownSignal = 'SIGINT' | 'SIGTERM'

/** What we need of `process`: on/off for signals. */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
}

export interface SignalHandlers {
  /** First SIGINT/SIGTERM. */
  onShutdown: (signal: ShutdownSignal) => void
  /** Second SIGINT/SIGTERM: exit now with the given code (128 + signal number). */
  onForceExit: (code: number, signal: ShutdownSignal) => void
  /** SIGHUP. */
  onReopen?: (() => void) | undefined
}

/** Conventional exit status for death by signal: 130 for SIGINT, 143 for SIGTERM. */
export const SIGNAL_EXIT_CODE: Readonly<Record<ShutdownSignal, number>> = Object.freeze({
  SIGINT: 130,
  SIGTERM: 143,
})

/** Install the handlers; returns a function that removes them. */
export function installSignalHandlers(
  handlers: SignalHandlers,
  opts: { source?: SignalSource | undefined; logger?: Logger | undefined } = {},
): () => void {
  const source = opts.source ?? process
  const logger = opts.logger ?? silentLogger
  let received = 0
  const onStop = (signal: NodeJS.Signals): void => {
    const sig = signal as ShutdownSignal
    received++
    if (received === 1) {
      logger.info({ signal: sig }, 'Received a shutdown signal; stopping. Send it again to exit at once.')
      handlers.onShutdown(sig)
    } else {
      logger.warn({ signal: sig }, 'Received a second shutdown signal; exiting now.')
      handlers.onForceExit(SIGNAL_EXIT_CODE[sig], sig)
    }
  }
  const onHup = (): void => {
    logger.info('Received SIGHUP; reopening the log file.')
    handlers.onReopen?.()
  }
  source.on('SIGINT', onStop)
  source.on('SIGTERM', onStop)
  if (handlers.onReopen) source.on('SIGHUP', onHup)
  return () => {
    source.off('SIGINT', onStop)
    source.off('SIGTERM', onStop)
    if (handlers.onReopen) source.off('SIGHUP', onHup)
  }
}
