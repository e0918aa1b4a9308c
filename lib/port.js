'use strict'
// What every native renderer transport shares: the native endpoint, the
// pump that delivers main's frames to the IpcRenderer, and the doorbell
// flush scheduled once per synchronous stretch of sends. RemotePort adds
// what a renderer on another thread or process needs: encoded payloads and
// a `sendSync` that blocks in Rust.

const errors = require('./errors')
const { encode, fromTagged } = require('./codec')
const { Pump, flusher, BATCH_FRAMES } = require('./pump')
const { checkFrameSize } = require('./frames')

class NativePort {
  /**
   * @param {(onDoorbell: () => void) => object | null} open makes the native
   *   endpoint, whose doorbell calls `onDoorbell` on this thread
   * @param {boolean} listenersKeepAlive whether listeners keep this thread alive
   */
  constructor(open, listenersKeepAlive) {
    this.renderer = null
    this.listenersKeepAlive = listenersKeepAlive
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

/** Bytes of frames a RemotePort batches in JS before handing them over. */
const BATCH_BYTES = 64 * 1024

/**
 * A renderer on another thread or process than its main: payloads are
 * encoded; `sendSync` blocks this thread in Rust (a short spin, then a
 * park) until main answers or goes away.
 *
 * Small frames are written in JS, back to back, into one buffer that is
 * handed to Rust in one call when the synchronous stretch of sends ends (a
 * microtask) or the buffer is full: no napi crossing and no Rust allocation
 * per message. A frame that might not fit goes alone, after the batch.
 */
class RemotePort extends NativePort {
  constructor(open, listenersKeepAlive) {
    super(open, listenersKeepAlive)
    this.batch = Buffer.allocUnsafe(BATCH_BYTES)
    this.used = 0
    this.maxFrame = this.native.maxFrame
  }

  encode(args) {
    return encode(args)
  }

  send(kind, request, channel, enc) {
    const data = enc.data
    const isString = typeof data === 'string'
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const worst = 20 + channel.length * 3 + (isString ? data.length * 3 : data.length)
    if (worst > BATCH_BYTES || worst > this.maxFrame) {
      checkFrameSize(channel, enc, this.maxFrame)
      if (!this.handOver()) return false
      const ok = isString
        ? this.native.sendStr(kind, request, channel, enc.codec, data)
        : this.native.sendBytes(kind, request, channel, enc.codec, data)
      this.scheduleFlush()
      return ok
    }
    if (this.used + worst > BATCH_BYTES && !this.handOver()) return false
    const b = this.batch
    const at = this.used
    b[at + 4] = kind
    b[at + 5] = enc.codec
    b[at + 6] = 0
    b[at + 7] = 0
    b.writeUInt32LE(this.id, at + 8)
    b.writeUInt32LE(request, at + 12)
    const chLen = channel.length === 0 ? 0 : b.utf8Write(channel, at + 20)
    b.writeUInt32LE(chLen, at + 16)
    const p = at + 20 + chLen
    let payLen = 0
    if (isString) {
      if (data.length !== 0) payLen = b.utf8Write(data, p)
    } else {
      b.set(data, p)
      payLen = data.length
    }
    b.writeUInt32LE(16 + chLen + payLen, at)
    this.used = p + payLen
    this.scheduleFlush()
    return true
  }

  /**
   * Hands the batched frames to Rust (which passes them on at once).
   * @returns {boolean} false once disconnected (the batch is then dropped,
   *   and the renderer learns it is disconnected)
   */
  handOver() {
    if (this.used === 0) return true
    const frames = this.batch.subarray(0, this.used)
    this.used = 0
    const ok = this.native.sendFrames(frames)
    if (!ok && this.renderer !== null) {
      const { kDisconnect } = require('./ipc-renderer')
      this.renderer[kDisconnect]()
    }
    return ok
  }

  /** The end of a synchronous stretch of sends: the batch goes (and is passed on). */
  flushSends() {
    if (this.used === 0) this.native.flush()
    else this.handOver()
  }

  sendSync(request, channel, enc) {
    checkFrameSize(channel, enc, this.maxFrame)
    // Everything sent before goes first.
    if (!this.handOver()) return null
    const reply =
      typeof enc.data === 'string'
        ? this.native.sendSyncStr(request, channel, enc.codec, enc.data)
        : this.native.sendSyncBytes(request, channel, enc.codec, enc.data)
    return reply === null ? null : { value: fromTagged(reply)[0] }
  }

  close() {
    this.handOver()
    super.close()
  }
}

module.exports = { NativePort, RemotePort }
