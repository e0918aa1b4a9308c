'use strict'
// Message ports (API.md §8): `MessageChannelMain` / `MessagePortMain` (main
// side, EventEmitters, as Electron's) and `MessageChannel` / `MessagePort`
// (renderer side, DOM-shaped, an EventTarget), over one model.
//
// The model is a pair of entangled Endpoints. An Endpoint is what moves when
// a port is transferred: its inbox (messages that arrived before start(),
// or while it was in transit) goes with it, and the port object it leaves
// behind is neutered (its endpoint is null). A port object is only a
// "holder" that delivers its endpoint's messages as events of its own shape,
// so a MessagePortMain sent to a renderer arrives there as a DOM MessagePort
// around the same endpoint, and vice versa.
//
// Delivery is asynchronous, never inside postMessage: an endpoint with
// messages, started and held, is put on one run list per thread, drained by
// one setImmediate (a macrotask, as a MessagePort's task: a ping-pong over a
// port cannot starve timers and IO). Order is kept per endpoint (one FIFO).
//
// Closing disentangles both ends at once: the closing side drops what it
// had not delivered (as the DOM), the other side delivers what it had
// received, then its holder gets 'close'. Ends travelling in dropped
// messages are closed too (their peers get 'close': a port "sent to
// nowhere").
//
// Keep-alive, as Node's MessagePort: an endpoint that is open, started and
// held by a port with a 'message' listener (or `onmessage`) keeps this
// thread alive; nothing else does. One shared, otherwise idle timer is ref'd
// while at least one endpoint wants that.
//
// Both ends of a pair live on this thread here; an end handed to another
// thread or process is the ports routing of docs/architecture.md (section
// "ports").

const { EventEmitter } = require('node:events')
const { cloneFailed } = require('./errors')

const kEnd = Symbol('ipc-main.portEnd')
const kDeliver = Symbol('ipc-main.portDeliver')
const kClosed = Symbol('ipc-main.portClosed')
const kListening = Symbol('ipc-main.portListening')
const kRefresh = Symbol('ipc-main.portRefresh')

/** Messages one endpoint delivers per turn before letting others (and IO) run. */
const TURN_BUDGET = 1024

// ---------------------------------------------------------------- keep-alive

let keeper = null
let wanting = 0

function wantRef(on) {
  wanting += on ? 1 : -1
  if (keeper === null) {
    // An idle interval is the cheapest handle JS can ref and unref.
    keeper = setInterval(noop, 0x7fffffff)
    keeper.unref()
  }
  if (on && wanting === 1) keeper.ref()
  else if (!on && wanting === 0) keeper.unref()
}

function noop() {}

// ---------------------------------------------------------------- endpoints

/** One end of an entangled pair (see the header). */
class Endpoint {
  constructor() {
    /** The entangled end; null once disentangled (either side closed). */
    this.peer = null
    /** Arrived messages `{ data, ends }`, oldest first, from `head`. */
    this.inbox = []
    this.head = 0
    /** The port object that delivers for this end; null while in transit. */
    this.holder = null
    this.started = false
    this.scheduled = false
    /** The peer closed: deliver what arrived, then 'close'. */
    this.peerGone = false
    /** Closed here, or its 'close' was delivered: nothing more happens. */
    this.closed = false
    /** Whether this end currently holds the thread's keep-alive. */
    this.refed = false
    /**
     * Its id in the process-wide table of src/ports.rs once its pair spans
     * threads (then `peer` is null: the peer is reached through Rust); 0
     * while both ends are JS objects of this thread.
     */
    this.id = 0
    /** Held by this thread's port host (its frames come here). */
    this.claimed = false
  }

  get pending() {
    return this.inbox.length - this.head
  }
}

/** A new entangled pair. @returns {[Endpoint, Endpoint]} */
function pair() {
  const a = new Endpoint()
  const b = new Endpoint()
  a.peer = b
  b.peer = a
  return [a, b]
}

/**
 * A port's postMessage once prepared: to its peer, or, from a closed or
 * neutered port, nowhere (the ports it carried are closed).
 * @param {MessagePortMain | MessagePort} port
 * @param {unknown} data
 * @param {Endpoint[]} ends
 */
function postFrom(port, data, ends) {
  const end = port[kEnd]
  if (end === null || end.closed) {
    for (const e of ends) closeEnd(e)
    return
  }
  post(end, data, ends)
}

/**
 * Queues a message at `end`'s peer. A disentangled end (closed, or its peer
 * closed) drops it, and closes the ends it carried.
 * @param {Endpoint} end
 * @param {unknown} data an already cloned payload (encoded, for a native end: see prepare())
 * @param {Endpoint[]} ends endpoints transferred with it
 */
