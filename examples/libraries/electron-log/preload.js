'use strict'
// The window's preload: electron-log's own (README, "Preload script"), which
// `log.initialize()` would register for every session in Electron. It tests
// `require('electron').ipcRenderer`, and here (a renderer) finds it: it
// forwards the page's log calls to main as `window.__electronLog`.

require('electron-log/preload')
