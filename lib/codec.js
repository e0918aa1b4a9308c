'use strict'
// Structured clone at the JavaScript edge (DESIGN.md, Serialization).
//
// Two codecs, tagged per frame:
// - JSON (CODEC_JSON) when the value survives JSON exactly (see toJson):
//   the common case and the fast one (JSON.stringify + JSON.parse measured
//   ~1.05 µs for a small message, v8.serialize + deserialize ~3.6–4 µs).
// - V8 (CODEC_V8) for everything else: v8.serialize is the structured clone
//   algorithm itself (Date, RegExp, Map, Set, BigInt, typed arrays, Buffer,
//   undefined, NaN, -0, sparse arrays, cycles, shared references, Errors),
//   and it throws on functions, symbols, promises, WeakMaps, ... which we
//   report with Electron's text.
// CODEC_NONE marks an empty argument list (no payload at all).

const v8 = require('node:v8')
const { cloneFailed } = require('./errors')

const CODEC_NONE = 0
const CODEC_JSON = 1
const CODEC_V8 = 2
// 3 was the in-process codec: in-process payloads are clones that never
// become frames now (lib/links.js), and sockets refuse 3 (src/transport/server.rs).
/** One Buffer argument, as its raw bytes: no serializer on either side. */
const CODEC_BYTES = 4
/** A BYTES payload this large arrives alone in an external buffer (see
 * LARGE_FRAME in src/queue.rs: never in a batch, always alone, as a view of
 * the Rust frame) and is handed over as a view of it. */
const VIEW_AT = 64 * 1024

const ObjectProto = Object.prototype
const ArrayProto = Array.prototype
const getProto = Object.getPrototypeOf
const isArray = Array.isArray

// Depth guard: deeper structures go to V8, which has its own stack checks.
const MAX_DEPTH = 64
const { isProxy } = require('node:util').types
const quote = JSON.stringify
const objectKeys = Object.keys

/**
 * Writes `v` as JSON if JSON round-trips it exactly as structured clone
 * would; returns undefined otherwise. One pass, so every getter is read once
 * (as structured clone reads it). Accepted: strings, finite numbers other
 * than -0, booleans, null, arrays (no holes, no extra own properties) and
 * plain objects, neither a Proxy, each object reached once (a shared
 * reference or a cycle needs V8's serializer, which keeps identity).
 * @param {unknown} v
 * @param {Set<object>} seen
 * @param {number} depth
 * @returns {string | undefined}
 */
function toJson(v, seen, depth) {
  switch (typeof v) {
    case 'string':
      return quote(v)
    case 'boolean':
      return v ? 'true' : 'false'
    case 'number':
      return numberJson(v)
    case 'object': {
      if (v === null) return 'null'
      if (depth > MAX_DEPTH || seen.has(v) || isProxy(v)) return undefined
      seen.add(v)
      const proto = getProto(v)
      if (proto === ArrayProto && isArray(v)) {
        const n = v.length
        // Extra own properties would be lost by JSON (holes read as
        // undefined, which is refused below).
        if (n !== 0 && objectKeys(v).length !== n) return undefined
        let out = '['
        for (let i = 0; i < n; i++) {
          const e = v[i]
          // Numbers inline: the common leaf, without a call.
          const item = typeof e === 'number' ? numberJson(e) : toJson(e, seen, depth + 1)
          if (item === undefined) return undefined
          out += i === 0 ? item : ',' + item
        }
        return out + ']'
      }
      if (proto !== ObjectProto && proto !== null) return undefined
      let out = '{'
      let first = true
      for (const k in v) {
        const e = v[k]
        const item = typeof e === 'number' ? numberJson(e) : toJson(e, seen, depth + 1)
        if (item === undefined) return undefined
        out += (first ? quoteKey(k) : ',' + quoteKey(k)) + ':' + item
        first = false
      }
      return out + '}'
    }
    default:
      // undefined, bigint, symbol, function
      return undefined
  }
}

