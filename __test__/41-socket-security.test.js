'use strict'

// The socket transport's security and robustness contract (API.md §6):
// the token, the handshake, malformed, oversized and forbidden frames, the
// renderer id a peer cannot forge, the socket's file permissions, the
// process lifetime while listening, and argument checks.
//
// A raw client (node:net + the frame layout of src/wire.rs) plays a hostile
// or broken peer. Where main's stderr matters, main runs in a child process
// (fixtures/socket-main.js) that reports what its listeners saw as JSON lines
// on stdout. Nothing here asserts on timings: every wait is for an event
// (a frame, a closed socket, a reported event, a log line).

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')
const v8 = require('node:v8')
const { spawn } = require('node:child_process')
const { setTimeout: sleep } = require('node:timers/promises')

const { IpcMain, connect, webContents } = require('..')
const { SUITE, spy } = require('./helpers')

const fixture = (name) => path.join(__dirname, 'fixtures', name)
const MAIN = fixture('socket-main.js')
const LIFETIME = fixture('socket-lifetime.js')

const KIND = {
  SEND: 1,
  SEND_SYNC: 2,
  INVOKE: 3,
  CONNECT: 4,
  DISCONNECT: 5,
  MESSAGE: 16,
  RESULT_OK: 17,
  RESULT_ERR: 18,
  CLOSED: 21,
}
const CODEC = { NONE: 0, JSON: 1, V8: 2, LOCAL: 3 }

/** A child's environment without anything that would make it a renderer or chatty. */
const childEnv = { ...process.env }
for (const name of ['IPC_MAIN_ADDRESS', 'IPC_MAIN_TOKEN', 'IPC_MAIN_NONCE', 'IPC_MAIN_DEBUG', 'DEBUG', 'NODE_TEST_CONTEXT']) {
  delete childEnv[name]
}

// ------------------------------------------------------------------ frames

/** One encoded frame (src/wire.rs layout, little-endian). */
function frame(kind, { codec = CODEC.JSON, renderer = 0, request = 0, channel = '', payload = '' } = {}) {
  const ch = Buffer.isBuffer(channel) ? channel : Buffer.from(channel)
  const pl = Buffer.isBuffer(payload) ? payload : Buffer.from(payload)
  const b = Buffer.alloc(20 + ch.length + pl.length)
  b.writeUInt32LE(16 + ch.length + pl.length, 0)
  b[4] = kind
  b[5] = codec
  b.writeUInt16LE(0, 6)
  b.writeUInt32LE(renderer, 8)
  b.writeUInt32LE(request, 12)
  b.writeUInt32LE(ch.length, 16)
  ch.copy(b, 20)
  pl.copy(b, 20 + ch.length)
  return b
}

/** A CONNECT frame carrying `hello` as its JSON payload. */
const handshake = (hello) => frame(KIND.CONNECT, { payload: JSON.stringify(hello) })

/** A SEND frame on `channel` with JSON arguments `args`. */
const sendFrame = (channel, args, extra) => frame(KIND.SEND, { channel, payload: JSON.stringify(args), ...extra })

/** The value of a frame's payload. */
function payloadOf(f) {
  if (f.codec === CODEC.JSON) return JSON.parse(f.payload.toString('utf8'))
  if (f.codec === CODEC.V8) return v8.deserialize(f.payload)
  return undefined
}

// ----------------------------------------------------------------- waiting

/** Re-checks conditions whenever something happened. */
class Watch {
  constructor() {
    this.checks = new Set()
  }

  changed() {
    for (const check of [...this.checks]) check()
  }

  /**
   * Resolves with the first non-undefined value of `value()`; rejects as
   * soon as `failure()` returns a reason.
   */
  until(value, failure = () => undefined) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = value()
        if (v !== undefined) {
          this.checks.delete(check)
          resolve(v)
          return
        }
        const why = failure()
        if (why) {
          this.checks.delete(check)
          reject(new Error(why))
        }
      }
      this.checks.add(check)
      check()
    })
  }
}

// -------------------------------------------------------------- raw client

