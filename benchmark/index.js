'use strict'
// Runs the benchmark scenarios, each several times in a fresh process tree,
// and prints one table: ipc-main vs the plain-Node way of doing the same
// thing, with how far apart the runs landed. A full run writes the table
// into benchmark/RESULTS.md and README.md (between the bench markers).
//
//   npm run bench                    every scenario, 3 runs each
//   npm run bench -- --runs 5        5 runs each (or BENCH_RUNS=5)
//   npm run bench -- inproc worker   only scenarios whose name or script
//                                    contains one of the words
//   BENCH_QUICK=1 npm run bench      ~10x fewer iterations (smoke check)
//   PIN=no npm run bench             never pin (see below)
//   --write / --no-write             write RESULTS.md and README.md or not
//                                    (default: only a full, not quick, run)
//
// Protocol (shared/research/peers.md): latency scenarios run under
// `taskset -c 0` (the whole process tree on one CPU), which is stable on the
// 2-vCPU box and measures software overhead; throughput scenarios run
// unpinned, because producer and consumer run in parallel. Each scenario
// script measures ipc-main and its baseline in the same process and prints
// one JSON line (see util.js `report`). Runs go round robin (every scenario
// once, then again), so that a noisy minute lands on one run of several
// scenarios, not on every run of one; each row gives the median of the run
// medians, ± the largest distance of a run median from it, and the min–max
// of the per-run ratios. The anchor rows compare a built-in with itself: the
// ratio two identical things land at, i.e. the noise floor of the method.

const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const h = require('./harness')

/**
 * name: the row's label (and what filters match, with the script name).
 * script, args: the scenario script and the mode passed to it.
 * pin: a latency scenario (run under taskset -c 0).
 * also: cross-thread latencies are bimodal when unpinned (peers.md), so they
 *   are run a second time unpinned, labelled "(unpinned)": what a user gets.
 * goal: the target for the ratio, from issue 11: `le` for a cost ratio
 *   (ipc-main ÷ built-in, lower is better), `ge` for a speed ratio.
 * anchor: a built-in against itself (no goal; shows the noise floor).
 * ours, base: what each side does, for the "what each row measures" table.
 */
