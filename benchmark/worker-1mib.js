'use strict'
// Throughput of 1 MiB Buffers, worker -> main (copied, not transferred).
//
// ours: a worker started with `hub.spawnWorker(__filename)` calls
//       `ipcRenderer.send('blob', buf)` M times; main's listener receives
//       each as a Buffer/Uint8Array of 1 MiB.
// base: a plain Worker calls `parentPort.postMessage(buf)` M times
//       (structured-clone copy, no transfer list); main's
//       `worker.on('message')` receives each.
// Each round is timed on the main thread, from the "go" command to the M-th
// delivery. GB/s (1e9 bytes), median of 5 rounds. Goal: ours >= 1x.

const path = require('node:path')
const crypto = require('node:crypto')
const { isMainThread, parentPort } = require('node:worker_threads')
const util = require('./util')

const ROOT = path.join(__dirname, '..')
const SIZE = 1024 * 1024
const M = util.iters(1_000)
const ROUNDS = 9

async function mainThread() {
  const { IpcMain } = require(ROOT)
  const hub = new IpcMain()
  let n = 0
  let done = null
  let last = null
  hub.on('blob', (e, buf) => {
    if (++n === M) {
      last = buf
      done()
    }
  })
  const w = await util.startWorkers(hub, __filename)
  w.baseWorker.on('message', (buf) => {
    if (++n === M) {
      last = buf
      done()
    }
  })

  const round = (ask) => async () => {
    n = 0
    last = null
    const delivered = new Promise((resolve) => {
      done = resolve
    })
    const t0 = util.now()
    await Promise.all([ask({ cmd: 'burst', n: M }), delivered])
    const t = util.now() - t0
    if (!(last instanceof Uint8Array) || last.byteLength !== SIZE || last[SIZE - 1] !== 0xab) {
      throw new Error('wrong payload')
    }
    last = null
    return (M * SIZE) / t // bytes per ns = GB/s
  }
  const res = await util.compareRounds({ ours: round(w.ours), base: round(w.base), warm: 1, rounds: ROUNDS })
  util.report({
    scenario: 'worker 1 MiB send',
    kind: 'rate',
    unit: 'GB/s',
    ours: util.median(res.ours),
    base: util.median(res.base),
    note: `${M} x 1 MiB per round, median of ${ROUNDS} rounds`,
  })
  await w.stop()
}

function workerThread() {
  const buf = crypto.randomBytes(SIZE)
  buf[SIZE - 1] = 0xab
  let send
  if (util.role() === 'ours') {
    const { ipcRenderer } = require(ROOT)
    send = () => ipcRenderer.send('blob', buf)
  } else {
    send = () => parentPort.postMessage(buf)
  }
  util.serveControl({
    burst({ n }) {
      for (let i = 0; i < n; i++) send()
      return true
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
