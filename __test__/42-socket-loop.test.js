'use strict'

// Sockets read on the owning JS thread's own loop (DESIGN.md "Approved
// changes"): a child's sendSync reads its socket itself, blocking, and must
// keep every other frame that arrives meanwhile in order; the frames of a
// connection adopted by main's loop arrive in order; a socket polled from a
// worker's loop is closed with that worker (a libuv handle left open there
// aborts the process); listen({ maxQueueBytes }) is validated.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { once } = require('node:events')

const { IpcMain } = require('..')
const { SUITE, agentOf } = require('./helpers')

const AGENT = path.join(__dirname, 'fixtures', 'agent.js')
const ROOT = path.join(__dirname, '..')

/** Whether process `pid` has ended (a zombie nobody reaps counts). */
function isGone(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z'
  } catch {
    return true
  }
}

function setup(t) {
  const hub = new IpcMain()
  const children = []
  t.after(async () => {
    await hub.close()
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })
  async function forkAgent() {
    const wc = await hub.fork(AGENT)
    children.push(wc.process)
    return agentOf(wc)
  }
  return { hub, forkAgent }
}

describe('a socket renderer reading on its own loop', SUITE, () => {
  it('frames main sends around a sendSync reply reach the child in order, after sendSync returns', async (t) => {
    const { hub, forkAgent } = setup(t)
    const agent = await forkAgent()
    // Large enough that the child's blocking read takes several reads and
    // waits for the bytes before the reply.
    const pad = 'x'.repeat(300 * 1024)
    hub.on('ask', (event) => {
      const wc = event.sender
      wc.send('a', 1, pad)
      wc.send('b', 2)
      wc.send('a', 3)
      event.returnValue = 'answer'
      wc.send('b', 4, pad)
      wc.send('a', 5)
      // After the reply is written, through the child's poll.
      setImmediate(() => {
        wc.send('b', 6)
        wc.send('done')
      })
    })
    const seen = await agent.run(async ({ ipcRenderer }) => {
      const seen = []
      const record = (event, i, padding) => seen.push([i, padding === undefined ? 0 : padding.length])
      ipcRenderer.on('a', record)
      ipcRenderer.on('b', record)
      const done = new Promise((resolve) => ipcRenderer.once('done', resolve))
      const answer = ipcRenderer.sendSync('ask')
      seen.push(['returned', answer])
      await done
      ipcRenderer.removeAllListeners('a')
      ipcRenderer.removeAllListeners('b')
      return seen
    })
    const big = 300 * 1024
    assert.deepEqual(seen, [
      ['returned', 'answer'],
      [1, big],
      [2, 0],
      [3, 0],
      [4, big],
      [5, 0],
      [6, 0],
    ])
  })

  it('many sendSync calls, each answered amid a burst of sends both ways, keep every sequence in order', async (t) => {
    const { hub, forkAgent } = setup(t)
    const agent = await forkAgent()
    const fromChild = []
    hub.on('n', (event, i) => fromChild.push(i))
    hub.on('sync', (event, i) => {
      for (let k = 0; k < 5; k++) event.sender.send('m', i * 10 + k)
      event.returnValue = -i
      for (let k = 5; k < 10; k++) event.sender.send('m', i * 10 + k)
    })
    const out = await agent.run(async ({ ipcRenderer }, n) => {
      const got = []
      ipcRenderer.on('m', (event, v) => got.push(v))
      const answers = []
      for (let i = 0; i < n; i++) {
        ipcRenderer.send('n', i)
        answers.push(ipcRenderer.sendSync('sync', i))
      }
      // Everything main sent came before the last reply: one turn delivers it.
      while (got.length < n * 10) await new Promise(setImmediate)
      ipcRenderer.removeAllListeners('m')
      return { got, answers }
    }, 200)
    assert.deepEqual(fromChild, Array.from({ length: 200 }, (_, i) => i))
    assert.deepEqual(
      out.answers,
      Array.from({ length: 200 }, (_, i) => -i),
    )
    assert.deepEqual(
      out.got,
      Array.from({ length: 2000 }, (_, i) => i),
    )
  })
})

