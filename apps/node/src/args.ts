/**
 * bitcoind-style option parsing, shared by the daemon and node-cli.
 *
 * The rules follow Core's `ArgsManager`:
 * - `-flag` and `--flag` are the same; `-flag=value` sets a value; a bare
 *   `-flag` sets the empty value, which a boolean reads as true (1);
 * - `-noflag` negates (`-noflag=0` is a double negative and means `-flag=1`);
 * - on the command line the last value of a single-valued option wins; in the
 *   config file the first one does (Core keeps that for compatibility);
 * - list options collect every value from every source, highest priority
 *   first, until a source negates the option: then that source's values after
 *   its last negation are kept and lower sources are ignored;
 * - in the config file an option in a `[section]` applies only to that
 *   network; an option marked network-only in the default section applies
 *   only to mainnet, and elsewhere is reported as a warning, as in Core.
 *
 * Like bitcoind, unknown options are errors in the config file as well as on
 * the command line (node-cli, like bitcoin-cli, ignores the daemon's keys in
 * the shared file). Unlike bitcoind, malformed values (such as `-port=abc` or
 * `-listen=yes`) are errors too, rather than read as 0. Every error is a
 * {@link ConfigError} that says where the bad value came from.
 */
import { ConfigError } from './errors.ts'

export type OptionKind = 'bool' | 'int' | 'string' | 'list'

export interface OptionSpec {
  /** Name without the leading dash. */
  readonly name: string
  readonly kind: OptionKind
  /** Placeholder in help, e.g. `<port>`. */
  readonly value?: string | undefined
  readonly help: string
  readonly category: string
  /** Core's NETWORK_ONLY: in the config file's default section it applies to mainnet only. */
  readonly networkOnly?: boolean | undefined
  /** Only valid on the command line (e.g. `-conf`, `-help`). */
  readonly cliOnly?: boolean | undefined
  /** Whether `-noname` is allowed; defaults to true for bool and list options. */
  readonly negatable?: boolean | undefined
  /** Other spellings (without dash), e.g. `?` and `h` for help. */
  readonly aliases?: readonly string[] | undefined
  readonly min?: number | undefined
  readonly max?: number | undefined
}

export type SettingSource = 'cli' | 'conf'

export interface RawSetting {
  readonly name: string
  /** `null` for a bare flag or a negation. */
  readonly value: string | null
  readonly negated: boolean
  readonly source: SettingSource
  /** Config file section (`regtest`, `test`, ...), null for the default section and the command line. */
  readonly section: string | null
  /** Where it came from, for error messages: `command line` or `file:line`. */
  readonly where: string
}

export type OptionTable = ReadonlyMap<string, OptionSpec>

/** Index a list of specs by name and alias. */
export function optionTable(specs: readonly OptionSpec[]): OptionTable {
  const map = new Map<string, OptionSpec>()
  for (const spec of specs) {
    map.set(spec.name, spec)
    for (const alias of spec.aliases ?? []) map.set(alias, spec)
  }
  return map
}

function negatable(spec: OptionSpec): boolean {
  return spec.negatable ?? (spec.kind === 'bool' || spec.kind === 'list')
}

/**
 * Core's InterpretBool for a raw value: empty means true, otherwise an
 * integer, non-zero meaning true. Anything else is malformed.
 */
export function interpretBool(value: string | null, label: string, where: string): boolean {
  if (value === null || value === '') return true
  if (/^[+-]?\d+$/.test(value)) return Number(value) !== 0
  throw new ConfigError(`Invalid value for ${label} in ${where}: "${value}" (expected 0 or 1).`)
}

/** Resolve `key` (without dash) to its spec and whether it is a negation. */
function lookup(
  key: string,
  table: OptionTable,
  unknown: (key: string) => never,
): { spec: OptionSpec; negated: boolean } {
  const direct = table.get(key)
  if (direct) return { spec: direct, negated: false }
  if (key.startsWith('no')) {
    const spec = table.get(key.slice(2))
    if (spec) return { spec, negated: true }
  }
  return unknown(key)
}

function makeSetting(
  spec: OptionSpec,
  negatedKey: boolean,
  value: string | null,
  source: SettingSource,
  section: string | null,
  where: string,
  shown: string,
): RawSetting {
  if (negatedKey) {
    if (!negatable(spec)) {
      throw new ConfigError(`Negating of -${spec.name} is meaningless and therefore forbidden (${where}).`)
    }
    // -nofoo=0 is a double negative: Core reads it as -foo=1.
    if (!interpretBool(value, shown, where)) {
      return { name: spec.name, value: '1', negated: false, source, section, where }
    }
    return { name: spec.name, value: null, negated: true, source, section, where }
  }
  return { name: spec.name, value, negated: false, source, section, where }
}

