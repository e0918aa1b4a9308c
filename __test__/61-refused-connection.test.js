'use strict'

// A refused connection never throws from the `ipcRenderer` getter (API.md
// §4): a process started with a wrong IPC_MAIN_TOKEN, or whose main is not
// there, gets a disconnected renderer. Each case runs as a child process in
// its own process group.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const os = require('node:os')

const { IpcMain } = require('..')
const { SUITE } = require('./helpers')
const { runInGroup } = require('./process-group')

const ROOT = path.join(__dirname, '..')

/**
 * What the child checks, right after reading ipcRenderer: it adds its
 * 'disconnected' listener at once, then reports one JSON line.
 */
const probe = (load) => `
  ${load}
  const report = { disconnected: 0 }
  ipcRenderer.on('disconnected', () => report.disconnected++)
  try { report.send = String(ipcRenderer.send('ch', 1)) } catch (err) { report.send = 'threw ' + err.code }
  try { ipcRenderer.sendSync('ch', 1); report.sendSync = 'returned' } catch (err) { report.sendSync = err.code; report.syncMessage = err.message }
  ipcRenderer.invoke('ch', 1).then(
    () => { report.invoke = 'resolved' },
    (err) => { report.invoke = err.code },
  ).then(() => setImmediate(() => console.log(JSON.stringify(report))))
`

const CJS = `const { ipcRenderer } = require(${JSON.stringify(ROOT)})`

/** Runs `args` with IPC_MAIN_ADDRESS/TOKEN set; resolves with its report and output. */
async function refused(t, args, { address, token }) {
  const env = { ...process.env, IPC_MAIN_ADDRESS: address, IPC_MAIN_TOKEN: token }
  delete env.IPC_MAIN_NONCE
  delete env.NODE_TEST_CONTEXT
  const run = runInGroup(t, args, { env })
  const done = await run.exit
  assert.deepEqual({ code: done.code, signal: done.signal }, { code: 0, signal: null }, done.stderr)
  const lines = done.stderr.split('\n').filter((l) => l !== '')
  return { report: JSON.parse(done.stdout), lines }
}

describe('the default ipcRenderer when the connection is refused', SUITE, () => {
  it('a wrong IPC_MAIN_TOKEN: a disconnected renderer; sendSync/invoke fail with IPC_AUTH_FAILED, send is a no-op', { timeout: 60_000 }, async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const heard = []
    hub.on('ch', () => heard.push('ch'))
    t.mock.method(console, 'error', () => {})
    const { address } = await hub.listen()
    const { report, lines } = await refused(t, ['-e', probe(CJS)], { address, token: 'wrong' })
    assert.deepEqual(
      { ...report, syncMessage: undefined },
      { disconnected: 1, send: 'undefined', sendSync: 'IPC_AUTH_FAILED', invoke: 'IPC_AUTH_FAILED', syncMessage: undefined },
    )
    assert.match(report.syncMessage, /refused the token/)
    assert.equal(lines.length, 1, lines.join('\n'))
    assert.match(lines[0], /^ipc-main: .*refused the token/)
    assert.deepEqual(heard, [])
  })

  it('no main at IPC_MAIN_ADDRESS: the same, with IPC_DISCONNECTED', { timeout: 60_000 }, async (t) => {
    const address = path.join(os.tmpdir(), `ipc-main-nobody-${process.pid}`, 'ipc.sock')
    const { report, lines } = await refused(t, ['-e', probe(CJS)], { address, token: 'x' })
    assert.deepEqual(
      { ...report, syncMessage: undefined },
      { disconnected: 1, send: 'undefined', sendSync: 'IPC_DISCONNECTED', invoke: 'IPC_DISCONNECTED', syncMessage: undefined },
    )
    assert.equal(lines.length, 1, lines.join('\n'))
    assert.match(lines[0], /^ipc-main: .*ENOENT/)
  })

  it('the ESM entry: import { ipcRenderer } does not throw either', { timeout: 60_000 }, async (t) => {
    const address = path.join(os.tmpdir(), `ipc-main-nobody-${process.pid}`, 'ipc.sock')
    const load = `import { ipcRenderer } from ${JSON.stringify(require('node:url').pathToFileURL(path.join(ROOT, 'index.mjs')).href)}`
    const { report, lines } = await refused(t, ['--input-type=module', '-e', probe(load)], { address, token: 'x' })
    assert.equal(report.disconnected, 1)
    assert.equal(report.invoke, 'IPC_DISCONNECTED')
    assert.equal(lines.length, 1, lines.join('\n'))
  })
})
