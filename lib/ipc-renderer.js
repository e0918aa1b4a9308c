'use strict'
// IpcRenderer (API.md §4): the renderer side. Transport-neutral: a "port"
// moves frames (LocalPort in lib/links.js for the in-process renderer;
// WorkerPort and SocketPort over lib/port.js for the others).

const { EventEmitter } = require('node:events')
const { inspect } = require('node:util')
const { decode, cloneLocal } = require('./codec')
const errors = require('./errors')
const { Calls, checkInvokeOptions, runHandler } = require('./calls')
const { encodeFailure } = require('./error-shape')
const { rendererEvent, HandledCall } = require('./events')
const { KIND } = require('./frames')
const ports = require('./ports')
const { rendererPorts, kPortEnds } = ports

const kPort = Symbol('ipc-main.port')
const kState = Symbol('ipc-main.state')
const kOnFrame = Symbol('ipc-main.onFrame')
const kOnMessage = Symbol('ipc-main.onMessage')
const kSettle = Symbol('ipc-main.settle')
const kDisconnect = Symbol('ipc-main.disconnect')
const kAnswer = Symbol('ipc-main.answer')

const kUpdateRef = Symbol('ipc-main.updateRef')

function noop() {}

const OPEN = 0
const DISCONNECTED = 1
const RELEASED = 2

function checkChannel(channel) {
  if (typeof channel !== 'string') {
    const shown = inspect(channel, { depth: -1 })
    const err = new TypeError(
      `The "channel" argument must be of type string. Received ${
        channel == null ? String(channel) : `type ${typeof channel} (${shown})`
      }`,
    )
    err.code = 'ERR_INVALID_ARG_TYPE'
    throw err
  }
}

/**
 * Starts an invoke of main (invoke and invokeWithOptions): checks, then
 * sends. Throws (the async callers turn it into a rejection) for a released
 * context, a bad channel or options, an aborted signal, uncloneable
 * arguments, or a main that is gone; nothing is sent then.
 */
function startInvoke(renderer, channel, options, args) {
  const state = renderer[kState]
  if (state.status === RELEASED) throw errors.contextReleased()
  checkChannel(channel)
  const { timeout, signal } = checkInvokeOptions(options)
  if (signal !== undefined && signal.aborted) throw errors.aborted(signal.reason)
  const port = renderer[kPort]
  const enc = port.encode(args)
  if (state.status === DISCONNECTED) throw state.failure()
  const call = state.calls.open(channel, timeout, signal)
  let sent
  try {
    sent = port.send(KIND.INVOKE, call.request, channel, enc)
  } catch (err) {
    // Refused before it left (a frame over main's limit): nothing pending.
    state.calls.take(call.request)
    throw err
  }
  if (!sent) {
    state.calls.take(call.request)
    renderer[kDisconnect]()
    throw errors.disconnected()
  }
  return call.promise
}

/** The body of `send`. */
function sendOf(renderer, channel, args) {
  const state = renderer[kState]
  if (state.status === RELEASED) throw errors.contextReleased()
  checkChannel(channel)
  const port = renderer[kPort]
  const enc = port.encode(args)
  if (state.status === DISCONNECTED) return
  port.send(KIND.SEND, 0, channel, enc)
}

/** The body of `sendSync`. */
function sendSyncOf(renderer, channel, args) {
  const state = renderer[kState]
  if (state.status === RELEASED) throw errors.contextReleased()
  checkChannel(channel)
  const port = renderer[kPort]
  const enc = port.encode(args)
  if (state.status === DISCONNECTED) throw state.failure()
  const request = state.calls.nextRequest()
  // The port answers `{ value }`, or null once disconnected.
  const reply = port.sendSync(request, channel, enc)
  if (reply === null) {
    renderer[kDisconnect]()
    throw errors.disconnected()
  }
  return reply.value
}

/**
 * The body of `invoke` and `invokeWithOptions`. Not an async function: the
 * call's own promise, and a failure before sending is a rejection (as
 * Electron), without another promise per call.
 */
function invokeOf(renderer, channel, options, args) {
  try {
    return startInvoke(renderer, channel, options, args)
  } catch (err) {
    return Promise.reject(err)
  }
}

/**
 * The renderer side of IPC: an EventEmitter for messages from main, plus
 * send / sendSync / invoke, and handlers answering main's `wc.invoke`.
 * `send`, `sendSync`, `invoke` and `invokeWithOptions` also work detached
 * from the object (`const { invoke } = ipcRenderer`).
 */