/** A hand-made socket peer: writes any bytes, parses what main sends. */
class Raw {
  constructor(address) {
    this.socket = net.connect(address)
    this.frames = []
    this.pending = Buffer.alloc(0)
    this.closed = false
    this.error = null
    this.id = undefined
    this.watch = new Watch()
    this.socket.on('data', (chunk) => {
      this.pending = Buffer.concat([this.pending, chunk])
      while (this.pending.length >= 4) {
        const total = 4 + this.pending.readUInt32LE(0)
        if (this.pending.length < total) break
        const b = this.pending.subarray(0, total)
        const channelLen = b.readUInt32LE(16)
        this.frames.push({
          kind: b[4],
          codec: b[5],
          renderer: b.readUInt32LE(8),
          request: b.readUInt32LE(12),
          channel: b.subarray(20, 20 + channelLen).toString('utf8'),
          payload: Buffer.from(b.subarray(20 + channelLen)),
        })
        this.pending = this.pending.subarray(total)
      }
      this.watch.changed()
    })
    // Writing to a connection main already closed: EPIPE / ECONNRESET.
    this.socket.on('error', (err) => {
      this.error = err
    })
    this.socket.on('close', () => {
      this.closed = true
      this.watch.changed()
    })
  }

  write(bytes) {
    if (!this.socket.destroyed) this.socket.write(bytes)
  }

  /** Resolves once connected at the socket level. */
  connected() {
    return new Promise((resolve, reject) => {
      if (!this.socket.connecting) return resolve()
      this.socket.once('connect', resolve)
      this.socket.once('error', reject)
    })
  }

  /** The first frame (from main) matching `pred`; rejects if the connection closes first. */
  frame(pred = () => true) {
    return this.watch.until(
      () => this.frames.find(pred),
      () => this.closed && 'the connection closed before the frame came',
    )
  }

  /** Resolves when the connection is closed (both ways). */
  whenClosed() {
    return this.watch.until(() => (this.closed ? true : undefined))
  }

  /** Sends a proper handshake; resolves with main's answer (`{ v, id, pid, maxFrame }`). */
  async handshake(token) {
    this.write(handshake({ v: 1, token, pid: process.pid, url: '' }))
    const f = await this.frame()
    assert.equal(f.kind, KIND.CONNECT, `main accepted the handshake (got ${f.payload})`)
    const answer = payloadOf(f)
    this.id = answer.id
    return answer
  }

  destroy() {
    this.socket.destroy()
  }
}

/**
 * Bytes that make main refuse a connection with a log line that is easy to
 * find: a handshake length prefix no other test uses (0x7E57AB1E).
 */
const SENTINEL_PREFIX = 0x7e57ab1e
const SENTINEL_TEXT = String(SENTINEL_PREFIX + 4)

// ------------------------------------------------------------ main process

/**
 * fixtures/socket-main.js in a child process: `events` are its JSON reports
 * (stdout), `logs` its stderr lines.
 */
class MainProcess {
  constructor(options = {}) {
    this.child = spawn(process.execPath, [MAIN, JSON.stringify(options)], { stdio: 'pipe', env: childEnv })
    this.events = []
    this.logs = []
    this.logCursor = 0
    this.gone = null
    this.watch = new Watch()
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.events.push(JSON.parse(line))
      this.watch.changed()
    })
    readline.createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.logs.push(line)
      this.watch.changed()
    })
    // 'close', not 'exit': every line it wrote has been read by then.
    this.child.on('close', (code, signal) => {
      this.gone = { code, signal }
      this.watch.changed()
    })
  }

  async start() {
    const { address, token } = await this.event((e) => e.ev === 'listening')
    this.address = address
    this.token = token
    return this
  }

  /** The first reported event from index `from` on that matches `pred`. */
  event(pred, from = 0) {
    return this.watch.until(
      () => this.events.slice(from).find(pred),
      () => this.gone && `main exited (${JSON.stringify(this.gone)}); stderr:\n${this.logs.join('\n')}`,
    )
  }

  /** Reported events from index `from` on that match `pred`. */
  eventsSince(from, pred) {
    return this.events.slice(from).filter(pred)
  }

  /**
   * The stderr lines main wrote since the last call, up to a sentinel
   * refusal made now: whatever main logged before the sentinel connection
   * was refused is in, nothing is waited for by time.
   */
  async newLogs() {
    const from = this.logCursor
    const raw = new Raw(this.address)
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32LE(SENTINEL_PREFIX, 0)
    raw.write(prefix)
    await raw.whenClosed()
    const at = await this.watch.until(
      () => {
        const i = this.logs.findIndex((line, i) => i >= from && line.includes(SENTINEL_TEXT))
        return i === -1 ? undefined : i
      },
      () => this.gone && `main exited (${JSON.stringify(this.gone)}); stderr:\n${this.logs.join('\n')}`,
    )
    this.logCursor = at + 1
    return this.logs.slice(from, at)
  }

  /** Ends its stdin (it closes its hub and exits by itself); resolves when it is gone. */
  async stop() {
    if (this.gone === null) {
      this.child.stdin.end()
      // Cleanup only: a main that does not exit must not hold the run.
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 10_000).unref()
      await this.watch.until(() => this.gone ?? undefined)
      clearTimeout(kill)
    }
  }
}

