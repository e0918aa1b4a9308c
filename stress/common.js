'use strict'

// Shared by the stress cases (stress/cases/*.js): sizes scaled by
// STRESS_SCALE, the result line the runner reads, and what a case measures
// of its own process (RSS, peak RSS, open descriptors) from /proc.

const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const FIXTURES = path.join(__dirname, 'fixtures')

/** Multiplies every size (message counts, cycles, bytes); 1 is the full suite. */
const SCALE = Number(process.env.STRESS_SCALE ?? 1)
if (!(SCALE > 0)) throw new RangeError(`STRESS_SCALE must be a positive number, got ${process.env.STRESS_SCALE}`)

/** `n` scaled by STRESS_SCALE, at least `min`. */
function scaled(n, min = 1) {
  return Math.max(min, Math.round(n * SCALE))
}

/** The prefix of the one line a case prints for the runner. */
const RESULT = 'STRESS-RESULT '

/**
 * Runs a case: `fn` resolves with `{ figure, failures }` (failures: strings,
 * none means passed) and may add more fields for the runner's JSON. A throw
 * fails the case. The process is not ended here: a case must end by itself,
 * and the runner fails one that does not.
 */
function runCase(fn) {
  Promise.resolve()
    .then(fn)
    .then(
      ({ figure, failures = [], ...rest }) => {
        process.stdout.write(`${RESULT}${JSON.stringify({ ok: failures.length === 0, figure, failures, ...rest })}\n`)
        if (failures.length > 0) process.exitCode = 1
      },
      (err) => {
        process.stdout.write(`${RESULT}${JSON.stringify({ ok: false, figure: '', failures: [String((err && err.stack) || err)] })}\n`)
        process.exitCode = 1
      },
    )
}

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM), or NaN. */
function statusBytes(field, pid = 'self') {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
  return m ? Number(m[1]) * 1024 : NaN
}

const rss = (pid) => statusBytes('VmRSS', pid)
const peakRss = (pid) => statusBytes('VmHWM', pid)

/** This process's open descriptors: `{ count, targets }` (readlink of each). */
function openFds() {
  const targets = []
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      targets.push(`${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`)
    } catch {
      // the descriptor readdir itself used, closed by now
    }
  }
  return { count: targets.length, targets }
}

const MB = (bytes) => `${(bytes / 1048576).toFixed(0)} MB`
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`

/** mulberry32: a small deterministic PRNG in [0, 1), so a failing run can be replayed. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** Resolves with the arguments of the next `name` event of `emitter`. */
function once(emitter, name) {
  return new Promise((resolve) => emitter.once(name, (...args) => resolve(args)))
}

/** Runs `fn(i)` for i in [0, n), at most `lanes` at a time. */
async function inLanes(n, lanes, fn) {
  let next = 0
  async function lane() {
    while (next < n) await fn(next++)
  }
  await Promise.all(Array.from({ length: Math.min(lanes, n) }, lane))
}

module.exports = { ROOT, FIXTURES, SCALE, scaled, RESULT, runCase, rss, peakRss, openFds, MB, seconds, random, once, inLanes }
