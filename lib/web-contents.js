'use strict'
// WebContents: main's handle on one renderer (API.md §5), and the
// process-wide table behind `webContents.getAllWebContents()` / `fromId()`.

const { EventEmitter } = require('node:events')
const { encode } = require('./codec')
const errors = require('./errors')
const { kFrameOf } = require('./events')
const { KIND } = require('./frames')

const kHub = Symbol('ipc-main.hub')
const kInfo = Symbol('ipc-main.info')
const kDestroyed = Symbol('ipc-main.destroyed')
const kIpc = Symbol('ipc-main.ipc')
const kAnnounced = Symbol('ipc-main.announced')

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

/**
 * Marks a WebContents destroyed (isDestroyed(), gone from the table). An
 * in-process renderer's close() does this at once; 'destroyed' is emitted
 * later, by announceDestroyed(), after what it sent before closing.
 * @param {WebContents} wc
 * @param {boolean} [crashed]
 */
function destroy(wc, crashed = false) {
  if (wc[kDestroyed]) return
  wc[kDestroyed] = true
  if (crashed) wc[kInfo].crashed = true
  all.delete(wc.id)
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

module.exports = { WebContents, webContents, destroy, announceDestroyed }
