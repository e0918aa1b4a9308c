'use strict'

// The shape of an IpcMain object, as Electron's IpcMainImpl has it: handle
// and handleOnce are own, enumerable properties bound to the hub (class-field
// arrow functions), removeHandler is on the prototype, and nothing internal
// is enumerable beyond EventEmitter's own fields. Libraries depend on it:
// electron-typescript-ipc builds `{ ...ipcMain, send }` and calls `handle`
// on the copy.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const { EventEmitter } = require('node:events')

const { IpcMain } = require('..')
const { SUITE, setup, webContentsOf } = require('./helpers')

/**
 * Electron's lib/browser/ipc-main-impl.ts, transcribed (its TypeScript
 * `private _invokeHandlers` compiles to a plain own property).
 */
class ElectronIpcMainImpl extends EventEmitter {
  _invokeHandlers = new Map()
  constructor() {
    super()
    this.on('error', () => {})
  }

  handle = (method, fn) => {
    if (this._invokeHandlers.has(method)) throw new Error(`Attempted to register a second handler for '${method}'`)
    if (typeof fn !== 'function') throw new TypeError(`Expected handler to be a function, but found type '${typeof fn}'`)
    this._invokeHandlers.set(method, fn)
  }

  handleOnce = (method, fn) => {
    this.handle(method, (e, ...args) => {
      this.removeHandler(method)
      return fn(e, ...args)
    })
  }

  removeHandler(method) {
    this._invokeHandlers.delete(method)
  }
}

/** Own enumerable symbol keys (what `{ ...x }` copies besides string keys). */
const enumerableSymbols = (o) => Object.getOwnPropertySymbols(o).filter((s) => Object.getOwnPropertyDescriptor(o, s).enumerable)

/** Own enumerable property descriptors, functions shown by name. */
function shapeOf(o) {
  const out = {}
  for (const key of Object.keys(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key)
    out[key] = {
      kind: typeof d.value,
      name: typeof d.value === 'function' ? d.value.name : undefined,
      writable: d.writable,
      enumerable: d.enumerable,
      configurable: d.configurable,
    }
  }
  return out
}

describe('IpcMain own properties (Electron IpcMainImpl shape)', SUITE, () => {
  const subjects = {
    'new IpcMain()': (t) => {
      const hub = new IpcMain()
      t.after(() => hub.close())
      return hub
    },
    'a WebContents.ipc': async (t) => {
      const { hub, r } = setup(t)
      return (await webContentsOf(hub, r)).ipc
    },
  }

  for (const [title, make] of Object.entries(subjects)) {
    it(`${title}: Object.keys() is EventEmitter's fields, then handle and handleOnce`, async (t) => {
      const subject = await make(t)
      assert.deepEqual(Object.keys(subject), ['_events', '_eventsCount', '_maxListeners', 'handle', 'handleOnce'])
      // Electron's, less its handler map (ours lives in the Rust registry).
      const electron = Object.keys(new ElectronIpcMainImpl()).filter((k) => k !== '_invokeHandlers')
      assert.deepEqual(Object.keys(subject), electron)
    })

    it(`${title}: handle and handleOnce have the descriptors of Electron's class fields`, async (t) => {
      const subject = await make(t)
      const ours = shapeOf(subject)
      const theirs = shapeOf(new ElectronIpcMainImpl())
      assert.deepEqual(ours.handle, theirs.handle)
      assert.deepEqual(ours.handleOnce, theirs.handleOnce)
      assert.deepEqual(ours.handle, { kind: 'function', name: 'handle', writable: true, enumerable: true, configurable: true })
      assert.equal(Object.hasOwn(subject, 'removeHandler'), false)
      assert.equal(typeof Object.getPrototypeOf(subject).removeHandler, 'function')
    })

    it(`${title}: no internal state is enumerable (own enumerable symbols are EventEmitter's)`, async (t) => {
      const subject = await make(t)
      const plain = enumerableSymbols(new EventEmitter()).map(String)
      assert.deepEqual(enumerableSymbols(subject).map(String), plain)
      assert.deepEqual(Reflect.ownKeys({ ...subject }).map(String), [...Object.keys(subject), ...plain])
    })
  }

  it('{ ...ipcMain, send }.handle() registers on the hub; handleOnce through a copy too', async (t) => {
    const { hub, r } = setup(t)
    const copy = { ...hub, send: () => {} }
    copy.handle('spread', (event, n) => n * 2)
    copy.handleOnce('spread-once', () => 'once')
    assert.equal(await r.invoke('spread', 21), 42)
    assert.equal(await r.invoke('spread-once'), 'once')
    await assert.rejects(r.invoke('spread-once'), { message: /No handler registered for 'spread-once'/ })
    assert.throws(() => copy.handle('spread', () => {}), { message: "Attempted to register a second handler for 'spread'" })
    hub.removeHandler('spread')
    await assert.rejects(r.invoke('spread'), { message: /No handler registered for 'spread'/ })
  })

  it('a detached handle is bound to its hub; a WebContents.ipc copy registers on that scope', async (t) => {
    const { hub, r } = setup(t)
    const { handle } = hub
    handle('detached', () => 'bound')
    assert.equal(await r.invoke('detached'), 'bound')
    const wc = await webContentsOf(hub, r)
    const scope = { ...wc.ipc }
    scope.handle('scoped', () => 'scope')
    assert.equal(await r.invoke('scoped'), 'scope')
    assert.equal(wc.ipc.listenerCount('scoped'), 0)
    hub.handle('scoped', () => 'hub')
    // wc.ipc's handler wins over the hub's: the copy registered on wc.ipc.
    assert.equal(await r.invoke('scoped'), 'scope')
  })

  it('each hub has its own bound handle', (t) => {
    const a = new IpcMain()
    const b = new IpcMain()
    t.after(() => Promise.all([a.close(), b.close()]))
    assert.notEqual(a.handle, b.handle)
    assert.equal(Object.create(a).handle, a.handle)
  })
})
