'use strict'

// Logging never takes a connection down (API.md §6: a malformed frame
// "closes that one connection with a logged error; main and other renderers
// go on"), with main's stderr a full non-blocking pipe, as under a
// supervisor or `| tee` that stopped reading: every log line then fails
// with EAGAIN. Refusals, malformed frames and dropped renderers must still
// close the socket (seen from the peer: 'close'), detach the renderer and
// emit 'destroyed'; hundreds of unauthenticated connections must neither
// block a real renderer nor keep descriptors in main.
//
// Main is fixtures/full-stderr-main.js in its own process group, run as
// `node main 2>&1 >&3 | sleep`: nobody reads its stderr, its reports come
// as JSON lines on fd 3. Every wait is for an event (a frame, a 'close', a
// report) or for /proc to show the descriptors gone; the suite's timeout
// bounds them.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const readline = require('node:readline')
const { spawn } = require('node:child_process')
const { setTimeout: sleep } = require('node:timers/promises')

const MAIN = path.join(__dirname, 'fixtures', 'full-stderr-main.js')
const KIND = { SEND: 1, INVOKE: 3, CONNECT: 4, MESSAGE: 16, RESULT_OK: 17, CLOSED: 21 }

const childEnv = { ...process.env }
for (const name of ['IPC_MAIN_ADDRESS', 'IPC_MAIN_TOKEN', 'IPC_MAIN_NONCE', 'IPC_MAIN_DEBUG', 'DEBUG', 'NODE_TEST_CONTEXT']) {
  delete childEnv[name]
}

/** One frame in src/wire.rs's layout, JSON payload. */
function frame(kind, { channel = '', payload = '', request = 0 } = {}) {
  const ch = Buffer.from(channel)
  const pl = Buffer.from(payload)
  const b = Buffer.alloc(20 + ch.length + pl.length)
  b.writeUInt32LE(16 + ch.length + pl.length, 0)
  b[4] = kind
  b[5] = 1
  b.writeUInt32LE(request, 12)
  b.writeUInt32LE(ch.length, 16)
  ch.copy(b, 20)
  pl.copy(b, 20 + ch.length)
  return b
}

const hello = (token) => frame(KIND.CONNECT, { payload: JSON.stringify({ v: 1, token, pid: process.pid, url: '' }) })

/** A hand-made peer: the frames main sent, and whether the socket closed. */
class Raw {
  constructor(address) {
    this.socket = net.connect(address)
    this.frames = []
    this.buf = Buffer.alloc(0)
    this.waiters = new Set()
    this.closed = new Promise((resolve) => this.socket.once('close', resolve))
    this.socket.on('error', () => {})
    this.socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk])
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32LE(0)) {
        const total = 4 + this.buf.readUInt32LE(0)
        const b = this.buf.subarray(0, total)
        const chLen = b.readUInt32LE(16)
        this.frames.push({ kind: b[4], request: b.readUInt32LE(12), payload: b.subarray(20 + chLen).toString() })
        this.buf = this.buf.subarray(total)
      }
      for (const w of [...this.waiters]) w()
    })
  }

  write(bytes) {
    this.socket.write(bytes)
  }

  /** The first frame of `kind` from main (rejects if the socket closes first). */
  frame(kind) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const f = this.frames.find((x) => x.kind === kind)
        if (f !== undefined) {
          this.waiters.delete(check)
          resolve(f)
        }
      }
      this.waiters.add(check)
      check()
      this.closed.then(() => {
        check()
        reject(new Error(`the connection closed before a frame of kind ${kind}`))
      })
    })
  }

  /** Authenticates and says hello (main then reports its 'destroyed'); resolves with the id. */
  async join(token) {
    this.write(hello(token))
    const answer = JSON.parse((await this.frame(KIND.CONNECT)).payload)
    this.write(frame(KIND.SEND, { channel: 'hello', payload: '[]' }))
    return answer.id
  }
}

function fdCount(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length
}

