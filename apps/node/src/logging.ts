/**
 * The daemon's root logger: pino, JSON lines to `debug.log` in
 * the data directory, and to stdout when `-printtoconsole` (pino-pretty on a
 * terminal, JSON otherwise). Components get children through
 * {@link NodeLogger.forComponent}, whose level honours `-debug=<category>` and
 * `-loglevel=<category>:<level>`.
 *
 * close() flushes and closes the file, so nothing is lost at exit and no
 * handle is left behind; reopen() reopens the file after log rotation (the
 * daemon calls it on SIGHUP, as bitcoind does).
 */
import { once } from 'node:events'
import type { Logger } from '@node/runtime'
import pino, { type DestinationStream, type Level, type StreamEntry } from 'pino'
import { prettyFactory } from 'pino-pretty'
import type { LogConfig, LogLevel } from './config.ts'
import { PROGRESS_FIELD } from './progress.ts'

/** Where console output goes: stdout by default. */
export interface ConsoleSink {
  write(chunk: string): unknown
  /** Pretty output when true (stdout is a terminal). */
  readonly isTTY?: boolean | undefined
}

export interface NodeLogger {
  /** The root pino logger. */
  readonly root: pino.Logger
  /**
   * The root as a {@link Logger} whose `child({ component })` is
   * {@link forComponent}: what library code (the Server and its parts) gets.
   */
  readonly logger: Logger
  /**
   * A child for one component, `{ component: name }`, at that component's
   * level. Its own `child({ component })` starts again from the root, so a
   * line names its component once (pino would repeat the key otherwise) and
   * every component gets its own level.
   */
  forComponent(name: string, bindings?: Record<string, unknown>): Logger
  /** Write out everything buffered. */
  flush(): Promise<void>
  /** Reopen the log file (after rotation). */
  reopen(): void
  /** Flush and close the file; idempotent. Logging after close is dropped. */
  close(): Promise<void>
}

const ORDER: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
const lower = (a: LogLevel, b: LogLevel): LogLevel => (ORDER.indexOf(a) <= ORDER.indexOf(b) ? a : b)

/** The level a component logs at under `log`. */
export function componentLevel(log: LogConfig, component: string): LogLevel {
  const explicit = log.categoryLevels[component]
  if (explicit) return explicit
  if (log.debugCategories.includes('all') || log.debugCategories.includes(component)) {
    return lower(log.level, 'debug')
  }
  return log.level
}

/** The lowest level any component may log at, which the root and its streams must pass. */
function floorLevel(log: LogConfig): LogLevel {
  let level = log.level
  if (log.debugCategories.length > 0) level = lower(level, 'debug')
  for (const l of Object.values(log.categoryLevels)) level = lower(level, l)
  return level
}

/** A console stream that pretty-prints pino's JSON lines synchronously (no worker, no handle). */
function prettySink(out: ConsoleSink): DestinationStream {
  // The component leads the message (`INFO: rpc: ...`) instead of a line of
  // its own; the progress line's numbers stay in JSON, so on a terminal that
  // line is its message alone.
  const pretty = prettyFactory({
    colorize: true,
    translateTime: 'SYS:standard',
    ignore: `pid,hostname,component,${PROGRESS_FIELD}`,
    messageFormat: '{if component}{component}: {end}{msg}',
  })
  return { write: (line: string) => out.write(pretty(line)) }
}

/**
 * Build the root logger. Opens the log file (creating its directory) before
 * resolving, so a bad path fails here rather than at the first log line.
 */
export async function createNodeLogger(
  log: LogConfig,
  opts: { console?: ConsoleSink | undefined } = {},
): Promise<NodeLogger> {
  const level = floorLevel(log)
  const streams: StreamEntry[] = []
  let file: ReturnType<typeof pino.destination> | undefined
  if (log.file !== null) {
    file = pino.destination({ dest: log.file, sync: false, mkdir: true, append: true })
    const f = file
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      f.once('error', onError)
      f.once('ready', () => {
        f.off('error', onError)
        resolve()
      })
    })
    streams.push({ level: level as Level, stream: file })
  }
  if (log.printToConsole) {
    const out = opts.console ?? process.stdout
    const sink: DestinationStream = out.isTTY ? prettySink(out) : { write: (line: string) => out.write(line) }
    streams.push({ level: level as Level, stream: sink })
  }
  const root = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.multistream(streams),
  )
  let closed: Promise<void> | undefined
  let fileClosed = false

  const flushFile = async (): Promise<void> => {
    if (!file || fileClosed) return
    const f = file
    await new Promise<void>((resolve) => {
      f.flush((err) => {
        void err // a failed flush is reported by the stream's 'error'; close() still proceeds
        resolve()
      })
    })
  }

  // A logger whose child({ component, ...rest }) is forComponent(component,
  // extra + rest); other children keep that behaviour. `extra` holds the
  // non-component bindings gathered so far (e.g. simnet's `node`).
  const componentAware = (l: pino.Logger, extra: Record<string, unknown>): Logger =>
    new Proxy(l, {
      get(target, prop, receiver) {
        if (prop !== 'child') return Reflect.get(target, prop, receiver) as unknown
        return (bindings: Record<string, unknown>, options?: pino.ChildLoggerOptions) => {
          const { component, ...rest } = bindings
          if (typeof component === 'string') return forComponent(component, { ...extra, ...rest })
          return componentAware(target.child(rest, options), { ...extra, ...rest })
        }
      },
    }) as unknown as Logger
  const forComponent = (name: string, bindings: Record<string, unknown> = {}): Logger => {
    const { component: _ignored, ...rest } = bindings
    return componentAware(
      root.child({ component: name, ...rest }, { level: componentLevel(log, name) }),
      rest,
    )
  }

  return {
    root,
    logger: componentAware(root, {}),
    forComponent,
    flush: flushFile,
    reopen() {
      if (file && !fileClosed) file.reopen()
    },
    close() {
      closed ??= (async () => {
        root.level = 'silent'
        if (!file || fileClosed) return
        fileClosed = true
        const f = file
        const done = once(f, 'close')
        f.end()
        await done
      })()
      return closed
    },
  }
}
