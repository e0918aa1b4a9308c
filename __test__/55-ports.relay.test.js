'use strict'

// A child process's port frames are relayed by main's native side
// (src/ports.rs Relay, in the socket read path): two children, or a child
// and a worker, holding the two ends of one channel stream to each other
// while main's JavaScript thread delivers none of it (stats().ports) and no
// 'ipc-message' fires; a child killed mid-stream gives the peer 'close'.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')

const { IpcMain, MessageChannelMain } = require('..')
const { SUITE, agentOf, next } = require('./helpers')

const AGENT = path.join(__dirname, 'fixtures', 'agent.js')

function setup(t) {
  const hub = new IpcMain()
  const children = []
  const workers = []
  const spied = []
  t.after(async () => {
    for (const w of workers) await w.terminate()
    await hub.close()
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })
  const spy = (wc) =>
    wc.on('ipc-message', (_event, channel) => {
      if (channel !== '__result__') spied.push(channel)
    })
  return {
    hub,
    spied,
    async child() {
      const wc = await hub.fork(AGENT)
      children.push(wc.process)
      spy(wc)
      return agentOf(wc)
    },
    async worker() {
      const wc = await hub.spawnWorker(AGENT)
      workers.push(wc.worker)
      spy(wc)
      return agentOf(wc)
    },
  }
}

/** In a renderer: takes the end sent on 'port', streams `n` numbers on it
 * and resolves with whether the peer's `n` came in order. */
function streamer({ ipcRenderer }, n) {
  return new Promise((resolve) => {
    ipcRenderer.once('port', (event) => {
      const [p] = event.ports
      let expect = 0
      let ok = true
      p.onmessage = (ev) => {
        if (ev.data !== expect) ok = false
        if (++expect === n) resolve(ok)
      }
      for (let i = 0; i < n; i++) p.postMessage(i)
    })
    ipcRenderer.send('ready')
  })
}

describe("A child's port traffic is relayed without main's JavaScript", SUITE, () => {
  for (const [name, kinds] of [
    ['two children', ['child', 'child']],
    ['a child and a worker', ['child', 'worker']],
  ]) {
    it(`${name} holding the two ends stream to each other`, async (t) => {
      const s = setup(t)
      const a = await s[kinds[0]]()
      const b = await s[kinds[1]]()
      const N = 500
      const readyA = next(a.wc.ipc, 'ready')
      const readyB = next(b.wc.ipc, 'ready')
      const doneA = a.run(streamer, N)
      const doneB = b.run(streamer, N)
      await Promise.all([readyA, readyB])
      const { port1, port2 } = new MessageChannelMain()
      a.wc.postMessage('port', '', [port1])
      b.wc.postMessage('port', '', [port2])
      const before = s.hub.stats().ports
      assert.deepEqual(await Promise.all([doneA, doneB]), [true, true])
      const after = s.hub.stats().ports
      assert.equal(after.deliveredToJs, before.deliveredToJs, 'main delivered none of it')
      // Each child's N frames were read by its relay (and, to another child,
      // queued by the other's).
      const children = kinds.filter((k) => k === 'child').length
      assert.ok(after.relayed - before.relayed >= N * 2 * (children === 2 ? 2 : 1), JSON.stringify({ before, after }))
      assert.deepEqual(s.spied, ['ready', 'ready'])
    })
  }

  it("a child killed mid-stream gives the other child's port 'close'", async (t) => {
    const s = setup(t)
    const a = await s.child()
    const b = await s.child()
    await a.run(({ ipcRenderer }) => {
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
    await b.run(({ ipcRenderer }) => {
      ipcRenderer.once('port', (event) => {
        const [p] = event.ports
        let got = 0
        p.onmessage = () => {
          if (++got === 20) ipcRenderer.send('streaming')
        }
        p.onclose = () => ipcRenderer.send('closed', got)
      })
    })
    const streaming = next(b.wc.ipc, 'streaming')
    const closed = next(b.wc.ipc, 'closed')
    const { port1, port2 } = new MessageChannelMain()
    a.wc.postMessage('port', '', [port1])
    b.wc.postMessage('port', '', [port2])
    await streaming
    a.wc.process.kill('SIGKILL')
    // The peer's 'close' reaches b (which reports it): that is the check.
    await closed
  })

  it("stats().ports is there with no hub traffic at all", () => {
    const { ports } = new IpcMain().stats()
    assert.equal(typeof ports.relayed, 'number')
    assert.equal(typeof ports.deliveredToJs, 'number')
  })
})
