'use strict'
// Shared helpers for the scenario scripts: iteration counts (BENCH_QUICK),
// clocks, statistics and the one-JSON-line result format that
// benchmark/index.js collects.
//
// Protocol (shared/research/peers.md): ipc-main and its plain-Node baseline
// run in the same process, with the same message shapes, each warmed up
// first. Measurements alternate between the two in rounds, so a noisy
// neighbour on the shared box hurts both sides alike; the reported figure is
// the median over rounds (throughput) or over all pooled samples (latency).

const QUICK = process.env.BENCH_QUICK === '1'

/** `n` iterations, or about a tenth of them under BENCH_QUICK=1. */
function iters(n) {
  return QUICK ? Math.max(1, Math.ceil(n / 10)) : n
}

/** Monotonic clock in nanoseconds, as a Number. */
function now() {
  return Number(process.hrtime.bigint())
}

function sorted(values) {
  return Float64Array.from(values).sort()
}

/** Nearest-rank percentile (0 < p <= 100) of an already sorted array. */
function percentileSorted(s, p) {
  if (s.length === 0) return NaN
  const rank = Math.ceil((p / 100) * s.length)
  return s[Math.min(s.length, Math.max(1, rank)) - 1]
}

function median(values) {
  const s = sorted(values)
  if (s.length === 0) return NaN
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

function p99(values) {
  return percentileSorted(sorted(values), 99)
}

/**
 * Runs `fn` (sync or async) `n` times and discards the result: JIT warm-up.
 * @param {() => any} fn
 * @param {number} n
 */
async function warmup(fn, n) {
  for (let i = 0; i < n; i++) await fn()
}

/**
 * Times each of `n` sequential awaited calls of `fn`, appending the
 * nanoseconds of each call to `into`.
 * @param {() => Promise<any>} fn
 * @param {number} n
 * @param {number[]} into
 */
async function sampleLatency(fn, n, into) {
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    await fn()
    into.push(Number(process.hrtime.bigint() - t0))
  }
  return into
}

/**
 * Latency of ours vs base: warm both, then `rounds` alternating rounds of
 * `perRound` samples each. Returns pooled samples in nanoseconds.
 * @param {{ ours: () => Promise<any>, base: () => Promise<any>,
 *   warm?: number, rounds?: number, perRound: number }} o
 */
async function compareLatency({ ours, base, warm = 2000, rounds = 5, perRound }) {
  await warmup(ours, warm)
  await warmup(base, warm)
  const a = []
  const b = []
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, so neither always follows a GC.
    if (r % 2 === 0) {
      await sampleLatency(ours, perRound, a)
      await sampleLatency(base, perRound, b)
    } else {
      await sampleLatency(base, perRound, b)
      await sampleLatency(ours, perRound, a)
    }
  }
  return { ours: a, base: b }
}

/**
 * Per-round measurements of ours vs base: `ours()` and `base()` each run one
 * timed round and return its figure (a rate, or ns/op). Warm-up rounds are
 * run and dropped. Returns the per-round figures of each side.
 * @param {{ ours: () => Promise<number>|number, base: () => Promise<number>|number,
 *   warm?: number, rounds?: number }} o
 */
async function compareRounds({ ours, base, warm = 1, rounds = 5 }) {
  for (let i = 0; i < warm; i++) {
    await ours()
    await base()
  }
  const a = []
  const b = []
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      a.push(await ours())
      b.push(await base())
    } else {
      b.push(await base())
      a.push(await ours())
    }
  }
  return { ours: a, base: b }
}

const round3 = (x) => (Number.isFinite(x) ? Number(x.toPrecision(4)) : x)

/**
 * Prints one result line for benchmark/index.js, which holds each row's
 * goal (from issue 11) and folds several runs into one row.
 * `kind` 'time': a cost (µs, ns/op), lower is better; ratio = ours / base.
 * `kind` 'rate': a speed (msg/s, GB/s), higher is better; ratio = ours / base.
 * @param {{ scenario: string, kind: 'time'|'rate', unit: string,
 *   ours: number, base: number, oursP99?: number, baseP99?: number,
 *   note?: string }} r
 */
function report(r) {
  const out = {
    scenario: r.scenario,
    kind: r.kind,
    ours: round3(r.ours),
    base: round3(r.base),
    unit: r.unit,
  }
  if (r.oursP99 !== undefined) out.oursP99 = round3(r.oursP99)
  if (r.baseP99 !== undefined) out.baseP99 = round3(r.baseP99)
  if (r.note) out.note = r.note
  if (QUICK) out.quick = true
  process.stdout.write(JSON.stringify(out) + '\n')
}

/** Reports a latency comparison from pooled nanosecond samples, in µs. */
function reportLatency(scenario, samples, note) {
  report({
    scenario,
    kind: 'time',
    unit: 'µs',
    ours: median(samples.ours) / 1e3,
    base: median(samples.base) / 1e3,
    oursP99: p99(samples.ours) / 1e3,
    baseP99: p99(samples.base) / 1e3,
    note: note ?? `median of ${samples.ours.length} calls`,
  })
}

