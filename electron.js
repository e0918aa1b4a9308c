'use strict'
// A stand-in for the `electron` module in tests: alias `electron` to
// `ipc-main/electron` and main-process IPC code runs unchanged under Node.
//
// Covered: `ipcMain`, `ipcRenderer`, `webContents` (the real ipc-main
// objects; `ipcRenderer` is undefined when `process.type === 'browser'`, as
// in Electron's main process), and the two neighbours IPC libraries reach for:
// `contextBridge.exposeInMainWorld` / `exposeInIsolatedWorld` (the API lands
// on `globalThis`, which is this "renderer's" window) and `BrowserWindow`
// (`getAllWindows()`, `fromWebContents()`, `fromId()`, `getFocusedWindow()`,
// each window carrying a real `WebContents`; `new BrowserWindow()` makes an
// in-process renderer), and the piece of `app` libraries read to find their
// files (name, version, getPath/setPath; electron-store, electron-log).
// Nothing else of Electron is here.

const { EventEmitter } = require('node:events')
const ipc = require('./index.js')

// ---------------------------------------------------------------- contextBridge

/**
 * Copies `value` the way contextBridge does: functions are wrapped (calls go
 * to the original), objects and arrays are copied and frozen, other values
 * pass through; a cycle or an unsupported value throws.
 */
function bridgeCopy(value, seen) {
  if (typeof value === 'function') {
    const fn = value
    return function bridged(...args) {
      return fn(...args)
    }
  }
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'symbol') throw new Error('An object could not be cloned.')
    return value
  }
  if (value instanceof Promise || value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value) || value instanceof Error) {
    return value
  }
  if (seen.has(value)) throw new Error('An object could not be cloned.')
  seen.add(value)
  const out = Array.isArray(value) ? value.map((v) => bridgeCopy(v, seen)) : {}
  if (!Array.isArray(value)) {
    for (const key of Object.keys(value)) out[key] = bridgeCopy(value[key], seen)
  }
  seen.delete(value)
  return Object.freeze(out)
}

function expose(apiKey, api) {
  if (typeof apiKey !== 'string') {
    const err = new TypeError('Error processing argument at index 0, conversion failure from ' + String(apiKey))
    throw err
  }
  if (Object.prototype.hasOwnProperty.call(globalThis, apiKey)) {
    throw new Error('Cannot bind an API on top of an existing property on the window object')
  }
  Object.defineProperty(globalThis, apiKey, {
    value: bridgeCopy(api, new Set()),
    enumerable: true,
    writable: false,
    configurable: true,
  })
}

const contextBridge = {
  /**
   * Exposes `api` as `window[apiKey]` (here: `globalThis[apiKey]`).
   * @param {string} apiKey
   * @param {any} api
   */
  exposeInMainWorld(apiKey, api) {
    expose(apiKey, api)
  },
  /**
   * As exposeInMainWorld; there is one world here.
   * @param {number} _worldId
   * @param {string} apiKey
   * @param {any} api
   */
  exposeInIsolatedWorld(_worldId, apiKey, api) {
    expose(apiKey, api)
  },
}

// ---------------------------------------------------------------- app

/** The nearest package.json above the main script (Electron reads the app's). */
function appPackage() {
  const path = require('node:path')
  const fs = require('node:fs')
  let dir = process.argv[1] ? path.dirname(path.resolve(process.argv[1])) : process.cwd()
  for (;;) {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
    } catch {
      const up = path.dirname(dir)
      if (up === dir) return {}
      dir = up
    }
  }
}

/**
 * The part of Electron's `app` that libraries read to find their files
 * (electron-store, electron-log): the app's name and version, and
 * `getPath`/`setPath` with Electron's defaults for this OS. The app is
 * always ready (there is no startup to wait for). Nothing else.
 */
class App extends EventEmitter {
  constructor() {
    super()
    this._pkg = null
    this._name = null
    this._paths = new Map()
  }

  /** @private */
  _package() {
    this._pkg ??= appPackage()
    return this._pkg
  }

  /** The app's name: `productName` or `name` of its package.json (else `'Electron'`). */
  get name() {
    return this._name ?? this._package().productName ?? this._package().name ?? 'Electron'
  }

  set name(value) {
    this._name = String(value)
  }

  /** @returns {string} */
  getName() {
    return this.name
  }

  /** @param {string} name */
  setName(name) {
    this.name = name
  }

  /** @returns {string} the `version` of the app's package.json (else `'0.0.0'`) */
  getVersion() {
    return this._package().version ?? '0.0.0'
  }

  /** Never packaged here. */
  get isPackaged() {
    return false
  }

  /** @returns {boolean} always true: there is no startup to wait for */
  isReady() {
    return true
  }

  /** @returns {Promise<void>} resolved */
  whenReady() {
    return Promise.resolve()
  }

