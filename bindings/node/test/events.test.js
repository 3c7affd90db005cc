'use strict'
// The event store: appends with optimistic concurrency, stream and log reads, named
// subscriptions, built-in projections and their views, snapshots, the hash chain.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Mnemo, ConflictError, InvalidInputError, NotFoundError, View } = require('..')
const { tmpDir, tmpStore } = require('./helpers')

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
  const names = (await store.projections()).map((p) => p.name).sort()
  assert.deepEqual(names, ['event-counts', 'stream-heads'])
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
