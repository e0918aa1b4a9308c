'use strict'
// Invokes waiting for their answer, for both directions: a renderer's
// invokes of main (IpcRenderer) and main's invokes of one renderer
// (WebContents#invoke). Request ids, the pending promises, and the
// invokeWithOptions extras (API.md §2 "Beyond Electron"): a timeout and an
// AbortSignal. A call given up (timed out, aborted) leaves the table at
// once, so its late answer finds nothing and is dropped.

const errors = require('./errors')
const { remoteError } = require('./error-shape')

// setTimeout's limit: a longer delay would fire after 1 ms (with a warning).
const MAX_TIMEOUT = 2 ** 31 - 1
const NO_OPTIONS = Object.freeze({ timeout: undefined, signal: undefined })

/**
 * Checks invokeWithOptions' `options` as Node's validators would.
 * @param {unknown} options
 * @returns {{ timeout: number | undefined, signal: AbortSignal | undefined }}
 */
function checkInvokeOptions(options) {
  if (options === undefined) return NO_OPTIONS
  if (options === null || typeof options !== 'object') {
    throw errors.invalidArgType('options', 'of type object', options)
  }
  const { timeout, signal } = options
  if (timeout !== undefined) {
    if (typeof timeout !== 'number') throw errors.invalidArgType('options.timeout', 'of type number', timeout)
    if (!(timeout >= 0 && timeout <= MAX_TIMEOUT)) {
      throw errors.outOfRange('options.timeout', `>= 0 && <= ${MAX_TIMEOUT}`, timeout)
    }
  }
  // Node's validateAbortSignal (an object with `aborted`), plus the
  // addEventListener we call.
  if (
    signal !== undefined &&
    (signal === null ||
      typeof signal !== 'object' ||
      !('aborted' in signal) ||
      typeof signal.addEventListener !== 'function')
  ) {
    throw errors.invalidArgType('options.signal', 'an instance of AbortSignal', signal)
  }
  return { timeout, signal }
}

/** One invoke waiting for its answer. */
class Call {
  constructor(request, channel) {
    this.request = request
    this.channel = channel
    this.resolve = null
    this.reject = null
    this.promise = null
    this.timeout = undefined
    this.timer = null
    this.signal = undefined
    this.onAbort = null
  }

  /** Stops its timer and abort listener (answered or given up). */
  release() {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.onAbort !== null) {
      this.signal.removeEventListener('abort', this.onAbort)
      this.onAbort = null
    }
  }
}

function onTimeout(calls, request) {
  calls.giveUp(request, 'timeout')
}

/** The call whose promise is being made (the executor runs at once). */
let opening = null
/** One executor for every call's promise: no closure per call. */
function takeResolvers(resolve, reject) {
  opening.resolve = resolve
  opening.reject = reject
}

/** The invokes one caller has in flight to one peer. */
class Calls {
  /**
   * @param {(request: number, channel: string, why: 'timeout' | 'abort', timeout: number | undefined) => void} cancel
   *   tells the peer a call was given up (it may stop working on it)
   * @param {() => void} busyChanged called when the table goes from empty to
   *   not empty and back (what keeps a thread alive)
   * @param {boolean} keptAlive whether a pending call keeps this thread alive
   *   by itself (a worker or socket renderer): then timers are unref'd, so
   *   they never keep it alive longer than the call would. Where nothing
   *   does (main, an in-process renderer), a ref'd timer makes sure an
   *   invoke with a timeout settles within it.
   */
  constructor(cancel, busyChanged, keptAlive) {
    this.next = 1
    this.pending = new Map()
    this.cancel = cancel
    this.busyChanged = busyChanged
    this.keptAlive = keptAlive
  }

  get size() {
    return this.pending.size
  }

  /** A fresh request id (also for a renderer's sendSync: one id space). */
  nextRequest() {
    const request = this.next++
    if (this.next > 0xffffffff) this.next = 1
    return request
  }

