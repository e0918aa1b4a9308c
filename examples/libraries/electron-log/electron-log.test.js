'use strict'
// electron-log v5, unmodified, over ipc-main. This process declares itself
// Electron's main (`process.type = 'browser'`), so `require('electron-log')`
// takes its main half and, since the stand-in's `ipcRenderer` is then
// undefined (as in Electron's main), does not set up its renderer half
// here. The window is a worker-thread renderer (contextIsolation off, as
// electron-log's docs assume for `require('electron-log/preload')`) whose
// page logs through `electron-log/renderer`.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { EventEmitter, once } = require('node:events')
const { describe, it, before, after } = require('node:test')
const { openWindow, closeWindows } = require('../harness')

process.type = 'browser'
const electron = require('electron')

describe('electron-log', () => {
  let log, page, dir
  const logged = new EventEmitter()
  const seen = []

  /** The first message main's file transport writes that `match`es. */
  async function written(match) {
    for (;;) {
      const found = seen.find(match)
      if (found !== undefined) return found
      await once(logged, 'message')
    }
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-electron-log-'))
    // Where Electron's app keeps its files; electron-log reads app.getPath('logs').
    electron.app.setPath('userData', dir)
    electron.app.setPath('logs', path.join(dir, 'logs'))
    log = require('electron-log')
    log.initialize()
    log.transports.console.level = false
    log.hooks.push((message, transport) => {
      if (transport === log.transports.file) {
        seen.push(message)
        logged.emit('message')
      }
      return message
    })
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

  it("in main, require('electron-log') is the main logger and sets up no renderer half here", () => {
    assert.equal(electron.ipcRenderer, undefined)
    assert.equal(log.variables.processType, 'main')
    assert.equal(typeof log.initialize, 'function')
    assert.equal(globalThis.__electronLog, undefined)
  })

  it("the window's preload set up the bridge with its ipcRenderer", async () => {
    assert.equal(await page.call('hasBridge'), true)
  })

  it("a window's log.info reaches main's transports, marked as the renderer's", async () => {
    await page.call('log', 'info', 'window opened', { id: 7 })
    const message = await written((m) => m.data[0] === 'window opened')
    assert.equal(message.level, 'info')
    assert.deepEqual(message.data, ['window opened', { id: 7 }])
    assert.equal(message.variables.processType, 'renderer')
    assert.ok(message.date instanceof Date)
  })

  it("main's file transport writes it under app.getPath('logs')", async () => {
    await page.call('log', 'warn', 'disk almost full')
    await written((m) => m.data[0] === 'disk almost full')
    const file = log.transports.file.getFile().path
    assert.equal(path.dirname(file), path.join(dir, 'logs'))
    const text = fs.readFileSync(file, 'utf8')
    assert.match(text, /\[warn\]\s+disk almost full/)
  })

  it("a scope and an Error keep their meaning", async () => {
    await page.call('scoped', 'settings', 'saved')
    const scoped = await written((m) => m.data[0] === 'saved')
    assert.equal(scoped.scope, 'settings')
    await page.call('error', 'boom')
    const failed = await written((m) => m.level === 'error')
    assert.match(failed.data[0], /^Error: boom\n\s+at /)
  })

  it("main answers the preload's getOptions invoke (ipcMain.handle)", async () => {
    const options = await page.call('options')
    assert.equal(options.logId, 'default')
    assert.ok(options.levels.includes('info'))
  })
})
