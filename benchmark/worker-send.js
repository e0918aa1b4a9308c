'use strict'
// Throughput of small one-way messages, worker -> main.
//
// ours: a worker started with `hub.spawnWorker(__filename)` calls
//       `ipcRenderer.send('ping', msg)` N times in a loop; main's
//       `hub.on('ping')` listener counts them.
// base: a plain Worker calls `parentPort.postMessage({ channel: 'ping',
//       args: [msg] })` N times; main's `worker.on('message')` counts them.
// Each round is timed on the main thread, from posting the "go" command to
// the N-th delivery. msg/s, median of 7 rounds. Goal: ours >= 2x.
//
// Modes (argv[2]): ipc (default) as above; anchor: both sides are the
// baseline, in two plain Workers: the noise floor of this measurement.

const path = require('node:path')
const { isMainThread, parentPort } = require('node:worker_threads')
const util = require('./util')

const ROOT = path.join(__dirname, '..')
const msg = { id: 7, name: 'ping', list: [1, 2, 3] }
const N = util.iters(300_000)
const ROUNDS = 7

async function mainThread() {
  const anchor = process.argv[2] === 'anchor'
  const { IpcMain } = require(ROOT)
  const hub = new IpcMain()
  let n = 0
  let done = null
  let last = null
  hub.on('ping', (e, m) => {
    if (++n === N) {
      last = m
      done()
    }
  })
  const w = await util.startWorkers(hub, __filename, { anchor })
  for (const worker of w.plainWorkers) {
    worker.on('message', (m) => {
      if (++n === N) {
        last = m.args[0]
        done()
      }
    })
  }

  const round = (ask) => async () => {
    n = 0
    last = null
    const delivered = new Promise((resolve) => {
      done = resolve
    })
    const t0 = util.now()
    await Promise.all([ask({ cmd: 'burst', n: N }), delivered])
    const t = util.now() - t0
    if (last.id !== 7 || last.list[2] !== 3) throw new Error('wrong message')
    return N / (t / 1e9)
  }
  const res = await util.compareRounds({ ours: round(w.ours), base: round(w.base), warm: 1, rounds: ROUNDS })
  util.report({
    scenario: anchor ? 'anchor: worker parentPort.postMessage' : 'worker send',
    kind: 'rate',
    unit: 'msg/s',
    ours: util.median(res.ours),
    base: util.median(res.base),
    note: `${N} msgs per round, median of ${ROUNDS} rounds`,
  })
  await w.stop()
}

function workerThread() {
  let send
  if (util.role() === 'ours') {
    const { ipcRenderer } = require(ROOT)
    send = () => ipcRenderer.send('ping', msg)
  } else {
    send = () => parentPort.postMessage({ channel: 'ping', args: [msg] })
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
