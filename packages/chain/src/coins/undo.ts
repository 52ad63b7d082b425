/**
 * A block's undo data in Core's rev-file record body (undo.h): CBlockUndo is
 * a CompactSize count of CTxUndo; each CTxUndo a CompactSize count of spent
 * coins in input order, each written by `TxInUndoFormatter`:
 * VARINT(height * 2 + coinbase), then when height > 0 a dummy zero (Core
 * writes one byte 0 and reads a VARINT: the same bytes; older Core kept the
 * transaction version there), then the compressed TxOut
 * (compressor.h TxOutCompression). We keep these records in the coins
 * database, keyed by block hash, so that one transaction writes the coins,
 * the undo data and the best-block marker (see db.ts); Core's rev files add
 * a magic, a size and a checksum around the same body.
 */
import { Reader, Writer } from '@node/wire'
import { encodeCompressedTxOut, readCoin } from './compress.ts'
import { CorruptUndoError } from './errors.ts'
import type { BlockUndo, Coin, TxUndo } from './types.ts'

/** Upper bound on coins one record may declare: a 4 MB block spends fewer than 4e6/41 inputs. */
const MAX_UNDO_COINS = 100_000

/** undo.h TxInUndoFormatter::Ser for one coin. */
function encodeUndoCoin(c: Coin): Uint8Array {
  const code = c.height * 2 + (c.coinbase ? 1 : 0)
  return encodeCompressedTxOut(c.height > 0 ? [code, 0] : [code], c.value, c.script)
}

/** Serialize a CBlockUndo. */
export function encodeBlockUndo(undo: BlockUndo): Uint8Array {
  const w = new Writer()
  w.compactSize(undo.length)
  for (const tx of undo) {
    w.compactSize(tx.length)
    for (const c of tx) w.bytes(encodeUndoCoin(c))
  }
  return w.finish()
}

/** Parse a CBlockUndo; every malformation is a {@link CorruptUndoError}. */
export function decodeBlockUndo(bytes: Uint8Array): BlockUndo {
  const r = new Reader(bytes)
  const out: TxUndo[] = []
  let total = 0
  try {
    const ntx = r.compactSize('undo tx count')
    if (ntx > MAX_UNDO_COINS) throw new CorruptUndoError(`Undo record declares ${ntx} transactions.`)
    for (let i = 0; i < ntx; i++) {
      const n = r.compactSize('undo coin count')
      total += n
      if (total > MAX_UNDO_COINS)
        throw new CorruptUndoError(`Undo record declares over ${MAX_UNDO_COINS} coins.`)
      const coins: Coin[] = []
      for (let j = 0; j < n; j++) coins.push(readCoin(r, true))
      out.push(coins)
    }
  } catch (err) {
    if (err instanceof CorruptUndoError) throw err
    throw new CorruptUndoError(`Undo record is malformed: ${(err as Error).message}`, { cause: err })
  }
  if (r.remaining !== 0) throw new CorruptUndoError(`${r.remaining} bytes follow the undo record.`)
  return out
}