/**
 * Parse command-line arguments. Every argument must be an option; the first
 * that is not one is an error unless `positional` is set, in which case it and
 * everything after it are returned as positional (bitcoin-cli's method and
 * parameters).
 */
export function parseArgv(
  argv: readonly string[],
  table: OptionTable,
  opts: { program: string; positional?: boolean | undefined },
): { settings: RawSetting[]; positional: string[] } {
  const settings: RawSetting[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      if (opts.positional) return { settings, positional: argv.slice(i) }
      throw new ConfigError(
        `Command line contains unexpected token "${arg}", see ${opts.program} -help for a list of options.`,
      )
    }
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1)
    const eq = body.indexOf('=')
    const key = eq === -1 ? body : body.slice(0, eq)
    const value = eq === -1 ? null : body.slice(eq + 1)
    if (key.includes('.')) {
      throw new ConfigError(
        `Invalid parameter -${key}: section prefixes such as "regtest." are only valid in the config file.`,
      )
    }
    const { spec, negated } = lookup(key, table, (k) => {
      throw new ConfigError(`Invalid parameter -${k}, see ${opts.program} -help for a list of options.`)
    })
    settings.push(makeSetting(spec, negated, value, 'cli', null, 'command line', `-${key}`))
  }
  return { settings, positional: [] }
}

/** Config file sections Core knows; `test` is testnet3's. */
export const CONF_SECTIONS: readonly string[] = ['main', 'test', 'testnet4', 'signet', 'regtest']

/**
 * Parse a config file in bitcoin.conf syntax: `key=value` lines, `#` comments
 * (to the end of the line), `[section]` headers and `section.key=value`.
 * Returns the settings and warnings (unknown sections, as Core warns).
 */
export function parseConfFile(
  text: string,
  path: string,
  table: OptionTable,
  opts: { ignoreUnknown?: boolean | undefined } = {},
): { settings: RawSetting[]; warnings: string[] } {
  const settings: RawSetting[] = []
  const warnings: string[] = []
  let section: string | null = null
  const lines = text.split(/\r?\n/)
  for (let n = 0; n < lines.length; n++) {
    const where = `${path}:${n + 1}`
    let line = lines[n] as string
    const hash = line.indexOf('#')
    const usedHash = hash !== -1
    if (usedHash) line = line.slice(0, hash)
    line = line.trim()
    if (line === '') continue
    if (line.startsWith('[') && line.endsWith(']')) {
      section = line.slice(1, -1).trim()
      if (!CONF_SECTIONS.includes(section)) {
        warnings.push(`Section [${section}] is not recognized (${where}).`)
      }
      continue
    }
    if (line.startsWith('-')) {
      throw new ConfigError(
        `Error reading configuration file ${where}: "${line}": options in the configuration file must be specified without a leading -.`,
      )
    }
    const eq = line.indexOf('=')
    if (eq === -1) {
      const hint = line.startsWith('no')
        ? `; if you intended to specify a negated option, use ${line.slice(2)}=1 instead`
        : ''
      throw new ConfigError(`Error reading configuration file ${where}: parse error on "${line}"${hint}.`)
    }
    let key = line.slice(0, eq).trim()
    const value = line.slice(eq + 1).trim()
    let keySection = section
    const dot = key.lastIndexOf('.')
    if (dot !== -1) {
      keySection = key.slice(0, dot)
      key = key.slice(dot + 1)
      if (!CONF_SECTIONS.includes(keySection)) {
        warnings.push(`Section [${keySection}] is not recognized (${where}).`)
      }
    }
    if (usedHash && key.includes('rpcpassword')) {
      throw new ConfigError(
        `Error reading configuration file ${where}: using # in rpcpassword can be ambiguous and should be avoided.`,
      )
    }
    const known = table.has(key) || (key.startsWith('no') && table.has(key.slice(2)))
    if (!known && opts.ignoreUnknown) continue
    const { spec, negated } = lookup(key, table, (k) => {
      throw new ConfigError(`Error reading configuration file ${where}: invalid configuration value ${k}.`)
    })
    if (spec.cliOnly) {
      throw new ConfigError(
        `Error reading configuration file ${where}: ${spec.name} can only be set on the command line.`,
      )
    }
    settings.push(makeSetting(spec, negated, value, 'conf', keySection, where, key))
  }
  return { settings, warnings }
}

/**
 * The merged view of command line and config file for one network section,
 * with Core's precedence. Typed getters throw {@link ConfigError} for bad values.
 */
export class Settings {
  readonly #table: OptionTable
  readonly #cli: readonly RawSetting[]
  readonly #conf: readonly RawSetting[]
  readonly #section: string | null
  readonly #useDefaultForNetworkOnly: boolean
  readonly warnings: string[] = []

