'use strict'
// IpcRenderer (API.md §4): the renderer side. Transport-neutral: a "port"
// moves frames (LocalPort below for the in-process renderer; worker and
// socket ports follow the same shape).

const { EventEmitter } = require('node:events')
const { inspect } = require('node:util')
const { encodeLocal, decode, decodeLocal, CODEC_LOCAL } = require('./codec')
const errors = require('./errors')
const { rendererEvent } = require('./events')
const { KIND } = require('./frames')
const { NativePort } = require('./port')
const { attachRenderer } = require('./native')

const kPort = Symbol('ipc-main.port')
const kState = Symbol('ipc-main.state')
const kOnFrame = Symbol('ipc-main.onFrame')
const kSettle = Symbol('ipc-main.settle')
const kDisconnect = Symbol('ipc-main.disconnect')

const kUpdateRef = Symbol('ipc-main.updateRef')

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
 * The renderer side of IPC: an EventEmitter for messages from main, plus
 * send / sendSync / invoke. `send`, `sendSync` and `invoke` also work
 * detached from the object (`const { invoke } = ipcRenderer`).
 */
class IpcRenderer extends EventEmitter {
  /** @param {object} port internal transport */
  constructor(port) {
    super()
    const state = { status: OPEN, next: 1, pending: new Map(), ref: false }
    this[kState] = state
    this[kPort] = port
    port.renderer = this
    const self = this
    // Own, non-enumerable, detached-safe copies of the three sending methods.
    for (const name of ['send', 'sendSync', 'invoke']) {
      const method = IpcRenderer.prototype[name]
      Object.defineProperty(this, name, {
        value: { [name]: (...args) => method.apply(self, args) }[name],
        writable: true,
        configurable: true,
      })
    }
  }

  /**
   * Whether something must keep this thread alive: an invoke in flight, or
   * (on a worker or socket renderer, as `parentPort.on('message')` does) a
   * listener waiting for messages from main.
   */
  [kUpdateRef]() {
    const state = this[kState]
    const port = this[kPort]
    let want = state.pending.size > 0
    if (!want && state.status === OPEN && port.listenersKeepAlive) {
      for (const name of super.eventNames()) {
        if (name !== 'disconnected' && name !== 'newListener' && name !== 'removeListener') {
          want = true
          break
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
    if (state.status === DISCONNECTED) throw errors.disconnected()
    const request = state.next++
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
  async invoke(channel, ...args) {
    const state = this[kState]
    if (state.status === RELEASED) throw errors.contextReleased()
    checkChannel(channel)
    const enc = this[kPort].encode(args)
    if (state.status === DISCONNECTED) throw errors.disconnected()
    const request = state.next++
    return new Promise((resolve, reject) => {
      state.pending.set(request, { channel, resolve, reject })
      if (state.pending.size === 1) this[kUpdateRef]()
      if (!this[kPort].send(KIND.INVOKE, request, channel, enc)) {
        state.pending.delete(request)
        this[kDisconnect]()
        reject(errors.disconnected())
      }
    })
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
    const pending = [...state.pending.values()]
    state.pending.clear()
    this[kUpdateRef]()
    this[kPort].close()
    for (const p of pending) p.reject(errors.contextReleased())
  }

  /** Settles a pending invoke with main's answer. */
  [kSettle](request, ok, args) {
    const state = this[kState]
    const p = state.pending.get(request)
    if (p === undefined) return
    state.pending.delete(request)
    if (state.pending.size === 0) this[kUpdateRef]()
    if (ok) {
      p.resolve(args[0])
    } else {
      // Electron: `if (error) throw ...`, so an empty error text resolves.
      const text = args[0]
      if (text) p.reject(errors.invokeFailed(p.channel, text))
      else p.resolve(undefined)
    }
  }

  /** The main side is gone: pending invokes reject, 'disconnected' once. */
  [kDisconnect]() {
    const state = this[kState]
    if (state.status !== OPEN) return
    state.status = DISCONNECTED
    const pending = [...state.pending.values()]
    state.pending.clear()
    this[kUpdateRef]()
    for (const p of pending) p.reject(errors.disconnected())
    this.emit('disconnected')
  }

  /** One frame from main. */
  [kOnFrame](kind, codec, request, channel, buf, start, end) {
    switch (kind) {
      case KIND.MESSAGE:
        this.emit(channel, rendererEvent(this), ...decode(codec, buf, start, end))
        break
      case KIND.RESULT_OK:
      case KIND.RESULT_ERR:
        this[kSettle](request, kind === KIND.RESULT_OK, decode(codec, buf, start, end))
        break
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
  'on',
  'once',
  'prependListener',
  'prependOnceListener',
  'removeListener',
  'off',
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
  }

  encode(args) {
    return encodeLocal(args)
  }

  send(kind, request, channel, enc) {
    // encodeLocal gives CODEC_LOCAL (payload in the hub's FIFO) or
    // CODEC_NONE: either way the frame itself carries no bytes.
    const local = enc.codec === CODEC_LOCAL
    if (local) this.hub.localFifo.push(enc.data)
    const ok = this.native.sendStr(kind, request, channel, enc.codec, '')
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

module.exports = {
  IpcRenderer,
  LocalPort,
  kPort,
  kDisconnect,
  kOnFrame,
  kSettle,
}
