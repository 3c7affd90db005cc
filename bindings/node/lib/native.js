'use strict'
// Loads the native addon `mnemo.node` (built from `src/*.rs` with napi-rs) from the package
// folder, failing with `MNEMO_NOT_BUILT` and how to build it when it is missing. Exports the
// addon itself.

const path = require('node:path')

/** The package folder, where the build puts `mnemo.node` (this file is in its `lib/`). */
const PKG_DIR = path.join(__dirname, '..')

function loadNative() {
  const file = path.join(PKG_DIR, 'mnemo.node')
  try {
    return require(file)
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND') {
      const err = new Error(
        `${file} is missing: build it with \`npm install\` (or \`node scripts/build.js\`) in ${PKG_DIR}`,
      )
      err.code = 'MNEMO_NOT_BUILT'
      throw err
    }
    throw e
  }
}

module.exports = loadNative()
