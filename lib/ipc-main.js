'use strict'
// IpcMain (API.md §2) and the hub behind it: dispatch of renderer frames in
// Electron's order ('ipc-message' on the WebContents, then `wc.ipc`, then the
// hub's own listeners; invoke to the first handler of `wc.ipc`, ipcMain).

const { RegistryEmitter, kRegistry, snapshotOf } = require('./emitter')
const { encode, encodeValue, encodeLocal, decode, CODEC_LOCAL } = require('./codec')
const errors = require('./errors')
const { runHandler } = require('./calls')
const { IpcMainEvent, IpcMainSyncEvent, IpcMainInvokeEvent, HandledCall, finishSync, syncAnswered } = require('./events')
const { encodeFailure } = require('./error-shape')
const { KIND, checkFrameSize } = require('./frames')
const { Pump, report, flusher, BATCH_FRAMES } = require('./pump')
const { MainBatch } = require('./batch')
const { NativeHub } = require('./native')
const teardown = require('./teardown')
const {
  WebContents,
  destroy,
  announceDestroyed,
  rejectCalls,
  handling,
  finished,
  cancelled,
  answered,
} = require('./web-contents')

const kHubState = Symbol('ipc-main.hubState')
const kScope = Symbol('ipc-main.scope')
const diagnostics = require('./diagnostics')
const { buildStats, LocalCounters } = diagnostics
const kLocalPort = Symbol('ipc-main.localPort')
const kSocket = Symbol('ipc-main.socket')
const { kPortEnds, mainPorts, CODEC_PORTS, decodeIpcPorts, PORT_MESSAGE, PORT_CLOSE, PortLink } = require('./ports')
const kPortLink = Symbol('ipc-main.portLink')
/** The largest frame a socket renderer reads (from its handshake). */
const kMaxFrame = Symbol('ipc-main.maxFrame')

function noop() {}

/** An own, non-enumerable, writable property (internal state). */
function hide(target, key, value) {
  Object.defineProperty(target, key, { value, writable: true, configurable: true })
}

/**
 * Electron's ipcMain: a real EventEmitter whose listener and handler
 * registration lives in the Rust registry.
 */
class IpcMain extends RegistryEmitter {
  constructor() {
    super()
    // Mutable state in one object, so `Object.create(ipcMain)` wrappers
    // share it. Internal, so not enumerable: `{ ...ipcMain }` copies only
    // what it copies from Electron's ipcMain (EventEmitter's own fields,
    // handle and handleOnce).
    hide(this, kHubState, { hub: null, refed: true })
    hide(this, kScope, false)
    // Electron's guard: a renderer message on channel 'error' never throws.
    this.on('error', noop)
  }

  // handle and handleOnce are own, enumerable properties bound to this hub,
  // as Electron's IpcMainImpl defines them (class-field arrow functions):
  // libraries build `{ ...ipcMain, send }` and call `handle` on the copy.
  // removeHandler stays on the prototype, as there.

  /**
   * Registers the handler that answers `invoke(channel)`.
   * @param {string} channel
   * @param {(event: IpcMainInvokeEvent, ...args: any[]) => any} handler
   */
  handle = (channel, handler) => {
    const reg = this[kRegistry]
    if (reg.hasHandler(String(channel))) throw errors.secondHandler(channel)
    if (typeof handler !== 'function') throw errors.handlerNotFunction(handler)
    reg.setHandler(String(channel), handler)
  }

  /**
   * As handle(), removed before the first invoke is handled.
   * @param {string} channel
   * @param {(event: IpcMainInvokeEvent, ...args: any[]) => any} handler
   */
  handleOnce = (channel, handler) => {
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
    this[kRegistry].removeHandler(String(channel))
  }

  /**
   * Makes another in-process renderer attached to this hub.
   * @returns {import('./ipc-renderer').IpcRenderer}
   */
  createRenderer() {
    return hubOf(this).createLocalRenderer()
  }

