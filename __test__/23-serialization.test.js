'use strict'

// Structured clone on every path (API.md §2 "Serialization" and the clone
// error; research §10; Electron spec §12.1 case 9 and §12.3 send() cases).
//
// Every value case runs through every path below. A path takes the argument
// list, carries it across and returns the argument list as received on the
// other side. The two "value" paths (returnValue, invoke result) carry the
// whole list as one array value, which is also how Electron serializes the
// arguments of one message: as one value.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')

const { SUITE, setup, webContentsOf, next, flush, flushToRenderer, spy } = require('./helpers')

const CLONE = 'An object could not be cloned.'

async function context(t) {
  const { hub, r } = setup(t)
  const wc = await webContentsOf(hub, r)
  return { hub, r, wc }
}

const paths = {
  'send (renderer to main)': async ({ hub, r }, args) => {
    const got = next(hub, 'ch')
    r.send('ch', ...args)
    const [, ...rest] = await got
    return rest
  },
  'sendSync arguments': ({ hub, r }, args) => {
    let rest
    hub.once('ch', (event, ...a) => {
      rest = a
      event.returnValue = null
    })
    r.sendSync('ch', ...args)
    return rest
  },
  'sendSync event.returnValue': ({ hub, r }, args) => {
    hub.once('ch', (event) => {
      event.returnValue = args
    })
    return r.sendSync('ch')
  },
  'invoke arguments': async ({ hub, r }, args) => {
    let rest
    hub.handleOnce('ch', (event, ...a) => {
      rest = a
    })
    await r.invoke('ch', ...args)
    return rest
  },
  'invoke result': async ({ hub, r }, args) => {
    hub.handleOnce('ch', () => args)
    return r.invoke('ch')
  },
  'wc.send (main to renderer)': async ({ r, wc }, args) => {
    const got = next(r, 'ch')
    wc.send('ch', ...args)
    const [, ...rest] = await got
    return rest
  },
  'event.reply (main to renderer)': async ({ hub, r }, args) => {
    hub.once('ping', (event) => event.reply('ch', ...args))
    const got = next(r, 'ch')
    r.send('ping')
    const [, ...rest] = await got
    return rest
  },
}

/** Runs `make()`'s arguments through every path; `check(received, sent)` judges each. */
function everyPath(title, make, check) {
  describe(title, SUITE, () => {
    for (const [name, via] of Object.entries(paths)) {
      it(`survives ${name}`, async (t) => {
        const ctx = await context(t)
        const sent = make()
        const received = await via(ctx, sent)
        assert.ok(Array.isArray(received), 'the argument list arrives as an array')
        check(received, sent)
      })
    }
  })
}

/** Asserts `actual` is a Uint8Array (a Buffer is one too) with the bytes of `expected`. */
function assertBytes(actual, expected) {
  assert.ok(actual instanceof Uint8Array, `a Uint8Array arrives (got ${Object.prototype.toString.call(actual)})`)
  assert.equal(actual.length, expected.length)
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)
  assert.ok(a.equals(b), 'same bytes')
}

everyPath(
  'an object containing an id property',
  () => [{ id: 1, name: 'ly' }],
  (got) => assert.deepEqual(got, [{ id: 1, name: 'ly' }]),
)

everyPath(
  'a message with no arguments',
  () => [],
  (got) => assert.deepEqual(got, []),
)

everyPath(
  'a copy, never the sender\'s object',
  () => [{ x: 1, inner: { y: [2] } }],
  (got, sent) => {
    assert.notEqual(got[0], sent[0])
    assert.notEqual(got[0].inner, sent[0].inner)
    assert.deepEqual(got[0], { x: 1, inner: { y: [2] } })
  },
)

everyPath(
  'Date',
  () => [new Date('2020-01-02T03:04:05.678Z')],
  ([d]) => {
    assert.ok(d instanceof Date)
    assert.equal(d.toISOString(), '2020-01-02T03:04:05.678Z')
  },
)

