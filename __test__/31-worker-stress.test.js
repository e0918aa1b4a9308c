'use strict'

// Worker renderers under stress (API.md §2 "spawnWorker", §4 "Ordering", §5
// 'destroyed', §6 lifetimes): many workers in a tight loop of send / sendSync
// / invoke, ended at random moments by worker.terminate() or the hub's teardown.
// Delays come from a fixed-seed generator so a failure can be reproduced.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')

const { IpcMain, webContents } = require('..')
// The whole hub going away: internal (ipcMain.close() leaves workers connected).
const { shutdown } = require('../lib/ipc-main')

const STRESS = path.join(__dirname, 'fixtures', 'worker-stress.js')

/** mulberry32: a small deterministic PRNG in [0, 1). */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Main's side of the stress protocol on `hub`: answers sendSync and invoke
 * (some answers after an await), and checks that the numbers each worker
 * sends, whatever the kind, arrive in strictly ascending order.
 */
function serve(hub) {
  const last = new Map()
  const disorder = []
  const counts = { send: 0, sync: 0, invoke: 0, done: 0 }
  const seen = (event, n) => {
    const before = last.get(event.sender) ?? -1
    if (n <= before) disorder.push(`WebContents #${event.sender.id}: ${n} after ${before}`)
    last.set(event.sender, n)
  }
  hub.on('stress-send', (event, n) => {
    counts.send++
    seen(event, n)
  })
  hub.on('stress-sync', async (event, n) => {
    counts.sync++
    seen(event, n)
    if (n % 3 === 0) await new Promise(setImmediate)
    event.returnValue = n
  })
  hub.handle('stress-invoke', async (event, n) => {
    counts.invoke++
    seen(event, n)
    if (n % 2 === 0) await new Promise(setImmediate)
    return n
  })
  hub.on('stress-done', () => counts.done++)
  return { disorder, counts }
}

/** Everything observed about one worker until it is gone. */
async function track(wc) {
  const record = { wc, destroyed: 0, errors: [], reports: [], exitCode: null }
  wc.on('destroyed', () => record.destroyed++)
  wc.worker.on('error', (err) => record.errors.push(err))
  wc.worker.on('message', (m) => record.reports.push(m))
  const exited = new Promise((resolve) => wc.worker.once('exit', resolve))
  const destroyed = wc.isDestroyed() ? null : new Promise((resolve) => wc.once('destroyed', resolve))
  record.gone = Promise.all([exited, destroyed]).then(([code]) => {
    record.exitCode = code
  })
  return record
}

/** Lets everything the hub has queued run: an in-process round trip, then a turn of the loop. */
async function settle(hub) {
  const r = hub.createRenderer()
  hub.handleOnce('__barrier__', () => null)
  await r.invoke('__barrier__')
  await new Promise(setImmediate)
  r.close()
}

describe('worker stress', { timeout: 120_000 }, () => {
  it('20 busy workers, each terminated after a random 0-30 ms: destroyed once each, main healthy', async (t) => {
    const hub = new IpcMain()
    const records = []
    t.after(async () => {
      await Promise.all(records.map((r) => r.wc.worker.terminate()))
      await hub.close()
    })
    const { disorder, counts } = serve(hub)
    const rand = random(31)
    const N = 20
    const AT_A_TIME = 4
    let next = 0
    async function lane() {
      while (next < N) {
        next++
        const wc = await hub.spawnWorker(STRESS, { workerData: { rounds: 1000 } })
        const record = await track(wc)
        records.push(record)
        await delay(Math.floor(rand() * 31))
        await wc.worker.terminate()
        await record.gone
      }
    }
    await Promise.all(Array.from({ length: AT_A_TIME }, lane))
    await settle(hub)

    assert.equal(records.length, N)
    const live = webContents.getAllWebContents()
    for (const r of records) {
      assert.equal(r.destroyed, 1, `WebContents #${r.wc.id} emitted 'destroyed' ${r.destroyed} times`)
      assert.equal(r.wc.isDestroyed(), true)
      assert.equal(r.wc.isCrashed(), false, 'terminate() is not a crash')
      assert.ok(!live.includes(r.wc), `WebContents #${r.wc.id} is still listed`)
      assert.equal(webContents.fromId(r.wc.id), undefined)
      assert.deepEqual(r.errors, [], 'no worker failed')
      assert.throws(() => r.wc.send('late'), { message: 'Object has been destroyed' })
    }
    assert.deepEqual(disorder, [])
    assert.ok(counts.send > 0 && counts.sync > 0 && counts.invoke > 0, `traffic: ${JSON.stringify(counts)}`)
    assert.equal(hub.stats().renderers, 0)

    // Still healthy: an in-process renderer and a new worker both work.
    const r = hub.createRenderer()
    hub.handle('final', (event, a) => a * 2)
    assert.equal(await r.invoke('final', 21), 42)
    const wc = await hub.spawnWorker(STRESS, { workerData: { rounds: 3 } })
    const record = await track(wc)
    records.push(record)
    await record.gone
    assert.equal(record.exitCode, 0)
    assert.equal(counts.done, 1 + records.slice(0, N).filter((x) => x.exitCode === 0).length)
    assert.deepEqual(disorder, [])
  })

  it('the hub torn down (shutdown) at a random moment under load: every busy worker is woken, ends by itself, destroyed once', async (t) => {
    const rand = random(7)
    for (let round = 0; round < 3; round++) {
      const hub = new IpcMain()
      const records = []
      t.after(async () => {
        await Promise.all(records.map((r) => r.wc.worker.terminate()))
        await hub.close()
      })
      const { disorder } = serve(hub)
      const wcs = await Promise.all(
        Array.from({ length: 4 }, () => hub.spawnWorker(STRESS, { workerData: { rounds: 100_000 } })),
      )
      for (const wc of wcs) records.push(await track(wc))
      await delay(Math.floor(rand() * 31))
      shutdown(hub)
      await Promise.all(records.map((r) => r.gone))
      for (const r of records) {
        assert.equal(r.exitCode, 0, `round ${round}: the worker ended by itself`)
        assert.deepEqual(r.errors, [])
        assert.equal(r.reports.length, 1)
        assert.equal(r.reports[0].disconnected, true)
        assert.equal(r.destroyed, 1)
        assert.equal(r.wc.isDestroyed(), true)
        assert.equal(r.wc.isCrashed(), false)
        assert.ok(!webContents.getAllWebContents().includes(r.wc))
      }
      assert.deepEqual(disorder, [])
    }
  })
})
