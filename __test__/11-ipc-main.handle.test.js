'use strict'

// IpcMain handlers for ipcRenderer.invoke (API.md §2, research §2.3-§2.5, §4,
// Electron spec §12.1 cases 1-7). Electron logs a failing handler with
// console.error("Error occurred in handler for '<ch>':", err); those tests
// mock console.error to keep the output clean and check the first argument.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')

const { SUITE, setup, flush, spy } = require('./helpers')

const noHandler = (ch) => `Error invoking remote method '${ch}': Error: No handler registered for '${ch}'`
const failed = (ch, text) => `Error invoking remote method '${ch}': ${text}`

/** Asserts that `promise` rejects with an Error whose message is exactly `message`. */
function rejectsWith(promise, message) {
  return assert.rejects(promise, (err) => {
    assert.ok(err instanceof Error, 'rejects with an Error')
    assert.equal(err.message, message)
    return true
  })
}

describe('IpcMain#handle()', SUITE, () => {
  it('receives a response from a synchronous handler', async (t) => {
    const { hub, r } = setup(t)
    let seen
    hub.handle('test', (event, arg) => {
      seen = arg
      return 3
    })
    assert.equal(await r.invoke('test', 123), 3)
    assert.equal(seen, 123)
  })

  it('receives a response from an asynchronous handler', async (t) => {
    const { hub, r } = setup(t)
    hub.handle('test', async (event, arg) => {
      await new Promise(setImmediate)
      return arg * 3
    })
    assert.equal(await r.invoke('test', 1), 3)
  })

  it('returns undefined', (t) => {
    const { hub } = setup(t)
    assert.equal(
      hub.handle('ch', () => {}),
      undefined,
    )
  })

  it('calls the handler with (event, ...args) and this undefined', async (t) => {
    const { hub, r } = setup(t)
    let self = 'not called'
    let received
    hub.handle('ch', function (event, ...args) {
      self = this
      received = [event, args]
    })
    assert.equal(await r.invoke('ch', 1, 'two', [3]), undefined)
    assert.equal(self, undefined)
    assert.equal(typeof received[0], 'object')
    assert.equal(received[0].type, 'frame')
    assert.deepEqual(received[1], [1, 'two', [3]])
  })

  it('invoke with no arguments gives the handler only the event', async (t) => {
    const { hub, r } = setup(t)
    let count
    hub.handle('ch', (...all) => {
      count = all.length
    })
    await r.invoke('ch')
    assert.equal(count, 1)
  })

  it('resolves with a structured-clone copy of the result, not the object itself', async (t) => {
    const { hub, r } = setup(t)
    const result = { a: 1, nested: { b: [2] } }
    hub.handle('ch', () => result)
    const got = await r.invoke('ch')
    assert.notEqual(got, result)
    assert.notEqual(got.nested, result.nested)
    assert.deepEqual(got, { a: 1, nested: { b: [2] } })
  })

  it('gives the handler a copy of the arguments, not the objects themselves', async (t) => {
    const { hub, r } = setup(t)
    const arg = { x: 1 }
    let seen
    hub.handle('ch', (event, a) => {
      seen = a
      a.x = 2
    })
    await r.invoke('ch', arg)
    assert.notEqual(seen, arg)
    assert.deepEqual(arg, { x: 1 })
  })

  it('does not call on() listeners of the channel for an invoke', async (t) => {
    const { hub, r } = setup(t)
    const listener = spy()
    hub.on('ch', listener)
    hub.handle('ch', () => 'handled')
    assert.equal(await r.invoke('ch'), 'handled')
    await flush(hub, r)
    assert.equal(listener.calls.length, 0)
  })

  it('forbids multiple handlers: "Attempted to register a second handler for \'ch\'"', (t) => {
    const { hub } = setup(t)
    hub.handle('ch', () => {})
    assert.throws(() => hub.handle('ch', () => {}), {
      name: 'Error',
      message: "Attempted to register a second handler for 'ch'",
    })
  })

  it('checks for a second handler before the type check', (t) => {
    const { hub } = setup(t)
    hub.handle('ch', () => {})
    assert.throws(() => hub.handle('ch', 'not a function'), {
      name: 'Error',
      message: "Attempted to register a second handler for 'ch'",
    })
  })

  it('keeps the first handler after a second registration failed', async (t) => {
    const { hub, r } = setup(t)
    hub.handle('ch', () => 'first')
    assert.throws(() => hub.handle('ch', () => 'second'))
    assert.equal(await r.invoke('ch'), 'first')
  })

  it("throws TypeError \"Expected handler to be a function, but found type '<typeof>'\" for a non-function", (t) => {
    const { hub } = setup(t)
    for (const [value, type] of [
      ['str', 'string'],
      [undefined, 'undefined'],
      [null, 'object'],
      [42, 'number'],
      [{}, 'object'],
    ]) {
      assert.throws(() => hub.handle('ch', value), {
        name: 'TypeError',
        message: `Expected handler to be a function, but found type '${type}'`,
      })
    }
    // Nothing was registered: a function can still be.
    assert.doesNotThrow(() => hub.handle('ch', () => {}))
  })

  it("invoke with no handler rejects: \"Error invoking remote method 'ch': Error: No handler registered for 'ch'\"", async (t) => {
    const { r } = setup(t)
    t.mock.method(console, 'error', () => {})
    await rejectsWith(r.invoke('ch'), noHandler('ch'))
  })

  it('throws an error when invoking a handler that was removed', async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handle('test', () => {})
    hub.removeHandler('test')
    await rejectsWith(r.invoke('test'), noHandler('test'))
  })

  it("receives an error from a synchronous handler: \"...': Error: some error\"", async (t) => {
    const { hub, r } = setup(t)
    const logged = t.mock.method(console, 'error', () => {})
    const err = new Error('some error')
    hub.handle('ch', () => {
      throw err
    })
    await rejectsWith(r.invoke('ch'), failed('ch', 'Error: some error'))
    assert.ok(logged.mock.callCount() >= 1, 'the handler error is logged')
    assert.equal(logged.mock.calls[0].arguments[0], "Error occurred in handler for 'ch':")
    assert.equal(logged.mock.calls[0].arguments[1], err)
  })

  it("receives an error from an asynchronous handler: \"...': Error: some error\"", async (t) => {
    const { hub, r } = setup(t)
    const logged = t.mock.method(console, 'error', () => {})
    hub.handle('ch', async () => {
      await new Promise(setImmediate)
      throw new Error('some error')
    })
    await rejectsWith(r.invoke('ch'), failed('ch', 'Error: some error'))
    assert.equal(logged.mock.calls[0].arguments[0], "Error occurred in handler for 'ch':")
  })

  it('a handler returning a rejected promise rejects the invoke the same way', async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handle('ch', () => Promise.reject(new RangeError('out')))
    await rejectsWith(r.invoke('ch'), failed('ch', 'RangeError: out'))
  })

  it('the rejection text is String(err): TypeError and a custom name', async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handle('type', () => {
      throw new TypeError('x')
    })
    hub.handle('custom', () => {
      const err = new Error('m')
      err.name = 'MyErr'
      throw err
    })
    await rejectsWith(r.invoke('type'), failed('type', 'TypeError: x'))
    await rejectsWith(r.invoke('custom'), failed('custom', 'MyErr: m'))
  })

  it("a handler throwing the string 'boom' gives \"...': boom\"", async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handle('ch', () => {
      throw 'boom' // eslint-disable-line no-throw-literal
    })
    await rejectsWith(r.invoke('ch'), failed('ch', 'boom'))
  })

  it("a handler throwing null or undefined gives \"...': null\" / \"...': undefined\"", async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handle('null', () => {
      throw null // eslint-disable-line no-throw-literal
    })
    hub.handle('undef', () => Promise.reject(undefined))
    await rejectsWith(r.invoke('null'), failed('null', 'null'))
    await rejectsWith(r.invoke('undef'), failed('undef', 'undefined'))
  })

  it("a handler returning a function gives \"...': Error: An object could not be cloned.\"", async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handle('ch', () => () => {})
    hub.handle('async', async () => ({ nested: Symbol('s') }))
    await rejectsWith(r.invoke('ch'), failed('ch', 'Error: An object could not be cloned.'))
    await rejectsWith(r.invoke('async'), failed('async', 'Error: An object could not be cloned.'))
  })

  it('a failed invoke leaves the handler in place', async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handle('ch', (event, ok) => {
      if (!ok) throw new Error('no')
      return 'yes'
    })
    await assert.rejects(r.invoke('ch', false))
    assert.equal(await r.invoke('ch', true), 'yes')
  })

  it('handlers are not listeners: not in eventNames, listenerCount, listeners or newListener', (t) => {
    const { hub } = setup(t)
    const added = spy()
    hub.on('newListener', added)
    hub.handle('ch', () => {})
    hub.handleOnce('once', () => {})
    assert.equal(added.calls.length, 0)
    hub.removeListener('newListener', added)
    assert.deepEqual(hub.eventNames(), ['error'])
    assert.equal(hub.listenerCount('ch'), 0)
    assert.deepEqual(hub.listeners('ch'), [])
    assert.deepEqual(hub.rawListeners('ch'), [])
  })

  it('a handler and on() listeners of one channel are independent', async (t) => {
    const { hub, r } = setup(t)
    const listener = spy()
    hub.on('ch', listener)
    hub.handle('ch', () => 'h')
    r.send('ch', 1)
    assert.equal(await r.invoke('ch'), 'h')
    await flush(hub, r)
    assert.equal(listener.calls.length, 1)
  })
})

