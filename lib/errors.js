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
  checkListener,
}
