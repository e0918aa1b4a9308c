'use strict'

// WebContents of an in-process renderer (API.md §5; research §3, §6;
// Electron spec §12.1 cases 22-28 and §12.4).

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const EventEmitter = require('node:events')

const { IpcMain } = require('..')
const { SUITE, setup, webContentsOf, next, flush, spy } = require('./helpers')

describe('WebContents', SUITE, () => {
  it('id is a positive integer, unique per renderer', async (t) => {
    const { hub, r } = setup(t)
    const ids = []
    for (const renderer of [r, hub.createRenderer(), hub.createRenderer()]) {
      ids.push((await webContentsOf(hub, renderer)).id)
    }
    for (const id of ids) assert.ok(Number.isInteger(id) && id > 0, `id ${id} is a positive integer`)
    assert.equal(new Set(ids).size, ids.length)
  })

  it('is an EventEmitter', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    assert.ok(wc instanceof EventEmitter)
  })

  it("getURL() is '' for an in-process renderer", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    assert.equal(wc.getURL(), '')
  })

  it('getOSProcessId() and getProcessId() are this process id', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    assert.equal(wc.getOSProcessId(), process.pid)
    assert.equal(wc.getProcessId(), process.pid)
  })

  it('isCrashed() and isDestroyed() are false while the renderer lives', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    assert.equal(wc.isCrashed(), false)
    assert.equal(wc.isDestroyed(), false)
  })

  it('isCrashed() stays false after close()', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const gone = next(wc, 'destroyed')
    r.close()
    await gone
    assert.equal(wc.isDestroyed(), true)
    assert.equal(wc.isCrashed(), false)
  })
})

describe('WebContents#send()', SUITE, () => {
  it('throws "Missing required channel argument" with no channel, a null channel or a non-string channel', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    assert.throws(() => wc.send(), { message: 'Missing required channel argument' })
    assert.throws(() => wc.send(null), { message: 'Missing required channel argument' })
    assert.throws(() => wc.send(42, 'x'), { message: 'Missing required channel argument' })
  })

  it('returns undefined and delivers to the renderer', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const got = next(r, 'down')
    assert.equal(wc.send('down', 1, 2), undefined)
    const [, a, b] = await got
    assert.deepEqual([a, b], [1, 2])
  })
})

describe("WebContents 'ipc-message' and 'ipc-message-sync' events", SUITE, () => {
  it("'ipc-message' is emitted with (event, channel, ...args) for a send", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const got = next(wc, 'ipc-message')
    r.send('message', 'Hello World!', 2)
    const [event, channel, ...args] = await got
    assert.equal(event.sender, wc)
    assert.equal(channel, 'message')
    assert.deepEqual(args, ['Hello World!', 2])
  })

  it("'ipc-message-sync' is emitted for a sendSync, and its returnValue answers", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    let seen
    wc.once('ipc-message-sync', (event, channel, ...args) => {
      seen = [channel, args]
      event.returnValue = 'foobar'
    })
    assert.equal(r.sendSync('sync-message', 'x', 1), 'foobar')
    assert.deepEqual(seen, ['sync-message', ['x', 1]])
  })

  it("an 'ipc-message-sync' listener suppresses the no-listener warning", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const warn = t.mock.method(console, 'warn', () => {})
    wc.on('ipc-message-sync', () => {})
    assert.equal(r.sendSync('unheard'), undefined)
    assert.equal(warn.mock.callCount(), 0)
  })

  it("a send emits only 'ipc-message', a sendSync only 'ipc-message-sync', an invoke neither", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const seen = []
    wc.on('ipc-message', (event, channel) => seen.push(['ipc-message', channel]))
    wc.on('ipc-message-sync', (event, channel) => seen.push(['ipc-message-sync', channel]))
    hub.handle('inv', () => 1)
    r.send('a')
    r.sendSync('b')
    await r.invoke('inv')
    await flush(hub, r)
    assert.deepEqual(
      seen.filter(([, channel]) => channel !== '__flush__'),
      [
        ['ipc-message', 'a'],
        ['ipc-message-sync', 'b'],
      ],
    )
  })

  it('messages of one renderer are not emitted on another renderer\'s WebContents', async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    const wc2 = await webContentsOf(hub, r2)
    const other = spy()
    wc2.on('ipc-message', other)
    r.send('a')
    await flush(hub, r)
    assert.equal(other.calls.length, 0)
  })
})