/** Asserts that `lines` is exactly one line of ours. */
function assertOneLogLine(lines, what) {
  assert.equal(lines.length, 1, `main logged exactly one line for ${what}; got:\n${lines.join('\n')}`)
  assert.match(lines[0], /^ipc-main: /)
}

/** A connect()ed renderer of `main`, with its WebContents id (closed after the test). */
async function renderer(main, t) {
  const r = await connect(main.address, { token: main.token })
  if (t) t.after(() => r.close())
  const { id } = await r.invoke('ping', 'id?')
  return { r, id }
}

/**
 * Main still serves: `r0` (connected before) invokes and sends, and a new
 * connect() invokes. Nothing on 'ch' came from renderer `rawId`.
 */
async function assertStillServing(main, r0, r0Id, from, rawId) {
  const marker = `still-${crypto.randomUUID()}`
  assert.deepEqual(await r0.invoke('ping', marker), { pong: marker, id: r0Id })
  r0.send('ch', marker)
  await main.event((e) => e.ev === 'ch' && e.args[0] === marker, from)
  const fresh = await connect(main.address, { token: main.token })
  try {
    const answer = await fresh.invoke('ping', 'fresh')
    assert.equal(answer.pong, 'fresh')
    assert.notEqual(answer.id, r0Id)
  } finally {
    fresh.close()
  }
  if (rawId !== undefined) {
    assert.deepEqual(
      main.eventsSince(from, (e) => e.ev === 'ch' && e.id === rawId),
      [],
      'no listener fired for the bad connection',
    )
  }
}

// ====================================================================== 1

describe('authentication: the token', SUITE, () => {
  let main
  let r0
  let r0Id

  before(async () => {
    main = await new MainProcess().start()
    const first = await renderer(main)
    r0 = first.r
    r0Id = first.id
  })
  after(async () => {
    r0?.close()
    await main?.stop()
  })

  it("connect() with a wrong token rejects with code 'IPC_AUTH_FAILED', logged, with no WebContents made", async () => {
    const count = await r0.invoke('count')
    const from = main.events.length
    await assert.rejects(connect(main.address, { token: 'wrong' }), { code: 'IPC_AUTH_FAILED' })
    assertOneLogLine(await main.newLogs(), 'a wrong token')
    assert.equal(await r0.invoke('count'), count, 'getAllWebContents() count unchanged')
    assert.deepEqual(main.eventsSince(from, (e) => e.ev !== 'ch' || e.id !== r0Id), [])
  })

  it("connect() with no token (none given, or undefined) rejects with code 'IPC_AUTH_FAILED', logged", async () => {
    const count = await r0.invoke('count')
    await assert.rejects(connect(main.address), { code: 'IPC_AUTH_FAILED' })
    assertOneLogLine(await main.newLogs(), 'connect(address)')
    await assert.rejects(connect(main.address, { token: undefined }), { code: 'IPC_AUTH_FAILED' })
    assertOneLogLine(await main.newLogs(), 'connect(address, { token: undefined })')
    assert.equal(await r0.invoke('count'), count)
  })

  const badTokens = [
    ['a wrong token of the right length', (token) => ({ token: token.slice(0, -1) + (token.endsWith('0') ? '1' : '0') })],
    ['the token less its last character', (token) => ({ token: token.slice(0, -1) })],
    ['the token with one more character', (token) => ({ token: token + '0' })],
    ['the token in upper case', (token) => ({ token: token.toUpperCase() })],
    ['an empty token', () => ({ token: '' })],
    ['no token field', () => ({})],
    ['a token that is not a string', () => ({ token: 12345 })],
    ['the token as an array', (token) => ({ token: [token] })],
  ]
  for (const [name, fields] of badTokens) {
    it(`a raw client with ${name} gets a CLOSED frame, its socket ends, nothing reaches a listener`, async () => {
      const count = await r0.invoke('count')
      const from = main.events.length
      const raw = new Raw(main.address)
      // The handshake, then frames that must never be looked at.
      raw.write(
        Buffer.concat([
          handshake({ v: 1, pid: process.pid, url: '', ...fields(main.token) }),
          frame(KIND.SEND, { codec: CODEC.NONE, channel: 'hello' }),
          sendFrame('ch', ['smuggled']),
          frame(KIND.INVOKE, { request: 1, channel: 'ping', payload: '["smuggled"]' }),
        ]),
      )
      await raw.whenClosed()
      assert.equal(raw.frames.length, 1, 'one frame: the refusal')
      assert.equal(raw.frames[0].kind, KIND.CLOSED)
      assert.equal(payloadOf(raw.frames[0]).error, 'IPC_AUTH_FAILED')
      assertOneLogLine(await main.newLogs(), name)
      // Nothing of it was delivered: the next 'ch' main sees is r0's marker.
      r0.send('ch', 'marker')
      await main.event((e) => e.ev === 'ch' && e.args[0] === 'marker', from)
      assert.deepEqual(main.eventsSince(from, () => true), [{ ev: 'ch', id: r0Id, args: ['marker'] }])
      assert.equal(await r0.invoke('count'), count, 'getAllWebContents() count unchanged')
    })
  }
})

