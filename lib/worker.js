'use strict'
// Renderers on worker_threads: the worker side (WorkerPort, connectWorker)
// and the main side (spawnWorker).

const path = require('node:path')
const { fileURLToPath } = require('node:url')
const { threadId } = require('node:worker_threads')
const { RemotePort } = require('./port')
const { attachRenderer } = require('./native')
const errors = require('./errors')
const { isOwnHub } = require('./teardown')

const kDefaultRenderer = Symbol.for('ipc-main.defaultRenderer')
const kTerminated = Symbol('ipc-main.terminated')

/** A renderer on another thread than its hub, attached to it directly. */
class WorkerPort extends RemotePort {
  constructor(hubId, meta) {
    // Like parentPort.on('message'): a listener keeps the worker alive.
    super((onDoorbell) => attachRenderer(hubId, onDoorbell, JSON.stringify(meta)), true)
    this.hubId = hubId
    // `send(); process.exit()` in a worker: the batch goes before the exit.
    process.once('exit', () => this.handOver())
  }

  sendSync(request, channel, enc) {
    // `connect(hub.threadAddress)` on the hub's own thread: the hub could
    // only answer once this thread returned, so the wait would never end.
    if (isOwnHub(this.hubId)) throw errors.deadlock()
    return super.sendSync(request, channel, enc)
  }
}

/**
 * Connects this thread's default `ipcRenderer` to hub `hubId` of this
 * process (used by the spawnWorker bootstrap and by `connect()`).
 * @returns {import('./ipc-renderer').IpcRenderer}
 */
function connectWorker(hubId, { nonce = 0, url = '' } = {}) {
  const { IpcRenderer } = require('./ipc-renderer')
  const port = new WorkerPort(hubId, { kind: 'worker', pid: process.pid, threadId, nonce, url })
  const renderer = new IpcRenderer(port)
  if (nonce !== 0) globalThis[kDefaultRenderer] = renderer
  return renderer
}

const BOOTSTRAP = path.join(__dirname, 'worker-bootstrap.js')

function ignoreError() {}

/**
 * Starts `filename` in a Worker as a renderer of `hub`; resolves with its
 * WebContents once its ipcRenderer is connected.
 */
function spawnWorker(hub, filename, options = {}) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('The "options" argument must be of type object.')
  }
  if (options.eval) throw new TypeError('spawnWorker() runs a file: the "eval" option is not supported')
  let entry
  if (filename instanceof URL) entry = fileURLToPath(filename)
  else if (typeof filename === 'string') entry = path.resolve(filename)
  else {
    const err = new TypeError('The "filename" argument must be of type string or an instance of URL.')
    err.code = 'ERR_INVALID_ARG_TYPE'
    throw err
  }
  const { Worker } = require('node:worker_threads')
  const nonce = hub.native.expectWorker(entry)
  return new Promise((resolve, reject) => {
    let worker
    try {
      worker = new Worker(BOOTSTRAP, {
        ...options,
        argv: ['--ipc-main-worker', String(nonce), ...(options.argv ?? [])],
      })
    } catch (err) {
      hub.native.forgetWorker(nonce)
      reject(err)
      return
    }
    let wc = null
    const onError = (err) => {
      if (wc === null) {
        hub.native.forgetWorker(nonce)
        hub.expected.delete(nonce)
        reject(err)
      }
    }
    worker.once('error', onError)
    worker.once('exit', (code) => {
      // Deliver what it sent before it went (its CONNECT included: the exit
      // event can overtake frames still queued), then say it is gone.
      const known = wc !== null
      hub.pump.run(Infinity)
      if (wc === null) {
        onError(new Error(`ipc-main: the worker exited (code ${code}) before it connected`))
        return
      }
      const crashed = code !== 0 && !wc[kTerminated]
      // Connected only now: let `await spawnWorker()` resume (and attach
      // 'destroyed' listeners) before the WebContents goes away.
      if (known) hub.gone(wc, crashed)
      else setImmediate(() => hub.gone(wc, crashed))
    })
    hub.expected.set(nonce, (contents) => {
      wc = contents
      worker.off('error', onError)
      Object.defineProperty(wc, 'worker', { value: worker, enumerable: true })
      const terminate = worker.terminate
      // A worker blocked in sendSync cannot stop until it is woken. Stop it
      // first, then wake it: a thread woken after the stop runs no more
      // JavaScript, so nothing is thrown into it (woken first, its sendSync
      // threw IPC_DISCONNECTED into still-running code, whose uncaught
      // error crashed main through the Worker's 'error' event). Whatever it
      // still raises on its way out answers our own terminate() and goes
      // nowhere; the user's 'error' listeners still hear it.
      worker.terminate = function terminateRenderer(...args) {
        if (!wc[kTerminated]) {
          wc[kTerminated] = true
          worker.on('error', ignoreError)
        }
        const stopped = terminate.apply(this, args)
        hub.native.detach(wc.id)
        return stopped
      }
      resolve(wc)
    })
  })
}


module.exports = { connectWorker, spawnWorker, WorkerPort, kDefaultRenderer }
