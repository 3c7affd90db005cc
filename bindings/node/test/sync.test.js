'use strict'
// The synchronous reads (`promptSync`, `sessionSync`, ...) and writes (`addPromptSync`,
// `importBytesSync`, `appendSync`): same results as their async forms, run on the calling
// thread, and throw (never reject) the same typed errors.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')

const {
  AmbiguousError,
  ClosedError,
  ConflictError,
  InvalidInputError,
  MissingVariableError,
  MnemoError,
  NotFoundError,
  UnknownFormatError,
} = require('..')
const { tmpStore, transcriptFiles } = require('./helpers')

test('sync reads return what the async ones resolve to', async (t) => {
  const store = await tmpStore(t)
  await store.addPrompt('review', 'Review {{file}} for {{concern}}.')
  const v2 = await store.addPrompt('review', 'Review {{file}} carefully.')
  await store.labelPrompt('review', 'production', 1)

  const latest = store.promptSync('review')
  assert.ok(!(latest instanceof Promise))
  assert.deepEqual(latest, v2)
  assert.deepEqual(latest, await store.prompt('review'))
  assert.deepEqual(store.promptSync('review', 'latest'), v2)
  assert.deepEqual(store.promptSync('review', 'production'), await store.prompt('review', 'production'))
  assert.equal(store.promptSync('review', 1).version, 1)
  assert.equal(store.promptSync('review', '1').version, 1)
  assert.deepEqual(store.promptLabelsSync('review'), { latest: 2, production: 1 })
  assert.equal(store.renderPromptSync('review', { file: 'db.rs' }), 'Review db.rs carefully.')
  assert.equal(
    store.renderPromptSync('review', new Map([['file', 'a.rs'], ['concern', 'races']]), 'production'),
    'Review a.rs for races.',
  )

  const file = transcriptFiles().find((f) => f.endsWith('.md'))
  const imported = await store.importFile(file)
  const id = imported.imported[0]
  assert.deepEqual(store.sessionSync(id), await store.session(id))
  assert.deepEqual(store.sessionSync(id.slice(0, 8)), await store.session(id))
  assert.deepEqual(store.sessionInfoSync(id), await store.sessionInfo(id))
  assert.deepEqual(store.sessionInfoSync(id.toUpperCase()), await store.sessionInfo(id))
  const raw = store.exportSessionSync(id)
  assert.ok(Buffer.isBuffer(raw))
  assert.deepEqual(raw, await store.exportSession(id))
  if (imported.imported.length === 1) assert.deepEqual(raw, fs.readFileSync(file))
})

test('sync reads throw typed errors', async (t) => {
  const store = await tmpStore(t)
  await store.addPrompt('review', 'Review {{file}}.')
  const cases = [
    [() => store.promptSync('nope'), NotFoundError, 'not_found'],
    [() => store.promptSync('review', 'staging'), NotFoundError, 'not_found'],
    [() => store.promptSync('review', 9), NotFoundError, 'not_found'],
    [() => store.promptSync('review', 'latest!'), NotFoundError, 'not_found'],
    [() => store.renderPromptSync('review', {}), MissingVariableError, 'missing_variable'],
    [() => store.renderPromptSync('nope', {}), NotFoundError, 'not_found'],
    [() => store.sessionSync('0'.repeat(32)), NotFoundError, 'not_found'],
    [() => store.sessionInfoSync('zz'), NotFoundError, 'not_found'],
    [() => store.exportSessionSync(''), NotFoundError, 'not_found'],
  ]
  for (const [call, cls, code] of cases) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof cls, `${call}: ${e}`)
      assert.ok(e instanceof MnemoError)
      assert.equal(e.code, code)
      return true
    })
  }
  assert.deepEqual(store.promptLabelsSync('nope'), {})

  // An ambiguous prefix, as for the async form.
  const base = fs.readFileSync(transcriptFiles().find((f) => f.endsWith('.md')), 'utf8')
  const ids = []
  for (let i = 0; i < 17; i++) ids.push(...(await store.importBytes(`v${i}.md`, `${base}\nvariant ${i}\n`)).imported)
  const counts = new Map()
  for (const id of ids) counts.set(id[0], (counts.get(id[0]) || 0) + 1)
  const prefix = [...counts].find(([, n]) => n > 1)[0]
  assert.throws(() => store.sessionSync(prefix), AmbiguousError)
})