everyPath(
  'Map and Set',
  () => [
    new Map([
      ['a', 1],
      [2, { b: 3 }],
    ]),
    new Set([1, 'x', { y: 2 }]),
  ],
  ([m, s]) => {
    assert.ok(m instanceof Map)
    assert.ok(s instanceof Set)
    assert.deepEqual(
      m,
      new Map([
        ['a', 1],
        [2, { b: 3 }],
      ]),
    )
    assert.deepEqual(s, new Set([1, 'x', { y: 2 }]))
  },
)

everyPath(
  'RegExp',
  () => [/ab+c/gi],
  ([re]) => {
    assert.ok(re instanceof RegExp)
    assert.equal(re.source, 'ab+c')
    assert.equal(re.flags, 'gi')
  },
)

everyPath(
  'BigInt',
  () => [2n ** 70n, -1n, { n: 0n }],
  (got) => {
    assert.equal(got[0], 2n ** 70n)
    assert.equal(got[1], -1n)
    assert.equal(got[2].n, 0n)
  },
)

everyPath(
  'typed arrays, ArrayBuffer and DataView',
  () => {
    const ab = new ArrayBuffer(4)
    new Uint8Array(ab).set([9, 8, 7, 6])
    const dv = new DataView(new ArrayBuffer(2))
    dv.setInt16(0, -2)
    return [new Float64Array([1.5, -2, 1e300]), new Int16Array([-1, 2, 3]), new Uint8Array([1, 2, 3]), ab, dv]
  },
  ([f64, i16, u8, ab, dv]) => {
    assert.ok(f64 instanceof Float64Array)
    assert.deepEqual(Array.from(f64), [1.5, -2, 1e300])
    assert.ok(i16 instanceof Int16Array)
    assert.deepEqual(Array.from(i16), [-1, 2, 3])
    assert.ok(u8 instanceof Uint8Array)
    assert.deepEqual(Array.from(u8), [1, 2, 3])
    assert.ok(ab instanceof ArrayBuffer)
    assert.deepEqual(Array.from(new Uint8Array(ab)), [9, 8, 7, 6])
    assert.ok(dv instanceof DataView)
    assert.equal(dv.getInt16(0), -2)
  },
)

everyPath(
  'Buffer (arrives as a Uint8Array with the same bytes)',
  () => [Buffer.from('hello'), Buffer.alloc(10000, 7)],
  ([small, big]) => {
    assertBytes(small, Buffer.from('hello'))
    assertBytes(big, Buffer.alloc(10000, 7))
  },
)

everyPath(
  'a lone Buffer (sent as raw bytes): a slice of a pooled buffer keeps only its bytes',
  () => [Buffer.from('a lone buffer')],
  ([got], [sent]) => {
    assert.ok(got instanceof Uint8Array, 'arrives as a Buffer / Uint8Array')
    assert.notEqual(got, sent)
    assert.equal(got.length, sent.length)
    assertBytes(got, Buffer.from('a lone buffer'))
  },
)

everyPath(
  'a lone large Buffer (past the 64 KiB view threshold)',
  () => [Buffer.alloc(200 * 1024, 0x5a)],
  ([got], [sent]) => {
    assert.ok(got instanceof Uint8Array)
    assert.notEqual(got.buffer, sent.buffer, 'never the sender\'s memory')
    assertBytes(got, Buffer.alloc(200 * 1024, 0x5a))
  },
)

everyPath(
  'an empty lone Buffer',
  () => [Buffer.alloc(0)],
  ([got]) => {
    assert.ok(got instanceof Uint8Array)
    assert.equal(got.length, 0)
  },
)