describe('IpcMain#handleOnce()', SUITE, () => {
  it('answers the first invoke, then is removed', async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handleOnce('ch', (event, a) => a * 2)
    assert.equal(await r.invoke('ch', 21), 42)
    await rejectsWith(r.invoke('ch', 1), noHandler('ch'))
  })

  it('can be registered again after the first invoke', async (t) => {
    const { hub, r } = setup(t)
    hub.handleOnce('ch', () => 1)
    assert.equal(await r.invoke('ch'), 1)
    hub.handleOnce('ch', () => 2)
    assert.equal(await r.invoke('ch'), 2)
    hub.handle('ch', () => 3)
    assert.equal(await r.invoke('ch'), 3)
  })

  it('is removed before the handler runs: an invoke arriving meanwhile gets "No handler"', async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    let release
    hub.handleOnce('ch', () => new Promise((resolve) => (release = resolve)))
    const first = r.invoke('ch')
    const second = r.invoke('ch')
    await rejectsWith(second, noHandler('ch'))
    release('done')
    assert.equal(await first, 'done')
  })

  it('throws the second-handler error when the channel has a handler', (t) => {
    const { hub } = setup(t)
    hub.handle('a', () => {})
    hub.handleOnce('b', () => {})
    assert.throws(() => hub.handleOnce('a', () => {}), {
      name: 'Error',
      message: "Attempted to register a second handler for 'a'",
    })
    assert.throws(() => hub.handle('b', () => {}), {
      name: 'Error',
      message: "Attempted to register a second handler for 'b'",
    })
  })

  it('calls the handler with (event, ...args) and a copy of its result goes back', async (t) => {
    const { hub, r } = setup(t)
    const result = { ok: true }
    let args
    hub.handleOnce('ch', (event, ...rest) => {
      args = [event.type, rest]
      return result
    })
    const got = await r.invoke('ch', 'a', 2)
    assert.deepEqual(args, ['frame', ['a', 2]])
    assert.deepEqual(got, { ok: true })
    assert.notEqual(got, result)
  })
})

