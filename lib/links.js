'use strict'
// Main's side of one renderer: one link class per transport, all with the
// same small interface, so the hub never asks which transport a renderer
// uses (DESIGN.md "One link per transport"):
//
//   send(kind, request, channel, enc)  a frame for the renderer (MESSAGE,
//                                      INVOKE_RENDERER, CANCEL_RENDERER)
//   answerSync(request, enc)           the answer to its sendSync
//   settle(request, ok, enc)           the answer to its invoke
//   close()                            main forgets it (it went away, or
//                                      main closes); the renderer is told
//   postMessage(channel, data, ends)   wc.postMessage's one message, with
//                                      the ends of its transferred ports
// plus what differs by transport as data and small helpers:
//   encode(list)                       how main encodes an answer for it
//   syncInline                         its sendSync waits on main's stack
//   viaSocket                          ipcMain.close() (the socket's) ends it
//   ended(explicit)                    its DISCONNECT came: null while main
//                                      still waits (for an exit status),
//                                      else whether it crashed
//
// ThreadLink and SocketLink are thin wrappers over the hub's native calls
// (what moves underneath is lib/port.js, lib/pump.js and src/). LocalLink,
// with LocalPort (the renderer's half) and LocalLane (the hub's JS FIFO),
// is the in-process path: no napi call per message (see LocalLane).

const { cloneLocal, encode, decodeLocal } = require('./codec')
const { KIND } = require('./frames')
const { NativePort } = require('./port')
const { report } = require('./pump')
const { attachRenderer } = require('./native')
const { kSettle, kDisconnect, kOnMessage, isOpen } = require('./ipc-renderer')
const diagnostics = require('./diagnostics')

/** lib/ports.js, required on first use (it requires the renderer side). */
const ports = () => require('./ports')

// ------------------------------------------------------------ other threads

/** A renderer on a worker thread of this process (or one that connect()ed). */
class ThreadLink {
  /** @param {object} hub the JS hub */
  constructor(hub) {
    this.hub = hub
    /** Its WebContents (set right after it is made). */
    this.wc = null
  }

  send(kind, request, channel, enc) {
    this.hub.sendTo(this.wc, kind, request, channel, enc)
  }

  answerSync(request, enc) {
    // Straight into the waiting thread's slot (counted in Rust).
    if (diagnostics.DEBUG) diagnostics.log('out', KIND.SYNC_REPLY, '', this.wc.id, 1 + diagnostics.sizeOf(enc.data))
    this.hub.native.completeSync(this.wc.id, request, enc.codec, enc.data)
  }

  settle(request, ok, enc) {
    this.send(ok ? KIND.RESULT_OK : KIND.RESULT_ERR, request, '', enc)
  }

  postMessage(channel, data, ends) {
    // The ends leave this thread by id (src/ports.rs routes them; to a
    // child, its connection's relay holds them once the frame is queued).
    this.send(KIND.MESSAGE, 0, channel, ends.length === 0 ? encode([data]) : ports().encodeIpcPorts(data, ends))
  }

  encode(list) {
    return encode(list)
  }

  /**
   * A spawned worker's end is told by its Worker's 'exit' (code: crashed or
   * not) unless it said goodbye; a worker that connect()ed has no Worker here.
   */
  ended(explicit) {
    return explicit || this.wc.worker === undefined ? false : null
  }

  close() {
    this.hub.native.detach(this.wc.id)
  }
}
ThreadLink.prototype.syncInline = false
ThreadLink.prototype.viaSocket = false

/** A renderer in another process, over the socket. */
class SocketLink extends ThreadLink {
  answerSync(request, enc) {
    // The child waits on its socket: the answer is a frame like any other.
    this.send(KIND.SYNC_REPLY, request, '', enc)
  }

  ended(explicit) {
    const socket = require('./socket')
    return socket.socketEnded(this.wc, explicit) ? socket.childCrashed(this.wc) : null
  }

  close() {
    // A forked child no longer keeps a hub that listens only for it alive.
    require('./socket').forkGone(this.wc)
    super.close()
  }
}
/** Ended by `ipcMain.close()`, which is about the socket. */
SocketLink.prototype.viaSocket = true

// ---------------------------------------------------------------- in-process

const resolved = Promise.resolve()

