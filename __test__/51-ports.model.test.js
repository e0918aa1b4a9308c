'use strict'

// Message ports on one thread (API.md §8; research/electron-contract.md §9
// "MessageChannelMain and MessagePortMain", spec §20): MessageChannelMain /
// MessagePortMain (EventEmitter) and the DOM-shaped MessageChannel /
// MessagePort, and the DOM rules for transfer.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const EventEmitter = require('node:events')
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const ipc = require('..')
const { MessageChannelMain, MessageChannel } = ipc
const { SUITE } = require('./helpers')

const nextMain = (port) => new Promise((resolve) => port.once('message', resolve))
const nextDom = (port, type = 'message') =>
  new Promise((resolve) => port.addEventListener(type, resolve, { once: true }))

/** Both ports of a channel closed after the test (so nothing keeps the file alive). */
function channel(t, Kind = MessageChannelMain) {
  const ch = new Kind()
  t.after(() => {
    ch.port1.close()
    ch.port2.close()
  })
  return ch
}

describe('MessageChannelMain', SUITE, () => {
  it('is exported by ipc-main and ipc-main/electron', () => {
    assert.equal(typeof ipc.MessageChannelMain, 'function')
    assert.equal(require('../electron').MessageChannelMain, ipc.MessageChannelMain)
  })

  it('makes two ports that are EventEmitters', (t) => {
    const { port1, port2 } = channel(t)
    assert.ok(port1 instanceof EventEmitter)
    assert.ok(port2 instanceof EventEmitter)
    assert.notEqual(port1, port2)
  })
})

