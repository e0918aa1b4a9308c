'use strict'

// 300 fork → invoke → exit cycles, one after another: each child invokes
// 'ping' once and ends by itself; main waits for its 'destroyed' and for the
// ChildProcess 'close'. Main's open descriptors (/proc/self/fd) after the
// last cycle must equal those after the first (which opened the socket, the
// IO thread and the like once).

const path = require('node:path')
const { IpcMain } = require(path.join(__dirname, '..', '..'))
const { FIXTURES, scaled, runCase, once, openFds, seconds } = require('../common')

const CYCLES = scaled(300, 3)

runCase(async () => {
  const hub = new IpcMain()
  const failures = []
  let pings = 0
  hub.handle('ping', (event, pid) => {
    pings++
    return pid
  })
  const before = openFds()
  let afterFirst = null
  const started = Date.now()
  for (let i = 0; i < CYCLES; i++) {
    const wc = await hub.fork(path.join(FIXTURES, 'pinger.js'))
    const closed = wc.process.exitCode !== null ? null : once(wc.process, 'close')
    if (!wc.isDestroyed()) await once(wc, 'destroyed')
    await closed
    if (wc.isCrashed()) failures.push(`cycle ${i}: crashed (exit ${wc.process.exitCode})`)
    if (i === 0) afterFirst = openFds()
  }
  const ms = Date.now() - started
  const after = openFds()
  if (pings !== CYCLES) failures.push(`${pings} pings answered of ${CYCLES}`)
  if (after.count !== afterFirst.count) {
    const extra = after.targets.filter((t) => !afterFirst.targets.includes(t))
    const kinds = {}
    for (const t of extra) {
      const kind = t.replace(/^\d+ -> /, '').replace(/\[\d+\]/, '[…]')
      kinds[kind] = (kinds[kind] ?? 0) + 1
    }
    failures.push(`main's fd count went from ${afterFirst.count} to ${after.count}: ${JSON.stringify(kinds)}`)
  }
  await hub.close()
  const closed = openFds()
  return {
    figure: `${CYCLES} cycles in ${seconds(ms)} (${((ms / CYCLES)).toFixed(0)} ms each); main's fds: ${before.count} before, ${afterFirst.count} after the first cycle, ${after.count} after the last, ${closed.count} after close()`,
    failures,
  }
})
