'use strict'

// Runs a script as a child process in its own process group, which the test
// kills (SIGKILL to the whole group) when it ends, pass or fail, so nothing
// it started outlives the test. Not a test file itself.

const fs = require('node:fs')
const { spawn } = require('node:child_process')

/**
 * Starts `process.execPath` with `args`, detached (its own process group).
 * `stdout` lines are collected; `line(re)` resolves with the first one that
 * matches (or rejects when the process exits first); `exit` resolves with
 * `{ code, signal, stdout, stderr }`.
 * @param {import('node:test').TestContext} t
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [options]
 */
function runInGroup(t, args, options = {}) {
  const env = { ...(options.env ?? process.env) }
  // A test runner started under a main must not hand its address on.
  if (options.env === undefined) {
    delete env.IPC_MAIN_ADDRESS
    delete env.IPC_MAIN_TOKEN
    delete env.IPC_MAIN_NONCE
  }
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const pgid = child.pid
  t.after(() => killGroup(pgid))
  let stdout = ''
  let stderr = ''
  const waiters = []
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (chunk) => {
    stdout += chunk
    for (const w of [...waiters]) w.check()
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exit = new Promise((resolve) => {
    child.once('close', (code, signal) => {
      for (const w of [...waiters]) w.fail()
      resolve({ code, signal, stdout, stderr })
    })
  })
  let closed = false
  exit.then(() => (closed = true))
  /** The first stdout line matching `re` (as a match array). */
  const line = (re) =>
    new Promise((resolve, reject) => {
      const w = {
        check() {
          for (const l of stdout.split('\n')) {
            const m = re.exec(l)
            if (m !== null) {
              waiters.splice(waiters.indexOf(w), 1)
              resolve(m)
              return true
            }
          }
          return false
        },
        fail() {
          waiters.splice(waiters.indexOf(w), 1)
          reject(new Error(`exited without printing ${re}; stdout: ${stdout}; stderr: ${stderr}`))
        },
      }
      if (w.check()) return
      if (closed) {
        reject(new Error(`exited without printing ${re}; stdout: ${stdout}; stderr: ${stderr}`))
        return
      }
      waiters.push(w)
    })
  return { child, pgid, line, exit, output: () => ({ stdout, stderr }) }
}

/** SIGKILL to every process of group `pgid` (gone already is fine). */
function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch (err) {
    if (err.code !== 'ESRCH') throw err
  }
}

/** How many processes are in process group `pgid` now (Linux: from /proc). */
function groupSize(pgid) {
  let n = 0
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) === pgid) n++
  }
  return n
}

module.exports = { runInGroup, killGroup, groupSize }
