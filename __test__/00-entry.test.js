'use strict'

// The entry point (API.md §1) and the environment's own ipcMain / ipcRenderer.
// This is the one file that uses the global `ipcMain`; its first tests look at
// the fresh state, so they must stay first.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const EventEmitter = require('node:events')
const { spawnSync } = require('node:child_process')

const { IpcMain, ipcMain, ipcRenderer, webContents } = require('..')
const { SUITE } = require('./helpers')

const entry = require.resolve('..')

/** Runs `code` in a fresh Node process that has the package's path as `entry`. */
function runChild(code) {
  return spawnSync(process.execPath, ['-e', `const entry = ${JSON.stringify(entry)};\n${code}`], {
    encoding: 'utf8',
    timeout: 60_000,
  })
}

describe('require("ipc-main")', SUITE, () => {
  it('a fresh ipcMain has exactly the "error" guard as its event names', () => {
    assert.deepEqual(ipcMain.eventNames(), ['error'])
    assert.equal(ipcMain.listenerCount('error'), 1)
  })

  it('a fresh ipcRenderer has no event names', () => {
    assert.deepEqual(ipcRenderer.eventNames(), [])
  })

  it('exports ipcMain, ipcRenderer, IpcMain and webContents', () => {
    assert.equal(typeof IpcMain, 'function')
    assert.equal(typeof ipcMain, 'object')
    assert.equal(typeof ipcRenderer, 'object')
    assert.equal(typeof webContents, 'object')
    assert.equal(typeof webContents.getAllWebContents, 'function')
    assert.equal(typeof webContents.fromId, 'function')
  })

  it('ipcMain is an EventEmitter and an IpcMain', () => {
    assert.ok(ipcMain instanceof EventEmitter)
    assert.ok(ipcMain instanceof IpcMain)
  })

  it('new IpcMain() is an EventEmitter with its own "error" guard', () => {
    const hub = new IpcMain()
    assert.ok(hub instanceof EventEmitter)
    assert.notEqual(hub, ipcMain)
    assert.deepEqual(hub.eventNames(), ['error'])
    return hub.close()
  })

  it('ipcRenderer is an EventEmitter', () => {
    assert.ok(ipcRenderer instanceof EventEmitter)
  })

  it('returns the same ipcMain and ipcRenderer on every access', () => {
    assert.equal(require('..').ipcRenderer, require('..').ipcRenderer)
    assert.equal(require('..').ipcRenderer, ipcRenderer)
    assert.equal(require('..').ipcMain, ipcMain)
  })

  it('getAllWebContents() lists the default renderer once ipcRenderer was accessed', async () => {
    let sender
    ipcMain.handleOnce('entry-probe', (event) => {
      sender = event.sender
    })
    await ipcRenderer.invoke('entry-probe')
    assert.ok(sender, 'the handler saw a sender')
    const all = webContents.getAllWebContents()
    assert.ok(Array.isArray(all))
    assert.ok(all.includes(sender), 'the default renderer is listed')
    assert.equal(all.filter((wc) => wc === sender).length, 1)
  })

  it('webContents.fromId(id) is the same object as event.sender', async () => {
    const [event] = await new Promise((resolve) => {
      ipcMain.once('entry-from-id', (...args) => resolve(args))
      ipcRenderer.send('entry-from-id')
    })
    assert.ok(Number.isInteger(event.sender.id))
    assert.equal(webContents.fromId(event.sender.id), event.sender)
  })

  it('webContents.fromId() of an unknown id is undefined', () => {
    assert.equal(webContents.fromId(987654321), undefined)
  })

  it('getAllWebContents() lists another renderer of ipcMain while it lives, and not after it closed', async () => {
    const r = ipcMain.createRenderer()
    let sender
    ipcMain.handleOnce('entry-probe-2', (event) => {
      sender = event.sender
    })
    await r.invoke('entry-probe-2')
    assert.ok(webContents.getAllWebContents().includes(sender))
    assert.equal(webContents.fromId(sender.id), sender)
    const gone = new Promise((resolve) => sender.once('destroyed', resolve))
    r.close()
    await gone
    assert.equal(webContents.getAllWebContents().includes(sender), false)
  })

  it('the default ipcRenderer reaches the global ipcMain: send, sendSync and invoke', async () => {
    ipcMain.once('entry-sync', (event, a) => {
      event.returnValue = a * 2
    })
    assert.equal(ipcRenderer.sendSync('entry-sync', 21), 42)
    ipcMain.handleOnce('entry-invoke', (event, a) => a + 1)
    assert.equal(await ipcRenderer.invoke('entry-invoke', 1), 2)
    const [, arg] = await new Promise((resolve) => {
      ipcMain.once('entry-send', (...args) => resolve(args))
      ipcRenderer.send('entry-send', 'hi')
    })
    assert.equal(arg, 'hi')
  })

  it('a process that only requires the package and registers on/handle exits by itself with code 0', () => {
    const res = runChild(`
      const { ipcMain } = require(entry)
      ipcMain.on('a', () => {})
      ipcMain.handle('b', () => 1)
    `)
    assert.equal(res.error, undefined, 'the child finished within the time limit')
    assert.equal(res.signal, null)
    assert.equal(res.status, 0, res.stderr)
  })

  it('a process that sends and invokes through in-process renderers exits by itself with code 0', () => {
    const res = runChild(`
      const { ipcMain, ipcRenderer, IpcMain } = require(entry)
      ipcMain.on('a', () => {})
      ipcMain.handle('b', (e, x) => x + 1)
      const hub = new IpcMain()
      const r = hub.createRenderer()
      hub.handle('c', () => 'c')
      ipcRenderer.send('a', 1)
      Promise.all([ipcRenderer.invoke('b', 1), r.invoke('c')]).then((v) => console.log(JSON.stringify(v)))
    `)
    assert.equal(res.error, undefined, 'the child finished within the time limit')
    assert.equal(res.signal, null)
    assert.equal(res.status, 0, res.stderr)
    assert.equal(res.stdout.trim(), '[2,"c"]')
  })

  it('after ipcMain.close(), the ipcRenderer captured before still reaches ipcMain (close is about the socket)', () => {
    const res = runChild(`
      const { ipcMain, ipcRenderer } = require(entry)
      ;(async () => {
        ipcMain.handle('a', () => 'first')
        const answers = [await ipcRenderer.invoke('a')]
        await ipcMain.close()
        ipcMain.handle('b', () => 'second')
        answers.push(require(entry).ipcRenderer === ipcRenderer, await ipcRenderer.invoke('b'))
        console.log(JSON.stringify(answers))
      })()
    `)
    assert.equal(res.status, 0, res.stderr)
    assert.equal(res.stdout.trim(), '["first",true,"second"]')
  })
})
