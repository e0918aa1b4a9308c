'use strict'

// Renderers in child processes, over the socket: ipcMain.listen(),
// ipcMain.fork(), a process connected through IPC_MAIN_ADDRESS, and the
// lifetimes on both sides (API.md §2 "listen/fork/close", §3, §4, §5, §6).
//
// Most tests drive one generic fixture, fixtures/agent.js: main sends
// it a function (as source text) to run inside the child and gets the
// function's result back, so the child-side code of each test is written
// next to its assertions. Functions passed to `run` are evaluated in the
// child: they see only their parameters, not this file's closure.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { once } = require('node:events')
const { pathToFileURL } = require('node:url')
const childProcess = require('node:child_process')

const { IpcMain, webContents, connect } = require('..')
const { SUITE, next, flush, spy, agentOf } = require('./helpers')

const fixture = (name) => path.join(__dirname, 'fixtures', name)
const AGENT = fixture('agent.js')
const DESTROYED = 'Object has been destroyed'
const RELEASED = 'IPC method called after context was released'
const range = (n) => Array.from({ length: n }, (_, i) => i)

/**
 * A fresh hub; every child forked through `fork` is killed after the test if
 * it is still running, then the hub is closed.
 */
function setup(t) {
  const hub = new IpcMain()
  const children = []
  t.after(async () => {
    await hub.close()
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })
  async function fork(modulePath, args, options) {
    const wc = await hub.fork(modulePath, args, options)
    children.push(wc.process)
    return wc
  }
  return { hub, fork }
}

async function forkAgent(fork, args, options) {
  return agentOf(await fork(AGENT, args, options))
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

/** Resolves with `{ code, signal }` once `child` has exited (at once if it has). */
function exitOf(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

/** Resolves when `wc` is destroyed (at once if it already is). */
function destroyedOf(wc) {
  return wc.isDestroyed() ? Promise.resolve() : new Promise((resolve) => wc.once('destroyed', resolve))
}

/** Whether process `pid` has ended (an orphan that exited but is not reaped yet counts). */
function isGone(pid) {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if (err.code === 'ESRCH') return true
    throw err
  }
  try {
    // state after "(comm) ": Z is a zombie waiting for its (new) parent to reap it
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z'
  } catch {
    return true
  }
}

/** Kills `pid` if it still runs (cleanup only). */
function killQuietly(pid) {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/**
 * Runs a fixture main script in its own Node process; resolves once it has
 * exited AND its stdout/stderr are closed (so every grandchild that inherited
 * them has exited too), with its exit status and its JSON stdout lines.
 * Every process whose pid it printed is killed after the test if still alive.
 */
function runMainScript(t, file, args) {
  const child = childProcess.spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const pids = new Set([child.pid])
  t.after(() => {
    for (const pid of pids) killQuietly(pid)
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d) => {
    stdout += d
    for (const m of d.matchAll(/"(?:pid|childPid)":(\d+)/g)) pids.add(Number(m[1]))
  })
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      const lines = stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
      resolve({ code, signal, stderr, lines })
    })
  })
}

describe('ipcMain.fork()', SUITE, () => {
  it('resolves with the WebContents of the child: process, pid, URL, id, identity; args and env pass through', async (t) => {
    const { fork } = setup(t)
    const agent = await forkAgent(fork, ['--flag', 'value'], {
      env: { ...process.env, IPC_MAIN_TEST_VAR: 'from-main' },
    })
    const { wc } = agent
    assert.ok(wc.process instanceof childProcess.ChildProcess)
    assert.ok(Number.isInteger(wc.process.pid))
    assert.notEqual(wc.process.pid, process.pid)
    assert.equal(wc.getOSProcessId(), wc.process.pid)
    assert.equal(wc.getProcessId(), wc.process.pid)
    assert.equal(wc.getURL(), pathToFileURL(AGENT).href)
    assert.ok(Number.isInteger(wc.id) && wc.id > 0)
    assert.equal(wc.isDestroyed(), false)
    assert.equal(wc.isCrashed(), false)
    assert.equal(webContents.fromId(wc.id), wc)
    assert.equal(webContents.getAllWebContents().filter((c) => c === wc).length, 1)
    const info = await agent.run(() => ({
      pid: process.pid,
      argv: process.argv.slice(2),
      env: process.env.IPC_MAIN_TEST_VAR,
    }))
    assert.deepEqual(info, { pid: wc.process.pid, argv: ['--flag', 'value'], env: 'from-main' })
  })

  it('rejects for a script path that does not exist', async (t) => {
    const { hub } = setup(t)
    const missing = path.join(os.tmpdir(), `ipc-main-no-such-script-${process.pid}.js`)
    let outcome
    try {
      const wc = await hub.fork(missing, [], { stdio: 'ignore' })
      outcome = `resolved with WebContents #${wc.id}`
      wc.process.kill('SIGKILL')
    } catch (err) {
      assert.ok(err instanceof Error)
      outcome = 'rejected'
    }
    assert.equal(outcome, 'rejected')
  })

  it('rejects with a TypeError for a modulePath that is neither a string nor a URL', async (t) => {
    const { hub } = setup(t)
    await assert.rejects(hub.fork(42), { name: 'TypeError' })
  })
})

