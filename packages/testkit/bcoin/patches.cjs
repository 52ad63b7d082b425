'use strict'
/**
 * Load bcoin 1.0.2 from the workspace with the loopback guard installed and
 * the behaviour tests need patched in. Used by launch.cjs.
 */

const fs = require('node:fs')
const Module = require('node:module')
const path = require('node:path')
const { installLoopbackGuard } = require('./loopback.cjs')

/** Where bcoin lives: from this folder node walks up to packages/testkit/node_modules and the root. */
function bcoinRootDir() {
  let main
  try {
    main = require.resolve('bcoin', { paths: [__dirname, path.join(__dirname, '..')] })
  } catch (err) {
    throw new Error(`cannot find bcoin from ${__dirname}: ${err.message}`)
  }
  // .../node_modules/bcoin/lib/bcoin.js -> .../node_modules/bcoin
  return path.dirname(path.dirname(main))
}

/**
 * Outbound peers come from the configured node list (--connect) only, never
 * from addresses learned through `addr`: stock bcoin falls back to its host
 * list, and keeps every routable address a peer sends it there.
 */
function onlyConfiguredHosts() {
  for (const addr of this.hosts.nodes) {
    if (!this.peers.has(addr.hostname)) return addr
  }
  return null
}

/**
 * Patch `Pool` (and with segwitGenesis, coreScriptHeights or assumeValid, `Chain`) and return bcoin's main module.
 * The guard goes in first, on the same `bdns` instance bcoin's pool, peer and
 * host list will load.
 */
function loadPatchedBcoin({
  segwitGenesis = false,
  assumeValid = 0,
  coreScriptHeights = false,
  nativeCryptoDir = undefined,
} = {}) {
  const root = bcoinRootDir()
  if (nativeCryptoDir) useNativeCrypto(nativeCryptoDir, root)
  // bcrypto picks its backend when first loaded; the JS one needs no native build.
  if (!process.env.NODE_BACKEND) process.env.NODE_BACKEND = 'js'
  const lib = (file) => require(path.join(root, 'lib', file))
  installLoopbackGuard(require(require.resolve('bdns', { paths: [root] })))

  const bcoin = require(root)
  const Pool = lib('net/pool.js')
  Pool.prototype.getHost = onlyConfiguredHosts
  // No external-IP lookup (it asks OpenDNS), no UPnP, no DNS seeds, whatever the options say.
  Pool.prototype.discoverExternal = async function noExternalDiscovery() {}
  Pool.prototype.discoverGateway = async function noGatewayDiscovery() {
    return false
  }
  Pool.prototype.discoverSeeds = async function noSeedDiscovery() {}

  if (segwitGenesis) {
    // bcoin's regtest starts segwit through BIP9 at height 432 and rejects an
    // earlier block with a witness commitment. Core's regtest has it active from
    // genesis; report the deployment as ACTIVE at every height to match.
    const Chain = lib('blockchain/chain.js')
    const { thresholdStates } = lib('blockchain/common.js')
    const getState = Chain.prototype.getState
    Chain.prototype.getState = function segwitFromGenesis(prev, deployment) {
      if (this.network.type === 'regtest' && deployment.name === 'segwit') {
        return Promise.resolve(thresholdStates.ACTIVE)
      }
      return getState.call(this, prev, deployment)
    }
  }
  if (coreScriptHeights) {
    // Core's regtest enforces BIP66 (strict DER), BIP65 (CHECKLOCKTIMEVERIFY)
    // and CSV (BIP68/112/113) from height 1 (src/kernel/chainparams.cpp);
    // bcoin's regtest has BIP66 and BIP65 from 1251 and 1351, and CSV only
    // once miners signal it through BIP9. BIP34 stays at bcoin's (never),
    // which keeps bcoin's BIP30 check on every block, as Core has it on regtest.
    const regtest = bcoin.Network.get('regtest')
    regtest.block.bip65height = 1
    regtest.block.bip66height = 1
    const Chain = lib('blockchain/chain.js')
    const { thresholdStates } = lib('blockchain/common.js')
    const getState = Chain.prototype.getState
    Chain.prototype.getState = function csvFromGenesis(prev, deployment) {
      if (this.network.type === 'regtest' && deployment.name === 'csv') {
        return Promise.resolve(thresholdStates.ACTIVE)
      }
      return getState.call(this, prev, deployment)
    }
  }
  if (assumeValid > 0) {
    // Core's -assumevalid, by height: blocks up to `assumeValid` are connected
    // without script checks (bcoin's own "historical" path, which it uses below
    // its last checkpoint: merkle root, witness commitment and the other block
    // checks still run, coins are spent and created, signatures are not
    // verified). For a node that only has to hold and serve a chain the test
    // made, or to measure bcoin's sync without its pure-JS ECDSA.
    const Chain = lib('blockchain/chain.js')
    Chain.prototype.isHistorical = function assumeValidUpTo(prev) {
      return prev.height + 1 <= assumeValid
    }
  }
  return bcoin
}

/**
 * Give bcoin's bcrypto native addons built outside the install (the install
 * skips every build script; the benchmark builds them on demand, see
 * packages/testkit/bench/native-crypto.ts): `dir` holds `secp256k1.node`
 * (secp256k1-node's libsecp256k1 binding) and, if it built, `bcrypto.node`
 * (bcrypto's own hashes). Each goes into the module cache under the file
 * bcrypto loads it from (`lib/internal/secp256k1.js`, `lib/native/binding.js`),
 * so bcrypto's JavaScript stays the installed one and NODE_BACKEND stays
 * `js` for bcoin's other modules (mrmr has no fallback when its addon is
 * missing). Must run before bcoin is loaded.
 */
function useNativeCrypto(dir, root) {
  const lib = path.join(path.dirname(require.resolve('bcrypto/package.json', { paths: [root] })), 'lib')
  const inject = (file, exports) => {
    const m = new Module(file, null)
    m.filename = file
    m.loaded = true
    m.exports = exports
    require.cache[file] = m
  }
  const secp256k1 = require(path.join(dir, 'secp256k1.node'))
  secp256k1._bcryptoBinding = true
  inject(path.join(lib, 'internal', 'secp256k1.js'), secp256k1)
  const own = path.join(dir, 'bcrypto.node')
  if (fs.existsSync(own)) inject(path.join(lib, 'native', 'binding.js'), require(own))
}

const BACKENDS = ['js', 'node', 'native']

/** Which of bcrypto's backends bcoin got: ECDSA libsecp256k1 (`native`) or `js`; SHA-256 `native`, `node` (OpenSSL) or `js`. */
function cryptoBackends(root) {
  const lib = path.join(path.dirname(require.resolve('bcrypto/package.json', { paths: [root] })), 'lib')
  return {
    secp256k1: require(path.join(lib, 'secp256k1.js')).native === 2 ? 'native' : 'js',
    sha256: BACKENDS[require(path.join(lib, 'sha256.js')).native] ?? 'js',
  }
}

module.exports = { loadPatchedBcoin, onlyConfiguredHosts, bcoinRootDir, cryptoBackends }