class IpcRenderer extends EventEmitter {
  /** @param {object} port internal transport */
  constructor(port) {
    super()
    const self = this
    const state = {
      status: OPEN,
      // Invokes of main in flight; a given-up one tells main with CANCEL.
      calls: new Calls(
        (request, channel, why, timeout) => {
          if (state.status !== OPEN) return
          self[kPort].send(KIND.CANCEL, request, channel, self[kPort].encode([why, timeout ?? null]))
        },
        // An in-process port holds nothing (main is on this thread); a
        // worker or socket port's calls hold its thread from Rust (read from
        // the frames): nothing to update per call either way.
        port.holdsLoop === false || port.holdsCalls ? noop : () => self[kUpdateRef](),
        port.listenersKeepAlive,
      ),
      // Handlers of main's wc.invoke, by channel: not listeners, so no
      // EventEmitter method sees them.
      handlers: new Map(),
      // Main's invokes this renderer is handling, by request: what a
      // CANCEL_RENDERER (or main going away) aborts `event.signal` of.
      handling: new Map(),
      ref: false,
      // What sendSync/invoke fail with once disconnected.
      failure: errors.disconnected,
    }
    // Internal, so not enumerable: own enumerable keys are EventEmitter's.
    Object.defineProperty(this, kState, { value: state, writable: true, configurable: true })
    Object.defineProperty(this, kPort, { value: port, writable: true, configurable: true })
    port.renderer = this
    // Own, non-enumerable, detached-safe copies of the sending methods,
    // each one call into the shared body (no second argument list).
    const own = {
      send(channel, ...args) {
        sendOf(self, channel, args)
      },
      sendSync(channel, ...args) {
        return sendSyncOf(self, channel, args)
      },
      invoke(channel, ...args) {
        return invokeOf(self, channel, undefined, args)
      },
      invokeWithOptions(channel, options, ...args) {
        return invokeOf(self, channel, options, args)
      },
    }
    for (const name of Object.keys(own)) {
      Object.defineProperty(this, name, { value: own[name], writable: true, configurable: true })
    }
  }

  /**
   * Whether something must keep this thread alive: an invoke in flight, or
   * (on a worker or socket renderer, as `parentPort.on('message')` does) a
   * listener or handler waiting for messages or invokes from main.
   */
  [kUpdateRef]() {
    const state = this[kState]
    const port = this[kPort]
    let want = !port.holdsCalls && state.calls.size > 0
    if (!want && state.status === OPEN && port.listenersKeepAlive) {
      // A handler waits for main's invokes as a listener waits for messages.
      want = state.handlers.size > 0
      if (!want) {
        for (const name of super.eventNames()) {
          if (name !== 'disconnected' && name !== 'newListener' && name !== 'removeListener') {
            want = true
            break
          }
        }
      }
    }
    if (want !== state.ref) {
      state.ref = want
      port.keepAlive(want)
    }
  }

  /**
   * Sends an asynchronous message to main's listeners of `channel`.
   * @param {string} channel
   * @param {...any} args
   */
  send(channel, ...args) {
    sendOf(this, channel, args)
  }

  /**
   * Sends one message with ports (Electron's `ipcRenderer.postMessage`):
   * main's listener gets `(event, message)`, the ports (as
   * MessagePortMain) in `event.ports`. Throws `Invalid value for transfer`
   * for a bad list, DataCloneError for a duplicate or neutered port, and
   * `An object could not be cloned.`; nothing is sent then.
   * @param {string} channel
   * @param {any} message
   * @param {Array<object>} [transfer]
   */
  postMessage(channel, message, transfer) {
    const state = this[kState]
    if (state.status === RELEASED) throw errors.contextReleased()
    checkChannel(channel)
    const port = this[kPort]
    if (port.postList === undefined) {
      // Another thread (the ends leave by id, src/ports.rs) or process
      // (through this renderer's PortLink).
      const { data, ends } = ports.prepareIpc(message, transfer)
      if (state.status === DISCONNECTED) {
        ports.dropEnds(ends)
        return
      }
      const enc = ends.length === 0 ? port.encode([data]) : ports.encodeIpcPorts(data, ends, portLinkOf(this))
      port.send(KIND.SEND, 0, channel, enc)
      return
    }
    const { data, ends } = ports.prepareIpc(message, transfer)
    if (state.status === DISCONNECTED) {
      ports.dropEnds(ends)
      return
    }
    // In-process: the clone and its ports stay in JS, as a whole list.
    port.postList(channel, ports.portList(data, ends))
  }

  /**
   * Sends a synchronous message; blocks until main assigns
   * `event.returnValue`, and returns it.
   * @param {string} channel
   * @param {...any} args
   * @returns {any}
   */
  sendSync(channel, ...args) {
    return sendSyncOf(this, channel, args)
  }

  /**
   * Calls main's handler of `channel`; resolves with its result.
   * @param {string} channel
   * @param {...any} args
   * @returns {Promise<any>}
   */
  invoke(channel, ...args) {
    return invokeOf(this, channel, undefined, args)
  }