/** A number as JSON, or undefined: NaN/±Infinity would become null, -0 would become 0. */
function numberJson(v) {
  return Number.isFinite(v) && (v !== 0 || 1 / v > 0) ? '' + v : undefined
}

/** Quoted object keys, remembered: the same few keys recur in every message. */
const keyCache = new Map()
const KEY_CACHE_MAX = 4096

function quoteKey(k) {
  let q = keyCache.get(k)
  if (q === undefined) {
    q = quote(k)
    if (keyCache.size < KEY_CACHE_MAX) keyCache.set(k, q)
  }
  return q
}

/**
 * Encodes an argument list. Throws Electron's `An object could not be cloned.`
 * for values structured clone refuses; nothing is sent then.
 * @param {unknown[]} args
 * @returns {{ codec: number, data: string | Buffer }}
 */
function encode(args) {
  if (args.length === 0) return { codec: CODEC_NONE, data: '' }
  if (args.length === 1 && Buffer.isBuffer(args[0]) && getProto(args[0]) === Buffer.prototype) {
    return { codec: CODEC_BYTES, data: args[0] }
  }
  let json
  try {
    json = toJson(args, new Set(), 0)
  } catch {
    // A throwing getter or a stack overflow: let V8 decide.
  }
  if (json !== undefined) return { codec: CODEC_JSON, data: json }
  try {
    return { codec: CODEC_V8, data: v8.serialize(args) }
  } catch {
    throw cloneFailed()
  }
}

// ------------------------------------------------------------ same thread
//
// A receiver on this thread gets a structured clone of the arguments, made
// in JS, never bytes. Plain data (primitives, plain objects, dense arrays,
// each object reached once) is copied by hand: the structured clone
// algorithm would produce exactly this copy (own enumerable string keys in
// order, values read once, prototypes lost), and the copy costs a fraction
// of `structuredClone` (~0.5 µs even for `[1, 2]`). Anything else (a Date, a
// Map, a typed array, a shared reference or a cycle, a Proxy, an arguments
// object, a function) goes to `structuredClone` itself, whole.

const { isArgumentsObject } = require('node:util').types

/** Depth and object count the hand copy handles; beyond, structuredClone. */
const FAST_DEPTH = 16
const FAST_OBJECTS = 64
/**
 * Objects met by the current hand copy (a repeat means shared or cyclic):
 * the first `metCount` slots, cleared after each copy.
 */
const met = new Array(FAST_OBJECTS).fill(undefined)
let metCount = 0
const NOT_PLAIN = Symbol('notPlain')

function copyPlain(v, depth) {
  if (depth > FAST_DEPTH || metCount >= FAST_OBJECTS || isProxy(v)) return NOT_PLAIN
  for (let i = 0; i < metCount; i++) if (met[i] === v) return NOT_PLAIN
  met[metCount++] = v
  const proto = getProto(v)
  if (proto === ArrayProto) {
    if (!isArray(v)) return NOT_PLAIN
    const n = v.length
    // Holes or extra own properties: structured clone keeps them.
    if (n !== 0 && objectKeys(v).length !== n) return NOT_PLAIN
    const out = []
    for (let i = 0; i < n; i++) {
      const c = copyValue(v[i], depth)
      if (c === NOT_PLAIN) return NOT_PLAIN
      out.push(c)
    }
    return out
  }
  if (proto !== ObjectProto || isArgumentsObject(v)) return NOT_PLAIN
  const out = {}
  // for-in (own enumerable string keys in order; Object.prototype has none)
  // allocates no key list, and skips a key deleted meanwhile, as structured
  // clone does.
  for (const k in v) {
    // Assigning '__proto__' would set the prototype, not a property.
    if (k === '__proto__') return NOT_PLAIN
    const c = copyValue(v[k], depth)
    if (c === NOT_PLAIN) return NOT_PLAIN
    out[k] = c
  }
  return out
}

