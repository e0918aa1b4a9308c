'use strict'
// Message ports between two renderers (issue 13's speed goals), each
// against its baseline in the same run.
//
// Modes (argv):
// worker-rtt:  two `spawnWorker` workers hold the two ends of a
//              `MessageChannelMain` (handed out with `wc.postMessage`) and
//              of a Node `worker_threads` `MessageChannel` (in workerData);
//              one pings, the other echoes `msg`; sequential round trips
//              timed in the pinging worker, median µs. Goal: ours <= 0.7x.
// worker-rate: the same pair; the first worker posts N messages, the second
//              answers once it has all N; msg/s. Goal: ours >= 2x.
// child-rtt:   two `hub.fork()` children hold the two ends of a
//              `MessageChannelMain`; one pings, the other echoes (relayed by
//              main's native side, no JS in main); base: the pinging child's
//              `ipcRenderer.invoke('ping', msg)` echoed by `hub.handle`.
//              Median µs. Goal: ours <= 1.5x.
// Control commands travel over dedicated channels (a Node MessagePort per
// worker, a child's fork IPC), never over the measured ports.

const path = require('node:path')
const util = require('./util')

const ROOT = path.join(__dirname, '..')
const msg = { id: 7, name: 'ping', list: [1, 2, 3] }

/** Request/response over an emitter with `send`/`postMessage`. */
function controller(target, send) {
  return (cmd) =>
    new Promise((resolve, reject) => {
      const on = (m) => {
        if (m === null || typeof m !== 'object' || m.ctl !== true) return
        target.off('message', on)
        if (m.error) reject(new Error(m.error))
        else resolve(m.reply)
      }
      target.on('message', on)
      send({ ctl: true, ...cmd })
    })
}

/** The pair of workers (or children), each given one end of both channels. */
async function workers(hub) {
  const { MessageChannel } = require('node:worker_threads')
  const node = new MessageChannel()
  const ends = [node.port1, node.port2]
  const out = []
  for (let i = 0; i < 2; i++) {
    const ctl = new MessageChannel()
    const wc = await hub.spawnWorker(__filename, {
      workerData: { kind: 'worker', role: i === 0 ? 'ping' : 'echo', ctl: ctl.port2, node: ends[i] },
      transferList: [ctl.port2, ends[i]],
    })
    wc.worker.on('error', (err) => {
      console.error(err)
      process.exit(1)
    })
    out.push({ wc, ask: controller(ctl.port1, (m) => ctl.port1.postMessage(m)), ctl: ctl.port1 })
  }
  return out
}

async function children(hub) {
  hub.handle('ping', (e, m) => m)
  const out = []
  for (let i = 0; i < 2; i++) {
    const wc = await hub.fork(__filename, ['child', i === 0 ? 'ping' : 'echo'])
    wc.process.on('exit', (code) => {
      if (code !== 0 && code !== null) {
        console.error(`benchmark child exited with ${code}`)
        process.exit(1)
      }
    })
    out.push({ wc, ask: controller(wc.process, (m) => wc.process.send(m)) })
  }
  return out
}

/** Hands the two renderers the two ends of a MessageChannelMain. */
async function wire(pair) {
  const { MessageChannelMain } = require(ROOT)
  const { port1, port2 } = new MessageChannelMain()
  // Each renderer listens for 'port' from its start.
  pair[0].wc.postMessage('port', '', [port1])
  pair[1].wc.postMessage('port', '', [port2])
  await Promise.all(pair.map((r) => r.ask({ cmd: 'take' })))
}

async function rtt(hub, mode) {
  const child = mode === 'child-rtt'
  const pair = child ? await children(hub) : await workers(hub)
  await wire(pair)
  const [ping] = pair
  const rounds = 5
  const perRound = util.iters(child ? 3_000 : 6_000)
  const a = []
  const b = []
  for (let r = 0; r < rounds; r++) {
    const warm = r === 0 ? util.iters(3_000) : 0
    const ours = async () => a.push(...(await ping.ask({ cmd: 'rtt', which: 'ours', n: perRound, warm })))
    const base = async () => b.push(...(await ping.ask({ cmd: 'rtt', which: 'base', n: perRound, warm })))
    if (r % 2 === 0) {
      await ours()
      await base()
    } else {
      await base()
      await ours()
    }
  }
  const name = child ? 'child <-> child port round trip' : 'worker <-> worker port round trip'
  const note = child
    ? `median of ${a.length}; base: the pinging child's invoke to main`
    : `median of ${a.length}; base: worker_threads MessageChannel between the same two workers`
  util.reportLatency(name, { ours: a, base: b }, note)
  await stop(hub, pair, child)
}

