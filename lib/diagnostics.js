'use strict'
// Diagnostics (API.md §7): IPC_MAIN_DEBUG=1 (or DEBUG=ipc-main) logs every
// message a hub receives or sends to stderr, and ipcMain.stats() reports
// counters per kind and direction. Frames that cross the hub's Rust queue
// and links (and a worker's sync answers) are counted in Rust; in-process
// renderers' messages, both ways, never reach Rust and are counted here
// (lib/links.js LocalLane and LocalLink).

const { KIND } = require('./frames')

/** Names of the frame kinds, as stats() and the log show them. */
const NAMES = {
  [KIND.SEND]: 'send',
  [KIND.SEND_SYNC]: 'sendSync',
  [KIND.INVOKE]: 'invoke',
  [KIND.CONNECT]: 'connect',
  [KIND.DISCONNECT]: 'disconnect',
  [KIND.INVOKE_REPLY_OK]: 'invokeReply',
  [KIND.INVOKE_REPLY_ERR]: 'invokeReplyError',
  [KIND.CANCEL]: 'cancel',
  [KIND.MESSAGE]: 'message',
  [KIND.RESULT_OK]: 'result',
  [KIND.RESULT_ERR]: 'resultError',
  [KIND.SYNC_REPLY]: 'syncReply',
  [KIND.INVOKE_RENDERER]: 'invokeRenderer',
  [KIND.CLOSED]: 'closed',
  [KIND.CANCEL_RENDERER]: 'cancelRenderer',
}
const IN_KINDS = [1, 2, 3, 4, 5, 6, 7, 8]
const OUT_KINDS = [16, 17, 18, 19, 20, 21, 22]

/** Whether `DEBUG` (a list of names, `*` wildcards, `-name` exclusions) selects ipc-main. */
function debugSelected(value) {
  let on = false
  for (const raw of String(value).split(/[\s,]+/)) {
    if (raw === '') continue
    const skip = raw.startsWith('-')
    const pattern = skip ? raw.slice(1) : raw
    const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
    if (re.test('ipc-main')) on = !skip
  }
  return on
}

const env = process.env
const DEBUG = (env.IPC_MAIN_DEBUG !== undefined && env.IPC_MAIN_DEBUG !== '' && env.IPC_MAIN_DEBUG !== '0') ||
  (env.DEBUG !== undefined && debugSelected(env.DEBUG))

function sizeOf(data) {
  if (data === undefined || data === null) return 0
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length
}

/**
 * Logs one message: `ipc-main: in  send 'channel' renderer #3 42 B`.
 * `bytes` is the encoded payload's size, or null for an in-process clone.
 */
function log(direction, kind, channel, renderer, bytes) {
  const name = NAMES[kind] ?? `kind ${kind}`
  const size = bytes === null ? 'in-process' : `${bytes} B`
  const ch = channel === '' ? '' : ` '${channel}'`
  process.stderr.write(`ipc-main: ${direction === 'in' ? 'in ' : 'out'} ${name}${ch} renderer #${renderer} ${size}\n`)
}

/**
 * Counts of in-process messages, per kind: `in` (renderer -> main, their
 * payloads clones, so no bytes) and out (`msgs`/`bytes`, main -> renderer).
 */
class LocalCounters {
  constructor() {
    this.msgs = new Float64Array(32)
    this.bytes = new Float64Array(32)
    this.in = { msgs: new Float64Array(32), bytes: new Float64Array(32) }
  }

  /** One message out, of `bytes` encoded bytes (0 for a clone). */
  add(kind, bytes) {
    this.msgs[kind]++
    this.bytes[kind] += bytes
  }

  /** One message in (a clone: no bytes). */
  addIn(kind) {
    this.in.msgs[kind]++
  }
}

/**
 * The stats() object from the native counters (128 numbers: [messages,
 * bytes] per kind in, then out), the JS shortcut counters and the depth.
 */
function buildStats(native, local, depth) {
  const side = (kinds, base, extra) => {
    const out = {}
    let messages = 0
    let bytes = 0
    for (const k of kinds) {
      const m = (native ? native[base + 2 * k] : 0) + (extra ? extra.msgs[k] : 0)
      const b = (native ? native[base + 2 * k + 1] : 0) + (extra ? extra.bytes[k] : 0)
      out[NAMES[k]] = { messages: m, bytes: b }
      messages += m
      bytes += b
    }
    return { perKind: out, messages, bytes }
  }
  const inSide = side(IN_KINDS, 0, local ? local.in : null)
  const outSide = side(OUT_KINDS, 64, local)
  return {
    messagesIn: inSide.messages,
    bytesIn: inSide.bytes,
    messagesOut: outSide.messages,
    bytesOut: outSide.bytes,
    in: inSide.perKind,
    out: outSide.perKind,
    queueDepth: depth[0],
    queueBytes: depth[1],
    renderers: depth[2],
  }
}

module.exports = { DEBUG, log, sizeOf, LocalCounters, buildStats, debugSelected }
