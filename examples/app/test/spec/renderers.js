'use strict'
// The same app, answered by renderers in a worker thread and in a child
// process (test/fixtures/renderer.js), as real windows live in other threads
// and processes. Closes the default ipcMain at the end: fork() made it listen
// on a socket, which would keep the runner alive (it also disconnects the
// in-process ipcRenderer for good, so this spec runs last in a shared process).

const assert = require('node:assert/strict')
const path = require('node:path')
const { isDate } = require('node:util').types
const { ipcMain } = require('electron')
const app = require('../../main/ipc')

const fixture = path.join(__dirname, '..', 'fixtures', 'renderer.js')

// Runs the fixture's scenario in the renderer `wc`; resolves with its report
// once the renderer has ended by itself.
async function drive(wc, text) {
  const result = new Promise((resolve) => ipcMain.once('test:result', (event, r) => resolve({ event, r })))
  const gone = new Promise((resolve) => wc.once('destroyed', resolve))
  wc.send('test:run', text)
  const out = await result
  await gone
  return out
}

function checkReport(r, wc, text) {
  assert.equal(r.lang, 'en')
  assert.equal(r.note.text, text)
  assert.equal(r.note.by, wc.id)
  assert.ok(isDate(r.note.created)) // not instanceof: see spec/in-process.js
  assert.equal(r.rejected, "Error invoking remote method 'notes:add': Error: A note needs some text")
  assert.equal(r.listed.map((n) => n.text).join(), text)
  assert.equal(r.changed, 1)
}

module.exports = function renderersSpec({ describe, it, after, beforeEach, afterEach }) {
  describe('notes app IPC, worker and child-process renderers', () => {
    let unregister
    beforeEach(() => {
      unregister = app.register()
    })
    afterEach(() => unregister())
    after(() => ipcMain.close())

    it('a worker renderer (ipcMain.spawnWorker)', async () => {
      const wc = await ipcMain.spawnWorker(fixture)
      const { event, r } = await drive(wc, 'from a worker')
      assert.equal(event.sender, wc)
      assert.equal(r.isMainThread, false)
      assert.equal(r.pid, process.pid)
      checkReport(r, wc, 'from a worker')
    })

    it('a child-process renderer (ipcMain.fork)', async () => {
      const wc = await ipcMain.fork(fixture)
      const { event, r } = await drive(wc, 'from a child')
      assert.equal(event.sender, wc)
      assert.equal(r.isMainThread, true)
      assert.equal(r.pid, wc.getOSProcessId())
      assert.equal(event.processId, r.pid)
      assert.notEqual(r.pid, process.pid)
      assert.equal(wc.isCrashed(), false)
      checkReport(r, wc, 'from a child')
    })
  })
}