describe('WebContents#ipc', SUITE, () => {
  it('is a scope (the class IpcMain extends) with its own "error" guard, the same object on every access', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    assert.ok(hub instanceof wc.ipc.constructor, 'IpcMain extends the class of wc.ipc')
    assert.ok(!(wc.ipc instanceof IpcMain), 'a scope has no renderers of its own')
    assert.ok(wc.ipc instanceof EventEmitter)
    for (const name of ['on', 'once', 'handle', 'handleOnce', 'removeHandler']) assert.equal(typeof wc.ipc[name], 'function')
    assert.equal(wc.ipc, wc.ipc)
    assert.notEqual(wc.ipc, hub)
    assert.deepEqual(wc.ipc.eventNames(), ['error'])
    const r2 = hub.createRenderer()
    assert.notEqual((await webContentsOf(hub, r2)).ipc, wc.ipc)
  })

  it('receives ipc messages sent from the WebContents', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const got = next(wc.ipc, 'test')
    r.send('test', 42)
    const [event, arg] = await got
    assert.equal(arg, 42)
    assert.equal(event.sender, wc)
  })

  it('receives sync-ipc messages sent from the WebContents', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    wc.ipc.on('test', (event, arg) => {
      event.returnValue = arg * 2
    })
    assert.equal(r.sendSync('test', 42), 84)
  })

  it('handles invoke messages sent from the WebContents', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    wc.ipc.handle('test', (event, arg) => arg * 2)
    assert.equal(await r.invoke('test', 42), 84)
  })

  it('cascades to ipcMain: the wc.ipc listener runs before the hub listener', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const order = []
    wc.ipc.on('test', () => order.push('wc.ipc'))
    const done = new Promise((resolve) =>
      hub.on('test', () => {
        order.push('hub')
        resolve()
      }),
    )
    r.send('test', 42)
    await done
    assert.deepEqual(order, ['wc.ipc', 'hub'])
  })

  it("dispatch order is 'ipc-message', then wc.ipc, then the hub, with one and the same event object", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const seen = []
    wc.on('ipc-message', (event, channel, arg) => seen.push(['ipc-message', event, channel, arg]))
    wc.ipc.on('test', (event, arg) => seen.push(['wc.ipc', event, arg]))
    const done = new Promise((resolve) =>
      hub.on('test', (event, arg) => {
        seen.push(['hub', event, arg])
        resolve()
      }),
    )
    r.send('test', 'x')
    await done
    assert.deepEqual(
      seen.map((s) => s[0]),
      ['ipc-message', 'wc.ipc', 'hub'],
    )
    assert.deepEqual(seen[0].slice(2), ['test', 'x'])
    assert.equal(seen[1][2], 'x')
    assert.equal(seen[2][2], 'x')
    assert.equal(seen[0][1], seen[1][1])
    assert.equal(seen[1][1], seen[2][1])
  })

  it("the same order for a sendSync: 'ipc-message-sync', wc.ipc, hub; the first returnValue wins", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const seen = []
    wc.on('ipc-message-sync', (event) => {
      seen.push(['ipc-message-sync', event])
    })
    wc.ipc.on('test', (event) => {
      seen.push(['wc.ipc', event])
      event.returnValue = 'from wc.ipc'
    })
    hub.on('test', (event) => {
      seen.push(['hub', event])
      event.returnValue = 'from hub'
    })
    assert.equal(r.sendSync('test'), 'from wc.ipc')
    assert.deepEqual(
      seen.map((s) => s[0]),
      ['ipc-message-sync', 'wc.ipc', 'hub'],
    )
    assert.equal(seen[0][1], seen[1][1])
    assert.equal(seen[1][1], seen[2][1])
  })

  it('overrides ipcMain handlers', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const hubHandler = spy(() => {
      throw new Error('should not be called')
    })
    hub.handle('test', hubHandler)
    wc.ipc.handle('test', (event, arg) => arg * 2)
    assert.equal(await r.invoke('test', 42), 84)
    assert.equal(hubHandler.calls.length, 0)
  })

  it('falls back to ipcMain handlers', async (t) => {
    const { hub, r } = setup(t)
    await webContentsOf(hub, r)
    hub.handle('test', (event, arg) => arg * 2)
    assert.equal(await r.invoke('test', 42), 84)
  })

  it('falls back to the hub again after wc.ipc.removeHandler()', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    hub.handle('test', () => 'hub')
    wc.ipc.handle('test', () => 'wc')
    assert.equal(await r.invoke('test'), 'wc')
    wc.ipc.removeHandler('test')
    assert.equal(await r.invoke('test'), 'hub')
  })

  it("a wc.ipc handler answers only its own renderer's invokes", async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    const wc = await webContentsOf(hub, r)
    wc.ipc.handle('test', () => 'scoped')
    hub.handle('test', () => 'global')
    assert.equal(await r.invoke('test'), 'scoped')
    assert.equal(await r2.invoke('test'), 'global')
  })

  it("wc.ipc listeners see only that renderer's messages", async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    const wc = await webContentsOf(hub, r)
    const scoped = spy()
    wc.ipc.on('test', scoped)
    r2.send('test', 'from r2')
    r.send('test', 'from r')
    await flush(hub, r2)
    await flush(hub, r)
    assert.deepEqual(
      scoped.calls.map((c) => c[1]),
      ['from r'],
    )
  })

  it('wc.ipc handler errors and duplicate registrations follow IpcMain#handle()', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    t.mock.method(console, 'error', () => {})
    wc.ipc.handle('test', () => {
      throw new Error('some error')
    })
    assert.throws(() => wc.ipc.handle('test', () => {}), {
      message: "Attempted to register a second handler for 'test'",
    })
    await assert.rejects(r.invoke('test'), {
      message: "Error invoking remote method 'test': Error: some error",
    })
  })
})