describe('MessagePortMain#postMessage()', SUITE, () => {
  it('delivers { data, ports } to the other end once it is started', async (t) => {
    const { port1, port2 } = channel(t)
    port2.postMessage('hello')
    port1.start()
    const ev = await nextMain(port1)
    assert.equal(ev.data, 'hello')
    assert.deepEqual(ev.ports, [])
  })

  it('queues messages until start() is called', async (t) => {
    const { port1, port2 } = channel(t)
    const got = []
    port1.on('message', (ev) => got.push(ev.data))
    port2.postMessage(1)
    port2.postMessage(2)
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)))
    assert.deepEqual(got, [])
    const done = new Promise((resolve) => port1.on('message', (ev) => ev.data === 3 && resolve()))
    port2.postMessage(3)
    port1.start()
    await done
    assert.deepEqual(got, [1, 2, 3])
  })

  it('is asynchronous: nothing is delivered inside postMessage', async (t) => {
    const { port1, port2 } = channel(t)
    let inside = true
    let seenInside = null
    const arrived = new Promise((resolve) =>
      port1.on('message', () => {
        seenInside = inside
        resolve()
      }),
    )
    port1.start()
    port2.postMessage('x')
    inside = false
    await arrived
    assert.equal(seenInside, false)
  })

  it('keeps the order of one port', async (t) => {
    const { port1, port2 } = channel(t)
    const got = []
    const done = new Promise((resolve) =>
      port1.on('message', (ev) => {
        got.push(ev.data)
        if (got.length === 3000) resolve()
      }),
    )
    port1.start()
    for (let i = 0; i < 3000; i++) port2.postMessage(i)
    await done
    assert.deepEqual(
      got,
      Array.from({ length: 3000 }, (_, i) => i),
    )
  })

  it('sends structured clones', async (t) => {
    const { port1, port2 } = channel(t)
    const msg = { d: new Date(5), m: new Map([[1, { s: new Set([2n]) }]]), u: undefined, n: NaN, b: Buffer.from('hi') }
    msg.self = msg
    port1.start()
    const arrived = nextMain(port1)
    port2.postMessage(msg)
    msg.d.setTime(6)
    const { data } = await arrived
    assert.notEqual(data, msg)
    assert.equal(data.d.getTime(), 5)
    assert.deepEqual(data.m, new Map([[1, { s: new Set([2n]) }]]))
    assert.ok('u' in data)
    assert.ok(Number.isNaN(data.n))
    assert.deepEqual([...data.b], [...Buffer.from('hi')])
    assert.equal(data.self, data)
  })

  it('accepts every supported value, or nothing', async (t) => {
    const { port1, port2 } = channel(t)
    const values = [undefined, 42, false, [], 'hello', { hello: 'goodbye' }]
    const got = []
    const done = new Promise((resolve) =>
      port1.on('message', (ev) => {
        got.push(ev.data)
        if (got.length === values.length + 1) resolve()
      }),
    )
    port1.start()
    port2.postMessage()
    for (const v of values) port2.postMessage(v)
    await done
    assert.deepEqual(got, [undefined, ...values])
  })

  it("throws Electron's clone error for an uncloneable message, and sends nothing", async (t) => {
    const { port1, port2 } = channel(t)
    const got = []
    port1.on('message', (ev) => got.push(ev.data))
    port1.start()
    for (const bad of [() => 1, Symbol('s'), { p: Promise.resolve() }, new WeakMap()]) {
      assert.throws(() => port2.postMessage(bad), { name: 'Error', message: 'An object could not be cloned.' })
    }
    const last = nextMain(port1)
    port2.postMessage('after')
    await last
    assert.deepEqual(got, ['after'])
  })

  it('refuses a transfer list that is not an array', (t) => {
    const { port2 } = channel(t)
    assert.throws(() => port2.postMessage('x', 'nope'), {
      name: 'TypeError',
      message: 'transferables must be an array of MessagePorts',
    })
  })

  it('refuses non-ports in the transfer list with a TypeError', (t) => {
    const { port2 } = channel(t)
    for (const bad of [new ArrayBuffer(10), '1', new Date(), null, {}]) {
      assert.throws(() => port2.postMessage('x', [bad]), {
        name: 'TypeError',
        message: 'Port at index 0 is not a valid port',
      })
    }
  })

  it('refuses the source port, a duplicate and a neutered port with DataCloneError', (t) => {
    const { port1, port2 } = channel(t)
    const other = channel(t)
    assert.throws(() => port2.postMessage('x', [port2]), (err) => {
      assert.ok(err instanceof DOMException)
      assert.equal(err.name, 'DataCloneError')
      assert.equal(err.message, 'Port at index 0 contains the source port.')
      return true
    })
    assert.throws(() => port2.postMessage('x', [other.port1, other.port1]), {
      name: 'DataCloneError',
      message: 'Port at index 1 is a duplicate.',
    })
    port2.postMessage('x', [other.port1])
    assert.throws(() => port2.postMessage('x', [other.port1]), {
      name: 'DataCloneError',
      message: 'Port at index 0 is already neutered.',
    })
    void port1
  })

  it('checks the transfer list before anything is neutered', async (t) => {
    const { port1, port2 } = channel(t)
    const a = channel(t)
    assert.throws(() => port2.postMessage('x', [a.port1, {}]), TypeError)
    assert.throws(() => port2.postMessage(() => 1, [a.port1]), { message: 'An object could not be cloned.' })
    // a.port1 was not neutered by the failed calls: it still transfers.
    port1.start()
    const arrived = nextMain(port1)
    port2.postMessage('ok', [a.port1])
    const ev = await arrived
    assert.equal(ev.ports.length, 1)
  })

  it('transfers ports: the received MessagePortMain talks to the kept end', async (t) => {
    const { port1, port2 } = channel(t)
    const inner = channel(t)
    port1.start()
    const arrived = nextMain(port1)
    port2.postMessage('take', [inner.port2])
    const ev = await arrived
    assert.equal(ev.data, 'take')
    assert.equal(ev.ports.length, 1)
    const [moved] = ev.ports
    assert.equal(moved.constructor, port1.constructor)
    t.after(() => moved.close())
    moved.start()
    const back = nextMain(moved)
    inner.port1.postMessage('through the moved end')
    assert.equal((await back).data, 'through the moved end')
    inner.port1.start()
    const forth = nextMain(inner.port1)
    moved.postMessage('and back')
    assert.equal((await forth).data, 'and back')
  })

  it('carries the messages queued at a port while it travels', async (t) => {
    const { port1, port2 } = channel(t)
    const inner = channel(t)
    inner.port1.postMessage('queued before the transfer')
    port2.postMessage('', [inner.port2])
    inner.port1.postMessage('queued in transit')
    port1.start()
    const [moved] = (await nextMain(port1)).ports
    t.after(() => moved.close())
    const got = []
    const done = new Promise((resolve) =>
      moved.on('message', (ev) => {
        got.push(ev.data)
        if (got.length === 2) resolve()
      }),
    )
    moved.start()
    await done
    assert.deepEqual(got, ['queued before the transfer', 'queued in transit'])
  })

  it('passes a port over another channel, three levels deep', async (t) => {
    const a = channel(t)
    const b = channel(t)
    const c = channel(t)
    // c.port2 rides on b, b.port2 rides on a.
    b.port1.postMessage('level 2', [c.port2])
    a.port1.postMessage('level 1', [b.port2])
    a.port2.start()
    const [bEnd] = (await nextMain(a.port2)).ports
    bEnd.start()
    const [cEnd] = (await nextMain(bEnd)).ports
    cEnd.start()
    const got = nextMain(cEnd)
    c.port1.postMessage('matryoshka')
    assert.equal((await got).data, 'matryoshka')
    bEnd.close()
    cEnd.close()
  })

  it('posting on a neutered port does nothing', async (t) => {
    const { port1, port2 } = channel(t)
    const inner = channel(t)
    const got = []
    inner.port1.on('message', (ev) => got.push(ev.data))
    inner.port1.start()
    port2.postMessage('', [inner.port2])
    inner.port2.postMessage('from the neutered object')
    port1.start()
    const [moved] = (await nextMain(port1)).ports
    t.after(() => moved.close())
    const arrived = nextMain(inner.port1)
    moved.postMessage('from the new holder')
    await arrived
    assert.deepEqual(got, ['from the new holder'])
  })

  it('posting to a closed port, or one whose other end closed, does nothing and does not throw', async (t) => {
    const { port1, port2 } = channel(t)
    let got = 0
    port1.on('message', () => got++)
    port1.start()
    port2.close()
    port2.postMessage('to nowhere')
    const closed = new Promise((resolve) => port1.once('close', resolve))
    await closed
    port1.postMessage('to a closed peer')
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)))
    assert.equal(got, 0)
  })
})

