#!/usr/bin/env node
'use strict'
/**
 * Where a synchronous read's time goes: ns per call of `promptSync` and
 * `exportSessionSync` on a small store, next to `JSON.parse` of the prompt's JSON (the part
 * of `promptSync` spent building the object in JS) and `Buffer.from` of the session's bytes
 * (the copy every returned Buffer costs). Best of 5 rounds of `CALLS` calls each.
 *
 * Usage, from bindings/node after `npm install`: `node bench/sync-calls.js`; to profile one
 * call in a loop, `perf record -g node --perf-basic-prof bench/sync-calls.js export` (or
 * `prompt`), which runs only that call for 4 s.
 */

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { Mnemo } = require('..')

const CALLS = 400_000
const TRANSCRIPT = fs.readFileSync(
  path.resolve(__dirname, '../../../examples/transcripts/specstory/2025-06-02_14-05-debugging-a-flaky-websocket-test.md'),
)
const PROMPT_BODY = 'Review {{file}} for {{concern}}; answer in {{language}} with at most {{limit}} findings.'

/** Best ns per call of `op(i)` over 5 rounds. */
function nsPerCall(op) {
  let best = Infinity
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < CALLS; i++) op(i)
    best = Math.min(best, Number(process.hrtime.bigint() - start) / CALLS)
  }
  return best
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-sync-calls-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  const store = await Mnemo.open(dir, { syncWrites: false })
  const id = (await store.importBytes('sample.md', TRANSCRIPT)).imported[0]
  for (let n = 0; n < 100; n++) await store.addPrompt(`p${n}`, PROMPT_BODY)
  const only = process.argv[2]
  if (only === 'prompt' || only === 'export') {
    const end = Date.now() + 4000
    let sink = 0
    while (Date.now() < end) {
      for (let i = 0; i < 1000; i++) {
        sink += only === 'export' ? store.exportSessionSync(id).length : store.promptSync(`p${i % 100}`).version
      }
    }
    store.close()
    console.log(sink > 0 ? 'done' : '')
    return
  }
  const promptJson = JSON.stringify(store.promptSync('p7'))
  const rows = [
    ['promptSync', nsPerCall((i) => store.promptSync(`p${i % 100}`))],
    ['JSON.parse of its result', nsPerCall(() => JSON.parse(promptJson))],
    [`exportSessionSync (${TRANSCRIPT.length} B)`, nsPerCall(() => store.exportSessionSync(id))],
    ['Buffer.from of as many bytes', nsPerCall(() => Buffer.from(TRANSCRIPT))],
  ]
  store.close()
  for (const [name, ns] of rows) console.log(`${name.padEnd(36)} ${ns.toFixed(0).padStart(6)} ns`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