/** Messages a lane delivers per turn before yielding to the event loop. */
const TURN_BUDGET = 1024
/** Flag on a queued kind: the payload slot holds the only argument itself. */
const ONE_ARG = 0x100
/** Flag on a queued kind (down): the payload slot holds the argument list itself. */
const LIST = 0x200
/** Array slots per queued message: link or port, kind, request, channel, payload. */
const STRIDE = 5

/** Messages a Fifo holds before it grows; and what it shrinks back to. */
const FIFO_START = 256

/**
 * A FIFO of messages, five slots each, in a ring of slots that doubles when
 * full: no object per message, no array resizing per message.
 */
class Fifo {
  constructor() {
    this.reset()
  }

  reset(capacity = FIFO_START) {
    this.items = new Array(capacity * STRIDE).fill(undefined)
    this.mask = capacity - 1
    /** Messages taken and pushed since the start (head <= tail). */
    this.head = 0
    this.tail = 0
    /** The most messages held at once since the last trim(). */
    this.peak = 0
  }

  get size() {
    return this.tail - this.head
  }

  push(a, kind, request, channel, payload) {
    const n = this.tail - this.head
    if (n > this.mask) this.grow()
    if (n >= this.peak) this.peak = n + 1
    const items = this.items
    const at = (this.tail & this.mask) * STRIDE
    items[at] = a
    items[at + 1] = kind
    items[at + 2] = request
    items[at + 3] = channel
    items[at + 4] = payload
    this.tail++
  }

  grow() {
    const old = this.items
    const n = this.tail - this.head
    const items = new Array(old.length * 2).fill(undefined)
    for (let i = 0; i < n; i++) {
      const from = ((this.head + i) & this.mask) * STRIDE
      for (let j = 0; j < STRIDE; j++) items[i * STRIDE + j] = old[from + j]
    }
    this.items = items
    this.mask = this.mask * 2 + 1
    this.head = 0
    this.tail = n
  }

  /** Slot index of the message at the head (read it, then advance()). */
  get at() {
    return (this.head & this.mask) * STRIDE
  }

  /** Drops the message at the head, whose slots were read. */
  advance(at) {
    const items = this.items
    items[at] = undefined
    items[at + 4] = undefined
    this.head++
  }

  /**
   * Once empty, halves a ring that was less than a quarter full since the
   * last trim: a one-off burst's memory goes back over a few turns, while
   * steady bursts of one size keep their ring (no regrowing every time).
   */
  trim() {
    const capacity = this.mask + 1
    if (this.head !== this.tail || capacity <= FIFO_START) return
    if (this.peak * 4 < capacity) this.reset(capacity / 2)
    else this.peak = 0
  }
}

/**
 * The in-process messages of one hub, both ways, in JS: `up` from its
 * in-process renderers to main, in the order sent (sends, sync requests,
 * invokes, answers, goodbyes alike: ordering is per renderer and kinds never
 * overtake each other), and `down` from main to them.
 *
 * Delivery is asynchronous, never inside the call that queued: the first
 * message of a synchronous stretch queues one microtask, which delivers
 * everything queued meanwhile (and what listeners queue while it runs). A
 * long stretch (ping-pong between main and a renderer) yields to the event
 * loop every TURN_BUDGET messages (setImmediate), so timers and IO still run,
 * as a native doorbell's bounded batch does. A renderer's sendSync drains
 * `up` inline (lib/links.js LocalPort), so its listeners run on its stack,
 * after everything it sent before; `down` is never delivered inside a
 * sendSync (a renderer blocked in sendSync receives nothing, as in
 * Electron).
 */
class LocalLane {
  /**
   * @param {{ deliver(wc: object, kind: number, request: number, channel: string, args: unknown[]): void,
   *   localCounters: import('./diagnostics').LocalCounters }} hub
   */
  constructor(hub) {
    this.hub = hub
    this.up = new Fifo()
    this.down = new Fifo()
    /** A microtask or setImmediate will run (no other needs queueing). */
    this.scheduled = false
    this.onTurn = () => this.turn()
  }

  /** Messages queued and not delivered yet (stats() `queueDepth`). */
  get size() {
    return this.up.size + this.down.size
  }

