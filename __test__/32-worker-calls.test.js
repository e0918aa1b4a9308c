'use strict'

// The worker path's cost in napi calls (DESIGN.md "Approved changes":
// one napi call per side per batch). Every method of NativeRenderer (in
// the worker) and NativeHub (here) is wrapped to count its calls while the
// worker makes round trips one at a time; doorbell callbacks are Rust
// calling JS and are not counted. A renderer side that paid a keep-alive
// pair per invoke, or an empty final drain, or a separate flush for main's
// reply, fails these bounds.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')

const { IpcMain } = require('..')
const { NativeHub } = require('../lib/native')
const { agentOf } = require('./helpers')

const AGENT = path.join(__dirname, 'fixtures', 'agent.js')
const ROUNDS = 50

/** Wraps every method of `proto`; returns the counts and an undo. */
function countCalls(proto) {
  const counts = {}
  const saved = []
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name)
    if (name === 'constructor' || typeof d.value !== 'function') continue
    saved.push([name, d])
    const fn = d.value
    Object.defineProperty(proto, name, {
      ...d,
      value: function counted(...args) {
        counts[name] = (counts[name] ?? 0) + 1
        return fn.apply(this, args)
      },
    })
  }
  return {
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    undo: () => {
      for (const [name, d] of saved) Object.defineProperty(proto, name, d)
    },
  }
}

/** Runs `body(ipcRenderer, rounds)` in the worker with NativeRenderer's methods counted. */
function inWorker(agent, body) {
  return agent.run(
    async ({ ipcRenderer, require }, source, rounds) => {
      const proto = require('../../lib/native').NativeRenderer.prototype
      const counts = {}
      const saved = []
      for (const name of Object.getOwnPropertyNames(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, name)
        if (name === 'constructor' || typeof d.value !== 'function') continue
        saved.push([name, d])
        const fn = d.value
        Object.defineProperty(proto, name, {
          ...d,
          value: function counted(...args) {
            counts[name] = (counts[name] ?? 0) + 1
            return fn.apply(this, args)
          },
        })
      }
      // Whatever the agent itself still has queued goes first.
      await new Promise(setImmediate)
      for (const k of Object.keys(counts)) delete counts[k]
      try {
        await (0, eval)(`(${source})`)(ipcRenderer, rounds)
      } finally {
        for (const [name, d] of saved) Object.defineProperty(proto, name, d)
      }
      return counts
    },
    body.toString(),
    ROUNDS,
  )
}

const sum = (counts) => Object.values(counts).reduce((a, b) => a + b, 0)

describe('worker path: napi calls per round trip', () => {
  async function setup(t) {
    const hub = new IpcMain()
    const wc = await hub.spawnWorker(AGENT)
    t.after(async () => {
      await wc.worker.terminate()
      await hub.close()
    })
    return { hub, agent: agentOf(wc) }
  }

  it('an invoke round trip costs at most one call per batch on each side (2 + 2)', async (t) => {
    const { hub, agent } = await setup(t)
    hub.handle('echo', (e, m) => m)
    const main = countCalls(NativeHub.prototype)
    let worker
    try {
      worker = await inWorker(agent, async (ipcRenderer, rounds) => {
        for (let i = 0; i < rounds; i++) {
          const r = await ipcRenderer.invoke('echo', { i, list: [1, 2, 3] })
          if (r.i !== i) throw new Error('wrong answer')
        }
      })
    } finally {
      main.undo()
    }
    // Renderer: the INVOKE's batch handed over, the RESULT's batch drained.
    assert.ok(sum(worker) <= 2 * ROUNDS, `worker side: ${JSON.stringify(worker)}`)
    assert.equal(worker.keepAlive, undefined, 'no keep-alive call per invoke')
    // Main: the INVOKE drained, the RESULT handed over; plus a few calls
    // for the agent's own '__run__' / '__result__' messages around it.
    assert.ok(main.total() <= 2 * ROUNDS + 6, `main side: ${JSON.stringify(main.counts)}`)
  })

  it('a sendSync costs one call on the worker side and two on main', async (t) => {
    const { hub, agent } = await setup(t)
    hub.on('sync', (e, m) => {
      e.returnValue = m * 2
    })
    const main = countCalls(NativeHub.prototype)
    let worker
    try {
      worker = await inWorker(agent, async (ipcRenderer, rounds) => {
        for (let i = 0; i < rounds; i++) {
          if (ipcRenderer.sendSync('sync', i) !== i * 2) throw new Error('wrong answer')
        }
      })
    } finally {
      main.undo()
    }
    assert.deepEqual(worker, { sendSync: ROUNDS })
    assert.ok(main.total() <= 2 * ROUNDS + 6, `main side: ${JSON.stringify(main.counts)}`)
  })

  it('a synchronous burst of sends is handed over in one call', async (t) => {
    const { hub, agent } = await setup(t)
    let got = 0
    const all = new Promise((resolve) =>
      hub.on('burst', () => {
        if (++got === ROUNDS) resolve()
      }),
    )
    const worker = await inWorker(agent, async (ipcRenderer, rounds) => {
      for (let i = 0; i < rounds; i++) ipcRenderer.send('burst', i)
      await null
    })
    await all
    assert.deepEqual(worker, { sendFrames: 1 })
  })
})

