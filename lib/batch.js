'use strict'
// Frames written in JS, back to back, into one buffer that is handed to Rust
// in one call (a renderer's sends, main's replies to renderers on other
// threads and processes): no napi crossing and no Rust allocation per
// message. The layout is src/wire.rs's; Rust checks every batch it takes.

const { HEADER_LEN, worstLen } = require('./frames')

/** Bytes of frames batched before a hand-over. */
const BATCH_BYTES = 64 * 1024

class FrameBatch {
  /** @param {number} [size] */
  constructor(size = BATCH_BYTES) {
    this.buf = Buffer.allocUnsafe(size)
    this.used = 0
  }

  /** Whether a frame of (at most) `worst` bytes fits after what is batched. */
  fits(worst) {
    return this.used + worst <= this.buf.length
  }

  /**
   * Appends one frame; the caller checked `fits(worstLen(channel, data))`.
   * @param {number} kind
   * @param {number} codec
   * @param {number} renderer
   * @param {number} request
   * @param {string} channel
   * @param {string | Uint8Array} data
   */
  write(kind, codec, renderer, request, channel, data) {
    const b = this.buf
    const at = this.used
    b[at + 4] = kind
    b[at + 5] = codec
    b[at + 6] = 0
    b[at + 7] = 0
    b.writeUInt32LE(renderer, at + 8)
    b.writeUInt32LE(request, at + 12)
    const chLen = channel.length === 0 ? 0 : b.utf8Write(channel, at + HEADER_LEN)
    b.writeUInt32LE(chLen, at + 16)
    const p = at + HEADER_LEN + chLen
    let payLen = 0
    if (typeof data === 'string') {
      if (data.length !== 0) payLen = b.utf8Write(data, p)
    } else {
      b.set(data, p)
      payLen = data.length
    }
    b.writeUInt32LE(16 + chLen + payLen, at)
    this.used = p + payLen
  }

  /**
   * The batched frames (a view, valid until the next write), and a fresh
   * start; null when empty.
   * @returns {Buffer | null}
   */
  take() {
    if (this.used === 0) return null
    const frames = this.buf.subarray(0, this.used)
    this.used = 0
    return frames
  }
}

/**
 * Main's frames for renderers on other threads and processes (messages,
 * invoke results, socket sendSync answers): batched as a renderer's sends
 * are, routed in Rust by the renderer id each frame carries.
 */
class MainBatch {
  /** @param {{ send: Function, sendFrames: Function, flush: Function }} native the NativeHub */
  constructor(native) {
    this.native = native
    this.batch = new FrameBatch()
  }

  /**
   * Queues one frame for renderer `renderer`; a frame that might not fit
   * goes alone, after what is batched.
   * @param {number} renderer
   * @param {number} kind
   * @param {number} request
   * @param {string} channel
   * @param {{ codec: number, data: string | Uint8Array }} enc
   */
  send(renderer, kind, request, channel, enc) {
    const data = enc.data
    const worst = worstLen(channel, data)
    if (worst > BATCH_BYTES) {
      this.handOver()
      this.native.send(renderer, kind, request, channel, enc.codec, data)
      return
    }
    if (!this.batch.fits(worst)) this.handOver()
    this.batch.write(kind, enc.codec, renderer, request, channel, data)
  }

  /** Hands the batch to Rust, which rings every renderer sent to. */
  handOver() {
    const frames = this.batch.take()
    if (frames !== null) this.native.sendFrames(frames)
  }

  /** The end of a synchronous stretch: everything queued is passed on. */
  flush() {
    if (this.batch.used === 0) this.native.flush()
    else this.handOver()
  }
}

module.exports = { FrameBatch, MainBatch, BATCH_BYTES }
