'use strict'

// Renderers on worker_threads: ipcMain.spawnWorker(), connect(threadAddress)
// (API.md §2 "spawnWorker", §3, §4, §5, §6 lifetimes; issue "Workers").
//
// Most tests drive one generic fixture, fixtures/agent.js: main sends
// it a function (as source text) to run inside the worker and gets the
// function's result back, so the worker-side code of each test is written
// next to its assertions. Functions passed to `run` are evaluated in the
// worker: they see only their parameters, not this file's closure.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { once } = require('node:events')
const { pathToFileURL } = require('node:url')
const { spawnSync } = require('node:child_process')
const { Worker } = require('node:worker_threads')

const { IpcMain, webContents } = require('..')
const { SUITE, next, flush, spy, agentOf } = require('./helpers')
// The whole hub going away (process exit, a main that is gone): internal,
// since ipcMain.close() is only about the socket and leaves workers connected.
const { shutdown } = require('../lib/ipc-main')

const fixture = (name) => path.join(__dirname, 'fixtures', name)
const AGENT = fixture('agent.js')
const CLONE_FAILED = 'An object could not be cloned.'
const DESTROYED = 'Object has been destroyed'
const range = (n) => Array.from({ length: n }, (_, i) => i)

/**
 * A fresh hub; every worker spawned through `spawn` is terminated after the
 * test, then the hub is closed (one hook, so the order is fixed).
 */
function setup(t) {
  const hub = new IpcMain()
  const workers = []
  t.after(async () => {
    await Promise.all(workers.map((w) => w.terminate()))
    await hub.close()
  })
  async function spawn(filename, options) {
    const wc = await hub.spawnWorker(filename, options)
    workers.push(wc.worker)
    return wc
  }
  return { hub, spawn }
}

async function spawnAgent(spawn, options) {
  return agentOf(await spawn(AGENT, options))
}

/** Lets everything the hub has queued run: an in-process round trip, then a turn of the loop. */
async function settle(hub) {
  const r = hub.createRenderer()
  hub.handleOnce('__barrier__', () => null)
  await r.invoke('__barrier__')
  await flush(hub, r)
  await new Promise(setImmediate)
  r.close()
}

/**
 * Resolves with the worker's exit code. (Not events.once: that rejects if the
 * Worker emits 'error' first.)
 */
function exitOf(worker) {
  return new Promise((resolve) => worker.once('exit', resolve))
}

/** Resolves when `wc` is destroyed (at once if it already is). */
function destroyedOf(wc) {
  return wc.isDestroyed() ? Promise.resolve() : new Promise((resolve) => wc.once('destroyed', resolve))
}

