'use strict'
// Frame kinds and the batch decoder: JS's mirror of src/wire.rs. A drained
// batch is frames back to back; see wire.rs for the layout.

const KIND = Object.freeze({
  SEND: 1,
  SEND_SYNC: 2,
  INVOKE: 3,
  CONNECT: 4,
  DISCONNECT: 5,
  INVOKE_REPLY_OK: 6,
  INVOKE_REPLY_ERR: 7,
  CANCEL: 8,
  MESSAGE: 16,
  RESULT_OK: 17,
  RESULT_ERR: 18,
  SYNC_REPLY: 19,
  INVOKE_RENDERER: 20,
  CLOSED: 21,
})

const HEADER_LEN = 20

/**
 * Calls `onFrame(kind, codec, renderer, request, channel, buf, payloadStart,
 * payloadEnd)` for each frame of a batch, in order.
 * @param {Buffer} buf
 * @param {Function} onFrame
 */
function forEachFrame(buf, onFrame) {
  let at = 0
  const len = buf.length
  while (at + HEADER_LEN <= len) {
    const end = at + 4 + buf.readUInt32LE(at)
    const kind = buf[at + 4]
    const codec = buf[at + 5]
    const renderer = buf.readUInt32LE(at + 8)
    const request = buf.readUInt32LE(at + 12)
    const chEnd = at + HEADER_LEN + buf.readUInt32LE(at + 16)
    const channel = chEnd === at + HEADER_LEN ? '' : buf.utf8Slice(at + HEADER_LEN, chEnd)
    onFrame(kind, codec, renderer, request, channel, buf, chEnd, end)
    at = end
  }
}

module.exports = { KIND, HEADER_LEN, forEachFrame }