const SCENARIOS = [
  {
    name: 'inproc invoke',
    script: 'inproc-invoke.js',
    args: ['rtt'],
    pin: true,
    goal: { le: 1.5 },
    ours: "`await r.invoke('add', 1, 2)` from `hub.createRenderer()`, one call at a time",
    base: '`structuredClone(args)`, Map lookup, `await handler(event, ...args)`, `structuredClone(result)`',
  },
  {
    name: 'inproc invoke (100 in flight)',
    script: 'inproc-invoke.js',
    args: ['flight'],
    pin: false,
    goal: { le: 1.5 },
    ours: '100 concurrent `invoke`s per `Promise.all`, cost per call',
    base: '100 concurrent baseline calls',
  },
  {
    name: 'inproc send',
    script: 'inproc-send.js',
    pin: false,
    goal: { le: 1.2 },
    ours: "`r.send('ping', msg)` ×200k to `hub.on('ping')`, timed to the last delivery, cost per message",
    base: "`structuredClone(msg)` + `EventEmitter#emit('ping', event, clone)` in a loop",
  },
  {
    name: 'inproc emit',
    script: 'inproc-emit.js',
    args: ['ipc'],
    pin: true,
    goal: { le: 2 },
    ours: "`ipcMain.emit('ch', a, b)`, 1 listener",
    base: "`EventEmitter#emit('ch', a, b)`, 1 listener",
  },
  {
    name: 'worker invoke',
    script: 'worker-invoke.js',
    args: ['ipc'],
    pin: true,
    goal: { le: 0.7 },
    ours: "`ipcRenderer.invoke('ping', msg)` in a `spawnWorker` worker, echoed by `hub.handle`",
    base: 'hand-rolled id + Map of promises over `parentPort`, handler awaited on main',
  },
  {
    name: 'worker invoke (unpinned)',
    script: 'worker-invoke.js',
    args: ['ipc'],
    pin: false,
    also: true,
    goal: { le: 0.7 },
    ours: 'as above, unpinned',
    base: 'as above, unpinned',
  },
  {
    name: 'worker sendSync',
    script: 'worker-sendsync.js',
    pin: true,
    goal: { le: 0.7 },
    ours: "`ipcRenderer.sendSync('sync', msg)`, `event.returnValue = m`",
    base: '`postMessage` + `Atomics.wait`, reply on a dedicated MessagePort read with `receiveMessageOnPort` (peers.md A2 "port")',
  },
  {
    name: 'worker sendSync (unpinned)',
    script: 'worker-sendsync.js',
    pin: false,
    also: true,
    goal: { le: 0.7 },
    ours: 'as above, unpinned',
    base: 'as above, unpinned',
  },
  {
    name: 'worker send',
    script: 'worker-send.js',
    args: ['ipc'],
    pin: false,
    goal: { ge: 2 },
    ours: "`ipcRenderer.send('ping', msg)` ×300k, worker → main",
    base: "`parentPort.postMessage({ channel, args: [msg] })` ×300k",
  },
  {
    name: 'worker 1 MiB send',
    script: 'worker-1mib.js',
    pin: false,
    goal: { ge: 1 },
    ours: "`ipcRenderer.send('blob', buf)` ×1000, 1 MiB Buffers",
    base: '`parentPort.postMessage(buf)` ×1000 (copy, no transfer)',
  },
  {
    name: 'child invoke',
    script: 'child.js',
    args: ['rtt'],
    pin: true,
    goal: { le: 0.7 },
    ours: "`ipcRenderer.invoke('ping', msg)` in a `hub.fork()` child, echoed by `hub.handle`",
    base: "`child_process.fork` with `serialization: 'json'`: id + Map of promises over `process.send`",
  },
  {
    name: 'child invoke (unpinned)',
    script: 'child.js',
    args: ['rtt'],
    pin: false,
    also: true,
    goal: { le: 0.7 },
    ours: 'as above, unpinned',
    base: 'as above, unpinned',
  },
  {
    name: 'child send',
    script: 'child.js',
    args: ['send'],
    pin: false,
    goal: { ge: 3 },
    ours: "`ipcRenderer.send('ping', msg)` ×200k, child → main",
    base: "`process.send({ channel, args: [msg] })` ×200k, fork 'json'",
  },
  {
    name: 'child 64 KiB send',
    script: 'child.js',
    args: ['bytes'],
    pin: false,
    goal: { ge: 3 },
    ours: "`ipcRenderer.send('ping', buf)` ×4000, 64 KiB Buffers",
    base: "`process.send(buf)` ×4000, fork 'advanced'",
  },
  {
    name: 'worker <-> worker port round trip',
    script: 'ports.js',
    args: ['worker-rtt'],
    pin: true,
    goal: { le: 0.7 },
    ours: "two `spawnWorker` workers on a `MessageChannelMain` (ends via `wc.postMessage`): `port.postMessage(msg)`, echoed",
    base: 'the same two workers on a `worker_threads` `MessageChannel`, echoed',
  },
  {
    name: 'worker <-> worker port round trip (unpinned)',
    script: 'ports.js',
    args: ['worker-rtt'],
    pin: false,
    also: true,
    goal: { le: 0.7 },
    ours: 'as above, unpinned',
    base: 'as above, unpinned',
  },
  {
    name: 'worker -> worker port throughput',
    script: 'ports.js',
    args: ['worker-rate'],
    pin: false,
    goal: { ge: 2 },
    ours: '200k `port.postMessage(i)` on a `MessageChannelMain` between two workers, each echoed; timed to the last echo',
    base: 'the same on a `worker_threads` `MessageChannel`',
  },
  {
    name: 'child <-> child port round trip',
    script: 'ports.js',
    args: ['child-rtt'],
    pin: true,
    goal: { le: 1.5 },
    ours: "two `hub.fork()` children on a `MessageChannelMain`: `port.postMessage(msg)`, echoed (relayed by main's native side)",
    base: "the pinging child's `ipcRenderer.invoke('ping', msg)`, echoed by `hub.handle`",
  },
  {
    name: 'anchor: EventEmitter.emit',
    script: 'inproc-emit.js',
    args: ['anchor'],
    pin: true,
    anchor: true,
    ours: 'the *inproc emit* baseline, on a second `EventEmitter`',
    base: "`EventEmitter#emit('ch', a, b)`, 1 listener",
  },
  {
    name: 'anchor: worker invoke over parentPort',
    script: 'worker-invoke.js',
    args: ['anchor'],
    pin: true,
    anchor: true,
    ours: 'the *worker invoke* baseline, in a second plain Worker',
    base: 'hand-rolled id + Map of promises over `parentPort`',
  },
  {
    name: 'anchor: worker parentPort.postMessage',
    script: 'worker-send.js',
    args: ['anchor'],
    pin: false,
    anchor: true,
    ours: 'the *worker send* baseline, in a second plain Worker',
    base: "`parentPort.postMessage({ channel, args: [msg] })` ×300k",
  },
  {
    name: "anchor: child invoke over fork 'json'",
    script: 'child.js',
    args: ['rtt', 'anchor'],
    pin: true,
    anchor: true,
    ours: 'the *child invoke* baseline, in a second forked child',
    base: "id + Map of promises over `process.send`, fork 'json'",
  },
  {
    name: "anchor: child 64 KiB over fork 'advanced'",
    script: 'child.js',
    args: ['bytes', 'anchor'],
    pin: false,
    anchor: true,
    ours: 'the *child 64 KiB send* baseline, in a second forked child',
    base: "`process.send(buf)` ×4000, fork 'advanced'",
  },
]

