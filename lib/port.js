'use strict'
// What every native renderer transport shares: the native endpoint, the
// pump that delivers main's frames to the IpcRenderer, and the doorbell
// flush scheduled once per synchronous stretch of sends. RemotePort adds
// what a renderer on another thread or process needs: encoded payloads and
// a `sendSync` that blocks in Rust.

const errors = require('./errors')
const { encode, fromTagged } = require('./codec')
const { Pump, flusher, BATCH_FRAMES } = require('./pump')

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
    /** Rings the hub once for this synchronous stretch of sends. */
    this.scheduleFlush = flusher(this.native)
    const { kOnFrame } = require('./ipc-renderer')
    this.pump = new Pump(this.native, (kind, codec, _renderer, request, channel, buf, start, end) =>
      this.renderer[kOnFrame](kind, codec, request, channel, buf, start, end),
    )
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
 * encoded; `sendSync` blocks this thread in Rust (a short spin, then a
 * park) until main answers or goes away.
 */
class RemotePort extends NativePort {
  encode(args) {
    return encode(args)
  }

  send(kind, request, channel, enc) {
    const ok =
      typeof enc.data === 'string'
        ? this.native.sendStr(kind, request, channel, enc.codec, enc.data)
        : this.native.sendBytes(kind, request, channel, enc.codec, enc.data)
    this.scheduleFlush()
    return ok
  }

  sendSync(request, channel, enc) {
    const reply =
      typeof enc.data === 'string'
        ? this.native.sendSyncStr(request, channel, enc.codec, enc.data)
        : this.native.sendSyncBytes(request, channel, enc.codec, enc.data)
    return reply === null ? null : { value: fromTagged(reply)[0] }
  }
}

module.exports = { NativePort, RemotePort }