async function rate(hub) {
  const pair = await workers(hub)
  await wire(pair)
  const [ping] = pair
  const N = util.iters(200_000)
  const round = (which) => () => ping.ask({ cmd: 'burst', which, n: N })
  const res = await util.compareRounds({ ours: round('ours'), base: round('base'), warm: 1, rounds: 5 })
  util.report({
    scenario: 'worker -> worker port throughput',
    kind: 'rate',
    unit: 'msg/s',
    ours: util.median(res.ours),
    base: util.median(res.base),
    note: `${N} msgs per round, median of 5 rounds; base: worker_threads MessageChannel`,
  })
  await stop(hub, pair, false)
}

async function stop(hub, pair, child) {
  for (const r of pair) {
    if (child) r.wc.process.kill()
    else {
      r.ctl.close()
      await r.wc.worker.terminate()
    }
  }
  await hub.close()
}

async function mainProcess() {
  const { IpcMain } = require(ROOT)
  for (const mode of util.modes(['worker-rtt', 'worker-rate', 'child-rtt'])) {
    const hub = new IpcMain()
    if (mode === 'worker-rate') await rate(hub)
    else await rtt(hub, mode)
  }
}

// ---- the renderers --------------------------------------------------------

/** `role` 'ping' or 'echo'; `node`: this side's Node MessagePort, if any. */
function renderer(role, node, serve) {
  const { ipcRenderer } = require(ROOT)
  let port = null
  let took = null
  ipcRenderer.on('port', (event) => {
    port = event.ports[0]
    if (role === 'echo') {
      port.onmessage = (ev) => port.postMessage(ev.data)
      if (node) node.on('message', (m) => node.postMessage(m))
    }
    if (took) took()
  })
  // One persistent listener per side; each call waits for the next answer.
  let answer = null
  const take = (data) => {
    const r = answer
    answer = null
    if (r !== null) r(data)
  }
  let listening = false
  const listen = () => {
    if (listening) return
    listening = true
    port.onmessage = (ev) => take(ev.data)
    if (node) node.on('message', take)
  }
  const ask = {
    ours: (m) =>
      new Promise((resolve) => {
        answer = resolve
        port.postMessage(m)
      }),
    base: node
      ? (m) =>
          new Promise((resolve) => {
            answer = resolve
            node.postMessage(m)
          })
      : (m) => ipcRenderer.invoke('ping', m),
  }
  serve({
    take: () =>
      port !== null ||
      new Promise((resolve) => {
        took = () => resolve(true)
      }),
    async rtt({ which, n, warm }) {
      listen()
      const call = () => ask[which](msg)
      const first = await call()
      if (first.id !== 7 || first.list[2] !== 3) throw new Error('wrong answer')
      await util.warmup(call, warm)
      return await util.sampleLatency(call, n, [])
    },
    burst({ which, n }) {
      // The echo side answers every message; the last answer ends the round.
      return new Promise((resolve) => {
        let got = 0
        const t0 = util.now()
        const done = () => {
          if (++got !== n) return
          if (which === 'base') node.off('message', done)
          else port.onmessage = null
          resolve(n / ((util.now() - t0) / 1e9))
        }
        if (which === 'ours') {
          port.onmessage = done
          for (let i = 0; i < n; i++) port.postMessage(i)
        } else {
          node.on('message', done)
          for (let i = 0; i < n; i++) node.postMessage(i)
        }
        // (burst rounds and rtt rounds never share a run: see mainProcess)
      })
    },
  })
}

function serveOn(target, send) {
  return (handlers) =>
    target.on('message', async (m) => {
      if (m === null || typeof m !== 'object' || m.ctl !== true) return
      try {
        send({ ctl: true, reply: await handlers[m.cmd](m) })
      } catch (err) {
        send({ ctl: true, error: String((err && err.stack) || err) })
      }
    })
}

const wt = require('node:worker_threads')
if (!wt.isMainThread && wt.workerData && wt.workerData.kind === 'worker') {
  const { role, ctl, node } = wt.workerData
  renderer(role, node, serveOn(ctl, (m) => ctl.postMessage(m)))
} else if (process.argv[2] === 'child') {
  renderer(process.argv[3], null, serveOn(process, (m) => process.send(m)))
} else if (wt.isMainThread) {
  mainProcess().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