function post(end, data, ends) {
  if (end.id !== 0) {
    postNative(end.id, data, ends)
    return
  }
  const peer = end.peer
  if (peer === null || peer.closed) {
    for (const e of ends) closeEnd(e)
    return
  }
  peer.inbox.push({ data, ends })
  schedule(peer)
}

/** Starts delivery at `end` (idempotent). */
function startEnd(end) {
  if (end.started) return
  end.started = true
  refresh(end)
  schedule(end)
}

/**
 * Closes `end` and disentangles its peer, which gets 'close' after what it
 * already received. What `end` had not delivered is dropped.
 * @param {Endpoint} end
 */
function closeEnd(end) {
  if (end.closed) return
  end.closed = true
  const peer = end.peer
  end.peer = null
  const dropped = end.inbox.slice(end.head)
  end.inbox = []
  end.head = 0
  refresh(end)
  if (peer !== null) {
    peer.peer = null
    peer.peerGone = true
    schedule(peer)
  }
  if (end.id !== 0) forgetNative(end)
  for (const m of dropped) for (const e of m.ends) closeEnd(e)
}

/** Re-reads whether `end` wants the keep-alive (see the header). */
function refresh(end) {
  const h = end.holder
  const want = !end.closed && end.started && h !== null && h[kListening]()
  if (want !== end.refed) {
    end.refed = want
    wantRef(want)
  }
}

// The run list: endpoints with something to deliver, drained by one
// setImmediate per turn.
let runList = []
let armed = false

function schedule(end) {
  if (end.scheduled || end.closed || end.holder === null) return
  // 'close' is an event of the port, not a message: it comes even when the
  // port was never started (as Electron's renderer ports do).
  if (!(end.started && end.pending > 0) && !end.peerGone) return
  end.scheduled = true
  runList.push(end)
  if (!armed) {
    armed = true
    setImmediate(runTurn)
  }
}

function runTurn() {
  armed = false
  const list = runList
  runList = []
  for (const end of list) {
    end.scheduled = false
    deliver(end)
  }
}

/** Delivers up to TURN_BUDGET messages at `end`, then its 'close' if due. */
function deliver(end) {
  let n = 0
  while (end.started && end.pending > 0 && end.holder !== null && !end.closed) {
    if (n++ === TURN_BUDGET) {
      schedule(end)
      return
    }
    const m = end.inbox[end.head]
    end.inbox[end.head++] = undefined
    if (end.head === end.inbox.length) {
      end.inbox = []
      end.head = 0
    }
    try {
      end.holder[kDeliver](m.data, m.ends)
    } catch (err) {
      // A throwing listener is an uncaught exception, as in Node's emit;
      // the port goes on with its next message.
      process.nextTick(() => {
        throw err
      })
    }
  }
  // A port that was never started delivers nothing, but its 'close' still
  // comes; one that was keeps its 'close' after everything received.
  if (end.peerGone && !end.closed && end.holder !== null && (!end.started || end.pending === 0)) {
    end.closed = true
    if (!end.started) {
      end.inbox = []
      end.head = 0
    }
    refresh(end)
    if (end.id !== 0) forgetNative(end)
    end.holder[kClosed]()
  }
}

// ---------------------------------------------------------------- other threads
//
// A pair whose ends are on two threads is routed by Rust (src/ports.rs):
// each end has an id in the process-wide table, and the thread holding an
// end "claims" it with its port host (one NativePortHost per thread, its own
// inbox and doorbell), so the peer's posts are pushed straight into this
// thread's inbox. An end is made native when it first leaves its thread
// (`ship`): a local pair becomes a native pair, and what the leaving end had
// received and not delivered is posted again, in order, to wait for it at
// its next holder. A claimed end that leaves takes back what its host had
// queued or drained for it (`release`), so its order survives any number of
// moves.

const { encode, decode } = require('./codec')
const { HEADER_LEN, worstLen } = require('./frames')

const PORT_MESSAGE = 32
const PORT_CLOSE = 33
const FLAG_PORTS = 1

let host = null
/** Ends claimed by this thread's host, by id. */
const hostEnds = new Map()
/** Port frames this thread's host delivered (tests: who was woken). */
const counters = { hostFrames: 0 }

function native() {
  return require('./native')
}

/** This thread's port host, made on first need. */
function getHost() {
  if (host === null) {
    const { Pump, BATCH_FRAMES } = require('./pump')
    const h = { native: null, pump: null }
    h.native = new (native().NativePortHost)(() => h.pump.run(BATCH_FRAMES))
    h.pump = new Pump(h.native, onHostFrame)
    host = h
  }
  return host
}

/** Holds native end `end` here: its frames (parked ones first) come to this thread. */
function claim(end) {
  const h = getHost()
  end.claimed = true
  hostEnds.set(end.id, end)
  flushPosts()
  h.native.claim(end.id)
}

/** A received end id, as an Endpoint of this thread (claimed once held). */
function remoteEnd(id) {
  const e = new Endpoint()
  e.id = id
  return e
}

