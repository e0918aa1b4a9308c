'use strict'
// In-process invoke -> handle round trip.
//
// ours: `await r.invoke('add', 1, 2)` from an in-process renderer, answered
//       by `hub.handle('add', (e, a, b) => a + b)`.
// base: the plain-Node equivalent of what invoke has to do: structuredClone
//       of the args, Map lookup of the handler, `await handler(event, ...args)`
//       with a fresh event object, structuredClone of the result.
//
// Modes (argv; all when none given):
//   rtt     sequential calls, one at a time: median and p99 µs per call
//           (process.hrtime.bigint() around each call)
//   flight  100 invokes in flight at a time (Promise.all): ns per call,
//           from each round's rate
// Goal: ours costs at most 1.5x the baseline.

const { IpcMain } = require('..')
const { iters, now, median, compareLatency, compareRounds, report, reportLatency, modes } = require('./util')

const handler = (e, a, b) => a + b
const ROUNDS = 5

function setup() {
  const hub = new IpcMain()
  const r = hub.createRenderer()
  hub.handle('add', handler)
  const ours = () => r.invoke('add', 1, 2)

  const handlers = new Map([['add', handler]])
  const sender = { id: 1 }
  const senderFrame = { processId: process.pid, routingId: 1 }
  async function baseInvoke(channel, ...args) {
    const cloned = structuredClone(args)
    const h = handlers.get(channel)
    const event = { type: 'frame', sender, senderFrame, frameId: 1, processId: process.pid }
    const result = await h(event, ...cloned)
    return structuredClone(result)
  }
  const base = () => baseInvoke('add', 1, 2)
  return { hub, ours, base }
}

async function rtt() {
  const { hub, ours, base } = setup()
  // Sanity: both answer the same.
  if ((await ours()) !== 3 || (await base()) !== 3) throw new Error('wrong answer')
  const perRound = iters(10_000)
  const samples = await compareLatency({ ours, base, warm: iters(5_000), rounds: 5, perRound })
  reportLatency('inproc invoke', samples)
  await hub.close()
}

async function flight() {
  const { hub, ours, base } = setup()
  const K = 100
  const batches = iters(2_000)
  const burst = (fn) => async () => {
    const t0 = now()
    for (let i = 0; i < batches; i++) {
      const ps = new Array(K)
      for (let j = 0; j < K; j++) ps[j] = fn()
      const out = await Promise.all(ps)
      if (out[K - 1] !== 3) throw new Error('wrong answer')
    }
    return (K * batches) / ((now() - t0) / 1e9)
  }
  const res = await compareRounds({ ours: burst(ours), base: burst(base), warm: 1, rounds: ROUNDS })
  report({
    scenario: 'inproc invoke (100 in flight)',
    kind: 'time',
    unit: 'ns/call',
    ours: 1e9 / median(res.ours),
    base: 1e9 / median(res.base),
    note: `${K} concurrent x ${batches} batches, median of ${ROUNDS} rounds`,
  })
  await hub.close()
}

async function main() {
  for (const m of modes(['rtt', 'flight'])) {
    if (m === 'rtt') await rtt()
    else await flight()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
