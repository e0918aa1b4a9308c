'use strict'

// Message ports with worker renderers (API.md §8): ends handed to other
// threads keep talking to their peers, through the Rust port table
// (src/ports.rs), worker to worker without main's JavaScript; holders that
// go away close their ends; a started, listened-to port keeps its worker
// alive, and only then.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { once } = require('node:events')

const { IpcMain, MessageChannelMain } = require('..')
const portsModule = require('../lib/ports')
const { SUITE, agentOf, next } = require('./helpers')

const AGENT = path.join(__dirname, 'fixtures', 'agent.js')

const nextMain = (port) => new Promise((resolve) => port.once('message', resolve))

async function spawn(t, hub) {
  const wc = await hub.spawnWorker(AGENT)
  t.after(() => wc.worker.terminate())
  return agentOf(wc)
}

function hubOf(t) {
  const hub = new IpcMain()
  t.after(() => hub.close())
  return hub
}

/** In the worker: the next 'port' message's port doubles what it gets. */
function doubler({ ipcRenderer }) {
  ipcRenderer.once('port', (event, msg) => {
    const [p] = event.ports
    p.onmessage = (ev) => p.postMessage(ev.data * 2)
    if (msg === 'close-when-done') p.addEventListener('close', () => p.close())
  })
}