/** A native end is done here: out of the host's table, out of Rust's. */
function forgetNative(end) {
  if (end.claimed) {
    end.claimed = false
    hostEnds.delete(end.id)
  }
  direct().portClose(end.id)
}

/** One frame from this thread's host. */
/**
 * The number of ends a PORT_MESSAGE payload `buf[start, stop)` carries,
 * checked against the frame itself (not the buffer: a drained batch may sit
 * in a larger receive buffer, lib/pump.js).
 */
function portCount(buf, start, stop) {
  if (stop - start < 4) throw new Error('a port frame too short for its port list')
  const n = buf.readUInt32LE(start)
  if (stop - start < 4 + 4 * n) throw new Error('a port frame too short for its port list')
  return n
}

function onHostFrame(kind, codec, _renderer, target, _channel, buf, start, stop) {
  if (kind !== PORT_MESSAGE && kind !== PORT_CLOSE) return
  counters.hostFrames++
  const gate = gateways.get(target)
  if (gate !== undefined) {
    gate.link.forward(gate, kind, codec, buf, start, stop)
    return
  }
  const end = hostEnds.get(target)
  if (kind === PORT_CLOSE) {
    if (end === undefined) return
    end.peerGone = true
    schedule(end)
    return
  }
  const n = portCount(buf, start, stop)
  const ends = new Array(n)
  for (let i = 0; i < n; i++) ends[i] = remoteEnd(buf.readUInt32LE(start + 4 + 4 * i))
  if (end === undefined || end.closed) {
    for (const e of ends) direct().portClose(e.id)
    return
  }
  const [data] = decode(codec, buf, start + 4 + 4 * n, stop)
  // Already asynchronous (the host's doorbell): a started port with nothing
  // queued delivers now, without another turn of the loop.
  if (end.started && end.pending === 0 && end.holder !== null && !end.peerGone) {
    try {
      end.holder[kDeliver](data, ends)
    } catch (err) {
      process.nextTick(() => {
        throw err
      })
    }
    return
  }
  end.inbox.push({ data, ends })
  schedule(end)
}

// Posts from this thread are written back to back into one buffer and
// handed to Rust once per synchronous stretch (a microtask), or when it is
// full: one napi call and one table lock per burst, not per message. Every
// other native call that could overtake them (a close, a claim, a release,
// a relayed post) flushes first, and so does the thread's 'exit'.

/** Bytes of port frames batched before they are handed over. */
const OUT_BYTES = 64 * 1024
let outBuf = null
let outUsed = 0
let outArmed = false
let exitHooked = false

/** Hands the batched posts to Rust (routed in order). */
function flushPosts() {
  outArmed = false
  if (outUsed === 0) return
  const frames = outBuf.subarray(0, outUsed)
  outUsed = 0
  native().portPostFrames(frames)
}

/** The native module, after the batched posts (for calls they must precede). */
function direct() {
  flushPosts()
  return native()
}

/**
 * Posts `enc` (the encoded `[data]`) from native end `from` to its peer,
 * wherever it is; the ends it carries leave this thread.
 */
function postNative(from, enc, ends) {
  const ids = ends.map(ship)
  const data = enc.data
  const isString = typeof data === 'string'
  const list = 4 + 4 * ids.length
  // A port frame has no channel; the id list stands before the payload.
  const worst = worstLen('', data) + list
  if (worst > OUT_BYTES) {
    const n = direct()
    if (isString) n.portPostStr(from, enc.codec, ids, data)
    else n.portPostBytes(from, enc.codec, ids, data)
    return
  }
  if (outBuf === null) outBuf = Buffer.allocUnsafe(OUT_BYTES)
  if (outUsed + worst > OUT_BYTES) flushPosts()
  const b = outBuf
  const at = outUsed
  b[at + 4] = PORT_MESSAGE
  b[at + 5] = enc.codec
  b.writeUInt16LE(FLAG_PORTS, at + 6)
  b.writeUInt32LE(0, at + 8)
  // The sending end: Rust puts its peer here as it routes the frame.
  b.writeUInt32LE(from, at + 12)
  b.writeUInt32LE(0, at + 16)
  let p = at + HEADER_LEN
  b.writeUInt32LE(ids.length, p)
  for (let i = 0; i < ids.length; i++) b.writeUInt32LE(ids[i], p + 4 + 4 * i)
  p += list
  let len = 0
  if (isString) {
    if (data.length !== 0) len = b.utf8Write(data, p)
  } else {
    b.set(data, p)
    len = data.length
  }
  b.writeUInt32LE(16 + list + len, at)
  outUsed = p + len
  if (!outArmed) {
    outArmed = true
    queueMicrotask(flushPosts)
    if (!exitHooked) {
      exitHooked = true
      // `postMessage(); process.exit()`: the posts still go.
      process.once('exit', flushPosts)
    }
  }
}