const PER_RUN_TIMEOUT_MS = 120_000

function hasTaskset() {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Parses argv: filter words, `--runs N`, `--write`, `--no-write`. */
function parseArgs(argv, env) {
  const o = { filters: [], runs: undefined, write: undefined }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--runs') o.runs = argv[++i]
    else if (a.startsWith('--runs=')) o.runs = a.slice('--runs='.length)
    else if (a === '--write') o.write = true
    else if (a === '--no-write') o.write = false
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`)
    else o.filters.push(a)
  }
  const runs = Number(o.runs ?? env.BENCH_RUNS ?? 3)
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`--runs / BENCH_RUNS must be a whole number >= 1, got ${o.runs ?? env.BENCH_RUNS}`)
  }
  o.runs = runs
  return o
}

function selected(all, filters, canPin, dir) {
  const present = all.filter(
    // Without pinning, the "(unpinned)" repeat would measure the same thing.
    (s) => fs.existsSync(path.resolve(dir, s.script)) && (canPin || !s.also),
  )
  if (filters.length === 0) return present
  return present.filter((s) => filters.some((f) => s.name.includes(f) || s.script.includes(f)))
}

/** The command as typed, with the environment variables that change a run. */
function commandLine(argv, env) {
  const vars = ['BENCH_QUICK', 'BENCH_RUNS', 'PIN'].filter((k) => env[k] !== undefined).map((k) => `${k}=${env[k]}`)
  return [...vars, 'node', 'benchmark/index.js', ...argv].join(' ')
}

function describeTable(scenarios) {
  const rows = scenarios.map((s) => ({ scenario: s.name, 'ipc-main': s.ours ?? '', 'Node built-in': s.base ?? '' }))
  return h.markdownTable(rows)
}

const LEGEND =
  '`ratio` is ipc-main ÷ built-in, measured in the same process in each run: cost ÷ cost for µs and ns rows ' +
  '(below 1 is faster), speed ÷ speed ("× as fast") for msg/s, MB/s and GB/s rows (above 1 is faster). ' +
  'Figures are the median of the run medians, ± the largest distance of a run median from it; ' +
  'the ratio is the median of the per-run ratios, with their min–max in brackets. ' +
  '`met` compares the median ratio with the goal and counts the runs that met it. ' +
  'The anchor rows measure a built-in against itself: their spread is how far apart two identical things land.'

/**
 * The generated block of RESULTS.md (between the markers) and the shorter
 * one for README.md.
 */
function render(meta, rows, scenarios) {
  const m = meta.machine
  const machineLine = `${m.cpu}, ${m.cores} cores (${m.available} available), ${m.kernel}, ${m.memory}`
  const header = [
    `- Command: \`${meta.command}\``,
    `- Date: ${meta.date} (took ${Math.round(meta.seconds)} s)`,
    `- Machine: ${machineLine}; load average ${meta.loadBefore} before, ${meta.loadAfter} after`,
    `- Node ${m.node}, ${m.rustc}, ipc-main at ${meta.commit}`,
    `- ${meta.runs} fresh process tree${meta.runs === 1 ? '' : 's'} per scenario, round robin; latencies ` +
      `${meta.pinned ? 'pinned (`taskset -c 0`)' : 'not pinned'}, throughputs unpinned` +
      (meta.quick ? '; **BENCH_QUICK=1** (about 10x fewer iterations: a smoke check, not a measurement)' : '') +
      (meta.filters.length ? `; only scenarios matching ${meta.filters.map((f) => `\`${f}\``).join(', ')}` : ''),
  ].join('\n')
  const results = [
    '<!-- Generated by benchmark/index.js; a full run rewrites everything up to bench:end. -->',
    '## Latest run',
    '',
    header,
    '',
    LEGEND,
    '',
    h.resultsTable(rows),
    '',
    '### Each run',
    '',
    h.perRunTable(rows),
    '',
    '### What each row measures',
    '',
    'Message: `{ id: 7, name: \'ping\', list: [1, 2, 3] }` unless the row says a Buffer. Both sides are ' +
      'warmed up and their rounds alternate within each run; each script\'s header comment says more.',
    '',
    describeTable(scenarios),
  ].join('\n')
  const pinning = meta.pinned ? 'pinned to one CPU (`taskset -c 0`)' : 'not pinned'
  const readme = [
    '<!-- Generated by `npm run bench` (benchmark/index.js); edits here are overwritten. -->',
    `\`${meta.command}\` on ${meta.date.slice(0, 16)}Z, ${m.cpu}, ${m.cores} cores, ${m.kernel}, Node ${m.node}, ${m.rustc}. ` +
      `${meta.runs} runs per scenario in fresh process trees; latencies ${pinning}, throughputs unpinned.` +
      (meta.quick ? ' **BENCH_QUICK=1: a smoke check, not a measurement.**' : ''),
    '',
    LEGEND,
    '',
    h.resultsTable(rows),
  ].join('\n')
  return { results, readme }
}