  /**
   * Starts `filename` in a worker_threads Worker as a renderer of this hub;
   * resolves with its WebContents (`wc.worker` is the Worker) once the
   * worker's ipcRenderer is connected.
   * @param {string | URL} filename
   * @param {import('node:worker_threads').WorkerOptions} [options]
   * @returns {Promise<WebContents>}
   */
  spawnWorker(filename, options) {
    try {
      return require('./worker').spawnWorker(hubOf(this), filename, options)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Listens on a local socket for renderers in other processes (API.md §6).
   * Called again without options, resolves with the same address.
   * @param {{ path?: string, maxFrameSize?: number, maxQueueBytes?: number }} [options]
   * @returns {Promise<{ address: string, token: string }>}
   */
  listen(options) {
    try {
      return Promise.resolve(require('./socket').listen(hubOf(this), options))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Starts `modulePath` in a child Node process as a renderer of this hub
   * (like child_process.fork), listening first if needed; resolves with its
   * WebContents (`wc.process` is the ChildProcess) once it is connected.
   * @param {string | URL} modulePath
   * @param {string[]} [args]
   * @param {import('node:child_process').ForkOptions} [options]
   * @returns {Promise<WebContents>}
   */
  fork(modulePath, args, options) {
    try {
      return require('./socket').fork(hubOf(this), modulePath, args, options)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Lets the process exit while this hub listens (as net.Server#unref).
   * @returns {this}
   */
  unref() {
    setRef(this, false)
    return this
  }

  /**
   * Undoes unref(): a listening hub keeps the process alive.
   * @returns {this}
   */
  ref() {
    setRef(this, true)
    return this
  }

  /**
   * The socket address while listening, else null.
   * @type {string | null}
   */
  get address() {
    if (this[kScope]) return null
    return this[kHubState].hub?.listening?.address ?? null
  }

  /**
   * The address a worker of this process connects to with `connect()`
   * (`ipc-main-thread:<id>`), for workers not started by spawnWorker().
   * @type {string}
   */
  get threadAddress() {
    return `ipc-main-thread:${hubOf(this).native.id}`
  }

  /**
   * Stops listening and disconnects every socket renderer (API.md §2, §6);
   * in-process and worker renderers stay connected. Resolves when done.
   * @returns {Promise<void>}
   */
  close() {
    const hub = this[kHubState].hub
    if (hub !== null) hub.closeSocket()
    return Promise.resolve()
  }

  /**
   * Counters: messages and bytes in and out per kind, queue depth, renderers.
   * @returns {object}
   */
  stats() {
    const hub = this[kScope] ? null : this[kHubState].hub
    if (hub === null) return buildStats(null, null, [0, 0, 0])
    return buildStats(hub.native.counters(), hub.localCounters, hub.native.depth())
  }
}

/** The hub of a top-level IpcMain, made on first need. */
function hubOf(main) {
  if (main[kScope]) throw new Error('webContents.ipc is a scope of ipcMain and has no renderers of its own')
  const state = main[kHubState]
  if (state.hub === null) state.hub = new Hub(main, state)
  return state.hub
}

function setRef(main, on) {
  const state = main[kHubState]
  state.refed = on
  const hub = state.hub
  if (hub !== null && hub.listening !== null) require('./socket').updateKeepAlive(hub)
}

/** Calls a message's listeners on one level, collecting returned promises. */
function deliverCollecting(target, name, args, promises) {
  const list = target instanceof RegistryEmitter ? snapshotOf(target, name) : target.rawListeners(name)
  if (list === undefined || list.length === 0) {
    // No listener: EventEmitter's own semantics (an unguarded 'error' throws).
    target.emit(name, ...args)
    return
  }
  for (let i = 0; i < list.length; i++) {
    const r = list[i].apply(target, args)
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') promises.push(r)
  }
}

/** A FIFO with O(1) shift (Array#shift is O(n) on long arrays). */
class LocalFifo {
  constructor() {
    this.items = []
    this.head = 0
  }

  push(v) {
    this.items.push(v)
  }

  pop() {
    this.items.pop()
  }

  shift() {
    const v = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return v
  }
}

/** The JS half of a hub: its NativeHub, pump and renderers. */
class Hub {
  constructor(main, state) {
    this.main = main
    this.state = state
    /** `{ address, token, dir }` while listening on a socket. */
    this.listening = null
    /** Messages that skip the Rust links (in-process shortcuts), for stats(). */
    this.localCounters = new LocalCounters()
    this.contents = new Map()
    /**
     * Payloads of in-process renderers' frames (CODEC_LOCAL), in the order
     * their frames were queued: all pushed on this thread, so this FIFO and
     * the Rust queue agree. Every CODEC_LOCAL frame dispatched takes one.
     */
    this.localFifo = new LocalFifo()
    /** spawnWorker calls waiting for their worker's CONNECT, by nonce. */
    this.expected = new Map()
    this.native = new NativeHub(() => this.pump.run(BATCH_FRAMES))
    /** Frames for renderers, handed to Rust once per synchronous stretch. */
    this.out = new MainBatch(this.native)
    teardown.track(this.native, this.out)
    /** Hands them over (and rings each renderer sent to) once per stretch. */
    this.scheduleFlush = flusher(this.out)
    this.pump = new Pump(this.native, (kind, codec, renderer, request, channel, buf, start, end) =>
      this.dispatch(kind, codec, renderer, request, channel, buf, start, end),
    )
  }

  createLocalRenderer() {
    const { IpcRenderer, LocalPort } = require('./ipc-renderer')
    const port = new LocalPort(this)
    const wc = new WebContents(this, port.id, {
      kind: 'inproc',
      pid: process.pid,
      frameId: port.id,
      url: '',
    })
    wc[kLocalPort] = port
    this.contents.set(port.id, wc)
    return new IpcRenderer(port)
  }

  get refed() {
    return this.state.refed
  }

  dispatch(kind, codec, renderer, request, channel, buf, start, end) {
    if (diagnostics.DEBUG) diagnostics.log('in', kind, channel, renderer, codec === CODEC_LOCAL ? null : end - start)
    if (kind === KIND.CONNECT) {
      this.onConnect(renderer, JSON.parse(buf.utf8Slice(start, end)))
      return
    }
    if (kind === PORT_MESSAGE || kind === PORT_CLOSE) {
      // A child's port traffic, relayed here (lib/ports.js PortLink).
      const wc = this.contents.get(renderer)
      if (wc === undefined || !wc[kSocket]) return
      try {
        this.portLink(wc).receive(kind, codec, request, channel, buf, start, end)
      } catch (err) {
        // Bytes from another process that are not a port frame: dropped.
        console.error(`ipc-main: dropped a port frame from renderer #${renderer}: ${err.message}`)
      }
      return
    }
    // A CODEC_LOCAL frame always takes its payload, even if dropped below,
    // so the FIFO stays in step with the queue.
    let args = null
    if (codec === CODEC_LOCAL) {
      args = this.localFifo.shift()
    } else if (kind !== KIND.DISCONNECT) {
      try {
        // CODEC_PORTS: a worker's postMessage, carrying port ends.
        args = codec === CODEC_PORTS ? this.decodePorts(renderer, buf, start, end) : decode(codec, buf, start, end)
      } catch (err) {
        // Bytes from another process that are not what its codec says: that
        // message is dropped, main goes on.
        console.error(`ipc-main: dropped a message from renderer #${renderer} on '${channel}': ${err.message}`)
        return
      }
    }
    this.dispatchArgs(kind, renderer, request, channel, args)
  }

  /** As dispatch(), with the arguments already decoded. */
  dispatchArgs(kind, renderer, request, channel, args) {
    const wc = this.contents.get(renderer)
    if (wc === undefined) return
    switch (kind) {
      case KIND.SEND:
        this.onSend(wc, channel, args)
        break
      case KIND.SEND_SYNC:
        this.onSendSync(wc, request, channel, args)
        break
      case KIND.INVOKE:
        this.onInvoke(wc, request, channel, args)
        break
      case KIND.CANCEL:
        cancelled(wc, request, args)
        break
      case KIND.INVOKE_REPLY_OK:
      case KIND.INVOKE_REPLY_ERR:
        answered(wc, request, kind === KIND.INVOKE_REPLY_OK, args)
        break
      case KIND.DISCONNECT:
        // request 1: the renderer called close(). 0: its thread or socket
        // went away; for a spawned worker or forked child, its exit status
        // decides whether it crashed.
        if (wc.process !== undefined) {
          const socket = require('./socket')
          if (socket.socketEnded(wc, request === 1)) this.gone(wc, socket.childCrashed(wc))
        } else if (request === 1 || wc.worker === undefined) {
          this.gone(wc, false)
        }
        break
      default:
        break
    }
  }

  /** A renderer of another thread or process announced itself. */
  onConnect(renderer, meta) {
    // Even if it already detached (a worker that ended at once): its
    // DISCONNECT, or its Worker's 'exit', comes next and destroys it.
    const wc = new WebContents(this, renderer, {
      kind: meta.kind,
      pid: meta.pid,
      frameId: renderer,
      url: meta.url ?? '',
    })
    if (meta.kind === 'process') wc[kSocket] = true
    if (typeof meta.maxFrame === 'number') wc[kMaxFrame] = meta.maxFrame
    this.contents.set(renderer, wc)
    const waiter = this.expected.get(meta.nonce)
    if (waiter !== undefined) {
      this.expected.delete(meta.nonce)
      waiter(wc)
    }
  }

  onSend(wc, channel, args) {
    const event = new IpcMainEvent(wc)
    // An in-process renderer's postMessage carries its ports on the list.
    if (args[kPortEnds] !== undefined) event.ports = mainPorts(args)
    wc.emit('ipc-message', event, channel, ...args)
    wc.ipc.emit(channel, event, ...args)
    this.main.emit(channel, event, ...args)
  }

  onSendSync(wc, request, channel, args) {
    const local = wc[kLocalPort]
    const event = new IpcMainSyncEvent(wc, (enc) => this.answerSync(wc, request, enc))
    if (
      wc.listenerCount('ipc-message-sync') === 0 &&
      wc.ipc.listenerCount(channel) === 0 &&
      this.main.listenerCount(channel) === 0
    ) {
      console.warn(errors.syncWithoutListeners(wc.id, channel))
    }
    const promises = []
    try {
      deliverCollecting(wc, 'ipc-message-sync', [event, channel, ...args], promises)
      deliverCollecting(wc.ipc, channel, [event, ...args], promises)
      deliverCollecting(this.main, channel, [event, ...args], promises)
    } catch (err) {
      report(err)
    }
    if (syncAnswered(event)) return
    // In-process: the caller is on this stack and cannot wait for promises.
    if (promises.length === 0 || local !== undefined) finishSync(event)
    else Promise.allSettled(promises).then(() => finishSync(event))
  }

  answerSync(wc, request, enc) {
    const local = wc[kLocalPort]
    if (wc[kSocket]) {
      this.sendTo(wc, KIND.SYNC_REPLY, request, '', enc)
      return
    }
    if (local !== undefined) {
      // Settled on this thread, not through Rust: counted here.
      this.localCounters.add(KIND.SYNC_REPLY, 0)
      if (diagnostics.DEBUG) diagnostics.log('out', KIND.SYNC_REPLY, '', wc.id, null)
      local.answerSync(request, enc)
    } else {
      if (diagnostics.DEBUG) diagnostics.log('out', KIND.SYNC_REPLY, '', wc.id, 1 + diagnostics.sizeOf(enc.data))
      this.native.completeSync(wc.id, request, enc.codec, enc.data)
    }
  }

  onInvoke(wc, request, channel, args) {
    const call = new HandledCall(channel)
    handling(wc, request, call)
    const event = new IpcMainInvokeEvent(wc, call)
    const handler = wc.ipc[kRegistry].handler(channel) ?? this.main[kRegistry].handler(channel)
    const local = wc[kLocalPort] !== undefined
    const fail = (err) => {
      finished(wc, request, call)
      console.error(errors.handlerErrorLog(channel), err)
      // `[String(err), shape]`: Electron's text, plus the error's shape.
      this.result(wc, request, false, encodeFailure(err, local ? encodeLocal : encode))
    }
    if (handler === null) {
      fail(errors.noHandler(channel))
      return
    }
    runHandler(
      handler,
      event,
      args,
      (value) => (local ? encodeLocal([value]) : encodeValue(value)),
      (enc) => {
        finished(wc, request, call)
        try {
          this.result(wc, request, true, enc)
        } catch (err) {
          // A result over the renderer's frame limit: the invoke fails instead.
          fail(err)
        }
      },
      fail,
    )
  }

  /** An invoke's answer, to a renderer that may be gone (then dropped). */
  result(wc, request, ok, enc) {
    if (wc.isDestroyed()) return
    const local = wc[kLocalPort]
    if (local !== undefined) {
      const kind = ok ? KIND.RESULT_OK : KIND.RESULT_ERR
      this.localCounters.add(kind, 0)
      if (diagnostics.DEBUG) diagnostics.log('out', kind, '', wc.id, null)
      local.settle(request, ok, enc)
    } else {
      this.sendTo(wc, ok ? KIND.RESULT_OK : KIND.RESULT_ERR, request, '', enc)
    }
  }

  /**
   * Queues a frame for `wc`'s renderer (dropped if it is already gone); its
   * doorbell rings once for this whole synchronous stretch of sends.
   */
  sendTo(wc, kind, request, channel, enc) {
    // Over what the renderer reads, the frame would end its connection.
    const limit = wc[kMaxFrame]
    if (limit !== undefined) checkFrameSize(channel, enc, limit)
    if (diagnostics.DEBUG) diagnostics.log('out', kind, channel, wc.id, diagnostics.sizeOf(enc.data))
    this.out.send(wc.id, kind, request, channel, enc)
    this.scheduleFlush()
  }

  /**
   * `wc.postMessage(channel, message, transfer)` (checked by the caller for
   * a live wc and a string channel): one MESSAGE whose listener gets
   * `(event, message)` and the ports in `event.ports`. To an in-process
   * renderer the clone and its ports stay in JS (the renderer's FIFO, in
   * step with the frame queue, as for its own sends); to a worker the ends
   * go by id (CODEC_PORTS, routed by src/ports.rs); to a child process
   * through its PortLink (docs/architecture.md "ports").
   */
  postTo(wc, channel, message, transfer) {
    const ports = require('./ports')
    const local = wc[kLocalPort]
    if (local === undefined) {
      // A renderer on another thread (the ends leave this thread by id) or
      // process (they go through its PortLink).
      const { data, ends } = ports.prepareIpc(message, transfer)
      const link = wc[kSocket] ? this.portLink(wc) : null
      this.sendTo(wc, KIND.MESSAGE, 0, channel, ends.length === 0 ? encode([data]) : ports.encodeIpcPorts(data, ends, link))
      return
    }
    const { data, ends } = ports.prepareIpc(message, transfer)
    local.down.push(ports.portList(data, ends))
    this.sendTo(wc, KIND.MESSAGE, 0, channel, { codec: CODEC_LOCAL, data: '' })
  }

  /** The port relay of a socket renderer (made on first use). */
  portLink(wc) {
    let link = wc[kPortLink]
    if (link === undefined) {
      link = new PortLink((kind, request, channel, enc) => {
        if (wc.isDestroyed()) return
        try {
          this.sendTo(wc, kind, request, channel, enc)
        } catch (err) {
          // Over the child's frame limit: that message cannot go (the
          // relay has no caller to throw to).
          console.error(`ipc-main: dropped a port message for renderer #${wc.id}: ${err.message}`)
        }
      })
      wc[kPortLink] = link
    }
    return link
  }

  /** A CODEC_PORTS payload from renderer `renderer` (a worker's or a child's). */
  decodePorts(renderer, buf, start, end) {
    const wc = this.contents.get(renderer)
    return decodeIpcPorts(buf, start, end, wc !== undefined && wc[kSocket] ? this.portLink(wc) : null)
  }

  /**
   * A local renderer closed: its WebContents is destroyed at once; its
   * 'destroyed' comes with its DISCONNECT frame, after what it sent before.
   */
  localClosed(id) {
    const wc = this.contents.get(id)
    if (wc !== undefined) destroy(wc)
  }

  gone(wc, crashed) {
    // A child that went away closes the ends it held (their peers get 'close').
    wc[kPortLink]?.gone()
    // A forked child no longer keeps a hub that listens only for it alive.
    if (wc.process !== undefined) require('./socket').forkGone(wc)
    this.contents.delete(wc.id)
    this.native.detach(wc.id)
    destroy(wc, crashed)
    rejectCalls(wc)
    announceDestroyed(wc)
  }

  /**
   * `ipcMain.close()`: stops listening; each socket renderer is told and
   * its WebContents destroyed. The hub, its in-process and worker
   * renderers go on.
   */
  closeSocket() {
    if (this.listening === null) return
    // Deliver what socket renderers sent before the close (also what is
    // still in their sockets: they are read on this thread), and pass on
    // what main sent them (its JS batch) before their connections close.
    this.native.readSockets()
    this.pump.run(Infinity)
    this.out.flush()
    this.native.unlisten()
    require('./socket').unlisten(this)
    for (const wc of [...this.contents.values()]) {
      if (wc[kSocket]) this.gone(wc, false)
    }
  }

  /**
   * Full teardown (internal: no public method ends in-process or worker
   * renderers): every renderer is disconnected and the native hub closed.
   */
  close() {
    // Deliver what renderers sent before the close, and pass on what main sent.
    if (this.listening !== null) this.native.readSockets()
    this.pump.run(Infinity)
    this.out.flush()
    this.native.close()
    teardown.untrack(this.native)
    if (this.listening !== null) require('./socket').unlisten(this)
    const { kDisconnect } = require('./ipc-renderer')
    for (const wc of [...this.contents.values()]) {
      const local = wc[kLocalPort]
      if (local !== undefined && local.renderer !== null) local.renderer[kDisconnect]()
      this.gone(wc, false)
    }
  }
}

/**
 * Tears the hub of `main` down entirely (internal: what process exit and
 * tests of "main is gone" need; `close()` is only about the socket):
 * every renderer is disconnected and the native hub closed. `main` makes a
 * fresh hub on next use.
 * @param {IpcMain} main
 */
function shutdown(main) {
  const state = main[kHubState]
  const hub = state.hub
  state.hub = null
  if (hub !== null) hub.close()
}

module.exports = { IpcMain, kScope, hubOf, shutdown }