describe('Message ports with a worker renderer', SUITE, () => {
  it("wc.postMessage hands a worker an end; the worker's DOM-shaped port answers main", async (t) => {
    const hub = hubOf(t)
    const w = await spawn(t, hub)
    await w.run(doubler)
    const { port1, port2 } = new MessageChannelMain()
    t.after(() => port1.close())
    w.wc.postMessage('port', '', [port2])
    port1.start()
    const answer = nextMain(port1)
    port1.postMessage(21)
    assert.equal((await answer).data, 42)
  })

  it('ipcRenderer.postMessage in a worker gives main a MessagePortMain that talks to the kept end', async (t) => {
    const hub = hubOf(t)
    const w = await spawn(t, hub)
    const arrived = next(hub, 'wport')
    await w.run(({ ipcRenderer, ipc }) => {
      const c = new ipc.MessageChannel()
      c.port1.onmessage = (ev) => c.port1.postMessage({ echoed: ev.data, d: new Date(7) })
      ipcRenderer.postMessage('wport', 'take', [c.port2])
    })
    const [event, msg] = await arrived
    assert.equal(msg, 'take')
    assert.equal(event.ports.length, 1)
    const [p] = event.ports
    t.after(() => p.close())
    p.start()
    const back = nextMain(p)
    p.postMessage(new Map([[1, 2]]))
    const { data } = await back
    assert.deepEqual(data.echoed, new Map([[1, 2]]))
    assert.equal(data.d.getTime(), 7)
  })

  it('two workers holding the two ends talk in order, without main being woken', async (t) => {
    const hub = hubOf(t)
    const w1 = await spawn(t, hub)
    const w2 = await spawn(t, hub)
    const N = 2000
    // w2 checks the order and reports once, through ipc.
    await w2.run(
      ({ ipcRenderer }, n) => {
        ipcRenderer.once('port', (event) => {
          const [p] = event.ports
          let expect = 0
          let ok = true
          p.onmessage = (ev) => {
            if (ev.data !== expect) ok = false
            expect++
            if (expect === n) {
              p.postMessage('all in')
              ipcRenderer.send('w2-done', ok)
            }
          }
        })
      },
      N,
    )
    await w1.run(({ ipcRenderer }) => {
      ipcRenderer.once('port', (event) => {
        globalThis.streamPort = event.ports[0]
        globalThis.streamPort.start()
      })
    })
    const { port1, port2 } = new MessageChannelMain()
    w1.wc.postMessage('port', '', [port1])
    w2.wc.postMessage('port', '', [port2])
    // Both ends arrived (a round trip to each worker follows its postMessage).
    await w1.run(() => globalThis.streamPort !== undefined)
    await w2.run(() => true)
    const before = portsModule.counters.hostFrames
    const done = next(hub, 'w2-done')
    const answer = await w1.run(
      (_, n) =>
        new Promise((resolve) => {
          const p = globalThis.streamPort
          p.onmessage = (ev) => resolve(ev.data)
          for (let i = 0; i < n; i++) p.postMessage(i)
        }),
      N,
    )
    const [, inOrder] = await done
    assert.equal(answer, 'all in')
    assert.equal(inOrder, true)
    // No port frame reached main's thread while the workers streamed.
    assert.equal(portsModule.counters.hostFrames, before)
  })

  it("forwards a worker's port to another worker (Electron's forwarding spec)", async (t) => {
    const hub = hubOf(t)
    const w1 = await spawn(t, hub)
    const w2 = await spawn(t, hub)
    hub.once('port', (event) => w2.wc.postMessage('port', '', event.ports))
    await w2.run(({ ipcRenderer }) => {
      ipcRenderer.once('port', (event) => event.ports[0].postMessage('a message'))
    })
    const relayed = next(hub, 'message received')
    await w1.run(({ ipcRenderer, ipc }) => {
      const c = new ipc.MessageChannel()
      c.port1.onmessage = (ev) => {
        ipcRenderer.send('message received', ev.data)
        c.port1.close()
      }
      ipcRenderer.postMessage('port', '', [c.port2])
    })
    const [, data] = await relayed
    assert.equal(data, 'a message')
  })

  it('ports travel inside port messages across threads', async (t) => {
    const hub = hubOf(t)
    const w = await spawn(t, hub)
    await w.run(({ ipcRenderer }) => {
      ipcRenderer.once('outer', (event) => {
        const [o] = event.ports
        o.onmessage = (ev) => {
          ev.ports[0].postMessage('matryoshka')
          o.close()
        }
      })
    })
    const outer = new MessageChannelMain()
    const inner = new MessageChannelMain()
    t.after(() => inner.port1.close())
    w.wc.postMessage('outer', '', [outer.port2])
    // Messages queued at inner.port2 travel with it.
    inner.port1.postMessage('queued before the move')
    outer.port1.postMessage('', [inner.port2])
    inner.port1.start()
    assert.equal((await nextMain(inner.port1)).data, 'matryoshka')
  })

  it("a worker that is terminated closes its ends: the peer gets 'close'", async (t) => {
    const hub = hubOf(t)
    const w = await spawn(t, hub)
    await w.run(doubler)
    const { port1, port2 } = new MessageChannelMain()
    w.wc.postMessage('port', '', [port2])
    port1.start()
    const answer = nextMain(port1)
    port1.postMessage(1)
    await answer
    const closed = once(port1, 'close')
    await w.wc.worker.terminate()
    await closed
  })

  it("main closing its end gives the worker's port 'close'", async (t) => {
    const hub = hubOf(t)
    const w = await spawn(t, hub)
    await w.run(({ ipcRenderer }) => {
      ipcRenderer.once('port', (event) => {
        event.ports[0].onclose = () => ipcRenderer.send('worker saw close')
      })
    })
    const { port1, port2 } = new MessageChannelMain()
    const saw = next(hub, 'worker saw close')
    w.wc.postMessage('port', '', [port2])
    port1.close()
    await saw
  })

  it('a started, listened-to port keeps its worker alive; once it closes the worker can exit', async (t) => {
    const hub = hubOf(t)
    const w = await spawn(t, hub)
    await w.run(doubler)
    const { port1, port2 } = new MessageChannelMain()
    w.wc.postMessage('port', 'close-when-done', [port2])
    port1.start()
    let exited = false
    w.wc.worker.once('exit', () => {
      exited = true
    })
    // The agent lets go of everything of its own: only the port holds the worker.
    w.quit()
    for (let i = 1; i <= 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      const answer = nextMain(port1)
      port1.postMessage(i)
      assert.equal((await answer).data, i * 2)
    }
    assert.equal(exited, false)
    const gone = once(w.wc.worker, 'exit')
    port1.close()
    await gone
  })
})