describe('worker path: large Buffers', () => {
  it('large Buffers beyond the lending bound (64 MiB held at once) still arrive intact', async (t) => {
    const hub = new IpcMain()
    const wc = await hub.spawnWorker(AGENT)
    t.after(async () => {
      await wc.worker.terminate()
      await hub.close()
    })
    const agent = agentOf(wc)
    const N = 80
    const held = []
    const all = new Promise((resolve) =>
      hub.on('big', (event, buf) => {
        // Kept: none of the views lent so far can be freed.
        held.push(buf)
        if (held.length === N) resolve()
      }),
    )
    await agent.run(({ ipcRenderer }, n) => {
      for (let i = 0; i < n; i++) ipcRenderer.send('big', Buffer.alloc(1024 * 1024, i))
    }, N)
    await all
    for (let i = 0; i < N; i++) {
      assert.ok(Buffer.isBuffer(held[i]), `#${i} is a Buffer`)
      assert.equal(held[i].length, 1024 * 1024)
      assert.equal(held[i][0], i)
      assert.equal(held[i][held[i].length - 1], i)
    }
  })
})

describe('worker path: reused receive buffers', () => {
  it('typed arrays decoded from a message stay intact while later messages arrive', async (t) => {
    const hub = new IpcMain()
    const wc = await hub.spawnWorker(AGENT)
    t.after(async () => {
      await wc.worker.terminate()
      await hub.close()
    })
    const agent = agentOf(wc)
    const N = 200
    const held = []
    const all = new Promise((resolve) =>
      hub.on('typed', (event, i, bytes, floats) => {
        held.push([i, bytes, floats])
        if (held.length === N) resolve()
      }),
    )
    await agent.run(async ({ ipcRenderer }, n) => {
      for (let i = 0; i < n; i++) {
        ipcRenderer.send('typed', i, new Uint8Array(64).fill(i), new Float64Array([i, -i]))
        // Separate batches, so later ones are drained while earlier ones are held.
        if (i % 10 === 9) await new Promise(setImmediate)
      }
    }, N)
    await all
    for (const [i, bytes, floats] of held) {
      assert.ok(bytes instanceof Uint8Array && bytes.every((b) => b === (i & 0xff)), `bytes of #${i}`)
      assert.deepEqual([...floats], [i, -i], `floats of #${i}`)
    }
  })
})

describe('worker path: both doorbells', () => {
  // A whole program: a worker invokes, sendSyncs and sends, main answers;
  // both then end by themselves. Run with each kind of doorbell.
  const program = `
    const { isMainThread } = require('node:worker_threads')
    const { IpcMain, ipcRenderer } = require(${JSON.stringify(path.join(__dirname, '..'))})
    if (isMainThread) {
      const hub = new IpcMain()
      hub.handle('add', (e, a, b) => a + b)
      hub.on('sync', (e, v) => { e.returnValue = v * 2 })
      hub.on('done', (e, sum, twice) => console.log(JSON.stringify([sum, twice])))
      hub.spawnWorker(__filename)
    } else {
      ipcRenderer.invoke('add', 2, 3).then((sum) => ipcRenderer.send('done', sum, ipcRenderer.sendSync('sync', 21)))
    }
  `
  for (const doorbell of ['uv', 'tsfn']) {
    it(`with IPC_MAIN_DOORBELL=${doorbell}: the traffic flows and the process exits by itself`, () => {
      const fs = require('node:fs')
      const os = require('node:os')
      const { spawnSync } = require('node:child_process')
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-doorbell-'))
      try {
        const file = path.join(dir, 'program.js')
        fs.writeFileSync(file, program)
        const r = spawnSync(process.execPath, [file], {
          env: { ...process.env, IPC_MAIN_DOORBELL: doorbell },
          encoding: 'utf8',
          timeout: 15_000,
        })
        assert.equal(r.error, undefined, 'it ended within the time limit')
        assert.equal(r.status, 0, r.stderr)
        assert.equal(r.stdout.trim(), '[5,42]')
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    })
  }
})

describe('worker path: reused receive buffers, message ports', () => {
  it('typed arrays posted on a port from a worker stay intact while later posts arrive', async (t) => {
    const hub = new IpcMain()
    const wc = await hub.spawnWorker(AGENT)
    t.after(async () => {
      await wc.worker.terminate()
      await hub.close()
    })
    const agent = agentOf(wc)
    const N = 200
    const held = []
    const all = new Promise((resolve) =>
      hub.once('port', (event) => {
        const port = event.ports[0]
        port.on('message', ({ data }) => {
          held.push(data)
          if (held.length === N) resolve()
        })
        port.start()
      }),
    )
    await agent.run(async ({ ipcRenderer, require }, n) => {
      const { MessageChannel } = require('../..')
      const { port1, port2 } = new MessageChannel()
      ipcRenderer.postMessage('port', null, [port2])
      for (let i = 0; i < n; i++) {
        port1.postMessage({ i, bytes: new Uint8Array(64).fill(i) })
        if (i % 10 === 9) await new Promise(setImmediate)
      }
    }, N)
    await all
    for (const { i, bytes } of held) {
      assert.ok(bytes instanceof Uint8Array && bytes.every((b) => b === (i & 0xff)), `bytes of #${i}`)
    }
  })
})
