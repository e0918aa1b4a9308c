'use strict'

// Nothing hangs at exit or on teardown, and teardown never crashes main
// (API.md §6: "No JavaScript error, bad argument, dead peer or Rust panic
// may crash the process or leave it hanging at exit"). Each scenario runs
// in a child process (fixtures/teardown.js) in its own process group: a
// hang fails the case at the bound below instead of hanging the run, and
// the group is killed when the case ends, pass or fail.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { spawn } = require('node:child_process')

const FIXTURE = path.join(__dirname, 'fixtures', 'teardown.js')
/** What a scenario may take before it counts as hung (a loaded machine is slow). */
const BOUND_MS = 60_000

const childEnv = { ...process.env }
for (const name of ['IPC_MAIN_ADDRESS', 'IPC_MAIN_TOKEN', 'IPC_MAIN_NONCE', 'NODE_TEST_CONTEXT']) delete childEnv[name]

/**
 * Runs a scenario; resolves with `{ code, signal, lines, stderr }` once it
 * exits, or rejects if it has not ended within BOUND_MS.
 */
function scenario(t, ...args) {
  const child = spawn(process.execPath, [FIXTURE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv,
    detached: true,
  })
  t.after(() => {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      // The group is gone already.
    }
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} hung; printed ${stdout}${stderr}`)), BOUND_MS)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const lines = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
      resolve({ code, signal, lines, stderr })
    })
  })
}

describe('teardown', () => {
  it('process.exit() in main while a worker is blocked in sendSync exits at once', async (t) => {
    const r = await scenario(t, 'exit-while-blocked')
    assert.deepEqual(r.lines, [{ blocked: true }])
    assert.equal(r.signal, null)
    assert.equal(r.code, 0, r.stderr)
  })

  it('a worker owning a hub is terminated: a renderer blocked on it wakes with IPC_DISCONNECTED', async (t) => {
    const r = await scenario(t, 'owner-terminated')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.lines, [{ woke: 'IPC_DISCONNECTED' }])
  })

  it("sendSync through connect(hub.threadAddress) on the hub's own thread throws IPC_DEADLOCK", async (t) => {
    const r = await scenario(t, 'deadlock')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.lines.length, 1)
    assert.equal(r.lines[0].code, 'IPC_DEADLOCK')
    assert.match(r.lines[0].message, /sendSync\(\) to a main on this same thread would wait for ever/)
  })

  it('200 workers terminated in the middle of sendSync loops never crash main', async (t) => {
    const r = await scenario(t, 'terminate-cycles', '200')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.lines.length, 1)
    assert.equal(r.lines[0].cycles, 200)
  })
})