  /**
   * Queues a renderer's message for main; `whole` keeps its list as it is
   * (a postMessage's carries its ports).
   */
  pushUp(link, kind, request, channel, args, whole = false) {
    // Counted when queued, as Rust counts what enters its inbox.
    this.hub.localCounters.addIn(kind)
    // One argument (the common case) is held without its list, which is
    // made again on delivery: a burst held in the lane is fewer objects for
    // the garbage collector to copy.
    if (!whole && args !== null && args.length === 1) this.up.push(link, kind | ONE_ARG, request, channel, args[0])
    else this.up.push(link, kind, request, channel, args)
    if (!this.scheduled) this.schedule()
  }

  /** Queues main's message for an in-process renderer (`enc` encoded). */
  pushDown(port, kind, request, channel, enc) {
    this.down.push(port, kind, request, channel, enc)
    if (!this.scheduled) this.schedule()
  }

  /** As pushDown(), with its argument list as it is delivered (a postMessage's, with its ports). */
  pushDownList(port, kind, request, channel, list) {
    this.down.push(port, kind | LIST, request, channel, list)
    if (!this.scheduled) this.schedule()
  }

  schedule() {
    this.scheduled = true
    // A promise reaction, not queueMicrotask: that one wraps every callback
    // in an AsyncResource, a cost per burst that a microtask need not pay.
    // turn() reports what listeners throw, so nothing rejects here.
    resolved.then(this.onTurn)
  }

  turn() {
    let budget = TURN_BUDGET
    while (budget > 0 && (this.up.size > 0 || this.down.size > 0)) {
      budget = this.drainUp(budget)
      budget = this.drainDown(budget)
    }
    if (this.up.size > 0 || this.down.size > 0) {
      setImmediate(this.onTurn)
    } else {
      this.scheduled = false
      this.up.trim()
      this.down.trim()
    }
  }

  /**
   * Delivers up to `limit` queued renderer messages to main; returns what
   * is left of `limit`. Re-entrant: a listener's sendSync drains on from
   * the next undelivered message.
   * @param {number} limit
   * @returns {number}
   */
  drainUp(limit) {
    const q = this.up
    const hub = this.hub
    while (limit > 0 && q.head < q.tail) {
      const items = q.items
      const h = q.at
      const link = items[h]
      const request = items[h + 2]
      const channel = items[h + 3]
      let kind = items[h + 1]
      let args = items[h + 4]
      q.advance(h)
      limit--
      if (kind & ONE_ARG) {
        kind ^= ONE_ARG
        args = [args]
      }
      // Dropped once main forgot the renderer (closed meanwhile).
      if (link.forgotten) continue
      if (diagnostics.DEBUG) diagnostics.log('in', kind, channel, link.wc.id, null)
      try {
        hub.deliver(link.wc, kind, request, channel, args)
      } catch (err) {
        report(err)
      }
    }
    return limit
  }

  /** As drainUp(), main's messages to in-process renderers. */
  drainDown(limit) {
    const q = this.down
    while (limit > 0 && q.head < q.tail) {
      const items = q.items
      const h = q.at
      const port = items[h]
      const kind = items[h + 1]
      const request = items[h + 2]
      const channel = items[h + 3]
      const enc = items[h + 4]
      q.advance(h)
      limit--
      const renderer = port.renderer
      if (renderer === null || !isOpen(renderer)) {
        // Ports nobody will receive are closed (their peers get 'close').
        if (kind & LIST) ports().dropEnds(enc[ports().kPortEnds] ?? [])
        continue
      }
      try {
        if (kind & LIST) renderer[kOnMessage](kind ^ LIST, request, channel, enc)
        else renderer[kOnMessage](kind, request, channel, decodeLocal(enc))
      } catch (err) {
        report(err)
      }
    }
    return limit
  }

  /** Delivers everything queued, both ways (main closing). */
  flush() {
    while (this.up.size > 0 || this.down.size > 0) {
      this.drainUp(Infinity)
      this.drainDown(Infinity)
    }
  }
}

/**
 * Main's side of an in-process renderer. Payloads are clones (cloneLocal),
 * never bytes; what main sends it through WebContents is encoded as for any
 * renderer (its bytes counted) and decoded on delivery. Answers settle
 * directly: the renderer is on this thread.
 */
class LocalLink {
  /**
   * @param {object} hub the JS hub
   * @param {LocalPort} port the renderer's half
   */
  constructor(hub, port) {
    this.hub = hub
    this.port = port
    this.wc = null
    /** Main forgot this renderer: what it still had queued is dropped. */
    this.forgotten = false
  }