describe('child -> main and back', SUITE, () => {
  it('a lone Buffer (the raw-bytes codec) crosses both ways intact, small and past 64 KiB', async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    for (const size of [0, 5, 200 * 1024]) {
      const arrived = next(hub, 'blob')
      await agent.run(({ ipcRenderer }, n) => ipcRenderer.send('blob', Buffer.alloc(n, 0x61)), size)
      const [, got, ...rest] = await arrived
      assert.deepEqual(rest, [])
      assert.ok(Buffer.isBuffer(got))
      assert.ok(got.equals(Buffer.alloc(size, 0x61)), `${size} bytes`)
      // Main -> child: the child's listener is registered by the '__run__'
      // message, which arrives before 'blob-back' (order is kept).
      const back = agent.run(
        ({ ipcRenderer }) =>
          new Promise((resolve) =>
            ipcRenderer.once('blob-back', (e, b, ...more) => resolve([Buffer.isBuffer(b), b.toString('hex'), more.length])),
          ),
      )
      agent.wc.send('blob-back', Buffer.alloc(size, 0x62))
      assert.deepEqual(await back, [true, Buffer.alloc(size, 0x62).toString('hex'), 0])
    }
    hub.handle('blob-echo', (e, b) => b)
    const echoed = await agent.run(async ({ ipcRenderer }) => {
      const b = await ipcRenderer.invoke('blob-echo', Buffer.from([1, 2, 3]))
      return [Buffer.isBuffer(b), [...b]]
    })
    assert.deepEqual(echoed, [true, [1, 2, 3]])
  })

  it('send delivers structured-clone values with event.sender/processId/frameId of the child', async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const { wc } = agent
    const arrived = next(hub, 'values')
    const bare = next(hub, 'bare')
    await agent.run(({ ipcRenderer }) => {
      ipcRenderer.send(
        'values',
        new Map([['k', { n: 1 }]]),
        new Date(1234),
        2n ** 70n,
        Buffer.from('héllo'),
        { nested: { list: [1, { deep: new Set(['s']) }], u: undefined } },
        undefined,
        NaN,
        -0,
      )
      ipcRenderer.send('bare', undefined)
    })
    const [event, map, date, big, buf, nested, undef, nan, negZero, ...rest] = await arrived
    assert.deepEqual(rest, [])
    assert.ok(map instanceof Map)
    assert.deepEqual([...map], [['k', { n: 1 }]])
    assert.ok(date instanceof Date)
    assert.equal(date.getTime(), 1234)
    assert.equal(big, 2n ** 70n)
    assert.ok(buf instanceof Uint8Array)
    assert.ok(Buffer.from(buf).equals(Buffer.from('héllo')))
    assert.ok('u' in nested.nested)
    assert.equal(nested.nested.u, undefined)
    assert.ok(nested.nested.list[1].deep instanceof Set)
    assert.deepEqual([...nested.nested.list[1].deep], ['s'])
    assert.equal(undef, undefined)
    assert.ok(Number.isNaN(nan))
    assert.ok(Object.is(negZero, -0))

    assert.equal(event.type, 'frame')
    assert.equal(event.sender, wc)
    assert.equal(event.processId, wc.process.pid)
    assert.equal(event.processId, wc.getOSProcessId())
    assert.equal(event.frameId, wc.id)
    assert.equal(event.senderFrame.processId, wc.process.pid)
    assert.equal(event.senderFrame.routingId, event.frameId)
    assert.deepEqual(event.ports, [])

    const [bareEvent, ...bareArgs] = await bare
    assert.equal(bareArgs.length, 1, 'an explicit undefined argument is kept')
    assert.equal(bareArgs[0], undefined)
    assert.equal(bareEvent.sender, wc)
  })

  it("invoke resolves with the handler's result, sync or async; the handler sees the child's event and values", async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const events = []
    hub.handle('sync', (event, map) => {
      events.push(event)
      return { got: map.get('a'), when: new Date(7) }
    })
    hub.handle('async', async (event, n) => {
      events.push(event)
      await new Promise(setImmediate)
      return n * 2
    })
    hub.handle('nothing', () => {})
    const result = await agent.run(async ({ ipcRenderer }) => {
      const a = await ipcRenderer.invoke('sync', new Map([['a', 1n]]))
      const b = await ipcRenderer.invoke('async', 21)
      const c = await ipcRenderer.invoke('nothing')
      const all = await Promise.all([1, 2, 3].map((i) => ipcRenderer.invoke('async', i)))
      return { got: a.got, when: a.when instanceof Date && a.when.getTime(), b, cIsUndefined: c === undefined, all }
    })
    assert.deepEqual(result, { got: 1n, when: 7, b: 42, cIsUndefined: true, all: [2, 4, 6] })
    assert.equal(events.length, 5)
    for (const event of events) {
      assert.equal(event.sender, agent.wc)
      assert.equal(event.processId, agent.wc.process.pid)
      assert.equal(event.frameId, agent.wc.id)
      assert.equal('returnValue' in event, false)
      assert.equal(typeof event.reply, 'undefined')
    }
  })

  it("invoke rejects with Electron's texts: no handler, a throwing handler, a rejecting handler", async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    t.mock.method(console, 'error', () => {})
    hub.handle('throws', () => {
      throw new Error('boom')
    })
    hub.handle('rejects', async () => {
      await new Promise(setImmediate)
      throw new TypeError('later')
    })
    const result = await agent.run(async ({ ipcRenderer }) => {
      const out = {}
      for (const ch of ['ch', 'throws', 'rejects']) {
        try {
          out[ch] = ['resolved', await ipcRenderer.invoke(ch)]
        } catch (err) {
          out[ch] = [err instanceof Error, err.message]
        }
      }
      return out
    })
    assert.deepEqual(result, {
      ch: [true, "Error invoking remote method 'ch': Error: No handler registered for 'ch'"],
      throws: [true, "Error invoking remote method 'throws': Error: boom"],
      rejects: [true, "Error invoking remote method 'rejects': TypeError: later"],
    })
  })

  it('sendSync returns event.returnValue (first assignment), also one assigned after an await; no listener gives undefined and a warning', async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const warn = t.mock.method(console, 'warn', () => {})
    hub.on('echo', (event, a, b) => {
      event.returnValue = { sum: a + b, when: new Date(3) }
      event.returnValue = 'ignored'
    })
    hub.on('later', async (event, v) => {
      await new Promise(setImmediate)
      await new Promise(setImmediate)
      event.returnValue = `late ${v}`
    })
    const noAnswer = spy()
    hub.on('no-answer', noAnswer)
    const result = await agent.run(({ ipcRenderer }) => {
      const echo = ipcRenderer.sendSync('echo', 1, 2)
      return {
        sum: echo.sum,
        when: echo.when instanceof Date && echo.when.getTime(),
        later: ipcRenderer.sendSync('later', 'x'),
        noAnswerIsUndefined: ipcRenderer.sendSync('no-answer') === undefined,
        lonelyIsUndefined: ipcRenderer.sendSync('lonely', 1) === undefined,
      }
    })
    assert.deepEqual(result, { sum: 3, when: 3, later: 'late x', noAnswerIsUndefined: true, lonelyIsUndefined: true })
    assert.equal(noAnswer.calls.length, 1)
    assert.equal(warn.mock.callCount(), 1)
    assert.deepEqual(warn.mock.calls[0].arguments, [
      `WebContents #${agent.wc.id} called ipcRenderer.sendSync() with 'lonely' channel without listeners.`,
    ])
  })

  it("event.reply, event.senderFrame.send and wc.send reach the child's ipcRenderer listeners, in order", async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const { wc } = agent
    hub.on('ping', (event, v) => {
      event.reply('down', 'reply', v, new Map([[1, 'one']]))
      event.senderFrame.send('down', 'frame', v)
    })
    await agent.run(({ ipcRenderer }) => {
      globalThis.got = []
      ipcRenderer.on('down', (event, ...args) => {
        globalThis.got.push({
          senderIsRenderer: event.sender === ipcRenderer,
          senderId: event.senderId,
          args: args.map((a) => (a instanceof Map ? [...a] : a)),
        })
      })
      ipcRenderer.send('ping', 7)
    })
    wc.send('down', 'wc', 8n)
    // main -> one child is ordered: a later __run__ sees every earlier message
    const got = await agent.run(() => globalThis.got)
    assert.deepEqual(got, [
      { senderIsRenderer: true, senderId: 0, args: ['reply', 7, [[1, 'one']]] },
      { senderIsRenderer: true, senderId: 0, args: ['frame', 7] },
      { senderIsRenderer: true, senderId: 0, args: ['wc', 8n] },
    ])
  })

  it("wc 'ipc-message' / 'ipc-message-sync', wc.ipc listeners and handlers are scoped to that child", async (t) => {
    const { hub, fork } = setup(t)
    const [a, b] = await Promise.all([forkAgent(fork), forkAgent(fork)])
    assert.notEqual(a.wc, b.wc)
    assert.notEqual(a.wc.id, b.wc.id)
    const order = []
    a.wc.on('ipc-message', (event, channel, ...args) => {
      if (channel === 'scoped') order.push(['a ipc-message', event, args])
    })
    a.wc.on('ipc-message-sync', (event, channel, ...args) => {
      order.push(['a ipc-message-sync', event, channel, args])
      event.returnValue = 'from a wc'
    })
    b.wc.on('ipc-message-sync', (event) => {
      event.returnValue = 'from b wc'
    })
    a.wc.ipc.on('scoped', (event, ...args) => order.push(['a wc.ipc', event, args]))
    hub.on('scoped', (event, ...args) => order.push(['hub', event, args]))
    a.wc.ipc.handle('who', () => 'a scope')
    hub.handle('who', () => 'global')

    const talk = async ({ ipcRenderer }, name) => {
      ipcRenderer.send('scoped', name)
      return [await ipcRenderer.invoke('who'), ipcRenderer.sendSync('sync-ch', name)]
    }
    const ra = await a.run(talk, 'a')
    const rb = await b.run(talk, 'b')
    assert.deepEqual(ra, ['a scope', 'from a wc'])
    assert.deepEqual(rb, ['global', 'from b wc'])
    assert.deepEqual(
      order.map(([level, , x, y]) => [level, y === undefined ? x : [x, y]]),
      [
        ['a ipc-message', ['a']],
        ['a wc.ipc', ['a']],
        ['hub', ['a']],
        ['a ipc-message-sync', ['sync-ch', ['a']]],
        ['hub', ['b']],
      ],
    )
    const aEvents = order.slice(0, 3).map(([, event]) => event)
    assert.ok(aEvents.every((e) => e === aEvents[0]), 'one and the same event object at every level')
    assert.equal(aEvents[0].sender, a.wc)
    assert.equal(order[4][1].sender, b.wc)
  })
})