describe('ipcMain.spawnWorker()', SUITE, () => {
  it('resolves with the WebContents of the worker: worker, id, URL, pid, identity', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const { wc } = agent
    assert.ok(wc.worker instanceof Worker)
    assert.ok(Number.isInteger(wc.id) && wc.id > 0)
    assert.equal(wc.getURL(), pathToFileURL(AGENT).href)
    assert.equal(wc.getOSProcessId(), process.pid)
    assert.equal(wc.getProcessId(), process.pid)
    assert.equal(wc.isDestroyed(), false)
    assert.equal(wc.isCrashed(), false)
    assert.equal(webContents.fromId(wc.id), wc)
    assert.equal(webContents.getAllWebContents().filter((c) => c === wc).length, 1)

    const arrived = next(hub, 'hello')
    await agent.run(({ ipcRenderer }) => ipcRenderer.send('hello', 1))
    const [event, arg] = await arrived
    assert.equal(arg, 1)
    assert.equal(event.type, 'frame')
    assert.equal(event.sender, wc)
    assert.equal(event.processId, process.pid)
    assert.ok(Number.isInteger(event.frameId))
    assert.equal(event.senderFrame.processId, process.pid)
    assert.equal(event.senderFrame.routingId, event.frameId)
    assert.deepEqual(event.ports, [])

    let invokeEvent
    hub.handleOnce('who', (e) => {
      invokeEvent = e
      return 'me'
    })
    assert.equal(await agent.run(({ ipcRenderer }) => ipcRenderer.invoke('who')), 'me')
    assert.equal(invokeEvent.sender, wc)
    assert.equal(invokeEvent.frameId, event.frameId)
    assert.equal(invokeEvent.processId, process.pid)
  })

  it("passes workerData, argv and env through; the worker's process.argv[1] is the entry script", async (t) => {
    const { spawn } = setup(t)
    const workerData = { n: 1, when: new Date(5), map: new Map([['k', 'v']]) }
    const agent = await spawnAgent(spawn, {
      workerData,
      argv: ['--flag', 'value', 7],
      env: { ...process.env, IPC_MAIN_TEST_VAR: 'from-main' },
    })
    const info = await agent.run(({ require }) => {
      const wt = require('node:worker_threads')
      return {
        workerData: wt.workerData,
        argv: process.argv.slice(2),
        argv1: process.argv[1],
        isMainThread: wt.isMainThread,
        threadId: wt.threadId,
        env: process.env.IPC_MAIN_TEST_VAR,
      }
    })
    assert.deepEqual(info.workerData, workerData)
    assert.deepEqual(info.argv, ['--flag', 'value', '7'])
    assert.equal(info.argv1, AGENT)
    assert.equal(info.isMainThread, false)
    assert.equal(info.threadId, agent.wc.worker.threadId)
    assert.equal(info.env, 'from-main')
  })

  it('with no options the worker sees no extra arguments and no workerData', async (t) => {
    const { spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const info = await agent.run(({ require }) => ({
      argv: process.argv.slice(2),
      noWorkerData: require('node:worker_threads').workerData === undefined,
    }))
    assert.deepEqual(info, { argv: [], noWorkerData: true })
  })

  it('two workers get different WebContents, ids and frameIds, and keep their own messages apart', async (t) => {
    const { hub, spawn } = setup(t)
    const [a, b] = await Promise.all([spawnAgent(spawn), spawnAgent(spawn)])
    assert.notEqual(a.wc, b.wc)
    assert.notEqual(a.wc.id, b.wc.id)
    const events = []
    hub.on('who', (event, name) => events.push([event, name]))
    await a.run(({ ipcRenderer }) => ipcRenderer.send('who', 'a'))
    await b.run(({ ipcRenderer }) => ipcRenderer.send('who', 'b'))
    await a.run(({ ipcRenderer }) => ipcRenderer.send('who', 'a'))
    const [ea, eb, ea2] = events.map(([e]) => e)
    assert.deepEqual(
      events.map(([, name]) => name),
      ['a', 'b', 'a'],
    )
    assert.equal(ea.sender, a.wc)
    assert.equal(eb.sender, b.wc)
    assert.notEqual(ea.frameId, eb.frameId)
    assert.equal(ea.frameId, ea2.frameId)
    assert.equal(ea.processId, eb.processId)

    // main -> worker goes to that worker only
    const seen = async (agent) =>
      agent.run(({ ipcRenderer }) => {
        globalThis.downs = []
        ipcRenderer.on('down', (event, v) => globalThis.downs.push(v))
      })
    await seen(a)
    await seen(b)
    a.wc.send('down', 'for a')
    b.wc.send('down', 'for b')
    // main -> one worker is ordered, so a later __run__ sees the earlier 'down'
    assert.deepEqual(await a.run(() => globalThis.downs), ['for a'])
    assert.deepEqual(await b.run(() => globalThis.downs), ['for b'])
  })

  it('rejects with a TypeError for a filename that is neither a string nor a URL', async (t) => {
    const { hub } = setup(t)
    await assert.rejects(hub.spawnWorker(42), { name: 'TypeError' })
  })
})

