'use strict'
// Frame kinds and header size: JS's mirror of src/wire.rs (see there for the
// layout; lib/pump.js reads drained batches).

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
  CANCEL_RENDERER: 22,
})

const HEADER_LEN = 20

/**
 * The most bytes a frame can take: UTF-8 needs at most 3 bytes per UTF-16
 * unit. A frame whose bound passes a batch's size goes alone, not batched.
 * @param {string} channel
 * @param {string | Uint8Array} data
 */
function worstLen(channel, data) {
  return HEADER_LEN + channel.length * 3 + (typeof data === 'string' ? data.length * 3 : data.length)
}

/**
 * Throws IPC_FRAME_TOO_LARGE if the frame for `channel` and the encoded
 * payload `enc` would exceed `limit` bytes (what the peer reads): checked
 * where the frame is built, so the caller fails, not the peer's connection.
 * Exact byte counts only when the cheap worst case is over the limit.
 * @param {string} channel
 * @param {{ data: string | Uint8Array }} enc
 * @param {number} limit
 */
function checkFrameSize(channel, enc, limit) {
  const data = enc.data
  const isString = typeof data === 'string'
  if (worstLen(channel, data) <= limit) return
  const len = HEADER_LEN + Buffer.byteLength(channel) + (isString ? Buffer.byteLength(data) : data.length)
  if (len <= limit) return
  const err = new Error(`Frame of ${len} bytes exceeds the limit of ${limit} bytes`)
  err.code = 'IPC_FRAME_TOO_LARGE'
  throw err
}

module.exports = { KIND, HEADER_LEN, checkFrameSize, worstLen }