describe('ordering across the process boundary', SUITE, () => {
  it('a mix of send, sendSync and invoke from one child reaches main in the order sent', async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const received = []
    hub.on('mix', (event, i) => received.push(i))
    hub.on('mix-sync', (event, i) => {
      received.push(i)
      event.returnValue = -i
    })
    hub.handle('mix-invoke', (event, i) => {
      received.push(i)
      return i * 10
    })
    const result = await agent.run(async ({ ipcRenderer }, n) => {
      const syncs = []
      const invokes = []
      for (let i = 0; i < n; i++) {
        if (i % 3 === 0) ipcRenderer.send('mix', i)
        else if (i % 3 === 1) syncs.push(ipcRenderer.sendSync('mix-sync', i))
        else invokes.push(ipcRenderer.invoke('mix-invoke', i))
      }
      return { syncs, invokes: await Promise.all(invokes) }
    }, 600)
    assert.deepEqual(received, range(600))
    assert.deepEqual(
      result.syncs,
      range(600)
        .filter((i) => i % 3 === 1)
        .map((i) => -i),
    )
    assert.deepEqual(
      result.invokes,
      range(600)
        .filter((i) => i % 3 === 2)
        .map((i) => i * 10),
    )
  })

  it('4 children x 5000 sends at once: each sequence arrives complete and in order; 5000 wc.send to each arrive in order', async (t) => {
    const { hub, fork } = setup(t)
    const agents = await Promise.all(range(4).map(() => forkAgent(fork)))
    const pids = agents.map((a) => a.wc.process.pid)
    assert.equal(new Set(pids).size, 4)
    const perPid = new Map(pids.map((pid) => [pid, []]))
    const strangers = []
    hub.on('seq', (event, i) => {
      const list = perPid.get(event.processId)
      if (list === undefined || event.sender.getOSProcessId() !== event.processId) strangers.push(event.processId)
      else list.push(i)
    })
    let doneCount = 0
    const allDone = new Promise((resolve) =>
      hub.on('seq-done', () => {
        if (++doneCount === 4) resolve()
      }),
    )
    await Promise.all(
      agents.map((a) =>
        a.run(({ ipcRenderer }, n) => {
          for (let i = 0; i < n; i++) ipcRenderer.send('seq', i)
          ipcRenderer.send('seq-done')
        }, 5000),
      ),
    )
    await allDone
    assert.deepEqual(strangers, [])
    for (const pid of pids) {
      const list = perPid.get(pid)
      assert.equal(list.length, 5000, `child ${pid}`)
      assert.deepEqual(list, range(5000), `child ${pid}`)
    }

    // main -> child: 5000 each, interleaved across the 4 children
    await Promise.all(
      agents.map((a) =>
        a.run(({ ipcRenderer }) => {
          const got = []
          ipcRenderer.on('down', (event, i) => got.push(i))
          globalThis.down = new Promise((resolve) => ipcRenderer.once('down-done', () => resolve(got)))
        }),
      ),
    )
    for (let i = 0; i < 5000; i++) {
      for (const a of agents) a.wc.send('down', i)
    }
    for (const a of agents) a.wc.send('down-done')
    const results = await Promise.all(
      agents.map((a) => a.run(async () => ({ pid: process.pid, got: await globalThis.down }))),
    )
    results.forEach((r, k) => {
      assert.equal(r.pid, pids[k])
      assert.equal(r.got.length, 5000)
      assert.deepEqual(r.got, range(5000))
    })
  })
})