test('sync reads check their arguments: TypeError and RangeError, thrown', async (t) => {
  const store = await tmpStore(t)
  const wrong = [
    () => store.promptSync(1),
    () => store.promptSync('p', {}),
    () => store.promptSync('p', true),
    () => store.promptLabelsSync(null),
    () => store.renderPromptSync('p', 'file=a'),
    () => store.renderPromptSync('p', { file: {} }),
    () => store.renderPromptSync(undefined, {}),
    () => store.sessionSync(42),
    () => store.sessionInfoSync(Buffer.from('ab')),
    () => store.exportSessionSync(),
  ]
  for (const call of wrong) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof TypeError, `${call}: ${e}`)
      assert.equal(e.code, 'ERR_INVALID_ARG_TYPE')
      return true
    })
  }
  assert.throws(() => store.promptSync('p', -1), RangeError)
  assert.throws(() => store.promptSync('p', 2 ** 32), RangeError)
  assert.throws(() => store.promptSync('p', 1.5), RangeError)
})

test('sync reads on a closed handle throw ClosedError', async (t) => {
  const store = await tmpStore(t)
  await store.addPrompt('p', 'x')
  const id = (await store.importFile(transcriptFiles()[0])).imported[0]
  store.close()
  const calls = [
    () => store.promptSync('p'),
    () => store.promptLabelsSync('p'),
    () => store.renderPromptSync('p', {}),
    () => store.sessionSync(id),
    () => store.sessionInfoSync(id),
    () => store.exportSessionSync(id),
  ]
  for (const call of calls) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof ClosedError, `${call}: ${e}`)
      assert.equal(e.code, 'closed')
      return true
    })
  }
})

test('a sync read right after the change feed reports a write sees it', async (t) => {
  const store = await tmpStore(t)
  const sub = store.subscribe({ kinds: ['prompt.added'] })
  t.after(() => sub.close())
  const added = store.addPrompt('live', 'v1 {{x}}')
  const { value } = await sub.next()
  assert.equal(value.stream, 'prompt/live')
  // The event is in the log, so its projection (same batch) is readable right away.
  assert.equal(store.promptSync('live').body, 'v1 {{x}}')
  await added
})

test('sync writes commit at once and return what the async ones resolve to', async (t) => {
  const store = await tmpStore(t)
  const v1 = store.addPromptSync('review', 'Review {{file}} for {{concern}}.')
  assert.ok(!(v1 instanceof Promise))
  assert.equal(v1.version, 1)
  assert.deepEqual(v1.variables, ['file', 'concern'])
  assert.deepEqual(store.promptSync('review'), v1, 'readable as soon as it returns')
  assert.equal((await store.addPrompt('review', 'Again {{file}}.')).version, 2)
  const v3 = store.addPromptSync('review', 'Third.')
  assert.equal(v3.version, 3)
  assert.deepEqual(await store.prompt('review'), v3)
  assert.equal(store.labelPromptSync('review', 'production', 2), undefined)
  assert.equal(store.promptSync('review', 'production').version, 2)
  assert.deepEqual(store.promptLabelsSync('review'), { latest: 3, production: 2 })

  const file = transcriptFiles().find((f) => f.endsWith('.md'))
  const bytes = fs.readFileSync(file)
  const first = store.importBytesSync('t.md', bytes)
  assert.ok(!(first instanceof Promise))
  assert.ok(first.imported.length >= 1)
  assert.equal(first.bytes, bytes.length)
  if (first.imported.length === 1) assert.deepEqual(store.exportSessionSync(first.imported[0]), bytes)
  const again = store.importBytesSync('t.md', bytes)
  assert.deepEqual(again.imported, [])
  assert.equal(again.alreadyStored, first.imported.length)
  assert.deepEqual(again, await store.importBytes('t.md', bytes))
  const text = store.importBytesSync('s.md', `${bytes.toString('utf8')}\nvariant\n`)
  assert.ok(text.imported.length >= 1, 'a string is imported as its UTF-8 bytes')
  assert.equal(text.bytes, Buffer.byteLength(`${bytes.toString('utf8')}\nvariant\n`))

  const a = store.appendSync('order-1', [{ kind: 'placed', payload: { id: 1 } }], { expected: 'no_stream' })
  const seq = a.firstSeq
  assert.deepEqual(a, { firstSeq: seq, lastSeq: seq, version: 1 })
  const b = store.appendSync('order-1', [{ kind: 'paid' }, { kind: 'shipped', payload: Buffer.from('x') }], { expected: 1 })
  assert.deepEqual(b, { firstSeq: seq + 1, lastSeq: seq + 2, version: 3 })
  assert.equal(await store.streamVersion('order-1'), 3)
  assert.deepEqual((await store.readStream('order-1')).map((e) => e.kind), ['placed', 'paid', 'shipped'])
  assert.equal(store.lastSeq(), seq + 2)
})

