'use strict'
// The change feed: async iterator, onChange, waitFor, and how they end.

const { test } = require('node:test')
const assert = require('node:assert/strict')

const { ClosedError, Subscription } = require('..')
const { tmpStore } = require('./helpers')

test('subscribe: catch up, then follow concurrent writes in order', async (t) => {
  const store = await tmpStore(t)
  await store.addPrompt('p0', 'zero')
  await store.addPrompt('p1', 'one')

  const sub = store.subscribe(1)
  assert.ok(sub instanceof Subscription)
  assert.equal(sub.position, 1)
  const writes = 20
  const writer = (async () => {
    for (let i = 0; i < writes; i++) {
      await store.addPrompt(`w${i % 3}`, `body ${i}`)
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 5))
    }
  })()
  const seen = []
  for await (const entry of sub) {
    seen.push(entry)
    if (seen.length === writes + 2) break
  }
  await writer
  assert.deepEqual(
    seen.map((e) => e.seq),
    Array.from({ length: writes + 2 }, (_, i) => i + 1),
  )
  assert.ok(seen.every((e) => e.kind.startsWith('prompt.') && e.stream.startsWith('prompt/')))
  assert.ok(seen.every((e) => Buffer.isBuffer(e.payload) && e.timestamp > 0))
  assert.equal(sub.position, writes + 3)
  // After `break` the iterator is done.
  assert.deepEqual(await sub.next(), { done: true, value: undefined })
})

test('subscribe from the middle; return() ends a pending next()', async (t) => {
  const store = await tmpStore(t)
  for (let i = 0; i < 5; i++) await store.addPrompt('p', `v${i}`)
  const sub = store.subscribe(4)
  assert.equal((await sub.next()).value.seq, 4)
  assert.equal((await sub.next()).value.seq, 5)
  const pending = sub.next() // waits: nothing after 5 yet
  const ended = await Promise.race([
    pending,
    new Promise((r) => setTimeout(() => r('still waiting'), 50)),
  ])
  assert.equal(ended, 'still waiting')
  await sub.return()
  assert.deepEqual(await pending, { done: true, value: undefined })
})

test('closing the store ends waiting subscriptions', async (t) => {
  const store = await tmpStore(t)
  const sub = store.subscribe()
  const waiting = (async () => {
    const got = []
    for await (const e of sub) got.push(e)
    return got
  })()
  await store.addPrompt('p', 'x')
  await new Promise((r) => setTimeout(r, 20))
  store.close()
  const got = await waiting
  assert.equal(got.length, 1)
  assert.throws(() => store.subscribe(), ClosedError)
})

test('many idle subscribers do not starve other calls (waits run off the libuv pool)', async (t) => {
  const store = await tmpStore(t)
  const subs = Array.from({ length: 16 }, () => store.subscribe(1))
  const firsts = subs.map((s) => s.next())
  // Every subscriber now waits; writes and reads must still go through.
  for (let i = 0; i < 8; i++) await store.addPrompt('p', `v${i}`)
  assert.equal((await store.prompt('p')).version, 8)
  for (const r of await Promise.all(firsts)) assert.equal(r.value.seq, 1)
  for (const s of subs) s.close()
})

test('onChange calls the listener per entry until unsubscribed', async (t) => {
  const store = await tmpStore(t)
  await store.addPrompt('a', 'one')
  const got = []
  let resolveThree
  const three = new Promise((r) => (resolveThree = r))
  const unsubscribe = store.onChange(1, (err, entry) => {
    assert.equal(err, null)
    got.push(entry.seq)
    if (got.length === 3) resolveThree()
  })
  await store.addPrompt('a', 'two')
  await store.addPrompt('b', 'three')
  await three
  unsubscribe()
  await store.addPrompt('c', 'four')
  await new Promise((r) => setTimeout(r, 30))
  assert.deepEqual(got, [1, 2, 3])
  assert.throws(() => store.onChange(1, 'not a function'), TypeError)
})

test('waitFor resolves on a new entry, on timeout, and rejects on close', async (t) => {
  const store = await tmpStore(t)
  assert.equal(await store.waitFor(0, 10), 0) // timeout: the current last seq
  const waiting = store.waitFor(0)
  setTimeout(() => store.addPrompt('p', 'x'), 10)
  assert.equal(await waiting, 1)
  assert.equal(await store.waitFor(0, 10), 1) // already past
  const never = store.waitFor(5)
  setTimeout(() => store.close(), 10)
  await assert.rejects(never, (e) => e instanceof ClosedError && e.code === 'closed')
})
