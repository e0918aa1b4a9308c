'use strict'

// Beyond Electron (API.md §2): errors that keep their shape across invoke,
// invokeWithOptions (timeouts, AbortSignal) with the handler's event.signal,
// and main -> renderer invoke (ipcRenderer.handle, wc.invoke), each on the
// three renderer transports: in-process, worker_threads, child process.
//
// Every renderer is driven as an agent (fixtures/extras-agent.js for a
// worker or child; the same calls made directly in-process): `run(fn, ...args)`
// runs `fn` in the renderer and resolves with its result. Functions passed to
// `run` see only their parameters ({ ipcRenderer, ipc, require, logged,
// summarize }), not this file's closure, since they may run elsewhere.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')

const ipc = require('..')
const { IpcMain } = ipc
const { SUITE, webContentsOf, next, agentOf } = require('./helpers')
const { summarize } = require('./fixtures/extras-summary')

const fixture = (name) => path.join(__dirname, 'fixtures', name)
const AGENT = fixture('extras-agent.js')
const TRANSPORTS = ['in-process', 'worker', 'child']
const failed = (ch, text) => `Error invoking remote method '${ch}': ${text}`
const noHandler = (ch) => failed(ch, `Error: No handler registered for '${ch}'`)

/** Resolves when `wc` is destroyed (at once if it already is). */
function destroyedOf(wc) {
  return wc.isDestroyed() ? Promise.resolve() : new Promise((resolve) => wc.once('destroyed', resolve))
}

/** Resolves with `signal.reason` once `signal` aborts. */
function abortOf(signal) {
  if (signal.aborted) return Promise.resolve(signal.reason)
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }))
}