describe('worker -> main', SUITE, () => {
  it("send delivers (event, ...args) to main's listeners, wc 'ipc-message' and wc.ipc", async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const order = []
    agent.wc.on('ipc-message', (event, channel, ...args) => {
      if (channel === 'ch') order.push(['ipc-message', event, args])
    })
    agent.wc.ipc.on('ch', (event, ...args) => order.push(['wc.ipc', event, args]))
    const arrived = new Promise((resolve) =>
      hub.on('ch', (event, ...args) => {
        order.push(['hub', event, args])
        resolve()
      }),
    )
    await agent.run(({ ipcRenderer }) => ipcRenderer.send('ch', 'a', 2, [3], { b: null }))
    await arrived
    assert.deepEqual(
      order.map(([level]) => level),
      ['ipc-message', 'wc.ipc', 'hub'],
    )
    for (const [, event, args] of order) {
      assert.equal(event, order[0][1], 'one and the same event object at every level')
      assert.deepEqual(args, ['a', 2, [3], { b: null }])
    }
  })

  it('sendSync returns the value a listener assigns to event.returnValue', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const seen = []
    agent.wc.on('ipc-message-sync', (event, channel, ...args) => seen.push([channel, args]))
    hub.on('echo', (event, a, b) => {
      event.returnValue = { sum: a + b }
      event.returnValue = 'ignored'
    })
    const value = await agent.run(({ ipcRenderer }) => ipcRenderer.sendSync('echo', 1, 2))
    assert.deepEqual(value, { sum: 3 })
    assert.deepEqual(seen, [['echo', [1, 2]]])
  })

  it('sendSync waits for an async listener that assigns after an await', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    hub.on('later', async (event, v) => {
      await new Promise(setImmediate)
      await Promise.resolve()
      event.returnValue = `late ${v}`
    })
    assert.equal(await agent.run(({ ipcRenderer }) => ipcRenderer.sendSync('later', 1)), 'late 1')
  })

  it('sendSync returns undefined once the listeners returned and their promises settled without an assignment', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const calls = spy()
    hub.on('none', calls)
    hub.on('none', async () => {
      await new Promise(setImmediate)
      calls()
    })
    const result = await agent.run(({ ipcRenderer }) => {
      const v = ipcRenderer.sendSync('none')
      return { isUndefined: v === undefined }
    })
    assert.deepEqual(result, { isUndefined: true })
    assert.equal(calls.calls.length, 2)
  })

  it('sendSync with no listener returns undefined and main warns with Electron\'s text', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const warn = t.mock.method(console, 'warn', () => {})
    const result = await agent.run(({ ipcRenderer }) => ({
      isUndefined: ipcRenderer.sendSync('lonely', 1) === undefined,
    }))
    assert.deepEqual(result, { isUndefined: true })
    assert.equal(warn.mock.callCount(), 1)
    assert.deepEqual(warn.mock.calls[0].arguments, [
      `WebContents #${agent.wc.id} called ipcRenderer.sendSync() with 'lonely' channel without listeners.`,
    ])
    assert.equal(hub.listenerCount('lonely'), 0)
  })

  it("invoke resolves with the handler's (async) result", async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    hub.handle('double', async (event, n) => {
      await new Promise(setImmediate)
      return { doubled: n * 2 }
    })
    hub.handle('nothing', () => {})
    const result = await agent.run(async ({ ipcRenderer }) => {
      const a = await ipcRenderer.invoke('double', 21)
      const b = await ipcRenderer.invoke('nothing')
      const all = await Promise.all([1, 2, 3].map((i) => ipcRenderer.invoke('double', i)))
      return { a, bIsUndefined: b === undefined, all }
    })
    assert.deepEqual(result, {
      a: { doubled: 42 },
      bIsUndefined: true,
      all: [{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }],
    })
  })

  it("invoke rejects with Electron's texts: no handler, a throwing handler, a rejecting handler", async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    t.mock.method(console, 'error', () => {})
    hub.handle('throws', () => {
      throw new Error('boom')
    })
    hub.handle('rejects', () => Promise.reject('plain string'))
    hub.handle('type-error', () => {
      throw new TypeError('bad type')
    })
    const result = await agent.run(async ({ ipcRenderer }) => {
      const out = {}
      for (const ch of ['nope', 'throws', 'rejects', 'type-error']) {
        try {
          out[ch] = ['resolved', await ipcRenderer.invoke(ch)]
        } catch (err) {
          out[ch] = [err.name, err.message, err instanceof Error]
        }
      }
      return out
    })
    assert.deepEqual(result, {
      nope: ['Error', "Error invoking remote method 'nope': Error: No handler registered for 'nope'", true],
      throws: ['Error', "Error invoking remote method 'throws': Error: boom", true],
      rejects: ['Error', "Error invoking remote method 'rejects': plain string", true],
      'type-error': ['Error', "Error invoking remote method 'type-error': TypeError: bad type", true],
    })
  })
})

describe('main -> worker', SUITE, () => {
  it("wc.send reaches the worker's listeners with an IpcRendererEvent { sender: ipcRenderer, senderId: 0, ports: [] }", async (t) => {
    const { spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    await agent.run(({ ipcRenderer }) => {
      globalThis.got = new Promise((resolve) =>
        ipcRenderer.once('down', (event, ...args) =>
          resolve({
            args,
            senderIsIpcRenderer: event.sender === ipcRenderer,
            senderId: event.senderId,
            ports: event.ports,
          }),
        ),
      )
    })
    agent.wc.send('down', 'a', { b: 2 }, undefined)
    assert.deepEqual(await agent.run(() => globalThis.got), {
      args: ['a', { b: 2 }, undefined],
      senderIsIpcRenderer: true,
      senderId: 0,
      ports: [],
    })
  })

  it('event.reply, event.sender.send and event.senderFrame.send reach the sending worker', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    hub.on('ping', (event, how) => {
      if (how === 'reply') event.reply('pong', how)
      if (how === 'sender') event.sender.send('pong', how)
      if (how === 'frame') event.senderFrame.send('pong', how)
    })
    const result = await agent.run(async ({ ipcRenderer }) => {
      const out = []
      for (const how of ['reply', 'sender', 'frame']) {
        const pong = new Promise((resolve) => ipcRenderer.once('pong', (event, v) => resolve(v)))
        ipcRenderer.send('ping', how)
        out.push(await pong)
      }
      return out
    })
    assert.deepEqual(result, ['reply', 'sender', 'frame'])
  })

  it('event.reply from a sendSync listener arrives after sendSync returned', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    hub.on('sync', (event) => {
      event.reply('later', 'replied')
      event.returnValue = 'now'
    })
    const result = await agent.run(async ({ ipcRenderer }) => {
      const later = new Promise((resolve) => ipcRenderer.once('later', (event, v) => resolve(v)))
      const now = ipcRenderer.sendSync('sync')
      return [now, await later]
    })
    assert.deepEqual(result, ['now', 'replied'])
  })
})

