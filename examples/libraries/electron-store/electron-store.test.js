'use strict'
// electron-store, unmodified, over ipc-main. This process declares itself
// Electron's main (`process.type = 'browser'`) and calls
// `Store.initRenderer()`; a window (a worker-thread renderer) and a child
// process (`ipcMain.fork`) each make their own `new Store()`, which asks
// main for the store's directory and the app's version with
// `ipcRenderer.sendSync`. All three share one file under
// `app.getPath('userData')`. electron-store is ESM only: `import` of
// `electron` is aliased by ../electron-alias.js's module.register() hook.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { once } = require('node:events')
const { describe, it, before, after } = require('node:test')
const { openWindow, closeWindows } = require('../harness')

process.type = 'browser'
const electron = require('electron')

describe('electron-store', () => {
  let Store, store, page, dir
  const syncs = []

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-electron-store-'))
    electron.app.setPath('userData', dir)
    // Counts the renderers' sendSync asks (the library answers them).
    electron.ipcMain.on('electron-store-get-data', (event) => syncs.push(event.sender.id))
    ;({ default: Store } = await import('electron-store'))
    Store.initRenderer()
    store = new Store()
    ;({ page } = await openWindow({
      preload: path.join(__dirname, 'preload.js'),
      page: path.join(__dirname, 'page.js'),
      contextIsolation: false,
    }))
  })

  after(async () => {
    await closeWindows()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("main's store lives under app.getPath('userData')", () => {
    assert.equal(store.path, path.join(dir, 'config.json'))
  })

  it("a window's new Store() gets main's directory through sendSync, and shares main's file", async () => {
    assert.equal(await page.call('path'), store.path)
    assert.equal(syncs.length, 1)
    await page.call('set', 'theme', 'dark')
    assert.equal(store.get('theme'), 'dark')
    store.set('fromMain', { n: 42 })
    assert.deepEqual(await page.call('get', 'fromMain'), { n: 42 })
  })

  it("a child process's new Store() does the same over the socket", { timeout: 60_000 }, async (t) => {
    store.set('fromMain', { n: 43 })
    const reported = once(electron.ipcMain, 'child-report')
    const wc = await electron.ipcMain.fork(path.join(__dirname, 'child.mjs'))
    t.after(() => wc.process.kill())
    const [event, report] = await reported
    assert.equal(event.sender, wc)
    assert.deepEqual(report, { path: store.path, fromMain: { n: 43 } })
    assert.ok(syncs.includes(wc.id), 'the child asked main with sendSync')
    assert.deepEqual(store.get('fromChild'), { pid: wc.process.pid })
  })
})
