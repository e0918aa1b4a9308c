'use strict'
// The hubs of this JS thread, for what must happen to them without being
// asked: closed at process exit (env cleanup hooks do not run on
// `process.exit()`, and a worker blocked in sendSync on a hub that is never
// closed cannot be stopped, so the exit would wait for it for ever), and
// known by id (a renderer's sendSync to a hub of its own thread could never
// be answered). Held weakly: a hub dropped without close() is not kept.

/** How long exit waits for queued frames to reach a slow socket peer. */
const EXIT_FLUSH_MS = 2000

/** `{ native, out }` by id, both weakly: a NativeHub and its JS batch of frames for renderers. */
const hubs = new Map()
const forget = new FinalizationRegistry((id) => {
  if (hubs.get(id)?.native.deref() === undefined) hubs.delete(id)
})
let hooked = false

function closeAll() {
  for (const entry of hubs.values()) {
    const native = entry.native.deref()
    if (native === undefined) continue
    // What is queued for socket renderers goes first, as at any exit:
    // what main sent in this last stretch is still in its JS batch.
    entry.out?.deref()?.flush()
    native.flushBlocking(EXIT_FLUSH_MS)
    native.close()
  }
  hubs.clear()
}

/**
 * A NativeHub of this thread was made.
 * @param {object} native
 * @param {{ flush(): void }} [out] its JS batch (lib/batch.js MainBatch)
 */
function track(native, out) {
  hubs.set(native.id, { native: new WeakRef(native), out: out === undefined ? null : new WeakRef(out) })
  forget.register(native, native.id, native)
  if (!hooked) {
    hooked = true
    process.once('exit', closeAll)
  }
}

/** A tracked NativeHub was closed. */
function untrack(native) {
  hubs.delete(native.id)
  forget.unregister(native)
}

/** Whether hub `id` lives on this thread. */
function isOwnHub(id) {
  return hubs.get(id)?.native.deref() !== undefined
}

module.exports = { track, untrack, isOwnHub, EXIT_FLUSH_MS }
