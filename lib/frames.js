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

module.exports = { KIND, HEADER_LEN }