/**
 * `end` (neutered here, holder-less) goes to another thread: its id there.
 * @param {Endpoint} end
 * @returns {number}
 */
function ship(end) {
  if (end.id === 0) return nativize(end)
  if (end.claimed) release(end)
  return end.id
}

/** A local pair becomes a native pair; `end` leaves, its peer stays. */
function nativize(end) {
  const [a, b] = native().portEntangle()
  end.id = a
  const peer = end.peer
  end.peer = null
  const alive = peer !== null && !peer.closed
  if (alive) {
    peer.peer = null
    peer.id = b
    if (peer.holder !== null) claim(peer)
  }
  // What `end` received and did not deliver waits for it at its next holder.
  for (let i = end.head; i < end.inbox.length; i++) {
    const m = end.inbox[i]
    postNative(b, encode([m.data]), m.ends)
  }
  end.inbox = []
  end.head = 0
  if (!alive) direct().portClose(b)
  return a
}

/** A claimed end leaves this thread: its undelivered frames, in order, go with it. */
function release(end) {
  const h = getHost()
  end.claimed = false
  hostEnds.delete(end.id)
  const frames = undelivered(end)
  // Frames the host drained and the pump has not dispatched yet.
  const b = h.pump.batch
  if (b !== null) {
    for (let at = h.pump.at; at < h.pump.end; at += 4 + b.readUInt32LE(at)) {
      const kind = b[at + 4]
      if ((kind === PORT_MESSAGE || kind === PORT_CLOSE) && b.readUInt32LE(at + 12) === end.id) {
        frames.push(Buffer.from(b.subarray(at, at + 4 + b.readUInt32LE(at))))
        b[at + 4] = 0
      }
    }
  }
  flushPosts()
  h.native.release(end.id, frames.length === 0 ? Buffer.alloc(0) : Buffer.concat(frames))
}

/** What `end` received and did not deliver, as port frames (its close last). */
function undelivered(end) {
  const frames = []
  for (let i = end.head; i < end.inbox.length; i++) {
    const m = end.inbox[i]
    frames.push(frameBytes(PORT_MESSAGE, end.id, m.ends.map(ship), encode([m.data])))
  }
  end.inbox = []
  end.head = 0
  if (end.peerGone) {
    end.peerGone = false
    frames.push(frameBytes(PORT_CLOSE, end.id, null, null))
  }
  return frames
}

/** One port frame (src/wire.rs layout; src/ports.rs payload). */
function frameBytes(kind, target, ids, enc) {
  const payload = enc === null ? Buffer.alloc(0) : typeof enc.data === 'string' ? Buffer.from(enc.data) : enc.data
  const list = ids === null ? 0 : 4 + 4 * ids.length
  const out = Buffer.alloc(HEADER_LEN + list + payload.length)
  out.writeUInt32LE(16 + list + payload.length, 0)
  out[4] = kind
  out[5] = enc === null ? 0 : enc.codec
  out.writeUInt16LE(ids === null ? 0 : FLAG_PORTS, 6)
  out.writeUInt32LE(target, 12)
  if (ids !== null) {
    out.writeUInt32LE(ids.length, HEADER_LEN)
    for (let i = 0; i < ids.length; i++) out.writeUInt32LE(ids[i], HEADER_LEN + 4 + 4 * i)
  }
  payload.copy(out, HEADER_LEN + list)
  return out
}

// ---------------------------------------------------------------- other processes
//
// A socket renderer's process has its own table. Ends cross the socket
// through *gateways*: an end of this process whose peer's frames must go
// over a link is claimed by this thread's host and listed in `gateways`;
// onHostFrame forwards its frames on the link instead of delivering them.
// Two kinds: an end of ours shipped over the link (`out`: the other side
// names it by our id), and the twin of an end the other side shipped to us
// (`twin`: we made a pair (L, T); L is what our JS gets, T stands for the
// remote end and remembers its remote id). A link frame's `request` names
// its target in the sender's namespace (channel '') or the receiver's
// (channel '='); its payload is the carried ids (sender's namespace), then
// the message, as a port frame's.
//
// This relay runs in JS in the child only; main's side of every child
// connection is src/ports.rs `Relay` (in Rust, in the socket read path), so
// main's JS thread relays nothing (docs/architecture.md "ports").

/** Gateway ends of this thread, by id: `{ link, id, remote, twin }`. */
const gateways = new Map()

class PortLink {
  /** @param {(kind: number, request: number, channel: string, enc: object) => void} send */
  constructor(send) {
    this.send = send
    /** Twins by the remote id they stand for. */
    this.twins = new Map()
    /** Every gateway end of this link (ids). */
    this.ends = new Set()
    this.open = true
  }

  /** An end leaves this process over this link: its id there (our namespace). */
  shipOut(end) {
    const id = ship(end)
    if (this.open) this.gateway(id, 0, false)
    return id
  }

