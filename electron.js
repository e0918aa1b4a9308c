'use strict'
// A stand-in for the `electron` module in tests: alias `electron` to
// `ipc-main/electron` and main-process IPC code runs unchanged under Node.

const ipc = require('./index.js')

Object.defineProperties(module.exports, {
  ipcMain: { enumerable: true, get: () => ipc.ipcMain },
  ipcRenderer: { enumerable: true, get: () => ipc.ipcRenderer },
})
module.exports.webContents = ipc.webContents
