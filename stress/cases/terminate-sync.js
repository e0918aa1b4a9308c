'use strict'

// 200 workers terminated mid-sendSync, 4 at a time: each worker loops on
// sendSync; at its k-th (k from a seeded PRNG, 1..20) main's listener does
// not answer and calls worker.terminate(), either inline in the listener or
// one turn later with the listener's promise still pending; the worker is
// blocked in that sendSync either way. No 'error' listener is added to the
// Worker, as a user would not: an error event there takes main down, which
// is what this case must not see. Each worker must be destroyed once and
// exit; afterwards main still serves a new worker, and ends by itself.

const path = require('node:path')
const { IpcMain } = require(path.join(__dirname, '..', '..'))
const { FIXTURES, scaled, runCase, once, random, inLanes, seconds } = require('../common')

const WORKERS = scaled(200, 4)

runCase(async () => {
  const hub = new IpcMain()
  const failures = []
  const rand = random(200)
  const plans = new Map()
  let inline = 0
  let later = 0
  hub.on('ts', (event, n) => {
    const plan = plans.get(event.sender)
    if (plan === undefined || n < plan.at) {
      event.returnValue = n
      return
    }
    // (A first sendSync can come before `plans` has the worker: answered,
    // and the plan applies from the next one.)
    if (plan.terminating) {
      failures.push(`WebContents #${event.sender.id}: sendSync ${n} after its terminate()`)
      return
    }
    plan.terminating = true
    if (plan.inline) {
      plan.terminated(event.sender.worker.terminate())
      return
    }
    return new Promise((resolve) =>
      setImmediate(() => {
        plan.terminated(event.sender.worker.terminate())
        resolve()
      }),
    )
  })

  const file = path.join(FIXTURES, 'syncer.js')
  const started = Date.now()
  await inLanes(WORKERS, 4, async (i) => {
    const plan = { at: 1 + Math.floor(rand() * 20), inline: rand() < 0.5, terminating: false }
    if (plan.inline) inline++
    else later++
    const terminated = new Promise((resolve) => {
      plan.terminated = resolve
    })
    const wc = await hub.spawnWorker(file)
    plans.set(wc, plan)
    let destroyed = 0
    wc.on('destroyed', () => destroyed++)
    const gone = wc.isDestroyed() ? null : once(wc, 'destroyed')
    const exited = once(wc.worker, 'exit')
    await (await terminated)
    await exited
    await gone
    if (destroyed !== 1) failures.push(`worker ${i}: 'destroyed' fired ${destroyed} times`)
    plans.delete(wc)
  })
  const ms = Date.now() - started

  hub.handle('ping', (event, pid) => pid)
  const wc = await hub.spawnWorker(path.join(FIXTURES, 'pinger.js'))
  if (!wc.isDestroyed()) await once(wc, 'destroyed')
  if (wc.isCrashed()) failures.push('the worker after the terminations crashed')
  await hub.close()
  return {
    figure: `${WORKERS} workers terminated mid-sendSync (${inline} from the listener, ${later} a turn later) in ${seconds(ms)}: main survived, 'destroyed' once each`,
    failures,
  }
})