  gateway(id, remote, twin) {
    const g = { link: this, id, remote, twin }
    gateways.set(id, g)
    this.ends.add(id)
    if (twin) this.twins.set(remote, id)
    flushPosts()
    getHost().native.claim(id)
    return g
  }

  /** An end the other side shipped (its id there): a local end for our JS. */
  adopt(remote) {
    const [l, t] = native().portEntangle()
    if (this.open) this.gateway(t, remote, true)
    else direct().portClose(t)
    return l
  }

  forget(g) {
    gateways.delete(g.id)
    this.ends.delete(g.id)
    if (g.twin) this.twins.delete(g.remote)
    direct().portClose(g.id)
  }

  /** A frame the host got for gateway `g`: it goes over the link. */
  forward(g, kind, codec, buf, start, stop) {
    const request = g.twin ? g.remote : g.id
    const channel = g.twin ? '=' : ''
    if (kind === PORT_CLOSE) {
      this.forget(g)
      if (this.open) this.send(PORT_CLOSE, request, channel, { codec: 0, data: '' })
      return
    }
    // The ends it carries are ours, in transit: they become gateways of this link.
    const n = buf.readUInt32LE(start)
    for (let i = 0; i < n; i++) {
      const id = buf.readUInt32LE(start + 4 + 4 * i)
      if (this.open) this.gateway(id, 0, false)
      else direct().portClose(id)
    }
    if (this.open) this.send(PORT_MESSAGE, request, channel, { codec, data: Buffer.from(buf.subarray(start, stop)) })
  }

  /** A port frame that came over the link. */
  receive(kind, codec, request, channel, buf, start, stop) {
    const from = channel === '=' ? (this.ends.has(request) ? request : undefined) : this.twins.get(request)
    if (kind === PORT_CLOSE) {
      const g = from === undefined ? undefined : gateways.get(from)
      if (g !== undefined) this.forget(g)
      return
    }
    const n = portCount(buf, start, stop)
    const ids = new Array(n)
    for (let i = 0; i < n; i++) ids[i] = this.adopt(buf.readUInt32LE(start + 4 + 4 * i))
    if (from === undefined) {
      for (const id of ids) direct().portClose(id)
      return
    }
    direct().portPostBytes(from, codec, ids, buf.subarray(start + 4 + 4 * n, stop))
  }

  /** The other side is gone: every gateway end closes (their peers get 'close'). */
  gone() {
    if (!this.open) return
    this.open = false
    for (const id of [...this.ends]) {
      const g = gateways.get(id)
      if (g !== undefined) this.forget(g)
    }
  }
}

// ---------------------------------------------------------------- ipc payloads with ports
//
// A postMessage to or from a renderer on another thread: codec CODEC_PORTS,
// whose payload is the carried end ids (`u32` count, `u32` ids), the inner
// codec byte, then the inner payload. Rust moves it as opaque bytes.

const CODEC_PORTS = 5

/**
 * The encoded argument list `[data]` of an ipc postMessage to another
 * thread, carrying `ends` (which leave this thread).
 */
function encodeIpcPorts(data, ends, link = null) {
  const ids = link === null ? ends.map(ship) : ends.map((e) => link.shipOut(e))
  const inner = encode([data])
  const bytes = typeof inner.data === 'string' ? Buffer.from(inner.data) : inner.data
  const out = Buffer.allocUnsafe(4 + 4 * ids.length + 1 + bytes.length)
  out.writeUInt32LE(ids.length, 0)
  for (let i = 0; i < ids.length; i++) out.writeUInt32LE(ids[i], 4 + 4 * i)
  out[4 + 4 * ids.length] = inner.codec
  bytes.copy(out, 5 + 4 * ids.length)
  return { codec: CODEC_PORTS, data: out }
}

/** Decodes a CODEC_PORTS payload: `[data]`, carrying the received ends. */
function decodeIpcPorts(buf, start, stop, link = null) {
  const n = portCount(buf, start, stop)
  const ends = new Array(n)
  for (let i = 0; i < n; i++) {
    const id = buf.readUInt32LE(start + 4 + 4 * i)
    ends[i] = remoteEnd(link === null ? id : link.adopt(id))
  }
  const at = start + 4 + 4 * n
  const args = decode(buf[at], buf, at + 1, stop)
  if (n !== 0) args[kPortEnds] = ends
  return args
}

// ---------------------------------------------------------------- transfer

/** Electron's / the DOM's DataCloneError. */
const dataCloneError = (message) => new DOMException(message, 'DataCloneError')

function isPort(v) {
  return v instanceof MessagePortMain || v instanceof MessagePort
}

