'use strict'

// Ordering (API.md §4 "Ordering"; research §11; Electron spec §12.1 cases 10
// and 11). The random mixes use a fixed-seed generator so a failure can be
// reproduced.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')

const { SUITE, setup, webContentsOf, next } = require('./helpers')

/** mulberry32: a small deterministic PRNG in [0, 1). */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const range = (n) => Array.from({ length: n }, (_, i) => i)

describe('ordering of renderer messages', SUITE, () => {
  it('between send and sendSync is consistent', async (t) => {
    const { hub, r } = setup(t)
    const received = []
    hub.on('test-async', (event, i) => received.push(i))
    hub.on('test-sync', (event, i) => {
      received.push(i)
      event.returnValue = null
    })
    const done = next(hub, 'done')
    const rand = random(10)
    for (let i = 0; i < 1000; i++) {
      if (rand() < 0.5) r.send('test-async', i)
      else r.sendSync('test-sync', i)
    }
    r.send('done')
    await done
    assert.deepEqual(received, range(1000))
  })

  it('between send, sendSync, and invoke is consistent', async (t) => {
    const { hub, r } = setup(t)
    const received = []
    hub.on('test-async', (event, i) => received.push(i))
    hub.on('test-sync', (event, i) => {
      received.push(i)
      event.returnValue = null
    })
    hub.handle('test-invoke', (event, i) => {
      received.push(i)
    })
    const done = next(hub, 'done')
    const invokes = []
    const rand = random(11)
    for (let i = 0; i < 1000; i++) {
      const which = Math.floor(rand() * 3)
      if (which === 0) r.send('test-async', i)
      else if (which === 1) r.sendSync('test-sync', i)
      else invokes.push(r.invoke('test-invoke', i))
    }
    r.send('done')
    await done
    const results = await Promise.all(invokes)
    assert.ok(
      results.every((v) => v === undefined),
      'every invoke resolved with the handler result',
    )
    assert.deepEqual(received, range(1000))
  })

  it('invoke handlers are entered in arrival order even when they finish out of order', async (t) => {
    const { hub, r } = setup(t)
    const entered = []
    hub.handle('slow-first', async (event, i) => {
      entered.push(i)
      if (i % 2 === 0) await new Promise(setImmediate)
      return i
    })
    const results = await Promise.all(range(20).map((i) => r.invoke('slow-first', i)))
    assert.deepEqual(entered, range(20))
    assert.deepEqual(results, range(20))
  })

  it('10 000 sends in a burst all arrive, in order, across channels', async (t) => {
    const { hub, r } = setup(t)
    const received = []
    hub.on('a', (event, i) => received.push(i))
    hub.on('b', (event, i) => received.push(i))
    const done = next(hub, 'done')
    for (let i = 0; i < 10_000; i++) r.send(i % 3 === 0 ? 'b' : 'a', i)
    r.send('done')
    await done
    assert.equal(received.length, 10_000)
    assert.deepEqual(received, range(10_000))
  })
})

describe('ordering of main messages to one renderer', SUITE, () => {
  it('wc.send, event.reply and senderFrame.send arrive in the order sent', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const received = []
    r.on('down', (event, i) => received.push(i))
    r.on('down2', (event, i) => received.push(i))
    const done = next(r, 'done')
    let event
    hub.once('ping', (e) => {
      event = e
      e.returnValue = null
    })
    r.sendSync('ping')
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) wc.send('down', i)
      else if (i % 3 === 1) event.reply('down2', i)
      else event.senderFrame.send('down', i)
    }
    wc.send('done')
    await done
    assert.deepEqual(received, range(3000))
  })
})