  /**
   * As invoke(), with a timeout and/or an AbortSignal (ipc-main extension).
   * Rejects with `code: 'IPC_TIMEOUT'` after `options.timeout` ms, or with an
   * AbortError (`code: 'ABORT_ERR'`, `cause: signal.reason`) when
   * `options.signal` aborts; main's handler then sees `event.signal` abort,
   * and its late answer is dropped.
   * @param {string} channel
   * @param {{ timeout?: number, signal?: AbortSignal }} options
   * @param {...any} args
   * @returns {Promise<any>}
   */
  invokeWithOptions(channel, options, ...args) {
    return invokeOf(this, channel, options, args)
  }

  /**
   * Registers the handler that answers main's `wc.invoke(channel)`
   * (ipc-main extension; the mirror of ipcMain.handle()).
   * @param {string} channel
   * @param {(event: object, ...args: any[]) => any} handler
   */
  handle(channel, handler) {
    const handlers = this[kState].handlers
    if (handlers.has(String(channel))) throw errors.secondHandler(channel)
    if (typeof handler !== 'function') throw errors.handlerNotFunction(handler)
    handlers.set(String(channel), handler)
    this[kUpdateRef]()
  }

  /**
   * As handle(), removed before the first invoke is handled.
   * @param {string} channel
   * @param {(event: object, ...args: any[]) => any} handler
   */
  handleOnce(channel, handler) {
    this.handle(channel, (event, ...args) => {
      this.removeHandler(channel)
      return handler(event, ...args)
    })
  }

  /**
   * Removes the handler of `channel`, if any.
   * @param {string} channel
   */
  removeHandler(channel) {
    if (this[kState].handlers.delete(String(channel))) this[kUpdateRef]()
  }

  /**
   * Disconnects; main's WebContents emits 'destroyed'. Afterwards every
   * sending method throws Electron's "IPC method called after context was
   * released".
   */
  close() {
    const state = this[kState]
    if (state.status === RELEASED) return
    state.status = RELEASED
    state.portLink?.gone()
    for (const call of state.handling.values()) call.abort(errors.contextReleased())
    state.handling.clear()
    state.calls.rejectAll(errors.contextReleased)
    this[kUpdateRef]()
    this[kPort].close()
  }

  /** Settles a pending invoke with main's answer. */
  [kSettle](request, ok, args) {
    this[kState].calls.settle(request, ok, args)
  }

  /**
   * Main's `wc.invoke`: runs this renderer's handler of `channel` and
   * answers with INVOKE_REPLY_OK/ERR, exactly as main answers an invoke
   * (same error texts, same log line, same error shape).
   */
  [kAnswer](request, channel, args) {
    const state = this[kState]
    const port = this[kPort]
    const call = new HandledCall(channel)
    const done = () => {
      if (state.handling.get(request) === call) state.handling.delete(request)
    }
    const fail = (err) => {
      done()
      console.error(errors.handlerErrorLog(channel), err)
      if (state.status !== OPEN) return
      port.send(KIND.INVOKE_REPLY_ERR, request, channel, encodeFailure(err, (list) => port.encode(list)))
    }
    const handler = state.handlers.get(channel)
    if (handler === undefined) {
      fail(errors.noHandler(channel))
      return
    }
    state.handling.set(request, call)
    const event = rendererEvent(this)
    // As IpcMainInvokeEvent.signal: aborts when main gives the call up.
    Object.defineProperty(event, 'signal', { get: () => call.signal, enumerable: true, configurable: true })
    runHandler(handler, event, args, {
      encode: (value) => port.encode([value]),
      ok: (enc) => {
        done()
        // Main went away meanwhile: nobody waits for the answer.
        if (state.status !== OPEN) return
        try {
          port.send(KIND.INVOKE_REPLY_OK, request, channel, enc)
        } catch (err) {
          // A result over main's frame limit: main's invoke fails instead.
          fail(err)
        }
      },
      fail,
    })
  }

  /** The main side is gone: pending invokes reject, 'disconnected' once. */
  [kDisconnect]() {
    const state = this[kState]
    if (state.status !== OPEN) return
    state.status = DISCONNECTED
    // Ends that talked through main are cut off: their peers get 'close'.
    state.portLink?.gone()
    state.calls.rejectAll(errors.disconnected)
    // Nobody waits for the answers of main's invokes any more.
    for (const call of state.handling.values()) call.abort(errors.disconnected())
    state.handling.clear()
    this[kUpdateRef]()
    this.emit('disconnected')
  }

