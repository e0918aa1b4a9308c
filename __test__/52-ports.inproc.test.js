'use strict'

// Message ports between main and in-process renderers (API.md §3 `ports`,
// §8; research/electron-contract.md §8 `postMessage`, §9, spec §12–§18,
// §21, §24): `ipcRenderer.postMessage` and `wc.postMessage`, ports in
// `event.ports`, ports forwarded between renderers.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const EventEmitter = require('node:events')

const { MessageChannelMain, MessageChannel } = require('..')
const { SUITE, setup, webContentsOf, next } = require('./helpers')

const nextMain = (port) => new Promise((resolve) => port.once('message', resolve))

function closeAfter(t, ...ports) {
  t.after(() => {
    for (const p of ports) p.close()
  })
}

describe('IpcRenderer#postMessage()', SUITE, () => {
  it("delivers (event, message) to main's listener with the ports as MessagePortMain", async (t) => {
    const { hub, r } = setup(t)
    const { port1, port2 } = new MessageChannel()
    closeAfter(t, port1)
    const arrived = next(hub, 'port')
    r.postMessage('port', 'hi', [port2])
    const [event, msg, extra] = await arrived
    assert.equal(msg, 'hi')
    assert.equal(extra, undefined)
    assert.equal(event.ports.length, 1)
    const [p] = event.ports
    assert.ok(p instanceof EventEmitter)
    closeAfter(t, p)
    // The received end talks to the renderer's kept end, both ways.
    p.start()
    const got = nextMain(p)
    port1.postMessage('from the renderer')
    assert.equal((await got).data, 'from the renderer')
    const back = new Promise((resolve) => {
      port1.onmessage = (ev) => resolve(ev.data)
    })
    p.postMessage('from main')
    assert.equal(await back, 'from main')
  })

  it('without a transfer list gives event.ports deep-equal []', async (t) => {
    const { hub, r } = setup(t)
    const arrived = next(hub, 'port')
    r.postMessage('port', { a: [1] })
    const [event, msg] = await arrived
    assert.deepEqual(msg, { a: [1] })
    assert.deepEqual(event.ports, [])
  })

  it("the same event, ports included, reaches 'ipc-message', wc.ipc and ipcMain", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const { port1, port2 } = new MessageChannel()
    closeAfter(t, port1)
    const seen = []
    wc.on('ipc-message', (event, channel, msg) => seen.push(['wc', event, channel, msg]))
    wc.ipc.on('port', (event, msg) => seen.push(['scope', event, msg]))
    const arrived = next(hub, 'port')
    r.postMessage('port', 'm', [port2])
    const [event] = await arrived
    assert.equal(seen.length, 2)
    assert.equal(seen[0][1], event)
    assert.equal(seen[0][2], 'port')
    assert.equal(seen[1][1], event)
    assert.equal(event.ports.length, 1)
    event.ports[0].close()
  })

  it('keeps the order of sends and postMessages from one renderer', async (t) => {
    const { hub, r } = setup(t)
    const got = []
    const done = new Promise((resolve) => {
      const push = (event, i) => {
        got.push(i)
        if (got.length === 200) resolve()
      }
      hub.on('a', push)
      hub.on('b', push)
    })
    for (let i = 0; i < 200; i++) {
      if (i % 3 === 0) r.postMessage('b', i)
      else r.send('a', i)
    }
    await done
    assert.deepEqual(
      got,
      Array.from({ length: 200 }, (_, i) => i),
    )
  })

  it("throws Electron's errors for a bad transfer list and sends nothing", async (t) => {
    const { hub, r } = setup(t)
    const got = []
    hub.on('port', (event, msg) => got.push(msg))
    for (const bad of [[new ArrayBuffer(10)], [null], [123], null, 'x']) {
      assert.throws(() => r.postMessage('port', 'bad', bad), {
        name: 'TypeError',
        message: 'Invalid value for transfer',
      })
    }
    const { port1, port2 } = new MessageChannel()
    closeAfter(t, port1)
    assert.throws(() => r.postMessage('port', 'dup', [port2, port2]), { name: 'DataCloneError', message: /duplicate/ })
    assert.throws(() => r.postMessage('port', () => 1, [port2]), { message: 'An object could not be cloned.' })
    r.postMessage('port', 'ok', [port2])
    assert.throws(() => r.postMessage('port', 'again', [port2]), {
      name: 'DataCloneError',
      message: /already neutered/,
    })
    const last = next(hub, 'port')
    r.postMessage('port', 'last')
    await last
    assert.deepEqual(got, ['ok', 'last'])
  })

  it('after close() throws as every renderer method does', (t) => {
    const { r } = setup(t)
    r.close()
    assert.throws(() => r.postMessage('port', 1), { message: 'IPC method called after context was released' })
  })
})