  send(kind, request, channel, enc) {
    const bytes = diagnostics.sizeOf(enc.data)
    this.hub.localCounters.add(kind, bytes)
    if (diagnostics.DEBUG) diagnostics.log('out', kind, channel, this.wc.id, bytes)
    this.hub.lane.pushDown(this.port, kind, request, channel, enc)
  }

  answerSync(request, list) {
    this.hub.localCounters.add(KIND.SYNC_REPLY, 0)
    if (diagnostics.DEBUG) diagnostics.log('out', KIND.SYNC_REPLY, '', this.wc.id, null)
    this.port.syncReplies.set(request, list)
  }

  postMessage(channel, data, ends) {
    this.hub.localCounters.add(KIND.MESSAGE, 0)
    if (diagnostics.DEBUG) diagnostics.log('out', KIND.MESSAGE, channel, this.wc.id, null)
    // The clone and its ports stay in JS.
    this.hub.lane.pushDownList(this.port, KIND.MESSAGE, 0, channel, ports().portList(data, ends))
  }

  settle(request, ok, list) {
    const kind = ok ? KIND.RESULT_OK : KIND.RESULT_ERR
    this.hub.localCounters.add(kind, 0)
    if (diagnostics.DEBUG) diagnostics.log('out', kind, '', this.wc.id, null)
    const renderer = this.port.renderer
    if (renderer !== null) renderer[kSettle](request, ok, list)
  }

  encode(list) {
    return cloneLocal(list)
  }

  ended() {
    return false
  }

  close() {
    this.forgotten = true
    this.hub.native.detach(this.wc.id)
    const renderer = this.port.renderer
    if (renderer !== null) renderer[kDisconnect]()
  }
}
LocalLink.prototype.syncInline = true
LocalLink.prototype.viaSocket = false

/**
 * The in-process renderer's transport (the renderer's half of a LocalLink):
 * its messages go into the hub's LocalLane. Its NativeRenderer is attached
 * to the hub only for its id, the renderer count and main's CLOSED; nothing
 * per message goes through it.
 */
class LocalPort extends NativePort {
  /** @param {object} hub the JS hub on this thread */
  constructor(hub) {
    // Listening must not keep the process alive: main is on this thread.
    super((onDoorbell) => attachRenderer(hub.native.id, onDoorbell, null), false)
    this.hub = hub
    this.link = new LocalLink(hub, this)
    /** sendSync answers by request, filled on this stack by main. */
    this.syncReplies = new Map()
  }

  encode(args) {
    return cloneLocal(args)
  }

  send(kind, request, channel, list) {
    const link = this.link
    if (link.forgotten) return false
    this.hub.lane.pushUp(link, kind, request, channel, list)
    return true
  }

  /** ipcRenderer.postMessage: `list` carries its ports, so it is queued whole. */
  postList(channel, list) {
    const link = this.link
    if (link.forgotten) {
      ports().dropEnds(list[ports().kPortEnds] ?? [])
      return
    }
    this.hub.lane.pushUp(link, KIND.SEND, 0, channel, list, true)
  }

  sendSync(request, channel, list) {
    if (!this.send(KIND.SEND_SYNC, request, channel, list)) return null
    // Everything queued before it, then it: listeners run on this stack.
    this.hub.lane.drainUp(Infinity)
    const reply = this.syncReplies.get(request)
    if (reply === undefined) return this.link.forgotten ? null : { value: undefined }
    this.syncReplies.delete(request)
    return { value: reply[0] }
  }

  keepAlive() {
    // Nothing to hold (holdsLoop false): main runs on this thread, and what
    // keeps an awaited handler going (a timer, a socket) keeps the loop
    // alive by itself.
  }

  close() {
    const link = this.link
    if (!link.forgotten) {
      // 'destroyed' comes with this goodbye, after what it sent before; the
      // WebContents is destroyed at once.
      this.hub.lane.pushUp(link, KIND.DISCONNECT, 1, '', null)
      this.hub.localClosed(link.wc)
    }
    // Detached first, so the native endpoint leaves without a frame.
    this.hub.native.detach(this.id)
    super.close()
  }
}

LocalPort.prototype.holdsLoop = false

/**
 * Makes an in-process renderer's port and link.
 * @param {object} hub
 * @returns {LocalPort}
 */
function openLocal(hub) {
  return new LocalPort(hub)
}

module.exports = { ThreadLink, SocketLink, LocalLink, LocalLane, LocalPort, openLocal }
