'use strict'

// IpcMain is an EventEmitter with Node's semantics (API.md §2). Most cases run
// one script of operations on a hub and on a plain `new EventEmitter()` and
// compare what happened, step by step. The hub's "error" guard is removed
// first unless the case is about it.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const EventEmitter = require('node:events')

const { IpcMain } = require('..')
const { SUITE, setup, next, flush, spy } = require('./helpers')

const S1 = Symbol('s1')
const S2 = Symbol.for('s2')

/**
 * Runs `script` on `em` and returns the log of everything observable: return
 * values, errors, listener calls (with `this`), in order.
 * `script({ em, fn, call, log, label })`:
 * - `fn(name, body?)` gives the listener named `name` (the same function for the same name);
 *   a call logs `['call', name, this, ...args]`, then runs `body.call(this, ...args)`;
 * - `call(method, ...args)` calls `em[method](...args)` and logs its result or error.
 */
function record(em, script) {
  const log = []
  const labels = new Map()
  const fns = new Map()
  const label = (f) => {
    if (labels.has(f)) return labels.get(f)
    if (typeof f === 'function' && labels.has(f.listener)) return `once:${labels.get(f.listener)}`
    return `<${typeof f}>`
  }
  const show = (v) => {
    if (v === em) return '<this>'
    if (Array.isArray(v)) return v.map(show)
    if (typeof v === 'function') return label(v)
    if (typeof v === 'symbol') return v.toString()
    return v
  }
  const fn = (name, body) => {
    if (!fns.has(name)) {
      const f = function (...args) {
        log.push(['call', name, show(this), ...args.map(show)])
        if (body) return body.apply(this, args)
      }
      fns.set(name, f)
      labels.set(f, name)
    }
    return fns.get(name)
  }
  const call = (method, ...args) => {
    try {
      const result = em[method](...args)
      log.push([method, ...args.map(show), '->', show(result)])
      return result
    } catch (err) {
      log.push([method, ...args.map(show), 'threw', err.name, err.code, err.message])
    }
  }
  script({ em, fn, call, log, label, show })
  return log
}

/**
 * Runs `script` on a hub (or, with `renderer: true`, on an in-process
 * IpcRenderer) and on a plain EventEmitter, and asserts both logs are equal.
 */
function parity(t, script, { keepGuard = false, renderer = false } = {}) {
  const hub = new IpcMain()
  t.after(() => hub.close())
  const plain = new EventEmitter()
  if (keepGuard) plain.on('error', () => {})
  else hub.removeAllListeners('error')
  const subject = renderer ? hub.createRenderer() : hub
  const expected = record(plain, script)
  const actual = record(subject, script)
  assert.deepEqual(actual, expected)
  return actual
}

// Scripts that are run on both IpcMain and IpcRenderer.
const scripts = {
  'on, addListener, prependListener, once and prependOnceListener: return this, call order, listeners() and rawListeners()': ({
    fn,
    call,
  }) => {
    call('on', 'x', fn('a'))
    call('addListener', 'x', fn('b'))
    call('prependListener', 'x', fn('c'))
    call('once', 'x', fn('d'))
    call('prependOnceListener', 'x', fn('e'))
    call('listeners', 'x')
    call('rawListeners', 'x')
    call('listenerCount', 'x')
    call('emit', 'x', 1, 'two')
    call('listeners', 'x')
    call('rawListeners', 'x')
    call('emit', 'x', 3)
  },
  'removeListener and off remove the last-added registration of a function, one at a time': ({ fn, call }) => {
    call('on', 'x', fn('a'))
    call('on', 'x', fn('b'))
    call('on', 'x', fn('a'))
    call('once', 'x', fn('a'))
    call('rawListeners', 'x')
    call('removeListener', 'x', fn('a'))
    call('rawListeners', 'x')
    call('off', 'x', fn('a'))
    call('rawListeners', 'x')
    call('removeListener', 'x', fn('a'))
    call('rawListeners', 'x')
    call('removeListener', 'x', fn('a'))
    call('removeListener', 'nothing', fn('a'))
    call('rawListeners', 'x')
    call('eventNames')
    call('removeListener', 'x', fn('b'))
    call('eventNames')
  },
  'removeAllListeners(name) and removeAllListeners() remove and return this': ({ fn, call }) => {
    call('on', 'x', fn('a'))
    call('once', 'x', fn('b'))
    call('on', 'y', fn('a'))
    call('on', S1, fn('c'))
    call('removeAllListeners', 'x')
    call('eventNames')
    call('removeAllListeners', 'not-there')
    call('removeAllListeners')
    call('eventNames')
    call('emit', 'y')
  },
  "'newListener' and 'removeListener' meta events": ({ em, fn, call, log, show }) => {
    const told = (kind) => (name, listener) =>
      log.push([kind, show(name), em.listenerCount(name), show(listener)])
    call('on', 'newListener', fn('nl', told('new')))
    call('on', 'removeListener', fn('rl', told('removed')))
    call('on', 'x', fn('a'))
    call('once', 'x', fn('b'))
    call('emit', 'x')
    call('removeListener', 'x', fn('a'))
    call('removeAllListeners')
  },
  'eventNames() order with symbol and numeric-looking names': ({ fn, call }) => {
    for (const name of ['b', S1, '1', 'a', '0', 2, S2]) call('on', name, fn('l'))
    call('eventNames')
  },
  'non-function listeners throw ERR_INVALID_ARG_TYPE': ({ call }) => {
    for (const method of ['on', 'once', 'prependListener', 'removeListener']) call(method, 'x', 'nope')
  },
}