  /**
   * Starts a call; the caller sends its frame with `call.request` and
   * returns `call.promise`. `timeout`/`signal` come from checkInvokeOptions
   * (and the signal was not aborted yet).
   * @param {string} channel
   * @param {number | undefined} timeout
   * @param {AbortSignal | undefined} signal
   * @returns {Call}
   */
  open(channel, timeout, signal) {
    const request = this.nextRequest()
    const call = new Call(request, channel)
    opening = call
    call.promise = new Promise(takeResolvers)
    opening = null
    this.pending.set(request, call)
    if (this.pending.size === 1) this.busyChanged()
    if (timeout !== undefined) {
      call.timeout = timeout
      call.timer = setTimeout(onTimeout, timeout, this, request)
      if (this.keptAlive) call.timer.unref()
    }
    if (signal !== undefined) {
      call.signal = signal
      call.onAbort = () => this.giveUp(request, 'abort')
      signal.addEventListener('abort', call.onAbort, { once: true })
    }
    return call
  }

  /** Removes and returns a pending call (undefined if not pending any more). */
  take(request) {
    const call = this.pending.get(request)
    if (call === undefined) return undefined
    this.pending.delete(request)
    call.release()
    if (this.pending.size === 0) this.busyChanged()
    return call
  }

  /**
   * The peer's answer: `[value]` if `ok`, else `[text, shape?]` (Electron:
   * an empty error text resolves `undefined`). A call no longer pending
   * (given up) drops it.
   * @param {number} request
   * @param {boolean} ok
   * @param {unknown} args
   */
  settle(request, ok, args) {
    const call = this.take(request)
    if (call === undefined) return
    const list = Array.isArray(args) ? args : []
    if (ok) {
      call.resolve(list[0])
    } else if (list[0]) {
      call.reject(remoteError(call.channel, String(list[0]), list[1]))
    } else {
      call.resolve(undefined)
    }
  }

  /** Gives up a call on its timeout or its signal; tells the peer. */
  giveUp(request, why) {
    const call = this.take(request)
    if (call === undefined) return
    try {
      this.cancel(request, call.channel, why, call.timeout)
    } catch {
      // The peer is going away: nothing left to cancel there.
    }
    call.reject(why === 'timeout' ? errors.invokeTimeout(call.channel, call.timeout) : errors.aborted(call.signal.reason))
  }

  /** Rejects every pending call with a fresh `makeError()` each. */
  rejectAll(makeError) {
    if (this.pending.size === 0) return
    const calls = [...this.pending.values()]
    this.pending.clear()
    for (const call of calls) call.release()
    this.busyChanged()
    for (const call of calls) call.reject(makeError())
  }
}

/**
 * Runs the handler of an invoke (either direction) and answers once:
 * `answer.ok(enc)` with its encoded result, or `answer.fail(err)` if it
 * throws, rejects, or its result cannot be encoded. A plain value (not an
 * object or function, so there is no `then` to read) is answered at once;
 * anything else as `await` would take it.
 * @param {Function} handler
 * @param {object} event
 * @param {unknown[]} args
 * @param {{ encode(value: unknown): unknown, ok(enc: unknown): void, fail(err: unknown): void }} answer
 */
function runHandler(handler, event, args, answer) {
  let result
  try {
    result = handler(event, ...args)
  } catch (err) {
    answer.fail(err)
    return
  }
  if ((typeof result !== 'object' || result === null) && typeof result !== 'function') {
    answerWith(answer, result)
    return
  }
  Promise.resolve(result).then(
    (value) => answerWith(answer, value),
    (err) => answer.fail(err),
  )
}

function answerWith(answer, value) {
  let enc
  try {
    enc = answer.encode(value)
  } catch (err) {
    answer.fail(err)
    return
  }
  answer.ok(enc)
}

module.exports = { Calls, checkInvokeOptions, runHandler }