describe('structured clone across the thread', SUITE, () => {
  it('worker -> main: Date, Map, Set, BigInt, RegExp, Buffer/Uint8Array bytes, undefined, NaN, -0, Error, cycles', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const arrived = next(hub, 'values')
    await agent.run(({ ipcRenderer }) => {
      const cyclic = { name: 'root' }
      cyclic.self = cyclic
      cyclic.list = [cyclic]
      ipcRenderer.send(
        'values',
        new Date(1234),
        new Map([['k', { v: 1 }]]),
        new Set([1, 'two']),
        2n ** 70n,
        /ab+c/gi,
        Buffer.from([1, 2, 3]),
        new Uint8Array([250, 0, 7]),
        undefined,
        NaN,
        -0,
        new RangeError('out of range'),
        cyclic,
        { u: undefined, nested: [undefined, null] },
      )
    })
    const [, date, map, set, big, re, buf, u8, undef, nan, negZero, err, cyclic, withUndefined] = await arrived
    assert.ok(date instanceof Date)
    assert.equal(date.getTime(), 1234)
    assert.ok(map instanceof Map)
    assert.deepEqual([...map], [['k', { v: 1 }]])
    assert.ok(set instanceof Set)
    assert.deepEqual([...set], [1, 'two'])
    assert.equal(big, 2n ** 70n)
    assert.ok(re instanceof RegExp)
    assert.equal(re.source, 'ab+c')
    assert.equal(re.flags, 'gi')
    assert.ok(buf instanceof Uint8Array)
    assert.deepEqual([...buf], [1, 2, 3])
    assert.ok(u8 instanceof Uint8Array)
    assert.deepEqual([...u8], [250, 0, 7])
    assert.equal(undef, undefined)
    assert.ok(Number.isNaN(nan))
    assert.ok(Object.is(negZero, -0))
    assert.ok(err instanceof Error)
    assert.equal(err.message, 'out of range')
    assert.equal(cyclic.self, cyclic)
    assert.equal(cyclic.list[0], cyclic)
    assert.equal(cyclic.name, 'root')
    assert.ok('u' in withUndefined)
    assert.equal(withUndefined.u, undefined)
    assert.deepEqual(withUndefined.nested, [undefined, null])
  })

  it('main -> worker (wc.send, sendSync returnValue, invoke result): the same types survive', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const make = () => {
      const cyclic = { name: 'c' }
      cyclic.self = cyclic
      return {
        date: new Date(99),
        map: new Map([[1, 'one']]),
        big: -(2n ** 65n),
        buf: Buffer.from('hi'),
        u: undefined,
        cyclic,
      }
    }
    hub.on('sync', (event) => {
      event.returnValue = make()
    })
    hub.handle('inv', () => make())
    await agent.run(({ ipcRenderer }) => {
      globalThis.down = new Promise((resolve) => ipcRenderer.once('down', (event, v) => resolve(v)))
    })
    agent.wc.send('down', make())
    const reports = await agent.run(async ({ ipcRenderer }) => {
      const check = (v) => ({
        date: v.date instanceof Date && v.date.getTime() === 99,
        map: v.map instanceof Map && v.map.get(1) === 'one',
        big: v.big === -(2n ** 65n),
        buf: v.buf instanceof Uint8Array && [...v.buf].join() === '104,105',
        u: 'u' in v && v.u === undefined,
        cyclic: v.cyclic.self === v.cyclic && v.cyclic.name === 'c',
      })
      return {
        send: check(await globalThis.down),
        sendSync: check(ipcRenderer.sendSync('sync')),
        invoke: check(await ipcRenderer.invoke('inv')),
      }
    })
    const allTrue = { date: true, map: true, big: true, buf: true, u: true, cyclic: true }
    assert.deepEqual(reports, { send: allTrue, sendSync: allTrue, invoke: allTrue })
  })

  it(`a function makes the worker's send and sendSync throw and invoke reject with "${CLONE_FAILED}"; nothing is sent`, async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const listener = spy((event) => {
      event.returnValue = 'answered'
    })
    hub.on('ch', listener)
    const handler = spy()
    hub.handle('ch', handler)
    const result = await agent.run(async ({ ipcRenderer }) => {
      const out = {}
      const fn = () => {}
      try {
        ipcRenderer.send('ch', fn)
        out.send = 'no throw'
      } catch (err) {
        out.send = [err.name, err.message]
      }
      try {
        ipcRenderer.sendSync('ch', { nested: [fn] })
        out.sendSync = 'no throw'
      } catch (err) {
        out.sendSync = [err.name, err.message]
      }
      const p = ipcRenderer.invoke('ch', Symbol('s'))
      out.invokeIsPromise = p instanceof Promise
      try {
        await p
        out.invoke = 'resolved'
      } catch (err) {
        out.invoke = [err.name, err.message]
      }
      return out
    })
    assert.deepEqual(result, {
      send: ['Error', CLONE_FAILED],
      sendSync: ['Error', CLONE_FAILED],
      invokeIsPromise: true,
      invoke: ['Error', CLONE_FAILED],
    })
    // The agent's __result__ came after: anything sent before it has arrived.
    assert.equal(listener.calls.length, 0)
    assert.equal(handler.calls.length, 0)
  })

  it(`main's wc.send with a function throws "${CLONE_FAILED}"`, async (t) => {
    const { spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    assert.throws(() => agent.wc.send('down', () => {}), { name: 'Error', message: CLONE_FAILED })
  })
})

