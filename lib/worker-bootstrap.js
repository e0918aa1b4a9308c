'use strict'
// Entry point of every worker started by `ipcMain.spawnWorker()`: claims the
// hub it was started for, connects this thread's `ipcRenderer` (so the hub
// learns of the worker before any user code runs), then runs the user's
// script with `process.argv` as if it had been started directly.

const { pathToFileURL } = require('node:url')
const { claimWorker } = require('./native')

const at = process.argv.indexOf('--ipc-main-worker')
const nonce = Number(process.argv[at + 1])
process.argv.splice(at, 2)
const claim = claimWorker(nonce)
if (claim === null) throw new Error('ipc-main: this worker was not started by spawnWorker()')
const [hubId, entry] = claim
process.argv[1] = entry

const { connectWorker } = require('./worker')
connectWorker(hubId, { nonce, url: pathToFileURL(entry).href })

try {
  require(entry)
} catch (err) {
  if (err && err.code === 'ERR_REQUIRE_ESM') {
    import(pathToFileURL(entry).href)
  } else {
    throw err
  }
}