// ====================================================================== 2

describe('the handshake: a first frame main cannot accept', SUITE, () => {
  let main

  before(async () => {
    main = await new MainProcess().start()
  })
  after(() => main?.stop())

  /** A connect() made now works (invoke a handler), and no listener saw anything since `from`. */
  async function assertConnectStillWorks(from) {
    const { r, id } = await renderer(main)
    try {
      assert.deepEqual(await r.invoke('ping', 'after'), { pong: 'after', id })
    } finally {
      r.close()
    }
    assert.deepEqual(main.eventsSince(from, (e) => e.ev === 'ch' || e.ev === 'hello'), [])
  }

  const cases = [
    ['garbage bytes', () => Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')],
    ['a length shorter than a header', () => Buffer.from([3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7])],
    ['a huge length prefix (0xFFFFFFF0) and nothing more', () => Buffer.from([0xf0, 0xff, 0xff, 0xff])],
    ['a first frame that is not CONNECT (a SEND)', () => sendFrame('ch', ['first'])],
    ['a first frame that is not CONNECT (an INVOKE)', () => frame(KIND.INVOKE, { request: 1, channel: 'ping', payload: '[1]' })],
    ['a CONNECT frame with codec 0', (token) => frame(KIND.CONNECT, { codec: 0, payload: JSON.stringify({ v: 1, token }) })],
    ['a CONNECT frame with codec 2', (token) => frame(KIND.CONNECT, { codec: 2, payload: v8.serialize({ v: 1, token }) })],
    ['a handshake that is not JSON', () => frame(KIND.CONNECT, { payload: '{"v":1,"token":' })],
    ['a handshake with "v": 2 (and the right token)', (token) => handshake({ v: 2, token, pid: process.pid, url: '' })],
    ['a handshake with no "v" (and the right token)', (token) => handshake({ token, pid: process.pid, url: '' })],
    ['a handshake with "v": "1" (and the right token)', (token) => handshake({ v: '1', token, pid: process.pid, url: '' })],
  ]
  for (const [name, bytes] of cases) {
    it(`${name}: main closes the connection, logs it, and goes on`, async () => {
      const from = main.events.length
      const raw = new Raw(main.address)
      raw.write(Buffer.concat([bytes(main.token), frame(KIND.SEND, { codec: CODEC.NONE, channel: 'hello' }), sendFrame('ch', ['x'])]))
      await raw.whenClosed()
      assert.ok(
        raw.frames.every((f) => f.kind === KIND.CLOSED),
        `no renderer id was handed out (got kinds ${raw.frames.map((f) => f.kind)})`,
      )
      assertOneLogLine(await main.newLogs(), name)
      await assertConnectStillWorks(from)
    })
  }

  it('a connection that says nothing does not hold up others, and is closed when it ends', async () => {
    const from = main.events.length
    const raw = new Raw(main.address)
    await raw.connected()
    // While it is silent, others connect and are served.
    await assertConnectStillWorks(from)
    raw.socket.end()
    await raw.whenClosed()
    assert.deepEqual(raw.frames, [])
    await main.newLogs()
    await assertConnectStillWorks(from)
  })

  it('a connection that ends without a handshake is logged', async () => {
    const raw = new Raw(main.address)
    await raw.connected()
    // Half-close: main sees the end and closes its side; whatever it logs
    // for this connection comes before our 'close'.
    raw.socket.end()
    await raw.whenClosed()
    assertOneLogLine(await main.newLogs(), 'a connection that ended silently')
  })

  it('a connection that ends in the middle of its handshake is logged', async () => {
    const raw = new Raw(main.address)
    raw.write(handshake({ v: 1, token: main.token, pid: process.pid, url: '' }).subarray(0, 30))
    raw.socket.end()
    await raw.whenClosed()
    assert.deepEqual(raw.frames, [])
    assertOneLogLine(await main.newLogs(), 'a handshake cut short')
  })
})

// ====================================================================== 3

describe('after the handshake: a frame main cannot accept', SUITE, () => {
  const MAX_FRAME = 4096
  let main
  let r0
  let r0Id

  before(async () => {
    main = await new MainProcess({ maxFrameSize: MAX_FRAME }).start()
    const first = await renderer(main)
    r0 = first.r
    r0Id = first.id
  })
  after(async () => {
    r0?.close()
    await main?.stop()
  })

  /** A raw renderer past the handshake whose WebContents main watches ('hello'). */
  async function attach() {
    const raw = new Raw(main.address)
    const answer = await raw.handshake(main.token)
    assert.equal(answer.maxFrame, MAX_FRAME)
    const from = main.events.length
    raw.write(frame(KIND.SEND, { codec: CODEC.NONE, channel: 'hello' }))
    await main.event((e) => e.ev === 'hello' && e.id === raw.id, from)
    return raw
  }

  const destroyedEvent = (raw) => (e) => e.ev === 'destroyed' && e.id === raw.id

  const cases = [
    ['random bytes', () => crypto.randomBytes(256)],
    ['a huge length prefix (0xFFFFFFF0) and nothing more', () => Buffer.from([0xf0, 0xff, 0xff, 0xff])],
    ['a length shorter than a header', () => Buffer.from([3, 0, 0, 0, 1, 2, 3, 4])],
    ['a frame of an unknown kind (99)', () => frame(99, { channel: 'ch', payload: '["kind 99"]' })],
    ['a frame of a main → renderer kind (16, MESSAGE)', () => frame(KIND.MESSAGE, { channel: 'ch', payload: '["kind 16"]' })],
    ['a frame of a main → renderer kind (17, RESULT_OK)', () => frame(KIND.RESULT_OK, { request: 1, payload: '1' })],
    ['a frame of a main → renderer kind (21, CLOSED)', () => frame(KIND.CLOSED, { payload: '{}' })],
    ['a second CONNECT', (token) => handshake({ v: 1, token, pid: process.pid, url: '' })],
    ['a SEND with codec 3 (in-process only)', () => sendFrame('ch', ['codec 3'], { codec: CODEC.LOCAL })],
    ['a SEND with an unknown codec (200)', () => sendFrame('ch', ['codec 200'], { codec: 200 })],
    ['an INVOKE with codec 3', () => frame(KIND.INVOKE, { codec: CODEC.LOCAL, request: 1, channel: 'ping', payload: '[1]' })],
    [
      'a channel length past the end of the frame',
      () => {
        const f = sendFrame('ch', ['x'])
        f.writeUInt32LE(1000, 16)
        return f
      },
    ],
    ['a channel that is not UTF-8', () => frame(KIND.SEND, { channel: Buffer.from([0xff, 0xfe]), payload: '["x"]' })],
    [`a frame over maxFrameSize (10 KB, limit ${MAX_FRAME})`, () => sendFrame('ch', ['y'.repeat(10 * 1024)])],
  ]
  for (const [name, bytes] of cases) {
    it(`${name}: closes that connection with one log line, its WebContents is destroyed, main goes on`, async () => {
      const raw = await attach()
      const from = main.events.length
      raw.write(Buffer.concat([bytes(main.token), sendFrame('ch', ['after'])]))
      // Closed by main: we never end it ourselves.
      await raw.whenClosed()
      await main.event(destroyedEvent(raw), from)
      assertOneLogLine(await main.newLogs(), name)
      await assertStillServing(main, r0, r0Id, from, raw.id)
    })
  }

  it('a truncated frame, then the end of the connection: no listener fires, its WebContents is destroyed', async () => {
    const raw = await attach()
    const from = main.events.length
    raw.write(sendFrame('ch', ['cut short']).subarray(0, 25))
    raw.socket.end()
    await raw.whenClosed()
    await main.event(destroyedEvent(raw), from)
    await main.newLogs()
    await assertStillServing(main, r0, r0Id, from, raw.id)
  })

  it('a truncated frame, then the end of the connection, is logged', async () => {
    const raw = await attach()
    const from = main.events.length
    raw.write(sendFrame('ch', ['cut short']).subarray(0, 25))
    raw.socket.end()
    await raw.whenClosed()
    await main.event(destroyedEvent(raw), from)
    assertOneLogLine(await main.newLogs(), 'a frame cut short')
  })

  const undecodable = [
    ['a codec-1 payload that is not JSON', () => sendFrame('ch', [], { payload: '{not json' })],
    ['a codec-2 payload that is not V8 data', () => sendFrame('ch', [], { codec: CODEC.V8, payload: 'not v8 at all' })],
    ['an INVOKE whose codec-1 payload is not JSON', () => frame(KIND.INVOKE, { request: 9, channel: 'ping', payload: '[' })],
  ]
  for (const [name, bytes] of undecodable) {
    it(`${name}: dropped with one log line, main goes on`, async () => {
      const raw = await attach()
      const from = main.events.length
      raw.write(Buffer.concat([bytes(), sendFrame('ch', ['after'])]))
      // Either the connection goes on ('after' arrives) or it is closed:
      // both come after main handled the bad frame.
      await main.event((e) => (e.ev === 'ch' && e.id === raw.id && e.args[0] === 'after') || destroyedEvent(raw)(e), from)
      assertOneLogLine(await main.newLogs(), name)
      assert.deepEqual(
        main.eventsSince(from, (e) => e.ev === 'ch' && e.id === raw.id && e.args[0] !== 'after'),
        [],
        'the bad message reached no listener',
      )
      assert.ok(!raw.frames.some((f) => f.kind === KIND.RESULT_OK), 'the bad invoke was not answered as a success')
      raw.destroy()
      await main.event(destroyedEvent(raw), from)
      await assertStillServing(main, r0, r0Id, main.events.length)
    })
  }
})

// ============================================================ 3b (own mains)

describe('after the handshake: a payload that decodes to something other than an argument list', SUITE, () => {
  const cases = [
    ['a SEND whose codec-1 payload is the number 5', () => sendFrame('ch', [], { payload: '5' })],
    ['a SEND whose codec-1 payload is null', () => sendFrame('ch', [], { payload: 'null' })],
    ['a SEND whose codec-1 payload is an object', () => sendFrame('ch', [], { payload: '{"length":2}' })],
    ['a SEND whose codec-2 payload is a V8 number', () => sendFrame('ch', [], { codec: CODEC.V8, payload: v8.serialize(5) })],
    ['an INVOKE whose codec-1 payload is the number 5', () => frame(KIND.INVOKE, { request: 9, channel: 'ping', payload: '5' })],
  ]
  for (const [name, bytes] of cases) {
    it(`${name}: does not crash main, reaches no listener, is logged`, async (t) => {
      const main = await new MainProcess().start()
      t.after(() => main.stop())
      const { r: r0, id: r0Id } = await renderer(main, t)
      const raw = new Raw(main.address)
      t.after(() => raw.destroy())
      await raw.handshake(main.token)
      const from = main.events.length
      raw.write(Buffer.concat([bytes(), sendFrame('ch', ['after'])]))
      await main.event((e) => (e.ev === 'ch' && e.id === raw.id && e.args[0] === 'after') || (e.ev === 'destroyed' && e.id === raw.id), from)
      // A crash shows as an 'uncaught' report (fixtures/socket-main.js), then main's exit.
      const crash = () => main.eventsSince(from, (e) => e.ev === 'uncaught')
      try {
        await assertStillServing(main, r0, r0Id, from)
      } catch (err) {
        assert.deepEqual(crash(), [], 'main had no uncaught exception')
        throw err
      }
      assert.deepEqual(crash(), [], 'main had no uncaught exception')
      assert.deepEqual(
        main.eventsSince(from, (e) => e.ev === 'ch' && e.id === raw.id && e.args[0] !== 'after'),
        [],
        'the bad message reached no listener',
      )
      assertOneLogLine(await main.newLogs(), name)
    })
  }
})

// ====================================================================== 4

describe('a peer cannot speak for another renderer', SUITE, () => {
  it("main stamps a frame with its connection's renderer id, whatever id the frame claims", async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const { address, token } = await hub.listen()
    hub.handle('who', (event) => event.sender.id)

    const victim = await connect(address, { token })
    t.after(() => victim.close())
    const victimId = await victim.invoke('who')
    const local = hub.createRenderer()
    const localId = await local.invoke('who')
    const victimWatch = spy()
    webContents.fromId(victimId).on('ipc-message', victimWatch)

    const raw = new Raw(address)
    t.after(() => raw.destroy())
    const { id: rawId } = await raw.handshake(token)
    assert.ok(![victimId, localId].includes(rawId))

    const got = []
    let arrived
    const allArrived = new Promise((resolve) => {
      arrived = resolve
    })
    hub.on('ch', (event, claimed) => {
      got.push({ claimed, id: event.sender.id, sender: event.sender, frameId: event.frameId })
      if (got.length === 3) arrived()
    })
    raw.write(sendFrame('ch', ['victim'], { renderer: victimId }))
    raw.write(sendFrame('ch', ['local'], { renderer: localId }))
    raw.write(sendFrame('ch', ['nobody'], { renderer: 0xffffffff }))
    await allArrived

    const rawWc = webContents.fromId(rawId)
    assert.ok(rawWc)
    for (const g of got) {
      assert.equal(g.id, rawId, `a frame claiming to be from ${g.claimed} is from the raw connection`)
      assert.equal(g.sender, rawWc)
      assert.equal(g.frameId, rawId)
    }
    assert.deepEqual(victimWatch.calls, [], "the victim's WebContents saw no message")

    // An invoke claiming the victim's id is answered to the raw connection.
    raw.write(frame(KIND.INVOKE, { renderer: victimId, request: 7, channel: 'who', payload: '[]' }))
    const reply = await raw.frame((f) => f.request === 7)
    assert.equal(reply.kind, KIND.RESULT_OK)
    // A result travels as a one-element list.
    assert.deepEqual(payloadOf(reply), [rawId])
  })
})

