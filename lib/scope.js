'use strict'
// IpcScope: listeners and invoke handlers, the part of ipcMain that
// `webContents.ipc` also is (API.md §2, §5), and the base class of IpcMain.
//
// Registration goes to the Rust registry (the source of truth: one handler
// per channel, Electron's texts for a second one). What dispatch reads per
// invoke is `kHandlers`, a JS Map refreshed from Rust after every handler
// change, so answering an invoke makes no napi call for the lookup (as
// RegistryEmitter's listener snapshot does for messages). Symbols, not
// #private fields: every method also works through `Object.create(scope)`
// wrappers, which read the same registry and cache through the prototype.

const { RegistryEmitter, kRegistry } = require('./emitter')
const errors = require('./errors')
const { buildStats } = require('./diagnostics')

const kHandlers = Symbol('ipc-main.handlers')

function noop() {}

/** Re-reads the handler of `channel` from the registry into the cache. */
function refreshHandler(scope, channel) {
  const handler = scope[kRegistry].handler(channel)
  if (handler === null) scope[kHandlers].delete(channel)
  else scope[kHandlers].set(channel, handler)
}

/**
 * The handler `invoke(channel)` would call on `scope`, or undefined.
 * @param {IpcScope} scope
 * @param {string} channel
 * @returns {Function | undefined}
 */
function handlerOf(scope, channel) {
  return scope[kHandlers].get(channel)
}

/**
 * Listeners and handlers of one scope (ipcMain, or one `webContents.ipc`).
 */
class IpcScope extends RegistryEmitter {
  constructor() {
    super()
    // Internal, so not enumerable (`{ ...ipcMain }` copies what Electron's does).
    Object.defineProperty(this, kHandlers, { value: new Map(), writable: true, configurable: true })
    // Electron's guard: a renderer message on channel 'error' never throws.
    this.on('error', noop)
  }

  // handle and handleOnce are own, enumerable properties bound to this
  // scope, as Electron's IpcMainImpl defines them (class-field arrow
  // functions): libraries build `{ ...ipcMain, send }` and call `handle` on
  // the copy. removeHandler stays on the prototype, as there.

  /**
   * Registers the handler that answers `invoke(channel)`.
   * @param {string} channel
   * @param {(event: object, ...args: any[]) => any} handler
   */
  handle = (channel, handler) => {
    const name = String(channel)
    const reg = this[kRegistry]
    if (reg.hasHandler(name)) throw errors.secondHandler(channel)
    if (typeof handler !== 'function') throw errors.handlerNotFunction(handler)
    reg.setHandler(name, handler)
    refreshHandler(this, name)
  }

  /**
   * As handle(), removed before the first invoke is handled.
   * @param {string} channel
   * @param {(event: object, ...args: any[]) => any} handler
   */
  handleOnce = (channel, handler) => {
    this.handle(channel, (event, ...args) => {
      this.removeHandler(channel)
      return handler(event, ...args)
    })
  }

  /**
   * Removes the handler of `channel`, if any.
   * @param {string} channel
   */
  removeHandler(channel) {
    const name = String(channel)
    this[kRegistry].removeHandler(name)
    refreshHandler(this, name)
  }

  /**
   * A scope has no socket (or renderers) of its own: a no-op. IpcMain
   * overrides this with closing its socket.
   * @returns {Promise<void>}
   */
  close() {
    return Promise.resolve()
  }

  /**
   * A scope has no counters of its own (its messages are its hub's): all
   * zero. IpcMain overrides this with its hub's.
   * @returns {object}
   */
  stats() {
    return buildStats(null, null, [0, 0, 0])
  }
}

module.exports = { IpcScope, handlerOf }
