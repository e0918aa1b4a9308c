'use strict'
// Electron's exact error texts, in one place: tests compare them character for
// character (API.md §2, §4, §5; research/electron-contract.md §4–§10).

/** `handle()` on a channel that already has a handler. */
const secondHandler = (channel) =>
  new Error(`Attempted to register a second handler for '${channel}'`)

/** `handle()` with a non-function. */
const handlerNotFunction = (handler) =>
  new TypeError(`Expected handler to be a function, but found type '${typeof handler}'`)

/** The main-side error an invoke with no handler produces (stringified to the renderer). */
const noHandler = (channel) => new Error(`No handler registered for '${channel}'`)

/** The renderer's rejection for a failed invoke: Electron's prefix + the remote error text. */
const invokeFailed = (channel, text) =>
  new Error(`Error invoking remote method '${channel}': ${text}`)

/** What main logs for a failing handler (first `console.error` argument). */
const handlerErrorLog = (channel) => `Error occurred in handler for '${channel}':`

/** Arguments or results the structured clone algorithm cannot copy. */
const cloneFailed = () => new Error('An object could not be cloned.')

/** Any renderer method after `close()`. */
const contextReleased = () => new Error('IPC method called after context was released')

/** `webContents.send()` without a string channel. */
const missingChannel = () => new TypeError('Missing required channel argument')

/** Anything on a destroyed WebContents. */
const destroyed = () => new Error('Object has been destroyed')

/** The sendSync-without-listeners warning. */
const syncWithoutListeners = (id, channel) =>
  `WebContents #${id} called ipcRenderer.sendSync() with '${channel}' channel without listeners.`

/** The main side went away (API.md §6). */
function disconnected() {
  const err = new Error('IPC connection closed: the main side is gone')
  err.code = 'IPC_DISCONNECTED'
  return err
}

/** A renderer went away while main was waiting on it or working for it. */
function rendererGone() {
  const err = new Error('IPC connection closed: the renderer is gone')
  err.code = 'IPC_DISCONNECTED'
  return err
}

/** A sendSync that nothing could answer: its main runs on this very thread. */
function deadlock() {
  const err = new Error(
    'ipc-main: sendSync() to a main on this same thread would wait for ever; use invoke(), or a worker',
  )
  err.code = 'IPC_DEADLOCK'
  return err
}

/** An invoke given up after `options.timeout` ms (invokeWithOptions). */
function invokeTimeout(channel, ms) {
  const err = new Error(`Invoke of '${channel}' timed out after ${ms} ms`)
  err.code = 'IPC_TIMEOUT'
  return err
}

/** Node's own AbortError (as `fs`, `timers/promises`, `events.once` reject with). */
class AbortError extends Error {
  constructor(message = 'The operation was aborted', options = undefined) {
    super(message, options)
    this.code = 'ABORT_ERR'
    this.name = 'AbortError'
  }
}

/** An invoke whose AbortSignal aborted; `reason` is the signal's. */
const aborted = (reason) => new AbortError(undefined, { cause: reason })

/**
 * A failure of the native layer as users see it. The native error already
 * carries its `code` (docs/api.md "Error codes", set by the binding's one
 * IpcError conversion); this gives it the message of the operation that
 * failed (`connect ENOENT <address>`, as Node's net says) and fields such
 * as `address`.
 * @param {Error & { code?: string }} err the native error
 * @param {string} message
 * @param {object} [extra]
 */
function nativeFailure(err, message, extra) {
  const out = new Error(message)
  out.code = err.code
  Object.assign(out, extra)
  return out
}

/** How Node's validators show a received value. */
function received(value) {
  if (value == null) return ` Received ${value}`
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`
  if (typeof value === 'object') {
    const name = value.constructor?.name
    return name ? ` Received an instance of ${name}` : ` Received ${require('node:util').inspect(value, { depth: -1 })}`
  }
  let shown = require('node:util').inspect(value, { colors: false })
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`
  return ` Received type ${typeof value} (${shown})`
}

/** Node's ERR_INVALID_ARG_TYPE; `expected` as "of type object" or "an instance of AbortSignal". */
function invalidArgType(name, expected, value) {
  const what = name.includes('.') ? 'property' : 'argument'
  const err = new TypeError(`The "${name}" ${what} must be ${expected}.${received(value)}`)
  err.code = 'ERR_INVALID_ARG_TYPE'
  return err
}

/** Node's ERR_OUT_OF_RANGE. */
function outOfRange(name, range, value) {
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`)
  err.code = 'ERR_OUT_OF_RANGE'
  return err
}

/**
 * Throws Node's own ERR_INVALID_ARG_TYPE for a non-function listener: a
 * throwaway EventEmitter validates it, so the text is Node's on every version.
 */
function checkListener(listener) {
  if (typeof listener !== 'function') {
    const { EventEmitter } = require('node:events')
    new EventEmitter().on('x', listener)
  }
}

module.exports = {
  secondHandler,
  handlerNotFunction,
  noHandler,
  invokeFailed,
  handlerErrorLog,
  cloneFailed,
  contextReleased,
  missingChannel,
  destroyed,
  syncWithoutListeners,
  disconnected,
  rendererGone,
  deadlock,
  invokeTimeout,
  AbortError,
  aborted,
  invalidArgType,
  outOfRange,
  checkListener,
  nativeFailure,
}