// ====================================================================== 5

describe('the socket file', SUITE, () => {
  it('with no path: a private directory (0700) holding the socket (0600), both removed by close()', async () => {
    const hub = new IpcMain()
    let closed = false
    try {
      const { address } = await hub.listen()
      assert.equal(hub.address, address)
      const dir = path.dirname(address)
      assert.ok(dir.startsWith(fs.realpathSync(os.tmpdir())) || dir.startsWith(os.tmpdir()), `${dir} is under the OS temp dir`)
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700)
      const st = fs.statSync(address)
      assert.ok(st.isSocket())
      assert.equal(st.mode & 0o777, 0o600)
      await hub.close()
      closed = true
      assert.equal(fs.existsSync(address), false, 'the socket file is removed')
      assert.equal(fs.existsSync(dir), false, 'its directory is removed')
      assert.equal(hub.address, null)
    } finally {
      if (!closed) await hub.close()
    }
  })

  it('with a path: the socket is 0600, removed by close(), and the directory around it is left alone', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-test-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const want = path.join(dir, 'custom.sock')
    const hub = new IpcMain()
    let closed = false
    try {
      const { address, token } = await hub.listen({ path: want })
      assert.equal(address, want)
      const st = fs.statSync(want)
      assert.ok(st.isSocket())
      assert.equal(st.mode & 0o777, 0o600)
      // It is the socket main listens on.
      hub.handle('ping', () => 'pong')
      const r = await connect(want, { token })
      assert.equal(await r.invoke('ping'), 'pong')
      r.close()
      await hub.close()
      closed = true
      assert.equal(fs.existsSync(want), false, 'the socket file is removed')
      assert.ok(fs.existsSync(dir), "the caller's directory is kept")
    } finally {
      if (!closed) await hub.close()
    }
  })
})

