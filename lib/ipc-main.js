'use strict'
// IpcMain (API.md §2) and the hub behind it: dispatch of renderer messages in
// Electron's order ('ipc-message' on the WebContents, then `wc.ipc`, then the
// hub's own listeners; invoke to the first handler of `wc.ipc`, ipcMain).
// Where a renderer's frames come from and how main's answers reach it is its
// link's business (lib/links.js): the hub never asks which transport it is.

const { RegistryEmitter, snapshotOf } = require('./emitter')
const { IpcScope, handlerOf } = require('./scope')
const { decode } = require('./codec')
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
  kLink,
  destroy,
  announceDestroyed,
  rejectCalls,
  handling,
  finished,
  cancelled,
  answered,
} = require('./web-contents')
const links = require('./links')

const kHubState = Symbol('ipc-main.hubState')
const diagnostics = require('./diagnostics')
const { buildStats, LocalCounters } = diagnostics
const { kPortEnds, mainPorts, CODEC_PORTS, decodeIpcPorts } = require('./ports')
/** The largest frame a socket renderer reads (from its handshake). */
const kMaxFrame = Symbol('ipc-main.maxFrame')

/** An own, non-enumerable, writable property (internal state). */
function hide(target, key, value) {
  Object.defineProperty(target, key, { value, writable: true, configurable: true })
}

/**
 * Electron's ipcMain: a real EventEmitter whose listener and handler
 * registration lives in the Rust registry (IpcScope), and the hub of its
 * renderers.
 */
class IpcMain extends IpcScope {
  constructor() {
    super()
    // Mutable state in one object, so `Object.create(ipcMain)` wrappers
    // share it. Internal, so not enumerable: `{ ...ipcMain }` copies only
    // what it copies from Electron's ipcMain (EventEmitter's own fields,
    // handle and handleOnce).
    hide(this, kHubState, { hub: null, refed: true })
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
    const hub = this[kHubState].hub
    let stats
    if (hub === null) stats = buildStats(null, null, [0, 0, 0])
    else {
      const depth = hub.native.depth()
      // In-process messages wait in the hub's JS lane, not in Rust.
      depth[0] += hub.lane.size
      stats = buildStats(hub.native.counters(), hub.localCounters, depth)
    }
    stats.ports = portStats()
    return stats
  }
}

/** Process-wide port counters (docs/api.md stats()). */
function portStats() {
  const ports = require('./ports')
  return { relayed: require('./native').portRelayed(), deliveredToJs: ports.counters.hostFrames }
}

