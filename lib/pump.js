'use strict'
// Drains an inbox (NativeHub or NativeRenderer) and hands each frame to a
// dispatcher, in order, even when a dispatcher re-enters the pump (an inline
// sendSync drains the hub from inside a listener): the current batch and the
// read position live on the pump, so a nested run continues from the next
// undelivered frame instead of jumping ahead to newer ones.

const { HEADER_LEN } = require('./frames')
const { CODEC_NONE, CODEC_JSON, CODEC_BYTES } = require('./codec')

/** Frames taken per doorbell before yielding to the event loop. */
const BATCH_FRAMES = 1024
/** Bytes (about) taken per doorbell before yielding. */
const BATCH_BYTES = 16 * 1024 * 1024
/**
 * The receive buffer each pump owns: a batch that fits is copied into it,
 * so no Buffer is made per batch. Safe to reuse because every dispatcher
 * decodes a frame's payload (a copy) before user code runs, and a nested
 * run (an inline sendSync) finishes the current batch before it drains.
 * One exception: `v8.deserialize` returns typed arrays and Buffers as views
 * of its input, so a payload in any codec but the few known to copy (JSON,
 * a small BYTES payload, none; LOCAL carries nothing) is handed over in a
 * copy of its own: V8, and port payloads that wrap one.
 */
const RECV_BYTES = 128 * 1024

/**
 * Every pump of this JS environment, weakly: when the event loop runs out
 * of work ('beforeExit'), each delivers what is still queued. A renderer on
 * another thread pushes its last frames (its DISCONNECT) just before its
 * thread ends, and main's loop can see the Worker's exit, find nothing else
 * alive and stop before the doorbell's callback runs: this catches that,
 * and the delivery may give the loop more work.
 */
const live = new Set()
const forget = new FinalizationRegistry((ref) => live.delete(ref))
let hooked = false

function onBeforeExit() {
  for (const ref of live) {
    const pump = ref.deref()
    if (pump === undefined) live.delete(ref)
    else pump.run(Infinity)
  }
}

/**
 * Channel names decoded recently: the same few channels recur in every
 * batch, and a string made once is also hashed once (dispatch looks it up
 * in Maps). Direct-mapped by a hash of the bytes; a slot holds the bytes it
 * was decoded from, compared in full, so a hit is the very string
 * `utf8Slice` would make. Names longer than CHANNEL_BYTES are not cached.
 */
const CHANNEL_SLOTS = 64
const CHANNEL_BYTES = 32
const channelStrings = new Array(CHANNEL_SLOTS).fill(null)
const channelLens = new Uint8Array(CHANNEL_SLOTS)
const channelBytes = Buffer.alloc(CHANNEL_SLOTS * CHANNEL_BYTES)

/**
 * `buf.utf8Slice(start, end)`, from the cache when those bytes were seen.
 * @param {Buffer} buf
 * @param {number} start
 * @param {number} end
 * @returns {string}
 */
function channelName(buf, start, end) {
  const n = end - start
  if (n > CHANNEL_BYTES) return buf.utf8Slice(start, end)
  let h = n
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]) | 0
  const slot = h & (CHANNEL_SLOTS - 1)
  const o = slot * CHANNEL_BYTES
  const cached = channelStrings[slot]
  if (cached !== null && channelLens[slot] === n) {
    let i = 0
    while (i < n && channelBytes[o + i] === buf[start + i]) i++
    if (i === n) return cached
  }
  const s = buf.utf8Slice(start, end)
  channelStrings[slot] = s
  channelLens[slot] = n
  buf.copy(channelBytes, o, start, end)
  return s
}

class Pump {
  /**
   * @param {{ drain(maxFrames: number, maxBytes: number, recv: Buffer): number | Buffer | null }} native
   * @param {(kind: number, codec: number, renderer: number, request: number,
   *   channel: string, buf: Buffer, start: number, end: number) => void} dispatch
   */
  constructor(native, dispatch) {
    this.native = native
    this.dispatch = dispatch
    this.batch = null
    this.at = 0
    this.end = 0
    this.recv = Buffer.allocUnsafe(RECV_BYTES)
    const ref = new WeakRef(this)
    live.add(ref)
    forget.register(this, ref)
    if (!hooked) {
      hooked = true
      process.on('beforeExit', onBeforeExit)
    }
  }

  /**
   * Delivers queued frames: at least the rest of the current batch, then
   * one more batch of at most `limit` frames (a doorbell: one drain call,
   * since the inbox rings again by itself when frames remain, and the loop
   * may turn between batches), or, for `Infinity`, batches until the inbox
   * is empty (an inline drain, exit).
   * A throwing dispatcher is reported (uncaught exception on the next tick,
   * as a throwing listener is in Node) and the pump goes on.
   * @param {number} limit
   */
  run(limit) {
    let drained = false
    for (;;) {
      let b = this.batch
      if (b === null || this.at >= this.end) {
        this.batch = null
        if (drained && limit !== Infinity) return
        drained = true
        const r = this.native.drain(Math.min(limit, BATCH_FRAMES), BATCH_BYTES, this.recv)
        if (r === null) return
        if (typeof r === 'number') {
          b = this.recv
          this.end = r
        } else {
          b = r
          this.end = r.length
        }
        this.batch = b
        this.at = 0
      }
      const at = this.at
      const end = at + 4 + b.readUInt32LE(at)
      const chEnd = at + HEADER_LEN + b.readUInt32LE(at + 16)
      this.at = end
      const codec = b[at + 5]
      let buf = b
      let start = chEnd
      let stop = end
      if (b === this.recv && codec !== CODEC_JSON && codec !== CODEC_NONE && codec !== CODEC_BYTES) {
        buf = Buffer.from(b.subarray(chEnd, end))
        start = 0
        stop = buf.length
      }
      try {
        this.dispatch(
          b[at + 4],
          codec,
          b.readUInt32LE(at + 8),
          b.readUInt32LE(at + 12),
          chEnd === at + HEADER_LEN ? '' : channelName(b, at + HEADER_LEN, chEnd),
          buf,
          start,
          stop,
        )
      } catch (err) {
        report(err)
      }
    }
  }
}

/**
 * Returns a function that schedules `native.flush()` once per synchronous
 * stretch: frames are queued quietly as they are sent, and the receiver's
 * doorbell rings once, from a microtask, for the whole burst.
 * @param {{ flush(): void }} native
 * @returns {() => void}
 */
function flusher(native) {
  let scheduled = false
  const flush = () => {
    scheduled = false
    native.flush()
  }
  return () => {
    if (!scheduled) {
      scheduled = true
      queueMicrotask(flush)
    }
  }
}

/** Reports an error thrown by user code during delivery, as Node would. */
function report(err) {
  process.nextTick(() => {
    throw err
  })
}

module.exports = { Pump, report, flusher, channelName, BATCH_FRAMES }