describe('IpcMain EventEmitter parity', SUITE, () => {
  for (const [title, script] of Object.entries(scripts)) {
    it(title, (t) => {
      parity(t, script)
    })
  }

  it('emit is synchronous, returns whether there were listeners, and calls listeners with this = the emitter', (t) => {
    const log = parity(t, ({ fn, call }) => {
      call('emit', 'x', 'nobody')
      call('on', 'x', fn('a'))
      call('emit', 'x', 'somebody', { o: 1 })
      call('emit', 'y')
    })
    // The hub's own log, spelled out: the listener ran before emit returned.
    assert.deepEqual(log.slice(-3, -1), [
      ['call', 'a', '<this>', 'somebody', { o: 1 }],
      ['emit', 'x', 'somebody', { o: 1 }, '->', true],
    ])
  })

  it('listenerCount(name) and listenerCount(name, listener)', (t) => {
    parity(t, ({ fn, call }) => {
      call('on', 'x', fn('a'))
      call('on', 'x', fn('a'))
      call('once', 'x', fn('b'))
      call('listenerCount', 'x')
      call('listenerCount', 'x', fn('a'))
      call('listenerCount', 'x', fn('b'))
      call('listenerCount', 'x', fn('c'))
      call('listenerCount', 'y')
    })
  })

  it('eventNames() order, with symbol and numeric-looking names, matches a plain EventEmitter', (t) => {
    parity(t, ({ fn, call }) => {
      for (const name of ['b', S1, '1', 'a', '0', 2, '10', '-1', '01', S2, 'z']) call('on', name, fn('l'))
      call('eventNames')
      call('removeAllListeners', 'b')
      call('removeListener', '1', fn('l'))
      call('on', 'b', fn('l'))
      call('on', '1', fn('l'))
      call('eventNames')
      call('emit', S1, 'sym')
      call('emit', 2, 'number')
      call('listenerCount', '2')
    })
  })

  it("'newListener' fires before adding, with the unwrapped listener", (t) => {
    parity(t, ({ em, fn, call, log, show }) => {
      call('on', 'x', fn('before'))
      call(
        'on',
        'newListener',
        fn('nl', (name, listener) => log.push(['count when told', show(name), em.listenerCount(name), show(listener)])),
      )
      call('on', 'x', fn('a'))
      call('once', 'x', fn('b'))
      call('prependListener', 'y', fn('c'))
      call('prependOnceListener', 'y', fn('d'))
      call('on', 'newListener', fn('nl2'))
      call('on', S1, fn('e'))
    })
  })

  it("'removeListener' fires after removal, for removeListener, once, and removeAllListeners", (t) => {
    parity(t, ({ em, fn, call, log, show }) => {
      call(
        'on',
        'removeListener',
        fn('rl', (name, listener) => log.push(['count when told', show(name), em.listenerCount(name), show(listener)])),
      )
      call('on', 'x', fn('a'))
      call('once', 'x', fn('b'))
      call('on', 'x', fn('c'))
      call('on', 'y', fn('d'))
      call('removeListener', 'x', fn('a'))
      call('emit', 'x', 'fires b once')
      call('removeListener', 'x', fn('not-registered'))
      call('on', 'z', fn('e'))
      call('once', 'z', fn('f'))
      call('removeAllListeners', 'z')
      call('removeAllListeners')
      call('eventNames')
    })
  })

  it('removing or adding listeners during emit does not change the current emit', (t) => {
    parity(t, ({ em, fn, call }) => {
      call(
        'on',
        'x',
        fn('a', () => {
          em.removeListener('x', fn('b'))
          em.on('x', fn('c'))
        }),
      )
      call('on', 'x', fn('b'))
      call('emit', 'x', 1)
      call('listeners', 'x')
      call('emit', 'x', 2)
      call('listeners', 'x')
    })
  })

  it('a once listener is removed before it runs; its raw wrapper can be called directly, once', (t) => {
    parity(t, ({ em, fn, call, log }) => {
      call(
        'once',
        'x',
        fn('a', () => log.push(['inside', em.listenerCount('x')])),
      )
      const [wrapper] = em.rawListeners('x')
      log.push(['wrapper is a function', typeof wrapper])
      wrapper('direct')
      call('listenerCount', 'x')
      wrapper('again')
      call('emit', 'x', 'after')
    })
  })

  it('emit("error") without a listener throws as Node does (after removeAllListeners removed the guard)', (t) => {
    parity(t, ({ call }) => {
      call('emit', 'error', new Error('boom'))
      call('emit', 'error')
      call('emit', 'error', 'a string')
    })
  })

  it('emit("error") with the guard in place returns true and throws nothing', (t) => {
    parity(
      t,
      ({ call }) => {
        call('emit', 'error', new Error('boom'))
        call('listenerCount', 'error')
        call('eventNames')
      },
      { keepGuard: true },
    )
  })

  it('setMaxListeners and getMaxListeners, with the same range checks', (t) => {
    parity(t, ({ em, call, log }) => {
      call('getMaxListeners')
      call('setMaxListeners', 1)
      call('getMaxListeners')
      call('setMaxListeners', 0)
      call('getMaxListeners')
      call('setMaxListeners', Infinity)
      call('getMaxListeners')
      call('setMaxListeners', -1)
      call('setMaxListeners', NaN)
      call('setMaxListeners', '3')
      call('getMaxListeners')
      log.push(['events.getMaxListeners', EventEmitter.getMaxListeners(em)])
    })
  })

  it('on, once, prepend* and removeListener with a non-function throw ERR_INVALID_ARG_TYPE', (t) => {
    const log = parity(t, ({ call }) => {
      for (const method of ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener', 'removeListener', 'off']) {
        for (const bad of ['nope', null, undefined, 42, {}]) call(method, 'x', bad)
      }
      call('eventNames')
    })
    const thrown = log.filter((entry) => entry.includes('threw'))
    assert.equal(thrown.length, 35)
    for (const entry of thrown) {
      assert.equal(entry[entry.indexOf('threw') + 1], 'TypeError')
      assert.equal(entry[entry.indexOf('threw') + 2], 'ERR_INVALID_ARG_TYPE')
    }
  })

  it('listeners() returns a copy', (t) => {
    parity(t, ({ em, fn, call, log }) => {
      call('on', 'x', fn('a'))
      const list = em.listeners('x')
      list.push(fn('b'))
      log.push(['raw copy is independent', em.rawListeners('x') !== em.rawListeners('x')])
      call('listeners', 'x')
      call('emit', 'x')
    })
  })
})

