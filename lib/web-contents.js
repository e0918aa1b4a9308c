'use strict'
// WebContents: main's handle on one renderer (API.md §5), and the
// process-wide table behind `webContents.getAllWebContents()` / `fromId()`.

const { EventEmitter } = require('node:events')
const { encode } = require('./codec')
const errors = require('./errors')
const { Calls, checkInvokeOptions } = require('./calls')
const { kFrameOf } = require('./events')
const { KIND } = require('./frames')

const kHub = Symbol('ipc-main.hub')
const kInfo = Symbol('ipc-main.info')
const kDestroyed = Symbol('ipc-main.destroyed')
const kIpc = Symbol('ipc-main.ipc')
const kAnnounced = Symbol('ipc-main.announced')
/** Invokes from this renderer being handled by main: request -> HandledCall. */
const kHandling = Symbol('ipc-main.handling')
/** Main's invokes of this renderer waiting for its answer (a Calls, made on first use). */
const kCalls = Symbol('ipc-main.calls')

function noop() {}

/** Every live WebContents of this JS environment, by id. */
const all = new Map()

/**
 * Main's handle on one renderer: a full EventEmitter ('ipc-message',
 * 'ipc-message-sync', 'destroyed').
 */
class WebContents extends EventEmitter {
  /**
   * @param {object} hub the JS hub (internal)
   * @param {number} id
   * @param {{ kind: string, pid: number, frameId: number, url: string }} info
   */
  constructor(hub, id, info) {
    super()
    const { IpcMain, kScope } = require('./ipc-main')
    this[kHub] = hub
    this[kInfo] = info
    this[kDestroyed] = false
    this[kHandling] = new Map()
    this[kCalls] = null
    const ipc = new IpcMain()
    ipc[kScope] = true
    this[kIpc] = ipc
    const wc = this
    // One frame object per renderer: `event.senderFrame` (Electron's
    // WebFrameMain, reduced to what a Node renderer has).
    this[kFrameOf] = Object.freeze({
      processId: info.pid,
      routingId: info.frameId,
      url: info.url,
      send(channel, ...args) {
        if (wc.isDestroyed()) return
        wc.send(channel, ...args)
      },
    })
    Object.defineProperty(this, 'id', { value: id, enumerable: true })
    all.set(id, this)
  }

  /** Electron's `webContents.ipc`: an IpcMain scoped to this renderer. */
  get ipc() {
    return this[kIpc]
  }

  /**
   * Sends a message to this renderer's `ipcRenderer` listeners.
   * @param {string} channel
   * @param {...any} args
   */
  send(channel, ...args) {
    if (this[kDestroyed]) throw errors.destroyed()
    if (typeof channel !== 'string') throw errors.missingChannel()
    const enc = encode(args)
    this[kHub].sendTo(this, KIND.MESSAGE, 0, channel, enc)
  }

  /**
   * Sends one message with ports (Electron's `webContents.postMessage`):
   * the renderer's listener gets `(event, message)`, the ports (DOM-shaped)
   * in `event.ports`. Unlike send(), errors throw: `Invalid value for
   * transfer` for a bad list, DataCloneError for a duplicate or neutered
   * port, `An object could not be cloned.`; nothing is sent then.
   * @param {string} channel
   * @param {any} message
   * @param {Array<object>} [transfer]
   */
  postMessage(channel, message, transfer) {
    if (arguments.length < 2) throw require('./ports').insufficientArguments()
    // Electron's gin texts (its postMessage is a native method).
    if (typeof channel !== 'string') {
      throw new TypeError(`Error processing argument at index 0, conversion failure from ${String(channel)}`)
    }
    if (this[kDestroyed]) throw errors.destroyed()
    this[kHub].postTo(this, channel, message, transfer)
  }

  /**
   * Calls this renderer's `ipcRenderer.handle` handler of `channel`;
   * resolves with its result (ipc-main extension: Electron has no main ->
   * renderer invoke). Fails as `ipcRenderer.invoke` does, with the same
   * texts; rejects with `Error: Object has been destroyed` once destroyed,
   * and with `code: 'IPC_DISCONNECTED'` if the renderer goes away first.
   * @param {string} channel
   * @param {...any} args
   * @returns {Promise<any>}
   */
  invoke(channel, ...args) {
    return invokeRenderer(this, channel, undefined, args)
  }

  /**
   * As invoke(), with a timeout and/or an AbortSignal: rejects with
   * `code: 'IPC_TIMEOUT'` after `options.timeout` ms, or with an AbortError
   * (`code: 'ABORT_ERR'`) when `options.signal` aborts; the renderer's late
   * answer is dropped.
   * @param {string} channel
   * @param {{ timeout?: number, signal?: AbortSignal }} options
   * @param {...any} args
   * @returns {Promise<any>}
   */
  invokeWithOptions(channel, options, ...args) {
    return invokeRenderer(this, channel, options, args)
  }

  /** @returns {boolean} true once the renderer disconnected, exited or crashed */
  isDestroyed() {
    return this[kDestroyed]
  }