describe('sendSync blocks only the worker', SUITE, () => {
  it("main's timers keep running while the worker waits; the worker's do not", async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const inProcess = hub.createRenderer()
    hub.handle('main-alive', () => 'yes')
    let mainAnswered
    hub.on('slow-sync', async (event) => {
      // A main timer fires, and main serves another renderer, while the
      // worker is blocked waiting for this answer.
      await new Promise((resolve) => setTimeout(resolve, 50))
      mainAnswered = await inProcess.invoke('main-alive')
      event.returnValue = 'late'
    })
    const result = await agent.run(({ ipcRenderer }) => {
      let workerTimerFired = false
      setTimeout(() => {
        workerTimerFired = true
      }, 0)
      const value = ipcRenderer.sendSync('slow-sync')
      return { value, workerTimerFired }
    })
    assert.equal(result.value, 'late')
    assert.equal(result.workerTimerFired, false, 'the worker thread was blocked')
    assert.equal(mainAnswered, 'yes')
  })
})

describe('ordering with a worker', SUITE, () => {
  it('1000 random mixes of send, sendSync and invoke arrive in the order sent', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const received = []
    hub.on('test-async', (event, i) => received.push(i))
    hub.on('test-sync', (event, i) => {
      received.push(i)
      event.returnValue = null
    })
    hub.handle('test-invoke', (event, i) => {
      received.push(i)
    })
    const done = next(hub, 'done')
    const result = await agent.run(async ({ ipcRenderer }, seed) => {
      // mulberry32, as in 24-ordering.test.js
      const rand = () => {
        seed = (seed + 0x6d2b79f5) | 0
        let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
        x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
        return ((x ^ (x >>> 14)) >>> 0) / 4294967296
      }
      const invokes = []
      const kinds = [0, 0, 0]
      for (let i = 0; i < 1000; i++) {
        const which = Math.floor(rand() * 3)
        kinds[which]++
        if (which === 0) ipcRenderer.send('test-async', i)
        else if (which === 1) ipcRenderer.sendSync('test-sync', i)
        else invokes.push(ipcRenderer.invoke('test-invoke', i))
      }
      ipcRenderer.send('done')
      const results = await Promise.all(invokes)
      return { kinds, allUndefined: results.every((v) => v === undefined) }
    }, 11)
    await done
    assert.equal(result.allUndefined, true)
    assert.ok(result.kinds.every((n) => n > 200), `a real mix: ${result.kinds}`)
    assert.deepEqual(received, range(1000))
  })

  it('10 000 sends in a burst from the worker all arrive, in order, across channels', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const received = []
    hub.on('a', (event, i) => received.push(i))
    hub.on('b', (event, i) => received.push(i))
    const done = next(hub, 'done')
    await agent.run(({ ipcRenderer }) => {
      for (let i = 0; i < 10_000; i++) ipcRenderer.send(i % 3 === 0 ? 'b' : 'a', i)
      ipcRenderer.send('done')
    })
    await done
    assert.equal(received.length, 10_000)
    assert.deepEqual(received, range(10_000))
  })

  it('wc.send, event.reply and senderFrame.send to the worker arrive in the order sent', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    let event
    hub.once('ping', (e) => {
      event = e
      e.returnValue = null
    })
    await agent.run(({ ipcRenderer }) => {
      const received = []
      ipcRenderer.on('down', (e, i) => received.push(i))
      ipcRenderer.on('down2', (e, i) => received.push(i))
      globalThis.done = new Promise((resolve) => ipcRenderer.once('done', () => resolve(received)))
      ipcRenderer.sendSync('ping')
    })
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) agent.wc.send('down', i)
      else if (i % 3 === 1) event.reply('down2', i)
      else event.senderFrame.send('down', i)
    }
    agent.wc.send('done')
    assert.deepEqual(await agent.run(() => globalThis.done), range(3000))
  })
})

