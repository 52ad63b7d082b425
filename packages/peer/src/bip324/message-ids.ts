/**
 * BIP324's one-byte message type ids ("v2 message type ids"). Id 0 means the
 * 12-byte long form follows; every message may be sent in the long form too,
 * so the one-byte ids are aliases. Ids not in the table are unknown.
 *
 * Core: src/net.cpp, V2_MESSAGE_IDS and V2MessageMap.
 */

/** Index = one-byte id; index 0 (the long form) is empty. */
export const V2_MESSAGE_IDS: readonly string[] = [
  '',
  'addr',
  'block',
  'blocktxn',
  'cmpctblock',
  'feefilter',
  'filteradd',
  'filterclear',
  'filterload',
  'getblocks',
  'getblocktxn',
  'getdata',
  'getheaders',
  'headers',
  'inv',
  'mempool',
  'merkleblock',
  'notfound',
  'ping',
  'pong',
  'sendcmpct',
  'tx',
  'getcfilters',
  'cfilter',
  'getcfheaders',
  'cfheaders',
  'getcfcheckpt',
  'cfcheckpt',
  'addrv2',
]

const BY_COMMAND = new Map<string, number>(
  V2_MESSAGE_IDS.map((c, i) => [c, i] as const).filter(([c]) => c !== ''),
)

/** The one-byte id of `command`, or undefined when it must use the long form. */
export function shortMessageId(command: string): number | undefined {
  return BY_COMMAND.get(command)
}

/** The command a one-byte id stands for, or undefined (0 and unassigned ids). */
export function commandOfShortId(id: number): string | undefined {
  const c = V2_MESSAGE_IDS[id]
  return c === undefined || c === '' ? undefined : c
}