everyPath(
  'undefined, null, NaN, -0 and infinities',
  () => [undefined, null, NaN, -0, Infinity, -Infinity, { u: undefined, z: -0 }],
  (got) => {
    assert.equal(got.length, 7)
    assert.equal(got[0], undefined)
    assert.equal(got[1], null)
    assert.ok(Number.isNaN(got[2]))
    assert.ok(Object.is(got[3], -0), '-0 stays -0')
    assert.equal(got[4], Infinity)
    assert.equal(got[5], -Infinity)
    assert.ok('u' in got[6], 'a property holding undefined is kept')
    assert.equal(got[6].u, undefined)
    assert.ok(Object.is(got[6].z, -0))
  },
)

everyPath(
  'sparse arrays',
  () => {
    const far = []
    far[5] = 'five'
    return [[1, , 3], far] // eslint-disable-line no-sparse-arrays
  },
  ([a, far]) => {
    assert.equal(a.length, 3)
    assert.equal(1 in a, false, 'the hole stays a hole')
    assert.equal(a[2], 3)
    assert.equal(far.length, 6)
    assert.deepEqual(Object.keys(far), ['5'])
  },
)

everyPath(
  'strings: unicode, NUL and a lone surrogate',
  () => ['héllo 🌍', 'a\u0000b', '\ud800', ''],
  (got) => assert.deepEqual(got, ['héllo 🌍', 'a\u0000b', '\ud800', '']),
)

everyPath(
  'boxed primitives',
  () => [new String('s'), new Number(1), new Boolean(false)], // eslint-disable-line no-new-wrappers
  ([s, n, b]) => {
    assert.equal(typeof s, 'object')
    assert.equal(s.valueOf(), 's')
    assert.equal(typeof n, 'object')
    assert.equal(n.valueOf(), 1)
    assert.equal(typeof b, 'object')
    assert.equal(b.valueOf(), false)
  },
)

everyPath(
  'objects that reference the same object (shared references within one message)',
  () => {
    const child = { hello: 'world' }
    return [child, child, { a: child, b: [child] }]
  },
  (got) => {
    assert.deepEqual(got[0], { hello: 'world' })
    assert.equal(got[0], got[1], 'one object arrives once, referenced twice')
    assert.equal(got[2].a, got[0])
    assert.equal(got[2].b[0], got[0])
  },
)

everyPath(
  'cyclic references',
  () => {
    const array = [5]
    array.push(array)
    const child = { hello: 'world' }
    child.child = child
    return [array, child]
  },
  ([array, child]) => {
    assert.equal(array[0], 5)
    assert.equal(array[1], array)
    assert.equal(child.hello, 'world')
    assert.equal(child.child, child)
  },
)

everyPath(
  'Error values',
  () => [new Error('plain'), new TypeError('typed'), { nested: new RangeError('deep') }],
  ([e, te, { nested }]) => {
    assert.ok(e instanceof Error)
    assert.equal(e.message, 'plain')
    assert.ok(te instanceof Error)
    assert.equal(te.message, 'typed')
    assert.ok(nested instanceof Error)
    assert.equal(nested.message, 'deep')
  },
)

everyPath(
  'class instances (the prototype is not kept)',
  () => {
    class Point {
      constructor(x, y) {
        this.x = x
        this.y = y
      }

      norm() {
        return Math.hypot(this.x, this.y)
      }
    }
    return [new Point(1, 2)]
  },
  ([p]) => {
    assert.equal(Object.getPrototypeOf(p), Object.prototype)
    assert.deepEqual(p, { x: 1, y: 2 })
  },
)

everyPath(
  'getters are read, symbol keys and non-enumerable properties are dropped',
  () => {
    const o = { a: 1, [Symbol('s')]: 2 }
    Object.defineProperty(o, 'hidden', { value: 3, enumerable: false })
    Object.defineProperty(o, 'got', { get: () => 4, enumerable: true })
    return [o]
  },
  ([o]) => {
    assert.deepEqual(Object.getOwnPropertySymbols(o), [])
    assert.deepEqual(o, { a: 1, got: 4 })
  },
)

everyPath(
  'arrays keep their own extra properties',
  () => [Object.assign([1, 2], { label: 'extra' })],
  ([a]) => {
    assert.ok(Array.isArray(a))
    assert.deepEqual(Array.from(a), [1, 2])
    assert.equal(a.label, 'extra')
  },
)

