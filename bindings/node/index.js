'use strict'
/**
 * Mnemo for Node.js: an embeddable engine for AI coding context.
 *
 * This module is the public face of the native addon `mnemo.node` (built from
 * `src/*.rs` with napi-rs). Like the addon it holds no logic: it checks argument types
 * (wrong types → `TypeError`, bad numbers → `RangeError`), converts convenient JS values
 * (strings to bytes, `Date`s to milliseconds, version numbers to selectors), turns native
 * errors into `MnemoError` subclasses whose `code` is the core's `Error::code()`, and
 * shapes the change feed as an async iterator.
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

const path = require('node:path')

function loadNative() {
  const file = path.join(__dirname, 'mnemo.node')
  try {
    return require(file)
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND') {
      const err = new Error(
        `${file} is missing: build it with \`npm install\` (or \`node scripts/build.js\`) in ${__dirname}`,
      )
      err.code = 'MNEMO_NOT_BUILT'
      throw err
    }
    throw e
  }
}

const native = loadNative()

// ---------------------------------------------------------------------------------------
// Errors

/** Base class of every error the store reports; `code` is the core's `Error::code()`. */
class MnemoError extends Error {
  /**
   * @param {string} message
   * @param {string} code
   * @param {ErrorOptions} [options]
   */
  constructor(message, code, options) {
    super(message, options)
    this.name = new.target.name
    /** @type {string} */
    this.code = code
  }
}

/** The core's error codes and the subclass each maps to. */
const ERROR_CODES = {
  locked: 'LockedError',
  unknown_format: 'UnknownFormatError',
  import: 'ImportError',
  io: 'IoError',
  storage: 'StorageError',
  corrupted: 'CorruptedError',
  not_found: 'NotFoundError',
  ambiguous: 'AmbiguousError',
  missing_variable: 'MissingVariableError',
  conflict: 'ConflictError',
  invalid_input: 'InvalidInputError',
  too_large: 'TooLargeError',
  projection_failed: 'ProjectionFailedError',
  upcast: 'UpcastError',
  closed: 'ClosedError',
  internal: 'InternalError',
}

/** @type {Map<string, typeof MnemoError>} */
const ERROR_CLASSES = new Map()
const errors = {}
for (const [code, name] of Object.entries(ERROR_CODES)) {
  // A named class per code: `err instanceof NotFoundError`, `err.name === 'NotFoundError'`.
  const cls = {
    [name]: class extends MnemoError {
      constructor(message, options) {
        super(message, code, options)
      }
    },
  }[name]
  cls.code = code
  ERROR_CLASSES.set(code, cls)
  errors[name] = cls
}

/**
 * Fields some errors carry: `stream`, `expected`, `current` (version, or `null` for no
 * stream) of a `ConflictError`; `projection`, `seq`, `reason` of a `ProjectionFailedError`;
 * `kind`, `schema`, `reason` of an `UpcastError`.
 */
const ERROR_DETAILS = ['stream', 'expected', 'current', 'projection', 'seq', 'reason', 'kind', 'schema']

/** napi's own codes for an argument of the wrong type. */
const NAPI_TYPE_CODES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
  'DateExpected',
  'ArrayBufferExpected',
])

/** Turns an error from the addon (or a `{code, message}` report) into its JS class. */
function toJsError(e) {
  if (e instanceof MnemoError || e === null || typeof e !== 'object') return e
  const code = e.code
  if (typeof code !== 'string') return e
  const cls = ERROR_CLASSES.get(code)
  if (cls) {
    const err = new cls(e.message)
    for (const k of ERROR_DETAILS) if (Object.hasOwn(e, k)) err[k] = e[k]
    return err
  }
  if (NAPI_TYPE_CODES.has(code)) return argError(TypeError, 'ERR_INVALID_ARG_TYPE', e.message)
  // A code added to the core after this file was written: still a MnemoError.
  if (/^[a-z][a-z_]*$/.test(code)) return new MnemoError(e.message, code)
  return e
}

function rethrow(e) {
  throw toJsError(e)
}