  /** One frame from main, as drained from a native inbox. */
  [kOnFrame](kind, codec, request, channel, buf, start, end) {
    if (kind === ports.PORT_MESSAGE || kind === ports.PORT_CLOSE) {
      // Port traffic of this process's ends, relayed by main.
      const link = portLinkOf(this)
      if (link !== null) link.receive(kind, codec, request, channel, buf, start, end)
      return
    }
    // CODEC_PORTS: main's postMessage to this thread; the ends arrive by id.
    const args =
      codec === ports.CODEC_PORTS ? ports.decodeIpcPorts(buf, start, end, portLinkOf(this)) : decode(codec, buf, start, end)
    this[kOnMessage](kind, request, channel, args)
  }

  /** One message from main, its arguments decoded (or cloned, in-process). */
  [kOnMessage](kind, request, channel, args) {
    switch (kind) {
      case KIND.MESSAGE: {
        // A postMessage's list carries its ports (main's, in-process; or
        // decoded from CODEC_PORTS by kOnFrame).
        const ends = args[kPortEnds]
        this.emit(channel, ends === undefined ? rendererEvent(this) : rendererEvent(this, rendererPorts(args)), ...args)
        break
      }
      case KIND.RESULT_OK:
      case KIND.RESULT_ERR:
        this[kSettle](request, kind === KIND.RESULT_OK, args)
        break
      case KIND.INVOKE_RENDERER:
        this[kAnswer](request, channel, args)
        break
      case KIND.CANCEL_RENDERER: {
        // Main gave up its invoke `request` (`[why, timeout]`).
        const state = this[kState]
        const call = state.handling.get(request)
        if (call === undefined) break
        state.handling.delete(request)
        const [why, ms] = args
        call.abort(why === 'timeout' ? errors.invokeTimeout(call.channel, ms) : new errors.AbortError())
        break
      }
      case KIND.CLOSED:
        this[kDisconnect]()
        break
      default:
        break
    }
  }
}

// Listener changes may change whether this thread must stay alive.
for (const name of [
  'addListener',
  'once',
  'prependListener',
  'prependOnceListener',
  'removeListener',
  'removeAllListeners',
]) {
  const base = EventEmitter.prototype[name]
  Object.defineProperty(IpcRenderer.prototype, name, {
    value: {
      [name](...args) {
        const result = base.apply(this, args)
        this[kUpdateRef]()
        return result
      },
    }[name],
    writable: true,
    configurable: true,
  })
}

// Aliases are the same functions, as Node's (`on === addListener`).
for (const [alias, name] of [
  ['on', 'addListener'],
  ['off', 'removeListener'],
]) {
  Object.defineProperty(IpcRenderer.prototype, alias, {
    value: IpcRenderer.prototype[name],
    writable: true,
    configurable: true,
  })
}

/** The port of a renderer that never connected: nothing is ever sent. */
class RefusedPort {
  constructor() {
    this.renderer = null
    this.id = 0
    this.listenersKeepAlive = false
  }

  encode(args) {
    // Uncloneable arguments still throw first, as on a connected renderer.
    return cloneLocal(args)
  }

  send() {
    return false
  }

  sendSync() {
    return null
  }

  keepAlive() {}

  close() {}
}

/**
 * A renderer whose connection was refused (API.md §4: a wrong token, no
 * main there): disconnected from the start. `send` does nothing;
 * `sendSync` throws and `invoke` rejects with `failure()` (an error with
 * the refusal's code); `'disconnected'` is emitted on a later turn, so a
 * listener added right after reading `ipcRenderer` sees it.
 * @param {() => Error} failure
 * @returns {IpcRenderer}
 */
function refusedRenderer(failure) {
  const r = new IpcRenderer(new RefusedPort())
  const state = r[kState]
  state.status = DISCONNECTED
  state.failure = failure
  setImmediate(() => {
    if (state.status === DISCONNECTED) r.emit('disconnected')
  })
  return r
}

/**
 * The port relay of a renderer in another process than its main (made on
 * first use); null for a renderer on a thread of main's process, whose ends
 * are routed by the process-wide table directly.
 */
function portLinkOf(renderer) {
  const state = renderer[kState]
  if (state.portLink !== undefined) return state.portLink
  const port = renderer[kPort]
  const { WorkerPort } = require('./worker')
  if (port.postList !== undefined || port instanceof WorkerPort) {
    state.portLink = null
  } else {
    state.portLink = new ports.PortLink((kind, request, channel, enc) => {
      if (state.status === OPEN) port.send(kind, request, channel, enc)
    })
  }
  return state.portLink
}

/** Whether `renderer` is still connected (not closed, main not gone). */
function isOpen(renderer) {
  return renderer[kState].status === OPEN
}

module.exports = {
  IpcRenderer,
  refusedRenderer,
  isOpen,
  kPort,
  kDisconnect,
  kOnFrame,
  kOnMessage,
  kSettle,
}
