'use strict'

// How long a main process lives, per script shape (API.md §6), and fork()
// from an inline (`node -e` / `node -p`) script. Every script runs as a
// child process in its own process group, killed when its test ends.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')

const { connect } = require('..')
const { SUITE } = require('./helpers')
const { runInGroup, groupSize } = require('./process-group')

const ROOT = path.join(__dirname, '..')
const EVAL_CHILD = path.join(__dirname, 'fixtures', 'eval-child.js')
const LIFETIME_MAIN = path.join(__dirname, 'fixtures', 'lifetime-main.js')
/** Each script shape gets this long to end (or to answer) before it fails. */
const SHAPE = { timeout: 60_000 }

/**
 * Inline code of a main that forks EVAL_CHILD and prints `RAN <json>` when
 * the child reports. Run again inside its own child (the fork bomb), it
 * says so and exits at once instead of forking further.
 */
const inlineMain = `
  if (process.env.IPC_MAIN_ADDRESS) { console.log('PARENT-CODE-IN-CHILD'); process.exit(7) }
  const { ipcMain } = require(${JSON.stringify(ROOT)})
  ipcMain.on('ran', (event, info) => console.log('RAN ' + JSON.stringify(info)))
  ipcMain.fork(${JSON.stringify(EVAL_CHILD)}).catch((err) => console.log('FORK-FAILED ' + err.message))
`

describe('IpcMain#fork() from an inline script', SUITE, () => {
  for (const [flag, code] of [
    ['-e', inlineMain],
    ['--eval', inlineMain],
    ['-p', `${inlineMain}; 'printed'`],
    ['--print', `${inlineMain}; 'printed'`],
  ]) {
    it(`under \`node ${flag}\`, the child runs the module, not the parent's code again`, async (t) => {
      const run = runInGroup(t, [flag, code])
      const [, json] = await run.line(/^RAN (.*)$/)
      // Parent and child, at most: no process forked the parent's code again.
      assert.ok(groupSize(run.pgid) <= 2, `${groupSize(run.pgid)} processes in the group`)
      const info = JSON.parse(json)
      assert.equal(info.file, EVAL_CHILD)
      assert.ok(!info.execArgv.includes(code), 'the inline code was not passed on')
      assert.doesNotMatch(run.output().stdout, /PARENT-CODE-IN-CHILD/)
    })
  }

  it('an explicit options.execArgv is passed on as given', async (t) => {
    const run = runInGroup(t, [
      '-e',
      inlineMain.replace(`.fork(${JSON.stringify(EVAL_CHILD)})`, `.fork(${JSON.stringify(EVAL_CHILD)}, [], { execArgv: ['--no-warnings'] })`),
    ])
    const [, json] = await run.line(/^RAN (.*)$/)
    assert.deepEqual(JSON.parse(json).execArgv.slice(0, 1), ['--no-warnings'])
  })
})

describe('process lifetime per script shape', SUITE, () => {
  it('a main whose only work is ipcMain.fork() exits by itself once the child ended and its destroyed fired', SHAPE, async (t) => {
    const run = runInGroup(t, [LIFETIME_MAIN, 'fork'])
    const { code, signal, stdout, stderr } = await run.exit
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr)
    assert.equal(stdout, 'hello true\ndestroyed\n')
  })

  it('a main that listen()s, then forks, keeps running after the child is gone (as a net.Server)', SHAPE, async (t) => {
    const run = runInGroup(t, [LIFETIME_MAIN, 'listen-fork'])
    const [, json] = await run.line(/^(\{.*\})$/)
    const { address, token } = JSON.parse(json)
    // Still up and serving: a new renderer gets an answer from it.
    const r = await connect(address, { token })
    t.after(() => r.close())
    await assert.rejects(r.invoke('nothing-here'), { message: /No handler registered for 'nothing-here'/ })
    assert.equal(run.child.exitCode, null)
  })

  it('a main that listen()s, forks, then close()s when the child is gone exits by itself', SHAPE, async (t) => {
    const run = runInGroup(t, [LIFETIME_MAIN, 'listen-fork-close'])
    const { code, signal, stdout, stderr } = await run.exit
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr)
    assert.equal(stdout, 'hello true\ndestroyed\nclosed\n')
  })

  it('a process given a wrong IPC_MAIN_TOKEN reads ipcRenderer without throwing, and exits by itself', SHAPE, async (t) => {
    const main = runInGroup(t, [LIFETIME_MAIN, 'listen-fork'])
    const [, json] = await main.line(/^(\{.*\})$/)
    const { address } = JSON.parse(json)
    const env = { ...process.env, IPC_MAIN_ADDRESS: address, IPC_MAIN_TOKEN: 'wrong' }
    delete env.IPC_MAIN_NONCE
    const code = `
      const { ipcRenderer } = require(${JSON.stringify(ROOT)})
      ipcRenderer.on('disconnected', () => console.log('disconnected'))
      console.log('read')
    `
    const run = runInGroup(t, ['-e', code], { env })
    const done = await run.exit
    assert.deepEqual({ code: done.code, signal: done.signal }, { code: 0, signal: null }, done.stderr)
    assert.equal(done.stdout, 'read\ndisconnected\n')
    assert.match(done.stderr, /^ipc-main: /)
  })
})