/** Calls `fn` (which returns an addon promise) and maps its errors, thrown or rejected, to JS classes. */
function settle(fn) {
  try {
    return fn().then(undefined, rethrow)
  } catch (e) {
    return Promise.reject(toJsError(e))
  }
}

/** Calls `fn` (a synchronous addon call) and maps what it throws to JS classes. */
function now(fn) {
  try {
    return fn()
  } catch (e) {
    throw toJsError(e)
  }
}

// ---------------------------------------------------------------------------------------
// Argument checks and conversions

function argError(Cls, code, message) {
  const err = new Cls(message)
  err.code = code
  return err
}

function describe(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return `an instance of ${v.constructor ? v.constructor.name : 'Object'}`
  return `type ${typeof v} (${String(v).slice(0, 40)})`
}

function typeError(name, expected, v) {
  return argError(
    TypeError,
    'ERR_INVALID_ARG_TYPE',
    `The "${name}" argument must be ${expected}. Received ${describe(v)}`,
  )
}

function str(v, name) {
  if (typeof v !== 'string') throw typeError(name, 'of type string', v)
  return v
}

function optStr(v, name) {
  return v === undefined || v === null ? undefined : str(v, name)
}

function uint(v, name) {
  if (typeof v !== 'number') throw typeError(name, 'of type number', v)
  if (!Number.isSafeInteger(v) || v < 0) {
    throw argError(
      RangeError,
      'ERR_OUT_OF_RANGE',
      `The "${name}" argument must be a non-negative integer. Received ${v}`,
    )
  }
  return v
}

function optUint(v, name) {
  return v === undefined || v === null ? undefined : uint(v, name)
}

function u32(v, name) {
  uint(v, name)
  if (v > 0xffffffff) {
    throw argError(RangeError, 'ERR_OUT_OF_RANGE', `The "${name}" argument is too large. Received ${v}`)
  }
  return v
}

function optU32(v, name) {
  return v === undefined || v === null ? undefined : u32(v, name)
}

function optInt(v, name) {
  if (v === undefined || v === null) return undefined
  if (!Number.isSafeInteger(v)) throw typeError(name, 'an integer', v)
  return v
}

function optBool(v, name) {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'boolean') throw typeError(name, 'of type boolean', v)
  return v
}

function optObject(v, name) {
  if (v === undefined || v === null) return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw typeError(name, 'an object', v)
  return v
}

/** Bytes from a Buffer, any TypedArray/DataView, an ArrayBuffer or a string (UTF-8). */
function bytes(v, name) {
  if (v instanceof Uint8Array) return v
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  throw typeError(name, 'a Buffer, Uint8Array, ArrayBuffer or string', v)
}

/** Template values: an object (or Map) of strings; numbers and booleans are stringified. */
function values(v, name) {
  if (v === undefined || v === null) return undefined
  const entries = v instanceof Map ? [...v] : typeof v === 'object' && !Array.isArray(v) ? Object.entries(v) : null
  if (entries === null) throw typeError(name, 'an object of strings', v)
  const out = {}
  for (const [k, x] of entries) {
    if (typeof k !== 'string') throw typeError(`${name} key`, 'of type string', k)
    if (typeof x === 'string') out[k] = x
    else if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') out[k] = String(x)
    else throw typeError(`${name}.${k}`, 'a string', x)
  }
  return out
}

/** A prompt selector: a label (`production`) or a version number. */
function selector(v, name) {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'number') return String(u32(v, name))
  return str(v, name)
}

/** A time: milliseconds since the Unix epoch or a `Date`. */
function time(v, name) {
  if (v === undefined || v === null) return undefined
  if (v instanceof Date) return v.getTime()
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v
  throw typeError(name, 'a Date or an integer number of milliseconds', v)
}

function filter(v, name) {
  const f = optObject(v, name)
  return {
    sourceTool: optStr(f.sourceTool, `${name}.sourceTool`),
    project: optStr(f.project, `${name}.project`),
    since: time(f.since, `${name}.since`),
    until: time(f.until, `${name}.until`),
    limit: optU32(f.limit, `${name}.limit`),
  }
}

