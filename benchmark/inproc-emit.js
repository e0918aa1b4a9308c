'use strict'
// Cost of `emit(channel, a, b)` on the main side with one listener: an
// `IpcMain` (registry in Rust, `emit` served from a JS snapshot) vs a plain
// `EventEmitter`. ns per call over millions of calls, after warm-up.
// Goal: at most 2x EventEmitter's cost.
//
// Modes (argv; all when none given):
//   ipc     IpcMain vs EventEmitter
//   anchor  EventEmitter vs a second EventEmitter through the same two
//           loops: the noise floor of this measurement (ratio ~1)

const { EventEmitter } = require('node:events')
const { IpcMain } = require('..')
const { iters, now, median, compareRounds, report, modes } = require('./util')

const N = iters(5_000_000)

// Two copies of the same loop, on purpose: one shared closure would make
// the `emit` call site polymorphic and slow both sides down. One listener
// for both, on purpose too: in the anchor both targets share
// EventEmitter.prototype.emit, and two different listeners make the call
// inside it polymorphic: with a listener each, the anchor read about 0.8x
// in 4 runs of 5, with the same code on both sides.
let sum = 0
const listener = (a, b) => {
  sum += a + b
}

function timedOurs(target) {
  target.on('ch', listener)
  return () => {
    const t0 = now()
    for (let i = 0; i < N; i++) target.emit('ch', i, 1)
    const t = now() - t0
    // Keep `sum` observable so the loop is not dead code.
    if (sum === -1) console.log(sum)
    return t / N
  }
}

function timedBase(target) {
  target.on('ch', listener)
  return () => {
    const t0 = now()
    for (let i = 0; i < N; i++) target.emit('ch', i, 1)
    const t = now() - t0
    if (sum === -1) console.log(sum)
    return t / N
  }
}

async function measure(mode) {
  const hub = new IpcMain()
  const target = mode === 'anchor' ? new EventEmitter() : hub
  const res = await compareRounds({ ours: timedOurs(target), base: timedBase(new EventEmitter()), warm: 1, rounds: 7 })
  report({
    scenario: mode === 'anchor' ? 'anchor: EventEmitter.emit' : 'inproc emit',
    kind: 'time',
    unit: 'ns/op',
    ours: median(res.ours),
    base: median(res.base),
    note: `${N} emits per round, median of 7 rounds`,
  })
  await hub.close()
}

async function main() {
  for (const m of modes(['ipc', 'anchor'])) await measure(m)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