everyPath(
  'an enumerable getter is read exactly once',
  () => {
    let reads = 0
    const o = {}
    Object.defineProperty(o, 'value', {
      enumerable: true,
      get: () => {
        reads++
        return { n: reads }
      },
    })
    Object.defineProperty(o, 'reads', { get: () => reads })
    return [o]
  },
  ([got], [sent]) => {
    assert.equal(sent.reads, 1)
    assert.deepEqual(got, { value: { n: 1 } })
  },
)

everyPath(
  'an own "__proto__" key stays an own key',
  () => [JSON.parse('{"__proto__": {"polluted": true}, "a": 1}')],
  ([o]) => {
    assert.equal(Object.getPrototypeOf(o), Object.prototype)
    assert.ok(Object.prototype.hasOwnProperty.call(o, '__proto__'))
    assert.equal(o.a, 1)
    assert.equal({}.polluted, undefined)
  },
)

everyPath(
  'nested structures',
  () => [{ a: [1, { b: new Map([[1, new Set([2, new Date(0)])]]) }], s: 'x', n: null }],
  ([o]) => {
    assert.deepEqual(o, { a: [1, { b: new Map([[1, new Set([2, new Date(0)])]]) }], s: 'x', n: null })
  },
)

describe('structured clone: later mutation of the sent object does not matter', SUITE, () => {
  it('send', async (t) => {
    const { hub, r } = await context(t)
    const obj = { x: 1 }
    const got = next(hub, 'ch')
    r.send('ch', obj)
    obj.x = 2
    const [, received] = await got
    assert.deepEqual(received, { x: 1 })
  })

  it('event.returnValue is copied at assignment', async (t) => {
    const { hub, r } = await context(t)
    hub.on('ch', (event) => {
      const obj = { x: 1 }
      event.returnValue = obj
      obj.x = 2
    })
    assert.deepEqual(r.sendSync('ch'), { x: 1 })
  })

  it('a listener mutating its argument does not change the sender\'s object', async (t) => {
    const { hub, r } = await context(t)
    const obj = { x: 1 }
    hub.on('ch', (event, arg) => {
      arg.x = 'changed'
      event.returnValue = null
    })
    hub.handle('ch', (event, arg) => {
      arg.x = 'changed'
    })
    r.sendSync('ch', obj)
    await r.invoke('ch', obj)
    assert.deepEqual(obj, { x: 1 })
  })

  it('wc.send and event.reply', async (t) => {
    const { hub, r, wc } = await context(t)
    const obj = { x: 1 }
    const first = next(r, 'a')
    wc.send('a', obj)
    obj.x = 2
    const [, a] = await first
    assert.deepEqual(a, { x: 1 })
    hub.once('ping', (event) => {
      const reply = { y: 1 }
      event.reply('b', reply)
      reply.y = 2
    })
    const second = next(r, 'b')
    r.send('ping')
    const [, b] = await second
    assert.deepEqual(b, { y: 1 })
  })
})