function openOptions(v) {
  const o = optObject(v, 'options')
  return {
    createIfMissing: optBool(o.createIfMissing, 'options.createIfMissing'),
    syncWrites: optBool(o.syncWrites, 'options.syncWrites'),
    compressionLevel: optInt(o.compressionLevel, 'options.compressionLevel'),
    dictionaryTrainingBytes: optUint(o.dictionaryTrainingBytes, 'options.dictionaryTrainingBytes'),
    blockCacheBytes: optUint(o.blockCacheBytes, 'options.blockCacheBytes'),
    maxEventBytes: optUint(o.maxEventBytes, 'options.maxEventBytes'),
    blobCacheBytes: optUint(o.blobCacheBytes, 'options.blobCacheBytes'),
    recompressLevel: optInt(o.recompressLevel, 'options.recompressLevel'),
  }
}

function steps(v, name) {
  if (!Array.isArray(v)) throw typeError(name, 'an array of steps', v)
  return v.map((s, i) => {
    const n = `${name}[${i}]`
    if (s === null || typeof s !== 'object') throw typeError(n, 'an object', s)
    return {
      name: str(s.name, `${n}.name`),
      prompt: str(s.prompt, `${n}.prompt`),
      promptRef: selector(s.promptRef, `${n}.promptRef`),
      values: values(s.values, `${n}.values`),
    }
  })
}

/** Bytes as a Buffer (no copy for Buffers and views). */
function buffer(v, name) {
  const b = bytes(v, name)
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

/** Event payload, metadata or snapshot state: bytes or a string as is, any other value as JSON. */
function body(v, name) {
  if (v instanceof Uint8Array || v instanceof ArrayBuffer || ArrayBuffer.isView(v) || typeof v === 'string') {
    return buffer(v, name)
  }
  let json
  try {
    json = JSON.stringify(v)
  } catch {
    json = undefined // BigInt, cycles
  }
  if (json === undefined) throw typeError(name, 'bytes, a string or a JSON-serializable value', v)
  return Buffer.from(json, 'utf8')
}

function events(v, name) {
  if (!Array.isArray(v)) throw typeError(name, 'an array of events', v)
  return v.map((e, i) => {
    const n = `${name}[${i}]`
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw typeError(n, 'an object', e)
    return {
      kind: str(e.kind, `${n}.kind`),
      payload: e.payload === undefined ? Buffer.alloc(0) : body(e.payload, `${n}.payload`),
      metadata: e.metadata === undefined || e.metadata === null ? undefined : body(e.metadata, `${n}.metadata`),
      schema: optU32(e.schema, `${n}.schema`),
    }
  })
}

/** An append's expected version: `'any'` (default), `'no_stream'` or a version number. */
function expected(v, name) {
  if (v === undefined || v === null) return undefined
  if (v === 'any' || v === 'no_stream') return v
  if (typeof v === 'number') return uint(v, name)
  throw typeError(name, "'any', 'no_stream' or a version number", v)
}

function optStrings(v, name) {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) throw typeError(name, 'an array of strings', v)
  v.forEach((x, i) => str(x, `${name}[${i}]`))
  return v
}

function importSummary(s) {
  for (const f of s.files) if (f.error) f.error = toJsError(f.error)
  return s
}

// ---------------------------------------------------------------------------------------
// The store

const INTERNAL = Symbol('mnemo.internal')
const DISPOSE = Symbol.dispose || Symbol.for('nodejs.dispose')
const ASYNC_DISPOSE = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')
const DONE = Object.freeze({ done: true, value: undefined })

/**
 * The change feed from a position: an async iterator of log entries, in order, that
 * waits at the end for new ones. It ends when the store closes or when `return()` /
 * `close()` is called (a `break` out of `for await` does that).
 */
class Subscription {
  #native
  #done = false

  /** @private Use `store.subscribe(from)`. */
  constructor(token, nativeSubscription) {
    if (token !== INTERNAL) throw new TypeError('use store.subscribe(from) to create a Subscription')
    this.#native = nativeSubscription
  }

  /** The sequence number of the next entry this subscription will return. */
  get position() {
    return this.#native.position
  }

