'use strict'
// Argument checks and conversions: wrong types throw `TypeError`, bad numbers
// `RangeError` (with Node's `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE` codes); convenient
// JS values become what the addon takes (strings to bytes, `Date`s to milliseconds,
// version numbers to selectors, JSON values to bytes).

const { argError, toJsError } = require('./errors')

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
    blobWriteLevel: optInt(o.blobWriteLevel, 'options.blobWriteLevel'),
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

module.exports = {
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
  bytes,
  values,
  selector,
  time,
  filter,
  openOptions,
  steps,
  buffer,
  body,
  events,
  expected,
  optStrings,
  importSummary,
}
