// Verifies a block's inputs with bcoin 1.0.2's Script.verify, in a child
// process so that bcoin's crypto backend can be chosen: NODE_BACKEND=js for
// bcrypto's JavaScript, or BCRYPTO_DIR=<a bcrypto with its addon built> for
// native libsecp256k1. Prints { ms, native } as JSON. Benchmark helper only.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const Module = require('node:module')

const dir = process.env.BCRYPTO_DIR
if (dir) {
  const resolve = Module._resolveFilename
  Module._resolveFilename = function (request, ...rest) {
    if (request === 'bcrypto' || request.startsWith('bcrypto/'))
      return resolve.call(this, path.join(dir, request.slice('bcrypto'.length)), ...rest)
    return resolve.call(this, request, ...rest)
  }
}

const bcoin = require('bcoin')
const secp = Module.createRequire(require.resolve('bcoin'))('bcrypto/lib/secp256k1')
const { Script, TX } = bcoin
const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const rounds = Number(process.argv[3] ?? 3)
const items = job.txs.flatMap((hex, i) => {
  const tx = TX.fromRaw(Buffer.from(hex, 'hex'))
  const prev = job.spent[i]
  return tx.inputs.map((input, j) => ({
    tx,
    j,
    input: input.script,
    witness: input.witness,
    output: Script.fromRaw(Buffer.from(prev[j].script, 'hex')),
    value: Number(prev[j].value),
  }))
})
function once() {
  for (const it of items) Script.verify(it.input, it.witness, it.output, it.tx, it.j, it.value, job.flags)
}
once() // warm-up (and a check that every input verifies)
const start = process.hrtime.bigint()
for (let r = 0; r < rounds; r++) once()
const ms = Number(process.hrtime.bigint() - start) / 1e6 / rounds
process.stdout.write(JSON.stringify({ ms, native: secp.native === 2 }))