function writeFiles(meta, rows, scenarios, { resultsPath, readmePath }) {
  const { results, readme } = render(meta, rows, scenarios)
  const old = fs.existsSync(resultsPath) ? fs.readFileSync(resultsPath, 'utf8') : '# Benchmark results\n'
  fs.writeFileSync(
    resultsPath,
    h.replaceBetween(old, results, (text, block) => {
      // No markers yet: the block goes right under the title.
      const nl = text.startsWith('# ') ? text.indexOf('\n') + 1 : 0
      return `${text.slice(0, nl)}\n${block}\n\n${text.slice(nl)}`
    }),
  )
  if (readmePath && fs.existsSync(readmePath)) {
    const text = fs.readFileSync(readmePath, 'utf8')
    fs.writeFileSync(readmePath, h.replaceBetween(text, readme, h.underHeading('Benchmarks')))
  }
}

/**
 * Runs the benchmark. Every option has the CLI's default; the smoke test
 * passes its own scenarios and output paths.
 * @param {{ argv?: string[], env?: NodeJS.ProcessEnv, scenarios?: object[], dir?: string,
 *   resultsPath?: string, readmePath?: string|null, log?: (s: string) => void,
 *   progress?: (s: string) => void }} [opts]
 * @returns {Promise<{ rows: object[], wrote: boolean }>}
 */
