'use strict'
// The window's page: electron-log's renderer logger, as its README shows
// (`import log from 'electron-log/renderer'`); its ipc transport sends each
// message to main through the preload's `window.__electronLog`.

const log = require('electron-log/renderer')
const { ipcRenderer } = require('electron')
const { serve } = require('../harness')

// The page's own console stays quiet; main's transports are what is tested.
log.transports.console.level = false

serve({
  log: (level, ...data) => {
    log[level](...data)
  },
  scoped: (scope, text) => {
    log.scope(scope).info(text)
  },
  error: (message) => {
    log.error(new Error(message))
  },
  // What electron-log's preload asks main when it starts.
  options: () => ipcRenderer.invoke('__ELECTRON_LOG__', { cmd: 'getOptions', logId: 'default' }),
  hasBridge: () => typeof window.__electronLog?.sendToMain === 'function',
})
