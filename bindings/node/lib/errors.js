'use strict'
// Errors: `MnemoError` and its subclass per core error code (`ERROR_CODES`), and the
// mapping of what the addon throws or rejects with to those classes (`toJsError`, and the
// `settle` / `now` wrappers every call goes through).

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

/** An error of class `Cls` carrying a Node-style `code` (`ERR_INVALID_ARG_TYPE`...). */
function argError(Cls, code, message) {
  const err = new Cls(message)
  err.code = code
  return err
}

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

module.exports = { MnemoError, ERROR_CODES, errors, argError, toJsError, rethrow, settle, now }
