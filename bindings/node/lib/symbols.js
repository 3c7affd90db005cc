'use strict'
// The symbols the classes share: the token that keeps their constructors internal, the
// key of a store's native object, and the dispose protocol's keys.

/** Passed by this package to the constructors, which refuse to be called without it. */
const INTERNAL = Symbol('mnemo.internal')

/**
 * The key of a `Mnemo`'s native store: a non-enumerable property (not shown by
 * `Object.keys`, JSON or `console.log`) that the methods in `mnemo.js` and
 * `event-store.js` both read.
 */
const NATIVE = Symbol('mnemo.native')

const DISPOSE = Symbol.dispose || Symbol.for('nodejs.dispose')
const ASYNC_DISPOSE = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')

module.exports = { INTERNAL, NATIVE, DISPOSE, ASYNC_DISPOSE }
