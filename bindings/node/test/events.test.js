'use strict'
// The event store: appends with optimistic concurrency, stream and log reads, named
// subscriptions, built-in projections and their views, snapshots and aggregates, the hash
// chain.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Mnemo, BUILTIN_PROJECTIONS, ConflictError, InvalidInputError, NotFoundError, View } = require('..')
const { tmpDir, tmpStore, transcriptFiles } = require('./helpers')

test('append checks the expected version; a conflict carries the current one', async (t) => {
  const store = await tmpStore(t)
  const r = await store.append('order-1', [{ kind: 'placed', payload: { id: 1 } }], { expected: 'no_stream' })
  assert.deepEqual(r, { firstSeq: 1, lastSeq: 1, version: 1 })
  const r2 = await store.append('order-1', [
    { kind: 'paid', payload: Buffer.from('raw'), metadata: { user: 'ann' }, schema: 2 },
    { kind: 'shipped' },
  ], { expected: 1 })
  assert.deepEqual(r2, { firstSeq: 2, lastSeq: 3, version: 3 })
  assert.equal(await store.streamVersion('order-1'), 3)
  assert.equal(await store.streamVersion('order-2'), null)

  await assert.rejects(store.append('order-1', [{ kind: 'paid' }], { expected: 1 }), (e) => {
    assert.ok(e instanceof ConflictError)
    assert.equal(e.code, 'conflict')
    assert.equal(e.current, 3)
    assert.equal(e.stream, 'order-1')
    return true
  })
  await assert.rejects(store.append('order-2', [{ kind: 'x' }], { expected: 4 }), (e) => {
    assert.ok(e instanceof ConflictError)
    assert.equal(e.current, null)
    return true
  })
  await assert.rejects(store.append('order-1', [{ kind: 'x' }], { expected: 'no_stream' }), ConflictError)
  assert.equal(await store.streamVersion('order-1'), 3, 'nothing written on conflict')

  const [e1, e2] = await store.readStream('order-1', { limit: 2 })
  assert.deepEqual(JSON.parse(e1.payload), { id: 1 })
  assert.equal(e1.schema, 1)
  assert.ok(Buffer.isBuffer(e2.payload))
  assert.equal(e2.payload.toString(), 'raw')
  assert.deepEqual(JSON.parse(e2.metadata), { user: 'ann' })
  assert.equal(e2.schema, 2)
})

test('reserved prefixes and bad arguments are rejected', async (t) => {
  const store = await tmpStore(t)
  for (const stream of ['session/x', 'prompt/x', 'source/x', 'workflow/x', '']) {
    await assert.rejects(store.append(stream, [{ kind: 'k' }]), (e) => {
      assert.ok(e instanceof InvalidInputError, stream)
      assert.equal(e.code, 'invalid_input')
      return true
    })
  }
  await assert.rejects(store.append('s', []), InvalidInputError)
  await assert.rejects(store.append('s', [{ kind: 'k', payload: 1n }]), { code: 'ERR_INVALID_ARG_TYPE' })
  await assert.rejects(store.append('s', [{ kind: 'k' }], { expected: 'none' }), TypeError)
  await assert.rejects(store.append('s', [{ kind: 'k' }], { expected: -1 }), RangeError)
  await assert.rejects(store.readStream('missing'), NotFoundError)
})

test('appendMany is atomic', async (t) => {
  const store = await tmpStore(t)
  const rs = await store.appendMany([
    { stream: 'a', events: [{ kind: 'k' }], expected: 'no_stream' },
    { stream: 'b', events: [{ kind: 'k' }, { kind: 'k' }] },
  ])
  assert.deepEqual(rs.map((r) => r.version), [1, 2])
  await assert.rejects(
    store.appendMany([
      { stream: 'a', events: [{ kind: 'k' }], expected: 1 },
      { stream: 'b', events: [{ kind: 'k' }], expected: 1 },
    ]),
    (e) => e instanceof ConflictError && e.current === 2,
  )
  assert.equal(await store.streamVersion('a'), 1)
  assert.equal(store.lastSeq(), 3)
})

