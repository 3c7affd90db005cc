'use strict'
// Bad input and error mapping: TypeError/RangeError for wrong arguments, MnemoError
// subclasses with the core's code for everything the store reports.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const mnemo = require('..')
const {
  Mnemo,
  MnemoError,
  AmbiguousError,
  ClosedError,
  ImportError,
  InvalidInputError,
  IoError,
  LockedError,
  NotFoundError,
  UnknownFormatError,
  ERROR_CODES,
} = mnemo
const { transcriptFiles, tmpDir, tmpStore } = require('./helpers')

test('every error code has a named MnemoError subclass', () => {
  for (const [code, name] of Object.entries(ERROR_CODES)) {
    const cls = mnemo[name]
    assert.equal(typeof cls, 'function', name)
    assert.equal(cls.name, name)
    assert.equal(cls.code, code)
    const e = new cls('boom')
    assert.ok(e instanceof MnemoError && e instanceof Error)
    assert.equal(e.code, code)
    assert.equal(e.name, name)
    assert.equal(e.message, 'boom')
  }
  assert.equal(ERROR_CODES.not_found, 'NotFoundError')
  assert.equal(ERROR_CODES.locked, 'LockedError')
  assert.equal(ERROR_CODES.closed, 'ClosedError')
  assert.equal(ERROR_CODES.missing_variable, 'MissingVariableError')
})

test('wrong argument types are TypeErrors, bad numbers RangeErrors', async (t) => {
  const store = await tmpStore(t)
  const typeErrors = [
    () => Mnemo.open(42),
    () => Mnemo.open('/tmp/x', 'options'),
    () => Mnemo.open('/tmp/x', { syncWrites: 'yes' }),
    () => store.importBytes('x.md', 42),
    () => store.importBytes(null, 'text'),
    () => store.importFile(['a']),
    () => store.importPaths(42),
    () => store.importPaths(['ok', 1]),
    () => store.importPaths('x', { onProgress: 'no' }),
    () => store.session(42),
    () => store.session(),
    () => store.sessionInfo({}),
    () => store.listSessions('aider'),
    () => store.listSessions({ sourceTool: 1 }),
    () => store.listSessions({ since: 'yesterday' }),
    () => store.search(),
    () => store.search('x', { limit: '3' }),
    () => store.exportSession(1n),
    () => store.exportSource(undefined),
    () => store.addPrompt('name', 42),
    () => store.prompt('name', {}),
    () => store.labelPrompt('a', 'b', '1'),
    () => store.renderPrompt('a', 'values'),
    () => store.renderPrompt('a', { x: {} }),
    () => store.addWorkflow('w', 'steps'),
    () => store.addWorkflow('w', [{ name: 's' }]),
    () => store.workflow('w', '1'),
    () => store.readLog('1'),
    () => store.waitFor('0'),
  ]
  for (const call of typeErrors) {
    await assert.rejects(call, (e) => {
      assert.ok(e instanceof TypeError, `${call}: ${e}`)
      assert.equal(e.code, 'ERR_INVALID_ARG_TYPE')
      return true
    })
  }
  const rangeErrors = [
    () => store.labelPrompt('a', 'b', -1),
    () => store.labelPrompt('a', 'b', 1.5),
    () => store.labelPrompt('a', 'b', 2 ** 32),
    () => store.readLog(-1),
    () => store.readLog(1, -5),
    () => store.waitFor(0, -1),
    () => store.prompt('a', -2),
  ]
  for (const call of rangeErrors) {
    await assert.rejects(call, (e) => {
      assert.ok(e instanceof RangeError, `${call}: ${e}`)
      assert.equal(e.code, 'ERR_OUT_OF_RANGE')
      return true
    })
  }
  assert.throws(() => store.subscribe('1'), TypeError)
  assert.throws(() => new Mnemo(), TypeError)
  assert.throws(() => new mnemo.Subscription(), TypeError)
})

test('the native layer rejects wrong types too (an error with the napi code, no crash)', async (t) => {
  // Bypassing index.js: napi's own argument conversion throws; index.js maps these codes
  // (StringExpected, InvalidArg, ...) to TypeError should one get past its checks.
  const native = require('../mnemo.node')
  assert.throws(() => native.NativeMnemo.open(42), { code: 'StringExpected' })
  assert.throws(() => new native.NativeMnemo())
  const store = await native.NativeMnemo.open(tmpDir(t))
  assert.throws(() => store.session(5), { code: 'StringExpected' })
  assert.throws(() => store.importBytes('x', 'not bytes'), { code: 'InvalidArg' })
  store.close()
})

