/**
 * Serving our chain to peers, one handler per request (Core
 * net_processing.cpp, PeerManagerImpl::ProcessMessage for GETHEADERS,
 * GETBLOCKS and GETBLOCKTXN, and ProcessGetData / ProcessGetBlockData for
 * GETDATA). Blocks go out as the bytes we hold (the last few new blocks from
 * memory, others from the store), never decoded and encoded again unless a
 * peer asks for a form we do not hold (non-witness, compact).
 */
import { randomBytes } from 'node:crypto'
import { type HeaderChain, type HeaderEntry, ValidationError } from '@node/chain'
import type { Logger } from '@node/runtime'
import {
  decodeBlock,
  encodeBlock,
  type Hash,
  type InvItem,
  InvType,
  type MessageOf,
  makeCompactBlock,
  toHex,
  WITNESS_FLAG,
} from '@node/wire'
import { MAX_GETBLOCKS_RESULTS, MAX_HEADERS_RESULTS } from './constants.ts'
import type { SyncPeer } from './manager.ts'

/** Core MAX_CMPCTBLOCK_DEPTH: a compact block for the last 5 blocks, else the whole block (BIP152). */
const MAX_CMPCTBLOCK_DEPTH = 5
/** Core MAX_BLOCKTXN_DEPTH: block transactions for the last 10 blocks, else the whole block. */
const MAX_BLOCKTXN_DEPTH = 10

/** A compact block's nonce (BIP152). */
export function randomNonce(): bigint {
  return randomBytes(8).readBigUInt64LE(0)
}

/** What the handlers read and write of a peer's sync state. */
export interface ServedPeer {
  readonly peer: SyncPeer
  /** The best header the peer is known to have (Core pindexBestHeaderSent counts). */
  bestKnown: HeaderEntry | undefined
  /** The last hash of a truncated getblocks answer (Core hashContinue). */
  hashContinue: string | undefined
}

/** What the handlers need of the block manager. */
export interface ServingContext {
  readonly chain: HeaderChain
  readonly initialBlockDownload: boolean
  /** Core nMinimumChainWork: with less work on our chain, getheaders is answered empty. */
  readonly minimumChainWork: bigint
  /** False once the manager is stopping: serving ends. */
  readonly serving: boolean
  /** A recent block's bytes, held in memory while it is written. */
  recent(hash: Hash): Uint8Array | undefined
  getBlock(hash: Hash): Promise<Uint8Array | undefined>
  /** Register work in flight, so that stop() waits for it. */
  track(p: Promise<unknown>): void
  readonly log: Logger
}

/** Core GETHEADERS. */
export function onGetHeaders(ctx: ServingContext, s: ServedPeer, msg: MessageOf<'getheaders'>): void {
  // Core: with less than the minimum chain work on our chain we may be on a
  // bogus chain; an empty answer tells the peer to look elsewhere without
  // leaving its request unanswered. (Core stopped ignoring getheaders during
  // initial block download: a peer waiting for an answer does not ask again.)
  if (ctx.chain.tip.chainWork < ctx.minimumChainWork) {
    s.peer.send({ command: 'headers', headers: [] })
    return
  }
  const entries = ctx.chain.headersAfter(msg.locator, msg.hashStop, MAX_HEADERS_RESULTS)
  // Core answers nothing for a stop block it may not serve (header only, or stale).
  if (!entries) return
  // The peer now has the last header we sent, or our tip when the answer is
  // empty (its locator started at our tip): Core sets pindexBestHeaderSent
  // either way, so the next block goes to a sendheaders peer as `headers`.
  const last = entries[entries.length - 1] ?? ctx.chain.tip
  if (!s.bestKnown || last.chainWork > s.bestKnown.chainWork) s.bestKnown = last
  s.peer.send({ command: 'headers', headers: entries.map((e) => e.header) })
}