/** The hub of a top-level IpcMain, made on first need. */
function hubOf(main) {
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

/**
 * Main's side of one invoke of a renderer: what `event.signal` aborts on
 * (a HandledCall), and how its answer goes back (runHandler's sink), in one
 * object per invoke.
 */
class InvokeAnswer extends HandledCall {
  constructor(hub, wc, request, channel) {
    super(channel)
    this.hub = hub
    this.wc = wc
    this.request = request
  }

  encode(value) {
    return this.wc[kLink].encode([value])
  }

  ok(enc) {
    finished(this.wc, this.request, this)
    try {
      this.hub.result(this.wc, this.request, true, enc)
    } catch (err) {
      // A result over the renderer's frame limit: the invoke fails instead.
      this.fail(err)
    }
  }

  fail(err) {
    finished(this.wc, this.request, this)
    console.error(errors.handlerErrorLog(this.channel), err)
    // `[String(err), shape]`: Electron's text, plus the error's shape.
    const link = this.wc[kLink]
    this.hub.result(this.wc, this.request, false, encodeFailure(err, (list) => link.encode(list)))
  }
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

/** The JS half of a hub: its NativeHub, pump, in-process lane and renderers. */
class Hub {
  constructor(main, state) {
    this.main = main
    this.state = state
    /** `{ address, token, dir }` while listening on a socket. */
    this.listening = null
    /** In-process messages (they never reach Rust), for stats(). */
    this.localCounters = new LocalCounters()
    /** WebContents by renderer id. */
    this.contents = new Map()
    /** In-process renderers' messages, both ways: a JS FIFO (lib/links.js). */
    this.lane = new links.LocalLane(this)
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
    const { IpcRenderer } = require('./ipc-renderer')
    const port = links.openLocal(this)
    const wc = new WebContents(port.link, port.id, {
      kind: 'inproc',
      pid: process.pid,
      frameId: port.id,
      url: '',
    })
    port.link.wc = wc
    this.contents.set(port.id, wc)
    return new IpcRenderer(port)
  }

  get refed() {
    return this.state.refed
  }

  /** One frame drained from the Rust inbox (another thread or process). */
  dispatch(kind, codec, renderer, request, channel, buf, start, end) {
    if (diagnostics.DEBUG) diagnostics.log('in', kind, channel, renderer, end - start)
    if (kind === KIND.CONNECT) {
      this.onConnect(renderer, JSON.parse(buf.utf8Slice(start, end)))
      return
    }
    const wc = this.contents.get(renderer)
    if (wc === undefined) return
    // A child's port frames are routed by its connection's relay in Rust
    // (src/ports.rs Relay): none reaches main's JS.
    let args = null
    if (kind !== KIND.DISCONNECT) {
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
    this.deliver(wc, kind, request, channel, args)
  }

  /** One message of `wc`'s renderer, its arguments decoded (or cloned). */
  deliver(wc, kind, request, channel, args) {
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
      case KIND.DISCONNECT: {
        // request 1: the renderer called close(); 0: its thread or socket
        // went away, and its link may wait for an exit status to tell
        // whether it crashed.
        const crashed = wc[kLink].ended(request === 1)
        if (crashed !== null) this.gone(wc, crashed)
        break
      }
      default:
        break
    }
  }

  /** A renderer of another thread or process announced itself. */
  onConnect(renderer, meta) {
    // Even if it already detached (a worker that ended at once): its
    // DISCONNECT, or its Worker's 'exit', comes next and destroys it.
    const link = meta.kind === 'process' ? new links.SocketLink(this) : new links.ThreadLink(this)
    const wc = new WebContents(link, renderer, {
      kind: meta.kind,
      pid: meta.pid,
      frameId: renderer,
      url: meta.url ?? '',
    })
    link.wc = wc
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
    const link = wc[kLink]
    const event = new IpcMainSyncEvent(wc, (enc) => link.answerSync(request, enc), (list) => link.encode(list))
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
    if (promises.length === 0 || link.syncInline) finishSync(event)
    else Promise.allSettled(promises).then(() => finishSync(event))
  }

  onInvoke(wc, request, channel, args) {
    const answer = new InvokeAnswer(this, wc, request, channel)
    handling(wc, request, answer)
    const event = new IpcMainInvokeEvent(wc, answer)
    // The scopes' handler caches: no napi call per invoke.
    const handler = handlerOf(wc.ipc, channel) ?? handlerOf(this.main, channel)
    if (handler === undefined) answer.fail(errors.noHandler(channel))
    else runHandler(handler, event, args, answer)
  }

  /** An invoke's answer, to a renderer that may be gone (then dropped). */
  result(wc, request, ok, enc) {
    if (wc.isDestroyed()) return
    wc[kLink].settle(request, ok, enc)
  }

  /**
   * Queues a frame for `wc`'s renderer on another thread or process (its
   * ThreadLink or SocketLink); its doorbell rings once for this whole
   * synchronous stretch of sends.
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
   * `(event, message)` and the ports in `event.ports`, through `wc`'s link
   * (in-process, the clone and its ports stay in JS; to a worker the ends
   * go by id, CODEC_PORTS, routed by src/ports.rs; to a child process
   * too: its connection's relay holds them, src/ports.rs Relay).
   */
  postTo(wc, channel, message, transfer) {
    const { data, ends } = require('./ports').prepareIpc(message, transfer)
    wc[kLink].postMessage(channel, data, ends)
  }

  /** A CODEC_PORTS payload from renderer `renderer` (a worker's or a child's). */
  decodePorts(renderer, buf, start, end) {
    // A child's ids were made main's by its connection's relay as it read them.
    return decodeIpcPorts(buf, start, end)
  }

  /**
   * An in-process renderer closed: its WebContents is destroyed at once; its
   * 'destroyed' comes with its DISCONNECT, after what it sent before.
   */
  localClosed(wc) {
    destroy(wc)
  }

  /** Main forgets `wc`'s renderer for good: 'destroyed'. */
  gone(wc, crashed) {
    // A child that went away: its relay closed the ends it held (Rust).
    this.contents.delete(wc.id)
    wc[kLink].close()
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
    // still in their sockets: they are read on this thread).
    this.native.readSockets()
    this.pump.run(Infinity)
    this.out.flush()
    this.native.unlisten()
    require('./socket').unlisten(this)
    for (const wc of [...this.contents.values()]) {
      if (wc[kLink].viaSocket) this.gone(wc, false)
    }
  }

  /**
   * Full teardown (internal: no public method ends in-process or worker
   * renderers): every renderer is disconnected and the native hub closed.
   */
  close() {
    // Deliver what renderers sent before the close.
    this.lane.flush()
    if (this.listening !== null) this.native.readSockets()
    this.pump.run(Infinity)
    this.out.flush()
    this.native.close()
    teardown.untrack(this.native)
    if (this.listening !== null) require('./socket').unlisten(this)
    for (const wc of [...this.contents.values()]) this.gone(wc, false)
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

module.exports = { IpcMain, hubOf, shutdown }
