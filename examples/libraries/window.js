'use strict'
// Entry of a "window": a worker-thread renderer started by openWindow()
// (./harness.js) through ipcMain.spawnWorker(), so it has its own globals
// (its `window`) and its own, already connected `ipcRenderer`. It loads the
// window the way Electron does, and no more than the libraries need:
//
// 1. `process.contextIsolated = true`: Electron sets it in every renderer
//    with contextIsolation on (the default). It is on `process`, not in the
//    `electron` module, so the stand-in cannot provide it; preloads such as
//    electron-vite's template check it before calling contextBridge.
// 2. the preload, as `webPreferences.preload` would run it;
// 3. `process.emit('loaded')`: Electron fires it once the preload has run
//    (electron-trpc's README exposes its API from that event);
// 4. the page script, which talks to main only through what the preload
//    exposed on globalThis.

const { workerData } = require('node:worker_threads')

process.contextIsolated = true
require(workerData.preload)
process.emit('loaded')
require(workerData.page)
