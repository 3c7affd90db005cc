'use strict'
// The read models of projections: `View` (what `store.view(name)` returns) and `ViewBatch`
// (the pending writes passed to the `apply` of a projection written in JS), with `endView`,
// which closes a ViewBatch once its `apply` call settles.

const { argError, settle, toJsError } = require('./errors')
const { buffer } = require('./args')
const { INTERNAL } = require('./symbols')

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

module.exports = { View, ViewBatch, endView }