describe("close() and what is still in a renderer's socket", SUITE, () => {
  it('messages a child wrote before main (busy, reading nothing) calls close() are delivered inside close()', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-test-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const flag = path.join(dir, 'flag')
    const got = []
    hub.on('m', (event, i) => got.push(i))
    const hello = once(hub, 'hello')
    const wc = await hub.fork(path.join(__dirname, 'fixtures', 'send-then-flag.js'), [flag, '50'])
    t.after(() => wc.process.kill('SIGKILL'))
    await hello
    wc.send('go')
    await new Promise(setImmediate)
    // Main's thread does not return to its loop: the child's messages stay
    // in the socket until close() reads them.
    const until = Date.now() + 15_000
    while (!fs.existsSync(flag) && Date.now() < until);
    assert.ok(fs.existsSync(flag), 'the child never wrote its messages')
    assert.deepEqual(got, [])
    const closed = hub.close()
    assert.deepEqual(
      got,
      Array.from({ length: 50 }, (_, i) => i),
    )
    await closed
  })
})

describe('a socket polled from a worker thread', SUITE, () => {
  it("a worker connected through connect() is terminated mid-stream: main gets 'destroyed', nothing crashes", async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const { address, token } = await hub.listen()
    let wc = null
    const arrived = new Promise((resolve) => hub.once('tick', (event) => resolve((wc = event.sender))))
    const worker = new Worker(
      `
      const { connect } = require(${JSON.stringify(ROOT)})
      const { workerData } = require('node:worker_threads')
      connect(workerData.address, { token: workerData.token }).then((r) => {
        r.on('m', () => {})
        const tick = () => { r.send('tick'); setTimeout(tick, 1) }
        tick()
      })
      `,
      { eval: true, workerData: { address, token } },
    )
    await arrived
    const destroyed = once(wc, 'destroyed')
    // Main floods it too, so its poll is busy when the worker goes.
    for (let i = 0; i < 200; i++) wc.send('m', i)
    await worker.terminate()
    await destroyed
    assert.equal(wc.isDestroyed(), true)
  })

  it('a hub listening in a worker, with a child connected, is terminated: the child sees the disconnect', async (t) => {
    const worker = new Worker(
      `
      const { IpcMain } = require(${JSON.stringify(ROOT)})
      const { parentPort } = require('node:worker_threads')
      const hub = new IpcMain()
      hub.on('hello', (event) => parentPort.postMessage({ pid: event.sender.process.pid }))
      hub.fork(${JSON.stringify(path.join(__dirname, 'fixtures', 'socket-loop-child.js'))})
      `,
      { eval: true },
    )
    const [{ pid }] = await once(worker, 'message')
    t.after(() => {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
    })
    await worker.terminate()
    // The child exits by itself once it hears main is gone (see the fixture).
    // Nobody reaps it (its ChildProcess lived in the worker): a zombie is gone.
    while (!isGone(pid)) await new Promise((resolve) => setTimeout(resolve, 20))
  })
})

describe('listen({ maxQueueBytes })', SUITE, () => {
  it('rejects a wrong type with a TypeError and a bad value with a RangeError, and does not listen', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    for (const bad of ['64', null, {}, 1n]) {
      await assert.rejects(() => hub.listen({ maxQueueBytes: bad }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
    for (const bad of [0, -1, 1023, 1.5 * 1024 + 0.5, NaN, -Infinity]) {
      await assert.rejects(() => hub.listen({ maxQueueBytes: bad }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    }
    assert.equal(hub.address, null)
    const { address } = await hub.listen({ maxQueueBytes: 1024 })
    assert.equal(hub.address, address)
  })

  it('Infinity turns the bound off: a child still gets every message through', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    await hub.listen({ maxQueueBytes: Infinity })
    const wc = await hub.fork(path.join(__dirname, 'fixtures', 'socket-loop-child.js'))
    t.after(() => wc.process.kill('SIGKILL'))
    const [, pid] = await once(hub, 'hello')
    assert.equal(pid, wc.process.pid)
  })
})