describe('IpcMain#removeHandler()', SUITE, () => {
  it('removes the handler: invoke then rejects with "No handler registered"', async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handle('ch', () => 1)
    assert.equal(hub.removeHandler('ch'), undefined)
    await rejectsWith(r.invoke('ch'), noHandler('ch'))
  })

  it('never throws, even with no handler registered', (t) => {
    const { hub } = setup(t)
    assert.doesNotThrow(() => hub.removeHandler('nothing'))
    assert.equal(hub.removeHandler('nothing'), undefined)
  })

  it('allows a new handler on the channel', async (t) => {
    const { hub, r } = setup(t)
    hub.handle('ch', () => 1)
    hub.removeHandler('ch')
    hub.handle('ch', () => 2)
    assert.equal(await r.invoke('ch'), 2)
  })

  it('removes a handleOnce handler before it was used', async (t) => {
    const { hub, r } = setup(t)
    t.mock.method(console, 'error', () => {})
    hub.handleOnce('ch', () => 1)
    hub.removeHandler('ch')
    await rejectsWith(r.invoke('ch'), noHandler('ch'))
  })

  it('does not remove on() listeners of the channel', async (t) => {
    const { hub, r } = setup(t)
    const listener = spy()
    hub.on('ch', listener)
    hub.handle('ch', () => {})
    hub.removeHandler('ch')
    assert.equal(hub.listenerCount('ch'), 1)
    r.send('ch')
    await flush(hub, r)
    assert.equal(listener.calls.length, 1)
  })
})