/** Core GETBLOCKS. */
export function onGetBlocks(s: ServedPeer, msg: MessageOf<'getblocks'>, chain: HeaderChain): void {
  const entries = chain.blocksAfter(msg.locator, msg.hashStop, MAX_GETBLOCKS_RESULTS)
  if (entries.length === 0) return
  if (entries.length === MAX_GETBLOCKS_RESULTS) {
    // Core: when the peer fetches the last of these, send an inv of our tip
    // so that it asks for the next batch.
    s.hashContinue = entries[entries.length - 1]!.key
  }
  for (const e of entries) s.peer.addInventory(InvType.BLOCK, e.hash)
  s.peer.send({ command: 'inv', inventory: entries.map((e) => ({ type: InvType.BLOCK, hash: e.hash })) })
}

/** Core ProcessGetData / ProcessGetBlockData, for blocks. */
export function onGetData(ctx: ServingContext, s: ServedPeer, msg: MessageOf<'getdata'>): void {
  const items = msg.inventory.filter((i) => {
    const t = i.type & ~WITNESS_FLAG
    return t === InvType.BLOCK || t === InvType.CMPCT_BLOCK || t === InvType.FILTERED_BLOCK
  })
  if (items.length === 0) return
  // Blocks are served in order, one store read at a time per message.
  const p = (async () => {
    const missing: InvItem[] = []
    for (const item of items) {
      if (!ctx.serving) return
      const e = ctx.chain.get(item.hash)
      const bytes = ctx.recent(item.hash) ?? (e?.haveData ? await ctx.getBlock(item.hash) : undefined)
      if (!bytes) {
        missing.push(item)
        continue
      }
      const type = item.type & ~WITNESS_FLAG
      if (type === InvType.CMPCT_BLOCK && e && ctx.chain.tip.height - e.height < MAX_CMPCTBLOCK_DEPTH) {
        // BIP152: a compact block for a recent block, the whole block for older ones (Core).
        s.peer.send(makeCompactBlock(decodeBlock(bytes), randomNonce()))
      } else {
        const witness = (item.type & WITNESS_FLAG) !== 0 || type === InvType.CMPCT_BLOCK
        s.peer.sendBlock(witness ? bytes : encodeBlock(decodeBlock(bytes), false))
      }
      s.peer.addInventory(InvType.BLOCK, item.hash)
      if (s.hashContinue === toHex(item.hash)) {
        s.hashContinue = undefined
        s.peer.send({ command: 'inv', inventory: [{ type: InvType.BLOCK, hash: ctx.chain.tip.hash }] })
      }
    }
    if (missing.length > 0) s.peer.send({ command: 'notfound', inventory: missing })
  })().catch((err: unknown) => ctx.log.warn({ err, peer: s.peer.label }, 'Failed to serve blocks.'))
  ctx.track(p)
}

/** Core GETBLOCKTXN (BIP152): transactions of a recent block; the whole block for deeper ones. */
export function onGetBlockTxn(ctx: ServingContext, s: ServedPeer, m: MessageOf<'getblocktxn'>): void {
  const e = ctx.chain.get(m.blockHash)
  if (!e?.haveData && !ctx.recent(m.blockHash)) return
  const p = (async () => {
    const bytes = ctx.recent(m.blockHash) ?? (await ctx.getBlock(m.blockHash))
    if (!bytes) return
    if (e && ctx.chain.tip.height - e.height >= MAX_BLOCKTXN_DEPTH) {
      s.peer.sendBlock(bytes)
      return
    }
    const block = decodeBlock(bytes)
    if (m.indexes.some((i) => i >= block.txs.length)) {
      s.peer.misbehaving(
        new ValidationError(
          'BAD_GETBLOCKTXN',
          'getblocktxn-out-of-bounds',
          'getblocktxn asks for a transaction index past the block.',
        ),
      )
      return
    }
    s.peer.send({ command: 'blocktxn', blockHash: m.blockHash, txs: m.indexes.map((i) => block.txs[i]!) })
  })().catch((err: unknown) =>
    ctx.log.warn({ err, peer: s.peer.label }, 'Failed to serve block transactions.'),
  )
  ctx.track(p)
}
