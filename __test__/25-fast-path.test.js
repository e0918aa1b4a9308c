'use strict'

// The in-process fast path (issue 11; lib/links.js LocalLane, lib/scope.js):
// an in-process renderer's messages go through a JS FIFO per hub, delivered
// from a microtask, never inside the call that sent them and never through
// Rust; dispatch reads listeners and handlers from JS caches that are
// refreshed whenever a registration changes.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')

const binding = require('../lib/native')
const { SUITE, setup, webContentsOf, next, spy } = require('./helpers')

/** Resolves from a microtask queued now: after the microtasks queued before it, before any macrotask. */
const microtask = () => new Promise((resolve) => queueMicrotask(resolve))

/** Whether a macrotask (setImmediate) ran while `fn` was awaited. */
async function turnedDuring(fn) {
  let turned = false
  const immediate = setImmediate(() => {
    turned = true
  })
  const result = await fn()
  clearImmediate(immediate)
  return { turned, result }
}

describe('in-process send', SUITE, () => {
  it('is not delivered inside the send call, but from a microtask, before the next macrotask', async (t) => {
    const { hub, r } = setup(t)
    const got = spy()
    hub.on('x', got)
    const { turned } = await turnedDuring(async () => {
      r.send('x', 1)
      r.send('x', 2)
      assert.equal(got.calls.length, 0, 'not delivered inside send()')
      await microtask()
    })
    assert.equal(turned, false, 'no event-loop turn needed')
    assert.deepEqual(
      got.calls.map((c) => c[1]),
      [1, 2],
    )
  })

  it('keeps its arguments as they were at the call (a clone taken at send time)', async (t) => {
    const { hub, r } = setup(t)
    const got = next(hub, 'x')
    const value = { n: 1, list: [1] }
    r.send('x', value)
    value.n = 2
    value.list.push(2)
    const [, arg] = await got
    assert.deepEqual(arg, { n: 1, list: [1] })
    assert.notEqual(arg, value)
  })

  it("main's messages to an in-process renderer are delivered the same way", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const got = spy()
    r.on('down', got)
    const { turned } = await turnedDuring(async () => {
      wc.send('down', 'a')
      assert.equal(got.calls.length, 0, 'not delivered inside wc.send()')
      await microtask()
    })
    assert.equal(turned, false)
    assert.equal(got.calls[0][1], 'a')
  })

  it('a long ping-pong between main and a renderer still lets timers run', async (t) => {
    const { hub, r } = setup(t)
    let stop = false
    let rounds = 0
    hub.on('ping', (event) => event.reply('pong'))
    r.on('pong', () => {
      rounds++
      if (!stop) r.send('ping')
    })
    r.send('ping')
    // Without yielding to the event loop, this timer would never fire.
    await new Promise((resolve) => setTimeout(resolve, 5))
    stop = true
    assert.ok(rounds > 0)
  })

  it("counts as queued in stats().queueDepth until delivered, and in stats().in once queued", async (t) => {
    const { hub, r } = setup(t)
    hub.on('x', () => {})
    r.send('x')
    r.send('x')
    r.send('x')
    assert.equal(hub.stats().queueDepth, 3)
    assert.equal(hub.stats().in.send.messages, 3)
    await microtask()
    assert.equal(hub.stats().queueDepth, 0)
  })

  it("'destroyed' comes after everything sent before close(); isDestroyed() at once", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const order = []
    hub.on('x', (event, i) => order.push(i))
    wc.on('destroyed', () => order.push('destroyed'))
    r.send('x', 1)
    r.send('x', 2)
    r.close()
    assert.equal(wc.isDestroyed(), true)
    assert.deepEqual(order, [])
    await microtask()
    assert.deepEqual(order, [1, 2, 'destroyed'])
  })
})

describe('in-process sendSync', SUITE, () => {
  it('delivers every earlier send first, then runs its listeners inline', (t) => {
    const { hub, r } = setup(t)
    const order = []
    hub.on('a', (event, i) => order.push(i))
    hub.on('s', (event, i) => {
      order.push(`sync ${i}`)
      event.returnValue = order.length
    })
    r.send('a', 1)
    r.send('a', 2)
    assert.equal(r.sendSync('s', 3), 3)
    r.send('a', 4)
    assert.deepEqual(order, [1, 2, 'sync 3'])
  })

  it('from inside a listener, delivers the messages queued after that listener first', async (t) => {
    const { hub, r } = setup(t)
    const order = []
    hub.on('a', (event, i) => {
      order.push(i)
      if (i === 1) order.push(`answer ${r.sendSync('s')}`)
    })
    hub.on('s', (event) => {
      order.push('sync')
      event.returnValue = 'ok'
    })
    r.send('a', 1)
    r.send('a', 2)
    await microtask()
    assert.deepEqual(order, [1, 2, 'sync', 'answer ok'])
  })

  it("does not deliver main's messages to the renderer inside the call", async (t) => {
    const { hub, r } = setup(t)
    const got = spy()
    r.on('down', got)
    hub.on('s', (event) => {
      event.sender.send('down')
      event.returnValue = 1
    })
    assert.equal(r.sendSync('s'), 1)
    assert.equal(got.calls.length, 0)
    await microtask()
    assert.equal(got.calls.length, 1)
  })
})

