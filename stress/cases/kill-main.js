'use strict'

// SIGKILL of main mid-burst: a main (fixtures/burst-main.js) with 4 forked
// children bursting send / sendSync / invoke is killed once every child has
// sent 1000 messages. Each child must see 'disconnected' once, have its
// sendSync or invoke fail with IPC_DISCONNECTED, and exit by itself: the
// case waits until the stdout pipe they share with main closes (every
// writer gone), within the case's time bound.

const { spawn } = require('node:child_process')
const path = require('node:path')
const { FIXTURES, scaled, runCase, seconds } = require('../common')

const CHILDREN = 4
const ROUNDS = scaled(5, 1)

function round() {
  return new Promise((resolve, reject) => {
    const main = spawn(process.execPath, [path.join(FIXTURES, 'burst-main.js'), String(CHILDREN)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let buffered = ''
    const reports = []
    let killedAt = 0
    let mainExit = null
    main.once('exit', (code, signal) => {
      mainExit = signal ?? code
    })
    main.stdout.setEncoding('utf8')
    main.stdout.on('data', (chunk) => {
      buffered += chunk
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl))
        buffered = buffered.slice(nl + 1)
        if (line.ready) {
          killedAt = Date.now()
          main.kill('SIGKILL')
        } else {
          reports.push(line)
        }
      }
    })
    // 'end': main and every child have closed the pipe, i.e. exited.
    main.stdout.once('end', () => resolve({ reports, mainExit, ms: Date.now() - killedAt, killed: killedAt !== 0 }))
    main.once('error', reject)
  })
}

runCase(async () => {
  const failures = []
  let slowest = 0
  let sent = 0
  for (let r = 0; r < ROUNDS; r++) {
    const { reports, mainExit, ms, killed } = await round()
    if (!killed) failures.push(`round ${r}: main never got ready (exit ${mainExit})`)
    if (mainExit !== 'SIGKILL') failures.push(`round ${r}: main ended with ${mainExit}, not SIGKILL`)
    if (reports.length !== CHILDREN) failures.push(`round ${r}: ${reports.length} of ${CHILDREN} children reported`)
    for (const rep of reports) {
      sent += rep.sent
      if (rep.disconnected !== 1) failures.push(`round ${r}: child ${rep.child} saw 'disconnected' ${rep.disconnected} times`)
      if (rep.ended !== 'IPC_DISCONNECTED') failures.push(`round ${r}: child ${rep.child}'s burst ended with ${rep.ended}`)
    }
    slowest = Math.max(slowest, ms)
  }
  return {
    figure: `${ROUNDS} × main killed under ${CHILDREN} bursting children (${sent.toLocaleString('en')} messages sent): each saw 'disconnected' once and exited; slowest exit ${seconds(slowest)} after the kill`,
    failures,
  }
})
