/**
 * One error class per failure condition of the server's policy modules.
 * Match on `code`, not `instanceof`: two copies of a package in one tree
 * break `instanceof`.
 */
import { NodeError } from '@node/runtime'

/** A ban target is neither an IP address, a CIDR subnet, nor a Tor or I2P name. */
export class InvalidBanTargetError extends NodeError {
  readonly input: string
  constructor(input: string, reason: string) {
    super('INVALID_BAN_TARGET', `Cannot ban ${JSON.stringify(input)}: ${reason}.`)
    this.name = 'InvalidBanTargetError'
    this.input = input
  }
}

/** A whitelist (noban) range does not parse. */
export class InvalidWhitelistRangeError extends NodeError {
  readonly input: string
  constructor(input: string, reason: string) {
    super('INVALID_WHITELIST_RANGE', `Cannot whitelist ${JSON.stringify(input)}: ${reason}.`)
    this.name = 'InvalidWhitelistRangeError'
    this.input = input
  }
}

/** The ban list already holds its maximum number of entries. */
export class TooManyBansError extends NodeError {
  readonly max: number
  constructor(max: number) {
    super('TOO_MANY_BANS', `The ban list already holds ${max} entries; unban some first.`)
    this.name = 'TooManyBansError'
    this.max = max
  }
}

/**
 * `banlist.json` could not be read as a ban list. The ban list keeps the file
 * as `banlist.json.bak`, logs this error and starts empty.
 */
export class BanListCorruptError extends NodeError {
  readonly path: string
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(
      'BANLIST_CORRUPT',
      `The ban list ${path} is unreadable (${reason}); starting with no bans.`,
      options,
    )
    this.name = 'BanListCorruptError'
    this.path = path
  }
}

/** Writing `banlist.json` failed; the bans in memory are unchanged. */
export class BanListSaveError extends NodeError {
  readonly path: string
  constructor(path: string, options?: { cause?: unknown }) {
    super('BANLIST_SAVE_FAILED', `Could not save the ban list to ${path}.`, options)
    this.name = 'BanListSaveError'
    this.path = path
  }
}

/** A SipHash key is not 16 bytes. */
export { BadSipHashKeyError } from '@node/wire'

/** An option is out of its allowed range. */
export class InvalidPolicyOptionError extends NodeError {
  readonly option: string
  constructor(option: string, reason: string) {
    super('INVALID_POLICY_OPTION', `Option ${option} ${reason}.`)
    this.name = 'InvalidPolicyOptionError'
    this.option = option
  }
}