describe('a process connected through IPC_MAIN_ADDRESS / IPC_MAIN_TOKEN', SUITE, () => {
  /** A plain child_process.fork of child-env.js; resolves with its exit and parsed stdout. */
  function plainFork(t, mode, env) {
    const child = childProcess.fork(fixture('child-env.js'), [mode], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    })
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    const done = new Promise((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal, report: stdout ? JSON.parse(stdout) : null })),
    )
    return { child, done }
  }

  it("require('ipc-main').ipcRenderer connects to that main: invoke and send work, the WebContents has no process", async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const { address, token } = await hub.listen()
    const senders = []
    const destroyed = spy()
    let fromIdWhileAlive
    hub.handle('add', (event, a, b) => {
      // the child waits for this answer, so it is surely connected now
      senders.push(event)
      fromIdWhileAlive = webContents.fromId(event.sender.id)
      event.sender.on('destroyed', destroyed)
      return a + b
    })
    const hello = next(hub, 'hello')
    const { child, done } = plainFork(t, 'invoke', { IPC_MAIN_ADDRESS: address, IPC_MAIN_TOKEN: token })
    const [event, sum, pid] = await hello
    assert.equal(sum, 5)
    assert.equal(pid, child.pid)
    assert.equal(senders.length, 1)
    const wc = event.sender
    assert.equal(senders[0].sender, wc)
    assert.equal(fromIdWhileAlive, wc)
    assert.equal(event.processId, child.pid)
    assert.equal(senders[0].processId, child.pid)
    assert.equal(wc.getOSProcessId(), child.pid)
    assert.equal(event.frameId, wc.id)
    assert.equal(wc.process, undefined)
    // its script is done: it ends by itself and its WebContents goes away
    const { code, signal, report } = await done
    assert.deepEqual(report, { sum: 5, pid: child.pid })
    assert.equal(code, 0)
    assert.equal(signal, null)
    await destroyedOf(wc)
    await settle(hub)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(wc.isDestroyed(), true)
    assert.equal(wc.isCrashed(), false)
    assert.ok(!webContents.getAllWebContents().includes(wc))
  })

  it("a wrong token: connect(address, { token: 'bad' }) and the default ipcRenderer fail with IPC_AUTH_FAILED", async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const { address } = await hub.listen()
    const seen = spy()
    hub.on('ipc-message', seen)
    const before = new Set(webContents.getAllWebContents())
    const { child, done } = plainFork(t, 'bad-token', { IPC_MAIN_ADDRESS: address, IPC_MAIN_TOKEN: 'bad' })
    const { code, report } = await done
    assert.equal(code, 0)
    assert.equal(report.pid, child.pid)
    assert.equal(report.connect.code, 'IPC_AUTH_FAILED')
    assert.equal(report.connect.name, 'Error')
    assert.equal(report.defaultRenderer.code, 'IPC_AUTH_FAILED')
    await settle(hub)
    const added = webContents.getAllWebContents().filter((wc) => !before.has(wc))
    assert.deepEqual(
      added.filter((wc) => wc.getOSProcessId() === child.pid),
      [],
    )
  })
})

