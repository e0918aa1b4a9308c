'use strict'
// Renderers in other processes, over an authenticated Unix domain socket
// (API.md §6): the main side (listen, fork, the lifetime of a forked
// child's WebContents) and the renderer side (SocketPort, connectSocket).

const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pathToFileURL, fileURLToPath } = require('node:url')
const errors = require('./errors')
const native = require('./native')
const { RemotePort } = require('./port')

const DEFAULT_MAX_FRAME = 256 * 1024 * 1024
const CONNECT_TIMEOUT_MS = 10_000
/** How long exit waits for queued frames to reach a slow peer. */
const EXIT_FLUSH_MS = 2000
/** After a forked child exits, how long to wait for its socket to end. */
const CHILD_EOF_GRACE_MS = 2000
const BOOTSTRAP = path.join(__dirname, 'child-bootstrap.js')

const kChild = Symbol('ipc-main.child')

/** An Error with Node-style `code` from a native `[code, message]` failure. */
function failure([code, message], extra) {
  const err = new Error(message)
  err.code = code
  Object.assign(err, extra)
  return err
}

// ---------------------------------------------------------------- main side

/** Hubs listening in this environment: their queued frames are written at exit. */
const listening = new Set()
let exitHooked = false

function hookExit() {
  if (exitHooked) return
  exitHooked = true
  process.once('exit', () => {
    for (const hub of listening) {
      // What main sent in this last stretch is still in its JS batch.
      hub.out.flush()
      hub.native.flushBlocking(EXIT_FLUSH_MS)
      removeDir(hub.listening)
    }
    for (const port of ports) {
      port.handOver()
      port.native.flushBlocking(EXIT_FLUSH_MS)
    }
  })
}

function removeDir(state) {
  if (state === null || state.dir === null) return
  try {
    fs.rmSync(state.dir, { recursive: true, force: true })
  } catch {
    // Best effort: a temp dir left behind is harmless.
  }
  state.dir = null
}

/**
 * Starts listening (API.md §6); resolves with `{ address, token }`. Called
 * again with no options (as fork() does), it answers the same address.
 * @param {object} hub the JS hub
 * @param {{ path?: string, maxFrameSize?: number }} [options]
 */
function listen(hub, options) {
  if (options === undefined || options === null) options = {}
  if (typeof options !== 'object') throw errors.invalidArgType('options', 'of type object', options)
  const { path: wanted, maxFrameSize } = options
  if (wanted !== undefined && typeof wanted !== 'string') throw errors.invalidArgType('options.path', 'of type string', wanted)
  if (maxFrameSize !== undefined && (typeof maxFrameSize !== 'number' || !(maxFrameSize >= 1024))) {
    throw errors.outOfRange('options.maxFrameSize', '>= 1024', maxFrameSize)
  }
  if (process.platform === 'win32') {
    const err = new Error('ipc-main: listening on a named pipe is not implemented on Windows yet')
    err.code = 'IPC_UNSUPPORTED'
    throw err
  }
  if (hub.listening !== null) {
    const cur = hub.listening
    if (wanted === undefined || path.resolve(wanted) === cur.address) return { address: cur.address, token: cur.token }
    const err = new Error(`ipc-main: already listening on ${cur.address}`)
    err.code = 'IPC_ALREADY_LISTENING'
    throw err
  }
  const token = crypto.randomBytes(32).toString('hex')
  let dir = null
  let address
  if (wanted === undefined) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-'))
    fs.chmodSync(dir, 0o700)
    address = path.join(dir, 'ipc.sock')
  } else {
    address = path.resolve(wanted)
  }
  const failed = hub.native.listen(address, token, maxFrameSize ?? DEFAULT_MAX_FRAME)
  if (failed !== null) {
    if (dir !== null) fs.rmSync(dir, { recursive: true, force: true })
    throw failure([failed[0], `listen ${failed[0]} ${address}: ${failed[1]}`], { address })
  }
  hub.listening = { address, token, dir }
  listening.add(hub)
  hookExit()
  hub.native.keepAlive(hub.refed)
  return { address, token }
}

/** The hub stopped listening (close()). */
function unlisten(hub) {
  listening.delete(hub)
  removeDir(hub.listening)
  hub.listening = null
}

/**
 * Starts `modulePath` in a child Node process as a renderer of `hub` (like
 * child_process.fork); resolves with its WebContents (`wc.process`) once the
 * child's ipcRenderer is connected.
 */
