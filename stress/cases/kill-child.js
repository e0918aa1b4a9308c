'use strict'

// SIGKILL of a child mid-invoke, 20 times: each child keeps 16 invokes in
// flight; at a random one (1..200) main's handler kills it and never
// answers, while main also waits on a wc.invoke the child never answers.
// Each time: 'destroyed' fires once, isCrashed() is true, the pending
// handler's event.signal aborts, main's wc.invoke rejects; afterwards a new
// child still works and main ends by itself.

const path = require('node:path')
const { IpcMain } = require(path.join(__dirname, '..', '..'))
const { FIXTURES, scaled, runCase, once, random, seconds } = require('../common')

const ROUNDS = scaled(20, 2)

runCase(async () => {
  const hub = new IpcMain()
  const failures = []
  const rand = random(12)
  let killAt = 0
  let count = 0
  let onKilled = null
  hub.on('beside', () => {})
  hub.handle('work', (event, n) => {
    if (++count !== killAt) return n
    onKilled(event)
    event.sender.process.kill('SIGKILL')
    return new Promise(() => {})
  })
  hub.handle('ping', (event, pid) => pid)

  const started = Date.now()
  let invokesBeforeKill = 0
  for (let round = 0; round < ROUNDS; round++) {
    count = 0
    killAt = 1 + Math.floor(rand() * 200)
    const wc = await hub.fork(path.join(FIXTURES, 'invoker.js'))
    let destroyed = 0
    wc.on('destroyed', () => destroyed++)
    const gone = once(wc, 'destroyed')
    const exited = once(wc.process, 'exit')
    const held = wc.invoke('hold').then(
      () => 'resolved',
      (err) => err.message,
    )
    const [event] = await new Promise((resolve) => {
      onKilled = (...args) => resolve(args)
    })
    const aborted = event.signal.aborted ? null : new Promise((resolve) => event.signal.addEventListener('abort', resolve, { once: true }))
    await gone
    const [code, signal] = await exited
    await aborted
    const heldOutcome = await held
    invokesBeforeKill += count
    if (destroyed !== 1) failures.push(`round ${round}: 'destroyed' fired ${destroyed} times`)
    if (!wc.isCrashed()) failures.push(`round ${round}: isCrashed() is false after SIGKILL`)
    if (signal !== 'SIGKILL') failures.push(`round ${round}: child exit ${code}/${signal}`)
    if (heldOutcome === 'resolved') failures.push(`round ${round}: wc.invoke resolved from a killed child`)
  }
  const killMs = Date.now() - started

  // Main is healthy: a new child still round-trips, and the hub closes.
  const wc = await hub.fork(path.join(FIXTURES, 'pinger.js'))
  if (!wc.isDestroyed()) await once(wc, 'destroyed')
  if (wc.isCrashed()) failures.push('the child after the kills crashed')
  await hub.close()
  return {
    figure: `${ROUNDS} children killed mid-invoke (${invokesBeforeKill} invokes handled before the kills) in ${seconds(killMs)}: 'destroyed' once each, handler signals aborted, main's pending wc.invoke rejected, main healthy`,
    failures,
  }
})
