'use strict'
// Test plumbing between a test (the main process) and a window (./window.js,
// a worker-thread renderer). The test asks the page to do something with
// `page.call(command, ...args)` and hears what it pushes with `page.next()`.
// This side channel is the worker's own MessagePort, not IPC: the IPC under
// test carries only the library's own traffic.

const path = require('node:path')
const { EventEmitter, once } = require('node:events')
const { parentPort } = require('node:worker_threads')

// A call the library never answers (say, because the stand-in lacks what it
// needs and the message was dropped) fails with this, not a runner timeout
// (20 s a test). Loading a page starts a worker that requires the library:
// seconds on a loaded machine.
const CALL_TIMEOUT = 15000

// ------------------------------------------------------------- main side

const opened = new Set()

/**
 * Opens a window as `new BrowserWindow({ webPreferences: { preload } })`
 * followed by `loadFile(page)` would: a worker-thread renderer runs the
 * preload, then the page. Resolves once the page has loaded.
 * `contextIsolation: false` opens it as `webPreferences: { contextIsolation:
 * false, nodeIntegration: true }` would (process.contextIsolated is false).
 * @param {{ preload: string, page: string, contextIsolation?: boolean }} files absolute paths
 * @returns {Promise<{ win: import('electron').BrowserWindow, page: Page }>}
 */
async function openWindow({ preload, page, contextIsolation = true }) {
  const { ipcMain, BrowserWindow } = require('electron')
  const wc = await ipcMain.spawnWorker(path.join(__dirname, 'window.js'), {
    workerData: { preload, page, contextIsolation },
  })
  const win = BrowserWindow.fromWebContents(wc)
  opened.add(wc.worker)
  const handle = new Page(wc.worker)
  let timer
  try {
    await Promise.race([
      handle.ready,
      new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`the page did not load within ${CALL_TIMEOUT} ms`)), CALL_TIMEOUT)
      }),
    ])
  } catch (err) {
    await wc.worker.terminate()
    throw err
  } finally {
    clearTimeout(timer)
  }
  return { win, page: handle }
}

/**
 * Ends every window openWindow() made: for `after()`, so that a test whose
 * setup failed halfway does not leave a live worker holding the runner.
 */
async function closeWindows() {
  await Promise.all([...opened].map((worker) => worker.terminate()))
  opened.clear()
}

class Page extends EventEmitter {
  constructor(worker) {
    super()
    this.worker = worker
    this.nextId = 1
    this.pending = new Map()
    this.pushed = []
    this.ready = new Promise((resolve, reject) => {
      // A page that throws while loading (a preload that needs an Electron
      // API the stand-in lacks) fails openWindow() with its error.
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`the window exited (code ${code}) before its page loaded`)))
      this.once('ready', resolve)
    })
    worker.on('error', (err) => this.failAll(err))
    worker.on('exit', () => this.failAll(new Error('the window was closed')))
    worker.on('message', (msg) => {
      if (msg.ready) {
        this.emit('ready')
      } else if (msg.pushed !== undefined) {
        this.pushed.push(msg)
        this.emit('pushed')
      } else {
        const call = this.pending.get(msg.id)
        if (call === undefined) return
        this.pending.delete(msg.id)
        clearTimeout(call.timer)
        if ('error' in msg) call.reject(Object.assign(new Error(msg.error.message), msg.error))
        else call.resolve(msg.value)
      }
    })
  }

  /**
   * Runs the page's `command(...args)`; resolves with what it returned, or
   * rejects with an Error carrying the fields the page's describeError()
   * gave the error it threw (so `assert.rejects(p, { code: ... })` works).
   */
  call(command, ...args) {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`the page did not answer ${command}() within ${CALL_TIMEOUT} ms`))
      }, CALL_TIMEOUT)
      this.pending.set(id, { resolve, reject, timer })
      this.worker.postMessage({ id, command, args })
    })
  }

  /**
   * The next `{ pushed: name, value }` the page pushed with push(), in order.
   * @param {string} [name] skip pushes of other names
   */
  async next(name) {
    const deadline = Date.now() + CALL_TIMEOUT
    for (;;) {
      const at = this.pushed.findIndex((m) => name === undefined || m.pushed === name)
      if (at !== -1) return this.pushed.splice(at, 1)[0]
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`the page pushed no '${name}' within ${CALL_TIMEOUT} ms`)
      let timer
      await Promise.race([once(this, 'pushed'), new Promise((resolve) => (timer = setTimeout(resolve, left)))])
      clearTimeout(timer)
    }
  }

  failAll(err) {
    for (const call of this.pending.values()) {
      clearTimeout(call.timer)
      call.reject(err)
    }
    this.pending.clear()
  }
}

// ------------------------------------------------------------- page side

/**
 * Serves the test's page.call()s. `describeError(err)` turns an error the
 * page saw into plain fields (class checks must happen here, in the page's
 * realm: an Error posted to main arrives as a plain Error).
 * @param {Record<string, (...args: any[]) => any>} commands
 * @param {{ describeError?: (err: any) => object }} [options]
 */
function serve(commands, { describeError = () => ({}) } = {}) {
  parentPort.on('message', async ({ id, command, args }) => {
    try {
      const value = await commands[command](...args)
      parentPort.postMessage({ id, value })
    } catch (err) {
      const error = { name: err && err.name, message: err && err.message, ...describeError(err) }
      parentPort.postMessage({ id, error })
    }
  })
  parentPort.postMessage({ ready: true })
}

/** Tells the test something happened in the page (see page.next()). */
function push(name, value) {
  parentPort.postMessage({ pushed: name, value })
}

module.exports = { openWindow, closeWindows, serve, push }
