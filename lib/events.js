'use strict'
// The event objects listeners and handlers receive (API.md §3).

const { encodeValue } = require('./codec')

const kSync = Symbol('ipc-main.sync')
const kFrameOf = Symbol('ipc-main.frame')

function defineReply(event, fn) {
  Object.defineProperty(event, 'reply', { value: fn, writable: true, enumerable: true, configurable: true })
}

/** What both main-side events carry: where the message came from. */
class FrameEvent {
  constructor(sender) {
    const frame = sender[kFrameOf]
    this.type = 'frame'
    this.sender = sender
    this.senderFrame = frame
    this.frameId = frame.routingId
    this.processId = frame.processId
  }

  /** Electron's Event base; no effect on IPC delivery. */
  preventDefault() {
    this.defaultPrevented = true
  }
}
FrameEvent.prototype.defaultPrevented = false

/** Passed to `on`/`once` listeners for `send` and `sendSync`. */
class IpcMainEvent extends FrameEvent {
  constructor(sender) {
    super(sender)
    this.ports = []
  }

  /** Sends a message back to the sending renderer; a no-op once it is gone. */
  get reply() {
    const sender = this.sender
    const fn = function reply(channel, ...args) {
      if (sender.isDestroyed()) return
      sender.send(channel, ...args)
    }
    defineReply(this, fn)
    return fn
  }

  set reply(fn) {
    defineReply(this, fn)
  }
}

/**
 * The event of a `sendSync`: assigning `returnValue` answers it. The first
 * assignment wins; reading gives `undefined` (as Electron). A value that
 * cannot be cloned, or is too large for the renderer, throws in the
 * listener and does not use up the answer.
 */
class IpcMainSyncEvent extends IpcMainEvent {
  constructor(sender, answer) {
    super(sender)
    // answer(enc) delivers the encoded value; state.done once answered.
    Object.defineProperty(this, kSync, { value: { done: false, answer } })
  }

  get returnValue() {
    return undefined
  }

  set returnValue(value) {
    const state = this[kSync]
    if (state.done) return
    const enc = encodeValue(value)
    state.answer(enc)
    state.done = true
  }
}

/** Answers a sync event with `undefined` unless it was answered. */
function finishSync(event) {
  const state = event[kSync]
  if (!state.done) {
    state.done = true
    state.answer(encodeValue(undefined))
  }
}

/** Whether a sync event was answered. */
const syncAnswered = (event) => event[kSync].done

const kCall = Symbol('ipc-main.call')

/**
 * Main's side of one invoke being handled: what `event.signal` aborts on
 * (the renderer timed out, aborted or went away). The AbortController is
 * made only when a handler reads `event.signal`: most never do.
 */
class HandledCall {
  constructor(channel) {
    this.channel = channel
    this.controller = null
    this.aborted = false
    this.reason = undefined
  }

  get signal() {
    if (this.controller === null) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort(this.reason)
    }
    return this.controller.signal
  }

  /** Aborts the signal (once), now or when it is first read. */
  abort(reason) {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    if (this.controller !== null) this.controller.abort(reason)
  }
}

/** Passed to `handle` handlers: no `reply`, no `returnValue`, no `ports`. */
class IpcMainInvokeEvent extends FrameEvent {
  /**
   * @param {object} sender the WebContents
   * @param {HandledCall} call
   */
  constructor(sender, call) {
    super(sender)
    Object.defineProperty(this, kCall, { value: call })
  }

  /**
   * Aborts when the calling renderer gives up the invoke (its
   * invokeWithOptions timed out or its signal aborted) or goes away, so a
   * long handler can stop its work (ipc-main extension).
   * @type {AbortSignal}
   */
  get signal() {
    return this[kCall].signal
  }
}

/** Passed to renderer listeners: `{ sender, senderId, ports }`. */
function rendererEvent(renderer, ports = []) {
  return { sender: renderer, senderId: 0, ports }
}

module.exports = {
  IpcMainEvent,
  IpcMainSyncEvent,
  IpcMainInvokeEvent,
  HandledCall,
  rendererEvent,
  finishSync,
  syncAnswered,
  kFrameOf,
}
