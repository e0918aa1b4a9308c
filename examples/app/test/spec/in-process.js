'use strict'
// The app's IPC, driven exactly as a window would drive it, through
// `require('electron').ipcRenderer` (ipc-main's in-process renderer).
// One body for every runner: each wrapper passes its own describe/it/hooks.

const assert = require('node:assert/strict')
const { isDate } = require('node:util').types
const { ipcMain, ipcRenderer } = require('electron')
const app = require('../../main/ipc')

// The next time `channel` reaches `renderer`, with the arguments it carried.
const next = (renderer, channel) =>
  new Promise((resolve) => renderer.once(channel, (event, ...args) => resolve(args)))

module.exports = function inProcessSpec({ describe, it, beforeEach, afterEach }) {
  describe('notes app IPC, in-process renderer', () => {
    let unregister
    beforeEach(() => {
      unregister = app.register()
    })
    afterEach(() => unregister())

    it('invoke: notes:add answers with the stored note, cloned', async () => {
      const note = await ipcRenderer.invoke('notes:add', '  buy milk ')
      assert.equal(note.id, 1)
      assert.equal(note.text, 'buy milk')
      // A real Date: structured clone, as Electron. Not `instanceof Date`: under
      // jest, what crossed IPC was made in Node's realm, not the test sandbox's.
      assert.ok(isDate(note.created))
      assert.equal(typeof note.by, 'number')
    })

    it('invoke: notes:add rejects a blank note with Electron\'s error text', async () => {
      await assert.rejects(ipcRenderer.invoke('notes:add', ''), {
        message: "Error invoking remote method 'notes:add': Error: A note needs some text",
      })
      await assert.rejects(ipcRenderer.invoke('notes:add', 42), /A note needs some text/)
    })

    it('handleOnce: session:start answers once, then there is no handler', async () => {
      const { token } = await ipcRenderer.invoke('session:start')
      assert.match(token, /^s-\d+-\d+$/)
      await assert.rejects(ipcRenderer.invoke('session:start'), {
        message: "Error invoking remote method 'session:start': Error: No handler registered for 'session:start'",
      })
    })

    it('send + event.reply: notes:list comes back on the same channel', async () => {
      await ipcRenderer.invoke('notes:add', 'one')
      await ipcRenderer.invoke('notes:add', 'two')
      const reply = next(ipcRenderer, 'notes:list')
      ipcRenderer.send('notes:list')
      const [notes] = await reply
      // Not deepStrictEqual: under jest this array comes from another realm.
      assert.equal(notes.map((n) => n.text).join(), 'one,two')
    })

    it('sendSync + event.returnValue: settings:get', () => {
      assert.equal(ipcRenderer.sendSync('settings:get', 'theme'), 'dark')
      assert.equal(ipcRenderer.sendSync('settings:get', 'toString'), null)
    })

    it('webContents.getAllWebContents(): every window hears notes:changed', async () => {
      // A second window: another in-process renderer of the same ipcMain.
      const other = ipcMain.createRenderer()
      try {
        const heard = Promise.all([next(ipcRenderer, 'notes:changed'), next(other, 'notes:changed')])
        await other.invoke('notes:add', 'from the other window')
        assert.deepEqual(await heard, [[1], [1]])
      } finally {
        other.close()
      }
    })
  })
}