  /** @returns {boolean} true if the renderer process died abnormally */
  isCrashed() {
    return this[kInfo].crashed === true
  }

  /** @returns {string} the entry script's file:// URL ('' in-process) */
  getURL() {
    return this[kInfo].url
  }

  /** @returns {number} the renderer's OS process id */
  getOSProcessId() {
    return this[kInfo].pid
  }

  /** @returns {number} the renderer's OS process id */
  getProcessId() {
    return this[kInfo].pid
  }
}

/** Starts main's invoke of a renderer; every failure is a rejection. */
function invokeRenderer(wc, channel, options, args) {
  try {
    if (wc[kDestroyed]) throw errors.destroyed()
    if (typeof channel !== 'string') throw errors.missingChannel()
    const { timeout, signal } = checkInvokeOptions(options)
    if (signal !== undefined && signal.aborted) throw errors.aborted(signal.reason)
    const enc = encode(args)
    // A given-up call is dropped here, and the renderer is told
    // (CANCEL_RENDERER), so its handler's `event.signal` aborts.
    if (wc[kCalls] === null) {
      wc[kCalls] = new Calls(
        (request, name, why, ms) => {
          if (!wc[kDestroyed]) wc[kHub].sendTo(wc, KIND.CANCEL_RENDERER, request, name, encode([why, ms ?? null]))
        },
        noop,
        false,
      )
    }
    const call = wc[kCalls].open(channel, timeout, signal)
    try {
      wc[kHub].sendTo(wc, KIND.INVOKE_RENDERER, call.request, channel, enc)
    } catch (err) {
      // Not sent (too large for the renderer): close the call, or the
      // renderer's going away would reject it with nobody listening.
      wc[kCalls].take(call.request)
      throw err
    }
    return call.promise
  } catch (err) {
    return Promise.reject(err)
  }
}

/**
 * Main starts handling an invoke of `wc`'s renderer: its HandledCall (what
 * `event.signal` aborts on) is kept until finished() or the renderer's
 * CANCEL. A renderer already gone gets an aborted signal at once.
 * @param {WebContents} wc
 * @param {number} request
 * @param {import('./events').HandledCall} call
 */
function handling(wc, request, call) {
  if (wc[kDestroyed]) call.abort(errors.rendererGone())
  else wc[kHandling].set(request, call)
}

/** Main answered (or failed) an invoke: its call is no longer cancellable. */
function finished(wc, request, call) {
  const map = wc[kHandling]
  if (map.get(request) === call) map.delete(request)
}

/**
 * The renderer gave up invoke `request` (a CANCEL frame: `[why, timeout]`):
 * the handler's `event.signal` aborts with the same error the renderer got
 * (IPC_TIMEOUT), or an AbortError.
 */
function cancelled(wc, request, args) {
  const map = wc[kHandling]
  const call = map.get(request)
  if (call === undefined) return
  map.delete(request)
  const [why, timeout] = Array.isArray(args) ? args : []
  call.abort(why === 'timeout' ? errors.invokeTimeout(call.channel, timeout) : new errors.AbortError())
}

/** The renderer answered main's invoke `request` (late answers are dropped). */
function answered(wc, request, ok, args) {
  const calls = wc[kCalls]
  if (calls !== null) calls.settle(request, ok, args)
}

/**
 * Marks a WebContents destroyed (isDestroyed(), gone from the table). An
 * in-process renderer's close() does this at once; 'destroyed' is emitted
 * later, by announceDestroyed(), after what it sent before closing. The
 * signals of the invokes main is handling for it abort now: nobody waits.
 * @param {WebContents} wc
 * @param {boolean} [crashed]
 */
function destroy(wc, crashed = false) {
  if (wc[kDestroyed]) return
  wc[kDestroyed] = true
  if (crashed) wc[kInfo].crashed = true
  all.delete(wc.id)
  const map = wc[kHandling]
  if (map.size > 0) {
    const calls = [...map.values()]
    map.clear()
    for (const call of calls) call.abort(errors.rendererGone())
  }
}

/**
 * The renderer is gone for good (after everything it sent was delivered):
 * main's invokes still waiting for it reject with `code: 'IPC_DISCONNECTED'`.
 * @param {WebContents} wc
 */
function rejectCalls(wc) {
  if (wc[kCalls] !== null) wc[kCalls].rejectAll(errors.rendererGone)
}

/** Emits 'destroyed' once. @param {WebContents} wc */
function announceDestroyed(wc) {
  if (wc[kAnnounced]) return
  wc[kAnnounced] = true
  wc.emit('destroyed')
}

const webContents = {
  /** @returns {WebContents[]} every live renderer's WebContents */
  getAllWebContents() {
    return [...all.values()]
  },
  /**
   * @param {number} id
   * @returns {WebContents | undefined}
   */
  fromId(id) {
    return all.get(id)
  },
}

module.exports = {
  WebContents,
  webContents,
  destroy,
  announceDestroyed,
  rejectCalls,
  handling,
  finished,
  cancelled,
  answered,
}