describe('IpcRenderer EventEmitter parity', SUITE, () => {
  for (const [title, script] of Object.entries(scripts)) {
    it(title, (t) => {
      parity(t, script, { renderer: true })
    })
  }
})

describe('IpcMain max-listeners warning', SUITE, () => {
  /**
   * Collects the warnings given to process.emitWarning() during the test, as
   * Node's EventEmitter reports a leak. Mocking it (instead of listening to
   * process 'warning') keeps Node from printing them to the test output.
   */
  function collectWarnings(t) {
    const warnings = []
    t.mock.method(process, 'emitWarning', (warning) => {
      warnings.push(warning)
    })
    return warnings
  }

  /** Lets anything deferred to the next tick run before counting. */
  const ticksDone = () => new Promise(setImmediate)

  function same(warning, expected, emitter) {
    assert.ok(warning, 'a warning was emitted')
    assert.equal(warning.name, expected.name)
    assert.equal(warning.name, 'MaxListenersExceededWarning')
    assert.equal(warning.type, expected.type)
    assert.equal(warning.count, expected.count)
    assert.equal(warning.emitter, emitter)
  }

  it('is emitted once when a channel exceeds the limit, as for a plain EventEmitter', async (t) => {
    const warnings = collectWarnings(t)
    const { hub } = setup(t)
    const plain = new EventEmitter()
    for (let i = 0; i < 13; i++) {
      hub.on('x', () => {})
      plain.on('x', () => {})
    }
    await ticksDone()
    const mine = warnings.filter((w) => w.emitter === hub)
    const theirs = warnings.filter((w) => w.emitter === plain)
    assert.equal(theirs.length, 1)
    assert.equal(mine.length, 1)
    same(mine[0], theirs[0], hub)
    assert.equal(mine[0].count, 11)
  })

  it('follows setMaxListeners()', async (t) => {
    const warnings = collectWarnings(t)
    const { hub } = setup(t)
    const plain = new EventEmitter()
    hub.setMaxListeners(2)
    plain.setMaxListeners(2)
    for (let i = 0; i < 3; i++) {
      hub.once('y', () => {})
      plain.once('y', () => {})
    }
    await ticksDone()
    const mine = warnings.filter((w) => w.emitter === hub)
    const theirs = warnings.filter((w) => w.emitter === plain)
    assert.equal(mine.length, 1)
    same(mine[0], theirs[0], hub)
  })

  it('counts the "error" guard: 10 user "error" listeners on a fresh hub exceed the limit', async (t) => {
    const warnings = collectWarnings(t)
    const { hub } = setup(t)
    const plain = new EventEmitter()
    plain.on('error', () => {})
    for (let i = 0; i < 10; i++) {
      hub.on('error', () => {})
      plain.on('error', () => {})
    }
    await ticksDone()
    const mine = warnings.filter((w) => w.emitter === hub)
    const theirs = warnings.filter((w) => w.emitter === plain)
    assert.equal(mine.length, 1)
    same(mine[0], theirs[0], hub)
    assert.equal(mine[0].count, 11)
  })

  it('is not emitted at exactly the limit', async (t) => {
    const warnings = collectWarnings(t)
    const { hub } = setup(t)
    for (let i = 0; i < 10; i++) hub.on('z', () => {})
    await ticksDone()
    assert.equal(warnings.filter((w) => w.emitter === hub).length, 0)
  })
})

