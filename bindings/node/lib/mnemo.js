'use strict'
// `Mnemo`, the store: opening and closing, sessions, prompts, workflows, the log and its
// change feed. Its event-store and maintenance methods are declared in `event-store.js` and
// installed on `Mnemo.prototype` at the end of this file.

const native = require('./native')
const { settle, now, toJsError } = require('./errors')
const {
  typeError,
  str,
  optStr,
  uint,
  optUint,
  u32,
  optU32,
  optObject,
  bytes,
  values,
  selector,
  filter,
  openOptions,
  steps,
  optStrings,
  importSummary,
} = require('./args')
const { Subscription } = require('./subscription')
const { EventStoreMethods } = require('./event-store')
const { INTERNAL, NATIVE, DISPOSE, ASYNC_DISPOSE } = require('./symbols')

/** A Mnemo store opened on a directory. Create one with `await Mnemo.open(path)`. */
class Mnemo {
  /** @private Use `Mnemo.open(path, options)`. */
  constructor(token, nativeStore) {
    if (token !== INTERNAL) throw new TypeError('use `await Mnemo.open(path)` to open a store')
    // Not enumerable, not writable: see NATIVE in symbols.js.
    Object.defineProperty(this, NATIVE, { value: nativeStore })
  }

  /**
   * Opens (or creates) the store in `path`. A second open of a directory that is open
   * (in this process, a worker thread or another process) rejects with `LockedError`.
   */
  static open(path, options) {
    return settle(() =>
      native.NativeMnemo.open(str(path, 'path'), openOptions(options)).then(
        (n) => new Mnemo(INTERNAL, n),
      ),
    )
  }

  /** The store's directory. */
  get path() {
    return this[NATIVE].path
  }

  /** Whether `close()` was called. */
  get closed() {
    return this[NATIVE].closed
  }

  /**
   * Closes the store: flushes, releases the directory lock and ends subscriptions. Later
   * calls reject with `ClosedError`. Closing twice does nothing.
   */
  close() {
    this[NATIVE].close()
  }

  /** `close()` without blocking the JS thread for the final flush. */
  closeAsync() {
    return settle(() => this[NATIVE].closeAsync())
  }

  [DISPOSE]() {
    this.close()
  }

  [ASYNC_DISPOSE]() {
    return this.closeAsync()
  }

  // --- sessions ------------------------------------------------------------------------

  /** Imports one transcript from memory (format detected from content); `name` is kept as its source path. */
  importBytes(name, data) {
    return settle(() => this[NATIVE].importBytes(str(name, 'name'), bytes(data, 'data')))
  }

  /** `importBytes(name, data)` on the calling thread (see "Synchronous writes" in the README). */
  importBytesSync(name, data) {
    return JSON.parse(now(() => this[NATIVE].importBytesSync(str(name, 'name'), bytes(data, 'data'))))
  }

  /** Imports one transcript file. */
  importFile(path) {
    return settle(() => this[NATIVE].importFile(str(path, 'path')))
  }

  /**
   * Imports files and folders (folders are walked for transcript-like files). Each file
   * is all-or-nothing; a bad file is reported in `files[i].error` while the others go on.
   */
  importPaths(paths, options) {
    return settle(() => {
      const list = typeof paths === 'string' ? [paths] : paths
      if (!Array.isArray(list)) throw typeError('paths', 'a string or an array of strings', paths)
      list.forEach((p, i) => str(p, `paths[${i}]`))
      const o = optObject(options, 'options')
      const onProgress = o.onProgress === undefined || o.onProgress === null ? undefined : o.onProgress
      if (onProgress !== undefined && typeof onProgress !== 'function') {
        throw typeError('options.onProgress', 'a function', onProgress)
      }
      if (onProgress === undefined) return this[NATIVE].importPaths(list).then(importSummary)
      // Progress calls are queued to this thread and may arrive after the import's own
      // completion: settle only once every file's call was delivered.
      let delivered = 0
      let pending = null
      const progress = (p) => {
        delivered++
        try {
          onProgress(p)
        } finally {
          if (pending && delivered >= pending.count) pending.resolve()
        }
      }
      return this[NATIVE].importPaths(list, progress).then((summary) => {
        if (delivered >= summary.files.length) return importSummary(summary)
        return new Promise((resolve) => {
          pending = { count: summary.files.length, resolve }
        }).then(() => importSummary(summary))
      })
    })
  }

  /** A session with all its messages, by id or unique id prefix. */
  session(id) {
    return settle(() => this[NATIVE].session(str(id, 'id')))
  }

