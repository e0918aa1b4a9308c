'use strict'

// IpcRenderer, in-process (API.md §3 "Synchronous messages", §4, §5 errors;
// research §5, §6, §8; Electron spec §12.3).

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const EventEmitter = require('node:events')

const { IpcMain } = require('..')
const { SUITE, setup, webContentsOf, next, flush, flushToRenderer, spy } = require('./helpers')

const RELEASED = 'IPC method called after context was released'

describe('IpcRenderer#send()', SUITE, () => {
  it('is asynchronous: the listener is not called before send returns', async (t) => {
    const { hub, r } = setup(t)
    let called = false
    const arrived = new Promise((resolve) =>
      hub.on('ch', () => {
        called = true
        resolve()
      }),
    )
    assert.equal(r.send('ch', 1), undefined)
    assert.equal(called, false)
    await arrived
    assert.equal(called, true)
  })

  it("delivers (event, ...args) to main's on() listeners", async (t) => {
    const { hub, r } = setup(t)
    const arrived = next(hub, 'ch')
    r.send('ch', 'a', 2, [3])
    const [event, ...args] = await arrived
    assert.equal(event.type, 'frame')
    assert.deepEqual(args, ['a', 2, [3]])
  })

  it('with no listener on the channel delivers nothing and does not throw', async (t) => {
    const { hub, r } = setup(t)
    assert.doesNotThrow(() => r.send('nobody', 1))
    await flush(hub, r)
  })
})

describe('IpcRenderer#sendSync()', SUITE, () => {
  it('can be replied to by setting event.returnValue', (t) => {
    const { hub, r } = setup(t)
    hub.once('echo', (event, msg) => {
      event.returnValue = msg
    })
    assert.equal(r.sendSync('echo', 'test'), 'test')
  })

  it('runs the listeners inline: they have run when sendSync returns', (t) => {
    const { hub, r } = setup(t)
    const order = []
    hub.on('ch', (event, a, b) => {
      order.push(['listener', a, b])
      event.returnValue = a + b
    })
    order.push(['before'])
    const value = r.sendSync('ch', 1, 2)
    order.push(['after', value])
    assert.deepEqual(order, [['before'], ['listener', 1, 2], ['after', 3]])
  })

  it('returns the first value assigned to event.returnValue; later assignments are ignored', (t) => {
    const { hub, r } = setup(t)
    hub.on('ch', (event) => {
      event.returnValue = 'first'
      event.returnValue = 'second'
    })
    hub.on('ch', (event) => {
      event.returnValue = 'third'
    })
    assert.equal(r.sendSync('ch'), 'first')
  })

  it('event.returnValue reads undefined, even after an assignment', (t) => {
    const { hub, r } = setup(t)
    const reads = []
    hub.on('ch', (event) => {
      reads.push(event.returnValue)
      event.returnValue = 42
      reads.push(event.returnValue)
    })
    assert.equal(r.sendSync('ch'), 42)
    assert.deepEqual(reads, [undefined, undefined])
  })

  it('returns undefined when a listener runs but assigns nothing', (t) => {
    const { hub, r } = setup(t)
    const listener = spy()
    hub.on('ch', listener)
    assert.equal(r.sendSync('ch', 1), undefined)
    assert.equal(listener.calls.length, 1)
  })

  it('an assigned undefined is returned as undefined, and stops later assignments', (t) => {
    const { hub, r } = setup(t)
    hub.on('ch', (event) => {
      event.returnValue = undefined
    })
    hub.on('ch', (event) => {
      event.returnValue = 'late'
    })
    assert.equal(r.sendSync('ch'), undefined)
  })

  it('returns falsy values as they are (null, 0, false, empty string)', (t) => {
    const { hub, r } = setup(t)
    hub.on('ch', (event, v) => {
      event.returnValue = v
    })
    assert.equal(r.sendSync('ch', null), null)
    assert.equal(r.sendSync('ch', 0), 0)
    assert.equal(r.sendSync('ch', false), false)
    assert.equal(r.sendSync('ch', ''), '')
  })

  it("with no listener returns undefined and warns: \"WebContents #<id> called ipcRenderer.sendSync() with '<channel>' channel without listeners.\"", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const warn = t.mock.method(console, 'warn', () => {})
    assert.equal(r.sendSync('lonely', 1), undefined)
    assert.equal(warn.mock.callCount(), 1)
    assert.deepEqual(warn.mock.calls[0].arguments, [
      `WebContents #${wc.id} called ipcRenderer.sendSync() with 'lonely' channel without listeners.`,
    ])
  })

  it('does not warn when a listener exists but assigns nothing', (t) => {
    const { hub, r } = setup(t)
    const warn = t.mock.method(console, 'warn', () => {})
    hub.on('ch', () => {})
    assert.equal(r.sendSync('ch'), undefined)
    assert.equal(warn.mock.callCount(), 0)
  })

  it('delivers pending sends before the inline sendSync listener runs', async (t) => {
    const { hub, r } = setup(t)
    const order = []
    hub.on('async', (event, i) => order.push(i))
    hub.on('sync', (event) => {
      order.push('sync')
      event.returnValue = order.slice()
    })
    r.send('async', 1)
    r.send('async', 2)
    const seen = r.sendSync('sync')
    assert.deepEqual(seen, [1, 2, 'sync'])
    r.send('async', 3)
    await flush(hub, r)
    assert.deepEqual(order, [1, 2, 'sync', 3])
  })
})

