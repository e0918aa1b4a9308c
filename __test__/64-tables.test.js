'use strict'

// No process-wide table grows for ever: what a table names is released
// once it is gone. Symbols used as event names (lib/emitter.js numbers them
// for the Rust registry) are not kept once no listener uses them, nor with
// an emitter that is dropped; finished socket handshakes that no JS thread
// will open (a worker terminated in the middle of connect()) do not keep
// their connection, its descriptor, or a renderer in main.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const v8 = require('node:v8')
const vm = require('node:vm')
const { Worker } = require('node:worker_threads')
const { setTimeout: sleep } = require('node:timers/promises')

const { IpcMain } = require('..')

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')

/** Collects until every ref in `refs` is cleared, or gives up after a few rounds. */
async function collected(refs) {
  for (let i = 0; i < 10 && refs.some((r) => r.deref() !== undefined); i++) {
    await new Promise((resolve) => setImmediate(resolve))
    gc()
  }
  return refs.filter((r) => r.deref() !== undefined).length
}

describe('symbol event names', () => {
  it('are not kept once their listeners are removed, however they are removed', async () => {
    const hub = new IpcMain()
    const refs = []
    const f = () => {}
    // In a function of its own, so that no symbol stays in this frame.
    ;(() => {
      for (let i = 0; i < 50; i++) {
        const a = Symbol(`off-${i}`)
        const b = Symbol(`once-${i}`)
        const c = Symbol(`all-${i}`)
        refs.push(new WeakRef(a), new WeakRef(b), new WeakRef(c))
        hub.on(a, f).off(a, f)
        hub.once(b, f).emit(b)
        hub.on(c, f).on(c, f).removeAllListeners(c)
      }
    })()
    assert.equal(await collected(refs), 0)
    // Numbers are reused: names and order still come out right.
    const kept = [Symbol('x'), Symbol('y')]
    hub.on(kept[0], f).on(kept[1], f)
    assert.deepEqual(hub.eventNames(), ['error', ...kept])
    hub.close()
  })

  it('are not kept by an emitter that is dropped with its listeners', async () => {
    const refs = []
    ;(() => {
      for (let i = 0; i < 20; i++) {
        const hub = new IpcMain()
        const s = Symbol(`dropped-${i}`)
        refs.push(new WeakRef(s))
        hub.on(s, () => {})
      }
    })()
    assert.equal(await collected(refs), 0)
  })
})

describe('socket handshakes', { timeout: 60_000 }, () => {
  it('of workers terminated in the middle of connect() keep no descriptor and no renderer', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const { address, token } = await hub.listen()
    const fds = () => fs.readdirSync('/proc/self/fd').length
    const baseline = fds()
    const fixture = path.join(__dirname, 'fixtures', 'connect-terminated.js')
    for (let i = 0; i < 40; i++) {
      const worker = new Worker(fixture, { workerData: { address, token } })
      await new Promise((resolve) => worker.once('message', resolve))
      // Terminated at varying points of the handshake.
      for (let j = 0; j < i % 5; j++) await new Promise((resolve) => setImmediate(resolve))
      await worker.terminate()
    }
    // Closing is asynchronous on main's side: look again until the
    // descriptors and renderers are gone (bounded by the suite's timeout).
    while (fds() > baseline || hub.stats().renderers > 0) await sleep(20)
  })
})
