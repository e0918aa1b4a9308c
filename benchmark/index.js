'use strict'
// Runs the benchmark scenarios, each in a fresh Node process, and prints one
// table: ipc-main vs the plain-Node way of doing the same thing.
//
//   npm run bench                    every scenario
//   npm run bench -- inproc worker   only scenarios whose name or script
//                                    contains one of the words
//   BENCH_QUICK=1 npm run bench      ~10x fewer iterations (smoke check)
//   PIN=no npm run bench             never pin (see below)
//
// Protocol (shared/research/peers.md): latency scenarios run under
// `taskset -c 0` (the whole process tree on one CPU), which is stable on the
// 2-vCPU box and measures software overhead; throughput scenarios run
// unpinned, because producer and consumer run in parallel. Each scenario
// script measures ipc-main and its baseline in the same process and prints
// one JSON line per result (see util.js `report`).

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

/**
 * name: the row's label (and what filters match, with the script name).
 * pin: a latency scenario (run under taskset -c 0).
 * args: the modes passed to the script.
 * also: cross-thread latencies are bimodal when unpinned (peers.md), so they
 *   are run a second time unpinned, labelled "(unpinned)": what a user gets.
 */
const SCENARIOS = [
  { name: 'inproc send', script: 'inproc-send.js', pin: false },
  { name: 'inproc emit', script: 'inproc-emit.js', pin: true },
  { name: 'inproc invoke', script: 'inproc-invoke.js', args: ['rtt'], pin: true },
  { name: 'inproc invoke (100 in flight)', script: 'inproc-invoke.js', args: ['flight'], pin: false },
  { name: 'worker invoke', script: 'worker-invoke.js', pin: true },
  { name: 'worker invoke (unpinned)', script: 'worker-invoke.js', pin: false, also: true },
  { name: 'worker sendSync', script: 'worker-sendsync.js', pin: true },
  { name: 'worker sendSync (unpinned)', script: 'worker-sendsync.js', pin: false, also: true },
  { name: 'worker send', script: 'worker-send.js', pin: false },
  { name: 'worker 1 MiB send', script: 'worker-1mib.js', pin: false },
  { name: 'child invoke', script: 'child.js', args: ['rtt'], pin: true },
  { name: 'child invoke (unpinned)', script: 'child.js', args: ['rtt'], pin: false, also: true },
  { name: 'child send', script: 'child.js', args: ['send'], pin: false },
  { name: 'child 64 KiB send', script: 'child.js', args: ['bytes'], pin: false },
]

const PER_SCENARIO_TIMEOUT_MS = 120_000

function hasTaskset() {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function rustVersion() {
  try {
    return execFileSync('rustc', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'unknown'
  }
}

function selected(filters, canPin) {
  const present = SCENARIOS.filter(
    // Without pinning, the "(unpinned)" repeat would measure the same thing.
    (s) => fs.existsSync(path.join(__dirname, s.script)) && (canPin || !s.also),
  )
  if (filters.length === 0) return present
  return present.filter((s) => filters.some((f) => s.name.includes(f) || s.script.includes(f)))
}

/** Runs one scenario; returns its parsed result lines (or one error row). */
function run(s, pin) {
  const script = path.join(__dirname, s.script)
  const nodeArgs = [script, ...(s.args ?? [])]
  const [file, args] = pin ? ['taskset', ['-c', '0', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs]
  let out
  try {
    out = execFileSync(file, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: PER_SCENARIO_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    })
  } catch (err) {
    const why = err.signal ? `killed by ${err.signal}` : `exit ${err.status}`
    return [{ scenario: s.name, error: why, pinned: pin }]
  }
  const rows = []
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const r = JSON.parse(line)
      if (typeof r.scenario === 'string') {
        // The "(unpinned)" repeat of a latency scenario keeps its label.
        if (s.also) r.scenario = s.name
        rows.push({ ...r, pinned: pin })
      }
    } catch {
      // not a result line
    }
  }
  if (rows.length === 0) rows.push({ scenario: s.name, error: 'no result', pinned: pin })
  return rows
}

function num(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x)
  if (Math.abs(x) >= 1000) return Math.round(Number(x.toPrecision(3))).toLocaleString('en-US')
  return Number(x.toPrecision(3)).toString()
}

function goalText(goal) {
  if (goal.le !== undefined) return `≤ ${num(goal.le)}×`
  return `≥ ${num(goal.ge)}×`
}

function row(r) {
  if (r.error) {
    return {
      scenario: r.scenario,
      'ipc-main': 'ERROR',
      'Node built-in': '',
      unit: '',
      ratio: '',
      goal: '',
      met: r.error,
      cpu: r.pinned ? 'pinned' : 'free',
    }
  }
  const ratio = r.ours / r.base
  const met = r.goal.le !== undefined ? ratio <= r.goal.le : ratio >= r.goal.ge
  const cell = (v, p) => (p === undefined ? num(v) : `${num(v)} (p99 ${num(p)})`)
  return {
    scenario: r.scenario,
    'ipc-main': cell(r.ours, r.oursP99),
    'Node built-in': cell(r.base, r.baseP99),
    unit: r.unit,
    ratio: `${ratio.toFixed(2)}×`,
    goal: goalText(r.goal),
    met: met ? 'yes' : 'no',
    cpu: r.pinned ? 'pinned' : 'free',
  }
}

function markdown(rows) {
  const cols = Object.keys(rows[0])
  const esc = (v) => String(v).replace(/\|/g, '\\|')
  const lines = [`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`]
  for (const r of rows) lines.push(`| ${cols.map((c) => esc(r[c])).join(' | ')} |`)
  return lines.join('\n')
}

function main() {
  const filters = process.argv.slice(2)
  const canPin = process.env.PIN !== 'no' && process.platform === 'linux' && hasTaskset()
  const scenarios = selected(filters, canPin)
  if (scenarios.length === 0) {
    console.error(`no scenario matches ${filters.join(' ')}; have: ${SCENARIOS.map((s) => s.name).join(', ')}`)
    process.exit(1)
  }
  const quick = process.env.BENCH_QUICK === '1'
  const cpus = os.cpus()
  console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, ${os.platform()} ${os.release()}`)
  console.log(`node ${process.version}, ${rustVersion()}`)
  console.log(`date: ${new Date().toISOString()}`)
  console.log(
    `latency scenarios: ${canPin ? 'pinned (taskset -c 0)' : 'not pinned'}; throughput: unpinned` +
      (quick ? '; BENCH_QUICK=1 (about 10x fewer iterations, smoke check only)' : ''),
  )
  console.log('ratio = ipc-main / built-in (cost for µs and ns/op, rate for msg/s, calls/s and GB/s)\n')

  const rows = []
  for (const s of scenarios) {
    const t0 = Date.now()
    const results = run(s, s.pin && canPin)
    for (const r of results) rows.push(row(r))
    const last = rows[rows.length - 1]
    process.stderr.write(`  ${s.name}: ${last['ipc-main']} vs ${last['Node built-in']} ${last.unit} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`)
  }
  console.table(rows)
  console.log('')
  console.log(markdown(rows))
}

main()
