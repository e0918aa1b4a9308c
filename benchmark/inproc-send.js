'use strict'
// Throughput of in-process `send` -> main listener.
//
// ours: `r.send('ping', msg)` N times in a burst from an in-process renderer
//       of a fresh `IpcMain`, timed until the listener has seen the N-th.
// base: what "clone and dispatch" costs in plain Node: per message,
//       `structuredClone(msg)` and `EventEmitter#emit('ping', event, clone)`
//       with a fresh event object, synchronously in a loop.
// Reported as the cost per message (ns/msg, from each burst's rate), as
// issue 11 states the goal: ours costs at most 1.2x the baseline.

const { EventEmitter } = require('node:events')
const { IpcMain } = require('..')
const { iters, now, median, compareRounds, report } = require('./util')

const N = iters(200_000)
const ROUNDS = 7
const msg = { id: 7, name: 'ping', list: [1, 2, 3] }

async function main() {
  // ours
  const hub = new IpcMain()
  const r = hub.createRenderer()
  let n = 0
  let done = null
  hub.on('ping', (event, m) => {
    if (++n === N) done()
  })
  const ours = () =>
    new Promise((resolve) => {
      n = 0
      const t0 = now()
      done = () => resolve(N / ((now() - t0) / 1e9))
      for (let i = 0; i < N; i++) r.send('ping', msg)
    })

  // base
  const ee = new EventEmitter()
  const sender = { id: 1 }
  const senderFrame = { processId: process.pid, routingId: 1 }
  let m = 0
  let baseDone = false
  ee.on('ping', (event, v) => {
    if (++m === N) baseDone = true
  })
  const base = () => {
    m = 0
    baseDone = false
    const t0 = now()
    for (let i = 0; i < N; i++) {
      const clone = structuredClone(msg)
      const event = { type: 'frame', sender, senderFrame, frameId: 1, processId: process.pid, ports: [] }
      ee.emit('ping', event, clone)
    }
    const t = now() - t0
    if (!baseDone) throw new Error('baseline lost messages')
    return N / (t / 1e9)
  }

  const res = await compareRounds({ ours, base, warm: 1, rounds: ROUNDS })
  report({
    scenario: 'inproc send',
    kind: 'time',
    unit: 'ns/msg',
    ours: 1e9 / median(res.ours),
    base: 1e9 / median(res.base),
    note: `${N} msgs per burst, median of ${ROUNDS} bursts`,
  })
  await hub.close()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
