'use strict'
// Runs the first ```js block of README.md, so the example cannot rot.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const { TRANSCRIPTS, tmpDir } = require('./helpers')

const PKG_DIR = path.resolve(__dirname, '..')

function firstJsBlock(markdown) {
  const m = /```js\n([\s\S]*?)```/.exec(markdown)
  assert.ok(m, 'README.md has a ```js block')
  return m[1]
}

// The repository's README shows the same example: both must run.
for (const readme of [path.join(PKG_DIR, 'README.md'), path.resolve(PKG_DIR, '..', '..', 'README.md')]) test(`the example of ${path.relative(path.resolve(PKG_DIR, '..', '..'), readme)} runs`, (t) => {
  const code = firstJsBlock(fs.readFileSync(readme, 'utf8'))
  assert.ok(code.trim().split('\n').length <= 8, 'the example stays short')
  // A scratch project where `require('mnemo-node')` is this package and `transcripts` the samples.
  const dir = tmpDir(t)
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(PKG_DIR, path.join(dir, 'node_modules', 'mnemo-node'), 'dir')
  fs.symlinkSync(TRANSCRIPTS, path.join(dir, 'transcripts'), 'dir')
  fs.writeFileSync(path.join(dir, 'example.js'), code)
  const out = execFileSync(process.execPath, ['example.js'], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
  assert.match(out, /Debugging a flaky websocket test \d/)
  assert.ok(fs.existsSync(path.join(dir, 'mnemo-store')))
})