// ====================================================================== 6

describe("main's last sends before process.exit()", SUITE, () => {
  it('replies sent in the same synchronous stretch as process.exit(0) reach the renderer first', async (t) => {
    const main = await new MainProcess().start()
    t.after(() => main.stop())
    const r = await connect(main.address, { token: main.token })
    t.after(() => r.close())
    const got = []
    r.on('last', (event, i) => got.push(i))
    const disconnected = new Promise((resolve) => r.once('disconnected', resolve))
    r.send('reply-then-exit', 5)
    await disconnected
    assert.deepEqual(got, [0, 1, 2, 3, 4])
  })
})

describe('process lifetime while listening', SUITE, () => {
  /** Starts fixtures/socket-lifetime.js in `mode`; resolves with its line and handles. */
  async function lifetime(t, mode) {
    const child = spawn(process.execPath, [LIFETIME, mode], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv })
    const watch = new Watch()
    const state = { line: undefined, gone: null, stderr: '' }
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      state.line ??= JSON.parse(line)
      watch.changed()
    })
    child.stderr.on('data', (d) => {
      state.stderr += d
    })
    child.on('close', (code, signal) => {
      state.gone = { code, signal }
      watch.changed()
    })
    t.after(() => {
      if (state.gone === null) child.kill('SIGKILL')
    })
    const line = await watch.until(
      () => state.line,
      () => state.gone && `it exited (${JSON.stringify(state.gone)}) before listening: ${state.stderr}`,
    )
    return {
      child,
      line,
      state,
      exit: () => watch.until(() => state.gone ?? undefined),
    }
  }

  /** The process is still up and serving: a new renderer gets an answer from it. */
  async function assertAliveAndServing(p) {
    assert.equal(p.state.gone, null, `it did not exit by itself (${JSON.stringify(p.state.gone)}): ${p.state.stderr}`)
    const r = await connect(p.line.address, { token: p.line.token })
    try {
      await assert.rejects(r.invoke('nothing-here'), {
        message: "Error invoking remote method 'nothing-here': Error: No handler registered for 'nothing-here'",
      })
    } finally {
      r.close()
    }
    assert.equal(p.state.gone, null)
  }

  for (const mode of ['idle', 'unref-ref']) {
    const what = mode === 'idle' ? 'a main that listens and does nothing else' : 'a main that calls unref() then ref()'
    it(`${what} keeps running`, async (t) => {
      const p = await lifetime(t, mode)
      // The claim is "does not exit": give it a moment to do so.
      await sleep(300)
      await assertAliveAndServing(p)
      p.child.kill('SIGTERM')
      assert.deepEqual(await p.exit(), { code: null, signal: 'SIGTERM' })
      // Killed by a signal, it had no chance to remove its socket directory.
      fs.rmSync(path.dirname(p.line.address), { recursive: true, force: true })
    })
  }

  it('a main that calls unref() after listen() exits by itself, with code 0', async (t) => {
    const p = await lifetime(t, 'unref')
    assert.deepEqual(await p.exit(), { code: 0, signal: null }, p.state.stderr)
  })

  it('a main that listens then close()s exits by itself, with code 0, leaving no socket behind', async (t) => {
    const p = await lifetime(t, 'close')
    assert.deepEqual(await p.exit(), { code: 0, signal: null }, p.state.stderr)
    assert.equal(fs.existsSync(p.line.address), false)
    assert.equal(fs.existsSync(path.dirname(p.line.address)), false)
  })
})

