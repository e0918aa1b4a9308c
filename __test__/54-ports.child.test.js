'use strict'

// Message ports with child-process renderers (API.md §8): ends handed to a
// forked child keep talking to their peers (through main's port relay,
// src/ports.rs Relay), a worker and a child holding the two ends of one
// channel stream to each other in order, and a child that is killed
// mid-stream closes its ends ('close' on the peer).

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { once } = require('node:events')
const { runInGroup } = require('./process-group')

const { IpcMain, MessageChannelMain } = require('..')
const { SUITE, agentOf, next } = require('./helpers')

const AGENT = path.join(__dirname, 'fixtures', 'agent.js')

const nextMain = (port) => new Promise((resolve) => port.once('message', resolve))

/** A hub whose forked children are killed after the test, then the hub closed. */
function setup(t) {
  const hub = new IpcMain()
  const children = []
  const workers = []
  t.after(async () => {
    for (const w of workers) await w.terminate()
    await hub.close()
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })
  return {
    hub,
    async child() {
      const wc = await hub.fork(AGENT)
      children.push(wc.process)
      return agentOf(wc)
    },
    async worker() {
      const wc = await hub.spawnWorker(AGENT)
      workers.push(wc.worker)
      return agentOf(wc)
    },
  }
}

describe('Message ports with a child-process renderer', SUITE, () => {
  it("wc.postMessage hands a child an end; the child's DOM-shaped port answers", async (t) => {
    const { child } = setup(t)
    const c = await child()
    await c.run(({ ipcRenderer }) => {
      ipcRenderer.once('port', (event) => {
        const [p] = event.ports
        p.onmessage = (ev) => p.postMessage({ doubled: ev.data * 2, at: new Date(3) })
      })
    })
    const { port1, port2 } = new MessageChannelMain()
    t.after(() => port1.close())
    c.wc.postMessage('port', '', [port2])
    port1.start()
    const answer = nextMain(port1)
    port1.postMessage(21)
    const { data } = await answer
    assert.equal(data.doubled, 42)
    assert.equal(data.at.getTime(), 3)
  })

  it('ipcRenderer.postMessage in a child gives main a MessagePortMain that talks to the kept end', async (t) => {
    const { hub, child } = setup(t)
    const c = await child()
    const arrived = next(hub, 'cport')
    await c.run(({ ipcRenderer, ipc }) => {
      const ch = new ipc.MessageChannel()
      ch.port1.onmessage = (ev) => ch.port1.postMessage('pong:' + ev.data)
      ipcRenderer.postMessage('cport', 'take', [ch.port2])
    })
    const [event, msg] = await arrived
    assert.equal(msg, 'take')
    assert.equal(event.ports.length, 1)
    const [p] = event.ports
    t.after(() => p.close())
    p.start()
    const back = nextMain(p)
    p.postMessage('ping')
    assert.equal((await back).data, 'pong:ping')
  })

  it('a worker and a child holding the two ends of one channel stream to each other in order', async (t) => {
    const { worker, child } = setup(t)
    const w = await worker()
    const c = await child()
    const N = 1000
    await w.run(({ ipcRenderer }) => {
      ipcRenderer.once('port', (event) => {
        globalThis.streamPort = event.ports[0]
        globalThis.streamPort.start()
      })
    })
    const summary = c.run(
      ({ ipcRenderer }, n) =>
        new Promise((resolve) => {
          ipcRenderer.once('port', (event) => {
            const [p] = event.ports
            let expect = 0
            let ok = true
            p.onmessage = (ev) => {
              if (ev.data !== expect) ok = false
              expect++
              if (expect === n) {
                p.postMessage('all in')
                resolve(ok)
              }
            }
          })
        }),
      N,
    )
    const { port1, port2 } = new MessageChannelMain()
    w.wc.postMessage('port', '', [port1])
    c.wc.postMessage('port', '', [port2])
    await w.run(() => globalThis.streamPort !== undefined)
    const answer = await w.run(
      (_, n) =>
        new Promise((resolve) => {
          const p = globalThis.streamPort
          p.onmessage = (ev) => resolve(ev.data)
          for (let i = 0; i < n; i++) p.postMessage(i)
        }),
      N,
    )
    assert.equal(answer, 'all in')
    assert.equal(await summary, true)
  })

  it("a child killed mid-stream closes its ends: the peer gets 'close'", async (t) => {
    const { child } = setup(t)
    const c = await child()
    await c.run(({ ipcRenderer }) => {
      ipcRenderer.once('port', (event) => {
        const [p] = event.ports
        let i = 0
        // Streams until it is killed.
        const tick = () => {
          p.postMessage(i++)
          setImmediate(tick)
        }
        tick()
      })
    })
    const { port1, port2 } = new MessageChannelMain()
    const closed = once(port1, 'close')
    let got = 0
    const streaming = new Promise((resolve) =>
      port1.on('message', () => {
        if (++got === 20) resolve()
      }),
    )
    port1.start()
    c.wc.postMessage('port', '', [port2])
    await streaming
    c.wc.process.kill('SIGKILL')
    await closed
    // 'close' is the last thing the port emits.
    const atClose = got
    await new Promise(setImmediate)
    assert.equal(got, atClose)
  })

  it("main closing its end gives the child's port 'close'", async (t) => {
    const { hub, child } = setup(t)
    const c = await child()
    await c.run(({ ipcRenderer }) => {
      ipcRenderer.once('port', (event) => {
        event.ports[0].onclose = () => ipcRenderer.send('child saw close')
      })
    })
    const { port1, port2 } = new MessageChannelMain()
    const saw = next(hub, 'child saw close')
    c.wc.postMessage('port', '', [port2])
    port1.close()
    await saw
  })

  it('ports travel inside port messages to a child and back', async (t) => {
    const { child } = setup(t)
    const c = await child()
    await c.run(({ ipcRenderer }) => {
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
    c.wc.postMessage('outer', '', [outer.port2])
    inner.port1.postMessage('queued before the move')
    outer.port1.postMessage('', [inner.port2])
    inner.port1.start()
    assert.equal((await nextMain(inner.port1)).data, 'matryoshka')
  })
})

describe('examples/ports/main.js', SUITE, () => {
  it('a worker streams to a child over one channel, in order, and everything exits by itself', async (t) => {
    const script = path.join(__dirname, '..', 'examples', 'ports', 'main.js')
    // Its own process group, killed when the test ends (its child too).
    const { code, stdout, stderr } = await runInGroup(t, [script]).exit
    assert.equal(code, 0, stderr)
    assert.ok(stdout.includes('main: the consumer says: 1000 chunks from the producer (a worker), in order'), stdout)
    assert.ok(stdout.includes('main: done'), stdout)
  })
})

describe('Port frames from a child that are not what they claim', SUITE, () => {
  it("are dropped by main's relay with a logged line; main and the child go on", async (t) => {
    // Main runs in its own process: the line is written by Rust, on stderr.
    const script = path.join(__dirname, 'fixtures', 'ports-bad-frames-main.js')
    const { code, stdout, stderr } = await runInGroup(t, [script]).exit
    assert.equal(code, 0, stdout + stderr)
    assert.ok(stdout.includes('main: ok'), stdout + stderr)
    assert.ok(stderr.includes('dropped a port frame from renderer'), stderr)
  })
})
