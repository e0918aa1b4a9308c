'use strict'
// @egoist/tipc, unmodified, over ipc-main: `electron` is aliased to
// ipc-main's stand-in (--require ../../app/test/electron-alias.js). Main is
// this thread; the window is a worker-thread renderer whose preload is
// electron-vite's template with @electron-toolkit/preload, and whose page
// uses tipc's client and event handlers through `window.electron`.

const assert = require('node:assert/strict')
const path = require('node:path')
const { isDate } = require('node:util').types
const { describe, it, before, after } = require('node:test')
const { registerIpcMain, getRendererHandlers } = require('@egoist/tipc/main')
const { openWindow, closeWindows } = require('../harness')
const { createApp } = require('./router')

describe('@egoist/tipc', () => {
  let app, win, page

  before(async () => {
    app = createApp()
    registerIpcMain(app.router) // README: every action becomes an ipcMain.handle
    ;({ win, page } = await openWindow({
      preload: path.join(__dirname, 'preload.js'),
      page: path.join(__dirname, 'page.js'),
    }))
  })

  after(closeWindows)

  it('an action with input answers the window', async () => {
    assert.equal(await page.call('sum', 2, 3), 5)
  })

  it("an action's context.sender is the window's webContents", async () => {
    assert.deepEqual(await page.call('whoami'), { webContentsId: win.webContents.id, windowId: win.id })
  })

  it('an action changes main state; main tells the window (send / listen)', async () => {
    const note = await page.call('addNote', ' buy milk ')
    assert.equal(note.text, 'buy milk')
    assert.ok(isDate(note.created)) // structured clone, as Electron's IPC
    assert.equal(app.notes.get(note.id).text, 'buy milk')
    const { value } = await page.next('noteAdded')
    assert.deepEqual(value, note)
  })

  it("an action's error rejects the window's call with Electron's invoke error", async () => {
    // tipc has no error type of its own: it is ipcRenderer.invoke's rejection,
    // whose text Electron fixes (main also logs "Error occurred in handler").
    await assert.rejects(page.call('addNote', '   '), {
      name: 'Error',
      message: "Error invoking remote method 'addNote': Error: A note needs some text",
    })
  })

  it('main invokes a handler in the window (invoke / handle)', async () => {
    const confirm = getRendererHandlers(win.webContents).confirm
    assert.equal(await confirm.invoke('Quit?'), true)
    // The page's note of the question comes by the harness's channel, which
    // is not ordered with IPC: wait for each one.
    assert.equal((await page.next('confirm')).value, 'Quit?')

    await page.call('answerConfirm', false)
    assert.equal(await confirm.invoke('Really?'), false)
    assert.equal((await page.next('confirm')).value, 'Really?')

    // The window's handler throws: tipc sends the Error back, cloned.
    await page.call('answerConfirm', 'throw')
    await assert.rejects(confirm.invoke('Now?'), (err) => err instanceof Error && err.message === 'the dialog was dismissed')
    assert.equal((await page.next('confirm')).value, 'Now?')
  })

  it("main asks the window while the window's own call waits for main", async () => {
    const { id } = await page.call('addNote', 'to delete')
    await page.call('answerConfirm', true)
    assert.equal(await page.call('deleteNote', id), true)
    assert.equal(app.notes.has(id), false)
    assert.equal((await page.next('confirm')).value, `Delete note ${id}?`)
  })

  it("the remover listen() returned stops main's events", async () => {
    page.pushed.length = 0
    await page.call('stopListening')
    await page.call('addNote', 'nobody listens')
    await page.call('sum', 0, 0) // a round trip after main's send
    assert.deepEqual(page.pushed, [])
  })
})
