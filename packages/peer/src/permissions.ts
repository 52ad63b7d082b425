/**
 * A connection's permissions (Core net_permissions.h `NetPermissionFlags`),
 * granted by `-whitelist`/`-whitebind` and carried by each peer. Only these
 * change what the peer itself does:
 * - `noban`: misbehaviour is neither discouraged nor disconnected for (the
 *   host's rule, Core `MaybeDiscourageAndDisconnect`), and a `mempool`
 *   request without NODE_BLOOM is ignored instead of disconnected;
 * - `relay`: transactions are accepted although we sent relay = 0
 *   (Core `RejectIncomingTxs`), except on block-relay-only links;
 * - `mempool`: `mempool` requests are answered without NODE_BLOOM;
 * - `download`: exempt from the upload target (Core -maxuploadtarget);
 * - `addr`: `getaddr` answered without the cache, addr never rate limited;
 * - `bloomfilter`, `forcerelay`: BIP37 and forced relay, which the node does
 *   not have yet (carried so that `getpeerinfo` reports them).
 */
export type PeerPermission =
  | 'bloomfilter'
  | 'noban'
  | 'forcerelay'
  | 'relay'
  | 'mempool'
  | 'download'
  | 'addr'

/** Every permission, in Core's `NetPermissions::ToStrings` order. */
export const PEER_PERMISSIONS: readonly PeerPermission[] = [
  'bloomfilter',
  'noban',
  'forcerelay',
  'relay',
  'mempool',
  'download',
  'addr',
]

/**
 * What each name in `-whitelist=<names>@<range>` grants (Core
 * `NetPermissions::TryParsePermissionFlags`): `noban` implies `download`,
 * `forcerelay` implies `relay`, `all` is every permission.
 */
export const PERMISSION_NAMES: Readonly<Record<string, readonly PeerPermission[]>> = {
  bloomfilter: ['bloomfilter'],
  bloom: ['bloomfilter'],
  noban: ['noban', 'download'],
  forcerelay: ['forcerelay', 'relay'],
  relay: ['relay'],
  mempool: ['mempool'],
  download: ['download'],
  addr: ['addr'],
  all: PEER_PERMISSIONS,
}

/**
 * What an entry without `<names>@` grants (Core `NetWhitelistPermissions::TryParse`
 * with `NetPermissionFlags::Implicit`, then `ApplyImplicitPermissions` and
 * -whitelistrelay's default): noban (with download), mempool and relay.
 */
export const IMPLICIT_PERMISSIONS: readonly PeerPermission[] = ['noban', 'download', 'mempool', 'relay']
