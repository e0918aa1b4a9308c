'use strict'
// ipc-main: Electron's ipcMain / ipcRenderer for plain Node.js.
// Public entry (API.md §1). The default `ipcMain` and `ipcRenderer` of this
// JS environment are made on first use.

const { IpcMain } = require('./lib/ipc-main')
const { webContents } = require('./lib/web-contents')

let defaultMain = null
let defaultRenderer = null
/** The default renderer is this environment's own in-process one. */
let defaultIsLocal = false

function getIpcMain() {
  if (defaultMain === null) defaultMain = new IpcMain()
  return defaultMain
}

const kDefaultRenderer = Symbol.for('ipc-main.defaultRenderer')

function getIpcRenderer() {
  // After its own close(), the in-process default renderer is released for
  // good: give the next user a fresh one. (`ipcMain.close()` is about the
  // socket and leaves it connected: a renderer captured before keeps
  // reaching ipcMain.)
  if (defaultIsLocal && !require('./lib/ipc-renderer').isOpen(defaultRenderer)) {
    defaultRenderer = null
    defaultIsLocal = false
  }
  if (defaultRenderer === null) {
    // In a worker started by spawnWorker() or a child started by fork(), the
    // bootstrap connected it; a process given IPC_MAIN_ADDRESS connects now.
    defaultRenderer = globalThis[kDefaultRenderer] ?? null
    if (defaultRenderer === null && process.env.IPC_MAIN_ADDRESS) {
      // Never throws: a refused connection gives a disconnected renderer.
      defaultRenderer = require('./lib/socket').connectDefault(process.env.IPC_MAIN_ADDRESS, {
        token: process.env.IPC_MAIN_TOKEN,
      })
      globalThis[kDefaultRenderer] = defaultRenderer
    }
    if (defaultRenderer === null) {
      defaultRenderer = getIpcMain().createRenderer()
      defaultIsLocal = true
    }
  }
  return defaultRenderer
}

/**
 * Connects a renderer to a main: a socket address from `ipcMain.listen()`
 * (with its `token`), or `ipc-main-thread:<id>` (a hub of this process,
 * from `ipcMain.threadAddress`) from any thread.
 * @param {string} address
 * @param {{ token?: string, timeout?: number }} [options]
 * @returns {Promise<import('./lib/ipc-renderer').IpcRenderer>}
 */
async function connect(address, options) {
  if (typeof address !== 'string') throw require('./lib/errors').invalidArgType('address', 'of type string', address)
  const m = /^ipc-main-thread:(\d+)$/.exec(address)
  if (m !== null) return require('./lib/worker').connectWorker(Number(m[1]))
  return require('./lib/socket').connectSocket(address, options)
}

Object.defineProperties(module.exports, {
  ipcMain: { enumerable: true, get: getIpcMain },
  ipcRenderer: { enumerable: true, get: getIpcRenderer },
})
module.exports.IpcMain = IpcMain
module.exports.webContents = webContents
module.exports.connect = connect
// Message ports (API.md §8): loaded on first use, like the transports.
Object.defineProperties(module.exports, {
  MessageChannelMain: { enumerable: true, get: () => require('./lib/ports').MessageChannelMain },
  MessageChannel: { enumerable: true, get: () => require('./lib/ports').MessageChannel },
})