describe('child process lifetimes', SUITE, () => {
  it("a child that finishes its script exits by itself: 'destroyed' once, not crashed, gone from getAllWebContents", async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const { wc } = agent
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    const exited = exitOf(wc.process)
    agent.quit()
    assert.deepEqual(await exited, { code: 0, signal: null })
    await destroyedOf(wc)
    await settle(hub)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(wc.isDestroyed(), true)
    assert.equal(wc.isCrashed(), false)
    assert.ok(!webContents.getAllWebContents().includes(wc))
    assert.equal(webContents.fromId(wc.id), undefined)
    assert.throws(() => wc.send('ch', 1), { name: 'Error', message: DESTROYED })
  })

  it("sends made just before process.exit(0) are all delivered before 'destroyed'", async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const { wc } = agent
    const order = []
    hub.on('last', (event, i) => order.push(i))
    wc.on('destroyed', () => order.push('destroyed'))
    const exited = exitOf(wc.process)
    agent
      .run(({ ipcRenderer }) => {
        for (let i = 0; i < 500; i++) ipcRenderer.send('last', i)
        process.exit(0)
      })
      .catch(() => {})
    assert.deepEqual(await exited, { code: 0, signal: null })
    await destroyedOf(wc)
    await settle(hub)
    assert.deepEqual(order, [...range(500), 'destroyed'])
    assert.equal(wc.isDestroyed(), true)
    assert.equal(wc.isCrashed(), false)
  })

  it('process.exit(3) in the child: destroyed once, isCrashed() is true', async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const { wc } = agent
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    const exited = exitOf(wc.process)
    agent.run(() => process.exit(3)).catch(() => {})
    assert.deepEqual(await exited, { code: 3, signal: null })
    await destroyedOf(wc)
    await settle(hub)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(wc.isCrashed(), true)
  })

  it('SIGKILL while main handles its invoke: destroyed once, crashed; the late answer is dropped quietly; main goes on', async (t) => {
    const { hub, fork } = setup(t)
    const [victim, other] = await Promise.all([forkAgent(fork), forkAgent(fork)])
    const unhandled = []
    const onUnhandled = (err) => unhandled.push(err)
    process.on('unhandledRejection', onUnhandled)
    process.on('uncaughtException', onUnhandled)
    t.after(() => {
      process.off('unhandledRejection', onUnhandled)
      process.off('uncaughtException', onUnhandled)
    })
    let release
    const gate = new Promise((resolve) => (release = resolve))
    let entered
    const inHandler = new Promise((resolve) => (entered = resolve))
    hub.handle('slow', async (event, who) => {
      entered(event)
      await gate
      return `done ${who}`
    })
    await victim.run(({ ipcRenderer }) => {
      ipcRenderer.invoke('slow', 'victim').catch(() => {})
    })
    const handlerEvent = await inHandler
    assert.equal(handlerEvent.sender, victim.wc)
    const destroyed = spy()
    victim.wc.on('destroyed', destroyed)
    const exited = exitOf(victim.wc.process)
    victim.wc.process.kill('SIGKILL')
    assert.deepEqual(await exited, { code: null, signal: 'SIGKILL' })
    await destroyedOf(victim.wc)
    assert.equal(victim.wc.isDestroyed(), true)
    assert.equal(victim.wc.isCrashed(), true)

    const errors = t.mock.method(console, 'error', () => {})
    release()
    await gate
    await settle(hub)
    assert.equal(errors.mock.callCount(), 0, 'the dropped answer logs nothing')
    assert.deepEqual(unhandled, [])
    assert.equal(destroyed.calls.length, 1)
    assert.ok(!webContents.getAllWebContents().includes(victim.wc))

    // main keeps serving: the other child, and a new one
    assert.equal(await other.run(({ ipcRenderer }) => ipcRenderer.invoke('slow', 'other')), 'done other')
    const fresh = await forkAgent(fork)
    assert.equal(await fresh.run(({ ipcRenderer }) => ipcRenderer.invoke('slow', 'fresh')), 'done fresh')
    assert.equal(other.wc.isDestroyed(), false)
  })

  it("ipcRenderer.close() in the child: 'destroyed' once while the child still runs, not crashed; later send/sendSync throw and invoke rejects in the child", async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const { wc } = agent
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    let aliveAtDestroyed
    wc.once('destroyed', () => {
      aliveAtDestroyed = wc.process.exitCode === null && wc.process.signalCode === null
    })
    const reported = once(wc.process, 'message')
    await agent.run(({ ipcRenderer, quit }) => {
      process.once('message', () => {
        quit()
        process.disconnect()
      })
      setImmediate(async () => {
        ipcRenderer.close()
        const after = {}
        for (const [name, call] of [
          ['send', () => ipcRenderer.send('x')],
          ['sendSync', () => ipcRenderer.sendSync('x')],
        ]) {
          try {
            call()
            after[name] = 'no throw'
          } catch (err) {
            after[name] = err.message
          }
        }
        after.invoke = await ipcRenderer.invoke('x').then(
          () => 'resolved',
          (err) => `rejected: ${err.message}`,
        )
        process.send(after)
      })
    })
    await destroyedOf(wc)
    const [after] = await reported
    assert.equal(aliveAtDestroyed, true, "'destroyed' came from close(), not from the exit")
    assert.deepEqual(after, { send: RELEASED, sendSync: RELEASED, invoke: `rejected: ${RELEASED}` })
    assert.equal(wc.isDestroyed(), true)
    assert.equal(wc.isCrashed(), false)
    assert.throws(() => wc.send('ch'), { message: DESTROYED })
    // now let it end
    const exited = exitOf(wc.process)
    wc.process.send('quit')
    assert.deepEqual(await exited, { code: 0, signal: null })
    await settle(hub)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(wc.isCrashed(), false)
  })

  it("hub.close() resolves; the child's pending invoke rejects with IPC_DISCONNECTED, 'disconnected' once, it exits by itself", async (t) => {
    const { hub, fork } = setup(t)
    const agent = await forkAgent(fork)
    const { wc } = agent
    let entered
    const inHandler = new Promise((resolve) => (entered = resolve))
    hub.handle('never', () => {
      entered()
      return new Promise(() => {})
    })
    const reported = once(wc.process, 'message')
    await agent.run(({ ipcRenderer, quit }) => {
      let disconnected = 0
      ipcRenderer.on('disconnected', () => disconnected++)
      ipcRenderer
        .invoke('never')
        .then(
          () => 'resolved',
          (err) => err.code,
        )
        .then(async (pending) => {
          await new Promise(setImmediate)
          quit()
          process.send({ pending, disconnected })
        })
    })
    await inHandler
    const destroyed = spy()
    wc.on('destroyed', destroyed)
    const exited = exitOf(wc.process)
    assert.equal(await hub.close(), undefined)
    assert.equal(hub.address, null)
    const [report] = await reported
    assert.deepEqual(report, { pending: 'IPC_DISCONNECTED', disconnected: 1 })
    assert.deepEqual(await exited, { code: 0, signal: null })
    await destroyedOf(wc)
    assert.equal(destroyed.calls.length, 1)
    assert.equal(wc.isCrashed(), false)
  })

  it('main exits first (process.exit): the child sees IPC_DISCONNECTED everywhere, send is a no-op, and it exits by itself', async (t) => {
    const { code, signal, stderr, lines } = await runMainScript(t, fixture('child-main-gone.js'), ['exit'])
    assert.equal(signal, null)
    assert.equal(code, 0)
    assert.equal(stderr, '')
    // ('forked' may be missing: main can exit before fork()'s promise callbacks run)
    const entered = lines.find((l) => l.main === 'entered')
    const orphan = lines.find((l) => l.orphan)
    assert.ok(entered && orphan, JSON.stringify(lines))
    assert.equal(entered.pid, entered.childPid)
    assert.deepEqual(orphan.orphan, {
      pid: entered.pid,
      pending: { name: 'Error', code: 'IPC_DISCONNECTED' },
      disconnectedAfterReject: 1,
      sendReturnedUndefined: true,
      sendSync: 'IPC_DISCONNECTED',
      invoke: 'IPC_DISCONNECTED',
      disconnected: 1,
    })
    // the script's stdout closed only when the child (which inherited it) was gone
    assert.equal(isGone(entered.pid), true)
  })

  it('a main script that listens, forks and closes its hub exits by itself with code 0; its child sees IPC_DISCONNECTED', async (t) => {
    const { code, signal, stderr, lines } = await runMainScript(t, fixture('child-main-gone.js'), ['close'])
    assert.equal(signal, null)
    assert.equal(code, 0)
    assert.equal(stderr, '')
    const forked = lines.find((l) => l.main === 'forked')
    const entered = lines.find((l) => l.main === 'entered')
    const orphan = lines.find((l) => l.orphan)
    assert.ok(forked && entered && orphan, JSON.stringify(lines))
    assert.equal(forked.pid, forked.childPid)
    assert.equal(entered.pid, forked.pid)
    // close() is synchronous up to its promise: 'destroyed' first, then 'closed',
    // then the child's own exit; nothing after
    assert.deepEqual(
      lines.filter((l) => l.main && l.main !== 'forked' && l.main !== 'entered'),
      [
        { main: 'destroyed', destroyed: 1, crashed: false },
        { main: 'closed', address: null },
        { main: 'child-exit', code: 0, signal: null, destroyed: 1 },
      ],
    )
    assert.deepEqual(orphan.orphan, {
      pid: forked.pid,
      pending: { name: 'Error', code: 'IPC_DISCONNECTED' },
      disconnectedAfterReject: 1,
      sendReturnedUndefined: true,
      sendSync: 'IPC_DISCONNECTED',
      invoke: 'IPC_DISCONNECTED',
      disconnected: 1,
    })
    assert.equal(isGone(forked.pid), true)
  })
})

