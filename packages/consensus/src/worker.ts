/**
 * A script-verification worker thread (see parallel.ts): verifies batches of
 * inputs and answers with the first failure of each batch.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { decodeTx } from '@node/wire'
import { isScriptError } from './errors.ts'
import { decodeJobs } from './jobs.ts'
import { SignatureCache } from './sigcache.ts'
import { TxVerifier } from './verify.ts'

interface Init {
  cache?: { table: SharedArrayBuffer; salt: Uint8Array }
  storeInCache: boolean
}

const init = workerData as Init
const sigcache = init.cache
  ? new SignatureCache({ table: init.cache.table, salt: init.cache.salt })
  : undefined
const options = sigcache ? { sigcache, storeInCache: init.storeInCache } : {}

parentPort!.on('message', (msg: { id: number; jobs: ArrayBuffer }) => {
  for (const job of decodeJobs(msg.jobs)) {
    let input = job.from
    try {
      const verifier = new TxVerifier(decodeTx(job.tx), job.spent, options)
      for (; input < job.to; input++) verifier.verify(input, job.flags)
    } catch (err) {
      if (isScriptError(err)) {
        parentPort!.postMessage({ id: msg.id, fail: { check: job.check, input, code: err.code } })
      } else {
        parentPort!.postMessage({ id: msg.id, error: { check: job.check, input, message: String(err) } })
      }
      return
    }
  }
  parentPort!.postMessage({ id: msg.id })
})
