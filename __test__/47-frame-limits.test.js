'use strict'

// A frame over the limit of the side that would read it fails at the
// caller (API.md §6: the limit is configurable), never the connection; and
// a send that throws after its invoke was opened leaves no call behind (a
// leaked call is rejected later with nobody listening: an unhandled
// rejection, which ends the process).
//
// Main listens with a 1 MiB frame limit, which its socket renderers read
// with too; the renderers are fixtures/agent.js children.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { once } = require('node:events')

const { IpcMain } = require('..')
const { agentOf } = require('./helpers')

const AGENT = path.join(__dirname, 'fixtures', 'agent.js')
const LIMIT = 1024 * 1024
const BIG = 'x'.repeat(2 * LIMIT)
const TOO_LARGE = { code: 'IPC_FRAME_TOO_LARGE', message: /^Frame of \d+ bytes exceeds the limit of 1048576 bytes$/ }

async function setup(t) {
  const hub = new IpcMain()
  await hub.listen({ maxFrameSize: LIMIT })
  const wc = await hub.fork(AGENT)
  t.after(async () => {
    await hub.close()
    if (wc.process.exitCode === null && wc.process.signalCode === null) wc.process.kill('SIGKILL')
  })
  return { hub, wc, agent: agentOf(wc) }
}

describe('frames over the reader\'s limit', { timeout: 60_000 }, () => {
  it('wc.send of 2 MiB to a renderer reading 1 MiB throws IPC_FRAME_TOO_LARGE; the renderer stays', async (t) => {
    const { wc, agent } = await setup(t)
    assert.throws(() => wc.send('big', BIG), TOO_LARGE)
    assert.throws(() => wc.send('big', Buffer.alloc(2 * LIMIT)), TOO_LARGE)
    // The connection is up: a message and a round trip still go through.
    const got = agent.run(({ ipcRenderer }) => new Promise((resolve) => ipcRenderer.once('small', (e, v) => resolve(v))))
    wc.send('small', 42)
    assert.equal(await got, 42)
    assert.equal(wc.isDestroyed(), false)
  })

  it('wc.invoke with a 2 MiB argument rejects with IPC_FRAME_TOO_LARGE and leaves no call', async (t) => {
    const { wc, agent } = await setup(t)
    await assert.rejects(wc.invoke('anything', BIG), TOO_LARGE)
    // The renderer goes away: a leaked call would be rejected now, unhandled.
    const destroyed = once(wc, 'destroyed')
    agent.quit()
    await destroyed
    await new Promise((resolve) => setImmediate(resolve))
  })

  it("a handler's result over the renderer's limit rejects its invoke; the renderer stays", async (t) => {
    const { hub, agent } = await setup(t)
    hub.handle('big', () => BIG)
    hub.handle('small', () => 'ok')
    const got = await agent.run(async ({ ipcRenderer }) => {
      try {
        await ipcRenderer.invoke('big')
        return 'resolved'
      } catch (err) {
        return err.message
      }
    })
    assert.match(got, /^Error invoking remote method 'big': Error: Frame of \d+ bytes exceeds the limit of 1048576 bytes$/)
    assert.equal(await agent.run(({ ipcRenderer }) => ipcRenderer.invoke('small')), 'ok')
  })

  it('event.returnValue over the limit throws in the listener, and the sendSync is still answered', async (t) => {
    const { hub, agent } = await setup(t)
    const thrown = []
    hub.on('sync', (event) => {
      try {
        event.returnValue = BIG
      } catch (err) {
        thrown.push(err.code)
      }
    })
    assert.equal(await agent.run(({ ipcRenderer }) => ipcRenderer.sendSync('sync') ?? 'undefined'), 'undefined')
    assert.deepEqual(thrown, ['IPC_FRAME_TOO_LARGE'])
  })
})

describe('a renderer\'s send over main\'s limit', { timeout: 60_000 }, () => {
  it('invoke rejects with IPC_FRAME_TOO_LARGE, and a later close() crashes nothing', async (t) => {
    const { wc, agent } = await setup(t)
    const exited = once(wc.process, 'exit')
    const code = await agent.run(async ({ ipcRenderer, quit }, size) => {
      const big = 'x'.repeat(size)
      let code
      try {
        await ipcRenderer.invoke('anything', big)
      } catch (err) {
        code = err.code
      }
      // A leaked call is rejected here, with nobody listening.
      setImmediate(() => {
        quit()
        ipcRenderer.close()
      })
      return code
    }, BIG.length)
    assert.equal(code, 'IPC_FRAME_TOO_LARGE')
    const [exitCode, signal] = await exited
    assert.deepEqual({ exitCode, signal }, { exitCode: 0, signal: null })
  })

  it('send and sendSync over the limit throw IPC_FRAME_TOO_LARGE and the renderer stays', async (t) => {
    const { hub, agent } = await setup(t)
    hub.on('sync', (event) => {
      event.returnValue = 'small'
    })
    const got = await agent.run(({ ipcRenderer }, size) => {
      const big = 'x'.repeat(size)
      const codes = []
      for (const f of [() => ipcRenderer.send('x', big), () => ipcRenderer.sendSync('x', big)]) {
        try {
          f()
        } catch (err) {
          codes.push(err.code)
        }
      }
      return { codes, after: ipcRenderer.sendSync('sync') }
    }, BIG.length)
    assert.deepEqual(got, { codes: ['IPC_FRAME_TOO_LARGE', 'IPC_FRAME_TOO_LARGE'], after: 'small' })
  })
})