describe('ipcMain.listen()', SUITE, () => {
  it('listening twice gives the same address and token; hub.address is null before, the address while listening, null after close', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    assert.equal(hub.address, null)
    const first = await hub.listen()
    assert.equal(typeof first.address, 'string')
    assert.match(first.token, /^[0-9a-f]{64}$/)
    assert.equal(hub.address, first.address)
    const second = await hub.listen()
    assert.deepEqual(second, first)
    const mode = fs.statSync(path.dirname(first.address)).mode & 0o777
    assert.equal(mode, 0o700, 'a private directory')
    await hub.close()
    assert.equal(hub.address, null)
  })

  it('listen({ path }) listens on that path; fork() and connect() reach it there', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-test-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const where = path.join(dir, 'my.sock')
    const { hub, fork } = setup(t)
    const { address, token } = await hub.listen({ path: where })
    assert.equal(address, where)
    assert.equal(hub.address, where)
    assert.ok(fs.statSync(where).isSocket())
    hub.handle('where', (event) => event.sender.id)
    const agent = await forkAgent(fork)
    const seen = await agent.run(async ({ ipcRenderer }) => ({
      env: process.env.IPC_MAIN_ADDRESS,
      id: await ipcRenderer.invoke('where'),
    }))
    assert.deepEqual(seen, { env: where, id: agent.wc.id })
    // a renderer of this very process, through the socket: invoke works, sendSync would deadlock
    const r = await connect(where, { token })
    t.after(() => r.close())
    const id = await r.invoke('where')
    assert.ok(Number.isInteger(id) && id !== agent.wc.id)
    assert.throws(() => r.sendSync('where'), { code: 'IPC_DEADLOCK' })
  })

  it('listen on a path already in use rejects with EADDRINUSE', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-test-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const where = path.join(dir, 'busy.sock')
    const a = new IpcMain()
    const b = new IpcMain()
    t.after(() => Promise.all([a.close(), b.close()]))
    await a.listen({ path: where })
    await assert.rejects(b.listen({ path: where }), { code: 'EADDRINUSE' })
    assert.equal(b.address, null)
    assert.equal(a.address, where)

    const other = path.join(dir, 'net.sock')
    const server = net.createServer()
    await new Promise((resolve) => server.listen(other, resolve))
    t.after(() => new Promise((resolve) => server.close(resolve)))
    await assert.rejects(b.listen({ path: other }), { code: 'EADDRINUSE' })
    assert.equal(b.address, null)
  })
})
