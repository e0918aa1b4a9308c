'use strict'

// `ipc-main/electron`: the stand-in for the `electron` module (API.md §1),
// in CommonJS and ESM, with the contextBridge and BrowserWindow it covers.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { SUITE, next } = require('./helpers')

const electron = require('../electron')
const ipc = require('..')

describe('ipc-main/electron exports', SUITE, () => {
  it('ipcMain, ipcRenderer and webContents are the very objects of ipc-main', () => {
    assert.equal(electron.ipcMain, ipc.ipcMain)
    assert.equal(electron.ipcRenderer, ipc.ipcRenderer)
    assert.equal(electron.webContents, ipc.webContents)
  })

  it('imports as ESM (by the package name, as an aliased `electron` would) with the same objects', async () => {
    const esm = await import('ipc-main/electron')
    for (const name of ['ipcMain', 'ipcRenderer', 'webContents', 'contextBridge', 'BrowserWindow']) {
      assert.equal(esm[name], electron[name], name)
    }
    assert.equal(esm.default, electron)
    const root = await import('ipc-main')
    assert.equal(root.ipcMain, ipc.ipcMain)
    assert.equal(root.IpcMain, ipc.IpcMain)
  })
})

describe('contextBridge', SUITE, () => {
  it('exposeInMainWorld puts a frozen copy on globalThis whose functions call the originals', () => {
    const calls = []
    const api = { ping: (x) => calls.push(x) && x + 1, nested: { list: [1, { deep: true }] } }
    electron.contextBridge.exposeInMainWorld('bridgeApi', api)
    assert.equal(globalThis.bridgeApi.ping(41), 42)
    assert.deepEqual(calls, [41])
    assert.notEqual(globalThis.bridgeApi, api, 'a copy')
    assert.ok(Object.isFrozen(globalThis.bridgeApi))
    assert.ok(Object.isFrozen(globalThis.bridgeApi.nested.list))
    assert.deepEqual(globalThis.bridgeApi.nested, { list: [1, { deep: true }] })
    api.nested.list.push(2)
    assert.equal(globalThis.bridgeApi.nested.list.length, 2, 'later changes to the source do not leak through')
  })

  it('refuses to bind over an existing property, with Electron\'s text', () => {
    electron.contextBridge.exposeInIsolatedWorld(1, 'bridgeOnce', { a: 1 })
    assert.throws(() => electron.contextBridge.exposeInMainWorld('bridgeOnce', {}), {
      message: 'Cannot bind an API on top of an existing property on the window object',
    })
    assert.throws(() => electron.contextBridge.exposeInMainWorld('process', {}), /Cannot bind an API/)
  })

  it('a cyclic API cannot be copied', () => {
    const cyclic = { a: {} }
    cyclic.a.back = cyclic
    assert.throws(() => electron.contextBridge.exposeInMainWorld('bridgeCycle', cyclic), {
      message: 'An object could not be cloned.',
    })
    assert.equal('bridgeCycle' in globalThis, false)
  })
})

describe('BrowserWindow', SUITE, () => {
  it('new BrowserWindow() has a live in-process renderer, found by every lookup', async () => {
    const { BrowserWindow, ipcMain, webContents } = electron
    const win = new BrowserWindow({ width: 800, height: 600 })
    assert.equal(typeof win.id, 'number')
    assert.ok(webContents.getAllWebContents().includes(win.webContents))
    assert.equal(webContents.fromId(win.webContents.id), win.webContents)
    assert.ok(BrowserWindow.getAllWindows().includes(win))
    assert.equal(BrowserWindow.fromWebContents(win.webContents), win)
    assert.equal(BrowserWindow.fromId(win.id), win)

    // Main reaches it through its WebContents like any renderer.
    const arrived = next(ipcMain, 'from-default')
    electron.ipcRenderer.send('from-default', 1)
    const [event] = await arrived
    const other = BrowserWindow.fromWebContents(event.sender)
    assert.equal(other.webContents, event.sender, 'the default renderer gets a window too')
    assert.notEqual(other, win)

    const closed = next(win, 'closed')
    win.close()
    await closed
    assert.equal(win.isDestroyed(), true)
    assert.equal(BrowserWindow.getAllWindows().includes(win), false)
    assert.equal(BrowserWindow.fromId(win.id), null)
  })

  it('a worker renderer is a window too, and destroy() terminates it', async () => {
    const { BrowserWindow, ipcMain } = electron
    const wc = await ipcMain.spawnWorker(path.join(__dirname, 'fixtures', 'agent.js'))
    const win = BrowserWindow.fromWebContents(wc)
    assert.ok(BrowserWindow.getAllWindows().includes(win))
    const closed = next(win, 'closed')
    const exited = next(wc.worker, 'exit')
    win.destroy()
    await Promise.all([closed, exited])
    assert.equal(wc.isDestroyed(), true)
  })

  it('fromWebContents of something that is not a WebContents is null', () => {
    assert.equal(electron.BrowserWindow.fromWebContents(null), null)
    assert.equal(electron.BrowserWindow.fromWebContents({}), null)
  })
})

// The default hub and its renderer are this file's: nothing to keep alive.
process.on('exit', () => ipc.ipcMain.close())
