'use strict'
// Entry of a "window": a worker-thread renderer started by openWindow()
// (./harness.js) through ipcMain.spawnWorker(), so it has its own globals
// (its `window`) and its own, already connected `ipcRenderer`. It loads the
// window the way Electron does, and no more than the libraries need:
//
// 1. Electron's renderer `process`: `process.type = 'renderer'` (libraries
//    that ship one module for both sides, electron-log and electron-store,
//    test it) and `process.contextIsolated` (true unless the window was
//    opened with `contextIsolation: false`; preloads such as electron-vite's
//    template check it before calling contextBridge). They are on
//    `process`, not in the `electron` module, so the stand-in cannot
//    provide them.
// 2. `window`: a renderer's global object is its window. Here `window` is
//    the worker's globalThis, with the DOM's window messaging
//    (`window.postMessage` to itself, `addEventListener('message')`), which
//    electron-log's preload uses to hand main's messages to the page.
// 3. the preload, as `webPreferences.preload` would run it;
// 4. `process.emit('loaded')`: Electron fires it once the preload has run
//    (electron-trpc's README exposes its API from that event);
// 5. the page script, which talks to main only through what the preload
//    exposed on globalThis.

const { workerData } = require('node:worker_threads')

process.type = 'renderer'
process.contextIsolated = workerData.contextIsolation !== false

const events = new EventTarget()
Object.assign(globalThis, {
  window: globalThis,
  addEventListener: events.addEventListener.bind(events),
  removeEventListener: events.removeEventListener.bind(events),
  dispatchEvent: events.dispatchEvent.bind(events),
  // As the DOM's: the message is cloned and dispatched on a later task.
  postMessage(message) {
    const data = structuredClone(message)
    setImmediate(() => events.dispatchEvent(new MessageEvent('message', { data })))
  },
})

require(workerData.preload)
process.emit('loaded')
require(workerData.page)
