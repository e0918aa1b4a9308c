'use strict'
// An EventEmitter whose listener storage is the Rust registry
// (NativeRegistry), with Node's semantics kept exactly: this file ports
// lib/events.js method by method (prepend, once wrappers with `.listener`,
// rawListeners, 'newListener' before adding, 'removeListener' after removing,
// removal searching from the end, LIFO removeAllListeners, the leak warning,
// 'error' and errorMonitor, captureRejections).
//
// Speed: `emit` must not cross into Rust (EventEmitter.emit with one listener
// is ~14 ns; one napi call that returns functions costs several times that).
// So every mutation goes to Rust first and then refreshes a per-name
// snapshot of the stored functions (`kSnapshot`), which `emit` reads. Rust
// holds the registration (order, once flags, warned flags); the snapshot is
// a read cache of it, rebuilt only when that name's registration changes.
//
// Private state lives behind symbols, not #private fields, so every method
// also works through `Object.create(emitter)` wrappers (API.md §4).

const { EventEmitter, errorMonitor } = require('node:events')
const { inspect } = require('node:util')
const { NativeRegistry } = require('./native')
const { checkListener } = require('./errors')

const kRegistry = Symbol('ipc-main.registry')
const kSnapshot = Symbol('ipc-main.snapshot')
const kRejection = Symbol.for('nodejs.rejection')

// Node keeps `captureRejections` under an internal symbol; find it once.
const kCapture = Object.getOwnPropertySymbols(new EventEmitter({ captureRejections: true }))
  .find((s) => s.description === 'kCapture')

const kSymbols = Symbol('ipc-main.symbols')

// Symbols as event names: numbered for the registry, per emitter, only
// while that emitter has listeners under them (a number is freed, and
// reused, when its last listener goes; all of them go with the emitter), so
// no table outlives what it names.
function symbolTable() {
  return { ids: new Map(), byId: [], free: [] }
}

/** The registry key of `name`; a symbol gets a number unless `lookup` only. */
function keyOf(target, name, lookup = false) {
  if (typeof name !== 'symbol') return String(name)
  const t = target[kSymbols]
  let id = t.ids.get(name)
  if (id === undefined && !lookup) {
    id = t.free.length > 0 ? t.free.pop() : t.byId.length
    t.ids.set(name, id)
    t.byId[id] = name
  }
  return id
}

/** Every listener is gone (kept in place: `Object.create()` wrappers share it). */
function clearSymbols(target) {
  const t = target[kSymbols]
  t.ids.clear()
  t.byId.length = 0
  t.free.length = 0
}

/** `name` has no listeners left on `target`: its number is free again. */
function releaseKey(target, name) {
  if (typeof name !== 'symbol') return
  const t = target[kSymbols]
  const id = t.ids.get(name)
  if (id === undefined) return
  t.ids.delete(name)
  t.byId[id] = undefined
  t.free.push(id)
}
// The snapshot map is keyed like Node's _events object: symbols as
// themselves, everything else as a string.
const snapKey = (name) => (typeof name === 'symbol' ? name : String(name))

function refresh(target, name) {
  const key = keyOf(target, name)
  const list = target[kRegistry].listeners(key)
  if (list.length === 0) {
    target[kSnapshot].delete(snapKey(name))
    releaseKey(target, name)
  } else {
    target[kSnapshot].set(snapKey(name), list)
  }
}

/**
 * The stored functions of `name` as `emit` would call them (the snapshot;
 * never mutated, so safe to iterate while listeners change), or undefined.
 */
function snapshotOf(target, name) {
  return target[kSnapshot].get(snapKey(name))
}

function onceWrapper(...args) {
  if (!this.fired) {
    this.target.removeListener(this.type, this.wrapFn)
    this.fired = true
    return this.listener.apply(this.target, args)
  }
}

function onceWrap(target, type, listener) {
  const state = { fired: false, wrapFn: undefined, target, type, listener }
  const wrapped = onceWrapper.bind(state)
  wrapped.listener = listener
  state.wrapFn = wrapped
  return wrapped
}

