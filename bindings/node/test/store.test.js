'use strict'
// Opening and closing, importing the sample transcripts, reading them back.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const { Mnemo } = require('..')
const { TRANSCRIPTS, transcriptFiles, tmpDir, tmpStore } = require('./helpers')

test('open creates the store, close releases it, reopen sees the data', async (t) => {
  const dir = path.join(tmpDir(t), 'store')
  const store = await Mnemo.open(dir)
  assert.equal(store.path, dir)
  assert.equal(store.closed, false)
  assert.equal(store.lastSeq(), 0)
  await store.addPrompt('hello', 'Hello {{name}}')
  store.close()
  assert.equal(store.closed, true)
  store.close() // closing twice is a no-op

  const again = await Mnemo.open(dir, {
    createIfMissing: false,
    syncWrites: false,
    compressionLevel: 5,
    blobWriteLevel: -5,
    dictionaryTrainingBytes: 0,
    blockCacheBytes: 8 << 20,
    blobCacheBytes: 0,
    maxEventBytes: 1 << 20,
    recompressLevel: 0,
  })
  assert.equal(again.lastSeq(), 1)
  assert.equal((await again.prompt('hello')).body, 'Hello {{name}}')
  await again.closeAsync()
  assert.equal(again.closed, true)
})

test('Symbol.dispose and Symbol.asyncDispose close the store', async (t) => {
  const dir = path.join(tmpDir(t), 'store')
  const a = await Mnemo.open(dir)
  a[Symbol.dispose]()
  assert.equal(a.closed, true)
  const b = await Mnemo.open(dir) // the lock was released
  await b[Symbol.asyncDispose]()
  assert.equal(b.closed, true)
})

test('imports the sample transcripts and lists, shows, searches and exports them', async (t) => {
  const store = await tmpStore(t)
  const files = transcriptFiles()
  const progress = []
  const summary = await store.importPaths([TRANSCRIPTS], { onProgress: (p) => progress.push(p) })

  assert.equal(summary.files.length, files.length)
  for (const f of summary.files) assert.equal(f.error, null, `${f.path}: ${f.error}`)
  assert.deepEqual(summary.files.map((f) => f.path).sort(), [...files].sort())
  assert.equal(summary.sessionsAlreadyStored, 0)
  assert.equal(progress.length, files.length)
  assert.deepEqual(
    progress.map((p) => p.done),
    files.map((_, i) => i + 1),
  )
  assert.ok(progress.every((p) => p.total === files.length))

  const sessions = await store.listSessions()
  assert.equal(sessions.length, summary.sessionsImported)
  assert.ok(sessions.length >= files.length)
  const ids = new Set(sessions.map((s) => s.id))
  assert.equal(ids.size, sessions.length)
  for (const s of sessions) {
    assert.match(s.id, /^[0-9a-f]+$/)
    assert.equal(typeof s.sourceTool, 'string')
    assert.ok(s.title === null || typeof s.title === 'string')
    assert.ok(Array.isArray(s.filesTouched))
    assert.equal(typeof s.metadata, 'object')
  }
  // newest first
  const started = sessions.map((s) => s.startedAt).filter((x) => x !== null)
  assert.deepEqual(started, [...started].sort((a, b) => b - a))

  // filters
  const aider = await store.listSessions({ sourceTool: 'aider' })
  assert.ok(aider.length >= 1 && aider.every((s) => s.sourceTool === 'aider'))
  assert.equal((await store.listSessions({ limit: 1 })).length, 1)
  assert.equal((await store.listSessions({ since: new Date('2999-01-01') })).length, 0)
  assert.equal((await store.listSessions({ until: 0 })).length, 0)

  for (const file of files) {
    const bytes = fs.readFileSync(file)
    // Re-importing stores nothing new and names the same source.
    const again = await store.importFile(file)
    assert.deepEqual(again.imported, [])
    assert.ok(again.alreadyStored >= 1)
    assert.equal(again.bytes, bytes.length)
    const whole = await store.exportSource(again.sourceId)
    assert.ok(Buffer.isBuffer(whole))
    assert.ok(whole.equals(bytes), `${file} exports byte-exact`)

    // Each session's bytes are a part of the file, in order; together they are the file.
    const sessionsOfFile = []
    for (const s of sessions) {
      if ((await store.sessionSource(s.id)) === again.sourceId) sessionsOfFile.push(s)
    }
    assert.equal(sessionsOfFile.length, again.alreadyStored)
    const parts = await Promise.all(sessionsOfFile.map((s) => store.exportSession(s.id)))
    assert.equal(
      parts.reduce((n, p) => n + p.length, 0),
      bytes.length,
    )
    for (const p of parts) assert.ok(bytes.includes(p))
    if (parts.length === 1) assert.ok(parts[0].equals(bytes))
  }

  // A session with its messages, by full id and by unique prefix.
  const first = sessions[0]
  const full = await store.session(first.id)
  assert.deepEqual(full.info, first)
  assert.equal(full.messages.length, first.messageCount)
  for (const m of full.messages) {
    assert.ok(['user', 'assistant', 'system', 'tool'].includes(m.role))
    assert.equal(typeof m.text, 'string')
    assert.ok(Array.isArray(m.toolCalls))
  }
  assert.equal((await store.session(first.id.slice(0, 12))).info.id, first.id)
  assert.deepEqual(await store.sessionInfo(first.id), first)

  // Search: the words are in the messages of the SpecStory (Cursor) session only.
  const hits = await store.search('jitter reconnect')
  assert.equal(hits.length, 1)
  assert.equal(hits[0].session.title, 'Debugging a flaky websocket test')
  assert.ok(hits[0].score > 0)
  assert.ok(hits[0].messages.length >= 1)
  for (const m of hits[0].messages) {
    assert.equal(typeof m.snippet, 'string')
    assert.ok(m.score > 0)
    assert.ok(m.index < hits[0].session.messageCount)
  }
  assert.ok(hits[0].messages.some((m) => /jitter|reconnect/i.test(m.snippet)))
  const several = await store.search('test')
  assert.ok(several.length >= 2)
  assert.equal((await store.search('test', { limit: 1 })).length, 1)
  assert.ok((await store.search('test', { sourceTool: 'aider' })).every((h) => h.session.sourceTool === 'aider'))
  assert.deepEqual(await store.search('jitter', { sourceTool: 'no-such-tool' }), [])
  assert.deepEqual(await store.search('zzzqqqxxyy'), [])
})

