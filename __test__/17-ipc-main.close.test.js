'use strict'

// IpcMain#close() is about the socket (API.md §2, §6): it stops listening
// and disconnects socket renderers; in-process and worker renderers stay
// connected, and the hub can listen again.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const { IpcMain, connect } = require('..')
const { SUITE, next, flush, agentOf, webContentsOf } = require('./helpers')

const AGENT = path.join(__dirname, 'fixtures', 'agent.js')

describe('IpcMain#close()', SUITE, () => {
  it('disconnects socket renderers and stops listening; in-process and worker renderers stay connected', async (t) => {
    const hub = new IpcMain()
    const local = hub.createRenderer()
    const wc = await hub.spawnWorker(AGENT)
    t.after(() => wc.worker.terminate())
    t.after(() => hub.close())
    const worker = agentOf(wc)
    hub.handle('who', (event) => event.sender.id)
    const { address, token } = await hub.listen()
    const socket = await connect(address, { token })
    t.after(() => socket.close())
    const socketWc = webContentsOf(hub, socket)
    const socketContents = await socketWc
    const disconnected = next(socket, 'disconnected')
    const destroyed = next(socketContents, 'destroyed')
    let localDisconnects = 0
    local.on('disconnected', () => localDisconnects++)

    await hub.close()

    await disconnected
    await destroyed
    await assert.rejects(socket.invoke('who'), { code: 'IPC_DISCONNECTED' })
    assert.equal(hub.address, null)
    assert.equal(fs.existsSync(address), false, 'the socket file is gone')
    await assert.rejects(connect(address, { token, timeout: 2000 }), { code: 'ENOENT' })

    // The others go on.
    assert.equal(typeof (await local.invoke('who')), 'number')
    assert.equal(typeof (await worker.run(({ ipcRenderer }) => ipcRenderer.invoke('who'))), 'number')
    await flush(hub, local)
    assert.equal(localDisconnects, 0)
    assert.equal(wc.isDestroyed(), false)
    assert.equal(hub.stats().renderers, 2)
  })

  it('the hub listens again after close(): a new socket renderer reaches the same handlers', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    hub.handle('ping', () => 'pong')
    await hub.listen()
    await hub.close()
    const { address, token } = await hub.listen()
    const socket = await connect(address, { token })
    t.after(() => socket.close())
    assert.equal(await socket.invoke('ping'), 'pong')
  })

  it('without a socket, close() changes nothing; called twice it resolves twice', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const r = hub.createRenderer()
    hub.handle('x', () => 1)
    await hub.close()
    await hub.close()
    assert.equal(await r.invoke('x'), 1)
  })

  it('a WebContents.ipc close() is a no-op', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const r = hub.createRenderer()
    const wc = await webContentsOf(hub, r)
    await wc.ipc.close()
    hub.handle('x', () => 2)
    assert.equal(await r.invoke('x'), 2)
  })
})
