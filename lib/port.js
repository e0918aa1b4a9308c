'use strict'
// What every native renderer transport shares: the native endpoint, the
// pump that delivers main's frames to the IpcRenderer, and the doorbell
// flush scheduled once per synchronous stretch of sends. RemotePort adds
// what a renderer on another thread or process needs: encoded payloads and
// a `sendSync` that blocks in Rust.

const errors = require('./errors')
const { encode, fromTagged, fromText } = require('./codec')
const { Pump, flusher, BATCH_FRAMES } = require('./pump')
const { FrameBatch, BATCH_BYTES } = require('./batch')
const { KIND, checkFrameSize, worstLen } = require('./frames')

class NativePort {
  /**
   * @param {(onDoorbell: () => void) => object | null} open makes the native
   *   endpoint, whose doorbell calls `onDoorbell` on this thread
   * @param {boolean} listenersKeepAlive whether listeners keep this thread alive
   */
  constructor(open, listenersKeepAlive) {
    this.renderer = null
    this.listenersKeepAlive = listenersKeepAlive
    /** Whether Rust keeps the thread alive while invokes are in flight. */
    this.holdsCalls = false
    this.native = open(() => this.pump.run(BATCH_FRAMES))
    if (this.native === null) throw errors.disconnected()
    this.id = this.native.id
    /** Passes sends on once for this synchronous stretch of them. */
    this.scheduleFlush = flusher({ flush: () => this.flushSends() })
    const { kOnFrame } = require('./ipc-renderer')
    this.pump = new Pump(this.native, (kind, codec, _renderer, request, channel, buf, start, end) =>
      this.renderer[kOnFrame](kind, codec, request, channel, buf, start, end),
    )
  }

  /** The end of a synchronous stretch of sends: ring main. */
  flushSends() {
    this.native.flush()
  }

  keepAlive(on) {
    this.native.keepAlive(on)
  }

  close() {
    this.native.close()
  }
}

/**
 * A renderer on another thread or process than its main: payloads are
 * encoded; `sendSync` blocks this thread in Rust (a short spin where it
 * helps, then a park) until main answers or goes away.
 *
 * Small frames are written in JS into one FrameBatch that is handed to
 * Rust in one call when the synchronous stretch of sends ends (a
 * microtask), the batch is full, or a `sendSync` takes it along: one napi
 * call per batch. A frame that might not fit goes alone, after the batch.
 * Invokes in flight keep this thread alive from Rust (read from the
 * frames), so an invoke costs no keep-alive call.
 */
class RemotePort extends NativePort {
  constructor(open, listenersKeepAlive) {
    super(open, listenersKeepAlive)
    this.batch = new FrameBatch()
    this.maxFrame = this.native.maxFrame
    /** Rust holds the thread while invokes are in flight. */
    this.holdsCalls = true
  }

  encode(args) {
    return encode(args)
  }

  send(kind, request, channel, enc) {
    const data = enc.data
    const worst = worstLen(channel, data)
    if (worst > BATCH_BYTES || worst > this.maxFrame) {
      checkFrameSize(channel, enc, this.maxFrame)
      if (!this.handOver()) return false
      const ok = this.native.send(kind, request, channel, enc.codec, data)
      this.scheduleFlush()
      return ok
    }
    if (!this.batch.fits(worst) && !this.handOver()) return false
    this.batch.write(kind, enc.codec, this.id, request, channel, data)
    this.scheduleFlush()
    return true
  }

  /**
   * Hands the batched frames to Rust (which passes them on at once).
   * @returns {boolean} false once disconnected (the batch is then dropped,
   *   and the renderer learns it is disconnected)
   */
  handOver() {
    const frames = this.batch.take()
    if (frames === null) return true
    const ok = this.native.sendFrames(frames)
    if (!ok && this.renderer !== null) {
      const { kDisconnect } = require('./ipc-renderer')
      this.renderer[kDisconnect]()
    }
    return ok
  }

  /** The end of a synchronous stretch of sends: the batch goes (and is passed on). */
  flushSends() {
    if (this.batch.used === 0) this.native.flush()
    else this.handOver()
  }

  sendSync(request, channel, enc) {
    checkFrameSize(channel, enc, this.maxFrame)
    // Everything sent before goes first, in the same call when it fits.
    const data = enc.data
    const worst = worstLen(channel, data)
    let frames
    if (worst <= BATCH_BYTES && worst <= this.maxFrame) {
      if (!this.batch.fits(worst) && !this.handOver()) return null
      this.batch.write(KIND.SEND_SYNC, enc.codec, this.id, request, channel, data)
      frames = this.batch.take()
    } else {
      if (!this.handOver()) return null
      const one = new FrameBatch(worst)
      one.write(KIND.SEND_SYNC, enc.codec, this.id, request, channel, data)
      frames = one.take()
    }
    const reply = this.native.sendSync(frames)
    if (reply === null) return null
    return { value: (typeof reply === 'string' ? fromText(reply) : fromTagged(reply))[0] }
  }

  close() {
    this.handOver()
    super.close()
  }
}

module.exports = { NativePort, RemotePort }