describe('worker lifetimes', SUITE, () => {
  it("an idle connected worker whose script is done exits by itself: 'destroyed' once, not crashed, gone from getAllWebContents", async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const { wc } = agent
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    const exited = exitOf(wc.worker)
    // the agent drops its listeners and its interval: nothing of its own is left
    agent.quit()
    assert.equal(await exited, 0)
    await destroyedOf(wc)
    await settle(hub)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(wc.isDestroyed(), true)
    assert.equal(wc.isCrashed(), false)
    assert.ok(!webContents.getAllWebContents().includes(wc))
    assert.equal(webContents.fromId(wc.id), undefined)
    assert.throws(() => wc.send('ch', 1), { name: 'Error', message: DESTROYED })
  })

  it('a worker whose script ends at once still resolves spawnWorker, then is destroyed (20 workers, 10 at a time)', async (t) => {
    const { spawn } = setup(t)
    for (let batch = 0; batch < 2; batch++) {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, async () => {
          const wc = await spawn(fixture('worker-empty.js'))
          // The worker may be gone (its 'exit' already emitted, exit code
          // no longer observable) by the time spawnWorker resolves.
          const code = wc.worker.threadId === -1 ? undefined : await exitOf(wc.worker)
          await destroyedOf(wc)
          return [code === undefined || code === 0, wc.isDestroyed(), wc.isCrashed()]
        }),
      )
      const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason.message)
      assert.deepEqual(failures, [], `batch ${batch}: spawnWorker rejected`)
      assert.deepEqual(
        outcomes.map((o) => o.value),
        Array.from({ length: 10 }, () => [true, true, false]),
      )
    }
  })

  it("worker.terminate(): 'destroyed' once, isDestroyed(), not crashed, wc.send throws", async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const { wc } = agent
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    const exited = exitOf(wc.worker)
    const destroyedOnce = once(wc, 'destroyed')
    await wc.worker.terminate()
    await destroyedOnce
    await exited
    await settle(hub)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(wc.isDestroyed(), true)
    assert.equal(wc.isCrashed(), false)
    assert.ok(!webContents.getAllWebContents().includes(wc))
    assert.throws(() => wc.send('ch', 1), { name: 'Error', message: DESTROYED })
    // terminating again changes nothing
    await wc.worker.terminate()
    await settle(hub)
    assert.equal(destroyed.calls.length, 1)
  })

  it('process.exit(3) in the worker: isCrashed() is true, destroyed once', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const { wc } = agent
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    const exited = exitOf(wc.worker)
    agent.run(() => process.exit(3)).catch(() => {})
    assert.equal(await exited, 3)
    await destroyedOf(wc)
    await settle(hub)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(wc.isDestroyed(), true)
    assert.equal(wc.isCrashed(), true)
    assert.ok(!webContents.getAllWebContents().includes(wc))
    assert.throws(() => wc.send('ch'), { message: DESTROYED })
  })

  it('process.exit(0) in the worker: destroyed, not crashed', async (t) => {
    const { spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const exited = exitOf(agent.wc.worker)
    agent.run(() => process.exit(0)).catch(() => {})
    assert.equal(await exited, 0)
    await destroyedOf(agent.wc)
    assert.equal(agent.wc.isCrashed(), false)
  })

  it('an uncaught exception in the worker: the Worker emits error, the WebContents is destroyed and crashed', async (t) => {
    const { spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const { wc } = agent
    const errored = new Promise((resolve) => wc.worker.once('error', resolve))
    const exited = exitOf(wc.worker)
    agent.run(() => {
      setImmediate(() => {
        throw new Error('worker blew up')
      })
    })
    const err = await errored
    assert.equal(err.message, 'worker blew up')
    assert.equal(await exited, 1)
    await destroyedOf(wc)
    assert.equal(wc.isCrashed(), true)
  })

  it('terminate() while the worker is blocked in sendSync ends it; main is not hurt', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const { wc } = agent
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    let entered
    const inListener = new Promise((resolve) => (entered = resolve))
    hub.on('block', () => {
      entered()
      return new Promise(() => {})
    })
    agent.run(({ ipcRenderer }) => ipcRenderer.sendSync('block')).catch(() => {})
    await inListener
    const exited = exitOf(wc.worker)
    await wc.worker.terminate()
    await exited
    await destroyedOf(wc)
    await settle(hub)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(wc.isCrashed(), false)
    const r = hub.createRenderer()
    hub.handle('alive', () => 'ok')
    assert.equal(await r.invoke('alive'), 'ok')
  })

  it('event.reply to a worker that is gone is a silent no-op', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const arrived = next(hub, 'ch')
    await agent.run(({ ipcRenderer }) => ipcRenderer.send('ch'))
    const [event] = await arrived
    await agent.wc.worker.terminate()
    await destroyedOf(agent.wc)
    assert.equal(event.reply('late', 1), undefined)
    assert.doesNotThrow(() => event.senderFrame.send('late', 2))
    assert.throws(() => event.sender.send('late', 3), { message: DESTROYED })
  })

  it('sends made just before the worker ends are delivered before its WebContents is destroyed', async (t) => {
    const { hub, spawn } = setup(t)
    const agent = await spawnAgent(spawn)
    const order = []
    hub.on('last', (event, i) => order.push(i))
    agent.wc.on('destroyed', () => order.push('destroyed'))
    const exited = exitOf(agent.wc.worker)
    agent
      .run(({ ipcRenderer }) => {
        for (let i = 0; i < 100; i++) ipcRenderer.send('last', i)
        process.exit(0)
      })
      .catch(() => {})
    await exited
    await destroyedOf(agent.wc)
    assert.deepEqual(order, [...range(100), 'destroyed'])
  })
})

