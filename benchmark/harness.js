'use strict'
// The part of benchmark/index.js that does not know the scenarios: runs one
// scenario script in a fresh process tree, folds several runs into one row
// (median of the run medians, and their spread), renders the tables, and
// rewrites the generated part of a Markdown file between two markers.
//
// Kept apart from index.js so that __test__/95-bench-smoke.test.js can drive
// it with a stub scenario (no timing is ever asserted there).

const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { median } = require('./util')

const START = '<!-- bench:start -->'
const END = '<!-- bench:end -->'

/**
 * Runs `file args` as the leader of its own process group and collects its
 * stdout. On timeout, and after it exits (a scenario's workers and children
 * must not outlive it), the whole group is killed.
 * @returns {Promise<{ code: number|null, signal: string|null, stdout: string, timedOut: boolean }>}
 */
function runTree(file, args, { timeoutMs, env }) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true, env })
    let stdout = ''
    let timedOut = false
    const killGroup = () => {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // the group is already gone
      }
    }
    const timer = setTimeout(() => {
      timedOut = true
      killGroup()
    }, timeoutMs)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (s) => {
      stdout += s
    })
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve({ code: null, signal: null, stdout, timedOut, error: err.message })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      killGroup()
      resolve({ code, signal, stdout, timedOut })
    })
  })
}

/**
 * One run of scenario `s` in a fresh process tree. Returns its result (the
 * first JSON result line the script printed) or `{ error }`.
 * @param {{ name: string, script: string, args?: string[] }} s
 * @param {{ pin: boolean, run: number, timeoutMs: number, dir: string }} o
 */
async function runOnce(s, { pin, run, timeoutMs, dir }) {
  const script = path.resolve(dir, s.script)
  const nodeArgs = [script, ...(s.args ?? [])]
  const [file, args] = pin ? ['taskset', ['-c', '0', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs]
  const env = { ...process.env, BENCH_RUN: String(run) }
  const t0 = Date.now()
  const out = await runTree(file, args, { timeoutMs, env })
  const seconds = (Date.now() - t0) / 1000
  if (out.timedOut) return { error: `timed out after ${timeoutMs / 1000} s`, seconds }
  if (out.error) return { error: out.error, seconds }
  if (out.code !== 0) return { error: out.signal ? `killed by ${out.signal}` : `exit ${out.code}`, seconds }
  for (const line of out.stdout.split('\n')) {
    if (!line.startsWith('{')) continue
    let r
    try {
      r = JSON.parse(line)
    } catch {
      continue // not a result line
    }
    if (typeof r.ours === 'number' && typeof r.base === 'number' && (r.kind === 'time' || r.kind === 'rate')) {
      return { ...r, seconds }
    }
  }
  return { error: 'no result line', seconds }
}

/** Largest distance of `values` from `mid`, as a fraction of `mid`. */
function spreadOf(values, mid) {
  let worst = 0
  for (const v of values) worst = Math.max(worst, Math.abs(v - mid))
  return mid === 0 ? NaN : worst / mid
}

/**
 * Folds the runs of one scenario into one row. The ratio of each run is
 * ipc-main ÷ built-in measured in that run (cost ÷ cost for kind 'time',
 * rate ÷ rate for kind 'rate'); the row gives the median over runs of each
 * figure, and the min–max of the run ratios.
 * @param {{ name: string, goal?: { le?: number, ge?: number }, anchor?: boolean, pin?: boolean }} s
 * @param {object[]} runs results of runOnce
 * @param {boolean} pinned
 */
function aggregate(s, runs, pinned) {
  const ok = runs.filter((r) => !r.error)
  const errors = runs.filter((r) => r.error).map((r) => r.error)
  const row = { scenario: s.name, anchor: Boolean(s.anchor), goal: s.goal ?? null, pinned, runs: runs.length, errors }
  if (ok.length === 0) return { ...row, ok: 0 }
  const ratios = ok.map((r) => r.ours / r.base)
  const ours = ok.map((r) => r.ours)
  const base = ok.map((r) => r.base)
  const out = {
    ...row,
    ok: ok.length,
    kind: ok[0].kind,
    unit: ok[0].unit,
    ours: median(ours),
    base: median(base),
    oursSpread: spreadOf(ours, median(ours)),
    baseSpread: spreadOf(base, median(base)),
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    perRun: ok.map((r) => ({ ours: r.ours, base: r.base, ratio: r.ours / r.base })),
    note: ok[0].note,
  }
  const p99s = ok.filter((r) => typeof r.oursP99 === 'number')
  if (p99s.length > 0) {
    out.oursP99 = median(p99s.map((r) => r.oursP99))
    out.baseP99 = median(p99s.map((r) => r.baseP99))
  }
  if (out.goal) {
    const meets = (x) => (out.goal.le !== undefined ? x <= out.goal.le : x >= out.goal.ge)
    out.met = meets(out.ratio)
    out.runsMet = ratios.filter(meets).length
  }
  return out
}

/** A figure to 3 significant digits, with thousands separators. */
function num(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x)
  if (Math.abs(x) >= 1000) return Math.round(Number(x.toPrecision(3))).toLocaleString('en-US')
  return Number(x.toPrecision(3)).toString()
}

