'use strict'

// 10 M small messages from one worker (in windows of 10 000, each closed by
// an invoke), main's RSS read from /proc/self/status every second. After a
// warm-up (the first 2 samples, or the first fifth if more), every sample
// must be within ±10 % of the samples' median: memory per message is
// released, nothing grows with the count.

const path = require('node:path')
const { IpcMain } = require(path.join(__dirname, '..', '..'))
const { FIXTURES, scaled, runCase, once, rss, MB, seconds } = require('../common')

const MESSAGES = scaled(10_000_000, 10_000)

runCase(async () => {
  const hub = new IpcMain()
  const failures = []
  let next = 0
  let disorder = 0
  hub.on('tick', (event, n) => {
    if (n !== next && disorder++ < 10) failures.push(`got ${n}, expected ${next}`)
    next = n + 1
  })
  hub.handle('tick-ack', (event, n) => n)
  let done = -1
  // Sampled while the messages flow: from the worker's start to its last one.
  const samples = []
  const sampler = setInterval(() => samples.push(rss()), 1000)
  hub.on('tick-done', (event, n) => {
    done = n
    clearInterval(sampler)
  })

  const started = Date.now()
  const wc = await hub.spawnWorker(path.join(FIXTURES, 'ticker.js'), { argv: [String(MESSAGES)] })
  await once(wc, 'destroyed')
  clearInterval(sampler) // (if the worker died before its last message)
  const ms = Date.now() - started
  await hub.close()

  if (next !== MESSAGES) failures.push(`main received ${next} of ${MESSAGES}`)
  if (done !== MESSAGES) failures.push(`the worker reported ${done} sent`)
  const warmUp = Math.max(2, Math.floor(samples.length / 5))
  const steady = samples.slice(warmUp)
  let flat = 'too short to judge (fewer than 3 samples after warm-up)'
  let range = ''
  if (steady.length >= 3) {
    const sorted = [...steady].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]
    const min = sorted[0]
    const max = sorted[sorted.length - 1]
    const spread = Math.max(median - min, max - median) / median
    flat = `${(spread * 100).toFixed(1)} % from the median`
    range = `, RSS after warm-up ${MB(min)}–${MB(max)} (median ${MB(median)}, ${steady.length} samples)`
    if (spread > 0.1) failures.push(`RSS not flat: ${MB(min)}–${MB(max)} around a median of ${MB(median)} (${flat}); samples MB: ${samples.map((b) => Math.round(b / 1048576)).join(' ')}`)
  }
  return {
    figure: `${next.toLocaleString('en')} messages in ${seconds(ms)} (${Math.round(next / (ms / 1000)).toLocaleString('en')} msg/s)${range}; flat: ${flat}`,
    failures,
    samples,
  }
})
