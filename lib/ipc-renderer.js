'use strict'
// IpcRenderer (API.md §4): the renderer side. Transport-neutral: a "port"
// moves frames (LocalPort below for the in-process renderer; worker and
// socket ports follow the same shape).

const { EventEmitter } = require('node:events')
const { inspect } = require('node:util')
const { encodeLocal, decode, decodeLocal, CODEC_LOCAL } = require('./codec')
const errors = require('./errors')
const { Calls, checkInvokeOptions, runHandler } = require('./calls')
const { encodeFailure } = require('./error-shape')
const { rendererEvent, HandledCall } = require('./events')
const { KIND } = require('./frames')
const { NativePort } = require('./port')
const { attachRenderer } = require('./native')
const ports = require('./ports')
const { rendererPorts } = ports

const kPort = Symbol('ipc-main.port')
const kState = Symbol('ipc-main.state')
const kOnFrame = Symbol('ipc-main.onFrame')
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
        // A worker or socket port's calls hold its thread from Rust (read
        // from the frames): nothing to update per call.
        port.holdsCalls ? noop : () => self[kUpdateRef](),
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
    // Own, non-enumerable, detached-safe copies of the sending methods.
    for (const name of ['send', 'sendSync', 'invoke', 'invokeWithOptions']) {
      const method = IpcRenderer.prototype[name]
      Object.defineProperty(this, name, {
        value: { [name]: (...args) => method.apply(self, args) }[name],
        writable: true,
        configurable: true,
      })
    }
  }

  /**
   * Whether something must keep this thread alive: an invoke in flight
   * (unless the port holds the thread for those by itself), or
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
    const state = this[kState]
    if (state.status === RELEASED) throw errors.contextReleased()
    checkChannel(channel)
    const enc = this[kPort].encode(args)
    if (state.status === DISCONNECTED) return
    this[kPort].send(KIND.SEND, 0, channel, enc)
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
    if (!(port instanceof LocalPort)) {
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
    port.send(KIND.SEND, 0, channel, { codec: CODEC_LOCAL, data: ports.portList(data, ends) })
  }

  /**
   * Sends a synchronous message; blocks until main assigns
   * `event.returnValue`, and returns it.
   * @param {string} channel
   * @param {...any} args
   * @returns {any}
   */
  sendSync(channel, ...args) {
    const state = this[kState]
    if (state.status === RELEASED) throw errors.contextReleased()
    checkChannel(channel)
    const enc = this[kPort].encode(args)
    if (state.status === DISCONNECTED) throw state.failure()
    const request = state.calls.nextRequest()
    // The port answers `{ value }`, or null once disconnected.
    const reply = this[kPort].sendSync(request, channel, enc)
    if (reply === null) {
      this[kDisconnect]()
      throw errors.disconnected()
    }
    return reply.value
  }

  /**
   * Calls main's handler of `channel`; resolves with its result.
   * @param {string} channel
   * @param {...any} args
   * @returns {Promise<any>}
   */
  invoke(channel, ...args) {
    // Not an async function: returning the call's own promise saves the
    // extra ticks an async wrapper adopting it would cost per invoke.
    try {
      return startInvoke(this, channel, undefined, args)
    } catch (err) {
      return Promise.reject(err)
    }
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
    try {
      return startInvoke(this, channel, options, args)
    } catch (err) {
      return Promise.reject(err)
    }
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
    runHandler(
      handler,
      event,
      args,
      (value) => port.encode([value]),
      (enc) => {
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
    )
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

  /** One frame from main. */
  [kOnFrame](kind, codec, request, channel, buf, start, end) {
    switch (kind) {
      case KIND.MESSAGE: {
        // CODEC_LOCAL: main's postMessage to this in-process renderer; the
        // clone (and its ports) waits in the port's FIFO, in step.
        if (codec === CODEC_LOCAL) {
          const args = this[kPort].down.shift()
          this.emit(channel, rendererEvent(this, rendererPorts(args)), ...args)
        } else if (codec === ports.CODEC_PORTS) {
          // Main's postMessage to this thread: the ends arrive by id.
          const args = ports.decodeIpcPorts(buf, start, end, portLinkOf(this))
          this.emit(channel, rendererEvent(this, rendererPorts(args)), ...args)
        } else {
          this.emit(channel, rendererEvent(this), ...decode(codec, buf, start, end))
        }
        break
      }
      case KIND.RESULT_OK:
      case KIND.RESULT_ERR:
        this[kSettle](request, kind === KIND.RESULT_OK, decode(codec, buf, start, end))
        break
      case KIND.INVOKE_RENDERER:
        this[kAnswer](request, channel, decode(codec, buf, start, end))
        break
      case KIND.CANCEL_RENDERER: {
        // Main gave up its invoke `request` (`[why, timeout]`).
        const state = this[kState]
        const call = state.handling.get(request)
        if (call === undefined) break
        state.handling.delete(request)
        const [why, ms] = decode(codec, buf, start, end)
        call.abort(why === 'timeout' ? errors.invokeTimeout(call.channel, ms) : new errors.AbortError())
        break
      }
      case KIND.CLOSED:
        this[kDisconnect]()
        break
      case ports.PORT_MESSAGE:
      case ports.PORT_CLOSE: {
        // Port traffic of this process's ends, relayed by main.
        const link = portLinkOf(this)
        if (link !== null) link.receive(kind, codec, request, channel, buf, start, end)
        break
      }
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

/**
 * The in-process renderer's transport: a NativeRenderer attached to a hub on
 * this same thread. Sends go through the hub's ordered inbox and doorbell;
 * `sendSync` pushes its frame and then drains the hub inline (pending sends
 * first), so the listeners run on this stack and the answer is ready when
 * the drain returns. Invoke results are settled directly (same thread).
 */
class LocalPort extends NativePort {
  /** @param {object} hub the JS hub on this thread */
  constructor(hub) {
    // Listening must not keep the process alive: main is on this thread.
    super((onDoorbell) => attachRenderer(hub.native.id, onDoorbell, null), false)
    this.hub = hub
    this.syncReplies = new Map()
    /** Main's postMessage lists for this renderer, in step with its CODEC_LOCAL MESSAGE frames. */
    this.down = []
  }

  encode(args) {
    return encodeLocal(args)
  }

  send(kind, request, channel, enc) {
    // encodeLocal gives CODEC_LOCAL (payload in the hub's FIFO) or
    // CODEC_NONE: either way the frame itself carries no bytes.
    const local = enc.codec === CODEC_LOCAL
    if (local) this.hub.localFifo.push(enc.data)
    const ok = this.native.send(kind, request, channel, enc.codec, '')
    if (!ok && local) this.hub.localFifo.pop()
    this.scheduleFlush()
    return ok
  }

  sendSync(request, channel, enc) {
    if (!this.send(KIND.SEND_SYNC, request, channel, enc)) return null
    this.hub.pump.run(Infinity)
    const reply = this.syncReplies.get(request)
    this.syncReplies.delete(request)
    return { value: reply === undefined ? undefined : decodeLocal(reply)[0] }
  }

  /** Main's answer to a sync request of this renderer (same thread). */
  answerSync(request, enc) {
    this.syncReplies.set(request, enc)
  }

  /** Main's answer to an invoke of this renderer (same thread). */
  settle(request, ok, enc) {
    this.renderer[kSettle](request, ok, decodeLocal(enc))
  }

  keepAlive() {
    // Nothing to hold: main runs on this thread, and what keeps an awaited
    // handler going (a timer, a socket) keeps the loop alive by itself.
  }

  close() {
    super.close()
    this.hub.localClosed(this.id)
  }
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
    return encodeLocal(args)
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
  if (port instanceof LocalPort || port instanceof WorkerPort) {
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
  LocalPort,
  refusedRenderer,
  isOpen,
  kPort,
  kDisconnect,
  kOnFrame,
  kSettle,
}