function maxListenersOf(target) {
  return target._maxListeners === undefined ? EventEmitter.defaultMaxListeners : target._maxListeners
}

function addListener(target, type, listener, prepend, once) {
  checkListener(listener)
  if (target[kSnapshot].has('newListener')) {
    target.emit('newListener', type, listener.listener ?? listener)
  }
  const fn = once ? onceWrap(target, type, listener) : listener
  const key = keyOf(target, type)
  const count = target[kRegistry].add(key, fn, once, prepend)
  refresh(target, type)
  const m = maxListenersOf(target)
  if (m > 0 && count > m && target[kRegistry].markWarned(key)) {
    const w = new Error(
      `Possible EventEmitter memory leak detected. ${count} ${String(type)} listeners ` +
        `added to ${inspect(target, { depth: -1 })}. MaxListeners is ${m}. ` +
        'Use emitter.setMaxListeners() to increase limit',
    )
    w.name = 'MaxListenersExceededWarning'
    w.emitter = target
    w.type = type
    w.count = count
    process.emitWarning(w)
  }
  return target
}

function addCatch(that, promise, type, args) {
  if (!that[kCapture]) return
  try {
    const then = promise.then
    if (typeof then === 'function') {
      then.call(promise, undefined, (err) => {
        process.nextTick(emitUnhandledRejectionOrErr, that, err, type, args)
      })
    }
  } catch (err) {
    that.emit('error', err)
  }
}

function emitUnhandledRejectionOrErr(ee, err, type, args) {
  if (typeof ee[kRejection] === 'function') {
    ee[kRejection](err, type, ...args)
  } else {
    const prev = ee[kCapture]
    try {
      ee[kCapture] = false
      ee.emit('error', err)
    } finally {
      ee[kCapture] = prev
    }
  }
}

/**
 * EventEmitter over the Rust registry.
 */
class RegistryEmitter extends EventEmitter {
  constructor(options) {
    super(options)
    // Internal, so not enumerable: own enumerable properties are
    // EventEmitter's, as on a plain emitter.
    Object.defineProperty(this, kRegistry, { value: new NativeRegistry(), writable: true, configurable: true })
    Object.defineProperty(this, kSnapshot, { value: new Map(), writable: true, configurable: true })
    Object.defineProperty(this, kSymbols, { value: symbolTable(), writable: true, configurable: true })
  }

  /**
   * Calls every listener of `type` synchronously, in order.
   * @param {string | symbol} type
   * @param {...any} args
   * @returns {boolean} whether it had listeners
   */
  emit(type, ...args) {
    const snap = this[kSnapshot]
    const handler = snap.get(typeof type === 'symbol' ? type : String(type))
    if (handler === undefined) {
      if (type === 'error') {
        if (snap.has(errorMonitor)) this.emit(errorMonitor, ...args)
        // Node's own text and code for an unhandled 'error'.
        EventEmitter.prototype.emit.call(new EventEmitter(), 'error', ...args)
      }
      return false
    }
    if (type === 'error' && snap.has(errorMonitor)) this.emit(errorMonitor, ...args)
    if (handler.length === 1) {
      const result = handler[0].apply(this, args)
      if (result !== undefined && result !== null) addCatch(this, result, type, args)
    } else {
      // The snapshot is replaced (never mutated) on change, so removal
      // during emit does not affect this call, as Node's arrayClone.
      for (let i = 0; i < handler.length; ++i) {
        const result = handler[i].apply(this, args)
        if (result !== undefined && result !== null) addCatch(this, result, type, args)
      }
    }
    return true
  }

  /** Adds a listener at the end. @returns {this} */
  addListener(type, listener) {
    return addListener(this, type, listener, false, false)
  }

  /** Adds a listener at the front. @returns {this} */
  prependListener(type, listener) {
    return addListener(this, type, listener, true, false)
  }

