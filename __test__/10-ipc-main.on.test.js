'use strict'

// IpcMain listener methods for renderer messages (API.md §2, Electron spec §12.2).

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')

const { IpcMain } = require('..')
const { SUITE, setup, next, flush, spy } = require('./helpers')

describe('IpcMain#on()', SUITE, () => {
  it('calls the listener with (event, ...args) for every message sent on the channel', async (t) => {
    const { hub, r } = setup(t)
    const calls = []
    hub.on('ch', (event, ...args) => calls.push([event, args]))
    r.send('ch', 1, 'two', { three: 3 })
    r.send('ch')
    await flush(hub, r)
    assert.equal(calls.length, 2)
    assert.equal(typeof calls[0][0], 'object')
    assert.deepEqual(calls[0][1], [1, 'two', { three: 3 }])
    assert.deepEqual(calls[1][1], [])
  })

  it('returns this', (t) => {
    const { hub } = setup(t)
    assert.equal(
      hub.on('ch', () => {}),
      hub,
    )
  })

  it('calls the listeners of a channel in registration order', async (t) => {
    const { hub, r } = setup(t)
    const order = []
    hub.on('ch', () => order.push('a'))
    hub.on('ch', () => order.push('b'))
    hub.on('ch', () => order.push('c'))
    r.send('ch')
    await flush(hub, r)
    assert.deepEqual(order, ['a', 'b', 'c'])
  })

  it('does not call listeners of other channels', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    hub.on('a', a)
    r.send('b', 1)
    r.send('A', 2)
    r.send('a', 3)
    await flush(hub, r)
    assert.deepEqual(
      a.calls.map((c) => c.slice(1)),
      [[3]],
    )
  })

  it('removing or adding listeners while a message is dispatched does not change that dispatch', async (t) => {
    const { hub, r } = setup(t)
    const order = []
    const b = () => order.push('b')
    const c = () => order.push('c')
    hub.on('ch', (event, i) => {
      order.push(`a${i}`)
      hub.removeListener('ch', b)
      hub.on('ch', c)
    })
    hub.on('ch', b)
    r.send('ch', 1)
    r.send('ch', 2)
    await flush(hub, r)
    assert.deepEqual(order, ['a1', 'b', 'a2', 'c'])
  })

  it('a listener added twice is called twice per message', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    hub.on('ch', a)
    hub.on('ch', a)
    r.send('ch')
    await flush(hub, r)
    assert.equal(a.calls.length, 2)
  })

  it('addListener is the same as on', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    assert.equal(hub.addListener('ch', a), hub)
    r.send('ch', 'x')
    await flush(hub, r)
    assert.deepEqual(a.calls[0].slice(1), ['x'])
  })

  it('a message on channel "error" with no user listener does not throw (the guard)', async (t) => {
    const { hub, r } = setup(t)
    r.send('error', new Error('not thrown'))
    assert.doesNotThrow(() => r.sendSync('error', 'x'))
    await flush(hub, r)
    assert.deepEqual(hub.eventNames(), ['error'])
  })

  it('a user listener on "error" receives renderer messages on that channel', async (t) => {
    const { hub, r } = setup(t)
    const arrived = next(hub, 'error')
    r.send('error', 'payload')
    const [event, arg] = await arrived
    assert.equal(typeof event.reply, 'function')
    assert.equal(arg, 'payload')
  })

  it('can be replied to (event.reply reaches the renderer)', async (t) => {
    const { hub, r } = setup(t)
    hub.on('test', (event, arg) => event.reply('test-echo', arg))
    const echoed = next(r, 'test-echo')
    r.send('test', 'hello')
    const [, arg] = await echoed
    assert.equal(arg, 'hello')
  })

  it('does not crash when reply is sent by multiple listeners (first returnValue wins)', (t) => {
    const { hub, r } = setup(t)
    hub.on('sync', (event) => {
      event.returnValue = null
    })
    hub.on('sync', (event) => {
      event.returnValue = 'second'
    })
    assert.equal(r.sendSync('sync'), null)
  })

  it('does not crash when reply is sent and the renderer is then closed', async (t) => {
    const { hub, r } = setup(t)
    hub.once('sync', (event) => {
      event.returnValue = null
    })
    assert.equal(r.sendSync('sync'), null)
    r.close()
    const r2 = hub.createRenderer()
    await flush(hub, r2)
  })
})

describe('IpcMain#once()', SUITE, () => {
  it('calls the listener for the next message only', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    hub.once('ch', a)
    r.send('ch', 1)
    r.send('ch', 2)
    await flush(hub, r)
    assert.deepEqual(
      a.calls.map((c) => c.slice(1)),
      [[1]],
    )
    assert.equal(hub.listenerCount('ch'), 0)
  })

  it('removes the listener before calling it', async (t) => {
    const { hub, r } = setup(t)
    let countInside
    hub.once('ch', () => {
      countInside = hub.listenerCount('ch')
    })
    r.send('ch')
    await flush(hub, r)
    assert.equal(countInside, 0)
  })

  it('returns this', (t) => {
    const { hub } = setup(t)
    assert.equal(
      hub.once('ch', () => {}),
      hub,
    )
  })

  it('keeps the on listeners of the channel', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    const b = spy()
    hub.once('ch', a)
    hub.on('ch', b)
    r.send('ch', 1)
    r.send('ch', 2)
    await flush(hub, r)
    assert.equal(a.calls.length, 1)
    assert.equal(b.calls.length, 2)
    assert.equal(hub.listenerCount('ch'), 1)
  })

  it('answers a sendSync once and leaves later sendSyncs unanswered', (t) => {
    const { hub, r } = setup(t)
    hub.once('echo', (event, msg) => {
      event.returnValue = msg
    })
    hub.on('echo', () => {})
    assert.equal(r.sendSync('echo', 'test'), 'test')
    assert.equal(r.sendSync('echo', 'again'), undefined)
  })
})