describe('the hub going away (internal shutdown) with worker renderers', SUITE, () => {
  it('wakes a worker blocked in sendSync with IPC_DISCONNECTED; the worker emits disconnected once and exits', async (t) => {
    const hub = new IpcMain()
    t.after(() => shutdown(hub))
    let entered
    const inListener = new Promise((resolve) => (entered = resolve))
    hub.on('block', () => {
      entered()
      return new Promise(() => {})
    })
    const late = spy()
    hub.on('late', late)
    const wc = await hub.spawnWorker(fixture('worker-close.js'))
    t.after(() => wc.worker.terminate())
    const reported = once(wc.worker, 'message')
    const exited = exitOf(wc.worker)
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    await inListener
    shutdown(hub)
    const [report] = await reported
    assert.equal(report.threw.code, 'IPC_DISCONNECTED')
    assert.equal(report.threw.name, 'Error')
    assert.equal(report.returned, undefined)
    assert.equal(report.disconnectedAfterSendSync, 1)
    assert.equal(report.sendAfterThrew, undefined, 'send after disconnect does not throw')
    assert.equal(report.sendAfter, undefined)
    assert.equal(report.sendSyncAfterCode, 'IPC_DISCONNECTED')
    assert.equal(report.invokeAfter, 'IPC_DISCONNECTED')
    assert.equal(report.disconnected, 1)
    assert.equal(await exited, 0)
    await destroyedOf(wc)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(late.calls.length, 0)
  })

  it("rejects the worker's pending invoke with IPC_DISCONNECTED and destroys its WebContents", async (t) => {
    const hub = new IpcMain()
    t.after(() => shutdown(hub))
    const wc = await hub.spawnWorker(AGENT)
    t.after(() => wc.worker.terminate())
    const agent = agentOf(wc)
    let entered
    const inHandler = new Promise((resolve) => (entered = resolve))
    hub.handle('never', () => {
      entered()
      return new Promise(() => {})
    })
    // The verdict comes through the Worker's own parentPort: the hub is closed by then.
    const verdict = once(wc.worker, 'message')
    agent
      .run(({ ipcRenderer, require }) => {
        const { parentPort } = require('node:worker_threads')
        let disconnected = 0
        ipcRenderer.on('disconnected', () => disconnected++)
        ipcRenderer.invoke('never').then(
          () => parentPort.postMessage({ resolved: true, disconnected }),
          (err) => parentPort.postMessage({ code: err.code, disconnected }),
        )
      })
      .catch(() => {})
    await inHandler
    shutdown(hub)
    const [result] = await verdict
    assert.deepEqual(result, { code: 'IPC_DISCONNECTED', disconnected: 1 })
    await destroyedOf(wc)
    assert.equal(wc.isDestroyed(), true)
  })
})