  /** The next entry (`{done: false, value}`), or `{done: true}` once ended. */
  next() {
    if (this.#done) return Promise.resolve(DONE)
    return settle(() =>
      this.#native.next().then((entry) => {
        if (entry === null) {
          this.#done = true
          return DONE
        }
        return { done: false, value: entry }
      }),
    )
  }

  /**
   * Persists the position of a named subscription: every entry returned so far is done,
   * and `store.subscribe({name})` later resumes after it. Rejects with `InvalidInputError`
   * for an unnamed subscription or while a `next()` is pending.
   */
  checkpoint() {
    return settle(() => this.#native.checkpoint())
  }

  /** Ends the subscription; a pending `next()` resolves `{done: true}`. */
  return() {
    this.close()
    return Promise.resolve(DONE)
  }

  /** Ends the subscription (synchronous form of `return()`). */
  close() {
    this.#done = true
    this.#native.cancel()
  }

  [DISPOSE]() {
    this.close()
  }

  [Symbol.asyncIterator]() {
    return this
  }
}

/** The read model of a projection: `Buffer` keys and values. Get one with `store.view(name)`. */
class View {
  #native

  /** @private Use `store.view(name)`. */
  constructor(token, nativeView) {
    if (token !== INTERNAL) throw new TypeError('use store.view(name) to read a projection')
    this.#native = nativeView
  }

  /** The projection's name. */
  get name() {
    return this.#native.name
  }

