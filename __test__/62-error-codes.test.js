'use strict'

// One error path with the API's codes (docs/api.md "Error codes"): a
// failure of the native layer reaches JS with the code the docs list for
// it, on every path (a thrown napi error, a connect()'s rejection, a
// listen() failure), and the docs list every code the sources raise.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

const { IpcMain, connect } = require('..')
const { SUITE } = require('./helpers')

const ROOT = path.join(__dirname, '..')

async function listening(t, options) {
  const hub = new IpcMain()
  t.after(() => hub.close())
  const { address, token } = await hub.listen(options)
  return { hub, address, token }
}

describe('error codes from the native layer', SUITE, () => {
  it("a message over main's maxFrameSize: send and invoke fail with IPC_FRAME_TOO_LARGE, nothing is sent", async (t) => {
    const { hub, address, token } = await listening(t, { maxFrameSize: 1024 })
    const heard = []
    hub.on('big', () => heard.push('big'))
    hub.handle('big', () => 'answered')
    hub.on('small', () => heard.push('small'))
    const r = await connect(address, { token })
    t.after(() => r.close())
    const big = 'x'.repeat(5000)
    const tooLarge = { code: 'IPC_FRAME_TOO_LARGE', message: /^Frame of \d+ bytes exceeds the limit of 1024 bytes$/ }
    assert.throws(() => r.send('big', big), tooLarge)
    await assert.rejects(r.invoke('big', big), tooLarge)
    // The renderer is still connected and nothing of the refused ones arrived.
    const arrived = new Promise((resolve) => hub.once('small', resolve))
    r.send('small')
    await arrived
    assert.deepEqual(heard, ['small'])
    assert.equal(await r.invoke('big', 'ok'), 'answered')
  })

  it('a sendSync over the limit from a worker: IPC_FRAME_TOO_LARGE (the in-process limit is 4 GiB: checked on a socket)', async (t) => {
    const { hub, address, token } = await listening(t, { maxFrameSize: 1024 })
    const wc = await hub.spawnWorker(path.join(__dirname, 'fixtures', 'agent.js'))
    t.after(() => wc.worker.terminate())
    const { agentOf } = require('./helpers')
    const result = await agentOf(wc).run(
      async ({ require }, address, token) => {
        const r = await require('ipc-main').connect(address, { token })
        try {
          r.sendSync('big', 'x'.repeat(5000))
          return 'returned'
        } catch (err) {
          return err.code
        } finally {
          r.close()
        }
      },
      address,
      token,
    )
    assert.equal(result, 'IPC_FRAME_TOO_LARGE')
  })

  it("connect() with a wrong token: IPC_AUTH_FAILED, 'ipc-main: the main process refused the token'", async (t) => {
    const { address } = await listening(t)
    t.mock.method(console, 'error', () => {})
    await assert.rejects(connect(address, { token: 'bad' }), {
      code: 'IPC_AUTH_FAILED',
      message: 'ipc-main: the main process refused the token',
      address,
    })
  })

  it('connect() to nothing: Node\'s ENOENT, as net says it', async () => {
    const address = path.join(os.tmpdir(), `ipc-main-nothing-${process.pid}.sock`)
    await assert.rejects(connect(address, { token: 'x' }), { code: 'ENOENT', message: `connect ENOENT ${address}`, address })
  })

  it('connect() to a socket that is not an ipc-main hub: IPC_PROTOCOL', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-proto-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const address = path.join(dir, 'other.sock')
    const server = net.createServer((s) => s.end())
    await new Promise((resolve) => server.listen(address, resolve))
    t.after(() => server.close())
    await assert.rejects(connect(address, { token: 'x', timeout: 5000 }), { code: 'IPC_PROTOCOL', message: /^ipc-main: / })
  })

  it('listen() on a path in use: EADDRINUSE, with the address', async (t) => {
    const { address } = await listening(t)
    const other = new IpcMain()
    t.after(() => other.close())
    await assert.rejects(other.listen({ path: address }), {
      code: 'EADDRINUSE',
      message: new RegExp(`^listen EADDRINUSE ${address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
      address,
    })
  })
})

describe('docs/api.md lists every code', () => {
  const docs = fs.readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8')
  const section = docs.slice(docs.indexOf('## Error codes'), docs.indexOf('\n## ', docs.indexOf('## Error codes') + 1))

  /** Every `IPC_*` / `ERR_*` / `ABORT_ERR` code string in the given source files. */
  function codesIn(files) {
    const codes = new Set()
    for (const f of files) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/['"`]((?:IPC|ERR)_[A-Z_]+|ABORT_ERR)['"`]/g)) codes.add(m[1])
    }
    codes.delete('ERR_REQUIRE_ESM') // Node's, tested for, never raised
    // IPC_MAIN_* are environment variables (IPC_MAIN_DOORBELL, ...), not codes.
    return [...codes].filter((c) => !c.startsWith('IPC_MAIN_')).sort()
  }
  const walk = (dir, ext) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name), ext) : e.name.endsWith(ext) ? [path.join(dir, e.name)] : [],
    )

  it('the "Error codes" section exists', () => {
    assert.ok(section.startsWith('## Error codes'), 'docs/api.md has an "Error codes" section')
  })

  it('every code src/ (IpcError::code) and lib/ raise is in it', () => {
    const files = [...walk(path.join(ROOT, 'src'), '.rs'), ...walk(path.join(ROOT, 'lib'), '.js'), path.join(ROOT, 'index.js')]
    const codes = codesIn(files)
    assert.ok(codes.includes('IPC_FRAME_TOO_LARGE') && codes.includes('IPC_DISCONNECTED'), codes.join())
    const missing = codes.filter((c) => !section.includes(`\`${c}\``))
    assert.deepEqual(missing, [])
  })
})