describe('IpcMain#removeListener()', SUITE, () => {
  it('stops delivery to that listener only', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    const b = spy()
    hub.on('ch', a)
    hub.on('ch', b)
    assert.equal(hub.removeListener('ch', a), hub)
    r.send('ch')
    await flush(hub, r)
    assert.equal(a.calls.length, 0)
    assert.equal(b.calls.length, 1)
  })

  it('removes one registration of a listener added twice', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    hub.on('ch', a)
    hub.on('ch', a)
    hub.removeListener('ch', a)
    assert.equal(hub.listenerCount('ch'), 1)
    r.send('ch')
    await flush(hub, r)
    assert.equal(a.calls.length, 1)
  })

  it('removes a once listener by its original function', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    hub.once('ch', a)
    hub.removeListener('ch', a)
    assert.equal(hub.listenerCount('ch'), 0)
    r.send('ch')
    await flush(hub, r)
    assert.equal(a.calls.length, 0)
  })

  it('off is the same as removeListener', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    hub.on('ch', a)
    assert.equal(hub.off('ch', a), hub)
    r.send('ch')
    await flush(hub, r)
    assert.equal(a.calls.length, 0)
  })

  it('is a no-op for a listener that is not registered', (t) => {
    const { hub } = setup(t)
    const a = () => {}
    hub.on('ch', () => {})
    assert.equal(hub.removeListener('ch', a), hub)
    assert.equal(hub.removeListener('other', a), hub)
    assert.equal(hub.listenerCount('ch'), 1)
    assert.deepEqual(hub.eventNames(), ['error', 'ch'])
  })

  it('removes the channel from eventNames() with its last listener', (t) => {
    const { hub } = setup(t)
    const a = () => {}
    hub.on('ch', a)
    hub.removeListener('ch', a)
    assert.deepEqual(hub.eventNames(), ['error'])
  })
})

describe('IpcMain#removeAllListeners()', SUITE, () => {
  it('removes only the given channel', (t) => {
    const { hub } = setup(t)
    hub.removeAllListeners()
    hub.on('channel1', () => {})
    hub.on('channel2', () => {})
    hub.removeAllListeners('channel1')
    assert.deepEqual(hub.eventNames(), ['channel2'])
  })

  it('removes all channels if no channel is specified', (t) => {
    const { hub } = setup(t)
    hub.removeAllListeners()
    hub.on('channel1', () => {})
    hub.on('channel2', () => {})
    hub.removeAllListeners()
    assert.deepEqual(hub.eventNames(), [])
  })

  it('with no channel removes the "error" guard too', (t) => {
    const { hub } = setup(t)
    hub.on('ch', () => {})
    hub.removeAllListeners()
    assert.deepEqual(hub.eventNames(), [])
    assert.equal(hub.listenerCount('error'), 0)
  })

  it('with a channel keeps the "error" guard', (t) => {
    const { hub } = setup(t)
    hub.on('ch', () => {})
    hub.removeAllListeners('ch')
    assert.deepEqual(hub.eventNames(), ['error'])
  })

  it('returns this', (t) => {
    const { hub } = setup(t)
    assert.equal(hub.removeAllListeners('ch'), hub)
    assert.equal(hub.removeAllListeners(), hub)
  })

  it('stops delivery to the removed listeners', async (t) => {
    const { hub, r } = setup(t)
    const a = spy()
    const b = spy()
    hub.on('a', a)
    hub.once('a', a)
    hub.on('b', b)
    hub.removeAllListeners('a')
    r.send('a')
    r.send('b')
    await flush(hub, r)
    assert.equal(a.calls.length, 0)
    assert.equal(b.calls.length, 1)
  })

  it('does not remove handlers', async (t) => {
    const { hub, r } = setup(t)
    hub.handle('ch', () => 'still here')
    hub.on('ch', () => {})
    hub.removeAllListeners('ch')
    hub.removeAllListeners()
    assert.equal(await r.invoke('ch'), 'still here')
  })
})

describe('IpcMain#eventNames()', SUITE, () => {
  it('is ["error"] on a fresh hub', (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    assert.deepEqual(hub.eventNames(), ['error'])
  })

  it('does not show internal channels after renderers were created and used', async (t) => {
    const { hub, r } = setup(t)
    hub.createRenderer()
    hub.handle('h', () => 1)
    await r.invoke('h')
    t.mock.method(console, 'warn', () => {})
    r.sendSync('nobody-listens', 1)
    assert.deepEqual(hub.eventNames(), ['error'])
    assert.deepEqual(r.eventNames(), [])
  })
})