describe('IpcMain with the events module helpers', SUITE, () => {
  it('events.once(hub, channel) resolves with [event, ...args] of the next renderer message', async (t) => {
    const { hub, r } = setup(t)
    const p = EventEmitter.once(hub, 'ch')
    r.send('ch', 1, 'two')
    const [event, ...args] = await p
    assert.equal(event.type, 'frame')
    assert.deepEqual(args, [1, 'two'])
    assert.equal(hub.listenerCount('ch'), 0)
    assert.deepEqual(hub.eventNames(), ['error'])
    assert.equal(hub.listenerCount('error'), 1)
  })

  it('events.once(hub, channel, { signal }) rejects with AbortError and removes its listeners', async (t) => {
    const { hub } = setup(t)
    const ac = new AbortController()
    const p = EventEmitter.once(hub, 'ch', { signal: ac.signal })
    assert.equal(hub.listenerCount('ch'), 1)
    ac.abort()
    await assert.rejects(p, { name: 'AbortError', code: 'ABORT_ERR' })
    assert.equal(hub.listenerCount('ch'), 0)
    assert.deepEqual(hub.eventNames(), ['error'])
  })

  it('events.on(hub, channel, { signal }) yields renderer messages in order until aborted', async (t) => {
    const { hub, r } = setup(t)
    const ac = new AbortController()
    const iterator = EventEmitter.on(hub, 'ch', { signal: ac.signal })
    r.send('ch', 1)
    r.send('ch', 2)
    r.send('ch', 3)
    const got = []
    await assert.rejects(
      (async () => {
        for await (const [event, value] of iterator) {
          assert.equal(event.type, 'frame')
          got.push(value)
          if (got.length === 3) ac.abort()
        }
      })(),
      { name: 'AbortError' },
    )
    assert.deepEqual(got, [1, 2, 3])
    assert.equal(hub.listenerCount('ch'), 0)
    assert.deepEqual(hub.eventNames(), ['error'])
  })

  it('events.getEventListeners(hub, channel) lists the listeners', (t) => {
    const { hub } = setup(t)
    const a = () => {}
    const b = () => {}
    hub.on('ch', a)
    hub.once('ch', b)
    assert.deepEqual(EventEmitter.getEventListeners(hub, 'ch'), [a, b])
    assert.equal(EventEmitter.getEventListeners(hub, 'error').length, 1)
  })

  it('emit on the main side calls listeners synchronously with a hand-made event', (t) => {
    const { hub } = setup(t)
    const fake = { returnValue: undefined, reply() {} }
    const listener = spy()
    hub.on('ch', listener)
    assert.equal(hub.emit('ch', fake, 1), true)
    assert.deepEqual(listener.calls, [[fake, 1]])
  })
})

