'use strict'
// `Subscription`: the change feed from a position as an async iterator (what
// `store.subscribe()` returns).

const { settle } = require('./errors')
const { INTERNAL, DISPOSE } = require('./symbols')

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

module.exports = { Subscription }