describe('WebContents#postMessage()', SUITE, () => {
  it("delivers (event, message) to the renderer's listener with DOM-shaped ports", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const { port1, port2 } = new MessageChannelMain()
    closeAfter(t, port1)
    const arrived = next(r, 'port')
    wc.postMessage('port', { some: 'message' }, [port2])
    const [event, msg] = await arrived
    assert.deepEqual(msg, { some: 'message' })
    assert.equal(event.sender, r)
    assert.equal(event.ports.length, 1)
    const [p] = event.ports
    assert.ok(p instanceof EventTarget)
    closeAfter(t, p)
    // Electron's "can communicate between main and renderer": 42 -> 84.
    p.onmessage = (ev) => p.postMessage(ev.data * 2)
    port1.start()
    const answer = nextMain(port1)
    port1.postMessage(42)
    assert.equal((await answer).data, 84)
  })

  it('without a transfer list gives event.ports deep-equal []', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const arrived = next(r, 'm')
    wc.postMessage('m', 'x')
    const [event, msg] = await arrived
    assert.equal(msg, 'x')
    assert.deepEqual(event.ports, [])
  })

  it('keeps the order of sends and postMessages to one renderer', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const got = []
    const done = new Promise((resolve) => {
      const push = (event, i) => {
        got.push(i)
        if (got.length === 200) resolve()
      }
      r.on('a', push)
      r.on('b', push)
    })
    for (let i = 0; i < 200; i++) {
      if (i % 3 === 0) wc.postMessage('b', i)
      else wc.send('a', i)
    }
    await done
    assert.deepEqual(
      got,
      Array.from({ length: 200 }, (_, i) => i),
    )
  })

  it("throws Electron's errors and sends nothing", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const got = []
    r.on('c', (event, msg) => got.push(msg))
    assert.throws(() => wc.postMessage(), /Insufficient number of arguments/)
    assert.throws(() => wc.postMessage('c'), /Insufficient number of arguments/)
    assert.throws(() => wc.postMessage(null, '', []), /Error processing argument at index 0/)
    assert.throws(() => wc.postMessage('c', () => 1), /An object could not be cloned/)
    for (const bad of [null, [123], [null], [new ArrayBuffer(1)]]) {
      assert.throws(() => wc.postMessage('c', '', bad), { name: 'TypeError', message: 'Invalid value for transfer' })
    }
    const { port1, port2 } = new MessageChannelMain()
    closeAfter(t, port1)
    assert.throws(() => wc.postMessage('c', '', [port1, port1]), /duplicate/)
    wc.postMessage('c', 'moved', [port2])
    assert.throws(() => wc.postMessage('c', '', [port2]), /already neutered/)
    const last = next(r, 'c')
    wc.postMessage('c', 'last')
    await last
    assert.deepEqual(got, ['moved', 'last'])
  })

  it('on a destroyed WebContents throws Object has been destroyed', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    r.close()
    assert.throws(() => wc.postMessage('c', 1), { message: 'Object has been destroyed' })
  })

  it("the renderer's onclose fires when main closes its end", async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const { port1, port2 } = new MessageChannelMain()
    const closed = new Promise((resolve) =>
      r.once('port', (event) => {
        event.ports[0].onclose = () => resolve('closed')
      }),
    )
    wc.postMessage('port', '', [port2])
    port1.close()
    assert.equal(await closed, 'closed')
  })
})

describe('Ports between renderers', SUITE, () => {
  it('a port from one renderer is forwarded by main to another, and the two talk', async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    t.after(() => r2.close())
    const wc2 = await webContentsOf(hub, r2)
    // r1 sends one end to main; main forwards it to r2.
    hub.once('port', (event) => wc2.postMessage('port', '', event.ports))
    const { port1, port2 } = new MessageChannel()
    closeAfter(t, port1)
    r2.once('port', (event) => {
      const [p] = event.ports
      p.onmessage = (ev) => r2.send('message received', ev.data)
      p.postMessage('a message')
    })
    const fromR2 = next(hub, 'message received')
    const atR1 = new Promise((resolve) => {
      port1.onmessage = (ev) => resolve(ev.data)
    })
    r.postMessage('port', '', [port2])
    assert.equal(await atR1, 'a message')
    port1.postMessage('and an answer')
    const [, data] = await fromR2
    assert.equal(data, 'and an answer')
  })

  it('ports travel inside port messages between main and a renderer', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const outer = new MessageChannelMain()
    const inner = new MessageChannelMain()
    closeAfter(t, outer.port1, inner.port1)
    // The renderer gets outer.port2; over it, inner.port2; it answers on that.
    r.once('outer', (event) => {
      const [o] = event.ports
      o.onmessage = (ev) => {
        ev.ports[0].postMessage('matryoshka')
        ev.ports[0].close()
        o.close()
      }
    })
    wc.postMessage('outer', '', [outer.port2])
    outer.port1.postMessage('', [inner.port2])
    inner.port1.start()
    assert.equal((await nextMain(inner.port1)).data, 'matryoshka')
  })
})