describe('main with a full non-blocking stderr pipe', { timeout: 60_000 }, () => {
  let main
  let address
  let token
  let pid
  const reports = []
  const waiters = new Set()

  /** The first report matching `pred` (past or future). */
  function report(pred) {
    return new Promise((resolve) => {
      const check = () => {
        const r = reports.find(pred)
        if (r !== undefined) {
          waiters.delete(check)
          resolve(r)
        }
      }
      waiters.add(check)
      check()
    })
  }

  before(async () => {
    main = spawn('sh', ['-c', `"${process.execPath}" "${MAIN}" '{}' 2>&1 >&3 3>&- | sleep 100000`], {
      stdio: ['pipe', 'ignore', 'ignore', 'pipe'],
      env: childEnv,
      detached: true,
    })
    readline.createInterface({ input: main.stdio[3] }).on('line', (line) => {
      reports.push(JSON.parse(line))
      for (const w of [...waiters]) w()
    })
    const filled = await report((r) => r.ev === 'filled')
    assert.ok(filled.bytes > 0, 'the pipe took some bytes before it was full')
    ;({ address, token } = await report((r) => r.ev === 'listening'))
    pid = (await report((r) => r.ev === 'pid')).pid
  })

  after(() => {
    try {
      process.kill(-main.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  })

  it('closes a connection with a wrong token (the peer sees the refusal and close)', async () => {
    const raw = new Raw(address)
    raw.write(hello('not-the-token'))
    const refusal = await raw.frame(KIND.CLOSED)
    assert.equal(JSON.parse(refusal.payload).error, 'IPC_AUTH_FAILED')
    await raw.closed
  })

  it('closes a connection whose first length prefix is huge', async () => {
    const raw = new Raw(address)
    const prefix = Buffer.alloc(8)
    prefix.writeUInt32LE(0xffffffff, 0)
    raw.write(prefix)
    await raw.closed
  })

  it('closes, detaches and destroys a renderer that sends a malformed frame', async () => {
    const raw = new Raw(address)
    const id = await raw.join(token)
    await report((r) => r.ev === 'hello' && r.id === id)
    // MESSAGE is a kind only main sends.
    raw.write(frame(KIND.MESSAGE, { channel: 'x', payload: '[]' }))
    await raw.closed
    await report((r) => r.ev === 'destroyed' && r.id === id)
  })

  it('destroys a renderer that drops its connection in the middle of a frame', async () => {
    const raw = new Raw(address)
    const id = await raw.join(token)
    await report((r) => r.ev === 'hello' && r.id === id)
    raw.write(frame(KIND.SEND, { channel: 'x', payload: '[1,2,3]' }).subarray(0, 10))
    raw.socket.end()
    await report((r) => r.ev === 'destroyed' && r.id === id)
  })

  it('hundreds of unauthenticated connections neither block a renderer nor keep descriptors', async () => {
    const baseline = fdCount(pid)
    // Half of them send nothing (refused when the handshake time is up),
    // half a huge length prefix (refused at once).
    const idle = []
    const huge = []
    for (let i = 0; i < 150; i++) {
      idle.push(new Raw(address))
      const raw = new Raw(address)
      const prefix = Buffer.alloc(4)
      prefix.writeUInt32LE(0xfffffff0, 0)
      raw.write(prefix)
      huge.push(raw)
    }
    await Promise.all(huge.map((r) => r.closed))
    // A real renderer is served while the idle ones wait.
    const real = new Raw(address)
    const id = await real.join(token)
    real.write(frame(KIND.INVOKE, { channel: 'ping', payload: '[7]', request: 1 }))
    const answer = await real.frame(KIND.RESULT_OK)
    assert.deepEqual(JSON.parse(answer.payload), [{ pong: 7, id }])
    real.socket.end()
    await report((r) => r.ev === 'destroyed' && r.id === id)
    // Every idle connection is refused and closed by main, not by us.
    await Promise.all(idle.map((r) => r.closed))
    // Main's descriptors for them are gone (closing is asynchronous there:
    // look again until they are, bounded by the suite's timeout).
    while (fdCount(pid) > baseline) await sleep(20)
    assert.ok(!reports.some((r) => r.ev === 'uncaught'), 'main never threw')
  })
})
