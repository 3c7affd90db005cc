'use strict'
// The event store's methods of `Mnemo` (appends, stream reads, projections, upcasters,
// views, snapshots) and its maintenance methods (stats, dictionaries, compaction, flush),
// declared here and installed on `Mnemo.prototype` by `mnemo.js`: `this` is a `Mnemo` and
// `this[NATIVE]` its native store. Also the names of the built-in projections.

const native = require('./native')
const { MnemoError, settle, now, toJsError } = require('./errors')
const {
  typeError,
  str,
  optStr,
  uint,
  optUint,
  u32,
  optU32,
  optInt,
  optBool,
  optObject,
  body,
  events,
  expected,
  optStrings,
} = require('./args')
const { View, ViewBatch, endView } = require('./view')
const { INTERNAL, NATIVE } = require('./symbols')

/** A projection argument: a built-in projection's name, or `{name, apply, filter?}` written in JS. */
function projectionArg(p) {
  if (typeof p === 'string') return p
  if (p === null || typeof p !== 'object' || typeof p.name !== 'string' || typeof p.apply !== 'function') {
    throw typeError(
      'projection',
      "a built-in projection's name or an object with a string `name` and an `apply(event, view)` method",
      p,
    )
  }
  const f = optObject(p.filter, 'projection.filter')
  return {
    name: p.name,
    filter: { streamPrefix: optStr(f.streamPrefix, 'projection.filter.streamPrefix'), kinds: optStrings(f.kinds, 'projection.filter.kinds') },
  }
}

/** What a failing `apply` or upcaster reports as the reason: an Error's message, or the thrown value as text. */
function reasonOf(err) {
  if (err instanceof Error) return err.message || err.name
  try {
    return String(err)
  } catch {
    return 'unprintable exception'
  }
}

/** Drives a JS projection page by page: the core hands out events and commits each page. */
async function runPages(store, p, { name, filter }, rebuild) {
  for (;;) {
    const page = await store[NATIVE].projectionPage(name, filter, rebuild)
    for (let event = page.next(); event !== null; event = page.next()) {
      const view = new ViewBatch(INTERNAL, page)
      try {
        const r = p.apply(event, view)
        if (r !== null && typeof r === 'object' && typeof r.then === 'function') await r
      } catch (err) {
        endView(view)
        let failure
        try {
          await page.fail(reasonOf(err))
        } catch (e) {
          failure = toJsError(e)
        }
        if (failure instanceof MnemoError && failure.code === 'projection_failed') failure.cause = err
        throw failure
      }
      endView(view)
    }
    if (await page.commit()) return store[NATIVE].projectionStatus(name)
  }
}

/** The methods `mnemo.js` installs on `Mnemo.prototype`, in this order. */
class EventStoreMethods {
  // --- event store ---------------------------------------------------------------------

  /**
   * Appends `events` (`{kind, payload, metadata?, schema?}`; a payload or metadata that is
   * not bytes or a string is stored as JSON) to host stream `stream` atomically, if it is
   * at `options.expected` (`'any'` (default), `'no_stream'` or a version). Otherwise
   * rejects with `ConflictError` (`err.current`: the stream's version, `null` if none) and
   * writes nothing. Resolves `{firstSeq, lastSeq, version}`.
   */
  append(stream, events_, options) {
    return settle(() => {
      const o = optObject(options, 'options')
      return this[NATIVE].append(str(stream, 'stream'), events(events_, 'events'), expected(o.expected, 'options.expected'))
    })
  }

  /** `append(stream, events, options)` on the calling thread (see "Synchronous writes" in the README). */
  appendSync(stream, events_, options) {
    return now(() => {
      const o = optObject(options, 'options')
      return this[NATIVE].appendSync(str(stream, 'stream'), events(events_, 'events'), expected(o.expected, 'options.expected'))
    })
  }