/**
 * Checks a transfer list and returns it as an array of ports, before
 * anything is cloned or neutered. `invalid(i)` makes the error for a
 * non-port entry (its text differs between Electron's APIs).
 * @param {object | null} source the posting port, or null (an ipc postMessage)
 * @param {unknown[]} list
 * @param {(i: number) => Error} invalid
 * @returns {Array<MessagePortMain | MessagePort>}
 */
function checkTransfer(source, list, invalid) {
  const seen = new Set()
  for (let i = 0; i < list.length; i++) {
    const p = list[i]
    if (!isPort(p)) throw invalid(i)
    if (p === source) throw dataCloneError(`Port at index ${i} contains the source port.`)
    if (seen.has(p)) throw dataCloneError(`Port at index ${i} is a duplicate.`)
    if (p[kEnd] === null) throw dataCloneError(`Port at index ${i} is already neutered.`)
    seen.add(p)
  }
  return list
}

const notTransferred = () =>
  dataCloneError('A MessagePort could not be cloned because it was not transferred.')

/**
 * A port inside `message` that is not in the transfer list throws
 * `stray()` before anything is cloned or neutered: the DOM's
 * `DataCloneError` on a DOM port, Electron's serializer error (`An object
 * could not be cloned.`, research/electron-contract.md §10.3) on the
 * Electron APIs (MessagePortMain, wc.postMessage, ipcRenderer.postMessage). Walks
 * what a structured clone would read: arrays, own enumerable properties,
 * Map and Set entries; binary data and strings are not entered.
 */
function checkNoStrayPort(message, ports, stray) {
  const stack = [message]
  // Small messages are walked without a Set (one per post showed in
  // profiles); past 16 objects, each is visited once (cycles end).
  let seen = null
  let count = 0
  while (stack.length !== 0) {
    const v = stack.pop()
    if (++count > 16) {
      if (seen === null) seen = new Set()
      if (seen.has(v)) continue
      seen.add(v)
    }
    if (isPort(v)) {
      if (!ports.includes(v)) throw stray()
      continue
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) continue
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i]
        if (typeof x === 'object' && x !== null) stack.push(x)
      }
      continue
    }
    if (v instanceof Map) {
      for (const [k, x] of v) {
        if (typeof k === 'object' && k !== null) stack.push(k)
        if (typeof x === 'object' && x !== null) stack.push(x)
      }
      continue
    }
    if (v instanceof Set) {
      for (const x of v) if (typeof x === 'object' && x !== null) stack.push(x)
      continue
    }
    const keys = Object.keys(v)
    for (let i = 0; i < keys.length; i++) {
      const x = v[keys[i]]
      if (typeof x === 'object' && x !== null) stack.push(x)
    }
  }
}

/**
 * Takes the endpoints out of checked ports: each port is neutered here
 * (posting to it does nothing, transferring it again throws).
 * @returns {Endpoint[]}
 */
function takeEnds(ports) {
  const ends = new Array(ports.length)
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i]
    const end = p[kEnd]
    p[kEnd] = null
    end.holder = null
    refresh(end)
    ends[i] = end
  }
  return ends
}

/** A structured clone of `message`, or Electron's clone error (nothing is sent). */
function cloneMessage(message, fail) {
  try {
    return structuredClone(message)
  } catch {
    throw fail()
  }
}

/** `[message]` encoded for another thread (see prepare()). */
function encodeMessage(message, fail) {
  try {
    return encode([message])
  } catch {
    throw fail()
  }
}

/**
 * Everything a postMessage does before the message leaves: checks the
 * transfer list, clones the message (both may throw: nothing happened
 * then), then neuters the transferred ports.
 * @returns {{ data: unknown, ends: Endpoint[] }}
 */
function prepare(source, message, list, invalid, fail, stray = fail) {
  const ports = list.length === 0 ? list : checkTransfer(source, list, invalid)
  if (typeof message === 'object' && message !== null) checkNoStrayPort(message, ports, stray)
  // A port whose peer is on another thread sends bytes: encode once, no clone first.
  const end = source === null ? null : source[kEnd]
  const data = end !== null && end.id !== 0 ? encodeMessage(message, fail) : cloneMessage(message, fail)
  return { data, ends: ports.length === 0 ? [] : takeEnds(ports) }
}

/** Makes `port` the holder of `end` (a fresh port around a received end). */
function hold(port, end) {
  port[kEnd] = end
  end.holder = port
  if (end.id !== 0 && !end.claimed && !end.closed) claim(end)
  refresh(end)
  schedule(end)
  return port
}

// ---------------------------------------------------------------- main side

const notValidPort = (i) => new TypeError(`Port at index ${i} is not a valid port`)
const notPortArray = () => new TypeError('transferables must be an array of MessagePorts')

/**
 * Electron's `MessagePortMain`: an EventEmitter. Messages are queued until
 * `start()`; 'message' gets `{ data, ports }` (the ports as
 * MessagePortMain); 'close' comes when the other end is closed or gone.
 */
