'use strict'
// electron-trpc, unmodified, over ipc-main: `electron` is aliased to
// ipc-main's stand-in (--require ../../app/test/electron-alias.js). Main is
// this thread; the window is a worker-thread renderer that runs the README's
// preload (exposeElectronTRPC) and page (ipcLink). Everything between them
// goes through the library's own channel on ipcMain / ipcRenderer.

const assert = require('node:assert/strict')
const path = require('node:path')
const { once } = require('node:events')
const { isDate } = require('node:util').types
const { describe, it, before, after } = require('node:test')
const { createIPCHandler } = require('electron-trpc/main')
const { openWindow, closeWindows } = require('../harness')
const { createApp } = require('./router')

describe('electron-trpc', () => {
  let app, win, page

  before(async () => {
    app = createApp()
    ;({ win, page } = await openWindow({
      preload: path.join(__dirname, 'preload.js'),
      page: path.join(__dirname, 'page.js'),
    }))
    // README step 1, plus createContext to reach the IpcMainEvent.
    createIPCHandler({ router: app.router, windows: [win], createContext: async ({ event }) => ({ event }) })
  })

  after(closeWindows)

  it('a query is answered in main, the window being the sender', async () => {
    const me = await page.call('whoami')
    assert.equal(me.webContentsId, win.webContents.id)
    assert.equal(me.windowId, win.id)
    assert.equal(typeof me.frameId, 'number')
  })

  it('a mutation changes main state; its Date arrives as a Date', async () => {
    const note = await page.call('addNote', '  buy milk ')
    assert.equal(note.text, 'buy milk')
    assert.ok(isDate(note.created)) // structured clone, as Electron's IPC (no transformer)
    assert.equal(app.notes.get(note.id).text, 'buy milk')
    assert.equal(await page.call('countNotes'), app.notes.size)
    assert.equal((await page.call('getNote', note.id)).text, 'buy milk')
  })

  it('many calls in flight each get their own answer', async () => {
    const ids = []
    for (let i = 0; i < 20; i++) ids.push((await page.call('addNote', `note ${i}`)).id)
    const got = await page.call('getNotes', ids.reverse())
    assert.deepEqual(
      got.map((n) => n.text),
      ids.map((id) => app.notes.get(id).text),
    )
  })

  // electron-trpc 0.7.1 bundles its own copies of tRPC's error classes (a
  // packaging matter, the same under Electron): the renderer's error is told
  // by its name, not `instanceof` (jsonnull/electron-trpc#209), and main's
  // TRPCError codes come out as INTERNAL_SERVER_ERROR, its message kept.
  it("a procedure's errors arrive in the window as TRPCClientError", async () => {
    await assert.rejects(page.call('getNote', 999), {
      name: 'TRPCClientError',
      message: 'No note 999',
      path: 'notes.get',
      code: 'INTERNAL_SERVER_ERROR',
    })
    // The input parser threw, in main.
    await assert.rejects(page.call('addNote', '   '), {
      name: 'TRPCClientError',
      message: 'A note needs some text',
      path: 'notes.add',
    })
    // A plain Error thrown by a mutation.
    await assert.rejects(page.call('backup'), {
      name: 'TRPCClientError',
      message: 'disk full',
      path: 'backup',
      code: 'INTERNAL_SERVER_ERROR',
    })
    // Main goes on serving the window.
    assert.equal(await page.call('countNotes'), app.notes.size)
  })

  it('a subscription: main pushes to the window until it unsubscribes', async () => {
    await page.call('subscribe', 'a')
    await app.whenLive(1)
    await page.call('addNote', 'pushed to the window')
    const { value } = await page.next('a')
    assert.equal(value.text, 'pushed to the window')
    assert.ok(isDate(value.created))

    await page.call('unsubscribe', 'a')
    await app.whenLive(0)
    await page.call('addNote', 'after unsubscribing')
    await page.call('countNotes')
    // The client completes the subscription it stopped; no more notes reach it.
    assert.deepEqual(
      page.pushed.map((m) => m.value),
      [{ complete: true }],
    )
    page.pushed.length = 0
  })

  it("closing the window ends its subscriptions in main (createIPCHandler's windows)", async () => {
    await page.call('subscribe', 'b')
    await app.whenLive(1)
    // Registered after electron-trpc's own 'destroyed' listener, so it runs
    // after the library has detached the window.
    const gone = once(win.webContents, 'destroyed')
    win.close()
    await gone
    assert.equal(win.isDestroyed(), true)
    assert.equal(app.liveSubscriptions(), 0)
  })
})