  /** `session(id)` on the calling thread (see "Synchronous reads" in the README). */
  sessionSync(id) {
    return JSON.parse(now(() => this[NATIVE].sessionSync(str(id, 'id'))))
  }

  /** A session's metadata only, by id or unique id prefix. */
  sessionInfo(id) {
    return settle(() => this[NATIVE].sessionInfo(str(id, 'id')))
  }

  /** `sessionInfo(id)` on the calling thread. */
  sessionInfoSync(id) {
    return JSON.parse(now(() => this[NATIVE].sessionInfoSync(str(id, 'id'))))
  }

  /** Sessions passing `filter` (`sourceTool`, `project`, `since`, `until`, `limit`), newest first. */
  listSessions(filter_) {
    return settle(() => this[NATIVE].listSessions(filter(filter_, 'filter')))
  }

  /** Keyword search, best sessions first; `options`: `limit` (default 10) and the `listSessions` filters. */
  search(query, options) {
    return settle(() => {
      const f = filter(options, 'options')
      return this[NATIVE].search(str(query, 'query'), f, f.limit)
    })
  }

  /** The original bytes of a session, byte-exact. */
  exportSession(id) {
    return settle(() => {
      const i = str(id, 'id')
      // A session the core's caches hold is answered without a round trip through libuv's
      // pool (it reads nothing from disk); the rest is read on the pool.
      const cached = this[NATIVE].exportSessionIfCached(i)
      return cached === null ? this[NATIVE].exportSession(i) : Promise.resolve(cached)
    })
  }

  /** `exportSession(id)` on the calling thread. */
  exportSessionSync(id) {
    return now(() => this[NATIVE].exportSessionSync(str(id, 'id')))
  }

  /** The whole original file a source id names, byte-exact. */
  exportSource(sourceId) {
    return settle(() => this[NATIVE].exportSource(str(sourceId, 'sourceId')))
  }

  /** The source id of the file a session came from. */
  sessionSource(id) {
    return settle(() => this[NATIVE].sessionSource(str(id, 'id')))
  }

  // --- prompts -------------------------------------------------------------------------

  /** Adds a new version of prompt template `name`; variables are `{{name}}` placeholders. */
  addPrompt(name, body) {
    return settle(() => this[NATIVE].addPrompt(str(name, 'name'), str(body, 'body')))
  }

  /** `addPrompt(name, body)` on the calling thread (see "Synchronous writes" in the README). */
  addPromptSync(name, body) {
    return JSON.parse(now(() => this[NATIVE].addPromptSync(str(name, 'name'), str(body, 'body'))))
  }

  /** Template `name` at a version number or label (default: the newest). */
  prompt(name, at) {
    return settle(() => {
      const [n, a] = [str(name, 'name'), selector(at, 'at')]
      // A template the core's cache holds is answered without a round trip through libuv's
      // pool (it reads nothing from disk); the rest is read on the pool.
      const cached = this[NATIVE].promptIfCached(n, a)
      return cached === null ? this[NATIVE].prompt(n, a) : Promise.resolve(JSON.parse(cached))
    })
  }

  /** `prompt(name, at)` on the calling thread. */
  promptSync(name, at) {
    return JSON.parse(now(() => this[NATIVE].promptSync(str(name, 'name'), selector(at, 'at'))))
  }

  /** Every version of template `name`, oldest first. */
  promptVersions(name) {
    return settle(() => this[NATIVE].promptVersions(str(name, 'name')))
  }

  /** Names of all prompt templates. */
  promptNames() {
    return settle(() => this[NATIVE].promptNames())
  }

  /** Points `label` (e.g. `production`) of template `name` at `version`. */
  labelPrompt(name, label, version) {
    return settle(() =>
      this[NATIVE].labelPrompt(str(name, 'name'), str(label, 'label'), u32(version, 'version')),
    )
  }

  /** `labelPrompt(name, label, version)` on the calling thread. */
  labelPromptSync(name, label, version) {
    now(() => this[NATIVE].labelPromptSync(str(name, 'name'), str(label, 'label'), u32(version, 'version')))
  }

  /** Labels of template `name` with their versions, `latest` included. */
  promptLabels(name) {
    return settle(() => this[NATIVE].promptLabels(str(name, 'name')))
  }

  /** `promptLabels(name)` on the calling thread. */
  promptLabelsSync(name) {
    return now(() => this[NATIVE].promptLabelsSync(str(name, 'name')))
  }

  /** Renders template `name` (at a label or version, default newest) with `values`; a missing value rejects with `MissingVariableError`. */
  renderPrompt(name, values_, at) {
    return settle(() =>
      this[NATIVE].renderPrompt(str(name, 'name'), values(values_, 'values'), selector(at, 'at')),
    )
  }

