'use strict'
// What every renderer transport attached to a hub of this process shares: a
// NativeRenderer, the pump that delivers main's frames to the IpcRenderer,
// and the doorbell flush scheduled once per synchronous stretch of sends.

const errors = require('./errors')
const { Pump, flusher, BATCH_FRAMES } = require('./pump')
const { attachRenderer } = require('./native')

class NativePort {
  /**
   * @param {number} hubId
   * @param {object | null} meta announced to the hub in a CONNECT frame
   * @param {boolean} listenersKeepAlive whether listeners keep this thread alive
   */
  constructor(hubId, meta, listenersKeepAlive) {
    this.renderer = null
    this.listenersKeepAlive = listenersKeepAlive
    this.native = attachRenderer(
      hubId,
      () => this.pump.run(BATCH_FRAMES),
      meta === null ? null : JSON.stringify(meta),
    )
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

module.exports = { NativePort }
