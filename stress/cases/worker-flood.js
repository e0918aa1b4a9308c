'use strict'

// A measurement more than a test (issue 12: "document what a worker flood
// does"): a worker sends 1 GiB as 16 384 sends of 64 KiB while main's JS
// thread is blocked for 5 s (Atomics.wait), then main drains it all. The
// worker → main queue is unbounded, as postMessage's is: main's peak RSS
// (VmHWM) shows what that costs. argv[2]: 'ipc' (ipcRenderer.send) or
// 'postMessage' (the same flood through parentPort.postMessage, for
// comparison). Fails only if a message is lost or main dies.

const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { FIXTURES, scaled, runCase, once, rss, peakRss, MB, seconds } = require('../common')

const mode = process.argv[2]
const SIZE = 64 * 1024
const COUNT = scaled(16_384, 16)
const BLOCK_MS = 5000

runCase(async () => {
  const failures = []
  const shared = new SharedArrayBuffer(8)
  const flags = new Int32Array(shared)
  const workerData = { mode, count: COUNT, size: SIZE, shared }
  let received = 0
  let bytes = 0
  let disorder = 0
  let ended
  const end = new Promise((resolve) => {
    ended = resolve
  })
  const take = (i, buf) => {
    if (i !== received) disorder++
    received++
    bytes += buf.byteLength
  }
  let hub = null
  let go
  let gone
  if (mode === 'ipc') {
    const { IpcMain } = require(path.join(__dirname, '..', '..'))
    hub = new IpcMain()
    hub.on('flood', (event, i, buf) => take(i, buf))
    hub.on('flood-end', () => ended())
    const wc = await hub.spawnWorker(path.join(FIXTURES, 'flooder.js'), { workerData })
    gone = once(wc, 'destroyed')
    go = () => wc.send('go')
  } else {
    const worker = new Worker(path.join(FIXTURES, 'flooder.js'), { workerData })
    worker.on('message', (m) => (m.end ? ended() : take(m.i, m.buf)))
    await once(worker, 'online')
    gone = once(worker, 'exit')
    go = () => worker.postMessage('go')
  }
  const before = rss()
  go()
  // Main's sends leave at the end of a synchronous stretch: let 'go' out.
  await new Promise(setImmediate)
  // Main's JS thread is blocked: nothing of it drains the queue meanwhile.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BLOCK_MS)
  const floodedInBlock = Atomics.load(flags, 0) === 1
  const floodMs = Atomics.load(flags, 1)
  const unblocked = Date.now()
  await end
  const drainMs = Date.now() - unblocked
  const peak = peakRss()
  await gone
  if (hub) await hub.close()
  const after = rss()
  if (received !== COUNT) failures.push(`received ${received} of ${COUNT}`)
  if (disorder > 0) failures.push(`${disorder} out of order`)
  const total = COUNT * SIZE
  return {
    figure:
      `${mode}: ${MB(total)} in ${COUNT} sends of 64 KiB` +
      (floodedInBlock ? `, all sent in ${seconds(floodMs)} while main was blocked` : ', NOT all sent within the 5 s block') +
      `; main RSS ${MB(before)} before, peak ${MB(peak)}, ${MB(after)} after; drained in ${seconds(drainMs)}`,
    failures,
    before,
    peak,
    after,
    floodedInBlock,
  }
})