describe(`values that cannot be cloned: "${CLONE}", and nothing is sent`, SUITE, () => {
  const uncloneable = {
    'a function': () => () => {},
    'a symbol': () => Symbol('s'),
    'a promise': () => Promise.resolve(1),
    'a WeakMap': () => new WeakMap(),
    'a WeakSet': () => new WeakSet(),
    'an object with a method (toJSON is not consulted)': () => ({ toJSON: () => 1 }),
    'a function nested in an array': () => ({ list: [1, function named() {}] }),
    'a Proxy': () => new Proxy({ x: 1 }, {}),
    'a Proxy nested in a plain object': () => ({ inner: new Proxy([1], {}) }),
  }

  for (const [what, make] of Object.entries(uncloneable)) {
    it(`send and sendSync throw and invoke rejects for ${what}`, async (t) => {
      const { hub, r } = await context(t)
      const listener = spy()
      const handler = spy()
      hub.on('ch', listener)
      hub.handle('ch', handler)
      assert.throws(() => r.send('ch', 1, make()), { name: 'Error', message: CLONE })
      assert.throws(() => r.sendSync('ch', make(), 1), { name: 'Error', message: CLONE })
      const p = r.invoke('ch', make())
      assert.ok(p instanceof Promise, 'invoke returns a promise instead of throwing')
      await assert.rejects(p, { name: 'Error', message: CLONE })
      await flush(hub, r)
      assert.equal(listener.calls.length, 0, 'no listener was called')
      assert.equal(handler.calls.length, 0, 'no handler was called')
    })
  }

  it('wc.send and event.reply throw and deliver nothing', async (t) => {
    const { hub, r, wc } = await context(t)
    const down = spy()
    r.on('ch', down)
    assert.throws(() => wc.send('ch', () => {}), { name: 'Error', message: CLONE })
    let replyError
    hub.once('ping', (event) => {
      try {
        event.reply('ch', 1, Symbol('s'))
      } catch (err) {
        replyError = err
      }
      event.returnValue = 'checked'
    })
    assert.equal(r.sendSync('ping'), 'checked')
    assert.ok(replyError instanceof Error, 'event.reply threw')
    assert.equal(replyError.name, 'Error')
    assert.equal(replyError.message, CLONE)
    await flushToRenderer(wc, r)
    assert.equal(down.calls.length, 0)
  })

  it('assigning an uncloneable returnValue throws in the listener and a later assignment still answers', async (t) => {
    const { hub, r } = await context(t)
    let thrown
    hub.on('ch', (event) => {
      try {
        event.returnValue = () => {}
      } catch (err) {
        thrown = err
      }
      event.returnValue = 'second try'
    })
    assert.equal(r.sendSync('ch'), 'second try')
    assert.ok(thrown instanceof Error)
    assert.equal(thrown.message, CLONE)
  })
})

describe('payloads across the shared-memory threshold', SUITE, () => {
  const sizes = [0, 1, 65535, 65536, 65537, 256 * 1024 + 3, 3 * 1024 * 1024 + 1]
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'

  function makeString(n) {
    return alphabet.repeat(Math.ceil(n / alphabet.length)).slice(0, n)
  }

  function makeBytes(n) {
    const bytes = new Uint8Array(n)
    for (let i = 0; i < n; i++) bytes[i] = (i * 7) & 255
    return bytes
  }

  function makeValues(n) {
    const text = makeString(n)
    const bytes = makeBytes(n)
    return {
      string: text,
      bytes,
      object: { text, bytes, meta: { n, list: [1, 'two', { three: true }] } },
    }
  }

  function assertSame(kind, got, sent) {
    if (kind === 'string') {
      assert.equal(typeof got, 'string')
      assert.equal(got.length, sent.length)
      assert.ok(got === sent, 'same string')
    } else if (kind === 'bytes') {
      assertBytes(got, sent)
    } else {
      assert.ok(got.text === sent.text, 'same text')
      assertBytes(got.bytes, sent.bytes)
      assert.deepEqual(got.meta, sent.meta)
    }
  }

  for (const n of sizes) {
    it(`round trips a string, a Uint8Array and a nested object of ${n} through handle, returnValue and reply`, async (t) => {
      const { hub, r } = await context(t)
      hub.handle('echo-invoke', (event, arg) => arg)
      hub.on('echo-sync', (event, arg) => {
        event.returnValue = arg
      })
      hub.on('echo-send', (event, arg) => event.sender.send('echo-large-reply', arg))
      for (const [kind, value] of Object.entries(makeValues(n))) {
        assertSame(kind, await r.invoke('echo-invoke', value), value)
        assertSame(kind, r.sendSync('echo-sync', value), value)
        const got = next(r, 'echo-large-reply')
        r.send('echo-send', value)
        const [, echoed] = await got
        assertSame(kind, echoed, value)
      }
    })
  }
})
