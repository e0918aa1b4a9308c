'use strict'

// Back-pressure on sockets (DESIGN.md "Approved changes"; issue 12): main
// does not read a connection while its hub's queue holds more than
// `maxQueueBytes` (default 64 MiB), so the kernel pushes back and the
// sending child buffers, as child_process does. A child floods 1 GiB of
// 64 KiB sends while main's JS thread is blocked for 5 s: main's peak RSS
// stays far below what it sent, and every message arrives, in order. With
// a small bound and a slow listener, main's queue never holds much more
// than the bound.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const { IpcMain } = require('..')

const CHUNKS = 16384 // x 64 KiB = 1 GiB
const SIZE = 64 * 1024
const BLOCK_MS = 5000
/** The bound (64 MiB) plus what this test process needs besides. */
const LIMIT_MB = 400

/**
 * Starts a fresh peak: the kernel resets VmHWM to the current resident set
 * (earlier cases in this process must not hide this one's growth).
 */
function resetPeak() {
  fs.writeFileSync('/proc/self/clear_refs', '5')
}

/** This process's peak resident set, in MB, from /proc/self/status. */
function peakRssMb() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
  return Number(m[1]) / 1024
}

describe('a child flooding main while main is blocked', { timeout: 120_000 }, () => {
  it(`${CHUNKS} x 64 KiB sends: main's peak RSS stays under ${LIMIT_MB} MB, and all arrive in order`, async (t) => {
    const hub = new IpcMain()
    let child = null
    t.after(async () => {
      await hub.close()
      if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    let next = 0
    let bad = null
    resetPeak()
    const before = peakRssMb()
    hub.on('start', () => {
      // Main's JS thread is busy: nothing may read the child's socket now.
      const until = Date.now() + BLOCK_MS
      while (Date.now() < until);
    })
    hub.on('chunk', (event, b) => {
      const i = b.readUInt32LE(0)
      if (bad === null && (b.length !== SIZE || i !== next || b.readUInt32LE(SIZE - 4) !== (i ^ 0x5a5a5a5a))) {
        bad = `chunk ${next}: got #${i} of ${b.length} bytes`
      }
      next++
    })
    const done = new Promise((resolve) => hub.handle('done', () => resolve(next)))
    const wc = await hub.fork(path.join(__dirname, 'fixtures', 'flood-child.js'), [String(CHUNKS)])
    child = wc.process
    const received = await done
    const peak = peakRssMb()
    assert.equal(bad, null)
    assert.equal(received, CHUNKS)
    assert.ok(peak < LIMIT_MB, `main's peak RSS ${peak.toFixed(0)} MB (${before.toFixed(0)} MB before the flood)`)
  })
})

describe('listen({ maxQueueBytes }) bounds what main reads ahead', { timeout: 120_000 }, () => {
  it('a flood of small messages to a slow listener: the queue stays near a 64 KiB bound, all arrive in order', async (t) => {
    const BOUND = 64 * 1024
    const N = 100_000
    const hub = new IpcMain()
    let child = null
    t.after(async () => {
      await hub.close()
      if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    await hub.listen({ maxQueueBytes: BOUND })
    let next = 0
    let bad = null
    let most = 0
    hub.on('n', (event, i) => {
      if (bad === null && i !== next) bad = `message ${next}: got #${i}`
      next++
      if ((i & 31) === 0) most = Math.max(most, hub.stats().queueBytes)
      // Slower than the child sends: without the bound, main reads ahead.
      const until = process.hrtime.bigint() + 5000n
      while (process.hrtime.bigint() < until);
    })
    const done = new Promise((resolve) => hub.handle('done', () => resolve(next)))
    const wc = await hub.fork(path.join(__dirname, 'fixtures', 'small-flood-child.js'), [String(N)])
    child = wc.process
    assert.equal(await done, N)
    assert.equal(bad, null)
    // One read past the bound at most (a read takes up to 64 KiB).
    assert.ok(most <= 3 * BOUND, `main's queue held ${most} bytes (bound ${BOUND})`)
  })
})

describe('main flooding a busy child', { timeout: 120_000 }, () => {
  // fork IPC: main holds what the child has not read (1,094 MB for 1 GiB),
  // the child ~87 MB. Before reads moved to the JS thread, the child's IO
  // thread read it all into memory too (1,083 MB). Main's JS batch and its
  // Rust outbox must not hold two copies either.
  const N = 8192 // x 64 KiB = 512 MiB
  const DATA_MB = (N * SIZE) / (1024 * 1024)
  it(`${N} x 64 KiB wc.send to a child blocked ${BLOCK_MS} ms: the child reads nothing ahead, main holds one copy`, async (t) => {
    const hub = new IpcMain()
    let child = null
    t.after(async () => {
      await hub.close()
      if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    const ready = new Promise((resolve) => hub.once('ready', resolve))
    const done = new Promise((resolve) => hub.handle('done', (event, got, bad, hwmKb) => resolve({ got, bad, hwmKb })))
    const wc = await hub.fork(path.join(__dirname, 'fixtures', 'busy-child.js'), [String(N), String(BLOCK_MS)])
    child = wc.process
    await ready
    resetPeak()
    const before = peakRssMb()
    wc.send('block')
    // One Buffer, rewritten: what main holds is what it queued, not garbage.
    const b = Buffer.alloc(SIZE)
    for (let i = 0; i < N; i++) {
      b.writeUInt32LE(i, 0)
      b.writeUInt32LE(i ^ 0x5a5a5a5a, SIZE - 4)
      wc.send('chunk', b)
      if (i % 256 === 255) await new Promise(setImmediate)
    }
    const { got, bad, hwmKb } = await done
    const mainGrew = peakRssMb() - before
    assert.equal(bad, null)
    assert.equal(got, N)
    assert.ok(hwmKb / 1024 < 300, `the child's peak RSS ${(hwmKb / 1024).toFixed(0)} MB for ${DATA_MB} MB sent`)
    assert.ok(mainGrew < DATA_MB * 1.4, `main grew ${mainGrew.toFixed(0)} MB for ${DATA_MB} MB queued`)
  })
})
