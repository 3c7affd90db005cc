'use strict'
// Shared by the test files (not a test file itself: `npm test` runs test/*.test.js).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

/** The sample transcripts shipped with the repository. */
const TRANSCRIPTS = path.resolve(__dirname, '../../../examples/transcripts')

/** Every sample transcript file, sorted. */
function transcriptFiles() {
  const out = []
  for (const sub of fs.readdirSync(TRANSCRIPTS).sort()) {
    const dir = path.join(TRANSCRIPTS, sub)
    for (const f of fs.readdirSync(dir).sort()) out.push(path.join(dir, f))
  }
  return out
}

/** A fresh directory removed when test `t` ends. */
function tmpDir(t, prefix = 'mnemo-node-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A store in a fresh directory, closed when test `t` ends. */
async function tmpStore(t, options) {
  const { Mnemo } = require('..')
  const store = await Mnemo.open(path.join(tmpDir(t), 'store'), { syncWrites: false, ...options })
  t.after(() => store.close())
  return store
}

module.exports = { TRANSCRIPTS, transcriptFiles, tmpDir, tmpStore }