describe('in-process invoke', SUITE, () => {
  it('settles without an event-loop turn', async (t) => {
    const { hub, r } = setup(t)
    hub.handle('add', (event, a, b) => a + b)
    const { turned, result } = await turnedDuring(() => r.invoke('add', 1, 2))
    assert.equal(result, 3)
    assert.equal(turned, false)
  })

  it('is ordered with sends and sendSync of the same renderer', async (t) => {
    const { hub, r } = setup(t)
    const order = []
    hub.on('a', (event, i) => order.push(i))
    hub.handle('h', (event, i) => order.push(i))
    hub.on('s', (event, i) => {
      order.push(i)
      event.returnValue = null
    })
    r.send('a', 1)
    const p = r.invoke('h', 2)
    r.send('a', 3)
    r.sendSync('s', 4)
    assert.deepEqual(order, [1, 2, 3, 4])
    await p
  })
  it('a message main sends while handling an invoke arrives before the invoke settles, as on one pipe', async (t) => {
    const { hub, r } = setup(t)
    const order = []
    r.on('progress', (event, i) => order.push(`progress ${i}`))
    hub.handle('sync', (event) => {
      event.sender.send('progress', 1)
      return 'sync'
    })
    hub.handle('async', async (event) => {
      event.sender.send('progress', 2)
      await null
      event.sender.send('progress', 3)
      return 'async'
    })
    order.push(await r.invoke('sync'))
    order.push(await r.invoke('async'))
    assert.deepEqual(order, ['progress 1', 'sync', 'progress 2', 'progress 3', 'async'])
  })
})

describe('the dispatch caches are never stale', SUITE, () => {
  it('a listener added or removed while a message is delivered is seen by the next one', async (t) => {
    const { hub, r } = setup(t)
    const order = []
    const second = (event, i) => order.push(`second ${i}`)
    const first = (event, i) => {
      order.push(`first ${i}`)
      hub.off('c', first)
      hub.on('c', second)
    }
    hub.on('c', first)
    r.send('c', 1)
    r.send('c', 2)
    r.send('c', 3)
    await microtask()
    assert.deepEqual(order, ['first 1', 'second 2', 'second 3'])
  })

  it('the same through an Object.create(ipcMain) wrapper and through wc.ipc', async (t) => {
    const { hub, r } = setup(t)
    const wrapper = Object.create(hub)
    const order = []
    const scoped = (event, i) => order.push(`scoped ${i}`)
    const viaWrapper = (event, i) => {
      order.push(`wrapper ${i}`)
      if (i === 1) {
        wrapper.removeListener('c', viaWrapper)
        event.sender.ipc.on('c', scoped)
      }
    }
    wrapper.on('c', viaWrapper)
    r.send('c', 1)
    r.send('c', 2)
    await microtask()
    assert.deepEqual(order, ['wrapper 1', 'scoped 2'])
  })

  it('handle / removeHandler between two invokes of the same tick', async (t) => {
    t.mock.method(console, 'error', () => {})
    const { hub, r } = setup(t)
    hub.handle('h', () => {
      hub.removeHandler('h')
      hub.handle('h', () => 'second')
      return 'first'
    })
    hub.handle('gone', () => {
      hub.removeHandler('gone')
      return 'once'
    })
    const results = await Promise.allSettled([r.invoke('h'), r.invoke('h'), r.invoke('gone'), r.invoke('gone')])
    assert.deepEqual(
      results.map((x) => x.value ?? x.reason.message),
      [
        'first',
        'second',
        'once',
        "Error invoking remote method 'gone': Error: No handler registered for 'gone'",
      ],
    )
  })

  it('handleOnce: the second invoke of the same tick finds no handler', async (t) => {
    t.mock.method(console, 'error', () => {})
    const { hub, r } = setup(t)
    hub.handleOnce('once', () => 'answer')
    const [a, b] = await Promise.allSettled([r.invoke('once'), r.invoke('once')])
    assert.equal(a.value, 'answer')
    assert.equal(b.reason.message, "Error invoking remote method 'once': Error: No handler registered for 'once'")
  })

  it('handlers registered through a wrapper or on wc.ipc between two invokes are found', async (t) => {
    t.mock.method(console, 'error', () => {})
    const { hub, r } = setup(t)
    const wrapper = Object.create(hub)
    wrapper.handle('h', (event) => {
      wrapper.removeHandler('h')
      event.sender.ipc.handle('h', () => 'scoped')
      return 'wrapper'
    })
    const results = await Promise.all([r.invoke('h'), r.invoke('h')])
    assert.deepEqual(results, ['wrapper', 'scoped'])
    const wc = await webContentsOf(hub, r)
    wc.ipc.removeHandler('h')
    await assert.rejects(r.invoke('h'), /No handler registered for 'h'/)
  })
})