/**
 * The modes a script was asked to run: its argv after the script path, or
 * every mode when none were given (running a script by hand).
 */
function modes(all) {
  const asked = process.argv.slice(2)
  return asked.length === 0 ? all : all.filter((m) => asked.includes(m))
}


// ---- worker scenarios -------------------------------------------------
// A worker scenario starts two workers from the same file: "ours" with
// `hub.spawnWorker(file)` (its `require('ipc-main').ipcRenderer` is
// connected to the hub) and "base" with a plain `new Worker(file)`. Each gets
// a dedicated control MessagePort in `workerData.ctl`, so that `parentPort`
// carries only the baseline's own traffic. The main thread drives rounds
// over the control ports, one command at a time, alternating the two.
// For an anchor row (`{ anchor: true }`) both are plain baseline workers:
// the script wires the baseline's main side to each of `w.plainWorkers`.

/** Request/response over a control port: `ask(cmd) -> Promise<reply>`. */
function controller(port) {
  return (cmd) =>
    new Promise((resolve, reject) => {
      port.once('message', (reply) => (reply && reply.error ? reject(new Error(reply.error)) : resolve(reply)))
      port.postMessage(cmd)
    })
}

/**
 * Main side: starts both workers of `file` and waits until each answered
 * a first `{ cmd: 'ready' }`.
 * @param {import('..').IpcMain} hub
 * @param {string} file
 * @param {{ anchor?: boolean }} [o]
 */
async function startWorkers(hub, file, { anchor = false } = {}) {
  const { Worker, MessageChannel } = require('node:worker_threads')
  const a = new MessageChannel()
  const b = new MessageChannel()
  const plain = (ctl) => new Worker(file, { workerData: { role: 'base', ctl }, transferList: [ctl] })
  let wc = null
  let oursWorker
  if (anchor) {
    oursWorker = plain(a.port2)
  } else {
    wc = await hub.spawnWorker(file, { workerData: { role: 'ours', ctl: a.port2 }, transferList: [a.port2] })
    oursWorker = wc.worker
  }
  const baseWorker = plain(b.port2)
  for (const worker of [oursWorker, baseWorker]) {
    worker.on('error', (err) => {
      console.error(err)
      process.exit(1)
    })
  }
  const w = {
    wc,
    oursWorker,
    baseWorker,
    plainWorkers: anchor ? [oursWorker, baseWorker] : [baseWorker],
    ours: controller(a.port1),
    base: controller(b.port1),
    async stop() {
      a.port1.close()
      b.port1.close()
      await Promise.all([oursWorker.terminate(), baseWorker.terminate()])
      await hub.close()
    },
  }
  await w.ours({ cmd: 'ready' })
  await w.base({ cmd: 'ready' })
  return w
}

/**
 * Worker side: answers control commands with `handlers[cmd.cmd](cmd)`
 * (sync or async). `ready` is built in.
 * @param {Record<string, (cmd: object) => any>} handlers
 */
function serveControl(handlers) {
  const { workerData } = require('node:worker_threads')
  const ctl = workerData.ctl
  ctl.on('message', async (cmd) => {
    try {
      const reply = cmd.cmd === 'ready' ? true : await handlers[cmd.cmd](cmd)
      ctl.postMessage(reply)
    } catch (err) {
      ctl.postMessage({ error: String((err && err.stack) || err) })
    }
  })
}

/** Worker side: this worker's role, 'ours' or 'base'. */
function role() {
  return require('node:worker_threads').workerData.role
}

/**
 * Latency rounds run inside the two workers: each `{ cmd: 'rtt', n, warm }`
 * makes a worker time `n` calls (after `warm` untimed ones) and answer a
 * Float64Array of nanoseconds. Warm-up happens in the first round of each.
 */
async function workerLatency(w, { warm, rounds = 5, perRound }) {
  const a = []
  const b = []
  for (let r = 0; r < rounds; r++) {
    const first = r === 0 ? warm : 0
    if (r % 2 === 0) {
      a.push(...(await w.ours({ cmd: 'rtt', n: perRound, warm: first })))
      b.push(...(await w.base({ cmd: 'rtt', n: perRound, warm: first })))
    } else {
      b.push(...(await w.base({ cmd: 'rtt', n: perRound, warm: first })))
      a.push(...(await w.ours({ cmd: 'rtt', n: perRound, warm: first })))
    }
  }
  return { ours: a, base: b }
}

const gc = typeof global.gc === 'function' ? global.gc : () => {}

module.exports = {
  QUICK,
  iters,
  now,
  median,
  p99,
  percentileSorted,
  warmup,
  sampleLatency,
  compareLatency,
  compareRounds,
  report,
  reportLatency,
  modes,
  gc,
  startWorkers,
  serveControl,
  role,
  workerLatency,
}