  /**
   * Electron's special directories: `home`, `appData`, `userData`,
   * `sessionData`, `temp`, `exe`, `module`, `logs`, `crashDumps`, and any
   * set with setPath(). Others throw, as Electron does.
   * @param {string} name
   * @returns {string}
   */
  getPath(name) {
    const set = this._paths.get(name)
    if (set !== undefined) return set
    const os = require('node:os')
    const path = require('node:path')
    const home = os.homedir()
    switch (name) {
      case 'home':
        return home
      case 'appData':
        if (process.platform === 'win32') return process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming')
        if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support')
        return process.env.XDG_CONFIG_HOME || path.join(home, '.config')
      case 'userData':
        return path.join(this.getPath('appData'), this.name)
      case 'sessionData':
        return this.getPath('userData')
      case 'temp':
        return os.tmpdir()
      case 'exe':
      case 'module':
        return process.execPath
      case 'logs':
        if (process.platform === 'darwin') return path.join(home, 'Library', 'Logs', this.name)
        return path.join(this.getPath('userData'), 'logs')
      case 'crashDumps':
        return path.join(this.getPath('userData'), 'Crashpad')
      default:
        throw new Error(`Failed to get '${name}' path`)
    }
  }

  /**
   * Overrides a special directory (e.g. `userData`, so tests keep their
   * files in a temp dir), as Electron's app.setPath.
   * @param {string} name
   * @param {string} value an absolute path
   */
  setPath(name, value) {
    if (typeof value !== 'string' || !require('node:path').isAbsolute(value)) {
      throw new Error(`Path must be absolute: ${value}`)
    }
    this._paths.set(name, value)
  }
}

// ---------------------------------------------------------------- BrowserWindow

const kRenderer = Symbol('ipc-main.windowRenderer')

/** One window per WebContents, made when first asked for. */
const windows = new WeakMap()
let nextWindowId = 1
let focused = null

class BrowserWindow extends EventEmitter {
  /**
   * A window whose renderer is a new in-process renderer of `ipcMain`
   * (options are accepted and ignored).
   * @param {object} [_options]
   */
  constructor(_options, contents) {
    super()
    let wc = contents
    let renderer = null
    if (wc === undefined) {
      const { kPort } = require('./lib/ipc-renderer')
      renderer = ipc.ipcMain.createRenderer()
      wc = ipc.webContents.fromId(renderer[kPort].id)
    }
    this[kRenderer] = renderer
    Object.defineProperty(this, 'id', { value: nextWindowId++, enumerable: true })
    Object.defineProperty(this, 'webContents', { value: wc, enumerable: true })
    windows.set(wc, this)
    if (focused === null) focused = this
    wc.once('destroyed', () => {
      if (focused === this) focused = null
      this.emit('closed')
    })
  }

  /** @returns {boolean} whether its renderer is gone */
  isDestroyed() {
    return this.webContents.isDestroyed()
  }

  /**
   * Ends the window's renderer: terminates a worker, kills a child process,
   * closes an in-process renderer made by `new BrowserWindow()`.
   */
  close() {
    this.destroy()
  }

  destroy() {
    const wc = this.webContents
    if (wc.isDestroyed()) return
    if (wc.worker) wc.worker.terminate()
    else if (wc.process) wc.process.kill()
    else if (this[kRenderer] !== null) this[kRenderer].close()
  }

  focus() {
    focused = this
  }

  isFocused() {
    return focused === this
  }

  /** @returns {BrowserWindow[]} a window for every live renderer */
  static getAllWindows() {
    return ipc.webContents.getAllWebContents().map((wc) => BrowserWindow.fromWebContents(wc))
  }

  /** @returns {BrowserWindow | null} */
  static getFocusedWindow() {
    return focused !== null && !focused.isDestroyed() ? focused : null
  }

  /**
   * @param {import('./index').WebContents} wc
   * @returns {BrowserWindow | null}
   */
  static fromWebContents(wc) {
    if (wc === null || typeof wc !== 'object' || typeof wc.isDestroyed !== 'function') return null
    return windows.get(wc) ?? (wc.isDestroyed() ? null : new BrowserWindow(undefined, wc))
  }

  /**
   * @param {number} id
   * @returns {BrowserWindow | null}
   */
  static fromId(id) {
    return BrowserWindow.getAllWindows().find((w) => w.id === id) ?? null
  }
}

Object.defineProperties(module.exports, {
  ipcMain: { enumerable: true, get: () => ipc.ipcMain },
  // In Electron's main process `require('electron').ipcRenderer` is
  // undefined, and libraries that ship one module for both sides (electron-log
  // v5) test it to learn where they are. A program that declares itself
  // Electron's main (`process.type === 'browser'`) gets the same; anywhere
  // else this is the environment's renderer, as `require('ipc-main')`'s.
  ipcRenderer: { enumerable: true, get: () => (process.type === 'browser' ? undefined : ipc.ipcRenderer) },
})
module.exports.webContents = ipc.webContents
module.exports.app = new App()
module.exports.contextBridge = contextBridge
module.exports.BrowserWindow = BrowserWindow
Object.defineProperty(module.exports, 'MessageChannelMain', {
  enumerable: true,
  get: () => ipc.MessageChannelMain,
})
