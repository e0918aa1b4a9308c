'use strict'

// Diagnostics (API.md §7): IPC_MAIN_DEBUG=1 / DEBUG=ipc-main log every
// message to stderr; ipcMain.stats() counts messages and bytes per kind and
// direction, with queue depth and renderers connected.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { IpcMain } = require('..')
const { debugSelected } = require('../lib/diagnostics')
const { SUITE, next } = require('./helpers')

const MAIN = path.join(__dirname, 'fixtures', 'debug-main.js')

function runMain(env) {
  const clean = { ...process.env }
  delete clean.IPC_MAIN_DEBUG
  delete clean.DEBUG
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN], { env: { ...clean, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(err) : resolve(stderr),
    )
  })
}

describe('IPC_MAIN_DEBUG / DEBUG logging', SUITE, () => {
  it('IPC_MAIN_DEBUG=1 logs each message with direction, kind, channel, renderer id and size', async () => {
    const lines = (await runMain({ IPC_MAIN_DEBUG: '1' })).trim().split('\n')
    const id = /renderer #(\d+)/.exec(lines[0])[1]
    assert.deepEqual(lines, [
      `ipc-main: in  send 'greet' renderer #${id} in-process`,
      `ipc-main: out message 'greeted' renderer #${id} ${Buffer.byteLength(JSON.stringify(['hi ada']))} B`,
      `ipc-main: in  invoke 'add' renderer #${id} in-process`,
      `ipc-main: out result renderer #${id} in-process`,
    ])
  })

  it('DEBUG=ipc-main (and DEBUG lists with wildcards) turn it on; anything else leaves stderr quiet', async () => {
    assert.match(await runMain({ DEBUG: 'ipc-main' }), /^ipc-main: in {2}send 'greet'/)
    assert.match(await runMain({ DEBUG: 'express,ipc-*' }), /ipc-main: out message 'greeted'/)
    assert.equal(await runMain({}), '')
    assert.equal(await runMain({ DEBUG: 'express' }), '')
    assert.equal(await runMain({ IPC_MAIN_DEBUG: '0' }), '')
    assert.equal(await runMain({ DEBUG: '*,-ipc-main' }), '')
  })

  it('reads DEBUG as the debug package does', () => {
    assert.equal(debugSelected('*'), true)
    assert.equal(debugSelected('ipc-main'), true)
    assert.equal(debugSelected('foo, ipc-main'), true)
    assert.equal(debugSelected('ipc-main-other'), false)
    assert.equal(debugSelected('-ipc-main'), false)
    assert.equal(debugSelected(''), false)
  })
})

describe('ipcMain.stats()', SUITE, () => {
  it('counts messages and bytes per kind and direction, queue depth and renderers', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const fresh = hub.stats()
    assert.equal(fresh.messagesIn, 0)
    assert.equal(fresh.messagesOut, 0)
    assert.equal(fresh.renderers, 0)
    assert.deepEqual(fresh.in.send, { messages: 0, bytes: 0 })

    hub.on('ping', (event, x) => event.reply('pong', x))
    hub.on('sync', (event) => {
      event.returnValue = 'answer'
    })
    hub.handle('add', (event, a, b) => a + b)
    const r = hub.createRenderer()
    const pongs = new Promise((resolve) => {
      let n = 0
      r.on('pong', () => ++n === 2 && resolve())
    })
    r.send('ping', 'x')
    r.send('ping', 'y')
    assert.equal(r.sendSync('sync'), 'answer')
    assert.equal(await r.invoke('add', 2, 3), 5)
    await pongs

    const s = hub.stats()
    assert.equal(s.in.send.messages, 2)
    assert.equal(s.in.sendSync.messages, 1)
    assert.equal(s.in.invoke.messages, 1)
    assert.equal(s.out.message.messages, 2)
    assert.ok(s.out.message.bytes >= 2 * Buffer.byteLength('["x"]'), 'encoded replies have bytes')
    assert.equal(s.out.syncReply.messages, 1)
    assert.equal(s.out.result.messages, 1)
    assert.equal(s.messagesIn, 4)
    assert.equal(s.messagesOut, 4)
    assert.equal(s.renderers, 1)
    assert.equal(s.queueDepth, 0)
    assert.equal(s.queueBytes, 0)
  })

  it('counts what a worker sends, in bytes of its encoded frames', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const got = next(hub, 'from-worker')
    const wc = await hub.spawnWorker(path.join(__dirname, 'fixtures', 'agent.js'))
    t.after(() => wc.worker.terminate())
    assert.equal(hub.stats().in.connect.messages, 1)
    assert.equal(hub.stats().renderers, 1)
    wc.send('__run__', 1, `({ ipcRenderer }) => ipcRenderer.send('from-worker', 'x'.repeat(1000))`, [])
    await got
    const s = hub.stats()
    assert.ok(s.in.send.messages >= 1)
    assert.ok(s.in.send.bytes >= 1000, `bytes counted: ${s.in.send.bytes}`)
    assert.ok(s.out.message.messages >= 1)

    // A worker's sync answer goes straight to its waiting thread: counted too.
    hub.on('ask', (event) => {
      event.returnValue = 'y'.repeat(500)
    })
    const answered = next(hub, 'answered')
    wc.send('__run__', 2, `({ ipcRenderer }) => ipcRenderer.send('answered', ipcRenderer.sendSync('ask').length)`, [])
    assert.equal((await answered)[1], 500)
    const after = hub.stats()
    assert.equal(after.in.sendSync.messages, 1)
    assert.equal(after.out.syncReply.messages, 1)
    assert.ok(after.out.syncReply.bytes > 500, `bytes counted: ${after.out.syncReply.bytes}`)
  })

  it('a webContents.ipc scope has no counters of its own', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const r = hub.createRenderer()
    hub.handleOnce('who', (event) => event.sender.ipc.stats())
    const scoped = await r.invoke('who')
    assert.equal(scoped.messagesIn, 0)
  })
})