  /** Appends `[{stream, events, expected?}, ...]` in one atomic commit: all or nothing. */
  appendMany(batches) {
    return settle(() => {
      if (!Array.isArray(batches)) throw typeError('batches', 'an array of {stream, events, expected}', batches)
      const list = batches.map((b, i) => {
        const n = `batches[${i}]`
        if (b === null || typeof b !== 'object' || Array.isArray(b)) throw typeError(n, 'an object', b)
        return {
          stream: str(b.stream, `${n}.stream`),
          events: events(b.events, `${n}.events`),
          expected: expected(b.expected, `${n}.expected`),
        }
      })
      return this[NATIVE].appendMany(list)
    })
  }

  /**
   * Up to `limit` (default 1000) events of `stream` from version `fromVersion` (default:
   * the first, or the last when `backward`), oldest first or newest first when `backward`.
   * Rejects with `NotFoundError` for a stream with no events.
   */
  readStream(stream, options) {
    return settle(() => {
      const o = optObject(options, 'options')
      return this[NATIVE].readStream(
        str(stream, 'stream'),
        optUint(o.fromVersion, 'options.fromVersion'),
        optBool(o.backward, 'options.backward'),
        optU32(o.limit, 'options.limit'),
      )
    })
  }

  /**
   * Up to `limit` (default 1000) log entries of every stream with sequence number
   * `>= fromSeq` (default 1), in order; only of streams starting with `streamPrefix` and
   * of types in `kinds` when given.
   */
  readAll(options) {
    return settle(() => {
      const o = optObject(options, 'options')
      return this[NATIVE].readAll(optUint(o.fromSeq, 'options.fromSeq'), optU32(o.limit, 'options.limit'), {
        streamPrefix: optStr(o.streamPrefix, 'options.streamPrefix'),
        kinds: optStrings(o.kinds, 'options.kinds'),
      })
    })
  }

  /** The current version of `stream`, or `null` when it has no events. */
  streamVersion(stream) {
    return settle(() => this[NATIVE].streamVersion(str(stream, 'stream')))
  }

  /** Checks the whole log's hash chain; resolves `{entries, head}`, rejects with `CorruptedError`. */
  verifyLog() {
    return settle(() => this[NATIVE].verifyLog())
  }

  /**
   * Applies every event not yet applied to a projection and resolves its status. `p` is a
   * built-in projection's name (`'event-counts'`, `'stream-heads'`, `'search-index'`,
   * `'context-views'`) or a projection written in JS: `{name, apply(event, view), filter?: {streamPrefix, kinds}}`. `apply` runs on
   * this thread for each event passing the filter (it may return a promise) and writes
   * through `view` (`get`, `put`, `delete`); the writes commit together with the
   * checkpoint, page by page (exactly-once effect). When `apply` throws, the events before
   * it stay applied, the failure is recorded in `projectionStatus(name).error`, and the
   * call rejects with `ProjectionFailedError` (`cause`: what `apply` threw); the next run
   * retries that event, so nothing is skipped.
   */
  runProjection(p) {
    return settle(() => {
      const arg = projectionArg(p)
      if (typeof arg === 'string') return this[NATIVE].runProjection(arg)
      return runPages(this, p, arg, false)
    })
  }

  /**
   * Rebuilds a projection (a name or a JS projection, as for `runProjection`) from the
   * start of the log into a new generation while readers keep the current one, then
   * switches readers to it. An interrupted rebuild resumes where it stopped.
   */
  rebuildProjection(p) {
    return settle(() => {
      const arg = projectionArg(p)
      if (typeof arg === 'string') return this[NATIVE].rebuildProjection(arg)
      return runPages(this, p, arg, true)
    })
  }

  /**
   * Registers `upcaster(payload: Buffer)`, turning payloads of event type `kind` at schema
   * `fromSchema` into schema `fromSchema + 1` on every read of this store (stored events
   * are never rewritten). It must return the new payload synchronously (bytes, a string,
   * or a value stored as JSON); if it throws, the read rejects with `UpcastError` whose
   * `reason` is the exception's message. It runs on this thread.
   */
  registerUpcaster(kind, fromSchema, upcaster) {
    try {
      if (typeof upcaster !== 'function') throw typeError('upcaster', 'a function', upcaster)
      const wrapped = (payload) => {
        // Never throws into the addon: a failure is returned as its reason (a string).
        try {
          const out = upcaster(payload)
          if (out !== null && typeof out === 'object' && typeof out.then === 'function') {
            return 'an upcaster must return the new payload synchronously, not a promise'
          }
          return body(out, 'the upcaster\'s result')
        } catch (err) {
          return reasonOf(err)
        }
      }
      this[NATIVE].registerUpcaster(str(kind, 'kind'), u32(fromSchema, 'fromSchema'), wrapped)
    } catch (e) {
      throw toJsError(e)
    }
  }