function fork(hub, modulePath, args, options) {
  if (modulePath instanceof URL) modulePath = fileURLToPath(modulePath)
  if (typeof modulePath !== 'string') throw errors.invalidArgType('modulePath', 'of type string or an instance of URL', modulePath)
  if (args == null) {
    args = []
  } else if (!Array.isArray(args)) {
    if (typeof args === 'object' && options === undefined) {
      options = args
      args = []
    } else {
      throw errors.invalidArgType('args', 'an instance of Array', args)
    }
  }
  if (options == null) options = {}
  if (typeof options !== 'object') throw errors.invalidArgType('options', 'of type object', options)
  const { address, token } = listen(hub)
  const nonce = `fork-${crypto.randomBytes(12).toString('hex')}`
  const env = {
    ...(options.env ?? process.env),
    IPC_MAIN_ADDRESS: address,
    IPC_MAIN_TOKEN: token,
    IPC_MAIN_NONCE: nonce,
  }
  const execArgv = [...(options.execArgv ?? process.execArgv), '--require', BOOTSTRAP]
  const { fork: forkChild } = require('node:child_process')
  const child = forkChild(modulePath, args, { ...options, env, execArgv })
  return new Promise((resolve, reject) => {
    let wc = null
    const fail = (err) => {
      if (wc !== null) return
      hub.expected.delete(nonce)
      reject(err)
    }
    child.once('error', fail)
    child.once('exit', (code, signal) => {
      // Frames it sent before it went come first (its CONNECT included).
      hub.pump.run(Infinity)
      if (wc === null) {
        const how = signal ? `signal ${signal}` : `code ${code}`
        fail(new Error(`ipc-main: the child process exited (${how}) before it connected`))
        return
      }
      const state = wc[kChild]
      state.exited = true
      state.crashed = !state.closed && (signal !== null || code !== 0)
      if (state.socketGone) {
        hub.gone(wc, state.crashed)
      } else {
        // Its socket's end is on its way (the kernel closed it): wait for it,
        // so what the child sent last is delivered before 'destroyed'.
        setTimeout(() => hub.gone(wc, state.crashed), CHILD_EOF_GRACE_MS).unref()
      }
    })
    hub.expected.set(nonce, (contents) => {
      wc = contents
      child.off('error', fail)
      wc[kChild] = { exited: false, crashed: false, socketGone: false, closed: false }
      Object.defineProperty(wc, 'process', { value: child, enumerable: true })
      resolve(wc)
    })
  })
}

/**
 * A socket renderer's connection ended (its DISCONNECT frame): `explicit`
 * when it called close(). Returns whether the WebContents is gone now; a
 * forked child's waits for the child's exit status (to tell a crash).
 */
function socketEnded(wc, explicit) {
  const state = wc[kChild]
  if (state === undefined) return true
  state.socketGone = true
  if (explicit) state.closed = true
  return explicit || state.exited
}

/** Whether `wc` is a forked child's WebContents that is still waited for. */
function childCrashed(wc) {
  return wc[kChild]?.crashed === true
}

// ------------------------------------------------------------ renderer side

/** Live socket ports of this environment: what they queued is written at exit. */
const ports = new Set()

/** A renderer connected to a main over the socket. */
class SocketPort extends RemotePort {
  constructor(handle, address) {
    // Like a forked child's process.on('message'): a listener keeps it alive.
    super((onDoorbell) => native.openSocketRenderer(handle, onDoorbell), true)
    this.address = address
    this.mainPid = this.native.mainPid
    ports.add(this)
    hookExit()
  }

  sendSync(request, channel, enc) {
    for (const hub of listening) {
      if (hub.listening.address === this.address) {
        const err = new Error(
          'ipc-main: sendSync() to a main on this same thread would wait for ever; use invoke(), or a worker',
        )
        err.code = 'IPC_DEADLOCK'
        throw err
      }
    }
    return super.sendSync(request, channel, enc)
  }

  close() {
    ports.delete(this)
    super.close()
  }
}

function checkConnectArgs(address, options) {
  if (typeof address !== 'string') throw errors.invalidArgType('address', 'of type string', address)
  if (options == null) options = {}
  if (typeof options !== 'object') throw errors.invalidArgType('options', 'of type object', options)
  if (options.token !== undefined && typeof options.token !== 'string') {
    throw errors.invalidArgType('options.token', 'of type string', options.token)
  }
  const timeout = options.timeout ?? CONNECT_TIMEOUT_MS
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw errors.invalidArgType('options.timeout', 'a positive number', options.timeout)
  }
  return { token: options.token ?? '', timeout: Math.min(timeout, 0xffffffff) }
}

function meta(extra) {
  const entry = process.argv[1]
  return JSON.stringify({
    pid: process.pid,
    url: entry ? pathToFileURL(path.resolve(entry)).href : '',
    ...extra,
  })
}

function connected(result, address) {
  if (Array.isArray(result)) {
    const [code, message] = result
    const text = code === 'IPC_AUTH_FAILED' || code === 'IPC_PROTOCOL' ? `ipc-main: ${message}` : `connect ${code} ${address}`
    throw failure([code, text], { address })
  }
  const { IpcRenderer } = require('./ipc-renderer')
  return new IpcRenderer(new SocketPort(result, path.resolve(address)))
}

/**
 * Connects a renderer to the main listening at `address`, off this thread.
 * @returns {Promise<import('./ipc-renderer').IpcRenderer>}
 */
async function connectSocket(address, options) {
  const { token, timeout } = checkConnectArgs(address, options)
  const result = await native.socketConnect(address, token, meta({}), timeout)
  return connected(result, address)
}

/**
 * As connectSocket(), blocking this thread for the handshake (a child's
 * default ipcRenderer is made in a getter). `nonce` pairs it with fork().
 */
function connectSocketSync(address, options = {}) {
  const { token, timeout } = checkConnectArgs(address, options)
  const extra = options.nonce ? { nonce: options.nonce } : {}
  return connected(native.socketConnectSync(address, token, meta(extra), timeout), address)
}

module.exports = {
  listen,
  unlisten,
  fork,
  socketEnded,
  childCrashed,
  connectSocket,
  connectSocketSync,
}
