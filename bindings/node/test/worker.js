'use strict'
// Worker-thread side of workers.test.js (not a test file): runs the job named in
// `workerData.job` and posts its outcome.

const { parentPort, workerData } = require('node:worker_threads')
const { Mnemo } = require('..')

const jobs = {
  /** Open a store of its own, import, read, search, close. */
  async own({ dir, transcripts }) {
    const store = await Mnemo.open(dir, { syncWrites: false })
    const summary = await store.importPaths([transcripts])
    const sessions = await store.listSessions()
    const full = await Promise.all(sessions.map((s) => store.session(s.id)))
    const hits = await store.search('jitter reconnect')
    await store.addPrompt('from-worker', 'Hello {{who}}')
    const text = await store.renderPrompt('from-worker', { who: 'worker' })
    // The synchronous reads run on this worker's own JS thread.
    const syncText = store.renderPromptSync('from-worker', { who: 'worker' })
    const syncSame = sessions.every(
      (s, i) => JSON.stringify(store.sessionSync(s.id)) === JSON.stringify(full[i]) && store.exportSessionSync(s.id).length > 0,
    )
    const stats = await store.stats()
    store.close()
    return {
      imported: summary.sessionsImported,
      sessions: sessions.length,
      messages: full.reduce((n, s) => n + s.messages.length, 0),
      hit: hits.length ? hits[0].session.title : null,
      text,
      syncText,
      syncSame,
      lastSeq: stats.lastSeq,
    }
  },
  /** Open a directory that is (expected to be) open elsewhere. */
  async openShared({ dir }) {
    try {
      const store = await Mnemo.open(dir)
      store.close()
      return { opened: true }
    } catch (e) {
      return { opened: false, name: e.name, code: e.code }
    }
  },
  /** Open, start waiting on the feed, and stay busy until terminated. */
  async hold({ dir }) {
    const store = await Mnemo.open(dir)
    const sub = store.subscribe(1)
    sub.next() // waits forever: nothing in the log
    store.waitFor(0) // ditto
    store.onChange(1, () => {})
    parentPort.postMessage({ holding: true })
    await new Promise(() => {}) // until terminated
  },
  /** Open, register a slow JS upcaster, start reads that call it, and stay busy until terminated. */
  async upcasting({ dir }) {
    const store = await Mnemo.open(dir, { syncWrites: false })
    await store.append('s', Array.from({ length: 200 }, () => ({ kind: 'old', payload: 'x' })))
    store.registerUpcaster('old', 1, (p) => {
      const until = Date.now() + 2
      while (Date.now() < until); // slow, so reads are waiting for this thread when it ends
      return p
    })
    for (let i = 0; i < 8; i++) store.readAll({ limit: 200 }).catch(() => {})
    parentPort.postMessage({ upcasting: true })
    await new Promise(() => {}) // until terminated
  },
}

jobs[workerData.job](workerData).then(
  (result) => parentPort.postMessage({ result }),
  (e) => parentPort.postMessage({ error: { name: e.name, code: e.code, message: e.message } }),
)