async function main(opts = {}) {
  const argv = opts.argv ?? process.argv.slice(2)
  const env = opts.env ?? process.env
  const dir = opts.dir ?? __dirname
  const log = opts.log ?? ((s) => process.stdout.write(s + '\n'))
  const progress = opts.progress ?? ((s) => process.stderr.write(s + '\n'))
  const args = parseArgs(argv, env)
  const canPin = env.PIN !== 'no' && process.platform === 'linux' && hasTaskset()
  const all = opts.scenarios ?? SCENARIOS
  const scenarios = selected(all, args.filters, canPin, dir)
  if (scenarios.length === 0) {
    throw new Error(`no scenario matches ${args.filters.join(' ')}; have: ${all.map((s) => s.name).join(', ')}`)
  }
  const quick = env.BENCH_QUICK === '1'
  const write = args.write ?? (args.filters.length === 0 && !quick)
  const load = () => require('node:os').loadavg().map((x) => x.toFixed(2)).join(' ')
  const meta = {
    command: commandLine(argv, env),
    date: new Date().toISOString(),
    machine: h.machine(),
    commit: h.commit(path.join(dir, '..')),
    loadBefore: load(),
    runs: args.runs,
    pinned: canPin,
    quick,
    filters: args.filters,
  }
  const m = meta.machine
  log(`machine: ${m.cpu}, ${m.cores} cores, ${m.kernel}; node ${m.node}, ${m.rustc}; load ${meta.loadBefore}`)
  log(`date: ${meta.date}; ${args.runs} runs per scenario` + (quick ? '; BENCH_QUICK=1 (smoke check only)' : ''))

  const t0 = Date.now()
  const runs = scenarios.map(() => [])
  for (let run = 0; run < args.runs; run++) {
    for (let i = 0; i < scenarios.length; i++) {
      const s = scenarios[i]
      const pin = Boolean(s.pin && canPin)
      const r = await h.runOnce(s, { pin, run, timeoutMs: opts.timeoutMs ?? PER_RUN_TIMEOUT_MS, dir })
      runs[i].push(r)
      const what = r.error
        ? `ERROR ${r.error}`
        : `${h.num(r.ours)} vs ${h.num(r.base)} ${r.unit}, ratio ${(r.ours / r.base).toFixed(2)}`
      progress(`  [run ${run + 1}/${args.runs}] ${s.name}: ${what} (${r.seconds.toFixed(1)} s)`)
    }
  }
  meta.seconds = (Date.now() - t0) / 1000
  meta.loadAfter = load()
  const rows = scenarios.map((s, i) => h.aggregate(s, runs[i], Boolean(s.pin && canPin)))

  log('')
  log(h.resultsTable(rows))
  log('')
  log(h.perRunTable(rows))
  log(`\n${scenarios.length} scenarios × ${args.runs} runs in ${Math.round(meta.seconds)} s`)
  if (write) {
    const resultsPath = opts.resultsPath ?? path.join(dir, 'RESULTS.md')
    const readmePath = opts.readmePath === undefined ? path.join(dir, '..', 'README.md') : opts.readmePath
    writeFiles(meta, rows, scenarios, { resultsPath, readmePath })
    log(`wrote ${resultsPath}` + (readmePath ? ` and ${readmePath}` : ''))
  } else {
    log('(not written to RESULTS.md / README.md: filtered or quick run; pass --write to write anyway)')
  }
  return { rows, wrote: write, meta }
}

module.exports = { SCENARIOS, main, parseArgs, render }

if (require.main === module) {
  main()
    .then(({ rows }) => {
      // A smoke run (BENCH_QUICK=1) is a check: a scenario that failed fails it.
      const failed = rows.filter((r) => r.errors.length > 0).map((r) => r.scenario)
      if (failed.length > 0) {
        console.error(`failed runs in: ${failed.join(', ')}`)
        process.exitCode = 1
      }
    })
    .catch((err) => {
      console.error(err.message)
      process.exit(1)
    })
}