test('sync writes throw typed errors and write nothing then', async (t) => {
  const store = await tmpStore(t)
  store.appendSync('order-1', [{ kind: 'placed' }])
  const cases = [
    [() => store.appendSync('order-1', [{ kind: 'x' }], { expected: 'no_stream' }), ConflictError, 'conflict'],
    [() => store.appendSync('order-1', [{ kind: 'x' }], { expected: 7 }), ConflictError, 'conflict'],
    [() => store.appendSync('order-1', []), InvalidInputError, 'invalid_input'],
    [() => store.addPromptSync('', 'x'), InvalidInputError, 'invalid_input'],
    [() => store.addPromptSync('bad', 'Hello {{'), InvalidInputError, 'invalid_input'],
    [() => store.labelPromptSync('nope', 'production', 1), NotFoundError, 'not_found'],
    [() => store.labelPromptSync('nope', 'latest', 1), InvalidInputError, 'invalid_input'],
    [() => store.importBytesSync('x.bin', Buffer.from([0, 1, 2, 3])), UnknownFormatError, 'unknown_format'],
  ]
  for (const [call, cls, code] of cases) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof cls, `${call}: ${e}`)
      assert.ok(e instanceof MnemoError)
      assert.equal(e.code, code)
      return true
    })
  }
  assert.throws(() => store.appendSync('order-1', [{ kind: 'x' }], { expected: 'no_stream' }), (e) => e.current === 1)
  assert.equal(await store.streamVersion('order-1'), 1, 'nothing written by the failed appends')
  assert.deepEqual(await store.promptNames(), [])
  assert.equal((await store.stats()).counters.sessions, 0)

  const wrong = [
    () => store.addPromptSync(1, 'x'),
    () => store.addPromptSync('p', null),
    () => store.importBytesSync('t.md', 42),
    () => store.importBytesSync(null, 'x'),
    () => store.appendSync('s', 'not events'),
    () => store.appendSync('s', [{ kind: 'k', payload: 1n }]),
    () => store.appendSync(7, [{ kind: 'k' }]),
  ]
  for (const call of wrong) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof TypeError, `${call}: ${e}`)
      assert.equal(e.code, 'ERR_INVALID_ARG_TYPE')
      return true
    })
  }
})

test('sync writes on a closed handle throw ClosedError', async (t) => {
  const store = await tmpStore(t)
  store.close()
  const calls = [
    () => store.addPromptSync('p', 'x'),
    () => store.importBytesSync('t.md', Buffer.from('# x')),
    () => store.appendSync('s', [{ kind: 'k' }]),
  ]
  for (const call of calls) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof ClosedError, `${call}: ${e}`)
      assert.equal(e.code, 'closed')
      return true
    })
  }
})

test('a cached prompt resolves without a trip through the thread pool', async (t) => {
  const store = await tmpStore(t)
  const v1 = store.addPromptSync('p', 'one {{x}}')
  let immediate = false
  setImmediate(() => {
    immediate = true
  })
  // `addPromptSync` left the version in the core's cache: answered in a microtask, before
  // the event loop turns.
  assert.deepEqual(await store.prompt('p'), v1)
  assert.equal(immediate, false, 'resolved before the event loop turned')
  // A label moved on it drops the cached entry: read on the pool, same answers.
  store.labelPromptSync('p', 'production', 1)
  assert.deepEqual(await store.prompt('p'), v1)
  assert.deepEqual(await store.prompt('p', 'production'), v1)
  assert.deepEqual(await store.prompt('p', 1), v1)
  await assert.rejects(store.prompt('p', 'staging'), NotFoundError)
  await assert.rejects(store.prompt(7), TypeError)
  store.close()
  await assert.rejects(store.prompt('p'), ClosedError)
})

test('a cached session export resolves without a trip through the thread pool', async (t) => {
  const store = await tmpStore(t)
  const file = transcriptFiles().find((f) => f.endsWith('.md'))
  const { imported } = store.importBytesSync('t.md', fs.readFileSync(file))
  const id = imported[0]
  const bytes = store.exportSessionSync(id)
  let immediate = false
  setImmediate(() => {
    immediate = true
  })
  assert.deepEqual(await store.exportSession(id), bytes)
  assert.equal(immediate, false, 'resolved before the event loop turned')
  assert.deepEqual(await store.exportSession(id.slice(0, 10)), bytes, 'a prefix is read on the pool')
  await assert.rejects(store.exportSession('f'.repeat(32)), NotFoundError)
  store.close()
  await assert.rejects(store.exportSession(id), ClosedError)
})
