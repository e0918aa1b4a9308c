'use strict'
// Errors that keep their shape across an invoke, in either direction (API.md
// §2 "Beyond Electron"). Electron sends only `String(err)`; we send
// `[text, shape]`, where `shape` is a plain, structured-clonable description
// of what was thrown, and the caller builds Electron's error from `text` and
// then adds the shape's properties. A peer that sends only `[text]` still
// gets Electron's error: the shape is purely additive.
//
// A shape is `{ error: true, name, message, stack, fields, cause? }` for an
// Error (`fields` holds `code` and the own enumerable properties, each cloned,
// the uncloneable ones skipped), or `{ error: false, value?, fields? }` for
// anything else thrown (a string, a plain object, ...). `cause` is a shape
// itself, down to MAX_DEPTH levels; a cycle ends the chain.

const { isNativeError } = require('node:util').types
const errors = require('./errors')

const MAX_DEPTH = 8
// Fields never copied from the remote error: they would overwrite Electron's
// message or our own additions, or are carried separately.
const RESERVED = new Set(['message', 'stack', 'cause', 'remoteStack', 'remoteValue', '__proto__'])
// A thrown built-in error (TypeError, ...) keeps Electron's `name` ('Error')
// on the rejection: its name is already in the message, and code written
// against Electron may test `err.name === 'Error'`. Other names (custom
// classes, AbortError, ...) are carried.
const BUILTIN_NAMES = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
])

const BUILTIN_CAUSES = {
  __proto__: null,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
}

const NOT_CLONEABLE = Symbol('notCloneable')

function isError(value) {
  return isNativeError(value) || value instanceof Error
}

/** A structured clone of `value`, or NOT_CLONEABLE. Never throws. */
function cloneOrSkip(value) {
  try {
    return structuredClone(value)
  } catch {
    return NOT_CLONEABLE
  }
}

/** Reads `obj[key]` without letting a throwing getter or proxy escape. */
function read(obj, key) {
  try {
    return obj[key]
  } catch {
    return undefined
  }
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Own enumerable string-keyed properties, cloned; uncloneable ones skipped. */
function ownFields(obj) {
  const fields = {}
  let keys
  try {
    keys = Object.keys(obj)
  } catch {
    return fields
  }
  for (const key of keys) {
    if (RESERVED.has(key)) continue
    let v
    try {
      v = obj[key]
    } catch {
      continue // a throwing getter: skipped
    }
    v = cloneOrSkip(v)
    if (v !== NOT_CLONEABLE) fields[key] = v
  }
  return fields
}

/**
 * Describes a thrown value as a structured-clonable shape. Never throws.
 * @param {unknown} value
 * @param {Set<object>} [seen] errors already described (cycles in `cause`)
 * @param {number} [depth]
 */
function describe(value, seen = new Set(), depth = 0) {
  try {
    if (!isError(value)) {
      const shape = { error: false }
      const v = cloneOrSkip(value)
      if (v !== NOT_CLONEABLE) shape.value = v
      // A thrown plain object's fields (`{ code, detail }`) land on the
      // rejection as an Error's would.
      if (isPlainObject(value)) shape.fields = ownFields(value)
      return shape
    }
    seen.add(value)
    const name = read(value, 'name')
    const message = read(value, 'message')
    const stack = read(value, 'stack')
    const shape = {
      error: true,
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : '',
      fields: ownFields(value),
    }
    if (typeof stack === 'string') shape.stack = stack
    // `code` is often inherited or a getter (DOMException), so not own.
    if (!('code' in shape.fields)) {
      const code = cloneOrSkip(read(value, 'code'))
      if (code !== undefined && code !== NOT_CLONEABLE) shape.fields.code = code
    }
    let hasCause = false
    try {
      hasCause = 'cause' in value
    } catch {
      // a proxy's `has` trap threw: no cause then
    }
    if (hasCause && depth < MAX_DEPTH) {
      const cause = read(value, 'cause')
      if (isError(cause)) {
        if (!seen.has(cause)) shape.cause = describe(cause, seen, depth + 1)
      } else {
        const v = cloneOrSkip(cause)
        if (v !== NOT_CLONEABLE) shape.cause = { error: false, value: v }
      }
    }
    return shape
  } catch {
    return { error: false }
  }
}

function defineHidden(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: false, configurable: true })
}

function defineField(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
}

function applyFields(err, fields) {
  if (fields === null || typeof fields !== 'object') return
  for (const key of Object.keys(fields)) {
    if (!RESERVED.has(key)) defineField(err, key, fields[key])
  }
}

/** Rebuilds a described cause: an Error for an Error, else the value. */
function rebuild(shape, depth) {
  if (shape === null || typeof shape !== 'object') return undefined
  if (shape.error !== true) return shape.value
  const message = typeof shape.message === 'string' ? shape.message : ''
  const name = typeof shape.name === 'string' ? shape.name : 'Error'
  // A built-in type comes back as itself (`cause instanceof TypeError`).
  const Builtin = BUILTIN_CAUSES[name]
  const err = Builtin === undefined ? new Error(message) : new Builtin(message)
  if (Builtin === undefined && name !== 'Error') defineHidden(err, 'name', name)
  if (typeof shape.stack === 'string') {
    // Its own stack is the remote one: nothing of it ran here.
    defineHidden(err, 'stack', shape.stack)
    defineHidden(err, 'remoteStack', shape.stack)
  }
  applyFields(err, shape.fields)
  if ('cause' in shape && depth < MAX_DEPTH) defineHidden(err, 'cause', rebuild(shape.cause, depth + 1))
  return err
}

/**
 * The rejection of a failed invoke: Electron's error (message
 * `Error invoking remote method '<channel>': <text>`), plus what `shape`
 * says about the thrown value. Never throws (a bad shape adds nothing).
 * @param {string} channel
 * @param {string} text the remote `String(err)`
 * @param {unknown} shape from describe(), or undefined from an older peer
 * @returns {Error}
 */
function remoteError(channel, text, shape) {
  const err = errors.invokeFailed(channel, text)
  if (shape === null || typeof shape !== 'object') return err
  try {
    if (shape.error === true) {
      if (typeof shape.name === 'string' && !BUILTIN_NAMES.has(shape.name)) defineHidden(err, 'name', shape.name)
      if (typeof shape.stack === 'string') defineHidden(err, 'remoteStack', shape.stack)
      applyFields(err, shape.fields)
      if ('cause' in shape) defineHidden(err, 'cause', rebuild(shape.cause, 1))
    } else {
      if ('value' in shape) defineHidden(err, 'remoteValue', shape.value)
      applyFields(err, shape.fields)
    }
  } catch {
    // A malformed shape from a peer: Electron's error as is.
  }
  return err
}

/** `String(err)` as Electron sends it, for any thrown value. */
function errorText(err) {
  try {
    return String(err)
  } catch {
    return Object.prototype.toString.call(err)
  }
}

/**
 * Encodes a handler's failure as `[text, shape]` with `encodeList` (the
 * sender's codec); `[text]` if even the shape cannot be encoded.
 * @param {unknown} err
 * @param {(list: unknown[]) => { codec: number, data: any }} encodeList
 */
function encodeFailure(err, encodeList) {
  const text = errorText(err)
  try {
    return encodeList([text, describe(err)])
  } catch {
    return encodeList([text])
  }
}

module.exports = { describe, remoteError, errorText, encodeFailure }