  /**
   * Rebuilds the context views (sessions, sources, prompts, workflows) from the log into a
   * new generation while the current one keeps serving, then switches readers to it (what
   * `rebuildProjection('context-views')` does); resolves what it did.
   */
  rebuildContextViews() {
    return settle(() => this[NATIVE].rebuildContextViews())
  }

  /** Brings the search index up to date with every imported session now; resolves its status. */
  updateSearchIndex() {
    return settle(() => this[NATIVE].updateSearchIndex())
  }

  /** Where projection `name` stands (`NotFoundError` if it never ran). */
  projectionStatus(name) {
    return settle(() => this[NATIVE].projectionStatus(str(name, 'name')))
  }

  /** Every projection that has run. */
  projections() {
    return settle(() => this[NATIVE].projections())
  }

  /** The read model of projection `name`. */
  view(name) {
    try {
      return new View(INTERNAL, this[NATIVE].view(str(name, 'name')))
    } catch (e) {
      throw toJsError(e)
    }
  }

  /** Stores `state` (bytes, a string or a JSON value) as the snapshot of `stream` at `version`. */
  saveSnapshot(stream, version, state) {
    return settle(() =>
      this[NATIVE].saveSnapshot(str(stream, 'stream'), uint(version, 'version'), body(state, 'state')),
    )
  }

  /** The newest snapshot of `stream` (`{version, state: Buffer}`), or `null`. */
  loadSnapshot(stream) {
    return settle(() => this[NATIVE].loadSnapshot(str(stream, 'stream')))
  }

  /**
   * The newest snapshot of `stream` and the events after it (upcast, oldest first):
   * `{snapshot, events, version}`. Fold `events` over the snapshot's state to load an
   * aggregate at `version`.
   */
  snapshotAndTail(stream) {
    return settle(() => this[NATIVE].snapshotAndTail(str(stream, 'stream')))
  }

  /** `snapshotAndTail(stream)` on the calling thread. */
  snapshotAndTailSync(stream) {
    return now(() => this[NATIVE].snapshotAndTailSync(str(stream, 'stream')))
  }

  /**
   * Whether a snapshot of `stream` at `version` is due: at least `every` events since its
   * newest snapshot (or since the start without one); never when `every` is 0.
   */
  snapshotDue(stream, version, every) {
    return settle(() =>
      this[NATIVE].snapshotDue(str(stream, 'stream'), uint(version, 'version'), uint(every, 'every')),
    )
  }

  /** `snapshotDue(stream, version, every)` on the calling thread. */
  snapshotDueSync(stream, version, every) {
    return now(() =>
      this[NATIVE].snapshotDueSync(str(stream, 'stream'), uint(version, 'version'), uint(every, 'every')),
    )
  }

  // --- maintenance ---------------------------------------------------------------------

  /** Counters and on-disk sizes. */
  stats() {
    return settle(() => this[NATIVE].stats())
  }

  /** Trains new zstd dictionaries from the values already stored; returns the kinds trained. */
  retrainDictionaries() {
    return settle(() => this[NATIVE].retrainDictionaries())
  }

  /** Recompresses stored sessions at zstd `level` (default 15; higher is smaller and slower). */
  compact(level) {
    return settle(() => {
      const l = level === undefined || level === null ? 15 : optInt(level, 'level')
      return this[NATIVE].compact(l)
    })
  }

  /** Flushes memtables so on-disk sizes are final. */
  flush() {
    return settle(() => this[NATIVE].flush())
  }
}

/** Names of the built-in projections, runnable by name with `runProjection` and `rebuildProjection`. */
const BUILTIN_PROJECTIONS = Object.freeze(native.builtinProjections())

module.exports = { EventStoreMethods, BUILTIN_PROJECTIONS }
