'use strict'

// A MessagePort inside the message but not in the transfer list throws,
// and nothing is sent or neutered: on a DOM port the DOM's DataCloneError
// (a browser's postMessage); on MessagePortMain, wc.postMessage and
// ipcRenderer.postMessage, Electron's serializer error, `An object could
// not be cloned.` (research/electron-contract.md §10.3).

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')

const { MessageChannelMain, MessageChannel } = require('..')
const { SUITE, setup, webContentsOf, next } = require('./helpers')

const stray = { name: 'DataCloneError', message: 'A MessagePort could not be cloned because it was not transferred.' }
const strayElectron = { name: 'Error', message: 'An object could not be cloned.' }

/** Messages that hide `p` somewhere a structured clone would look. */
const hiding = (p) => [p, { p }, [1, [2, { deep: p }]], new Map([['k', p]]), new Map([[p, 1]]), new Set([p])]

function closeAfter(t, ...ports) {
  t.after(() => {
    for (const p of ports) p.close()
  })
}

describe('A port in the message but not in the transfer list', SUITE, () => {
  it('throws Electron\'s clone error from MessagePortMain#postMessage; nothing sent, nothing neutered', async (t) => {
    const a = new MessageChannelMain()
    const b = new MessageChannelMain()
    closeAfter(t, a.port1, a.port2, b.port1, b.port2)
    const got = []
    a.port2.on('message', (e) => got.push(e.data))
    a.port2.start()
    for (const m of hiding(b.port1)) assert.throws(() => a.port1.postMessage(m), strayElectron)
    // Also when other ports are transferred, and for the source port itself.
    assert.throws(() => a.port1.postMessage({ x: b.port1 }, [b.port2]), strayElectron)
    assert.throws(() => a.port1.postMessage({ self: a.port1 }), strayElectron)
    // b.port2 was not neutered by the failed post: it can still go.
    const last = new Promise((resolve) => a.port2.once('message', resolve))
    a.port1.postMessage('last', [b.port2])
    await last
    assert.deepEqual(got, ['last'])
  })

  it('throws DataCloneError from a DOM MessagePort#postMessage', async (t) => {
    const a = new MessageChannel()
    const b = new MessageChannel()
    closeAfter(t, a.port1, a.port2, b.port1, b.port2)
    for (const m of hiding(b.port1)) assert.throws(() => a.port1.postMessage(m), stray)
    assert.throws(() => a.port1.postMessage({ x: b.port1 }, { transfer: [b.port2] }), stray)
    const got = new Promise((resolve) => {
      a.port2.onmessage = (e) => resolve(e.data)
    })
    // A port that is in the list too is fine.
    a.port1.postMessage('ok', [b.port2])
    assert.equal(await got, 'ok')
  })

  it('throws Electron\'s clone error from wc.postMessage and ipcRenderer.postMessage', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const main = new MessageChannelMain()
    const dom = new MessageChannel()
    closeAfter(t, main.port1, main.port2, dom.port1, dom.port2)
    for (const m of hiding(main.port1)) assert.throws(() => wc.postMessage('c', m), strayElectron)
    assert.throws(() => wc.postMessage('c', { p: main.port1 }, [main.port2]), strayElectron)
    for (const m of hiding(dom.port1)) assert.throws(() => r.postMessage('c', m), strayElectron)
    assert.throws(() => r.postMessage('c', { p: dom.port1 }, [dom.port2]), strayElectron)
    const toR = next(r, 'c')
    const toMain = next(hub, 'c')
    wc.postMessage('c', 'to r', [main.port2])
    r.postMessage('c', 'to main', [dom.port2])
    const [[ev1, m1], [ev2, m2]] = await Promise.all([toR, toMain])
    assert.equal(m1, 'to r')
    assert.equal(m2, 'to main')
    closeAfter(t, ...ev1.ports, ...ev2.ports)
    assert.equal(ev1.ports.length, 1)
    assert.equal(ev2.ports.length, 1)
  })

  it('cyclic messages without ports still go', async (t) => {
    const a = new MessageChannelMain()
    closeAfter(t, a.port1, a.port2)
    const m = { name: 'loop' }
    m.self = m
    a.port2.start()
    const got = new Promise((resolve) => a.port2.once('message', resolve))
    a.port1.postMessage(m)
    const { data } = await got
    assert.equal(data.self, data)
    // A port deep in a large cyclic message is found too.
    const b = new MessageChannelMain()
    closeAfter(t, b.port1, b.port2)
    const root = { kids: [] }
    let at = root
    for (let i = 0; i < 40; i++) {
      const kid = { up: at, root, kids: [] }
      at.kids.push(kid)
      at = kid
    }
    at.kids.push({ port: b.port1 })
    assert.throws(() => a.port1.postMessage(root), strayElectron)
    a.port1.postMessage(root, [b.port1])
  })
})
