'use strict'

// `npm run stress`: the reliability cases of issue 12, each in a fresh
// process of its own process group (detached), killed as a group when the
// case ends, pass or fail, and bounded in time. A case prints one
// STRESS-RESULT line (see common.js) and must then end by itself: one that
// hangs at exit fails. Prints a figure per case; the last line is
// `N passed, N failed`.
//
//   STRESS_SCALE=0.01 npm run stress        sizes × 0.01 (to develop)
//   npm run stress -- mixed fork-fds        only these cases
//   STRESS_JSON=out.json npm run stress     also write the results as JSON
//   STRESS_TIME_SCALE=2 npm run stress      every time bound × 2

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { RESULT, SCALE } = require('./common')

const TIME_SCALE = Number(process.env.STRESS_TIME_SCALE ?? 1)

/** name, script (stress/cases/), arguments, time bound at full size (s). */
const CASES = [
  { name: 'mixed', script: 'mixed.js', bound: 300, what: '8 renderers (4 workers, 4 children) × 100 k mixed send/invoke/sendSync' },
  { name: 'kill-child', script: 'kill-child.js', bound: 120, what: 'SIGKILL of a child mid-invoke' },
  { name: 'kill-main', script: 'kill-main.js', bound: 120, what: 'SIGKILL of main mid-burst' },
  { name: 'worker-rss', script: 'worker-rss.js', bound: 300, what: '10 M small messages from a worker, main RSS each second' },
  { name: 'fork-fds', script: 'fork-fds.js', bound: 600, what: '300 fork → invoke → exit cycles, main fd count' },
  { name: 'terminate-sync', script: 'terminate-sync.js', bound: 180, what: '200 workers terminated mid-sendSync' },
  { name: 'worker-flood', script: 'worker-flood.js', args: ['ipc'], bound: 120, what: '1 GiB of 64 KiB worker sends, main blocked 5 s' },
  {
    name: 'worker-flood-postmessage',
    script: 'worker-flood.js',
    args: ['postMessage'],
    bound: 120,
    what: 'baseline: the same flood through parentPort.postMessage',
  },
]

/** Once the result line is printed, the case has this long to end by itself. */
const EXIT_GRACE_MS = 15_000

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** Runs one case; resolves with `{ name, ok, figure, failures, ms }`. */
function runOne(c) {
  const started = Date.now()
  const bound = Math.max(30, c.bound * Math.min(1, SCALE * 2)) * 1000 * TIME_SCALE
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'cases', c.script), ...(c.args ?? [])], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    })
    let out = ''
    let err = ''
    let result = null
    let why = null
    let grace = null
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (result === null) {
        const line = out.split('\n').find((l) => l.startsWith(RESULT))
        if (line !== undefined) {
          result = JSON.parse(line.slice(RESULT.length))
          grace = setTimeout(() => {
            why = `printed its result but did not exit within ${EXIT_GRACE_MS / 1000} s (something keeps it alive)`
            killGroup(child.pid)
          }, EXIT_GRACE_MS)
        }
      }
    })
    child.stderr.on('data', (chunk) => {
      err += chunk
      if (err.length > 1 << 20) err = err.slice(-(1 << 19))
    })
    const timer = setTimeout(() => {
      why = `timed out after ${(bound / 1000).toFixed(0)} s`
      killGroup(child.pid)
    }, bound)
    let exit = null
    child.once('exit', (code, signal) => {
      exit = { code, signal }
      clearTimeout(timer)
      clearTimeout(grace)
      // Whatever the case started (children, grandchildren) goes with it;
      // then its pipes close and 'close' has every line it printed.
      killGroup(child.pid)
    })
    child.once('close', () => {
      const { code, signal } = exit
      const ms = Date.now() - started
      const failures = []
      if (why) failures.push(why)
      if (result === null) failures.push(`no result line (exit ${signal ?? code})`)
      else failures.push(...result.failures)
      if (result !== null && result.ok && (code !== 0 || signal !== null) && !why) {
        failures.push(`exited with ${signal ?? `code ${code}`} after its result`)
      }
      const tail = err.trim().split('\n').slice(-25).join('\n')
      resolve({ name: c.name, what: c.what, ok: failures.length === 0, figure: result?.figure ?? '', failures, ms, stderr: tail, result })
    })
  })
}

async function main() {
  const only = process.argv.slice(2)
  const unknown = only.filter((n) => !CASES.some((c) => c.name === n))
  if (unknown.length > 0) {
    console.error(`unknown case(s): ${unknown.join(', ')}; known: ${CASES.map((c) => c.name).join(', ')}`)
    process.exitCode = 2
    return
  }
  const cpus = os.cpus()
  console.log(`ipc-main stress: scale ${SCALE}, ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  const results = []
  for (const c of CASES) {
    if (only.length > 0 && !only.includes(c.name)) continue
    const r = await runOne(c)
    results.push(r)
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${c.name} (${(r.ms / 1000).toFixed(1)} s): ${r.figure}`)
    for (const f of r.failures) console.log(`     ${f.split('\n').join('\n     ')}`)
    if (!r.ok && r.stderr) console.log(`     stderr:\n       ${r.stderr.split('\n').join('\n       ')}`)
  }
  if (process.env.STRESS_JSON) {
    fs.writeFileSync(process.env.STRESS_JSON, `${JSON.stringify({ scale: SCALE, cpu: cpus[0]?.model, cores: cpus.length, node: process.version, results }, null, 2)}\n`)
  }
  const passed = results.filter((r) => r.ok).length
  const failed = results.length - passed
  if (failed > 0) process.exitCode = 1
  console.log(`${passed} passed, ${failed} failed`)
}

main()