// ====================================================================== 7

describe('bad arguments', SUITE, () => {
  const typeError = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }

  it("listen('x') and listen({ path: 5 }) reject with an ERR_INVALID_ARG_TYPE TypeError, and do not listen", async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    await assert.rejects(() => hub.listen('x'), typeError)
    await assert.rejects(() => hub.listen({ path: 5 }), typeError)
    assert.equal(hub.address, null)
  })

  it('listen({ maxFrameSize: 10 }) rejects with a RangeError, and does not listen', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    await assert.rejects(() => hub.listen({ maxFrameSize: 10 }), RangeError)
    assert.equal(hub.address, null)
    // The smallest allowed limit works.
    const { address } = await hub.listen({ maxFrameSize: 1024 })
    assert.equal(hub.address, address)
  })

  it('connect(5) rejects with a TypeError', async () => {
    await assert.rejects(() => connect(5), { name: 'TypeError' })
  })

  it("connect('/nonexistent/sock', { token }) rejects with code 'ENOENT'", async () => {
    await assert.rejects(() => connect('/nonexistent/sock', { token: 'x' }), { code: 'ENOENT' })
  })

  it('connect(address, { token: 5 }) rejects with a TypeError', async (t) => {
    const hub = new IpcMain()
    t.after(() => hub.close())
    const { address } = await hub.listen()
    await assert.rejects(() => connect(address, { token: 5 }), { name: 'TypeError' })
  })
})
