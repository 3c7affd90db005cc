'use strict'
/**
 * Mnemo for Node.js: an embeddable engine for AI coding context.
 *
 * This module and those in `lib/` are the public face of the native addon `mnemo.node`
 * (built from `src/*.rs` with napi-rs). Like the addon they hold no logic: they check
 * argument types (wrong types → `TypeError`, bad numbers → `RangeError`), convert
 * convenient JS values (strings to bytes, `Date`s to milliseconds, version numbers to
 * selectors), turn native errors into `MnemoError` subclasses whose `code` is the core's
 * `Error::code()`, and shape the change feed as an async iterator.
 *
 * Layout, one concept per module: `lib/native.js` loads the addon; `lib/errors.js` holds
 * the error classes and maps native errors to them; `lib/args.js` checks and converts
 * arguments; `lib/subscription.js` is the change feed's iterator; `lib/view.js` the
 * projections' read models; `lib/mnemo.js` the store, whose event-store and maintenance
 * methods are in `lib/event-store.js`; `lib/symbols.js` the symbols they share. This file
 * only gathers the public names.
 *
 * Every method that touches disk returns a Promise and runs on libuv's thread pool;
 * change-feed waits run on one background thread. The JS thread never blocks, except in
 * `close()` (the final flush; `closeAsync()` avoids even that) and in the `*Sync` reads
 * (`promptSync`, `sessionSync`, `exportSessionSync`...), which run on the calling thread
 * like better-sqlite3's calls: a point read served from memory takes microseconds, less
 * than the round trip of a Promise through the pool. The `*Sync` writes (`addPromptSync`,
 * `importBytesSync`, `appendSync`) also run on the calling thread, which then waits for the
 * commit (its fsync with `syncWrites`), as a better-sqlite3 write does.
 *
 * @example
 * const { Mnemo } = require('mnemo-node')
 * const store = await Mnemo.open('/tmp/mnemo')
 * await store.importFile('.aider.chat.history.md')
 * for (const hit of await store.search('database is locked')) console.log(hit.session.title)
 * store.close()
 */

const { MnemoError, ERROR_CODES, errors } = require('./lib/errors')
const { Subscription } = require('./lib/subscription')
const { View, ViewBatch } = require('./lib/view')
const { Mnemo } = require('./lib/mnemo')
const { BUILTIN_PROJECTIONS } = require('./lib/event-store')

module.exports = { Mnemo, Subscription, View, ViewBatch, MnemoError, ...errors, ERROR_CODES, BUILTIN_PROJECTIONS }
