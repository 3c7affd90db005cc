'use strict'
// Host code written in JS: projections (sync and async `apply`, failure stops at the event
// with a typed error and resumes after a fix, exactly-once, blue-green rebuild) and
// upcasters (chains, failures, JSON results, reads from the pool and the feed thread,
// close() while reads wait for an upcaster).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const {
  ClosedError,
  MnemoError,
  ProjectionFailedError,
  UpcastError,
  ViewBatch,
} = require('..')
const { tmpStore } = require('./helpers')

const u64 = (n) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  return b
}
const count = (b) => (b === null ? 0 : Number(b.readBigUInt64BE()))

/** Counts events per type; throws on payload "boom" while `broken`. Async: reads through `view.get`. */
function counter(name, { broken = false } = {}) {
  return {
    name,
    broken,
    filter: { streamPrefix: 'shop-' },
    async apply(event, view) {
      assert.ok(view instanceof ViewBatch)
      view.put(event.kind, u64(count(await view.get(event.kind)) + 1))
      if (this.broken && event.payload.toString() === 'boom') throw new RangeError('cannot handle boom')
    },
  }
}

test('a JS projection stops at a failing event with ProjectionFailedError, resumes after a fix', async (t) => {
  const store = await tmpStore(t)
  // Over one page (512 entries), so the runner commits several pages.
  const sales = Array.from({ length: 700 }, (_, i) => ({ kind: 'sale', payload: String(i) }))
  await store.append('shop-1', sales)
  await store.append('other', [{ kind: 'sale', payload: 'filtered out' }])
  const boom = await store.append('shop-2', [{ kind: 'refund', payload: 'boom' }])
  await store.append('shop-2', [{ kind: 'refund', payload: 'ok' }])

  const p = counter('counts', { broken: true })
  await assert.rejects(store.runProjection(p), (e) => {
    assert.ok(e instanceof ProjectionFailedError && e instanceof MnemoError)
    assert.equal(e.code, 'projection_failed')
    assert.equal(e.projection, 'counts')
    assert.equal(e.seq, boom.firstSeq)
    assert.equal(e.reason, 'cannot handle boom')
    assert.ok(e.cause instanceof RangeError, 'cause is what apply threw')
    return true
  })
  const status = await store.projectionStatus('counts')
  assert.equal(status.checkpoint, boom.firstSeq - 1)
  assert.deepEqual(status.error, { seq: boom.firstSeq, reason: 'cannot handle boom' })
  const view = store.view('counts')
  assert.equal(count(await view.get('sale')), 700, 'events before the failure are applied; other streams filtered')
  assert.equal(count(await view.get('refund')), 0, "the failing event's writes are discarded")

  // Without a fix the same event fails again: nothing is skipped.
  await assert.rejects(store.runProjection(p), (e) => e.seq === boom.firstSeq)
  p.broken = false
  const fixed = await store.runProjection(p)
  assert.equal(fixed.error, null)
  assert.equal(fixed.lag, 0)
  assert.equal(count(await view.get('refund')), 2)
  // Exactly once: running again applies nothing twice.
  await store.runProjection(p)
  assert.equal(count(await view.get('sale')), 700)
  assert.ok((await store.projections()).some((s) => s.name === 'counts'))
})

