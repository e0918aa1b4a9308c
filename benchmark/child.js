'use strict'
// Child-process renderers: ipc-main over its socket vs `child_process.fork`
// IPC, in the same run.
//
// Modes (argv): rtt | send | bytes.
// rtt:   a child awaits `ipcRenderer.invoke('ping', msg)`, main's handler
//        echoes; base: fork IPC with `serialization: 'json'`, request
//        `{ id, channel, args }` via process.send, reply by id. Timed in the
//        child, sequential calls; median µs. Goal: ours <= 0.7x.
// send:  a child sends N small messages in a loop; main counts them. Base:
//        fork 'json', process.send({ channel, args }). msg/s, timed on main
//        from "go" to the N-th delivery. Goal: ours >= 3x.
// bytes: as send, with a 64 KiB Buffer per message; base: fork with
//        `serialization: 'advanced'`, process.send(buffer). MB/s. Goal >= 3x.
// anchor (with rtt or bytes): both sides are the baseline, in two plain
//        forked children: the noise floor of that measurement.
// Control commands travel over each child's own fork IPC channel (json);
// measured traffic never shares a channel with them in "ours", and in
// "base" they are one message per round.

const path = require('node:path')
const { fork } = require('node:child_process')
const util = require('./util')

const ROOT = path.join(__dirname, '..')
const msg = { id: 7, name: 'ping', list: [1, 2, 3] }
const KIB64 = 64 * 1024
const ANCHOR = process.argv[2] !== 'child' && process.argv.includes('anchor')

function controller(child) {
  return (cmd) =>
    new Promise((resolve, reject) => {
      const onMsg = (m) => {
        if (m === null || typeof m !== 'object' || m.ctl !== true) return
        child.off('message', onMsg)
        if (m.error) reject(new Error(m.error))
        else resolve(m.reply)
      }
      child.on('message', onMsg)
      child.send({ ctl: true, ...cmd })
    })
}

async function start(hub, mode, serialization) {
  const plain = () => fork(__filename, ['child', 'base', mode], { serialization })
  const ours = ANCHOR ? plain() : (await hub.fork(__filename, ['child', 'ours', mode])).process
  const base = plain()
  for (const c of [ours, base]) {
    c.on('exit', (code) => {
      if (code !== 0 && code !== null) {
        console.error(`benchmark child exited with ${code}`)
        process.exit(1)
      }
    })
  }
  // `plain`: the children whose main side is the baseline's, wired by the caller.
  const w = { base, plain: ANCHOR ? [ours, base] : [base], askOurs: controller(ours), askBase: controller(base) }
  await w.askOurs({ cmd: 'ready' })
  await w.askBase({ cmd: 'ready' })
  w.stop = async () => {
    ours.kill()
    base.kill()
    await hub.close()
  }
  return w
}

async function rtt(hub) {
  hub.handle('ping', (e, m) => m)
  const w = await start(hub, 'rtt', 'json')
  for (const c of w.plain) {
    c.on('message', (m) => {
      if (m.ctl) return
      c.send({ id: m.id, ok: true, result: m.args[0] })
    })
  }
  const rounds = 5
  const perRound = util.iters(5_000)
  const a = []
  const b = []
  for (let r = 0; r < rounds; r++) {
    const warm = r === 0 ? util.iters(3_000) : 0
    const ours = () => w.askOurs({ cmd: 'rtt', n: perRound, warm })
    const base = () => w.askBase({ cmd: 'rtt', n: perRound, warm })
    if (r % 2 === 0) {
      a.push(...(await ours()))
      b.push(...(await base()))
    } else {
      b.push(...(await base()))
      a.push(...(await ours()))
    }
  }
  const name = ANCHOR ? "anchor: child invoke over fork 'json'" : 'child invoke'
  util.reportLatency(name, { ours: a, base: b }, `median of ${a.length} calls; base: fork IPC 'json'`)
  await w.stop()
}

async function oneWay(hub, mode) {
  const bytes = mode === 'bytes'
  const N = bytes ? util.iters(4_000) : util.iters(200_000)
  let n = 0
  let done = null
  let last = null
  const count = (m) => {
    if (++n === N) {
      last = m
      done()
    }
  }
  hub.on('ping', (e, m) => count(m))
  const w = await start(hub, mode, bytes ? 'advanced' : 'json')
  for (const c of w.plain) {
    c.on('message', (m) => {
      if (m !== null && typeof m === 'object' && m.ctl === true) return
      count(bytes ? m : m.args[0])
    })
  }
  const round = (ask) => async () => {
    n = 0
    last = null
    const delivered = new Promise((resolve) => {
      done = resolve
    })
    const t0 = util.now()
    await Promise.all([ask({ cmd: 'burst', n: N }), delivered])
    const t = util.now() - t0
    if (bytes ? last.length !== KIB64 || last[KIB64 - 1] !== 7 : last.list[2] !== 3) throw new Error('wrong message')
    return bytes ? (N * KIB64) / 1e6 / (t / 1e9) : N / (t / 1e9)
  }
  const rounds = 5
  const res = await util.compareRounds({ ours: round(w.askOurs), base: round(w.askBase), warm: 1, rounds })
  util.report({
    scenario: (ANCHOR ? 'anchor: ' : '') + (bytes ? 'child 64 KiB send' : 'child send'),
    kind: 'rate',
    unit: bytes ? 'MB/s' : 'msg/s',
    ours: util.median(res.ours),
    base: util.median(res.base),
    note: `${N} msgs per round, median of ${rounds} rounds; base: fork IPC '${bytes ? 'advanced' : 'json'}'`,
  })
  await w.stop()
}

async function mainProcess() {
  const { IpcMain } = require(ROOT)
  for (const mode of util.modes(['rtt', 'send', 'bytes'])) {
    const hub = new IpcMain()
    if (mode === 'rtt') await rtt(hub)
    else await oneWay(hub, mode)
  }
}

// ---- the children --------------------------------------------------------

function childProcess(role, mode) {
  let call
  let send
  const blob = Buffer.alloc(KIB64, 7)
  if (role === 'ours') {
    const { ipcRenderer } = require(ROOT)
    call = () => ipcRenderer.invoke('ping', msg)
    send = mode === 'bytes' ? () => ipcRenderer.send('ping', blob) : () => ipcRenderer.send('ping', msg)
  } else {
    let next = 1
    const pending = new Map()
    process.on('message', (m) => {
      if (m.ctl) return
      const p = pending.get(m.id)
      pending.delete(m.id)
      p(m.result)
    })
    call = () =>
      new Promise((resolve) => {
        const id = next++
        pending.set(id, resolve)
        process.send({ id, channel: 'ping', args: [msg] })
      })
    send = mode === 'bytes' ? () => process.send(blob) : () => process.send({ channel: 'ping', args: [msg] })
  }
  const handlers = {
    ready: () => true,
    async rtt({ n, warm }) {
      const first = await call()
      if (first.id !== 7 || first.list[2] !== 3) throw new Error('wrong answer')
      await util.warmup(call, warm)
      return await util.sampleLatency(call, n, [])
    },
    burst({ n }) {
      for (let i = 0; i < n; i++) send()
      return true
    },
  }
  process.on('message', async (m) => {
    if (m === null || typeof m !== 'object' || m.ctl !== true) return
    try {
      process.send({ ctl: true, reply: await handlers[m.cmd](m) })
    } catch (err) {
      process.send({ ctl: true, error: String((err && err.stack) || err) })
    }
  })
}

if (process.argv[2] === 'child') {
  childProcess(process.argv[3], process.argv[4])
} else {
  mainProcess().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