test('reads a stream forward and backward and the log filtered', async (t) => {
  const store = await tmpStore(t)
  for (let i = 1; i <= 5; i++) {
    await store.append(`order-${i % 2}`, [{ kind: i % 2 ? 'odd' : 'even', payload: { i } }])
  }
  await store.addPrompt('p', 'hello')
  const fwd = await store.readStream('order-1')
  assert.deepEqual(fwd.map((e) => e.version), [1, 2, 3])
  assert.deepEqual(fwd.map((e) => JSON.parse(e.payload).i), [1, 3, 5])
  const back = await store.readStream('order-1', { backward: true, limit: 2 })
  assert.deepEqual(back.map((e) => e.version), [3, 2])
  const from2 = await store.readStream('order-1', { fromVersion: 2, backward: true })
  assert.deepEqual(from2.map((e) => e.version), [2, 1])
  assert.deepEqual((await store.readStream('order-1', { fromVersion: 2 })).map((e) => e.version), [2, 3])

  const all = await store.readAll()
  assert.equal(all.length, 6)
  const orders = await store.readAll({ streamPrefix: 'order-' })
  assert.deepEqual(orders.map((e) => e.seq), [1, 2, 3, 4, 5])
  const even = await store.readAll({ kinds: ['even'] })
  assert.deepEqual(even.map((e) => e.stream), ['order-0', 'order-0'])
  const page = await store.readAll({ fromSeq: 2, limit: 2, streamPrefix: 'order-1' })
  assert.deepEqual(page.map((e) => e.seq), [3, 5])
})

test('a named subscription resumes after its checkpoint across a reopen', async (t) => {
  const dir = path.join(tmpDir(t), 'store')
  let store = await Mnemo.open(dir, { syncWrites: false })
  for (let i = 1; i <= 4; i++) await store.append('orders', [{ kind: i % 2 ? 'placed' : 'paid', payload: { i } }])
  await store.append('other', [{ kind: 'placed' }])

  const unnamed = store.subscribe(1)
  await assert.rejects(unnamed.checkpoint(), InvalidInputError)
  unnamed.close()

  assert.equal(await store.subscriptionCheckpoint('mailer'), null)
  let sub = store.subscribe({ name: 'mailer', streamPrefix: 'orders', kinds: ['placed'] })
  const first = await sub.next()
  assert.equal(JSON.parse(first.value.payload).i, 1)
  await sub.checkpoint()
  assert.equal(await store.subscriptionCheckpoint('mailer'), first.value.seq)
  sub.close()
  store.close()

  store = await Mnemo.open(dir, { syncWrites: false })
  t.after(() => store.close())
  sub = store.subscribe({ name: 'mailer', from: 1, streamPrefix: 'orders', kinds: ['placed'] })
  const next = await sub.next()
  assert.equal(JSON.parse(next.value.payload).i, 3, 'resumes after the checkpoint, filtered')
  assert.equal(sub.position, next.value.seq + 1)
  // A pending next() must not be checkpointed: its entry is not handled yet.
  const pending = sub.next()
  await assert.rejects(sub.checkpoint(), InvalidInputError)
  await store.append('orders', [{ kind: 'placed', payload: { i: 5 } }])
  assert.equal(JSON.parse((await pending).value.payload).i, 5)
  await sub.checkpoint()
  sub.close()
  assert.equal(await store.subscriptionCheckpoint('mailer'), store.lastSeq())
  await assert.rejects(async () => {
    const bad = store.subscribe({ name: '' })
    await bad.next()
  }, InvalidInputError)
})

