'use strict'

// Shared helpers for the __test__/*.test.js files. Not a test file itself
// (its name does not match the runner's patterns).

const { IpcMain } = require('..')

/**
 * Upper bound for one suite, so that a lost message fails the suite instead of
 * hanging the run. Generous: a suite that starts child processes took 19 s
 * with the tests sharing one core with two busy processes.
 */
const SUITE = { timeout: 120_000 }

/**
 * A fresh hub with one in-process renderer, both closed after the test.
 * @param {import('node:test').TestContext} t
 */
function setup(t) {
  const hub = new IpcMain()
  t.after(() => hub.close())
  const r = hub.createRenderer()
  return { hub, r }
}

/**
 * The WebContents main sees for renderer `r`. Goes through a one-shot handler,
 * so no listener of the hub is touched.
 */
async function webContentsOf(hub, r) {
  const channel = '__probe-web-contents__'
  let sender
  hub.handleOnce(channel, (event) => {
    sender = event.sender
  })
  await r.invoke(channel)
  return sender
}

/** Resolves with the arguments of the next `name` event on `emitter` (e.g. `[event, ...args]`). */
function next(emitter, name) {
  return new Promise((resolve) => emitter.once(name, (...args) => resolve(args)))
}

/**
 * Sends a marker from `r` and waits until `hub` receives it. Messages from one
 * renderer are delivered in order, so every earlier `send` of `r` has been
 * delivered (or dropped) when this resolves.
 */
function flush(hub, r) {
  const arrived = next(hub, '__flush__')
  r.send('__flush__')
  return arrived
}

/** The same as `flush`, from main to renderer `r` through its WebContents `wc`. */
function flushToRenderer(wc, r) {
  const arrived = next(r, '__flush__')
  wc.send('__flush__')
  return arrived
}

/** A call recorder: `spy.calls` holds the argument arrays. */
function spy(impl) {
  const fn = function (...args) {
    fn.calls.push(args)
    if (impl) return impl.apply(this, args)
  }
  fn.calls = []
  return fn
}

/**
 * Drives a renderer running fixtures/agent-core.js (a worker or a child
 * process): `run(fn, ...args)` runs `fn` there (only its source travels: it
 * sees its parameters, not the test's closure) and resolves with its result,
 * or rejects with its error, or when the renderer goes away first;
 * `quit()` lets the renderer end by itself.
 * @param {import('..').WebContents} wc
 */
function agentOf(wc) {
  const waiting = new Map()
  let seq = 0
  wc.ipc.on('__result__', (event, id, ok, value) => {
    const w = waiting.get(id)
    if (w === undefined) return
    waiting.delete(id)
    if (ok) w.resolve(value)
    else w.reject(Object.assign(new Error(value.message), value))
  })
  wc.once('destroyed', () => {
    for (const w of waiting.values()) w.reject(new Error('the renderer went away'))
    waiting.clear()
  })
  return {
    wc,
    run(fn, ...args) {
      const id = ++seq
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject })
        wc.send('__run__', id, fn.toString(), args)
      })
    },
    quit() {
      wc.send('__quit__')
    },
  }
}

module.exports = { SUITE, setup, webContentsOf, next, flush, flushToRenderer, spy, agentOf }
