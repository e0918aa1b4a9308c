'use strict'
// Comlink (4.4.2), unmodified, over message ports: main serves or calls an
// API through a MessageChannelMain end, a worker and a child process serve
// one on the DOM-shaped ports they are handed, and a worker calls a child's
// API directly over one channel. Main's MessagePortMain is an EventEmitter
// (as Electron's), so main gives Comlink the usual six-line endpoint over it;
// the renderers' ports are Comlink endpoints as they are.

const assert = require('node:assert/strict')
const path = require('node:path')
const { describe, it, before, after } = require('node:test')
const Comlink = require('comlink')
const { ipcMain, MessageChannelMain } = require('electron')

const RENDERER = path.join(__dirname, 'renderer.js')

/** A Comlink endpoint over a MessagePortMain ('message' events carry `.data`). */
function mainEndpoint(port) {
  return {
    postMessage: (message, transfer) => port.postMessage(message, transfer),
    addEventListener: (type, listener) => port.on(type, listener),
    removeEventListener: (type, listener) => port.off(type, listener),
    start: () => port.start(),
  }
}

/** An API of `wc`'s renderer, called from main over a fresh channel. */
function served(wc) {
  const { port1, port2 } = new MessageChannelMain()
  wc.postMessage('expose', null, [port2])
  return { remote: Comlink.wrap(mainEndpoint(port1)), port: port1 }
}

describe('comlink over MessageChannelMain', () => {
  let worker, child
  const ports = []

  before(async () => {
    worker = await ipcMain.spawnWorker(RENDERER)
    child = await ipcMain.fork(RENDERER)
  })

  after(async () => {
    for (const p of ports) p.close()
    worker.send('quit')
    child.send('quit')
    await worker.worker.terminate()
    child.process.kill()
  })

  for (const kind of ['worker', 'child']) {
    it(`main calls a ${kind}'s API: values, async results, thrown errors`, async () => {
      const { remote, port } = served(kind === 'worker' ? worker : child)
      ports.push(port)
      assert.equal(await remote.add(2, 3), 5)
      assert.equal(await remote.slowUpper('hello'), 'HELLO')
      assert.match(await remote.where(), new RegExp(`^${kind} \\d+$`))
      await assert.rejects(remote.fail(), { name: 'RangeError', message: 'out of range over a port' })
    })
  }

  it("a worker calls a child's API over one channel, main only introducing them", async () => {
    const { port1, port2 } = new MessageChannelMain()
    const results = new Promise((resolve) => ipcMain.once('peer-results', (event, got) => resolve(got)))
    child.postMessage('expose', null, [port1])
    worker.postMessage('call-peer', null, [port2])
    const [sum, upper, where] = await results
    assert.equal(sum, 42)
    assert.equal(upper, 'ACROSS')
    assert.match(where, /^child \d+$/)
  })
})
