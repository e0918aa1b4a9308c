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

function getIpcRenderer() {
  if (defaultRenderer === null) defaultRenderer = getIpcMain().createRenderer()
  return defaultRenderer
}

Object.defineProperties(module.exports, {
  ipcMain: { enumerable: true, get: getIpcMain },
  ipcRenderer: { enumerable: true, get: getIpcRenderer },
})
module.exports.IpcMain = IpcMain
module.exports.webContents = webContents