describe('IpcRenderer#invoke()', SUITE, () => {
  it("returns a promise that resolves with the handler's result", async (t) => {
    const { hub, r } = setup(t)
    hub.handle('ch', (event, a) => ({ doubled: a * 2 }))
    const p = r.invoke('ch', 4)
    assert.ok(p instanceof Promise)
    assert.deepEqual(await p, { doubled: 8 })
  })

  it('resolves undefined when the handler returns nothing', async (t) => {
    const { hub, r } = setup(t)
    hub.handle('ch', () => {})
    assert.equal(await r.invoke('ch'), undefined)
  })

  it('several invokes in flight each get their own answer', async (t) => {
    const { hub, r } = setup(t)
    hub.handle('ch', async (event, i) => {
      if (i % 2) await new Promise(setImmediate)
      return i * 10
    })
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => r.invoke('ch', i)))
    assert.deepEqual(results, [10, 20, 30, 40, 50])
  })
})

describe('IpcRenderer methods detached from the object', SUITE, () => {
  it('send, sendSync and invoke work as plain functions', async (t) => {
    const { hub, r } = setup(t)
    const { send, sendSync, invoke } = r
    hub.on('sync', (event, a) => {
      event.returnValue = a + 1
    })
    hub.handle('inv', (event, a) => a * 2)
    const arrived = next(hub, 'async')
    send('async', 'x')
    const [, arg] = await arrived
    assert.equal(arg, 'x')
    assert.equal(sendSync('sync', 1), 2)
    assert.equal(await invoke('inv', 5), 10)
  })

  it('detached methods of two renderers keep their own renderer', async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    const senders = []
    hub.handle('who', (event) => {
      senders.push(event.sender)
    })
    const a = r.invoke
    const b = r2.invoke
    await a('who')
    await b('who')
    assert.notEqual(senders[0], senders[1])
    assert.equal(senders[0], await webContentsOf(hub, r))
  })
})

describe('IpcRenderer through an Object.create() wrapper', SUITE, () => {
  it('send, sendSync, invoke, on and off work', async (t) => {
    const { hub, r } = setup(t)
    const w = Object.create(r)
    hub.on('sync', (event, a) => {
      event.returnValue = a
    })
    hub.handle('inv', () => 'inv')
    const arrived = next(hub, 'async')
    w.send('async', 1)
    await arrived
    assert.equal(w.sendSync('sync', 'v'), 'v')
    assert.equal(await w.invoke('inv'), 'inv')
    const wc = await webContentsOf(hub, r)
    const got = new Promise((resolve) => w.on('down', (event, a) => resolve([event, a])))
    wc.send('down', 7)
    const [event, a] = await got
    assert.equal(a, 7)
    assert.equal(event.sender, r)
  })
})

