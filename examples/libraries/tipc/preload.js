'use strict'
// The window's preload: electron-vite's template, which tipc's example app
// uses. It exposes @electron-toolkit/preload's `electronAPI` (ipcRenderer's
// invoke, send, on, ...) as `window.electron`.

const { contextBridge } = require('electron')
const { electronAPI } = require('@electron-toolkit/preload')

if (process.contextIsolated) {
  try {
    contextBridge.exposeInMainWorld('electron', electronAPI)
  } catch (error) {
    console.error(error)
  }
} else {
  window.electron = electronAPI
}