describe("MessagePortMain 'close'", SUITE, () => {
  it('is emitted on the other end when one end closes', async (t) => {
    const { port1, port2 } = channel(t)
    const closed = new Promise((resolve) => port1.once('close', resolve))
    port2.close()
    await closed
  })

  it('comes after the messages the end had received, and without start()', async (t) => {
    const started = channel(t)
    const got = []
    started.port1.on('message', (ev) => got.push(ev.data))
    started.port1.start()
    started.port2.postMessage(1)
    started.port2.postMessage(2)
    started.port2.close()
    await new Promise((resolve) => started.port1.once('close', resolve))
    assert.deepEqual(got, [1, 2])

    const idle = channel(t)
    idle.port2.postMessage('never read')
    idle.port2.close()
    await new Promise((resolve) => idle.port1.once('close', resolve))
  })

  it("is emitted for a port's peer when the port is sent to a closed end", async (t) => {
    const { port1, port2 } = channel(t)
    const inner = channel(t)
    port1.close()
    const closed = new Promise((resolve) => inner.port1.once('close', resolve))
    port2.postMessage('nowhere', [inner.port2])
    await closed
  })
})

describe('MessageChannel (renderer side, DOM-shaped)', SUITE, () => {
  it('makes two EventTargets with the DOM methods', (t) => {
    const { port1, port2 } = channel(t, MessageChannel)
    for (const p of [port1, port2]) {
      assert.ok(p instanceof EventTarget)
      assert.ok(!(p instanceof EventEmitter))
      for (const m of ['postMessage', 'start', 'close', 'addEventListener', 'removeEventListener']) {
        assert.equal(typeof p[m], 'function', m)
      }
      assert.equal(p.onmessage, null)
    }
  })

  it('setting onmessage starts the port; the event has data and ports', async (t) => {
    const { port1, port2 } = channel(t, MessageChannel)
    port2.postMessage({ x: 1 })
    const ev = await new Promise((resolve) => {
      port1.onmessage = resolve
    })
    assert.equal(ev.type, 'message')
    assert.ok(ev instanceof Event)
    assert.deepEqual(ev.data, { x: 1 })
    assert.deepEqual([...ev.ports], [])
    assert.equal(typeof port1.onmessage, 'function')
  })

  it("addEventListener('message') does not start the port; start() does", async (t) => {
    const { port1, port2 } = channel(t, MessageChannel)
    const got = []
    port1.addEventListener('message', (ev) => got.push(ev.data))
    port2.postMessage('a')
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)))
    assert.deepEqual(got, [])
    const arrived = nextDom(port1)
    port1.start()
    await arrived
    assert.deepEqual(got, ['a'])
  })

  it('removeEventListener stops a listener', async (t) => {
    const { port1, port2 } = channel(t, MessageChannel)
    const got = []
    const listener = (ev) => got.push(ev.data)
    port1.addEventListener('message', listener)
    port1.start()
    port2.postMessage(1)
    await nextDom(port1)
    port1.removeEventListener('message', listener)
    port2.postMessage(2)
    await nextDom(port1)
    assert.deepEqual(got, [1])
  })

  it("'close' (and onclose) fires when the other end closes", async (t) => {
    const { port1, port2 } = channel(t, MessageChannel)
    const viaListener = nextDom(port1, 'close')
    const viaAttribute = new Promise((resolve) => {
      port1.onclose = resolve
    })
    port2.close()
    await viaListener
    await viaAttribute
  })

  it('transfers DOM ports, and a MessagePortMain end arrives as a DOM port', async (t) => {
    const { port1, port2 } = channel(t, MessageChannel)
    const main = channel(t)
    const arrived = nextDom(port1)
    port1.start()
    port2.postMessage('here', [main.port2])
    const ev = await arrived
    assert.equal(ev.ports.length, 1)
    const [moved] = ev.ports
    assert.ok(moved instanceof EventTarget)
    t.after(() => moved.close())
    main.port1.start()
    const back = nextMain(main.port1)
    moved.postMessage('dom to main')
    assert.equal((await back).data, 'dom to main')
  })

  it('accepts { transfer } as the second argument', async (t) => {
    const { port1, port2 } = channel(t, MessageChannel)
    const inner = channel(t, MessageChannel)
    const arrived = new Promise((resolve) => {
      port1.onmessage = resolve
    })
    port2.postMessage('opts', { transfer: [inner.port1] })
    const ev = await arrived
    assert.equal(ev.ports.length, 1)
    ev.ports[0].close()
  })

  it('follows the DOM rules: TypeError for a non-port, DataCloneError for itself, a duplicate, a neutered port, an uncloneable message', (t) => {
    const { port1, port2 } = channel(t, MessageChannel)
    const other = channel(t, MessageChannel)
    assert.throws(() => port2.postMessage('x', [new ArrayBuffer(1)]), TypeError)
    assert.throws(() => port2.postMessage('x', [port2]), { name: 'DataCloneError' })
    assert.throws(() => port2.postMessage('x', [other.port1, other.port1]), { name: 'DataCloneError' })
    port2.postMessage('x', [other.port1])
    assert.throws(() => port2.postMessage('x', [other.port1]), (err) => {
      assert.ok(err instanceof DOMException)
      assert.equal(err.name, 'DataCloneError')
      return true
    })
    assert.throws(() => port2.postMessage(() => 1), {
      name: 'DataCloneError',
      message: 'An object could not be cloned.',
    })
    // The neutered object posts nothing and does not throw.
    other.port1.postMessage('ignored')
    void port1
  })
})