  /** Adds a one-time listener at the end. @returns {this} */
  once(type, listener) {
    return addListener(this, type, listener, false, true)
  }

  /** Adds a one-time listener at the front. @returns {this} */
  prependOnceListener(type, listener) {
    return addListener(this, type, listener, true, true)
  }

  /**
   * Removes the most recently added registration of `listener` for `type`.
   * @returns {this}
   */
  removeListener(type, listener) {
    checkListener(listener)
    const list = this[kSnapshot].get(snapKey(type))
    if (list === undefined) return this
    let position = -1
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) {
        position = i
        break
      }
    }
    if (position < 0) return this
    const removed = list[position]
    this[kRegistry].removeAt(keyOf(this, type), position)
    refresh(this, type)
    if (this[kSnapshot].has('removeListener')) {
      this.emit('removeListener', type, list.length === 1 ? removed.listener || listener : listener)
    }
    return this
  }

  /**
   * Removes every listener of `type`, or of every name when called with no
   * argument (including the 'error' guard, as Electron).
   * @returns {this}
   */
  removeAllListeners(...args) {
    const snap = this[kSnapshot]
    if (!snap.has('removeListener')) {
      if (args.length === 0) {
        this[kRegistry].clearAll()
        snap.clear()
        clearSymbols(this)
      } else {
        const key = keyOf(this, args[0], true)
        if (key !== undefined) this[kRegistry].clear(key)
        snap.delete(snapKey(args[0]))
        releaseKey(this, args[0])
      }
      return this
    }
    if (args.length === 0) {
      for (const name of this.eventNames()) {
        if (name === 'removeListener') continue
        this.removeAllListeners(name)
      }
      this.removeAllListeners('removeListener')
      this[kRegistry].clearAll()
      snap.clear()
      clearSymbols(this)
      return this
    }
    const list = snap.get(snapKey(args[0]))
    if (list !== undefined) {
      for (let i = list.length - 1; i >= 0; i--) this.removeListener(args[0], list[i])
    }
    return this
  }

  /** The listeners of `type`, once-wrappers unwrapped. @returns {Function[]} */
  listeners(type) {
    const list = this[kSnapshot].get(snapKey(type))
    if (list === undefined) return []
    return list.map((l) => (typeof l.listener === 'function' ? l.listener : l))
  }

  /** The stored functions of `type`, once-wrappers included. @returns {Function[]} */
  rawListeners(type) {
    const list = this[kSnapshot].get(snapKey(type))
    return list === undefined ? [] : list.slice()
  }

  /**
   * How many listeners `type` has (of `listener` only, if given).
   * @returns {number}
   */
  listenerCount(type, listener) {
    const list = this[kSnapshot].get(snapKey(type))
    if (list === undefined) return 0
    if (listener == null) return list.length
    let n = 0
    for (const l of list) if (l === listener || l.listener === listener) n++
    return n
  }

  /**
   * Event names with listeners, ordered as Node's `Reflect.ownKeys(_events)`:
   * array-index names ascending, other strings, then symbols, each in
   * first-registration order.
   * @returns {(string | symbol)[]}
   */
  eventNames() {
    const indices = []
    const strings = []
    const symbols = []
    for (const key of this[kRegistry].keys()) {
      if (typeof key === 'number') symbols.push(this[kSymbols].byId[key])
      else if (isArrayIndex(key)) indices.push(key)
      else strings.push(key)
    }
    indices.sort((a, b) => a - b)
    return indices.concat(strings, symbols)
  }
}

// Aliases are the same functions, as Node's (`on === addListener`).
RegistryEmitter.prototype.on = RegistryEmitter.prototype.addListener
RegistryEmitter.prototype.off = RegistryEmitter.prototype.removeListener

function isArrayIndex(s) {
  if (s.length === 0 || s.length > 10) return false
  const n = Number(s)
  return Number.isInteger(n) && n >= 0 && n < 4294967295 && String(n) === s
}

module.exports = { RegistryEmitter, kRegistry, snapshotOf }