  /** `renderPrompt(name, values, at)` on the calling thread. */
  renderPromptSync(name, values_, at) {
    return now(() =>
      this[NATIVE].renderPromptSync(str(name, 'name'), values(values_, 'values'), selector(at, 'at')),
    )
  }

  // --- workflows -----------------------------------------------------------------------

  /** Adds a new version of workflow `name`: ordered steps rendering prompt templates. */
  addWorkflow(name, steps_) {
    return settle(() => this[NATIVE].addWorkflow(str(name, 'name'), steps(steps_, 'steps')))
  }

  /** Workflow `name` at `version` (default: the newest). */
  workflow(name, version) {
    return settle(() => this[NATIVE].workflow(str(name, 'name'), optU32(version, 'version')))
  }

  /** Every version of workflow `name`, oldest first. */
  workflowVersions(name) {
    return settle(() => this[NATIVE].workflowVersions(str(name, 'name')))
  }

  /** Renders each step of workflow `name` in order; `values` override the steps' own values. */
  renderWorkflow(name, values_, version) {
    return settle(() =>
      this[NATIVE].renderWorkflow(
        str(name, 'name'),
        values(values_, 'values'),
        optU32(version, 'version'),
      ),
    )
  }

  // --- the log and its change feed -----------------------------------------------------

  /** Up to `limit` (default 256) log entries with sequence number `>= from` (default 1), in order. */
  readLog(from, limit) {
    return settle(() => this[NATIVE].readLog(optUint(from, 'from'), optU32(limit, 'limit')))
  }

  /** The last committed sequence number (0 for an empty log). */
  lastSeq() {
    try {
      return this[NATIVE].lastSeq()
    } catch (e) {
      throw toJsError(e)
    }
  }

  /**
   * Resolves with the last sequence number once the log has an entry after `after`, or
   * when `timeoutMs` passes (then with the current last sequence number). Rejects with
   * `ClosedError` when the store closes while waiting.
   */
  waitFor(after, timeoutMs) {
    return settle(() => {
      if (timeoutMs !== undefined && timeoutMs !== null) uint(timeoutMs, 'timeoutMs')
      return this[NATIVE].waitFor(uint(after, 'after'), timeoutMs)
    })
  }

  /**
   * The change feed as an async iterator: `for await (const entry of store.subscribe(from)) ...`.
   * `options` is a starting sequence number (default 1, the beginning) or
   * `{from, name, streamPrefix, kinds}`: only entries of streams starting with
   * `streamPrefix` and of types in `kinds`; a `name` persists the position with
   * `sub.checkpoint()` and resumes after the saved checkpoint (ignoring `from`).
   */
  subscribe(options) {
    try {
      let o
      if (options === undefined || options === null || typeof options === 'number') {
        o = { from: optUint(options, 'from') }
      } else {
        const x = optObject(options, 'options')
        o = {
          from: optUint(x.from, 'options.from'),
          name: optStr(x.name, 'options.name'),
          streamPrefix: optStr(x.streamPrefix, 'options.streamPrefix'),
          kinds: optStrings(x.kinds, 'options.kinds'),
        }
      }
      return new Subscription(INTERNAL, this[NATIVE].subscribe(o))
    } catch (e) {
      throw toJsError(e)
    }
  }

  /** The persisted checkpoint (last sequence number done) of named subscription `name`, or `null`. */
  subscriptionCheckpoint(name) {
    return settle(() => this[NATIVE].subscriptionCheckpoint(str(name, 'name')))
  }

  /**
   * Calls `listener(null, entry)` for each log entry from `from` on, as it commits, and
   * `listener(err)` if the feed fails. Returns a function that stops it. The feed stops
   * by itself when the store closes.
   */
  onChange(from, listener) {
    if (typeof listener !== 'function') throw typeError('listener', 'a function', listener)
    const sub = this.subscribe(from)
    ;(async () => {
      try {
        for (;;) {
          let r
          try {
            r = await sub.next()
          } catch (err) {
            listener(err)
            return
          }
          if (r.done) return
          listener(null, r.value)
        }
      } finally {
        sub.close()
      }
    })()
    return () => sub.close()
  }
}

// The methods declared in event-store.js, installed after the ones above (the order in which
// one class body would declare them) and with the same attributes (not enumerable).
for (const key of Reflect.ownKeys(EventStoreMethods.prototype)) {
  if (key === 'constructor') continue
  Object.defineProperty(Mnemo.prototype, key, Object.getOwnPropertyDescriptor(EventStoreMethods.prototype, key))
}

module.exports = { Mnemo }
