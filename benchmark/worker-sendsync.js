'use strict'
// Round trip of a synchronous worker -> main call (Electron's sendSync).
//
// ours: a worker started with `hub.spawnWorker(__filename)` calls
//       `ipcRenderer.sendSync('sync', msg)`; main's listener answers with
//       `event.returnValue = m` (echo).
// base: the synckit / esbuild pattern (peers.md A2 "port"): the plain
//       Worker posts `{ channel, args }` on parentPort and blocks in
//       `Atomics.wait`; main emits it to an EventEmitter listener that sets
//       `event.returnValue`, posts that on a dedicated MessagePort and
//       `Atomics.notify`s; the worker reads it with `receiveMessageOnPort`.
// Both: sequential calls timed in the worker; median and p99 µs.
// Goal: ours <= 0.7x.

const path = require('node:path')
const { EventEmitter } = require('node:events')
const { isMainThread, parentPort, MessageChannel, receiveMessageOnPort } = require('node:worker_threads')
const util = require('./util')

const ROOT = path.join(__dirname, '..')
const msg = { id: 7, name: 'ping', list: [1, 2, 3] }

async function mainThread() {
  const { IpcMain } = require(ROOT)
  const hub = new IpcMain()
  const listener = (e, m) => {
    e.returnValue = m
  }
  hub.on('sync', listener)

  const w = await util.startWorkers(hub, __filename)

  // The baseline's main side.
  const ee = new EventEmitter()
  ee.on('sync', listener)
  const sender = { id: 2 }
  const senderFrame = { processId: process.pid, routingId: 2 }
  let replyPort = null
  let flag = null
  w.baseWorker.on('message', (m) => {
    if (m.setup) {
      replyPort = m.port
      flag = new Int32Array(m.sab)
      return
    }
    const event = { type: 'frame', sender, senderFrame, frameId: 2, processId: process.pid, returnValue: undefined }
    ee.emit(m.channel, event, ...m.args)
    replyPort.postMessage(event.returnValue)
    Atomics.store(flag, 0, 1)
    Atomics.notify(flag, 0)
  })

  const samples = await util.workerLatency(w, {
    warm: util.iters(5_000),
    rounds: 5,
    perRound: util.iters(6_000),
  })
  util.reportLatency('worker sendSync', samples)
  await w.stop()
}

function workerThread() {
  let call
  if (util.role() === 'ours') {
    const { ipcRenderer } = require(ROOT)
    call = () => ipcRenderer.sendSync('sync', msg)
  } else {
    const sab = new SharedArrayBuffer(4)
    const flag = new Int32Array(sab)
    const { port1, port2 } = new MessageChannel()
    // Sent with the first call, once main listens on this worker.
    let setup = false
    const sendSync = (channel, ...args) => {
      if (!setup) {
        parentPort.postMessage({ setup: true, port: port1, sab }, [port1])
        setup = true
      }
      Atomics.store(flag, 0, 0)
      parentPort.postMessage({ channel, args })
      Atomics.wait(flag, 0, 0)
      const r = receiveMessageOnPort(port2)
      if (r === undefined) throw new Error('no reply after wake')
      return r.message
    }
    call = () => sendSync('sync', msg)
  }
  util.serveControl({
    rtt({ n, warm }) {
      const first = call()
      if (first.id !== 7 || first.list[2] !== 3) throw new Error('wrong answer')
      for (let i = 0; i < warm; i++) call()
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint()
        call()
        out[i] = Number(process.hrtime.bigint() - t0)
      }
      return out
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