describe('IpcMain#close() with worker renderers', SUITE, () => {
  it("leaves a worker connected: no 'disconnected', sendSync and invoke still answered", async (t) => {
    const { hub, spawn } = setup(t)
    hub.handle('add', (event, a, b) => a + b)
    hub.on('sync', (event, v) => {
      event.returnValue = `sync ${v}`
    })
    const agent = await spawnAgent(spawn)
    await agent.run(({ ipcRenderer }) => {
      globalThis.disconnects = 0
      ipcRenderer.on('disconnected', () => globalThis.disconnects++)
    })
    await hub.close()
    const after = await agent.run(async ({ ipcRenderer }) => ({
      sum: await ipcRenderer.invoke('add', 2, 3),
      synced: ipcRenderer.sendSync('sync', 'x'),
      disconnects: globalThis.disconnects,
    }))
    assert.deepEqual(after, { sum: 5, synced: 'sync x', disconnects: 0 })
    assert.equal(agent.wc.isDestroyed(), false)
  })
})

describe('connect(hub.threadAddress) from a plain Worker', SUITE, () => {
  it('resolves to a connected IpcRenderer: invoke, sendSync, send and main -> worker work', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    assert.match(hub.threadAddress, /^ipc-main-thread:\d+$/)
    hub.handle('add', (event, a, b) => a + b)
    hub.on('sync', (event, v) => {
      event.returnValue = `sync ${v}`
    })
    hub.on('hello', (event) => event.reply('pong', 'pong!'))
    const hello = next(hub, 'hello')
    const gotPong = next(hub, 'got-pong')
    const worker = new Worker(fixture('worker-connect.js'), { workerData: { address: hub.threadAddress } })
    t.after(() => worker.terminate())
    const exited = exitOf(worker)
    const [event, info] = await hello
    assert.deepEqual(info, { sum: 5, synced: 'sync x', isEmitter: true })
    const wc = event.sender
    assert.equal(event.processId, process.pid)
    assert.ok(webContents.getAllWebContents().includes(wc))
    assert.equal(webContents.fromId(wc.id), wc)
    assert.equal(wc.getOSProcessId(), process.pid)
    const [pongEvent, pong] = await gotPong
    assert.equal(pong, 'pong!')
    assert.equal(pongEvent.sender, wc)
    // the worker's script is done: it exits by itself and its WebContents goes away
    assert.equal(await exited, 0)
    await destroyedOf(wc)
    assert.ok(!webContents.getAllWebContents().includes(wc))
  })

  it("30 plain Workers in a row: each one's 'destroyed' comes with nothing else keeping main's loop alive", async (t) => {
    // Before connected threads held main's loop, main could see a Worker's
    // 'exit', find nothing alive and stop before its DISCONNECT was
    // delivered: node:test then cancelled the test (3 of 5 loaded runs).
    const src =
      "const { connect } = require(require('node:worker_threads').workerData.root);" +
      "connect(require('node:worker_threads').workerData.address).then((r) => r.send('hello'))"
    for (let i = 0; i < 30; i++) {
      const hub = new IpcMain()
      t.after(() => hub.close())
      const hello = next(hub, 'hello')
      const worker = new Worker(src, {
        eval: true,
        workerData: { root: path.join(__dirname, '..'), address: hub.threadAddress },
      })
      const exited = exitOf(worker)
      const [event] = await hello
      assert.equal(await exited, 0)
      await destroyedOf(event.sender)
    }
  })
})

describe('worker keep-alive', SUITE, () => {
  it('a pending invoke keeps the worker alive until it settles', async (t) => {
    const { hub, spawn } = setup(t)
    hub.handle('slow', () => new Promise((resolve) => setTimeout(resolve, 100, 'slow result')))
    const done = next(hub, 'done')
    const wc = await spawn(fixture('worker-slow-invoke.js'))
    const exited = exitOf(wc.worker)
    const [event, value] = await done
    assert.equal(value, 'slow result')
    assert.equal(event.sender, wc)
    assert.equal(await exited, 0)
    await destroyedOf(wc)
    assert.equal(wc.isCrashed(), false)
  })

  it('a main script whose worker finishes exits by itself', () => {
    const child = spawnSync(process.execPath, [fixture('worker-parent.js')], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    assert.equal(child.error, undefined, 'the child did not time out')
    assert.equal(child.signal, null)
    assert.equal(child.stderr, '')
    assert.equal(child.stdout, 'spawned\ndone 42\ndestroyed crashed=false\nexit 0\n')
    assert.equal(child.status, 0)
  })
})