describe('IpcRenderer#on() and friends (messages from main)', SUITE, () => {
  it('a fresh renderer has no event names', (t) => {
    const { hub, r } = setup(t)
    assert.deepEqual(r.eventNames(), [])
    assert.deepEqual(hub.createRenderer().eventNames(), [])
    assert.ok(r instanceof EventEmitter)
  })

  it('wc.send(channel, ...args) calls renderer listeners with an IpcRendererEvent { sender, senderId: 0, ports: [] }', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const got = next(r, 'down')
    wc.send('down', 'a', { b: 2 })
    const [event, ...args] = await got
    assert.deepEqual(args, ['a', { b: 2 }])
    assert.equal(event.sender, r)
    assert.equal(event.senderId, 0)
    assert.deepEqual(event.ports, [])
  })

  it('event.reply, event.sender.send and event.senderFrame.send reach the sending renderer', async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    const other = spy()
    r2.on('pong', other)
    hub.on('ping', (event, how) => {
      if (how === 'reply') event.reply('pong', how)
      if (how === 'sender') event.sender.send('pong', how)
      if (how === 'frame') event.senderFrame.send('pong', how)
    })
    for (const how of ['reply', 'sender', 'frame']) {
      const got = next(r, 'pong')
      r.send('ping', how)
      const [event, arg] = await got
      assert.equal(arg, how)
      assert.equal(event.sender, r)
    }
    assert.equal(other.calls.length, 0)
  })

  it('event.reply works from a sendSync listener', async (t) => {
    const { hub, r } = setup(t)
    hub.on('sync', (event) => {
      event.reply('later', 'replied')
      event.returnValue = 'now'
    })
    const got = next(r, 'later')
    assert.equal(r.sendSync('sync'), 'now')
    const [, arg] = await got
    assert.equal(arg, 'replied')
  })

  it('once() fires for the next message only', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const once = spy()
    r.once('down', once)
    wc.send('down', 1)
    wc.send('down', 2)
    await flushToRenderer(wc, r)
    assert.deepEqual(
      once.calls.map((c) => c.slice(1)),
      [[1]],
    )
    assert.equal(r.listenerCount('down'), 0)
  })

  it('off() and removeListener() stop delivery', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const a = spy()
    const b = spy()
    r.on('down', a)
    r.on('down', b)
    assert.equal(r.off('down', a), r)
    assert.equal(r.removeListener('down', b), r)
    wc.send('down')
    await flushToRenderer(wc, r)
    assert.equal(a.calls.length + b.calls.length, 0)
  })

  it('removeAllListeners(channel) removes only the given channel', (t) => {
    const { r } = setup(t)
    r.on('channel1', () => {})
    r.on('channel2', () => {})
    r.removeAllListeners('channel1')
    assert.deepEqual(r.eventNames(), ['channel2'])
  })

  it('removeAllListeners() removes all channels if no channel is specified', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const a = spy()
    r.on('channel1', a)
    r.on('channel2', a)
    r.removeAllListeners()
    assert.deepEqual(r.eventNames(), [])
    wc.send('channel1')
    const got = next(r, 'channel2b')
    wc.send('channel2b')
    await got
    assert.equal(a.calls.length, 0)
  })

  it('main messages go only to the renderer they were sent to', async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    const wc = await webContentsOf(hub, r)
    const wc2 = await webContentsOf(hub, r2)
    const one = spy()
    const two = spy()
    r.on('down', one)
    r2.on('down', two)
    wc.send('down', 1)
    await flushToRenderer(wc, r)
    await flushToRenderer(wc2, r2)
    assert.equal(one.calls.length, 1)
    assert.equal(two.calls.length, 0)
  })
})