test('importBytes takes a Buffer, a Uint8Array, an ArrayBuffer or a string', async (t) => {
  const store = await tmpStore(t)
  const file = transcriptFiles().find((f) => f.endsWith('.md'))
  const buf = fs.readFileSync(file)
  const first = await store.importBytes('a.md', buf)
  assert.ok(first.imported.length >= 1)
  const forms = [
    new Uint8Array(buf),
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length),
    buf.toString('utf8'),
    new DataView(buf.buffer, buf.byteOffset, buf.length),
  ]
  for (const data of forms) {
    const r = await store.importBytes('b.md', data)
    assert.equal(r.sourceId, first.sourceId)
    assert.deepEqual(r.imported, [])
  }
  assert.ok((await store.exportSource(first.sourceId)).equals(buf))
})

test('imported sessions are recompressed in the background once imports pause', async (t) => {
  // The size as imported, from a store with the recompression off (in the store below it
  // may already have started by the time a first `stats()` resolves, on a busy machine).
  const off = await Mnemo.open(path.join(tmpDir(t), 'off'), { syncWrites: false, recompressLevel: 0 })
  for (const f of transcriptFiles()) await off.importFile(f)
  const imported = await off.stats()
  off.close()
  const dir = path.join(tmpDir(t), 'store')
  const store = await Mnemo.open(dir, { syncWrites: false, recompressLevel: 19 })
  t.after(() => store.close())
  for (const f of transcriptFiles()) await store.importFile(f)
  let stats = await store.stats()
  const deadline = Date.now() + 120_000
  while (stats.recompressedThrough !== stats.lastSeq) {
    assert.ok(Date.now() < deadline, `stuck at ${stats.recompressedThrough} of ${stats.lastSeq}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    stats = await store.stats()
  }
  assert.ok(stats.counters.blobStoredBytes < imported.counters.blobStoredBytes)
  assert.equal(stats.counters.blobBytes, imported.counters.blobBytes)
})

test('stats and the log reflect the imports', async (t) => {
  const store = await tmpStore(t)
  const files = transcriptFiles()
  for (const f of files) await store.importFile(f)
  const stats = await store.stats()
  const size = files.reduce((n, f) => n + fs.statSync(f).size, 0)
  assert.equal(stats.counters.sources, files.length)
  assert.equal(stats.counters.rawBytes, size)
  assert.equal(stats.counters.sessions, (await store.listSessions()).length)
  assert.ok(stats.counters.messages > 0)
  assert.equal(stats.lastSeq, store.lastSeq())
  assert.ok(stats.storedContentBytes > 0)
  assert.ok(stats.compressionRatio > 0)
  assert.ok(Array.isArray(stats.columnFamilies) && stats.columnFamilies.length > 0)
  assert.equal(
    stats.diskBytes,
    stats.columnFamilies.reduce((n, c) => n + c.bytes, 0),
  )
  await store.flush()

  const log = await store.readLog(1, 10_000)
  assert.equal(log.length, store.lastSeq())
  log.forEach((e, i) => {
    assert.equal(e.seq, i + 1)
    assert.ok(Buffer.isBuffer(e.payload))
    assert.equal(typeof e.kind, 'string')
    assert.equal(typeof e.stream, 'string')
  })
  assert.deepEqual(
    (await store.readLog(2, 2)).map((e) => e.seq),
    [2, 3],
  )
  assert.deepEqual(await store.readLog(store.lastSeq() + 1), [])
  const trained = await store.retrainDictionaries()
  assert.ok(Array.isArray(trained))
  const compacted = await store.compact(9)
  assert.equal(compacted.blobs, stats.counters.blobs)
  assert.ok(compacted.bytesAfter <= compacted.bytesBefore)
  for (const f of files) {
    const r = await store.importFile(f)
    assert.ok((await store.exportSource(r.sourceId)).equals(fs.readFileSync(f)), 'byte-exact after compaction')
  }
})
