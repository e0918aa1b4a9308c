'use strict'

// 8 renderers (4 workers via spawnWorker, 4 children via fork), each
// sending 100 k messages mixing send / invoke / sendSync, all at once.
// Every message carries the renderer's running number: main checks that
// each renderer's numbers arrive as 0, 1, 2, ... whatever the kind (nothing
// lost, nothing reordered, nothing twice), and each renderer checks its
// answers.

const path = require('node:path')
const { IpcMain } = require(path.join(__dirname, '..', '..'))
const { FIXTURES, scaled, runCase, once, seconds } = require('../common')

const PER_RENDERER = scaled(100_000, 100)
const WORKERS = 4
const CHILDREN = 4

runCase(async () => {
  const hub = new IpcMain()
  const failures = []
  const next = new Map()
  const reports = new Map()
  let total = 0
  let disorder = 0
  const seen = (event, n) => {
    total++
    const want = next.get(event.sender) ?? 0
    if (n !== want && disorder++ < 20) failures.push(`WebContents #${event.sender.id}: got ${n}, expected ${want}`)
    next.set(event.sender, n + 1)
  }
  hub.on('mixed-send', (event, n) => seen(event, n))
  hub.on('mixed-sync', (event, n) => {
    seen(event, n)
    event.returnValue = n
  })
  hub.handle('mixed-invoke', (event, n) => {
    seen(event, n)
    return n
  })
  hub.on('mixed-done', (event, report) => reports.set(event.sender, report))

  const file = path.join(FIXTURES, 'mixed.js')
  const started = Date.now()
  const renderers = await Promise.all([
    ...Array.from({ length: WORKERS }, (_, i) => hub.spawnWorker(file, { argv: [String(PER_RENDERER), String(100 + i)] })),
    ...Array.from({ length: CHILDREN }, (_, i) => hub.fork(file, [String(PER_RENDERER), String(200 + i)])),
  ])
  // Each ends by itself once done: wait until every one is gone.
  await Promise.all(renderers.map((wc) => (wc.isDestroyed() ? null : once(wc, 'destroyed'))))
  const ms = Date.now() - started
  await hub.close()

  let invokes = 0
  let syncs = 0
  for (const wc of renderers) {
    const kind = wc.worker ? 'worker' : 'child'
    const report = reports.get(wc)
    if (report === undefined) {
      failures.push(`${kind} #${wc.id}: no 'mixed-done' report (received ${next.get(wc) ?? 0})`)
      continue
    }
    invokes += report.invokes
    syncs += report.syncs
    if (report.sent !== PER_RENDERER) failures.push(`${kind} #${wc.id}: sent ${report.sent} of ${PER_RENDERER}`)
    if ((next.get(wc) ?? 0) !== PER_RENDERER) failures.push(`${kind} #${wc.id}: main received up to ${next.get(wc) ?? 0} of ${PER_RENDERER}`)
    for (const w of report.wrong) failures.push(`${kind} #${wc.id}: ${w}`)
    if (wc.isCrashed()) failures.push(`${kind} #${wc.id}: crashed`)
  }
  const expected = PER_RENDERER * renderers.length
  const lost = expected - total
  return {
    figure:
      `${total.toLocaleString('en')} of ${expected.toLocaleString('en')} messages ` +
      `(${invokes.toLocaleString('en')} invokes, ${syncs.toLocaleString('en')} sendSyncs) in ${seconds(ms)}, ` +
      `${Math.round(total / (ms / 1000)).toLocaleString('en')} msg/s; ${lost} lost, ${disorder} out of order`,
    failures,
    messages: total,
    ms,
  }
})