class MessagePortMain extends EventEmitter {
  constructor(end = null) {
    super()
    this[kEnd] = null
    if (end !== null) hold(this, end)
  }

  /**
   * Sends `message` (a structured clone) to the other end, with `transfer`'s
   * ports. A neutered or closed port sends nothing (errors still throw).
   * @param {any} message
   * @param {Array<MessagePortMain | MessagePort>} [transfer]
   */
  postMessage(message, transfer) {
    let list = []
    if (transfer !== undefined) {
      if (!Array.isArray(transfer)) throw notPortArray()
      list = transfer
    }
    const { data, ends } = prepare(this, message, list, notValidPort, cloneFailed)
    postFrom(this, data, ends)
  }

  /** Starts delivering messages (those queued so far first). */
  start() {
    const end = this[kEnd]
    if (end !== null) startEnd(end)
  }

  /** Disentangles the pair: the other end gets 'close'. */
  close() {
    const end = this[kEnd]
    if (end !== null) closeEnd(end)
  }

  [kDeliver](data, ends) {
    const ports = new Array(ends.length)
    for (let i = 0; i < ends.length; i++) ports[i] = new MessagePortMain(ends[i])
    this.emit('message', { data, ports })
  }

  [kClosed]() {
    this.emit('close')
  }

  [kListening]() {
    return this.listenerCount('message') > 0
  }

  [kRefresh]() {
    const end = this[kEnd]
    if (end !== null) refresh(end)
  }
}

// A 'message' listener added or removed may change the keep-alive.
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
  Object.defineProperty(MessagePortMain.prototype, name, {
    value: {
      [name](...args) {
        const result = base.apply(this, args)
        this[kRefresh]()
        return result
      },
    }[name],
    writable: true,
    configurable: true,
  })
}

/** Electron's `MessageChannelMain`: `{ port1, port2 }`, entangled. */
class MessageChannelMain {
  constructor() {
    const [a, b] = pair()
    this.port1 = new MessagePortMain(a)
    this.port2 = new MessagePortMain(b)
  }
}

// ---------------------------------------------------------------- renderer side

/** The 'message' event of a DOM-shaped port: `data`, `ports` (as MessageEvent). */
class PortMessageEvent extends Event {
  constructor(data, ports) {
    super('message')
    this.data = data
    this.ports = Object.freeze(ports)
    this.origin = ''
    this.lastEventId = ''
    this.source = null
  }
}

const kHandlers = Symbol('ipc-main.portHandlers')
const kMessageListeners = Symbol('ipc-main.portMessageListeners')

/** The DOM's `postMessage(message, transfer)` or `(message, { transfer })`. */
function domTransfer(transfer) {
  if (transfer === undefined) return []
  if (Array.isArray(transfer)) return transfer
  if (transfer !== null && typeof transfer === 'object') {
    if (typeof transfer[Symbol.iterator] === 'function') return [...transfer]
    return transfer.transfer === undefined ? [] : domTransfer(transfer.transfer)
  }
  throw new TypeError(
    "Failed to execute 'postMessage' on 'MessagePort': The provided value cannot be converted to a sequence.",
  )
}

const domCloneFailed = () => dataCloneError('An object could not be cloned.')

/**
 * A renderer-side port, shaped as the DOM's MessagePort: an EventTarget with
 * `postMessage`, `start`, `close`, `onmessage` (setting it starts the port),
 * `onclose`, and 'message' events with `data` and `ports`.
 */
class MessagePort extends EventTarget {
  constructor(end = null) {
    super()
    this[kEnd] = null
    this[kHandlers] = { message: null, messageerror: null, close: null }
    this[kMessageListeners] = new Map()
    if (end !== null) hold(this, end)
  }

  /**
   * Sends `message` (a structured clone) to the other end, with the ports of
   * `transfer` (an array, or `{ transfer }`).
   * @param {any} message
   * @param {Array<MessagePort | MessagePortMain> | { transfer?: Array<MessagePort | MessagePortMain> }} [transfer]
   */
  postMessage(message, transfer) {
    const { data, ends } = prepare(this, message, domTransfer(transfer), notValidPort, domCloneFailed, notTransferred)
    postFrom(this, data, ends)
  }

  /** Starts delivering messages (setting `onmessage` does this too). */
  start() {
    const end = this[kEnd]
    if (end !== null) startEnd(end)
  }

  /** Disentangles the pair: the other end gets 'close'. */
  close() {
    const end = this[kEnd]
    if (end !== null) closeEnd(end)
  }

  get onmessage() {
    return this[kHandlers].message?.fn ?? null
  }

  set onmessage(fn) {
    setHandler(this, 'message', fn)
    // As the DOM: assigning onmessage starts the port.
    this.start()
  }

  get onmessageerror() {
    return this[kHandlers].messageerror?.fn ?? null
  }

  set onmessageerror(fn) {
    setHandler(this, 'messageerror', fn)
  }