test('store errors carry the core code', async (t) => {
  const store = await tmpStore(t)
  await assert.rejects(store.importBytes('notes.txt', 'just some text\n'), (e) => {
    assert.ok(e instanceof UnknownFormatError)
    assert.equal(e.code, 'unknown_format')
    assert.match(e.message, /notes\.txt/)
    return true
  })
  await assert.rejects(store.importBytes('x.traj', '{"trajectory": 5}'), (e) => {
    assert.ok(e instanceof ImportError)
    assert.equal(e.code, 'import')
    return true
  })
  await assert.rejects(store.importFile('/no/such/file.md'), { name: 'IoError', code: 'io' })
  await assert.rejects(store.importPaths(['/no/such/dir']), IoError)
  await assert.rejects(store.session('ffffffffffff'), NotFoundError)
  await assert.rejects(store.exportSource('00'.repeat(32)), NotFoundError)
  await assert.rejects(store.addPrompt('', 'x'), (e) => e instanceof InvalidInputError && e.code === 'invalid_input')
  await assert.rejects(store.addPrompt('bad', 'Hello {{'), InvalidInputError)
})

test('importPaths reports a bad file and imports the others', async (t) => {
  const store = await tmpStore(t)
  const dir = tmpDir(t)
  const good = transcriptFiles()[0]
  fs.copyFileSync(good, path.join(dir, path.basename(good)))
  fs.writeFileSync(path.join(dir, 'zz-notes.md'), '# just notes\n\nnothing to see\n')
  const summary = await store.importPaths(dir)
  assert.equal(summary.files.length, 2)
  const [ok, bad] = summary.files
  assert.equal(ok.error, null)
  assert.ok(ok.result.imported.length >= 1)
  assert.equal(bad.result, null)
  assert.ok(bad.error instanceof UnknownFormatError)
  assert.equal(bad.error.code, 'unknown_format')
  assert.equal(summary.sessionsImported, ok.result.imported.length)
})

test('an id prefix matching several sessions is AmbiguousError', async (t) => {
  const store = await tmpStore(t)
  const base = fs.readFileSync(transcriptFiles().find((f) => f.includes('specstory')), 'utf8')
  const ids = []
  // 17 distinct sessions: two share a first hex digit.
  for (let i = 0; i < 17; i++) ids.push(...(await store.importBytes(`v${i}.md`, `${base}\nvariant ${i}\n`)).imported)
  const byFirst = new Map()
  for (const id of ids) byFirst.set(id[0], (byFirst.get(id[0]) || 0) + 1)
  const prefix = [...byFirst].find(([, n]) => n > 1)[0]
  await assert.rejects(store.session(prefix), (e) => e instanceof AmbiguousError && e.code === 'ambiguous')
})

test('a closed handle rejects every call with ClosedError', async (t) => {
  const store = await tmpStore(t)
  await store.addPrompt('p', 'x')
  store.close()
  const calls = [
    () => store.importBytes('a.md', 'x'),
    () => store.importFile(transcriptFiles()[0]),
    () => store.importPaths([transcriptFiles()[0]]),
    () => store.session('ab'),
    () => store.sessionInfo('ab'),
    () => store.listSessions(),
    () => store.search('x'),
    () => store.exportSession('ab'),
    () => store.exportSource('ab'),
    () => store.sessionSource('ab'),
    () => store.addPrompt('p', 'y'),
    () => store.prompt('p'),
    () => store.promptVersions('p'),
    () => store.promptNames(),
    () => store.labelPrompt('p', 'l', 1),
    () => store.promptLabels('p'),
    () => store.renderPrompt('p', {}),
    () => store.addWorkflow('w', []),
    () => store.workflow('w'),
    () => store.workflowVersions('w'),
    () => store.renderWorkflow('w'),
    () => store.readLog(),
    () => store.waitFor(5),
    () => store.stats(),
    () => store.retrainDictionaries(),
    () => store.flush(),
  ]
  for (const call of calls) {
    await assert.rejects(call, (e) => {
      assert.ok(e instanceof ClosedError, `${call}: ${e}`)
      assert.equal(e.code, 'closed')
      return true
    })
  }
  assert.throws(() => store.lastSeq(), ClosedError)
  assert.throws(() => store.subscribe(), { code: 'closed' })
  store.close()
  await store.closeAsync()
})

test('a second open of an open directory is LockedError', async (t) => {
  const dir = path.join(tmpDir(t), 'store')
  const first = await Mnemo.open(dir)
  await assert.rejects(Mnemo.open(dir), (e) => {
    assert.ok(e instanceof LockedError)
    assert.equal(e.code, 'locked')
    return true
  })
  first.close()
  const second = await Mnemo.open(dir)
  second.close()
  await assert.rejects(Mnemo.open(path.join(dir, 'missing'), { createIfMissing: false }), MnemoError)
})