/** A promise and its resolve function. */
function deferred() {
  let resolve
  const promise = new Promise((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/**
 * A fresh hub with one renderer on `transport`, closed (and the renderer
 * ended) after the test. Main's console.error is mocked (failing handlers
 * log there). Returns the agent:
 * - `hub`, `wc`: the hub and the renderer's WebContents
 * - `run(fn, ...args)`: runs `fn` in the renderer
 * - `logged()`: the first argument of each console.error call of the renderer
 * - `kill()`: the renderer dies (close() in-process, terminate(), SIGKILL)
 */
async function setup(t, transport, entry = AGENT) {
  const hub = new IpcMain()
  const mainLog = t.mock.method(console, 'error', () => {})
  if (transport === 'in-process') {
    t.after(() => hub.close())
    const r = hub.createRenderer()
    const wc = await webContentsOf(hub, r)
    return {
      hub,
      wc,
      run: async (fn, ...args) => fn({ ipcRenderer: r, ipc, require, logged: [], summarize }, ...args),
      // One console in-process: main and renderer log to the same mock.
      logged: async () => mainLog.mock.calls.map((c) => String(c.arguments[0])),
      kill: () => r.close(),
    }
  }
  let wc
  if (transport === 'worker') {
    wc = await hub.spawnWorker(entry)
    t.after(async () => {
      await wc.worker.terminate()
      await hub.close()
    })
  } else {
    wc = await hub.fork(entry)
    t.after(async () => {
      await hub.close()
      if (wc.process.exitCode === null && wc.process.signalCode === null) wc.process.kill('SIGKILL')
    })
  }
  const { run, quit } = agentOf(wc)
  return {
    hub,
    wc,
    run,
    logged: () => run(({ logged }) => logged.map((args) => args[0])),
    kill: () => (transport === 'worker' ? wc.worker.terminate() : wc.process.kill('SIGKILL')),
    quit,
  }
}

/** The error class main's handlers throw in these tests. */
class ValidationError extends Error {
  constructor(message, options) {
    super(message, options)
    this.name = 'ValidationError'
    this.code = 'E_VALIDATION'
    this.field = 'email'
    this.details = { min: 3, at: new Date(0), tags: new Set(['a']) }
    // Not cloneable: skipped, never fatal.
    this.callback = () => {}
  }
}

for (const transport of TRANSPORTS) {
  describe(`errors keep their shape (${transport} renderer -> main)`, SUITE, () => {
    it('a custom error class arrives with name, code, own fields, its cause chain and remoteStack', async (t) => {
      const a = await setup(t, transport)
      a.hub.handle('validate', function validateHandler() {
        const inner = new RangeError('too short', { cause: 'root cause' })
        inner.code = 'E_LEN'
        throw new ValidationError('bad email', { cause: inner })
      })
      const got = await a.run(async ({ ipcRenderer, summarize }) => {
        try {
          await ipcRenderer.invoke('validate')
          return 'resolved'
        } catch (err) {
          return { ...summarize(err), isError: err instanceof Error, causeIsRangeError: err.cause instanceof RangeError }
        }
      })
      const { remoteStack, cause, ...rest } = got
      assert.deepEqual(rest, {
        name: 'ValidationError',
        message: failed('validate', 'ValidationError: bad email'),
        code: 'E_VALIDATION',
        field: 'email',
        details: { min: 3, at: new Date(0), tags: new Set(['a']) },
        class: 'Error',
        isError: true,
        causeIsRangeError: true,
      })
      assert.match(remoteStack, /^ValidationError: bad email\n/)
      assert.match(remoteStack, /validateHandler/, 'remoteStack is the stack main threw from')
      const { remoteStack: causeStack, ...causeRest } = cause
      assert.deepEqual(causeRest, {
        name: 'RangeError',
        message: 'too short',
        code: 'E_LEN',
        class: 'RangeError',
        cause: { value: 'root cause' },
      })
      assert.match(causeStack, /^RangeError: too short\n/)
      assert.match(causeStack, /validateHandler/)
      // Main still logs the failure as Electron does.
      assert.equal(console.error.mock.calls[0].arguments[0], "Error occurred in handler for 'validate':")
    })

    it("a built-in error keeps Electron's name and message, and adds remoteStack", async (t) => {
      const a = await setup(t, transport)
      a.hub.handle('type-error', function typeErrorHandler() {
        throw new TypeError('bad type')
      })
      const got = await a.run(async ({ ipcRenderer, summarize }) => {
        const out = {}
        for (const ch of ['type-error', 'no-such-handler']) {
          try {
            await ipcRenderer.invoke(ch)
          } catch (err) {
            out[ch] = summarize(err)
          }
        }
        return out
      })
      assert.equal(got['type-error'].name, 'Error')
      assert.equal(got['type-error'].message, failed('type-error', 'TypeError: bad type'))
      assert.match(got['type-error'].remoteStack, /^TypeError: bad type\n[^]*typeErrorHandler/)
      assert.equal(got['no-such-handler'].name, 'Error')
      assert.equal(got['no-such-handler'].message, noHandler('no-such-handler'))
      assert.match(got['no-such-handler'].remoteStack, /^Error: No handler registered for 'no-such-handler'\n/)
    })

    it('a thrown string or plain object is handled: Electron text, remoteValue, and an object\'s fields', async (t) => {
      const a = await setup(t, transport)
      a.hub.handle('string', () => {
        throw 'plain string'
      })
      a.hub.handle('object', async () => {
        throw { code: 'E_OBJECT', detail: { n: 1 }, message: 'not copied over the message' }
      })
      const got = await a.run(async ({ ipcRenderer, summarize }) => {
        const out = {}
        for (const ch of ['string', 'object']) {
          try {
            await ipcRenderer.invoke(ch)
          } catch (err) {
            out[ch] = summarize(err)
          }
        }
        return out
      })
      assert.deepEqual(got.string, {
        name: 'Error',
        message: failed('string', 'plain string'),
        remoteValue: 'plain string',
        class: 'Error',
      })
      assert.deepEqual(got.object, {
        name: 'Error',
        message: failed('object', '[object Object]'),
        code: 'E_OBJECT',
        detail: { n: 1 },
        remoteValue: { code: 'E_OBJECT', detail: { n: 1 }, message: 'not copied over the message' },
        class: 'Error',
      })
    })

    it('cyclic causes, throwing getters and uncloneable fields never break the answer', async (t) => {
      const a = await setup(t, transport)
      a.hub.handle('nasty', () => {
        const first = new Error('first')
        const second = new Error('second', { cause: first })
        first.cause = second
        Object.defineProperty(first, 'boom', {
          enumerable: true,
          get() {
            throw new Error('getter')
          },
        })
        first.sym = Symbol('s')
        first.fine = 1
        throw first
      })
      const got = await a.run(async ({ ipcRenderer, summarize }) => {
        try {
          await ipcRenderer.invoke('nasty')
          return 'resolved'
        } catch (err) {
          return summarize(err)
        }
      })
      assert.equal(got.message, failed('nasty', 'Error: first'))
      assert.equal(got.fine, 1)
      assert.equal('boom' in got, false)
      assert.equal('sym' in got, false)
      assert.equal(got.cause.message, 'second')
      // first -> second -> first again: the chain ends instead of looping.
      assert.equal('cause' in got.cause, false)
    })
  })

  describe(`invokeWithOptions and event.signal (${transport} renderer -> main)`, SUITE, () => {
    it("times out with IPC_TIMEOUT; the handler's event.signal aborts; its late answer is dropped", async (t) => {
      const a = await setup(t, transport)
      const mainAbort = deferred()
      a.hub.handle('never', (event) => {
        // Answers only after the renderer gave up: that answer must be dropped.
        return abortOf(event.signal).then((reason) => {
          mainAbort.resolve(reason)
          return 'late answer'
        })
      })
      a.hub.handle('echo', (event, v) => v)
      const got = await a.run(async ({ ipcRenderer }) => {
        let outcome
        try {
          outcome = ['resolved', await ipcRenderer.invokeWithOptions('never', { timeout: 1 })]
        } catch (err) {
          outcome = [err.name, err.code, err.message, err instanceof Error]
        }
        return outcome
      })
      assert.deepEqual(got, ['Error', 'IPC_TIMEOUT', "Invoke of 'never' timed out after 1 ms", true])
      const reason = await mainAbort.promise
      assert.equal(reason.code, 'IPC_TIMEOUT')
      assert.equal(reason.message, "Invoke of 'never' timed out after 1 ms")
      // The late answer went out before this one's (main -> renderer order):
      // the renderer dropped it and carries on.
      assert.equal(await a.run(({ ipcRenderer }) => ipcRenderer.invoke('echo', 'still fine')), 'still fine')
      assert.equal(a.wc.isDestroyed(), false)
    })

    it('an already-aborted signal rejects with an AbortError (cause: the reason) and sends nothing', async (t) => {
      const a = await setup(t, transport)
      let calls = 0
      a.hub.handle('count', () => ++calls)
      const got = await a.run(async ({ ipcRenderer }) => {
        const out = []
        const reason = new Error('changed my mind')
        const ac = new AbortController()
        ac.abort(reason)
        for (const signal of [ac.signal, AbortSignal.abort()]) {
          try {
            await ipcRenderer.invokeWithOptions('count', { signal })
            out.push('resolved')
          } catch (err) {
            out.push({
              name: err.name,
              code: err.code,
              message: err.message,
              isError: err instanceof Error,
              cause: err.cause === reason ? 'the reason' : err.cause && err.cause.name,
            })
          }
        }
        out.push(await ipcRenderer.invoke('count'))
        return out
      })
      const abortError = { name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted', isError: true }
      assert.deepEqual(got, [
        { ...abortError, cause: 'the reason' },
        { ...abortError, cause: 'AbortError' },
        1, // ordered after the aborted ones: they never reached main
      ])
      assert.equal(calls, 1)
    })

    it("aborting during the call rejects with an AbortError and aborts the handler's event.signal", async (t) => {
      const a = await setup(t, transport)
      const mainAbort = deferred()
      a.hub.handle('slow', (event) => {
        event.sender.send('started')
        return abortOf(event.signal).then((reason) => {
          mainAbort.resolve(reason)
          return 'too late'
        })
      })
      const got = await a.run(async ({ ipcRenderer }) => {
        const ac = new AbortController()
        const started = new Promise((resolve) => ipcRenderer.once('started', resolve))
        const p = ipcRenderer.invokeWithOptions('slow', { signal: ac.signal, timeout: 2 ** 31 - 1 })
        await started
        ac.abort('stop')
        try {
          return ['resolved', await p]
        } catch (err) {
          return [err.name, err.code, err.message, err.cause]
        }
      })
      assert.deepEqual(got, ['AbortError', 'ABORT_ERR', 'The operation was aborted', 'stop'])
      const reason = await mainAbort.promise
      assert.equal(reason.name, 'AbortError')
      assert.equal(reason.code, 'ABORT_ERR')
    })

    it("the handler's event.signal aborts when the renderer dies", async (t) => {
      const a = await setup(t, transport)
      const started = deferred()
      a.hub.handle('hang', (event) => {
        started.resolve(event.signal)
        return new Promise(() => {})
      })
      await a.run(({ ipcRenderer }) => {
        ipcRenderer.invoke('hang').catch(() => {})
      })
      const signal = await started.promise
      assert.equal(signal.aborted, false)
      a.kill()
      const reason = await abortOf(signal)
      assert.equal(reason.code, 'IPC_DISCONNECTED')
      await destroyedOf(a.wc)
    })

    it('event.signal is on every IpcMainInvokeEvent; it does not abort for a call that was answered', async (t) => {
      const a = await setup(t, transport)
      let seen
      a.hub.handle('plain', (event) => {
        seen = event
        return [event.signal instanceof AbortSignal, event.signal.aborted]
      })
      assert.deepEqual(await a.run(({ ipcRenderer }) => ipcRenderer.invoke('plain')), [true, false])
      a.kill()
      await destroyedOf(a.wc)
      assert.equal(seen.signal.aborted, false)
    })

    it("options are checked as Node's validators check them; nothing is sent then", async (t) => {
      const a = await setup(t, transport)
      let calls = 0
      a.hub.handle('count', () => ++calls)
      const got = await a.run(async ({ ipcRenderer }) => {
        const out = []
        const bad = [null, 5, { timeout: '10' }, { timeout: -1 }, { timeout: NaN }, { timeout: Infinity }, { timeout: 2 ** 31 }, { signal: {} }, { signal: null }]
        for (const options of bad) {
          try {
            await ipcRenderer.invokeWithOptions('count', options)
            out.push('resolved')
          } catch (err) {
            out.push([err.name, err.code, err.message])
          }
        }
        out.push(await ipcRenderer.invokeWithOptions('count', {}))
        return out
      })
      const type = ['TypeError', 'ERR_INVALID_ARG_TYPE']
      const range = ['RangeError', 'ERR_OUT_OF_RANGE']
      assert.deepEqual(
        got.map((x) => (Array.isArray(x) ? x.slice(0, 2) : x)),
        [type, type, type, range, range, range, range, type, type, 1],
      )
      assert.equal(got[0][2], 'The "options" argument must be of type object. Received null')
      assert.equal(got[2][2], `The "options.timeout" property must be of type number. Received type string ('10')`)
      assert.equal(got[3][2], 'The value of "options.timeout" is out of range. It must be >= 0 && <= 2147483647. Received -1')
      assert.equal(got[7][2], 'The "options.signal" property must be an instance of AbortSignal. Received an instance of Object')
      assert.equal(calls, 1)
    })

    it('invokeWithOptions works detached and through Object.create()', async (t) => {
      const a = await setup(t, transport)
      a.hub.handle('echo', (event, v) => v)
      const got = await a.run(async ({ ipcRenderer }) => {
        const { invokeWithOptions } = ipcRenderer
        const wrapper = Object.create(ipcRenderer)
        return [
          await invokeWithOptions('echo', { timeout: 2 ** 31 - 1 }, 'detached'),
          await wrapper.invokeWithOptions('echo', {}, 'wrapped'),
        ]
      })
      assert.deepEqual(got, ['detached', 'wrapped'])
    })
  })

  describe(`main -> renderer invoke (${transport} renderer)`, SUITE, () => {
    it("wc.invoke runs the renderer's handler: sync and async results, cloned arguments, the renderer's event", async (t) => {
      const a = await setup(t, transport)
      const names = await a.run(({ ipcRenderer }) => {
        ipcRenderer.handle('add', (event, x, y) => x + y)
        ipcRenderer.handle('later', async (event, map) => {
          await new Promise(setImmediate)
          return new Map([...map, ['c', 3]])
        })
        ipcRenderer.handle('event', (event) => ({
          senderIsIpcRenderer: event.sender === ipcRenderer,
          senderId: event.senderId,
          ports: event.ports,
        }))
        return ipcRenderer.eventNames()
      })
      // Handlers are not listeners.
      for (const name of ['add', 'later', 'event']) assert.equal(names.includes(name), false)
      assert.equal(await a.wc.invoke('add', 2, 3), 5)
      assert.deepEqual(await a.wc.invoke('later', new Map([['a', 1]])), new Map([['a', 1], ['c', 3]]))
      assert.deepEqual(await a.wc.invoke('event'), { senderIsIpcRenderer: true, senderId: 0, ports: [] })
    })

    it("a throwing renderer handler rejects wc.invoke with Electron's text and the error's shape; the renderer logs it", async (t) => {
      const a = await setup(t, transport)
      await a.run(({ ipcRenderer }) => {
        class QuotaError extends Error {
          constructor(message, options) {
            super(message, options)
            this.name = 'QuotaError'
            this.code = 'E_QUOTA'
            this.limit = 5
          }
        }
        ipcRenderer.handle('fail', function rendererHandler() {
          throw new QuotaError('over quota', { cause: new Error('disk full') })
        })
        ipcRenderer.handle('reject', async () => {
          throw 'nope'
        })
      })
      const fail = await a.wc.invoke('fail').then(() => 'resolved', summarize)
      const { remoteStack, cause, ...rest } = fail
      assert.deepEqual(rest, {
        name: 'QuotaError',
        message: failed('fail', 'QuotaError: over quota'),
        code: 'E_QUOTA',
        limit: 5,
        class: 'Error',
      })
      assert.match(remoteStack, /^QuotaError: over quota\n[^]*rendererHandler/)
      assert.equal(cause.message, 'disk full')
      assert.equal(cause.class, 'Error')
      const reject = await a.wc.invoke('reject').then(() => 'resolved', summarize)
      assert.deepEqual(reject, { name: 'Error', message: failed('reject', 'nope'), remoteValue: 'nope', class: 'Error' })
      const logged = await a.logged()
      assert.deepEqual(
        logged.filter((line) => line.startsWith('Error occurred')),
        ["Error occurred in handler for 'fail':", "Error occurred in handler for 'reject':"],
      )
    })

    it("missing, duplicate, removed and once handlers follow ipcMain's rules and texts", async (t) => {
      const a = await setup(t, transport)
      await assert.rejects(a.wc.invoke('none'), { name: 'Error', message: noHandler('none') })
      const got = await a.run(({ ipcRenderer }) => {
        const out = []
        ipcRenderer.handle('dup', () => 'dup')
        for (const register of [() => ipcRenderer.handle('dup', () => 'again'), () => ipcRenderer.handle('fn', 42)]) {
          try {
            register()
            out.push('registered')
          } catch (err) {
            out.push(`${err.name}: ${err.message}`)
          }
        }
        ipcRenderer.handleOnce('once', (event, v) => `once ${v}`)
        return out
      })
      assert.deepEqual(got, [
        "Error: Attempted to register a second handler for 'dup'",
        "TypeError: Expected handler to be a function, but found type 'number'",
      ])
      assert.equal(await a.wc.invoke('dup'), 'dup')
      assert.equal(await a.wc.invoke('once', 1), 'once 1')
      await assert.rejects(a.wc.invoke('once', 2), { message: noHandler('once') })
      await a.run(({ ipcRenderer }) => ipcRenderer.removeHandler('dup'))
      await assert.rejects(a.wc.invoke('dup'), { message: noHandler('dup') })
    })

    it('wc.invokeWithOptions: timeout, abort before and during, bad options; a late answer is dropped', async (t) => {
      const a = await setup(t, transport)
      await a.run(({ ipcRenderer }) => {
        let count = 0
        ipcRenderer.handle('count', () => ++count)
        ipcRenderer.handle('echo', (event, v) => v)
        ipcRenderer.handle('hold', () => {
          ipcRenderer.send('started')
          return new Promise((resolve) => ipcRenderer.once('release', () => resolve('late answer')))
        })
      })
      // Timeout, then the late answer: dropped (it precedes echo's answer).
      await assert.rejects(a.wc.invokeWithOptions('hold', { timeout: 1 }), {
        name: 'Error',
        code: 'IPC_TIMEOUT',
        message: "Invoke of 'hold' timed out after 1 ms",
      })
      a.wc.send('release')
      assert.equal(await a.wc.invoke('echo', 'still fine'), 'still fine')

      // Aborted before: nothing is sent.
      const reason = new Error('no')
      await assert.rejects(a.wc.invokeWithOptions('count', { signal: AbortSignal.abort(reason) }), (err) => {
        assert.equal(err.name, 'AbortError')
        assert.equal(err.code, 'ABORT_ERR')
        assert.equal(err.cause, reason)
        return true
      })
      assert.equal(await a.wc.invoke('count'), 1)

      // Aborted during.
      const started = next(a.wc.ipc, 'started')
      const ac = new AbortController()
      const during = a.wc.invokeWithOptions('hold', { signal: ac.signal, timeout: 2 ** 31 - 1 })
      await started
      ac.abort('enough')
      await assert.rejects(during, { name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted', cause: 'enough' })
      a.wc.send('release')
      assert.equal(await a.wc.invoke('echo', 'after abort'), 'after abort')

      await assert.rejects(a.wc.invokeWithOptions('echo', { timeout: -5 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
      await assert.rejects(a.wc.invokeWithOptions('echo', { signal: 'x' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
      assert.equal(await a.wc.invoke('count'), 2)
    })

    it("main giving up wc.invokeWithOptions aborts the renderer handler's event.signal (timeout, abort)", async (t) => {
      const a = await setup(t, transport)
      await a.run(({ ipcRenderer }) => {
        ipcRenderer.handle('watch', (event) => {
          const signal = event.signal
          ipcRenderer.send('watching', signal instanceof AbortSignal, signal.aborted)
          return new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              const r = signal.reason
              ipcRenderer.send('aborted', r.name, r.code, r.message)
              resolve('too late')
            })
          })
        })
        ipcRenderer.handle('quick', (event) => event.signal.aborted)
      })
      let watching = next(a.wc.ipc, 'watching')
      let aborted = next(a.wc.ipc, 'aborted')
      await assert.rejects(a.wc.invokeWithOptions('watch', { timeout: 5 }), { code: 'IPC_TIMEOUT' })
      assert.deepEqual((await watching).slice(1), [true, false])
      assert.deepEqual((await aborted).slice(1), ['Error', 'IPC_TIMEOUT', "Invoke of 'watch' timed out after 5 ms"])

      watching = next(a.wc.ipc, 'watching')
      aborted = next(a.wc.ipc, 'aborted')
      const ac = new AbortController()
      const during = a.wc.invokeWithOptions('watch', { signal: ac.signal })
      await watching
      ac.abort()
      await assert.rejects(during, { name: 'AbortError', code: 'ABORT_ERR' })
      assert.deepEqual((await aborted).slice(1), ['AbortError', 'ABORT_ERR', 'The operation was aborted'])

      // An answered call's signal never aborts; the late answers were dropped.
      assert.equal(await a.wc.invoke('quick'), false)
    })

    it("the renderer's death rejects main's pending invokes with IPC_DISCONNECTED; a destroyed WebContents rejects at once", async (t) => {
      const a = await setup(t, transport)
      await a.run(({ ipcRenderer }) => {
        ipcRenderer.handle('hang', () => {
          ipcRenderer.send('started')
          return new Promise(() => {})
        })
      })
      const started = next(a.wc.ipc, 'started')
      const pending = a.wc.invoke('hang')
      await started
      a.kill()
      await assert.rejects(pending, { code: 'IPC_DISCONNECTED' })
      await destroyedOf(a.wc)
      await assert.rejects(a.wc.invoke('hang'), { name: 'Error', message: 'Object has been destroyed' })
      await assert.rejects(a.wc.invokeWithOptions('hang', { timeout: 1 }), { message: 'Object has been destroyed' })
    })

    it("ordering: wc.send and wc.invoke arrive in the order sent; a handler's sends arrive before its answer", async (t) => {
      const a = await setup(t, transport)
      await a.run(({ ipcRenderer }) => {
        const log = []
        ipcRenderer.on('m', (event, v) => log.push(v))
        ipcRenderer.handle('h', (event, v) => {
          log.push(v)
          ipcRenderer.send('before-answer', v)
          return log.slice()
        })
      })
      const mainLog = []
      a.wc.ipc.on('before-answer', (event, v) => mainLog.push(`send ${v}`))
      a.wc.send('m', 1)
      const first = a.wc.invoke('h', 2).then((v) => {
        mainLog.push('answer 2')
        return v
      })
      a.wc.send('m', 3)
      const second = a.wc.invoke('h', 4).then((v) => {
        mainLog.push('answer 4')
        return v
      })
      assert.deepEqual(await first, [1, 2])
      assert.deepEqual(await second, [1, 2, 3, 4])
      // Answers go out once the handler's result settled (a microtask later,
      // as main's own answers), so only each handler's own order is fixed.
      assert.ok(mainLog.indexOf('send 2') < mainLog.indexOf('answer 2'), mainLog.join())
      assert.ok(mainLog.indexOf('send 4') < mainLog.indexOf('answer 4'), mainLog.join())
      assert.ok(mainLog.indexOf('answer 2') < mainLog.indexOf('answer 4'), mainLog.join())
    })

    if (transport !== 'in-process') {
      it('a renderer whose only tie is a handler stays alive for wc.invoke, and ends by itself once it is removed', async (t) => {
        const a = await setup(t, transport, fixture('extras-handler-only.js'))
        assert.equal(await a.wc.invoke('ping', 1), 2)
        await destroyedOf(a.wc)
        assert.equal(a.wc.isCrashed(), false)
      })

      it('answered or given-up invokes with long timeouts and signals let the renderer end by itself', async (t) => {
        const a = await setup(t, transport)
        a.hub.handle('echo', (event, v) => v)
        a.hub.handle('hang', () => new Promise(() => {}))
        const got = await a.run(async ({ ipcRenderer }) => {
          const ac = new AbortController()
          const answered = await ipcRenderer.invokeWithOptions('echo', { timeout: 2 ** 31 - 1, signal: ac.signal }, 'ok')
          const gaveUp = new AbortController()
          const p = ipcRenderer.invokeWithOptions('hang', { timeout: 2 ** 31 - 1, signal: gaveUp.signal })
          gaveUp.abort()
          const code = await p.catch((err) => err.code)
          return [answered, code]
        })
        assert.deepEqual(got, ['ok', 'ABORT_ERR'])
        // Nothing of those calls (a timer, a listener) holds the renderer now.
        a.quit()
        await destroyedOf(a.wc)
        assert.equal(a.wc.isCrashed(), false)
      })
    }
  })
}