  get onclose() {
    return this[kHandlers].close?.fn ?? null
  }

  set onclose(fn) {
    setHandler(this, 'close', fn)
  }

  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options)
    if (type === 'message' && listener != null) {
      // A once listener is forgotten after the next message (see kDeliver).
      const once = options !== null && typeof options === 'object' && options.once === true
      const listeners = this[kMessageListeners]
      if (!listeners.has(listener) || !once) listeners.set(listener, once)
      this[kRefresh]()
    }
  }

  removeEventListener(type, listener, options) {
    super.removeEventListener(type, listener, options)
    if (type === 'message' && this[kMessageListeners].delete(listener)) this[kRefresh]()
  }

  [kDeliver](data, ends) {
    const ports = new Array(ends.length)
    for (let i = 0; i < ends.length; i++) ports[i] = new MessagePort(ends[i])
    const listeners = this[kMessageListeners]
    try {
      this.dispatchEvent(new PortMessageEvent(data, ports))
    } finally {
      let changed = false
      for (const [listener, once] of listeners) {
        if (once) {
          listeners.delete(listener)
          changed = true
        }
      }
      if (changed) this[kRefresh]()
    }
  }

  [kClosed]() {
    this.dispatchEvent(new Event('close'))
  }

  [kListening]() {
    return this[kHandlers].message !== null || this[kMessageListeners].size > 0
  }

  [kRefresh]() {
    const end = this[kEnd]
    if (end !== null) refresh(end)
  }
}

/** The `on<type>` attribute: one listener, replaced by the next assignment. */
function setHandler(port, type, fn) {
  const handlers = port[kHandlers]
  const old = handlers[type]
  if (old !== null) EventTarget.prototype.removeEventListener.call(port, type, old.wrapper)
  if (typeof fn !== 'function') {
    handlers[type] = null
  } else {
    const wrapper = (event) => {
      const f = handlers[type]?.fn
      if (typeof f === 'function') return f.call(port, event)
    }
    handlers[type] = { fn, wrapper }
    EventTarget.prototype.addEventListener.call(port, type, wrapper)
  }
  port[kRefresh]()
}

/** The DOM's MessageChannel, for renderers: `{ port1, port2 }`, entangled. */
class MessageChannel {
  constructor() {
    const [a, b] = pair()
    this.port1 = new MessagePort(a)
    this.port2 = new MessagePort(b)
  }
}

// ---------------------------------------------------------------- ipc postMessage

const invalidTransfer = () => new TypeError('Invalid value for transfer')

/**
 * `wc.postMessage` / `ipcRenderer.postMessage`: checks and clones as a port
 * does, with Electron's `Invalid value for transfer` for a bad list.
 * @returns {{ data: unknown, ends: Endpoint[] }}
 */
function prepareIpc(message, transfer) {
  let list = []
  if (transfer !== undefined) {
    if (!Array.isArray(transfer)) throw invalidTransfer()
    list = transfer
  }
  return prepare(null, message, list, invalidTransfer, cloneFailed)
}

/**
 * The endpoints a same-thread argument list carries (an ipc postMessage):
 * kept on the cloned list itself, under a symbol, so the list travels
 * through the in-process paths unchanged and the receiver builds its event
 * from it (`event.ports`).
 */
const kPortEnds = Symbol('ipc-main.portEnds')

/** The argument list of an ipc postMessage: `[data]`, carrying `ends`. */
function portList(data, ends) {
  const list = [data]
  if (ends.length !== 0) list[kPortEnds] = ends
  return list
}

/** Main-side ports for a received argument list (`event.ports`). @param {unknown[] | null} args */
function mainPorts(args) {
  const ends = args?.[kPortEnds]
  return ends === undefined ? [] : ends.map((e) => new MessagePortMain(e))
}

/** Renderer-side (DOM-shaped) ports for a received argument list. @param {unknown[] | null} args */
function rendererPorts(args) {
  const ends = args?.[kPortEnds]
  return ends === undefined ? [] : ends.map((e) => new MessagePort(e))
}

/** `wc.postMessage` / `ipcRenderer.postMessage` with too few arguments (Electron's gin text). */
const insufficientArguments = () => new TypeError('Insufficient number of arguments.')

/** Closes endpoints that reached nobody (their peers get 'close'). */
function dropEnds(ends) {
  for (const e of ends) closeEnd(e)
}

module.exports = {
  MessageChannelMain,
  MessagePortMain,
  MessageChannel,
  MessagePort,
  prepareIpc,
  insufficientArguments,
  portList,
  mainPorts,
  rendererPorts,
  dropEnds,
  kPortEnds,
  CODEC_PORTS,
  PORT_MESSAGE,
  PORT_CLOSE,
  PortLink,
  encodeIpcPorts,
  decodeIpcPorts,
  counters,
}