test('a synchronous apply, a non-Error throw, and a ViewBatch used after apply', async (t) => {
  const store = await tmpStore(t)
  await store.append('a', [{ kind: 'x', payload: '1' }, { kind: 'y', payload: '2' }])
  let kept
  const sync = {
    name: 'sync',
    filter: { kinds: ['x'] },
    apply(event, view) {
      kept = view
      view.put(event.stream, event.payload)
      view.delete('never-there')
    },
  }
  assert.equal((await store.runProjection(sync)).checkpoint, 2)
  assert.deepEqual(await store.view('sync').scan(), [{ key: Buffer.from('a'), value: Buffer.from('1') }])
  assert.throws(() => kept.put('k', 'v'), { code: 'ERR_INVALID_STATE' })

  await store.append('a', [{ kind: 'x', payload: '3' }])
  const throwsString = { name: 'sync', filter: { kinds: ['x'] }, apply() { throw 'plain string' } } // eslint-disable-line no-throw-literal
  await assert.rejects(store.runProjection(throwsString), (e) => e instanceof ProjectionFailedError && e.reason === 'plain string' && e.cause === 'plain string')

  await assert.rejects(store.runProjection({ name: 'no-apply' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  await assert.rejects(store.runProjection({ name: 'p', apply() {}, filter: { kinds: 'x' } }), { name: 'TypeError' })
})

test('rebuilding a JS projection fills a new generation, then switches readers', async (t) => {
  const store = await tmpStore(t)
  await store.append('shop-1', Array.from({ length: 600 }, () => ({ kind: 'sale', payload: '' })))
  await store.runProjection(counter('counts'))
  assert.equal(count(await store.view('counts').get('sale')), 600)
  // A new version of the projection counts twice; readers see the old model until the switch.
  const doubled = {
    name: 'counts',
    async apply(event, view) {
      view.put(event.kind, u64(count(await view.get(event.kind)) + 2))
    },
  }
  const status = await store.rebuildProjection(doubled)
  assert.equal(status.generation, 1)
  assert.equal(status.rebuilding, null)
  assert.equal(count(await store.view('counts').get('sale')), 1200)
})

test('JS upcasters turn old schemas into new ones on every read', async (t) => {
  const store = await tmpStore(t)
  await store.append('order-1', [{ kind: 'placed', payload: { total: 3 } }])
  store.registerUpcaster('placed', 1, (payload) => ({ ...JSON.parse(payload), currency: 'EUR' }))
  store.registerUpcaster('placed', 2, (payload) => Buffer.concat([payload, Buffer.from(' ')]))
  const [e] = await store.readStream('order-1')
  assert.equal(e.schema, 3)
  assert.deepEqual(JSON.parse(e.payload), { total: 3, currency: 'EUR' })
  assert.equal((await store.readAll({ kinds: ['placed'] }))[0].schema, 3)
  // The feed thread reads too.
  const sub = store.subscribe({ from: 1, kinds: ['placed'] })
  const { value } = await sub.next()
  sub.close()
  assert.equal(value.schema, 3)
  // Projections see upcast events.
  const seen = []
  await store.runProjection({ name: 'seen', apply(ev) { seen.push(ev.schema) } })
  assert.deepEqual(seen, [3])

  await store.append('order-2', [{ kind: 'legacy', payload: 'x' }])
  store.registerUpcaster('legacy', 1, () => {
    throw new Error('unreadable payload')
  })
  await assert.rejects(store.readStream('order-2'), (err) => {
    assert.ok(err instanceof UpcastError)
    assert.equal(err.code, 'upcast')
    assert.equal(err.kind, 'legacy')
    assert.equal(err.schema, 1)
    assert.equal(err.reason, 'unreadable payload')
    return true
  })
  store.registerUpcaster('legacy', 1, async (p) => p)
  await assert.rejects(store.readStream('order-2'), (err) => err instanceof UpcastError && /synchronously/.test(err.reason))
  store.registerUpcaster('legacy', 1, (p) => p) // a fix replaces it
  assert.equal((await store.readStream('order-2'))[0].schema, 2)

  assert.throws(() => store.registerUpcaster('legacy', 1, 'nope'), { name: 'TypeError' })
  assert.throws(() => store.registerUpcaster('legacy', -1, (p) => p), { name: 'RangeError' })
})

test('close() while reads wait for a JS upcaster neither deadlocks nor crashes', async (t) => {
  const store = await tmpStore(t)
  await store.append('s', Array.from({ length: 50 }, () => ({ kind: 'old', payload: 'x' })))
  store.registerUpcaster('old', 1, (p) => p)
  const reads = Array.from({ length: 8 }, () => store.readAll({ limit: 50 }))
  store.close() // synchronous: readers waiting for this thread give up
  const results = await Promise.allSettled(reads)
  for (const r of results) {
    if (r.status === 'rejected') assert.ok(r.reason instanceof UpcastError || r.reason instanceof ClosedError, String(r.reason))
  }
  await assert.rejects(store.readAll(), ClosedError)
  assert.throws(() => store.registerUpcaster('old', 1, (p) => p), ClosedError)
})

test("the README's example of JS projections and upcasters runs", async (t) => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('### Projections and upcasters written in JS'))
  const code = /```js\n([\s\S]*?)```/.exec(section)[1]
  const store = await tmpStore(t)
  await store.append('order-1', [{ kind: 'placed', payload: { total: 30 } }])
  await store.append('order-2', [{ kind: 'placed', payload: { total: 12 } }, { kind: 'paid', payload: '' }])
  const AsyncFunction = (async () => {}).constructor
  await new AsyncFunction('store', code)(store)
  const view = store.view('totals')
  assert.equal(String(await view.get('sum')), '42')
  assert.deepEqual(JSON.parse(await view.get('order-2')), { total: 12 })
  assert.equal((await store.projectionStatus('totals')).generation, 1, 'rebuilt once')
  assert.deepEqual(JSON.parse((await store.readStream('order-1'))[0].payload), { total: 30, currency: 'EUR' })
})
