'use strict'
// Several worker threads, each with its own handle or racing for one directory, and
// many concurrent promises on one handle.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')

const { Mnemo, LockedError } = require('..')
const { TRANSCRIPTS, tmpDir, tmpStore, transcriptFiles } = require('./helpers')

const WORKER = path.join(__dirname, 'worker.js')

/** Runs `job` in a worker; resolves with the worker, its first message and its exit. */
function inWorker(job, data = {}) {
  const worker = new Worker(WORKER, { workerData: { job, ...data } })
  const exited = new Promise((resolve) => worker.once('exit', resolve))
  const message = new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    exited.then((code) => reject(new Error(`worker exited with ${code} before answering`)))
  })
  return message.then((m) => ({ worker, message: m, exited }))
}

async function run(job, data) {
  const { message, exited } = await inWorker(job, data)
  await exited
  if (message.error) throw Object.assign(new Error(message.error.message), message.error)
  return message.result
}

test('worker threads each open their own store at the same time', async (t) => {
  const root = tmpDir(t)
  const results = await Promise.all(
    [0, 1, 2, 3].map((i) => run('own', { dir: path.join(root, `s${i}`), transcripts: TRANSCRIPTS })),
  )
  for (const r of results) {
    assert.ok(r.imported >= transcriptFiles().length)
    assert.equal(r.sessions, r.imported)
    assert.ok(r.messages > 0)
    assert.equal(r.hit, 'Debugging a flaky websocket test')
    assert.equal(r.text, 'Hello worker')
    assert.equal(r.syncText, 'Hello worker')
    assert.equal(r.syncSame, true)
  }
  assert.equal(new Set(results.map((r) => JSON.stringify(r))).size, 1)
  // Each store is complete and closed: the main thread can open it.
  const store = await Mnemo.open(path.join(root, 's2'))
  assert.equal((await store.listSessions()).length, results[0].sessions)
  store.close()
})

test('a directory open in one thread is locked for the others', async (t) => {
  const dir = path.join(tmpDir(t), 'store')
  const store = await Mnemo.open(dir)
  const r = await run('openShared', { dir })
  assert.deepEqual(r, { opened: false, name: 'LockedError', code: 'locked' })
  store.close()
  assert.deepEqual(await run('openShared', { dir }), { opened: true })

  // Racing workers: exactly... at most one holds it at a time, none crashes.
  const race = await Promise.all([0, 1, 2].map(() => run('openShared', { dir })))
  for (const r of race) assert.ok(r.opened || r.code === 'locked')
})

test('terminating a worker with pending waits releases its store', async (t) => {
  const dir = path.join(tmpDir(t), 'store')
  const { worker, message } = await inWorker('hold', { dir })
  assert.deepEqual(message, { holding: true })
  await assert.rejects(Mnemo.open(dir), LockedError)
  await worker.terminate()
  // Finalizers ran with the worker's teardown; its waits end and the lock goes.
  let store
  for (let i = 0; i < 100 && !store; i++) {
    try {
      store = await Mnemo.open(dir)
    } catch (e) {
      if (!(e instanceof LockedError)) throw e
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  assert.ok(store, 'the store was released after the worker terminated')
  await store.addPrompt('after', 'ok')
  store.close()
})

test('terminating a worker while reads wait for its JS upcaster releases its store', async (t) => {
  const dir = path.join(tmpDir(t), 'store')
  const { worker, message } = await inWorker('upcasting', { dir })
  assert.deepEqual(message, { upcasting: true })
  await new Promise((r) => setTimeout(r, 20))
  await worker.terminate()
  let store
  for (let i = 0; i < 100 && !store; i++) {
    try {
      store = await Mnemo.open(dir)
    } catch (e) {
      if (!(e instanceof LockedError)) throw e
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  assert.ok(store, 'the store was released after the worker terminated')
  assert.equal((await store.readAll()).length, 200, 'no upcaster here: the stored events as they are')
  store.close()
})

test('many concurrent promises on one handle', async (t) => {
  const store = await tmpStore(t)
  const files = transcriptFiles()
  // Concurrent imports of the same and different files, prompt writes and reads.
  const imports = files.flatMap((f) => [store.importFile(f), store.importFile(f)])
  const prompts = Array.from({ length: 50 }, (_, i) => store.addPrompt(`p${i % 5}`, `body {{x}} ${i}`))
  const done = await Promise.all([...imports, ...prompts])
  const imported = done.slice(0, imports.length)
  const ids = imported.flatMap((r) => r.imported)
  assert.equal(new Set(ids).size, ids.length, 'each session imported once')
  const sessions = await store.listSessions()
  assert.equal(ids.length, sessions.length)
  for (let i = 0; i < 5; i++) {
    const versions = await store.promptVersions(`p${i}`)
    assert.deepEqual(
      versions.map((v) => v.version),
      Array.from({ length: 10 }, (_, k) => k + 1),
    )
  }
  const reads = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0
        ? store.session(sessions[i % sessions.length].id)
        : i % 3 === 1
          ? store.renderPrompt(`p${i % 5}`, { x: i })
          : store.search('test'),
    ),
  )
  assert.equal(reads.length, 300)
  const log = await store.readLog(1, 100_000)
  assert.deepEqual(
    log.map((e) => e.seq),
    Array.from({ length: log.length }, (_, i) => i + 1),
  )
})

// Regression: the feed position is published under the writer lock, so concurrent
// commits can never make `lastSeq()` go backwards.
test('lastSeq() after concurrent commits is the last committed sequence number', async (t) => {
  for (let round = 0; round < 5; round++) {
    const store = await tmpStore(t)
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.addPrompt(`p${i % 5}`, `v${i}`)))
    assert.equal(store.lastSeq(), 50)
  }
})
