'use strict'

// The `electron` stand-in in a program that declares itself Electron's main
// process (`process.type = 'browser'`): as in Electron's main,
// `require('electron').ipcRenderer` is undefined, so libraries that ship one
// module for both sides (electron-log v5) set up only their main half.
// `require('ipc-main')` itself is unchanged.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { pathToFileURL } = require('node:url')

const ipc = require('..')
const electron = require('../electron')
const { IpcRenderer } = require('../lib/ipc-renderer')

/** Runs `fn` with `process.type` set to `type` (restored afterwards). */
function withProcessType(t, type) {
  const had = Object.hasOwn(process, 'type')
  const before = process.type
  process.type = type
  t.after(() => {
    if (had) process.type = before
    else delete process.type
  })
}

describe("ipc-main/electron when process.type === 'browser'", () => {
  it('ipcRenderer is undefined; ipcMain, webContents, BrowserWindow are there', (t) => {
    withProcessType(t, 'browser')
    assert.equal(electron.ipcRenderer, undefined)
    assert.equal(electron.ipcMain, ipc.ipcMain)
    assert.equal(electron.webContents, ipc.webContents)
    assert.equal(typeof electron.BrowserWindow, 'function')
  })

  it("require('ipc-main').ipcRenderer is unchanged: the in-process renderer", (t) => {
    withProcessType(t, 'browser')
    assert.ok(ipc.ipcRenderer instanceof IpcRenderer)
  })

  it('a one-module-for-both-sides library takes its main branch', (t) => {
    withProcessType(t, 'browser')
    // What electron-log's preload half does at load time.
    const { ipcRenderer } = electron
    assert.equal(ipcRenderer ? 'renderer half' : 'main only', 'main only')
  })

  it('the ESM form agrees', async (t) => {
    withProcessType(t, 'browser')
    // A query string makes a fresh module instance, evaluated now.
    const esm = await import(`${pathToFileURL(path.join(__dirname, '..', 'electron.mjs')).href}?browser`)
    assert.equal(esm.ipcRenderer, undefined)
    assert.equal(esm.ipcMain, ipc.ipcMain)
  })
})

describe('ipc-main/electron anywhere else', () => {
  for (const type of [undefined, 'renderer', 'worker']) {
    it(`process.type ${type === undefined ? 'unset' : `'${type}'`}: ipcRenderer is require('ipc-main').ipcRenderer`, (t) => {
      withProcessType(t, type)
      if (type === undefined) delete process.type
      assert.ok(electron.ipcRenderer instanceof IpcRenderer)
      assert.equal(electron.ipcRenderer, ipc.ipcRenderer)
    })
  }
})