  /** The value of `key` (bytes or a string), or `null`. */
  get(key) {
    return settle(() => this.#native.get(buffer(key, 'key')))
  }

  /** Every `{key, value}` whose key starts with `prefix` (default: all), in key order. */
  scan(prefix) {
    return settle(() => this.#native.scan(prefix === undefined || prefix === null ? Buffer.alloc(0) : buffer(prefix, 'prefix')))
  }
}

/** Ends a ViewBatch's use (set in its static block; keeps the class's API unchanged). */
let endView

/**
 * The pending read-model writes of a projection written in JS, passed to its
 * `apply(event, view)`: writes commit together with the projection's checkpoint. Usable
 * only until that `apply` call (or the promise it returned) settles.
 */
class ViewBatch {
  #page
  #open = true

  /** @private Passed to a projection's `apply`. */
  constructor(token, page) {
    if (token !== INTERNAL) throw new TypeError('a ViewBatch is passed to a projection\'s apply(event, view)')
    this.#page = page
  }

  #active() {
    if (!this.#open) {
      throw argError(Error, 'ERR_INVALID_STATE', 'a ViewBatch is only usable during the apply call it was passed to')
    }
    return this.#page
  }

  /** The value of `key` (bytes or a string), including this run's uncommitted writes, or `null`. */
  get(key) {
    return settle(() => this.#active().get(buffer(key, 'key')))
  }

  /** Sets `key` to `value` (bytes or strings) in the read model. */
  put(key, value) {
    const page = this.#active()
    try {
      page.put(buffer(key, 'key'), buffer(value, 'value'))
    } catch (e) {
      throw toJsError(e)
    }
  }

  /** Removes `key` from the read model. */
  delete(key) {
    const page = this.#active()
    try {
      page.delete(buffer(key, 'key'))
    } catch (e) {
      throw toJsError(e)
    }
  }

  static {
    endView = (view) => {
      view.#open = false
    }
  }
}

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

/** A Mnemo store opened on a directory. Create one with `await Mnemo.open(path)`. */
class Mnemo {
  #native

  /** @private Use `Mnemo.open(path, options)`. */
  constructor(token, nativeStore) {
    if (token !== INTERNAL) throw new TypeError('use `await Mnemo.open(path)` to open a store')
    this.#native = nativeStore
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
    return this.#native.path
  }

  /** Whether `close()` was called. */
  get closed() {
    return this.#native.closed
  }

  /**
   * Closes the store: flushes, releases the directory lock and ends subscriptions. Later
   * calls reject with `ClosedError`. Closing twice does nothing.
   */
  close() {
    this.#native.close()
  }

  /** `close()` without blocking the JS thread for the final flush. */
  closeAsync() {
    return settle(() => this.#native.closeAsync())
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
    return settle(() => this.#native.importBytes(str(name, 'name'), bytes(data, 'data')))
  }

  /** `importBytes(name, data)` on the calling thread (see "Synchronous writes" in the README). */
  importBytesSync(name, data) {
    return JSON.parse(now(() => this.#native.importBytesSync(str(name, 'name'), bytes(data, 'data'))))
  }

  /** Imports one transcript file. */
  importFile(path) {
    return settle(() => this.#native.importFile(str(path, 'path')))
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
      if (onProgress === undefined) return this.#native.importPaths(list).then(importSummary)
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
      return this.#native.importPaths(list, progress).then((summary) => {
        if (delivered >= summary.files.length) return importSummary(summary)
        return new Promise((resolve) => {
          pending = { count: summary.files.length, resolve }
        }).then(() => importSummary(summary))
      })
    })
  }

  /** A session with all its messages, by id or unique id prefix. */
  session(id) {
    return settle(() => this.#native.session(str(id, 'id')))
  }

  /** `session(id)` on the calling thread (see "Synchronous reads" in the README). */
  sessionSync(id) {
    return JSON.parse(now(() => this.#native.sessionSync(str(id, 'id'))))
  }

  /** A session's metadata only, by id or unique id prefix. */
  sessionInfo(id) {
    return settle(() => this.#native.sessionInfo(str(id, 'id')))
  }

  /** `sessionInfo(id)` on the calling thread. */
  sessionInfoSync(id) {
    return JSON.parse(now(() => this.#native.sessionInfoSync(str(id, 'id'))))
  }

  /** Sessions passing `filter` (`sourceTool`, `project`, `since`, `until`, `limit`), newest first. */
  listSessions(filter_) {
    return settle(() => this.#native.listSessions(filter(filter_, 'filter')))
  }

  /** Keyword search, best sessions first; `options`: `limit` (default 10) and the `listSessions` filters. */
  search(query, options) {
    return settle(() => {
      const f = filter(options, 'options')
      return this.#native.search(str(query, 'query'), f, f.limit)
    })
  }

  /** The original bytes of a session, byte-exact. */
  exportSession(id) {
    return settle(() => this.#native.exportSession(str(id, 'id')))
  }

  /** `exportSession(id)` on the calling thread. */
  exportSessionSync(id) {
    return now(() => this.#native.exportSessionSync(str(id, 'id')))
  }

  /** The whole original file a source id names, byte-exact. */
  exportSource(sourceId) {
    return settle(() => this.#native.exportSource(str(sourceId, 'sourceId')))
  }

  /** The source id of the file a session came from. */
  sessionSource(id) {
    return settle(() => this.#native.sessionSource(str(id, 'id')))
  }

  // --- prompts -------------------------------------------------------------------------

  /** Adds a new version of prompt template `name`; variables are `{{name}}` placeholders. */
  addPrompt(name, body) {
    return settle(() => this.#native.addPrompt(str(name, 'name'), str(body, 'body')))
  }

  /** `addPrompt(name, body)` on the calling thread (see "Synchronous writes" in the README). */
  addPromptSync(name, body) {
    return JSON.parse(now(() => this.#native.addPromptSync(str(name, 'name'), str(body, 'body'))))
  }

  /** Template `name` at a version number or label (default: the newest). */
  prompt(name, at) {
    return settle(() => this.#native.prompt(str(name, 'name'), selector(at, 'at')))
  }

  /** `prompt(name, at)` on the calling thread. */
  promptSync(name, at) {
    return JSON.parse(now(() => this.#native.promptSync(str(name, 'name'), selector(at, 'at'))))
  }

  /** Every version of template `name`, oldest first. */
  promptVersions(name) {
    return settle(() => this.#native.promptVersions(str(name, 'name')))
  }

  /** Names of all prompt templates. */
  promptNames() {
    return settle(() => this.#native.promptNames())
  }

  /** Points `label` (e.g. `production`) of template `name` at `version`. */
  labelPrompt(name, label, version) {
    return settle(() =>
      this.#native.labelPrompt(str(name, 'name'), str(label, 'label'), u32(version, 'version')),
    )
  }

  /** Labels of template `name` with their versions, `latest` included. */
  promptLabels(name) {
    return settle(() => this.#native.promptLabels(str(name, 'name')))
  }

  /** `promptLabels(name)` on the calling thread. */
  promptLabelsSync(name) {
    return now(() => this.#native.promptLabelsSync(str(name, 'name')))
  }

  /** Renders template `name` (at a label or version, default newest) with `values`; a missing value rejects with `MissingVariableError`. */
  renderPrompt(name, values_, at) {
    return settle(() =>
      this.#native.renderPrompt(str(name, 'name'), values(values_, 'values'), selector(at, 'at')),
    )
  }

  /** `renderPrompt(name, values, at)` on the calling thread. */
  renderPromptSync(name, values_, at) {
    return now(() =>
      this.#native.renderPromptSync(str(name, 'name'), values(values_, 'values'), selector(at, 'at')),
    )
  }

  // --- workflows -----------------------------------------------------------------------

  /** Adds a new version of workflow `name`: ordered steps rendering prompt templates. */
  addWorkflow(name, steps_) {
    return settle(() => this.#native.addWorkflow(str(name, 'name'), steps(steps_, 'steps')))
  }

  /** Workflow `name` at `version` (default: the newest). */
  workflow(name, version) {
    return settle(() => this.#native.workflow(str(name, 'name'), optU32(version, 'version')))
  }

  /** Every version of workflow `name`, oldest first. */
  workflowVersions(name) {
    return settle(() => this.#native.workflowVersions(str(name, 'name')))
  }

  /** Renders each step of workflow `name` in order; `values` override the steps' own values. */
  renderWorkflow(name, values_, version) {
    return settle(() =>
      this.#native.renderWorkflow(
        str(name, 'name'),
        values(values_, 'values'),
        optU32(version, 'version'),
      ),
    )
  }

  // --- the log and its change feed -----------------------------------------------------

  /** Up to `limit` (default 256) log entries with sequence number `>= from` (default 1), in order. */
  readLog(from, limit) {
    return settle(() => this.#native.readLog(optUint(from, 'from'), optU32(limit, 'limit')))
  }

  /** The last committed sequence number (0 for an empty log). */
  lastSeq() {
    try {
      return this.#native.lastSeq()
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
      return this.#native.waitFor(uint(after, 'after'), timeoutMs)
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
      return new Subscription(INTERNAL, this.#native.subscribe(o))
    } catch (e) {
      throw toJsError(e)
    }
  }

  /** The persisted checkpoint (last sequence number done) of named subscription `name`, or `null`. */
  subscriptionCheckpoint(name) {
    return settle(() => this.#native.subscriptionCheckpoint(str(name, 'name')))
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
      return this.#native.append(str(stream, 'stream'), events(events_, 'events'), expected(o.expected, 'options.expected'))
    })
  }

  /** `append(stream, events, options)` on the calling thread (see "Synchronous writes" in the README). */
  appendSync(stream, events_, options) {
    return now(() => {
      const o = optObject(options, 'options')
      return this.#native.appendSync(str(stream, 'stream'), events(events_, 'events'), expected(o.expected, 'options.expected'))
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
      return this.#native.appendMany(list)
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
      return this.#native.readStream(
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
      return this.#native.readAll(optUint(o.fromSeq, 'options.fromSeq'), optU32(o.limit, 'options.limit'), {
        streamPrefix: optStr(o.streamPrefix, 'options.streamPrefix'),
        kinds: optStrings(o.kinds, 'options.kinds'),
      })
    })
  }

  /** The current version of `stream`, or `null` when it has no events. */
  streamVersion(stream) {
    return settle(() => this.#native.streamVersion(str(stream, 'stream')))
  }

  /** Checks the whole log's hash chain; resolves `{entries, head}`, rejects with `CorruptedError`. */
  verifyLog() {
    return settle(() => this.#native.verifyLog())
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
      if (typeof arg === 'string') return this.#native.runProjection(arg)
      return this.#runPages(p, arg, false)
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
      if (typeof arg === 'string') return this.#native.rebuildProjection(arg)
      return this.#runPages(p, arg, true)
    })
  }

  /** Drives a JS projection page by page: the core hands out events and commits each page. */
  async #runPages(p, { name, filter }, rebuild) {
    for (;;) {
      const page = await this.#native.projectionPage(name, filter, rebuild)
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
      if (await page.commit()) return this.#native.projectionStatus(name)
    }
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
      this.#native.registerUpcaster(str(kind, 'kind'), u32(fromSchema, 'fromSchema'), wrapped)
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
    return settle(() => this.#native.rebuildContextViews())
  }

  /** Brings the search index up to date with every imported session now; resolves its status. */
  updateSearchIndex() {
    return settle(() => this.#native.updateSearchIndex())
  }

  /** Where projection `name` stands (`NotFoundError` if it never ran). */
  projectionStatus(name) {
    return settle(() => this.#native.projectionStatus(str(name, 'name')))
  }

  /** Every projection that has run. */
  projections() {
    return settle(() => this.#native.projections())
  }

  /** The read model of projection `name`. */
  view(name) {
    try {
      return new View(INTERNAL, this.#native.view(str(name, 'name')))
    } catch (e) {
      throw toJsError(e)
    }
  }

  /** Stores `state` (bytes, a string or a JSON value) as the snapshot of `stream` at `version`. */
  saveSnapshot(stream, version, state) {
    return settle(() =>
      this.#native.saveSnapshot(str(stream, 'stream'), uint(version, 'version'), body(state, 'state')),
    )
  }

  /** The newest snapshot of `stream` (`{version, state: Buffer}`), or `null`. */
  loadSnapshot(stream) {
    return settle(() => this.#native.loadSnapshot(str(stream, 'stream')))
  }

  /**
   * The newest snapshot of `stream` and the events after it (upcast, oldest first):
   * `{snapshot, events, version}`. Fold `events` over the snapshot's state to load an
   * aggregate at `version`.
   */
  snapshotAndTail(stream) {
    return settle(() => this.#native.snapshotAndTail(str(stream, 'stream')))
  }

  /** `snapshotAndTail(stream)` on the calling thread. */
  snapshotAndTailSync(stream) {
    return now(() => this.#native.snapshotAndTailSync(str(stream, 'stream')))
  }

  /**
   * Whether a snapshot of `stream` at `version` is due: at least `every` events since its
   * newest snapshot (or since the start without one); never when `every` is 0.
   */
  snapshotDue(stream, version, every) {
    return settle(() =>
      this.#native.snapshotDue(str(stream, 'stream'), uint(version, 'version'), uint(every, 'every')),
    )
  }

  /** `snapshotDue(stream, version, every)` on the calling thread. */
  snapshotDueSync(stream, version, every) {
    return now(() =>
      this.#native.snapshotDueSync(str(stream, 'stream'), uint(version, 'version'), uint(every, 'every')),
    )
  }

  // --- maintenance ---------------------------------------------------------------------

  /** Counters and on-disk sizes. */
  stats() {
    return settle(() => this.#native.stats())
  }

  /** Trains new zstd dictionaries from the values already stored; returns the kinds trained. */
  retrainDictionaries() {
    return settle(() => this.#native.retrainDictionaries())
  }

  /** Recompresses stored sessions at zstd `level` (default 15; higher is smaller and slower). */
  compact(level) {
    return settle(() => {
      const l = level === undefined || level === null ? 15 : optInt(level, 'level')
      return this.#native.compact(l)
    })
  }

  /** Flushes memtables so on-disk sizes are final. */
  flush() {
    return settle(() => this.#native.flush())
  }
}

/** Names of the built-in projections, runnable by name with `runProjection` and `rebuildProjection`. */
const BUILTIN_PROJECTIONS = Object.freeze(native.builtinProjections())

module.exports = { Mnemo, Subscription, View, ViewBatch, MnemoError, ...errors, ERROR_CODES, BUILTIN_PROJECTIONS }