  /**
   * @param section the config file section of the selected network (`main`, `test`, ...)
   * @param isMainnet network-only options in the default section apply only on mainnet
   */
  constructor(
    table: OptionTable,
    cli: readonly RawSetting[],
    conf: readonly RawSetting[],
    section: string | null,
    isMainnet: boolean,
  ) {
    this.#table = table
    this.#cli = [...cli]
    this.#conf = [...conf]
    this.#section = section
    this.#useDefaultForNetworkOnly = isMainnet
    if (!isMainnet) {
      const seen = new Set<string>()
      for (const s of conf) {
        const spec = table.get(s.name)
        if (s.section === null && spec?.networkOnly && !seen.has(s.name)) {
          seen.add(s.name)
          this.warnings.push(
            `Config setting for -${s.name} only applied on ${section ?? 'main'} network when in [${section ?? 'main'}] section (${s.where}).`,
          )
        }
      }
    }
  }

  #spec(name: string): OptionSpec {
    const spec = this.#table.get(name)
    if (!spec) throw new Error(`No option named ${name}.`)
    return spec
  }

  /** Sources in priority order: command line, network section, default section. */
  #sources(name: string): RawSetting[][] {
    const spec = this.#spec(name)
    const cli = this.#cli.filter((s) => s.name === name)
    const section = this.#conf.filter(
      (s) => s.name === name && s.section !== null && s.section === this.#section,
    )
    const useDefault = !spec.networkOnly || this.#useDefaultForNetworkOnly
    const dflt = useDefault ? this.#conf.filter((s) => s.name === name && s.section === null) : []
    return [cli, section, dflt]
  }

  /** The winning setting of a single-valued option, if any. */
  get(name: string): RawSetting | undefined {
    const [cli, section, dflt] = this.#sources(name)
    if (cli && cli.length > 0) return cli[cli.length - 1]
    if (section && section.length > 0) return section[0]
    if (dflt && dflt.length > 0) return dflt[0]
    return undefined
  }

  /** True if the option was given anywhere that applies (negated or not). */
  isSet(name: string): boolean {
    return this.get(name) !== undefined
  }

  /** A list option's values, and whether a negation cut it off. */
  getList(name: string): { values: string[]; negated: boolean; set: boolean } {
    const values: string[] = []
    let set = false
    for (const source of this.#sources(name)) {
      if (source.length === 0) continue
      set = true
      let lastNeg = -1
      source.forEach((s, i) => {
        if (s.negated) lastNeg = i
      })
      for (const s of source.slice(lastNeg + 1)) values.push(s.value ?? '')
      if (lastNeg !== -1) return { values, negated: values.length === 0, set }
    }
    return { values, negated: false, set }
  }

  getBool(name: string, fallback: boolean): boolean {
    const s = this.get(name)
    if (!s) return fallback
    if (s.negated) return false
    return interpretBool(s.value, `-${name}`, s.where)
  }

  getInt(name: string, fallback: number): number {
    const s = this.get(name)
    const spec = this.#spec(name)
    if (!s) return fallback
    if (s.negated) return 0
    const v = s.value
    if (v === null || v === '') throw new ConfigError(`Option -${name} requires a value (${s.where}).`)
    if (!/^[+-]?\d+$/.test(v)) {
      throw new ConfigError(`Invalid value for -${name} in ${s.where}: "${v}" (expected an integer).`)
    }
    const n = Number(v)
    if (
      !Number.isSafeInteger(n) ||
      (spec.min !== undefined && n < spec.min) ||
      (spec.max !== undefined && n > spec.max)
    ) {
      const range =
        spec.min !== undefined && spec.max !== undefined
          ? ` (expected ${spec.min} to ${spec.max})`
          : spec.min !== undefined
            ? ` (expected at least ${spec.min})`
            : ''
      throw new ConfigError(`Invalid value for -${name} in ${s.where}: "${v}"${range}.`)
    }
    return n
  }

  /** A string option; a bare flag is an error, a negation gives `null`. */
  getString(name: string): string | null | undefined {
    const s = this.get(name)
    if (!s) return undefined
    if (s.negated) return null
    if (s.value === null || s.value === '')
      throw new ConfigError(`Option -${name} requires a value (${s.where}).`)
    return s.value
  }

  /** Where the winning value of `name` came from, for messages. */
  where(name: string): string {
    return this.get(name)?.where ?? 'defaults'
  }
}

/** Format help text for a table: options grouped by category, wrapped to 79 columns. */
export function formatHelp(header: string, specs: readonly OptionSpec[]): string {
  const out: string[] = [header, '']
  const categories: string[] = []
  for (const s of specs) if (!categories.includes(s.category)) categories.push(s.category)
  for (const cat of categories) {
    out.push(`${cat}:`, '')
    for (const s of specs.filter((x) => x.category === cat)) {
      out.push(`  -${s.name}${s.value ? `=${s.value}` : ''}`)
      out.push(...wrap(s.help, 72).map((l) => `       ${l}`), '')
    }
  }
  return out.join('\n')
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') lines.push(line)
  return lines
}
