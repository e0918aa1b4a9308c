'use strict'

// Process-level robustness, each case in a child process (API.md §5 "a
// listener that throws stops the later levels (the error is reported, not
// lost)", §6 "No JavaScript error ... may crash the process or leave it
// hanging at exit"; research §3.1 step 6).

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const { SUITE } = require('./helpers')

const fixture = path.join(__dirname, 'fixtures', 'throwing-listeners.js')

/** Runs the fixture in `mode`; asserts it exited by itself with code 0 and returns its report. */
function run(mode) {
  const res = spawnSync(process.execPath, [fixture, mode], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(res.error, undefined, `the child exited by itself within the time limit (stderr: ${res.stderr})`)
  assert.equal(res.signal, null, res.stderr)
  assert.equal(res.status, 0, res.stderr)
  const lines = res.stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1])
}

describe('a listener that throws while a renderer message is delivered', SUITE, () => {
  it("is reported to process 'uncaughtException', and later messages are still delivered", () => {
    const report = run('hub')
    assert.deepEqual(report.errors, ['listener failed', 'listener failed'])
    assert.deepEqual(report.after, [1, 2, 3])
  })

  it('stops the later listeners of the same emitter, as EventEmitter#emit does', () => {
    const report = run('hub')
    assert.deepEqual(report.calls, ['first hub listener', 'first hub listener'])
  })

  it('behaves the same on the global ipcMain with the default ipcRenderer', () => {
    const report = run('global')
    assert.deepEqual(report.errors, ['listener failed', 'listener failed'])
    assert.deepEqual(report.calls, ['first hub listener', 'first hub listener'])
    assert.deepEqual(report.after, [1, 2, 3])
  })

  it("at the 'ipc-message' level stops the later levels (wc.ipc and the hub are not called)", () => {
    const report = run('ipc-message')
    assert.deepEqual(report.errors, ['ipc-message failed', 'ipc-message failed'])
    assert.deepEqual(report.calls, ['ipc-message', 'ipc-message'])
    assert.deepEqual(report.after, [1, 2, 3])
  })

  it('at the wc.ipc level stops the hub level', () => {
    const report = run('wc.ipc')
    assert.deepEqual(report.errors, ['wc.ipc failed', 'wc.ipc failed'])
    assert.deepEqual(report.calls, ['wc.ipc', 'wc.ipc'])
    assert.deepEqual(report.after, [1, 2, 3])
  })

  it('in a renderer, for a message from main, is reported and later messages are still delivered', () => {
    const report = run('renderer')
    assert.deepEqual(report.errors, ['renderer listener failed', 'renderer listener failed'])
    assert.deepEqual(report.after, [1, 2, 3])
  })

  it('during an in-process sendSync is reported once, stops later listeners, and later messages are delivered', () => {
    const report = run('sync')
    // Whether the inline sendSync throws or returns is not in the contract;
    // the error must be reported exactly once either way.
    const reported = [...report.errors]
    if (report.sendSyncThrew !== undefined) reported.push(report.sendSyncThrew)
    assert.deepEqual(reported, ['sync listener failed'])
    assert.deepEqual(report.calls, ['sync listener'])
    assert.deepEqual(report.after, [1, 2, 3])
  })
})