function copyValue(e, depth) {
  switch (typeof e) {
    case 'object':
      return e === null ? null : copyPlain(e, depth + 1)
    case 'function':
    case 'symbol':
      return NOT_PLAIN
    default:
      return e
  }
}

/**
 * Clones an argument list for a receiver on this same thread (the
 * in-process link): a structured clone, exact by construction (see above).
 * Throws Electron's `An object could not be cloned.` as `encode` does.
 * `args` is a fresh list its caller gives up (a rest parameter, a literal;
 * every caller's is): a list of primitives only is its own clone.
 * @param {unknown[]} args
 * @returns {unknown[]}
 */
function cloneLocal(args) {
  const n = args.length
  let i = 0
  while (i < n) {
    const t = typeof args[i]
    if ((t === 'object' && args[i] !== null) || t === 'function' || t === 'symbol') break
    i++
  }
  if (i === n) return args
  const out = []
  let plain = true
  // Re-entered from a getter (that sends): this copy's slots follow the outer one's.
  const base = metCount
  try {
    for (let i = 0; i < n; i++) {
      const c = copyValue(args[i], 0)
      if (c === NOT_PLAIN) {
        plain = false
        break
      }
      out.push(c)
    }
  } catch {
    // A throwing getter: structuredClone decides (and throws).
    plain = false
  } finally {
    // Not `length = 0` (a resize per message): the slots are overwritten,
    // after letting go of the user's objects.
    for (let i = base; i < metCount; i++) met[i] = undefined
    metCount = base
  }
  if (plain) return out
  try {
    return structuredClone(args)
  } catch {
    throw cloneFailed()
  }
}

/**
 * Decodes an argument list from `buf[start, end)`.
 * @param {number} codec
 * @param {Buffer} buf
 * @param {number} start
 * @param {number} end
 * @returns {unknown[]}
 */
function decode(codec, buf, start, end) {
  let args
  switch (codec) {
    case CODEC_NONE:
      return []
    case CODEC_JSON:
      args = JSON.parse(buf.utf8Slice(start, end))
      break
    case CODEC_V8:
      args = v8.deserialize(buf.subarray(start, end))
      break
    case CODEC_BYTES:
      // A large payload owns its buffer (it came alone): a view, no copy.
      // A small one sits in a shared batch: copied, so holding it does not
      // hold the batch.
      return [end - start >= VIEW_AT ? buf.subarray(start, end) : Buffer.from(buf.subarray(start, end))]
    default:
      throw new Error(`ipc-main: unknown payload codec ${codec}`)
  }
  // Every payload is an argument list; bytes from another process that
  // decode to anything else are refused here, not spread into a listener.
  if (!Array.isArray(args)) throw new Error('ipc-main: the payload is not an argument list')
  return args
}

/**
 * Decodes an encoded value held in JS (in-process fast path: no bytes yet).
 * @param {{ codec: number, data: string | Buffer }} enc
 */
function decodeLocal(enc) {
  switch (enc.codec) {
    case CODEC_NONE:
      return []
    case CODEC_JSON:
      return JSON.parse(enc.data)
    case CODEC_BYTES:
      return [Buffer.from(enc.data)]
    default:
      return v8.deserialize(enc.data)
  }
}

/** @param {Buffer} buf codec byte then payload */
function fromTagged(buf) {
  return decode(buf[0], buf, 1, buf.length)
}

/**
 * Decodes a CODEC_JSON argument list handed over as a string (a sendSync
 * answer: Rust makes the string, no Buffer in between).
 * @param {string} text
 * @returns {unknown[]}
 */
function fromText(text) {
  const args = JSON.parse(text)
  if (!Array.isArray(args)) throw new Error('ipc-main: the payload is not an argument list')
  return args
}

module.exports = {
  CODEC_BYTES,
  CODEC_NONE,
  CODEC_JSON,
  CODEC_V8,
  encode,
  cloneLocal,
  decode,
  decodeLocal,
  fromTagged,
  fromText,
}