describe('IpcMain through an Object.create() wrapper', SUITE, () => {
  it('listener methods work on the wrapper and act on the hub', async (t) => {
    const { hub, r } = setup(t)
    const w = Object.create(hub)
    const a = spy()
    const b = spy()
    const c = spy()
    const d = spy()
    assert.equal(w.on('ch', a), w)
    assert.equal(w.addListener('ch', b), w)
    assert.equal(w.prependListener('ch', c), w)
    assert.equal(w.once('ch', d), w)
    assert.equal(w.prependOnceListener('other', d), w)
    assert.equal(w.listenerCount('ch'), 4)
    assert.equal(hub.listenerCount('ch'), 4)
    assert.deepEqual(w.listeners('ch'), [c, a, b, d])
    assert.equal(w.rawListeners('ch')[3].listener, d)
    assert.deepEqual(w.eventNames(), ['error', 'ch', 'other'])

    r.send('ch', 'from renderer')
    await flush(hub, r)
    assert.deepEqual(
      [a, b, c, d].map((f) => f.calls.length),
      [1, 1, 1, 1],
    )
    assert.equal(a.calls[0][1], 'from renderer')

    assert.equal(w.emit('ch', { hand: 'made' }, 2), true)
    assert.equal(a.calls[1][1], 2)

    assert.equal(w.off('ch', a), w)
    assert.equal(w.removeListener('ch', b), w)
    assert.deepEqual(hub.listeners('ch'), [c])
    assert.equal(w.removeAllListeners('ch'), w)
    assert.equal(hub.listenerCount('ch'), 0)

    assert.equal(w.setMaxListeners(20), w)
    assert.equal(w.getMaxListeners(), 20)
  })

  it('handle, handleOnce and removeHandler work on the wrapper', async (t) => {
    const { hub, r } = setup(t)
    const w = Object.create(hub)
    t.mock.method(console, 'error', () => {})
    w.handle('a', (event, x) => x + 1)
    w.handleOnce('b', () => 'once')
    assert.equal(await r.invoke('a', 1), 2)
    assert.equal(await r.invoke('b'), 'once')
    assert.throws(() => w.handle('a', () => {}), { message: "Attempted to register a second handler for 'a'" })
    w.removeHandler('a')
    await assert.rejects(r.invoke('a'), {
      message: "Error invoking remote method 'a': Error: No handler registered for 'a'",
    })
  })

  it('a listener registered on the wrapper receives sendSync and can answer it', (t) => {
    const { hub, r } = setup(t)
    const w = Object.create(hub)
    w.on('sync', (event, x) => {
      event.returnValue = x * 2
    })
    assert.equal(r.sendSync('sync', 21), 42)
  })

  it('once() on the wrapper receives renderer messages', async (t) => {
    const { hub, r } = setup(t)
    const w = Object.create(hub)
    const arrived = next(w, 'ch')
    r.send('ch', 'x')
    const [, x] = await arrived
    assert.equal(x, 'x')
  })
})

describe('EventEmitter method identities and own keys', SUITE, () => {
  // Node: `EventEmitter.prototype.on = EventEmitter.prototype.addListener`
  // (and off / removeListener), so code that compares or swaps them works.
  const subjects = {
    IpcMain: (t) => setup(t).hub,
    IpcRenderer: (t) => setup(t).r,
  }
  for (const [name, make] of Object.entries(subjects)) {
    it(`${name}: on === addListener and off === removeListener, as on a plain EventEmitter`, (t) => {
      const em = make(t)
      const plain = new EventEmitter()
      assert.equal(plain.on, plain.addListener)
      assert.equal(plain.off, plain.removeListener)
      assert.equal(em.on, em.addListener)
      assert.equal(em.off, em.removeListener)
      assert.equal(em.on.name, plain.on.name)
      assert.equal(em.off.name, plain.off.name)
    })

    it(`${name}: own enumerable string keys and symbols are a plain EventEmitter's (IpcMain: plus handle, handleOnce)`, (t) => {
      const em = make(t)
      const plain = new EventEmitter()
      const extra = name === 'IpcMain' ? ['handle', 'handleOnce'] : []
      assert.deepEqual(Object.keys(em), [...Object.keys(plain), ...extra])
      const enumerableSymbols = (o) =>
        Object.getOwnPropertySymbols(o)
          .filter((s) => Object.getOwnPropertyDescriptor(o, s).enumerable)
          .map(String)
      assert.deepEqual(enumerableSymbols(em), enumerableSymbols(plain))
    })
  }

  it('on and off keep their semantics through the alias (return this, once-wrapper removal)', (t) => {
    parity(t, ({ fn, call }) => {
      call('on', 'x', fn('a'))
      call('once', 'x', fn('b'))
      call('off', 'x', fn('b'))
      call('emit', 'x', 1)
      call('off', 'x', fn('a'))
      call('eventNames')
    })
  })
})
