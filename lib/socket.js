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
/** Sockets are not read while the hub's queue holds more than this. */
const DEFAULT_MAX_QUEUE = 64 * 1024 * 1024
const CONNECT_TIMEOUT_MS = 10_000
/** After a forked child exits, how long to wait for its socket to end. */
const CHILD_EOF_GRACE_MS = 2000
const BOOTSTRAP = path.join(__dirname, 'child-bootstrap.js')
const { EXIT_FLUSH_MS } = require('./teardown')

const kChild = Symbol('ipc-main.child')

// ---------------------------------------------------------------- main side

/** Hubs listening in this environment: their socket directory goes at exit. */
const listening = new Set()
let exitHooked = false

function hookExit() {
  if (exitHooked) return
  exitHooked = true
  process.once('exit', () => {
    // Their queued frames were written by lib/teardown.js's exit hook,
    // registered when each hub was made, so before this one.
    for (const hub of listening) removeDir(hub.listening)
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

/** Children fork() started that are not gone yet, per JS hub. */
const liveForks = new WeakMap()

/**
 * Whether the hub keeps the process alive (API.md §6): after an explicit
 * listen(), as a net.Server does (unless unref()'d); a hub listening only
 * because fork() needed it, while a forked child is not gone yet, as
 * child_process.fork's channel does.
 */
function updateKeepAlive(hub) {
  const l = hub.listening
  const want = l !== null && hub.refed && (l.explicit || (liveForks.get(hub) ?? 0) > 0)
  hub.native.keepAlive(want)
}

/**
 * Starts listening (API.md §6); resolves with `{ address, token }`. Called
 * again with no options (as fork() does), it answers the same address.
 * @param {object} hub the JS hub
 * @param {{ path?: string, maxFrameSize?: number, maxQueueBytes?: number }} [options]
 * @param {boolean} [explicit] the user's listen(), not fork()'s
 */
function listen(hub, options, explicit = true) {
  if (options === undefined || options === null) options = {}
  if (typeof options !== 'object') throw errors.invalidArgType('options', 'of type object', options)
  const { path: wanted, maxFrameSize, maxQueueBytes } = options
  if (wanted !== undefined && typeof wanted !== 'string') throw errors.invalidArgType('options.path', 'of type string', wanted)
  if (maxFrameSize !== undefined && (typeof maxFrameSize !== 'number' || !(maxFrameSize >= 1024))) {
    throw errors.outOfRange('options.maxFrameSize', '>= 1024', maxFrameSize)
  }
  if (maxQueueBytes !== undefined) {
    if (typeof maxQueueBytes !== 'number') throw errors.invalidArgType('options.maxQueueBytes', 'of type number', maxQueueBytes)
    if (!(maxQueueBytes >= 1024) || (maxQueueBytes !== Infinity && !Number.isInteger(maxQueueBytes))) {
      throw errors.outOfRange('options.maxQueueBytes', 'an integer >= 1024, or Infinity', maxQueueBytes)
    }
  }
  if (process.platform === 'win32') {
    const err = new Error('ipc-main: listening on a named pipe is not implemented on Windows yet')
    err.code = 'IPC_UNSUPPORTED'
    throw err
  }
  if (hub.listening !== null) {
    const cur = hub.listening
    if (wanted === undefined || path.resolve(wanted) === cur.address) {
      if (explicit && !cur.explicit) {
        cur.explicit = true
        updateKeepAlive(hub)
      }
      return { address: cur.address, token: cur.token }
    }
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
  try {
    hub.native.listen(address, token, maxFrameSize ?? DEFAULT_MAX_FRAME, maxQueueBytes ?? DEFAULT_MAX_QUEUE)
  } catch (err) {
    if (dir !== null) fs.rmSync(dir, { recursive: true, force: true })
    throw errors.nativeFailure(err, `listen ${err.code} ${address}: ${err.message}`, { address })
  }
  hub.listening = { address, token, dir, explicit }
  listening.add(hub)
  hookExit()
  updateKeepAlive(hub)
  return { address, token }
}

/** The hub stopped listening (close()): nothing of the socket keeps it alive. */
function unlisten(hub) {
  listening.delete(hub)
  removeDir(hub.listening)
  hub.listening = null
  hub.native.keepAlive(false)
}

/** `-e <code>`, `--eval <code>`, `-p <code>`, `--print <code>` (and `-pe`). */
const EVAL_SWITCH = /^(?:-[ep]|-pe|-ep|--eval|--print)$/
/** `--eval=<code>`, `--print=<code>`. */
const EVAL_INLINE = /^--(?:eval|print)=/

/**
 * `execArgv` without the switch that gave this process its code inline (and
 * that code): a child of `node -e "…ipcMain.fork(m)…"` must run `m`, not the
 * parent's code again, which would fork again, and so on. As
 * child_process.fork does when it defaults to `process.execArgv`.
 * @param {string[]} execArgv
 * @returns {string[]}
 */
function withoutEval(execArgv) {
  if (process._eval == null) return execArgv
  const out = []
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]
    if (EVAL_SWITCH.test(arg)) i++
    else if (!EVAL_INLINE.test(arg)) out.push(arg)
  }
  return out
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
  const { address, token } = listen(hub, undefined, false)
  const nonce = `fork-${crypto.randomBytes(12).toString('hex')}`
  const env = {
    ...(options.env ?? process.env),
    IPC_MAIN_ADDRESS: address,
    IPC_MAIN_TOKEN: token,
    IPC_MAIN_NONCE: nonce,
  }
  const execArgv = [...(options.execArgv ?? withoutEval(process.execArgv)), '--require', BOOTSTRAP]
  const { fork: forkChild } = require('node:child_process')
  const child = forkChild(modulePath, args, { ...options, env, execArgv })
  // Counted until its WebContents is gone (forkGone) or it fails to connect.
  liveForks.set(hub, (liveForks.get(hub) ?? 0) + 1)
  updateKeepAlive(hub)
  let counted = true
  const uncount = () => {
    if (!counted) return
    counted = false
    liveForks.set(hub, liveForks.get(hub) - 1)
    if (hub.listening !== null) updateKeepAlive(hub)
  }
  return new Promise((resolve, reject) => {
    let wc = null
    const fail = (err) => {
      if (wc !== null) return
      hub.expected.delete(nonce)
      uncount()
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
      wc[kChild] = { exited: false, crashed: false, socketGone: false, closed: false, uncount }
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

/** A forked child's WebContents is gone: it no longer keeps the hub alive. */
function forkGone(wc) {
  wc[kChild]?.uncount()
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
      if (hub.listening.address === this.address) throw errors.deadlock()
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

/** A refused handshake (the native error, with its code) as connect() reports it. */
function refused(err, address) {
  const code = err.code
  const text = code === 'IPC_AUTH_FAILED' || code === 'IPC_PROTOCOL' ? `ipc-main: ${err.message}` : `connect ${code} ${address}`
  return errors.nativeFailure(err, text, { address })
}

/** A renderer over a finished handshake `handle`, or the refusal as thrown. */
function connected(handle, address) {
  // The async handshake resolves with its error rather than rejecting
  // (a napi task can only reject with a napi status).
  if (typeof handle !== 'number') throw refused(handle, address)
  const { IpcRenderer } = require('./ipc-renderer')
  return new IpcRenderer(new SocketPort(handle, path.resolve(address)))
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
  let handle
  try {
    handle = native.socketConnectSync(address, token, meta(extra), timeout)
  } catch (err) {
    throw refused(err, address)
  }
  return connected(handle, address)
}

/**
 * This environment's default renderer, connected to `address` (a child of
 * fork(), a process given IPC_MAIN_ADDRESS). Never throws (API.md §4): a
 * refused connection gives a disconnected renderer, with one stderr line
 * saying why, whose sendSync/invoke fail with `IPC_AUTH_FAILED` (wrong or
 * missing token) or `IPC_DISCONNECTED` (no main there, or not one of ours).
 */
function connectDefault(address, options) {
  try {
    return connectSocketSync(address, options)
  } catch (err) {
    const code = err.code === 'IPC_AUTH_FAILED' ? 'IPC_AUTH_FAILED' : 'IPC_DISCONNECTED'
    const why = String(err.message).replace(/^ipc-main: /, '')
    const message = `ipc-main: ipcRenderer could not connect to the main at ${address}: ${why}`
    console.error(message)
    const { refusedRenderer } = require('./ipc-renderer')
    return refusedRenderer(() => {
      const failure = new Error(message, { cause: err })
      failure.code = code
      return failure
    })
  }
}

module.exports = {
  connectDefault,
  listen,
  unlisten,
  updateKeepAlive,
  fork,
  forkGone,
  socketEnded,
  childCrashed,
  connectSocket,
  connectSocketSync,
}