test('built-in projections run, rebuild and serve views', async (t) => {
  const store = await tmpStore(t)
  await store.append('a', [{ kind: 'placed' }, { kind: 'paid' }, { kind: 'placed' }])
  await store.append('b', [{ kind: 'placed' }])

  await assert.rejects(store.projectionStatus('event-counts'), NotFoundError)
  await assert.rejects(store.runProjection('no-such'), NotFoundError)
  const status = await store.runProjection('event-counts')
  assert.equal(status.name, 'event-counts')
  assert.equal(status.checkpoint, 4)
  assert.equal(status.lag, 0)
  assert.equal(status.error, null)
  assert.equal(status.rebuilding, null)

  const view = store.view('event-counts')
  assert.ok(view instanceof View)
  assert.equal(view.name, 'event-counts')
  assert.equal((await view.get('placed')).readBigUInt64BE(), 3n)
  assert.equal((await view.get(Buffer.from('paid'))).readBigUInt64BE(), 1n)
  assert.equal(await view.get('missing'), null)
  const all = await view.scan()
  assert.deepEqual(all.map((e) => e.key.toString()), ['paid', 'placed'])
  assert.deepEqual((await view.scan('pl')).map((e) => e.key.toString()), ['placed'])

  await store.append('b', [{ kind: 'paid' }])
  assert.equal((await store.projectionStatus('event-counts')).lag, 1)
  const rebuilt = await store.rebuildProjection('event-counts')
  assert.equal(rebuilt.generation, status.generation + 1)
  assert.equal(rebuilt.checkpoint, 5)
  assert.equal((await view.get('paid')).readBigUInt64BE(), 2n)

  await store.runProjection('stream-heads')
  const heads = store.view('stream-heads')
  assert.deepEqual(JSON.parse(await heads.get('a')), { version: 3, seq: 3, kind: 'placed' })
  // The context views are applied with every commit, so always listed (first).
  const names = (await store.projections()).map((p) => p.name)
  assert.deepEqual(names, ['context-views', 'event-counts', 'stream-heads'])
})

test('every built-in projection runs and rebuilds by name', async (t) => {
  const store = await tmpStore(t)
  await store.importFile(transcriptFiles()[0])
  await store.append('a', [{ kind: 'placed' }])
  assert.deepEqual(BUILTIN_PROJECTIONS, ['event-counts', 'stream-heads', 'search-index', 'context-views'])
  assert.ok(Object.isFrozen(BUILTIN_PROJECTIONS))
  for (const name of BUILTIN_PROJECTIONS) {
    const run = await store.runProjection(name)
    assert.equal(run.name, name)
    assert.equal(run.lag, 0)
    const rebuilt = await store.rebuildProjection(name)
    assert.equal(rebuilt.generation, run.generation + 1, name)
    assert.equal(rebuilt.lag, 0)
  }
  await store.importFile(transcriptFiles()[1])
  const index = await store.updateSearchIndex()
  assert.equal(index.name, 'search-index')
  assert.equal(index.lag, 0)
})

test('a context-views rebuild keeps sessions, prompts and workflows readable', async (t) => {
  const store = await tmpStore(t)
  const summary = await store.importPaths(transcriptFiles())
  const sessions = await store.listSessions()
  assert.ok(sessions.length > 0)
  assert.equal(summary.sessionsImported, sessions.length)
  const first = await store.session(sessions[0].id)
  await store.addPrompt('review', 'Review {{file}}')
  await store.labelPrompt('review', 'production', 1)
  await store.addWorkflow('ship', [{ name: 'review', prompt: 'review' }])
  const before = await store.projectionStatus('context-views')
  assert.equal(before.generation, 0)

  const report = await store.rebuildContextViews()
  assert.deepEqual(report, {
    generation: 1,
    entries: store.lastSeq(),
    sessions: sessions.length,
    sources: report.sources,
    promptVersions: 1,
    workflowVersions: 1,
  })
  assert.ok(report.sources >= 1)
  assert.equal((await store.rebuildProjection('context-views')).generation, 2)
  assert.equal((await store.projectionStatus('context-views')).generation, 2)

  assert.deepEqual((await store.listSessions()).map((s) => s.id), sessions.map((s) => s.id))
  assert.deepEqual(await store.session(first.info.id), first)
  assert.deepEqual(store.sessionSync(first.info.id), first)
  assert.equal(await store.renderPrompt('review', { file: 'a.rs' }, 'production'), 'Review a.rs')
  assert.equal((await store.workflow('ship')).version, 1)
})