describe('Message ports and the thread lifetime', SUITE, () => {
  const run = (code) =>
    spawnSync(process.execPath, ['-e', code], {
      cwd: path.join(__dirname, '..'),
      timeout: 15_000,
      encoding: 'utf8',
    })

  it('an open port keeps the process alive only while started with a message listener', () => {
    // Started with a listener: alive until the peer closes it (a timer does that).
    const alive = run(`
      const { MessageChannelMain } = require('.')
      const { port1, port2 } = new MessageChannelMain()
      port1.on('message', () => {})
      port1.start()
      // The timer is unref'd: only the port can keep the process alive until it fires.
      let fired = false
      setTimeout(() => { fired = true; port2.close() }, 200).unref()
      process.on('exit', () => console.log(fired ? 'waited' : 'exited early'))
    `)
    assert.equal(alive.status, 0, alive.stderr)
    assert.equal(alive.stdout.trim(), 'waited')
    // A listener but not started, started with no listener, or a DOM port
    // whose onmessage was cleared: the process exits at once.
    const idle = run(`
      const { MessageChannelMain, MessageChannel } = require('.')
      const a = new MessageChannelMain()
      a.port1.on('message', () => {})
      const b = new MessageChannelMain()
      b.port1.start()
      const c = new MessageChannel()
      c.port1.onmessage = () => {}
      c.port1.onmessage = null
      setTimeout(() => console.log('kept alive'), 5000).unref()
      process.on('exit', () => console.log('exited'))
    `)
    assert.equal(idle.status, 0, idle.stderr)
    assert.equal(idle.stdout.trim(), 'exited')
  })
})