describe('IpcRenderer#close()', SUITE, () => {
  it("the renderer's WebContents emits 'destroyed' once and isDestroyed() becomes true", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    const gone = next(wc, 'destroyed')
    assert.equal(wc.isDestroyed(), false)
    r.close()
    await gone
    assert.equal(wc.isDestroyed(), true)
    // Let anything else the hub had queued run, through another renderer.
    const r2 = hub.createRenderer()
    hub.handle('barrier', () => 1)
    await r2.invoke('barrier')
    await flush(hub, r2)
    assert.equal(destroyed.calls.length, 1)
  })

  it(`afterwards send and sendSync throw and invoke rejects with "${RELEASED}"`, async (t) => {
    const { hub, r } = setup(t)
    const listener = spy()
    hub.on('ch', listener)
    hub.handle('ch', () => 1)
    r.close()
    assert.throws(() => r.send('ch'), { name: 'Error', message: RELEASED })
    assert.throws(() => r.sendSync('ch'), { name: 'Error', message: RELEASED })
    const p = r.invoke('ch')
    assert.ok(p instanceof Promise, 'invoke returns a promise')
    await assert.rejects(p, { name: 'Error', message: RELEASED })
    const r2 = hub.createRenderer()
    await flush(hub, r2)
    assert.equal(listener.calls.length, 0)
  })

  it('detached send/sendSync/invoke of a closed renderer fail the same way', async (t) => {
    const { r } = setup(t)
    const { send, sendSync, invoke } = r
    r.close()
    assert.throws(() => send('ch'), { message: RELEASED })
    assert.throws(() => sendSync('ch'), { message: RELEASED })
    await assert.rejects(invoke('ch'), { message: RELEASED })
  })

  it('wc.send after the renderer closed throws "Object has been destroyed"', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const gone = next(wc, 'destroyed')
    r.close()
    await gone
    assert.throws(() => wc.send('ch', 1), { message: 'Object has been destroyed' })
  })

  it('event.reply to a renderer that is gone is a silent no-op', async (t) => {
    const { hub, r } = setup(t)
    const arrived = next(hub, 'ch')
    r.send('ch')
    const [event] = await arrived
    const gone = next(event.sender, 'destroyed')
    r.close()
    await gone
    assert.doesNotThrow(() => event.reply('late', 1))
    assert.equal(event.reply('late', 2), undefined)
  })

  it('closing one renderer leaves the others working', async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    hub.handle('ch', () => 'ok')
    r.close()
    assert.equal(await r2.invoke('ch'), 'ok')
  })
})

describe('IpcMain#close() with in-process renderers', SUITE, () => {
  // close() is about the socket (API.md §2, §6): in-process renderers stay.
  it("an in-process renderer stays connected: no 'disconnected'; send, sendSync and invoke still reach the hub", async (t) => {
    const { hub, r } = setup(t)
    const listener = spy((event, x) => {
      event.returnValue = x
    })
    hub.on('ch', listener)
    hub.handle('ch', (event, x) => x + 1)
    const disconnected = spy()
    r.on('disconnected', disconnected)
    await hub.close()
    r.send('ch', 1)
    assert.equal(r.sendSync('ch', 2), 2)
    assert.equal(await r.invoke('ch', 3), 4)
    await flush(hub, r)
    assert.deepEqual(
      listener.calls.map((c) => c[1]),
      [1, 2],
    )
    assert.equal(disconnected.calls.length, 0)
  })

  it('a pending invoke is still answered, and the WebContents lives on', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    let release
    hub.handle('later', () => new Promise((resolve) => (release = resolve)))
    const pending = r.invoke('later')
    await flush(hub, r)
    await hub.close()
    release('answered')
    assert.equal(await pending, 'answered')
    assert.equal(wc.isDestroyed(), false)
  })

  it("renderer.close() is what ends one: its WebContents emits 'destroyed'", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const destroyed = next(wc, 'destroyed')
    await hub.close()
    r.close()
    await destroyed
    assert.equal(wc.isDestroyed(), true)
  })
})

describe('IpcMain#createRenderer()', SUITE, () => {
  it('each renderer has its own WebContents', async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    assert.notEqual(r, r2)
    const wc = await webContentsOf(hub, r)
    const wc2 = await webContentsOf(hub, r2)
    assert.notEqual(wc, wc2)
    assert.notEqual(wc.id, wc2.id)
  })

  it('renderers of one hub do not reach another hub', async (t) => {
    const { hub, r } = setup(t)
    const other = new IpcMain()
    t.after(() => other.close())
    const elsewhere = spy()
    other.on('ch', elsewhere)
    r.send('ch')
    await flush(hub, r)
    assert.equal(elsewhere.calls.length, 0)
  })
})
