'use strict'
// ipc-main: Electron's ipcMain / ipcRenderer for plain Node.js.
// Public entry (API.md §1). The default `ipcMain` and `ipcRenderer` of this
// JS environment are made on first use.

const { IpcMain } = require('./lib/ipc-main')
const { webContents } = require('./lib/web-contents')

let defaultMain = null
let defaultRenderer = null

function getIpcMain() {
  if (defaultMain === null) defaultMain = new IpcMain()
  return defaultMain
}

const kDefaultRenderer = Symbol.for('ipc-main.defaultRenderer')

function getIpcRenderer() {
  if (defaultRenderer === null) {
    // In a worker started by spawnWorker(), the bootstrap connected it.
    defaultRenderer = globalThis[kDefaultRenderer] ?? getIpcMain().createRenderer()
  }
  return defaultRenderer
}

/**
 * Connects a renderer to a hub: `ipc-main-thread:<id>` (a hub of this
 * process, from `ipcMain.threadAddress`) from any thread.
 * @param {string} address
 * @param {{ token?: string }} [options]
 * @returns {Promise<import('./lib/ipc-renderer').IpcRenderer>}
 */
async function connect(address, options = {}) {
  if (typeof address !== 'string') {
    throw new TypeError('The "address" argument must be of type string.')
  }
  const m = /^ipc-main-thread:(\d+)$/.exec(address)
  if (m !== null) return require('./lib/worker').connectWorker(Number(m[1]))
  const err = new Error(`ipc-main: cannot connect to '${address}': socket renderers are not available yet`)
  err.code = 'IPC_UNSUPPORTED'
  throw err
}

Object.defineProperties(module.exports, {
  ipcMain: { enumerable: true, get: getIpcMain },
  ipcRenderer: { enumerable: true, get: getIpcRenderer },
})
module.exports.IpcMain = IpcMain
module.exports.webContents = webContents
module.exports.connect = connect