const pct = (f) => (Number.isFinite(f) ? `±${f < 0.01 ? (f * 100).toFixed(1) : Math.round(f * 100)}%` : '')

function goalText(r) {
  if (r.anchor) return 'noise floor'
  const g = r.goal
  if (!g) return ''
  if (g.le !== undefined) return `≤ ${num(g.le)}×`
  return `≥ ${num(g.ge)}× as fast`
}

/** The cells of one table row (strings). */
function cells(r) {
  const cpu = r.pinned ? 'pinned' : 'free'
  if (r.ok === 0) {
    return {
      scenario: r.scenario,
      'ipc-main': 'ERROR',
      'Node built-in': '',
      unit: '',
      ratio: '',
      goal: goalText(r),
      met: `error in ${r.runs}/${r.runs} runs: ${r.errors[0]}`,
      cpu,
    }
  }
  const many = r.ok > 1
  const fig = (v, spread, p) =>
    [num(v), many ? pct(spread) : '', p === undefined ? '' : `(p99 ${num(p)})`].filter(Boolean).join(' ')
  const ratio =
    `${r.ratio.toFixed(2)}×` +
    (r.kind === 'rate' ? ' as fast' : '') +
    (many ? ` (${r.ratioMin.toFixed(2)}–${r.ratioMax.toFixed(2)})` : '')
  let met = '—'
  if (!r.anchor && r.goal) met = `${r.met ? 'yes' : 'no'} (${r.runsMet}/${r.ok} runs)`
  if (r.errors.length > 0) met += `; error in ${r.errors.length}/${r.runs} runs: ${r.errors[0]}`
  return {
    scenario: r.scenario,
    'ipc-main': fig(r.ours, r.oursSpread, r.oursP99),
    'Node built-in': fig(r.base, r.baseSpread, r.baseP99),
    unit: r.unit,
    ratio,
    goal: goalText(r),
    met,
    cpu,
  }
}

/** A Markdown table from an array of objects with the same keys. */
function markdownTable(objects) {
  const cols = Object.keys(objects[0])
  const esc = (v) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ')
  const lines = [`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`]
  for (const o of objects) lines.push(`| ${cols.map((c) => esc(o[c])).join(' | ')} |`)
  return lines.join('\n')
}

/** The results table (Markdown) for aggregated rows. */
function resultsTable(rows) {
  return markdownTable(rows.map(cells))
}

/** Each run's figures, for readers who want to see the modes (Markdown). */
function perRunTable(rows) {
  return markdownTable(
    rows.map((r) => ({
      scenario: r.scenario,
      'ratio per run': r.ok ? r.perRun.map((p) => p.ratio.toFixed(2)).join(', ') : 'ERROR',
      'ipc-main per run': r.ok ? r.perRun.map((p) => num(p.ours)).join(', ') : '',
      'built-in per run': r.ok ? r.perRun.map((p) => num(p.base)).join(', ') : '',
      unit: r.unit ?? '',
    })),
  )
}

function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0]
  } catch {
    return 'unknown'
  }
}

/** The machine a run is on: CPU model, cores, kernel, Node, rustc, load. */
function machine() {
  let model = os.cpus()[0]?.model ?? 'unknown CPU'
  let processors = os.cpus().length
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8')
    const m = /^model name\s*:\s*(.+)$/m.exec(info)
    if (m) model = m[1].trim()
    processors = (info.match(/^processor\s*:/gm) ?? []).length || processors
  } catch {
    // not Linux: os.cpus() is what there is
  }
  return {
    cpu: model,
    cores: processors,
    available: os.availableParallelism ? os.availableParallelism() : processors,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    rustc: firstLine('rustc', ['--version']),
  }
}

/** The commit of the tree being measured, with "+ uncommitted changes" when dirty. */
function commit(dir) {
  const head = firstLine('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'])
  if (head === 'unknown') return head
  let dirty = false
  try {
    const status = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' })
    dirty = status.trim() !== ''
  } catch {
    // leave it
  }
  return dirty ? `${head} + uncommitted changes` : head
}

/**
 * Replaces what lies between START and END in `text` with `body`. When the
 * markers are missing, `fallback(text, block)` says where the block goes.
 */
function replaceBetween(text, body, fallback) {
  const block = `${START}\n${body.trim()}\n${END}`
  const a = text.indexOf(START)
  const b = text.indexOf(END)
  if (a !== -1 && b > a) return text.slice(0, a) + block + text.slice(b + END.length)
  return fallback(text, block)
}

/** Inserts `block` under the `## heading` of `text` (or appends it with that heading). */
function underHeading(heading) {
  return (text, block) => {
    const re = new RegExp(`^## ${heading}\\s*$`, 'm')
    const m = re.exec(text)
    if (!m) return `${text.trimEnd()}\n\n## ${heading}\n\n${block}\n`
    const at = m.index + m[0].length
    return `${text.slice(0, at)}\n\n${block}\n${text.slice(at)}`
  }
}

module.exports = {
  START,
  END,
  runTree,
  runOnce,
  aggregate,
  cells,
  resultsTable,
  perRunTable,
  markdownTable,
  machine,
  commit,
  replaceBetween,
  underHeading,
  num,
}