test('snapshots save and load', async (t) => {
  const store = await tmpStore(t)
  assert.equal(await store.loadSnapshot('cart'), null)
  await store.append('cart', [{ kind: 'added' }, { kind: 'added' }])
  await assert.rejects(store.saveSnapshot('cart', 3, { items: 3 }), InvalidInputError)
  await store.saveSnapshot('cart', 2, { items: 2 })
  const snap = await store.loadSnapshot('cart')
  assert.equal(snap.version, 2)
  assert.deepEqual(JSON.parse(snap.state), { items: 2 })
  await store.saveSnapshot('cart', 1, Buffer.from([1, 2, 3]))
  assert.deepEqual([...(await store.loadSnapshot('cart')).state], [1, 2, 3])
})

/** An aggregate: the items in a cart, folded from `added` / `removed` events; its snapshot is its JSON. */
class Cart {
  constructor(items = {}) {
    this.items = { ...items }
  }

  apply(event) {
    const { item } = JSON.parse(event.payload)
    const n = (this.items[item] ?? 0) + (event.kind === 'added' ? 1 : -1)
    if (n === 0) delete this.items[item]
    else this.items[item] = n
  }

  /** The newest snapshot's state with the events after it folded over it. */
  static async load(store, stream) {
    const { snapshot, events, version } = await store.snapshotAndTail(stream)
    const cart = new Cart(snapshot ? JSON.parse(snapshot.state) : {})
    for (const e of events) cart.apply(e)
    return { cart, version }
  }

  async saveIfDue(store, stream, version, every) {
    if (!(await store.snapshotDue(stream, version, every))) return false
    await store.saveSnapshot(stream, version, this.items)
    return true
  }
}

test('an aggregate loads from its snapshot and tail, saving a snapshot every N events', async (t) => {
  const store = await tmpStore(t)
  assert.deepEqual(await store.snapshotAndTail('cart-9'), { snapshot: null, events: [], version: 0 })
  const items = ['tea', 'jam', 'tea', 'bread', 'jam', 'tea', 'milk']
  const saved = []
  for (let i = 0; i < 25; i++) {
    const kind = i % 4 === 3 ? 'removed' : 'added'
    await store.append('cart-9', [{ kind, payload: { item: items[i % items.length] } }])
    const { cart, version } = await Cart.load(store, 'cart-9')
    assert.equal(version, i + 1)
    if (await cart.saveIfDue(store, 'cart-9', version, 10)) saved.push(version)
  }
  assert.deepEqual(saved, [10, 20])

  const loaded = await store.snapshotAndTail('cart-9')
  assert.equal(loaded.snapshot.version, 20)
  assert.deepEqual(loaded.events.map((e) => e.version), [21, 22, 23, 24, 25])
  assert.equal(loaded.version, 25)
  assert.deepEqual(store.snapshotAndTailSync('cart-9'), loaded)
  const replay = new Cart()
  for (const e of await store.readStream('cart-9')) replay.apply(e)
  const { cart, version } = await Cart.load(store, 'cart-9')
  assert.deepEqual([cart.items, version], [replay.items, 25])
  assert.equal(store.snapshotDueSync('cart-9', 30, 10), true)
  assert.equal(store.snapshotDueSync('cart-9', 29, 10), false)
  assert.equal(await store.snapshotDue('cart-9', 25, 0), false)
  assert.throws(() => store.snapshotDueSync('cart-9', -1, 10), RangeError)
  await assert.rejects(store.snapshotAndTail(7), TypeError)
})

test('verifyLog walks the hash chain', async (t) => {
  const store = await tmpStore(t)
  assert.equal((await store.verifyLog()).entries, 0)
  await store.append('s', [{ kind: 'a' }, { kind: 'b' }])
  await store.addPrompt('p', 'x')
  const v = await store.verifyLog()
  assert.equal(v.entries, 3)
  const last = (await store.readLog(3, 1))[0]
  assert.equal(v.head, last.hash)
  store.close()
  await assert.rejects(store.verifyLog(), { code: 'closed' })
})
