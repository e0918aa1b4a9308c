'use strict'
// Round trip of `invoke` from a worker_threads renderer to main's handler.
//
// ours: a worker started with `hub.spawnWorker(__filename)` awaits
//       `ipcRenderer.invoke('ping', msg)`; main's `hub.handle('ping',
//       (e, m) => m)` echoes the message.
// base: the hand-rolled equivalent on a plain Worker: `parentPort.postMessage
//       ({ id, channel, args })` with the promise kept in a Map by id; main
//       looks the handler up, awaits it, posts `{ id, ok, result }` back.
// Both: sequential calls, one at a time, timed in the worker with
// process.hrtime.bigint(); median and p99 µs. Goal: ours <= 0.7x.
//
// Modes (argv[2]): ipc (default) as above; anchor: both sides are the
// baseline, in two plain Workers: the noise floor of this measurement.

const path = require('node:path')
const { isMainThread, parentPort } = require('node:worker_threads')
const util = require('./util')

const ROOT = path.join(__dirname, '..')
const msg = { id: 7, name: 'ping', list: [1, 2, 3] }

async function mainThread() {
  const anchor = process.argv[2] === 'anchor'
  const { IpcMain } = require(ROOT)
  const hub = new IpcMain()
  const echo = (e, m) => m
  hub.handle('ping', echo)

  const w = await util.startWorkers(hub, __filename, { anchor })

  // The baseline's main side: id + handler table, replies by id.
  const handlers = new Map([['ping', echo]])
  const sender = { id: 2 }
  const senderFrame = { processId: process.pid, routingId: 2 }
  for (const worker of w.plainWorkers) {
    worker.on('message', async ({ id, channel, args }) => {
      const event = { type: 'frame', sender, senderFrame, frameId: 2, processId: process.pid }
      try {
        const result = await handlers.get(channel)(event, ...args)
        worker.postMessage({ id, ok: true, result })
      } catch (err) {
        worker.postMessage({ id, ok: false, result: String(err) })
      }
    })
  }

  const samples = await util.workerLatency(w, {
    warm: util.iters(5_000),
    rounds: 5,
    perRound: util.iters(6_000),
  })
  util.reportLatency(anchor ? 'anchor: worker invoke over parentPort' : 'worker invoke', samples)
  await w.stop()
}

function workerThread() {
  let call
  if (util.role() === 'ours') {
    const { ipcRenderer } = require(ROOT)
    call = () => ipcRenderer.invoke('ping', msg)
  } else {
    let next = 1
    const pending = new Map()
    parentPort.on('message', ({ id, ok, result }) => {
      const p = pending.get(id)
      pending.delete(id)
      if (ok) p.resolve(result)
      else p.reject(new Error(result))
    })
    call = (...args) =>
      new Promise((resolve, reject) => {
        const id = next++
        pending.set(id, { resolve, reject })
        parentPort.postMessage({ id, channel: 'ping', args })
      })
    const plain = call
    call = () => plain(msg)
  }
  util.serveControl({
    async rtt({ n, warm }) {
      const first = await call()
      if (first.id !== 7 || first.list[2] !== 3) throw new Error('wrong answer')
      await util.warmup(call, warm)
      return Float64Array.from(await util.sampleLatency(call, n, []))
    },
  })
}

if (isMainThread) {
  mainThread().catch((err) => {
    console.error(err)
    process.exit(1)
  })
} else {
  workerThread()
}