describe('napi calls', SUITE, () => {
  /** Wraps every method of the binding's classes; returns the call counter. */
  function countNapi(t) {
    const counter = { calls: 0, names: [] }
    for (const value of Object.values(binding)) {
      if (typeof value !== 'function' || value.prototype === undefined) continue
      const proto = value.prototype
      for (const name of Object.getOwnPropertyNames(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, name)
        if (name === 'constructor' || typeof d.value !== 'function') continue
        const original = d.value
        proto[name] = function (...args) {
          counter.calls++
          counter.names.push(`${value.name}.${name}`)
          return original.apply(this, args)
        }
        t.after(() => {
          proto[name] = original
        })
      }
    }
    return counter
  }

  it('none per in-process send, sendSync, invoke or main-to-renderer message; registration goes to Rust', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const counter = countNapi(t)
    // Registration is in the Rust registry (the source of truth).
    let seen = 0
    hub.on('a', () => seen++)
    hub.on('s', (event) => {
      event.returnValue = 'ok'
    })
    hub.handle('add', (event, a, b) => a + b)
    wc.ipc.handle('scoped', () => 'scoped')
    r.on('down', () => seen++)
    assert.ok(counter.calls >= 5, `registration made napi calls (${counter.names})`)
    // The wrappers are live: a stats() read crosses.
    hub.stats()
    assert.ok(counter.names.includes('NativeHub.counters'))

    counter.calls = 0
    counter.names.length = 0
    const invokes = []
    for (let i = 0; i < 50; i++) {
      r.send('a', { i })
      invokes.push(r.invoke('add', i, 1), r.invoke('scoped'))
      wc.send('down', i)
    }
    assert.equal(r.sendSync('s'), 'ok')
    const results = await Promise.all(invokes)
    await microtask()
    assert.equal(results[98], 50)
    assert.equal(results[99], 'scoped')
    assert.equal(seen, 100)
    assert.deepEqual(counter.names, [], 'no napi call per message')
  })
})

describe('in-process clones', SUITE, () => {
  const { isDeepStrictEqual } = require('node:util')
  const hole = [1, , 3] // eslint-disable-line no-sparse-arrays
  const extra = Object.assign([1, 2], { label: 'x' })
  const shared = { s: 1 }
  const cases = {
    'primitives of every kind': () => [1, 'a', true, null, undefined, -0, NaN, 10n],
    'nested plain data': () => [{ a: { b: [1, { c: 'd' }] }, e: [] }],
    'integer-like keys first, ascending, then the others in order': () => [{ b: 1, 2: 'two', a: 2, 1: 'one' }],
    'an array with holes': () => [hole],
    'an array with an extra property': () => [extra],
    'an object without a prototype': () => [Object.assign(Object.create(null), { x: 1 })],
    'the same object as two arguments': () => [shared, shared],
    'values that are not plain data, nested in plain data': () => [{ d: new Date(0), m: new Map([[1, 2]]), u: new Uint8Array([1]) }],
  }
  for (const [name, make] of Object.entries(cases)) {
    it(`are what structuredClone makes: ${name}`, async (t) => {
      const { hub, r } = setup(t)
      const got = next(hub, 'x')
      const args = make()
      r.send('x', ...args)
      const [, ...received] = await got
      const expected = structuredClone(args)
      assert.ok(isDeepStrictEqual(received, expected), `${JSON.stringify(Object.keys(received[0] ?? {}))}`)
      assert.deepEqual(Object.keys(received[0] ?? {}), Object.keys(expected[0] ?? {}), 'same key order')
      if (args.length === 2) assert.equal(received[0], received[1], 'one object, received once')
      if (typeof args[0] === 'object' && args[0] !== null) assert.notEqual(received[0], args[0])
    })
  }

  it('refuse what structuredClone refuses (an arguments object, a function), with Electron\'s text', (t) => {
    const { r } = setup(t)
    const argumentsObject = (function () {
      return arguments
    })(1, 2)
    assert.throws(() => r.send('x', argumentsObject), { message: 'An object could not be cloned.' })
    assert.throws(() => r.send('x', { f() {} }), { message: 'An object could not be cloned.' })
  })

  it('a getter that sends while its value is cloned does not disturb the outer clone', async (t) => {
    const { hub, r } = setup(t)
    const shared = { n: 1 }
    const got = []
    hub.on('inner', (event, v) => got.push(['inner', v]))
    hub.on('outer', (event, v) => got.push(['outer', v]))
    const value = {
      a: shared,
      get b() {
        r.send('inner', { from: 'the getter' })
        return 2
      },
      c: shared,
    }
    r.send('outer', value)
    await microtask()
    const outer = got.find((g) => g[0] === 'outer')[1]
    assert.deepEqual(outer, { a: { n: 1 }, b: 2, c: { n: 1 } })
    assert.equal(outer.a, outer.c, 'the shared reference is still one object')
    assert.deepEqual(got.find((g) => g[0] === 'inner')[1], { from: 'the getter' })
  })
})
